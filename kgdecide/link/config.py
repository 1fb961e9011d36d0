"""Settings of a :class:`~kgdecide.link.linker.Linker`: plain data, nothing domain-specific.

A domain pack passes its own :class:`LinkerConfig` (the clinical one is in
:mod:`kgdecide.packs.clinical.linking`); the defaults suit any graph with labels and synonyms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kgdecide.link.lexicon import NameKind

#: Confidence of an exact (normalised) match by where the name comes from.
DEFAULT_KIND_SCORES: Mapping[NameKind, float] = MappingProxyType({
    NameKind.LABEL: 0.98, NameKind.EXACT: 0.95, NameKind.SYNONYM: 0.92,
    NameKind.LAYPERSON: 0.9, NameKind.RELATED: 0.75, NameKind.DERIVED: 0.85,
})

#: English function words: dense retrieval looks at runs of words between these.
ENGLISH_FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet for to in on at by from into onto upon with within without
about above across after against along among around as before behind below beneath beside
besides between beyond during except inside near off out outside over since through
throughout till toward towards under underneath until up via is am are was were be been being
has have had having do does did doing will would shall should can could may might must
i me my mine we us our ours you your yours he him his she her hers it its they them their
theirs this that these those who whom whose which what where when why how there here
not no also very too only just than then both each every either neither all any some such
other another same own more most less least many much few several one two three four five
six seven eight nine ten first second third year years month months week weeks day days old
age aged including include includes included while because if although though however
""".split())

#: Words a Chinese clause starts or ends with that are not part of a finding.
CHINESE_FILLERS = ("患者", "患儿", "病人", "本人", "伴有", "伴", "出现", "表现为", "表现", "可见",
                   "有", "呈", "见", "并", "且", "及", "和", "与", "或", "自幼", "反复", "持续",
                   "目前", "现", "偶有", "时有", "发现", "诊断为", "诊断", "查体", "提示")


@dataclass(frozen=True)
class LinkerConfig:
    """What to link to and how sure to be.

    >>> LinkerConfig(node_types=("Company",)).min_score
    0.6
    """

    node_types: tuple[str, ...] = ()  #: node types whose names are linked; empty = every type
    exclude_ids: tuple[str, ...] = ()  #: nodes never linked (roots, too generic)
    exclude_under: tuple[str, ...] = ()  #: nodes whose descendants are never linked
    hierarchy_relation: str = "is_a"  #: child -> parent relation, for ``exclude_under``
    stop_names: tuple[str, ...] = ()  #: names that are ordinary words here ("all", "large")
    min_key_chars: int = 3  #: shorter names only match when they are acronyms in capitals
    kind_scores: Mapping[NameKind, float] = field(default_factory=lambda: DEFAULT_KIND_SCORES)
    min_score: float = 0.6  #: below this a mention is abstained (kept aside with its candidates)
    max_alternatives: int = 3  #: runner-up candidates kept per mention
    keep_nested: bool = False  #: also report shorter names inside a longer match
    #: with ``keep_nested``: keep a nested name outside a coordination only when its node is a
    #: proper ancestor of the enclosing one's (``hierarchy_relation``), marked implied
    sift_nested: bool = True
    fuzzy: bool = True  #: correct typos (one edit, two for long words)
    fuzzy_penalty: float = 0.08  #: score lost per corrected edit
    variants: bool = True  #: also match names in another word order or word form (word bags)
    variant_penalty: float = 0.05  #: score lost by a word-bag or rebuilt-conjunct match
    #: link short forms the text defines ("carcinomas (BCCs)"); off by default: on GSC+ dev it
    #: cost more precision than it gained recall (gene and syndrome short forms)
    abbreviations: bool = False
    coordination: bool = True  #: rebuild elided conjuncts ("palmar and plantar pits")
    #: say whose finding each mention is (patient, relative, others, general, model): only the
    #: patient's are findings (:mod:`kgdecide.link.experiencer`)
    experiencer: bool = True
    #: read the document's sections (headings, tables, legends) for that; off: all one note
    sections: bool = True
    #: also match a node's modifiers crossed with its heads ("acoustic neurinoma" from
    #: "Acoustic neuroma" + "Vestibular neurinoma"), see :mod:`kgdecide.link.compose`
    compose: bool = True
    dense: bool = False  #: English paraphrases by dense retrieval (slower: embeds phrases)
    dense_threshold: float = 0.9  #: cosine similarity a paraphrase needs (MiniLM; tuned on GSC+ dev)
    dense_max_words: int = 5  #: longest word run embedded as one phrase
    multilingual: bool = True  #: Chinese text by multilingual dense retrieval
    multilingual_threshold: float = 0.84  #: cosine similarity a Chinese phrase needs (E5)
    #: dense candidates this close (in score) to the best count as tied; the shortest label wins
    dense_tie: float = 0.02
    #: relation whose edges into a node say how common it is ("has_phenotype": diseases
    #: showing a phenotype); empty = no prior
    prior_relation: str = ""
    #: weight of that prior when ranking Chinese candidates (tuned on the zh dev half)
    multilingual_prior: float = 0.08
    multilingual_names: str = "labels"  #: "labels" or "all" names embedded for E5
    #: Chinese words looked up in CC-CEDICT (``kgdecide.link.glossary``) and their English
    #: glosses in the lexicon, ahead of the multilingual model's candidates
    chinese_glossary: bool = True
    function_words: frozenset[str] = ENGLISH_FUNCTION_WORDS  #: split word runs for dense search
    chinese_fillers: tuple[str, ...] = CHINESE_FILLERS  #: stripped from Chinese clauses
    max_chars: int = 200_000  #: longer texts are refused (split them)

    def __post_init__(self) -> None:
        for name in ("min_score", "dense_threshold", "multilingual_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"LinkerConfig.{name} must be in 0..1, got {value}")
        if self.multilingual_names not in ("labels", "all"):
            raise ValueError("LinkerConfig.multilingual_names must be 'labels' or 'all'")
