"""The linker: free text in, :class:`~kgdecide.types.Mention` records out.

Recall comes from the candidate generators (lexicon with typo correction, then dense retrieval
for what the lexicon left uncovered, Chinese through a multilingual model); precision from
overlap resolution, context, a confidence per mention and abstention below ``min_score``.
Each mention then gets its assertion status (negated, family, uncertain, historical, present).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from kgdecide.errors import InvalidQuery
from kgdecide.graph.store import GraphStore
from kgdecide.link.assertion import CHINESE, ENGLISH, AssertionRules, assertion_status
from kgdecide.link.config import LinkerConfig
from kgdecide.link.dense import (DenseIndex, E5Encoder, Encoder, MiniLMEncoder,
                                 embedding_cache_path)
from kgdecide.link.fuzzy import TypoCorrector
from kgdecide.link.lexicon import Entry, Hit, Lexicon, NameKind
from kgdecide.link.text import (Token, blank_markup, english_words, han_fraction, has_han,
                                phrase_key, tokenize)
from kgdecide.link.abbreviation import definitions, is_use_of, short_form_uses
from kgdecide.link.compose import with_composed_names
from kgdecide.link.coordination import expand_coordinations, expand_lists
from kgdecide.link.variants import VariantIndex, bag_key
from kgdecide.link.experiencer import ExperiencerTagger
from kgdecide.link.sections import Section, SectionKind, Structure, find_structure
from kgdecide.types import (AssertionStatus, Direction, Experiencer, Finding, FindingStatus,
                            Mention, Node)

logger = logging.getLogger(__name__)

#: Breaks a run of words for dense search (punctuation between two words).
_BREAK = re.compile(r"[,.;:!?()\[\]{}\"/|•·\n]")
#: A run of Chinese text (Han characters, with digits and Latin letters inside it).
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff0-9A-Za-z]*")
#: Glosses of each of two dictionary words that are paired (the first senses come first).
_PAIR_GLOSSES = 4
#: Connectives that separate two Chinese findings inside one clause.
_HAN_SPLIT = re.compile(r"伴有|伴|和|及|并且|并|或者|或|与|、|以及")


#: Given what is embedded and how many names, a context manager yielding a callback that is
#: told how many more names are done (``kgdecide.progress.progress_bar`` fits).
ProgressFor = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What the linker found in one text."""

    mentions: tuple[Mention, ...]  #: linked spans, in text order
    abstained: tuple[Mention, ...] = ()  #: spans whose best candidate scored below ``min_score``
    notes: tuple[str, ...] = ()  #: why nothing (or less) was found: "empty text", ...

    @property
    def implied(self) -> frozenset[int]:
        """Indexes into ``mentions`` of nested general names the enclosing mention implies."""
        return frozenset(i for i, m in enumerate(self.mentions) if m.implied)

    def by_status(self, status: AssertionStatus) -> tuple[Mention, ...]:
        """This patient's mentions of ``status`` (implied ones left out)."""
        return tuple(m for m in self.mentions if m.status is status and not m.implied
                     and m.experiencer is Experiencer.PATIENT)

    @property
    def present_ids(self) -> tuple[str, ...]:
        """Ids of this patient's findings stated as present, without repeats (implied mentions
        left out: "acoustic neuroma" gives Acoustic neuroma, not also Neuroma; others'
        findings left out: a table of published patients adds nothing)."""
        return tuple(dict.fromkeys(m.node_id for m in self.by_status(AssertionStatus.PRESENT)))

    @property
    def excluded_ids(self) -> tuple[str, ...]:
        """Ids of this patient's findings stated as absent, without repeats."""
        return tuple(dict.fromkeys(m.node_id for m in self.by_status(AssertionStatus.EXCLUDED)))

    def findings(self) -> tuple[Finding, ...]:
        """The mentions that are :attr:`~kgdecide.types.Mention.scored`, as scorer findings:
        this patient's present and excluded ones. A node stated both present and absent is
        kept as present.

        >>> m = Mention(0, 5, "fever", "HP:0001945", "Fever", 0.9, AssertionStatus.EXCLUDED)
        >>> [(f.id, f.status.value) for f in LinkResult((m,)).findings()]
        [('HP:0001945', 'excluded')]
        """
        present = self.present_ids
        excluded = [i for i in self.excluded_ids if i not in present]
        return (*(Finding(i) for i in present),
                *(Finding(i, FindingStatus.EXCLUDED) for i in excluded))


@dataclass(slots=True)
class _Candidate:
    row: int
    score: float
    name: str


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    candidates: list[_Candidate] = field(default_factory=list)
    words: int = 1
    dense: bool = False  #: found by similarity: near-ties are normal, no tie penalty


class Linker:
    """Links text to the nodes of one graph.

    Build it once (``from_store``) and reuse it: construction indexes every name.

    >>> from kgdecide.graph.builder import GraphBuilder
    >>> from kgdecide.graph.embedded import EmbeddedStore
    >>> b = GraphBuilder("demo")
    >>> _ = b.add_node("HP:0001250", "PhenotypicFeature", "Seizure", ["Seizures", "Fits"])
    >>> _ = b.add_node("HP:0001945", "PhenotypicFeature", "Fever", ["Pyrexia"])
    >>> linker = Linker.from_store(EmbeddedStore(b.build()), LinkerConfig(multilingual=False))
    >>> [(m.text, m.node_id, m.status.value) for m in linker.link("Fits; no pyrexia.").mentions]
    [('Fits', 'HP:0001250', 'present'), ('pyrexia', 'HP:0001945', 'excluded')]
    """

    def __init__(self, lexicon: Lexicon, config: LinkerConfig,
                 corrector: TypoCorrector | None = None,
                 english: AssertionRules = ENGLISH, chinese: AssertionRules = CHINESE,
                 dense_factory: _DenseFactory | None = None,
                 variants: VariantIndex | None = None,
                 parents: Sequence[Sequence[int]] | None = None) -> None:
        self.lexicon = lexicon
        #: per lexicon row, the rows of its parents (``config.hierarchy_relation``); None = no
        #: hierarchy known, nested mentions are then kept as they are
        self.parents = parents
        self._ancestors: dict[int, frozenset[int]] = {}
        self._row = {node_id: i for i, node_id in enumerate(lexicon.ids)} if parents else {}
        self.variants = variants
        self.config = config
        self.corrector = corrector
        self.english = english
        self.chinese = chinese
        self._dense = dense_factory
        self._chinese_cues = tuple(sorted(
            {c for cues in (*chinese.pre.values(), *chinese.post.values()) for c in cues}
            | set(config.chinese_fillers), key=lambda c: (-len(c), c)))

    @classmethod
    def from_store(cls, store: GraphStore, config: LinkerConfig | None = None,
                   home: Path | None = None, english_encoder: Encoder | None = None,
                   multilingual_encoder: Encoder | None = None) -> Linker:
        """Index the names of the store's nodes (of ``config.node_types``).

        Dense indexes are built on first use and cached beside the store's snapshot (or under
        ``home``/cache); pass encoders to replace the bundled models (tests use small fakes).
        """
        config = config or LinkerConfig()
        nodes = list(_linkable_nodes(store, config))
        # Composed names go to the lexicon and word bags only: the dense indexes (and their
        # cached embeddings) keep the graph's own names.
        parent_rows = _parent_rows(store, nodes, config.hierarchy_relation)
        named = with_composed_names(nodes, parent_rows) if config.compose else nodes
        lexicon = Lexicon.from_nodes(named, config.stop_names, config.min_key_chars)
        variants = VariantIndex.from_nodes(named, config.stop_names) if config.variants else None
        corrector = None
        if config.fuzzy:
            corrector = TypoCorrector(lexicon.vocabulary, known_words=english_words())
        factory = _DenseFactory(store, nodes, config, home,
                                english_encoder or MiniLMEncoder(),
                                multilingual_encoder or E5Encoder())
        logger.info("linker: %d nodes, %d names indexed", len(lexicon), len(lexicon.entries))
        parents = parent_rows if config.keep_nested and config.sift_nested else None
        return cls(lexicon, config, corrector, dense_factory=factory, variants=variants,
                   parents=parents)

    # --- public ------------------------------------------------------------------------------

    def link(self, text: str) -> LinkResult:
        """Mentions in ``text``; raises ``InvalidQuery`` for text that is not a string or is
        longer than ``config.max_chars``.

        Offsets index ``text`` as given. HTML tags and entities are read as blanks.
        """
        if not isinstance(text, str):
            raise InvalidQuery("text", f"must be a string, got {type(text).__name__}")
        if len(text) > self.config.max_chars:
            raise InvalidQuery("text", f"is {len(text):,} characters long; the limit is "
                               f"{self.config.max_chars:,}: split it into notes or paragraphs")
        if not text.strip():
            return LinkResult((), (), ("empty text",))
        clean = blank_markup(text).replace("\x00", " ")
        notes: list[str] = []
        spans = self._lexicon_spans(clean)
        if self.config.abbreviations:
            spans += self._abbreviation_spans(clean, spans)
        spans = self._as_defined(clean, spans)
        if self.config.dense:
            spans += self._english_dense_spans(clean, spans)
        if has_han(clean):
            if self.config.multilingual and self._dense is not None:
                spans += self._chinese_spans(clean)
            else:
                notes.append("Chinese text was not linked: multilingual linking is off")
        mentions, abstained = self._decide(text, clean, spans)
        if self.config.keep_nested and self.config.sift_nested and self.parents is not None:
            mentions = self._sift_nested(mentions)
        if self.config.experiencer and mentions:
            mentions = _with_experiencers(clean, mentions, self.config.sections)
        if not mentions:
            notes.append("no names of the graph were recognised in the text")
        return LinkResult(tuple(mentions), tuple(abstained), tuple(notes))

    def link_many(self, texts: Iterable[str]) -> list[LinkResult]:
        return [self.link(t) for t in texts]

    def prepare(self, progress: ProgressFor | None = None) -> None:
        """Build now the dense indexes this linker's settings use (multilingual; English when
        ``dense``), so no request waits for them. Indexes whose embeddings are cached are
        read; for the others ``progress(what, names)`` may give a context manager yielding a
        callback told how many names each batch embedded (a progress bar)."""
        if self.config.multilingual and self.config.chinese_glossary:
            from kgdecide.link.glossary import chinese_glosses

            chinese_glosses()  # read CC-CEDICT once, not inside the first Chinese request
        if self._dense is None:
            return
        wanted = (["ml"] if self.config.multilingual else []) + (["en"] if self.config.dense else [])
        for which in wanted:
            self._dense.prepare(which, progress)

    # --- candidates ----------------------------------------------------------------------------

    def _lexicon_spans(self, text: str) -> list[_Span]:
        tokens = tokenize(text)
        if self.corrector is not None:
            keys, edits = self.corrector.correct_tokens(tokens)
            for i in _proper_nouns(text, tokens, edits):
                keys[i], edits[i] = tokens[i].key, 0
        else:
            keys, edits = [t.key for t in tokens], [0] * len(tokens)
        hits = [h for h in self.lexicon.find(tokens, keys, text)
                if not _AUTHOR_AFTER.match(text, tokens[h.last].end)]
        if self.variants is not None:
            exact = {(h.first, h.last) for h in hits}
            hits += [h for h in self.variants.find(tokens, text, keys) if (h.first, h.last) not in exact]
        kept = _resolve_overlaps(hits, self.config.keep_nested)
        if self.config.coordination:
            # Elided conjuncts overlap the written one by nature: added after the resolution.
            kept += expand_coordinations(kept, tokens, keys, text, self._lookup)
            kept += expand_lists(kept, tokens, keys, text, self._lookup)
        return [self._hit_span(hit, tokens, edits) for hit in kept]

    def _lookup(self, keys: Sequence[str]) -> tuple[Entry, ...] | None:
        """The names spelled by token keys, exactly or else as a word bag."""
        found = self.lexicon.entries.get(" ".join(keys))
        if found is None and self.variants is not None:
            found = self.variants.entries.get(bag_key(keys) or "")
        return found

    def _abbreviation_spans(self, text: str, spans: list[_Span]) -> list[_Span]:
        """Uses of short forms the text defines after a linked span, with its candidates."""
        by_offsets = {(s.start, s.end): s for s in spans}
        taken = set(by_offsets)
        found = []
        for start, end, long_start, long_end in short_form_uses(text, list(by_offsets)):
            if (start, end) in taken or any(s < end and start < e for s, e in by_offsets):
                continue
            taken.add((start, end))
            source = by_offsets[(long_start, long_end)]
            penalty = self.config.variant_penalty
            found.append(_Span(start, end, [_Candidate(c.row, c.score - penalty, c.name)
                                            for c in source.candidates], source.words))
        return found

    def _as_defined(self, text: str, spans: list[_Span]) -> list[_Span]:
        """Short forms read as the text defines them, not as the graph's acronyms.

        A span that is a use of a short form the text defines ("ASD" after "atrial septal
        defect (ASD)" or under a table listing "ASD, atrial septal defect") keeps only the
        candidates of the long form's linked span; when the long form names nothing of the
        graph ("MR, mitral regurgitation" in a graph without it), the span is dropped.
        """
        if not spans or not any(c.isupper() for c in text):
            return spans
        defined = definitions(text)
        if not defined:
            return spans
        out = []
        for span in spans:
            word = text[span.start:span.end]
            short = next((k for k in defined if is_use_of(word, k)), None)
            if short is None:
                out.append(span)
                continue
            start, end = defined[short]
            inside = [s for s in spans if start <= s.start and s.end <= end and s is not span]
            if not inside:
                continue  # defined as something the graph does not name
            source = max(inside, key=lambda s: (s.end - s.start, -s.start))
            meant = {c.row for c in source.candidates}
            kept = [c for c in span.candidates if c.row in meant]
            if not kept:
                penalty = self.config.variant_penalty
                kept = [_Candidate(c.row, c.score - penalty, c.name) for c in source.candidates]
            out.append(_Span(span.start, span.end, kept, span.words, span.dense))
        return out

    def _hit_span(self, hit: Hit, tokens: Sequence[Token], edits: Sequence[int]) -> _Span:
        scores = self.config.kind_scores
        cost = sum(edits[hit.first:hit.last + 1]) * self.config.fuzzy_penalty
        cost += self.config.variant_penalty if hit.variant else 0.0
        best: dict[int, _Candidate] = {}
        for entry in hit.entries:
            score = max(0.0, scores[entry.kind] - cost - _short_penalty(entry))
            if entry.row not in best or score > best[entry.row].score:
                best[entry.row] = _Candidate(entry.row, score, entry.name)
        span = _Span(tokens[hit.first].start, tokens[hit.last].end, list(best.values()),
                     hit.last - hit.first + 1)
        return span

    def _english_dense_spans(self, text: str, covered: list[_Span]) -> list[_Span]:
        runs = _word_runs(text, tokenize(text), covered, self.config.function_words,
                          self.config.dense_max_words)
        if not runs:
            return []
        index = self._dense.english() if self._dense else None
        if index is None:
            return []
        phrases = [text[s:e] for s, e in runs]
        return [self._dense_span(s, e, hits, self.config.dense_threshold)
                for (s, e), hits in zip(runs, index.search(phrases, k=self.config.max_alternatives + 1))
                if hits]

    def _chinese_spans(self, text: str) -> list[_Span]:
        chunks = list(_chinese_chunks(text, self._chinese_cues))
        if not chunks:
            return []
        index = self._dense.multilingual() if self._dense else None
        phrases = [text[s:e] for s, e in chunks]
        found = (index.search(phrases, k=self.config.max_alternatives + 1) if index is not None
                 else [[] for _ in chunks])
        spans = []
        for (s, e), phrase, hits in zip(chunks, phrases, found):
            span = self._dense_span(s, e, hits, self.config.multilingual_threshold) if hits else None
            glossed = self._glossed(phrase, span)
            if glossed:
                span = _Span(s, e, glossed + [c for c in (span.candidates if span else [])
                                              if c.row not in {g.row for g in glossed}])
            if span is not None:
                spans.append(span)
        return spans

    def _glossed(self, phrase: str, dense: _Span | None) -> list[_Candidate]:
        """Candidates of a Chinese phrase through its CC-CEDICT glosses that are names of the
        graph, ranked by the gloss's place in the entry; scored just above the multilingual
        model's best, so a dictionary reading comes first and the model's follow."""
        if not self.config.chinese_glossary:
            return []
        from kgdecide.link.glossary import chinese_glosses

        dictionary = chinese_glosses()
        glosses = list(dictionary.get(phrase, ()))
        if not any(self._lookup([t.key for t in tokenize(g)]) for g in glosses):
            # Two dictionary words ("关节" joint + "痛" pain): each pair of their glosses, as a
            # word bag, so the order of the English words does not matter ("joint pain").
            for at in range(1, len(phrase)):
                left, right = dictionary.get(phrase[:at]), dictionary.get(phrase[at:])
                if left and right:
                    glosses += [f"{a} {b}" for a in left[:_PAIR_GLOSSES] for b in right[:_PAIR_GLOSSES]]
        best = max((c.score for c in dense.candidates), default=0.0) if dense else 0.0
        top = min(0.99, max(best + 0.01, self.config.kind_scores[NameKind.SYNONYM] - self.config.variant_penalty))
        out: dict[int, _Candidate] = {}
        for gloss in glosses:
            entries = self._lookup([t.key for t in tokenize(gloss)])
            for entry in sorted(entries or (), key=lambda e: (e.kind, e.row)):
                if entry.row not in out:
                    out[entry.row] = _Candidate(entry.row, round(max(0.0, top - 0.01 * len(out)), 4), entry.name)
        return list(out.values())

    def _dense_span(self, start: int, end: int, hits: Sequence, threshold: float) -> _Span:
        # Map similarity so the threshold lands on min_score: one abstention rule for all
        # generators, and similarities of different models become comparable.
        floor = self.config.min_score
        def score(similarity: float) -> float:
            value = floor + (similarity - threshold) / max(1e-6, 1 - threshold) * (1 - floor)
            return min(0.97, max(0.0, value))
        return _Span(start, end, [_Candidate(h.row, score(h.similarity), h.name) for h in hits],
                     dense=True)

    # --- decisions -----------------------------------------------------------------------------

    def _decide(self, text: str, clean: str, spans: list[_Span]) -> tuple[list[Mention], list[Mention]]:
        mentions, abstained = [], []
        sentences: dict[tuple[int, int], str] = {}
        for span in sorted(spans, key=lambda s: (s.start, -s.end)):
            ranked = self._rank(clean, span)
            if not ranked:
                continue
            best, rest = ranked[0], ranked[1 : 1 + self.config.max_alternatives]
            rules = self.chinese if has_han(clean[span.start:span.end]) else self.english
            mention = Mention(
                start=span.start, end=span.end, text=text[span.start:span.end],
                node_id=self.lexicon.ids[best.row], label=self.lexicon.labels[best.row],
                score=round(best.score, 4),
                status=assertion_status(clean, span.start, span.end, rules, sentences),
                alternatives=tuple((self.lexicon.ids[c.row], self.lexicon.labels[c.row],
                                    round(c.score, 4)) for c in rest),
            )
            (mentions if best.score >= self.config.min_score else abstained).append(mention)
        return mentions, abstained

    def _sift_nested(self, mentions: list[Mention]) -> list[Mention]:
        """Judge each mention wholly inside a longer one by the hierarchy.

        A nested name whose node is a proper ancestor of the enclosing mention's node, at any
        distance, is kept but marked implied ("colitis" in "ulcerative colitis", "seizures" in
        "febrile and afebrile seizures"): the longer one says it all, so it is never a finding
        of its own. The same node again ("developmental delay" in "global developmental delay")
        adds nothing and is dropped. An unrelated node is another sense of the words ("nevus"
        in "basal cell nevus syndrome", "carcinoma" in "basal cell carcinoma", which HPO files
        elsewhere) and is dropped, except inside a coordination, where it is a finding of its
        own ("plantar pits" in "palmar and plantar pits").
        """
        row = self._row
        kept: list[Mention] = []
        active: list[Mention] = []  # earlier mentions (by start) still open at this one's start
        for m in mentions:
            active = [o for o in active if o.end > m.start]
            outer = max((o for o in active if m.end <= o.end and o.end - o.start > m.end - m.start),
                        key=lambda o: (o.end - o.start, -o.start), default=None)
            active.append(m)
            if outer is None:
                kept.append(m)
            elif m.node_id == outer.node_id:
                continue
            elif row[m.node_id] in self._ancestors_of(row[outer.node_id]):
                kept.append(replace(m, implied=True))
            elif _is_coordination(outer.text):
                kept.append(m)
        return kept

    def _ancestors_of(self, row: int) -> frozenset[int]:
        """The row and every row above it in the hierarchy (memoised)."""
        found = self._ancestors.get(row)
        if found is None:
            seen, frontier = {row}, [row]
            while frontier:
                frontier = [p for r in frontier for p in self.parents[r] if p not in seen]  # type: ignore[index]
                seen.update(frontier)
            found = self._ancestors[row] = frozenset(seen)
        return found

    def _rank(self, text: str, span: _Span) -> list[_Candidate]:
        ranked = sorted(span.candidates, key=lambda c: (-c.score, c.row))
        if span.dense and len(ranked) > 1:
            ranked = self._prefer_general(ranked)
        if not span.dense and len(ranked) > 1 and ranked[0].score - ranked[1].score < 0.02:
            ranked = self._by_context(text, span, ranked)
        return ranked

    def _prefer_general(self, ranked: list[_Candidate]) -> list[_Candidate]:
        """Among dense candidates within ``dense_tie`` of the best, the shortest label wins:
        a short phrase more often means the general term than one of its specific children
        ("癫痫发作" is Seizure, not Startle-induced seizure)."""
        tie = self.config.dense_tie
        near = [c for c in ranked if ranked[0].score - c.score <= tie]
        if len(near) < 2:
            return ranked
        best = min(near, key=lambda c: (len(self.lexicon.labels[c.row]), -c.score))
        best = _Candidate(best.row, ranked[0].score, best.name)
        return [best, *[c for c in ranked if c.row != best.row]]

    def _by_context(self, text: str, span: _Span, ranked: list[_Candidate]) -> list[_Candidate]:
        """Break a near-tie with the words around the span: a candidate whose label shares
        words with the sentence wins; the winner's score drops since the text was ambiguous."""
        left = max(text.rfind(c, 0, span.start) for c in ".;\n") + 1
        right = min((i for i in (text.find(c, span.end) for c in ".;\n") if i != -1), default=len(text))
        context = {t.key for t in tokenize(text[left:span.start] + " " + text[span.end:right])}
        def overlap(c: _Candidate) -> int:
            return len(context & set(phrase_key(self.lexicon.labels[c.row]).split()))
        # Still tied: the shorter label, more often the general term the writer meant ("ear
        # anomalies" is a name of both Abnormality of the ear and of the outer ear).
        ranked = sorted(ranked, key=lambda c: (-round(c.score, 2), -overlap(c),
                                               len(self.lexicon.labels[c.row]), c.row))
        top = ranked[0]
        ranked[0] = _Candidate(top.row, top.score * 0.9, top.name)
        return ranked


def _with_experiencers(text: str, mentions: list[Mention], sections: bool) -> list[Mention]:
    """Each mention with whose finding it is and the section it sits in.

    A relative's mention gets status ``FAMILY`` (and a ``FAMILY`` status makes the experiencer a
    relative), so consumers that read only the status still leave it out; a table cell that
    says "-" under the patient's column makes the row's finding excluded.
    """
    structure = find_structure(text) if sections else Structure((Section(0, len(text), SectionKind.NOTE),))
    tagger = ExperiencerTagger(text, structure, cues=not has_han(text) or han_fraction(text) < 0.5)
    out = []
    for m in mentions:
        reading = tagger.read(m.start, m.end)
        who, status = reading.experiencer, reading.status or m.status
        if status is AssertionStatus.FAMILY:
            who = Experiencer.RELATIVE
        elif who is Experiencer.RELATIVE:
            status = AssertionStatus.FAMILY
        out.append(replace(m, experiencer=who, status=status, section=reading.section.value))
    return out


#: A span joining several findings: "and", "or", a comma or a slash between its words.
_COORDINATION = re.compile(r"\b(?:and|or|nor)\b|[,/&;]", re.IGNORECASE)


def _is_coordination(span: str) -> bool:
    """
    >>> _is_coordination("palmar and/or plantar pits"), _is_coordination("basal cell carcinoma")
    (True, False)
    """
    return _COORDINATION.search(span) is not None


def _parent_rows(store: GraphStore, nodes: Sequence[Node], relation: str) -> list[tuple[int, ...]]:
    """Per node (row), the rows of its parents among ``nodes``."""
    if not store.counts().edges_by_relation.get(relation):
        return [() for _ in nodes]  # a graph without a hierarchy: every node is a root
    row = {node.id: i for i, node in enumerate(nodes)}
    return [tuple(row[p] for p in store.neighbors(node.id, relation) if p in row) for node in nodes]


#: "et al." after a word: the word is an author's name ("Oegema et al." is not Edema).
_AUTHOR_AFTER = re.compile(r"\s*(?:and colleagues\b|et\.?\s*al\b)", re.IGNORECASE)


def _proper_nouns(text: str, tokens: Sequence[Token], edits: Sequence[int]) -> list[int]:
    """Corrected tokens that look like names: a capital then small letters, not where a
    sentence starts, or followed by "et al.". A typo corrector must leave names alone."""
    out = []
    for i, token in enumerate(tokens):
        if not edits[i]:
            continue
        word = text[token.start:token.end]
        if _AUTHOR_AFTER.match(text, token.end):
            out.append(i)
        elif word[:1].isupper() and word[1:].islower():
            before = text[:token.start].rstrip()
            if before and before[-1] not in ".!?:;\n([\"'•-":
                out.append(i)
    return out


def _short_penalty(entry: Entry) -> float:
    # One short word ("tic", "gait") is more often an ordinary word than a finding.
    return 0.1 if " " not in entry.name.strip() and len(entry.name) <= 4 and not entry.case_sensitive else 0.0


def _resolve_overlaps(hits: list[Hit], keep_nested: bool) -> list[Hit]:
    """Longest first; a hit overlapping a kept one is dropped, except a hit wholly inside it
    when ``keep_nested`` (the shorter, more general name)."""
    kept: list[Hit] = []
    covering: dict[int, list[Hit]] = {}  # token index -> kept hits over it
    # An exact match beats a word-bag match of the same length.
    for hit in sorted(hits, key=lambda h: (-(h.last - h.first), h.variant,
                                           min(e.kind for e in h.entries), h.first)):
        others = {id(o): o for t in range(hit.first, hit.last + 1) for o in covering.get(t, ())}
        clash = any(not (keep_nested and o.first <= hit.first and hit.last <= o.last)
                    for o in others.values())
        if not clash:
            kept.append(hit)
            for t in range(hit.first, hit.last + 1):
                covering.setdefault(t, []).append(hit)
    return sorted(kept, key=lambda h: (h.first, h.last))


def _word_runs(text: str, tokens: Sequence[Token], covered: Sequence[_Span],
               function_words: frozenset[str], max_words: int) -> list[tuple[int, int]]:
    """Runs of content words not inside a lexicon match and not broken by punctuation."""
    taken = [(s.start, s.end) for s in covered]
    runs: list[list[Token]] = []
    current: list[Token] = []
    previous_end = None
    for token in tokens:
        inside = any(s <= token.start < e for s, e in taken)
        broken = previous_end is not None and _BREAK.search(text, previous_end, token.start) is not None
        if inside or token.key in function_words or broken or token.key.isdigit() or has_han(token.key):
            if current:
                runs.append(current)
            current = [] if (inside or token.key in function_words or token.key.isdigit()
                             or has_han(token.key)) else [token]
        else:
            current.append(token)
        previous_end = token.end
    if current:
        runs.append(current)
    # A single word is left to the lexicon and the typo corrector: alone, it is far more often
    # an ordinary word ("growth", "hair") than a paraphrase of a finding.
    return [(r[0].start, r[-1].end) for r in runs if 2 <= len(r) <= max_words]


def _chinese_chunks(text: str, cues: Sequence[str]) -> Iterable[tuple[int, int]]:
    """Spans of Chinese text that may name one finding: a clause, split at connectives, with
    leading/trailing cue words and fillers ("无", "患者", "阴性") removed."""
    for run in _HAN_RUN.finditer(text):
        start = run.start()
        for piece in [*_HAN_SPLIT.split(run.group()), ""]:
            s, e = start, start + len(piece)
            start = e + _connective_length(text, e)
            s, e = _strip_cues(text, s, e, cues)
            if e - s >= 2:
                yield s, e


def _connective_length(text: str, at: int) -> int:
    match = _HAN_SPLIT.match(text, at)
    return len(match.group()) if match else 0


def _strip_cues(text: str, start: int, end: int, cues: Sequence[str]) -> tuple[int, int]:
    changed = True
    while changed and end - start > 2:
        changed = False
        for cue in cues:
            if text.startswith(cue, start, end) and end - start - len(cue) >= 2:
                start += len(cue)
                changed = True
                break
            if text.endswith(cue, start, end) and end - start - len(cue) >= 2:
                end -= len(cue)
                changed = True
                break
    return start, end


def _linkable_nodes(store: GraphStore, config: LinkerConfig) -> Iterable[Node]:
    excluded = set(config.exclude_ids)
    for root in config.exclude_under:
        if store.has_node(root):
            excluded |= _descendants(store, root, config.hierarchy_relation)
    types = config.node_types or (None,)
    for node_type in types:
        for node in store.iter_nodes(node_type):
            if node.id not in excluded:
                yield node


def _descendants(store: GraphStore, root: str, relation: str) -> set[str]:
    seen, frontier = {root}, [root]
    while frontier:
        nxt = []
        for node_id in frontier:
            for child in store.neighbors(node_id, relation, Direction.IN):
                if child not in seen:
                    seen.add(child)
                    nxt.append(child)
        frontier = nxt
    return seen


class _DenseFactory:
    """Builds each dense index on first use (thread-safe), from the sidecar cache if there."""

    def __init__(self, store: GraphStore, nodes: Sequence[Node], config: LinkerConfig,
                 home: Path | None, english: Encoder, multilingual: Encoder) -> None:
        self._store = store
        self._nodes = nodes
        self._config = config
        self._home = home
        self._encoders = {"en": english, "ml": multilingual}
        self._indexes: dict[str, DenseIndex | None] = {}
        self._lock = threading.Lock()

    def english(self) -> DenseIndex | None:
        return self._index("en", all_names=True)

    def _all_names(self, which: str) -> bool:
        return which == "en" or self._config.multilingual_names == "all"

    def prepare(self, which: str, progress: ProgressFor | None) -> None:
        """Build index ``which`` ("en" or "ml") now, with a progress bar when it is embedded."""
        with self._lock:
            if which in self._indexes:
                return
            encoder = self._encoders[which]
            all_names = self._all_names(which)
            rows, names, cache = self._names(encoder, all_names)
            known = None if cache.is_file() else self._labels_known(encoder, all_names)
            if progress is None or cache.is_file():
                self._indexes[which] = DenseIndex.build(encoder, rows, names, cache, known=known)
                return
            todo = len(set(names) - set(known or ()))
            with progress(f"{encoder.name} name index", todo) as advance:
                self._indexes[which] = DenseIndex.build(encoder, rows, names, cache, advance, known=known)

    def multilingual(self) -> DenseIndex | None:
        index = self._index("ml", all_names=self._all_names("ml"))
        config = self._config
        if index is None or not config.prior_relation or config.multilingual_prior <= 0:
            return index
        with self._lock:
            if "ml+prior" not in self._indexes:
                self._indexes["ml+prior"] = index.with_prior(self._prior(), config.multilingual_prior)
            return self._indexes["ml+prior"]

    def _prior(self) -> np.ndarray:
        """log(1 + number of ``prior_relation`` edges into each node), scaled to 0..1."""
        relation = self._config.prior_relation
        counts = np.array([len(self._store.neighbors(node.id, relation, Direction.IN))
                           for node in self._nodes], dtype=np.float64)
        prior = np.log1p(counts)
        return prior / prior.max() if prior.size and prior.max() > 0 else prior

    def _index(self, which: str, all_names: bool) -> DenseIndex | None:
        with self._lock:
            if which not in self._indexes:
                self._indexes[which] = self._build(self._encoders[which], all_names)
            return self._indexes[which]

    def _build(self, encoder: Encoder, all_names: bool) -> DenseIndex:
        rows, names, cache = self._names(encoder, all_names)
        logger.info("dense index %s: %d names (cache %s)", encoder.name, len(names), cache)
        known = None if cache.is_file() else self._labels_known(encoder, all_names)
        return DenseIndex.build(encoder, rows, names, cache, known=known)

    def _labels_known(self, encoder: Encoder, all_names: bool) -> dict[str, np.ndarray] | None:
        """The label vectors of this encoder's cached labels-only index, when an index of
        every name is being built: the labels need not be embedded again."""
        if not all_names:
            return None
        from kgdecide.link.dense import _read_cache

        _, labels, cache = self._names(encoder, False)
        vectors = _read_cache(cache, labels)
        return None if vectors is None else dict(zip(labels, vectors))

    def _names(self, encoder: Encoder, all_names: bool) -> tuple[list[int], list[str], Path]:
        """Rows, names and cache file of an index over labels (or every name)."""
        from kgdecide.link.lexicon import node_names
        from kgdecide.settings import Settings

        rows, names = [], []
        for row, node in enumerate(self._nodes):
            for name, _ in node_names(node) if all_names else [(node.label, None)]:
                if name:
                    rows.append(row)
                    names.append(name)
        snapshot = getattr(self._store, "snapshot", None)
        home = self._home or Settings.from_env().home
        return rows, names, embedding_cache_path(snapshot, home, self._store.version, encoder, names)
