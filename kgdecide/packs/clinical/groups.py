"""One entry per disease: which OMIM, ORPHA and DECIPHER ids name the same disease.

HPO annotates a disease once per source, so Marfan syndrome is both ``OMIM:154700`` and
``ORPHA:558``; ranked apart they split its probability and fill the list with duplicates. This
module finds such pairs from what the clinical graph already holds (disease names and the causal
genes of ``genes_to_phenotype.txt``; the wheel's ``phenotype_to_genes.txt`` holds the same
gene-disease pairs, a subset, so it adds nothing) and ``build clinical`` writes each pair as a
``same_disease_as`` edge. The ranking (:class:`kgdecide.pipeline.Ranker`) shows one candidate per
connected group.

The rule, in order (a pair is accepted only if every condition of its step holds):

1. **Same name.** An OMIM and an ORPHA disease whose *name keys* are equal: the set of words of
   the name, case and accents folded, roman numerals after ``type``/``group``/``class`` or of two
   or more letters read as numbers, and the words *syndrome, disease, disorder, type, the, of, and,
   with, due, to* dropped (so "Spastic paraplegia 15, autosomal recessive" = "Autosomal recessive
   spastic paraplegia type 15"). The key must name exactly one disease in each source; if both
   have causal genes they must share one; and the name must have no *subtypes* in either source:
   no disease whose key is this key plus only subtype words (numbers, single letters,
   *complementation group*, *subtype*, *autosomal dominant/recessive*, *X-/Y-linked*,
   *mitochondrial*). "Fanconi anemia" (OMIM:227650, group A) is thus kept apart from
   ORPHA:84 "Fanconi anemia", which covers groups A to W: an Orphanet umbrella is never merged
   with one of its OMIM members, because the clinician reading "Fanconi anemia" is told the
   umbrella's probability belongs to group A, and a case of group C would count as found.
2. **Same genes.** An OMIM and an ORPHA disease with the same non-empty set of causal genes,
   where no other disease in either source is linked to any of those genes ("PMM2-CDG" =
   "Congenital disorder of glycosylation, type Ia"). Genes shared with a third disease (FBN1
   causes eight OMIM diseases) prove nothing and are not used.
3. **DECIPHER.** A DECIPHER syndrome joins an OMIM or ORPHA disease by step 1's name test, on its
   name, its name without a parenthesis, or a parenthesised alias ("22q11 deletion syndrome
   (Velocardiofacial / DiGeorge syndrome)" -> "DiGeorge syndrome"). Only DECIPHER may put two ids
   of one source in a group: "Prader-Willi syndrome (Type 1)" and "(Type 2)" are two deletion
   classes of one syndrome.

Pairs are joined in that order and a pair that would put two OMIM ids (or two ORPHA ids) in one
group is refused, so a group is at most one OMIM disease, one ORPHA disease and DECIPHER entries:
two OMIM subtypes of one gene (different inheritance, different entries) are never merged.
docs/EVALUATION.md ("Disease grouping") reports the rule's precision on pairs checked by hand.

What a clinician expects decided the edges: one row for what they would call one disease, and
an umbrella apart from its subtypes, because an OMIM subtype is a diagnosis of its own (it names
the gene and the inheritance) and the umbrella's probability is not the subtype's. Missed on
purpose: aliases in parentheses of OMIM titles are not read ("Epileptic encephalopathy, early
infantile, 6 (Dravet syndrome)" stays apart from ORPHA's "Dravet syndrome"), since many such
parentheses name a family ("(Zellweger)", "(Morquio)") rather than the disease.

>>> name_key("Anemia, sideroblastic, X-linked") == name_key("X-linked sideroblastic anemia")
True
>>> sorted(name_key("Hyperoxaluria, primary, type II"))
['2', 'hyperoxaluria', 'primary']
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.packs.clinical import DISEASE_TYPE, GENE_ASSOCIATED_WITH_CONDITION

OMIM, ORPHA, DECIPHER = "OMIM", "ORPHA", "DECIPHER"
#: ``rule`` property of a ``same_disease_as`` edge, by step of the module docstring.
SAME_NAME, SAME_GENES = "same name", "same genes"

#: Words that do not tell two diseases apart.
_GENERIC = frozenset({"syndrome", "disease", "disorder", "type", "the", "of", "and", "with",
                      "due", "to"})
#: Words that make a subtype of a name (beside numbers and single letters).
_SUBTYPE_WORDS = frozenset({"complementation", "group", "subtype", "autosomal", "dominant",
                            "recessive", "x", "y", "linked", "mitochondrial"})
_SUBTYPE_TOKEN = re.compile(r"\d+[a-z]?|[a-z]")
_ROMAN = re.compile(r"(?P<numeral>[ivx]+?)(?P<letter>[a-d]?)")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_WORD = re.compile(r"[a-z0-9]+")
_PARENTHESIS = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True, slots=True)
class Equivalence:
    """Two disease ids for the same disease, and the step that joined them."""

    subject: str  #: the ORPHA or DECIPHER id
    object: str  #: the OMIM id, or the ORPHA id a DECIPHER entry joins
    rule: str  #: :data:`SAME_NAME` or :data:`SAME_GENES`


def name_key(name: str) -> frozenset[str]:
    """The words of a disease name that identify it (module docstring, step 1).

    >>> sorted(name_key("Mucopolysaccharidosis type VII")), sorted(name_key("Factor V deficiency"))
    (['7', 'mucopolysaccharidosis'], ['deficiency', 'factor', 'v'])
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = _WORD.findall(folded)
    key = []
    for i, word in enumerate(words):
        after_type = i > 0 and words[i - 1] in ("type", "group", "class")
        number = _roman(word) if (len(word) > 1 and word != "via") or after_type else None
        if word not in _GENERIC:
            key.append(number or word)
    return frozenset(key)


def _roman(word: str) -> str | None:
    """``vii`` -> ``7``, ``iia`` -> ``2a``; None for a word that is no roman numeral."""
    match = _ROMAN.fullmatch(word)
    if match is None:
        return None
    values = [_ROMAN_VALUES[c] for c in match["numeral"]]
    total = sum(-v if v < nxt else v for v, nxt in zip(values, values[1:] + [0]))
    if total > 39 or _to_roman(total) != match["numeral"]:  # "iiv", "vx": not numerals
        return None
    return f"{total}{match['letter']}"


def _to_roman(number: int) -> str:
    out = "x" * (number // 10)
    units = number % 10
    return out + ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")[units]


def _stem(key: frozenset[str]) -> frozenset[str]:
    return frozenset(w for w in key if w not in _SUBTYPE_WORDS and not _SUBTYPE_TOKEN.fullmatch(w))


def source_of(disease_id: str) -> str:
    return disease_id.partition(":")[0]


@dataclass(eq=False)
class _Names:
    """Name keys of one source's diseases, looked up by key and by stem."""

    by_key: dict[frozenset[str], list[str]]
    by_stem: dict[frozenset[str], list[frozenset[str]]]

    @classmethod
    def of(cls, keys: Mapping[str, frozenset[str]]) -> _Names:
        by_key: dict[frozenset[str], list[str]] = defaultdict(list)
        by_stem: dict[frozenset[str], list[frozenset[str]]] = defaultdict(list)
        for disease, key in keys.items():
            if key:
                by_key[key].append(disease)
                by_stem[_stem(key)].append(key)
        return cls(dict(by_key), dict(by_stem))

    def only(self, key: frozenset[str]) -> str | None:
        """The one disease with this key, None for none or several."""
        found = self.by_key.get(key, ())
        return found[0] if len(found) == 1 else None

    def has_subtypes(self, key: frozenset[str]) -> bool:
        """Whether some disease's key is ``key`` plus subtype words only."""
        return any(key < other for other in self.by_stem.get(_stem(key), ()))


def disease_equivalences(graph: ArrayGraph) -> tuple[Equivalence, ...]:
    """The ``same_disease_as`` pairs of a clinical graph, by the rule of the module docstring."""
    rows = graph.rows_of_type(DISEASE_TYPE).tolist()
    ids = [graph.id_list[r] for r in rows]
    keys = {d: name_key(graph.labels[r]) for d, r in zip(ids, rows)}
    names = {s: _Names.of({d: k for d, k in keys.items() if source_of(d) == s})
             for s in (OMIM, ORPHA, DECIPHER)}
    genes = _causal_genes(graph)
    candidates = [*_same_name(names, genes), *_same_genes(ids, genes),
                  *_decipher_names(ids, graph, names)]
    return tuple(_join(candidates))


def _causal_genes(graph: ArrayGraph) -> dict[str, frozenset[str]]:
    """Disease id -> ids of the genes ``genes_to_phenotype.txt`` links it to."""
    found: dict[str, set[str]] = defaultdict(set)
    relation = graph.relations.get(GENE_ASSOCIATED_WITH_CONDITION)
    if relation is not None:
        for gene, disease in zip(relation.subjects.tolist(), relation.objects.tolist()):
            found[graph.id_list[disease]].add(graph.id_list[gene])
    return {d: frozenset(g) for d, g in found.items()}


def _name_partner(key: frozenset[str], source: str, names: Mapping[str, _Names]) -> str | None:
    """The disease of ``source`` with this key, if the key names one disease there and has no
    subtypes in OMIM or ORPHA."""
    if not key or names[OMIM].has_subtypes(key) or names[ORPHA].has_subtypes(key):
        return None
    return names[source].only(key)


def _same_name(names: Mapping[str, _Names], genes: Mapping[str, frozenset[str]]
               ) -> Iterator[Equivalence]:
    for key, orpha in names[ORPHA].by_key.items():
        if len(orpha) != 1:
            continue
        omim = _name_partner(key, OMIM, names)
        if omim is None:
            continue
        a, b = genes.get(orpha[0], frozenset()), genes.get(omim, frozenset())
        if a and b and not a & b:  # same name, unrelated genes: a different disease
            continue
        yield Equivalence(orpha[0], omim, SAME_NAME)


def _same_genes(ids: Iterable[str], genes: Mapping[str, frozenset[str]]) -> Iterator[Equivalence]:
    carriers: dict[str, set[str]] = defaultdict(set)
    for disease, linked in genes.items():
        for gene in linked:
            carriers[gene].add(disease)
    for orpha in ids:
        linked = genes.get(orpha)
        if source_of(orpha) != ORPHA or not linked:
            continue
        sharing = set().union(*(carriers[g] for g in linked)) - {orpha}
        if len(sharing) != 1:
            continue
        omim = sharing.pop()
        if source_of(omim) == OMIM and genes[omim] == linked:
            yield Equivalence(orpha, omim, SAME_GENES)


def _decipher_names(ids: Iterable[str], graph: ArrayGraph, names: Mapping[str, _Names]
                    ) -> Iterator[Equivalence]:
    for decipher in ids:
        if source_of(decipher) != DECIPHER:
            continue
        partners: dict[str, str] = {}
        for key in _decipher_keys(graph.labels[graph.index[decipher]]):
            for source in (OMIM, ORPHA):
                partner = _name_partner(key, source, names)
                if partner is not None:
                    partners.setdefault(source, partner)
        for source in (OMIM, ORPHA):
            if source in partners:
                yield Equivalence(decipher, partners[source], SAME_NAME)


def _decipher_keys(name: str) -> list[frozenset[str]]:
    """Keys of a DECIPHER name: as written, without its parentheses, and each alias inside
    them ("Velocardiofacial / DiGeorge syndrome"); a parenthesis of subtype words only ("Type
    1") marks a class of the same syndrome, and abbreviations ("WBS") are skipped."""
    outside = _PARENTHESIS.sub(" ", name)
    keys = [name_key(name), name_key(outside)]
    for inside in _PARENTHESIS.findall(name):
        for alias in inside.split("/"):
            key = name_key(alias)
            if len(alias.split()) > 1 and _stem(key):
                keys.append(key)
    return [k for k in dict.fromkeys(keys) if k]


def _join(candidates: Iterable[Equivalence]) -> Iterator[Equivalence]:
    """The candidates, in order, that keep every group to one OMIM and one ORPHA id."""
    group: dict[str, int] = {}
    members: dict[int, list[str]] = {}
    for pair in candidates:
        a = group.setdefault(pair.subject, len(group))
        members.setdefault(a, [pair.subject])
        b = group.setdefault(pair.object, len(group))
        members.setdefault(b, [pair.object])
        if a == b:
            continue
        joined = members[a] + members[b]
        sources = [source_of(d) for d in joined]
        if sources.count(OMIM) > 1 or sources.count(ORPHA) > 1:
            continue
        for disease in members.pop(b):
            group[disease] = a
        members[a] = joined
        yield pair
