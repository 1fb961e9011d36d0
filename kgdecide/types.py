"""Typed records passed between kgdecide's stages.

Records are frozen: a stage never edits what an earlier stage produced. Ids are CURIE strings
(``HP:0001250``, ``OMIM:619340``); properties are read-only mappings of plain values.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Union

#: A property value as stored in the graph: lists are tuples so records stay immutable.
PropertyValue = Union[str, float, int, bool, tuple[str, ...]]

_EMPTY: Mapping[str, PropertyValue] = MappingProxyType({})


def _frozen(properties: Mapping[str, PropertyValue]) -> Mapping[str, PropertyValue]:
    if isinstance(properties, MappingProxyType):
        return properties
    return MappingProxyType(dict(properties))


class Direction(str, enum.Enum):
    """Which way an edge is followed from a node."""

    OUT = "out"  #: from subject to object
    IN = "in"  #: from object back to subject
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Node:
    """A typed node.

    >>> Node("HP:0001250", "PhenotypicFeature", "Seizure", ("Seizures",)).label
    'Seizure'
    """

    id: str  #: CURIE, unique in the graph
    type: str  #: schema type from ontology/kgdecide.ttl, e.g. ``Disease``
    label: str = ""  #: preferred human-readable name
    synonyms: tuple[str, ...] = ()  #: other names, in the order the source gives them
    properties: Mapping[str, PropertyValue] = field(default_factory=lambda: _EMPTY)  #: e.g. ``definition``

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a node needs a non-empty id")
        object.__setattr__(self, "synonyms", tuple(self.synonyms))
        object.__setattr__(self, "properties", _frozen(self.properties))


@dataclass(frozen=True, slots=True)
class Edge:
    """A typed directed edge ``subject -relation-> object`` with its properties.

    Properties carry provenance and qualifiers: ``frequency`` (0..1), ``source``, ``evidence``,
    ``publications``, ``onset``, ``valid_from``/``valid_to`` (ISO dates).
    """

    subject: str  #: CURIE of the node the edge leaves
    relation: str  #: relation name from the schema, e.g. ``has_phenotype``
    object: str  #: CURIE of the node the edge reaches
    properties: Mapping[str, PropertyValue] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not (self.subject and self.relation and self.object):
            raise ValueError("an edge needs a subject, a relation and an object")
        object.__setattr__(self, "properties", _frozen(self.properties))


@dataclass(frozen=True, slots=True)
class Path:
    """A walk through the graph: ``nodes[i] -relations[i]-> nodes[i+1]`` (or against the edge).

    ``forward[i]`` is False where step ``i`` follows an edge from its object back to its subject.
    """

    nodes: tuple[str, ...]
    relations: tuple[str, ...]
    forward: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.nodes) != len(self.relations) + 1 or len(self.forward) != len(self.relations):
            raise ValueError("a path of n steps has n relations, n directions and n+1 nodes")

    def __len__(self) -> int:
        return len(self.relations)


@dataclass(frozen=True, slots=True)
class Subgraph:
    """A set of nodes and the edges among them."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class GraphCounts:
    """Sizes of a graph, by node type and by relation."""

    nodes_by_type: Mapping[str, int]
    edges_by_relation: Mapping[str, int]

    @property
    def nodes(self) -> int:
        return sum(self.nodes_by_type.values())

    @property
    def edges(self) -> int:
        return sum(self.edges_by_relation.values())


def is_missing(value: object) -> bool:
    """True for a property value that is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


class AssertionStatus(str, enum.Enum):
    """What the text says about a mentioned finding.

    Only ``PRESENT`` mentions become observed findings and only ``EXCLUDED`` ones excluded
    findings; the others are reported to the user but not used for scoring.
    """

    PRESENT = "present"  #: the patient (or subject) has it
    EXCLUDED = "excluded"  #: negated: "no fever", "denies", "ruled out", 无发热
    FAMILY = "family"  #: said of a relative: "mother has short stature"
    UNCERTAIN = "uncertain"  #: "possible", "suspected", 疑似
    HISTORICAL = "historical"  #: "history of", "previously", 既往
    HYPOTHETICAL = "hypothetical"  #: "if seizures recur", "at risk of", "monitor for"


class Experiencer(str, enum.Enum):
    """Whose finding a mention is: only ``PATIENT`` mentions are scored.

    A case report names findings of many others besides its patient: relatives, previously
    reported patients and cohorts, the disease in general, animal and cell models.
    """

    PATIENT = "patient"  #: this patient (the subject of the note, the index case of a report)
    RELATIVE = "relative"  #: a family member: "her mother has short stature"
    OTHERS = "others"  #: other patients: a cohort, a table of previously reported cases
    GENERAL = "general"  #: the disease in general: "X syndrome is characterised by ..."
    MODEL = "model"  #: an animal or cell model: "knockout mice die in the neonatal period"


@dataclass(frozen=True, slots=True)
class Mention:
    """A span of text linked to a graph node.

    >>> m = Mention(0, 8, "Seizures", "HP:0001250", "Seizure", 0.98, AssertionStatus.PRESENT)
    >>> m.status.value, m.end - m.start == len(m.text)
    ('present', True)
    """

    start: int  #: offset of the first character in the input text (Python str index)
    end: int  #: offset one past the last character
    text: str  #: the span as written, ``input[start:end]``
    node_id: str  #: CURIE of the linked node
    label: str  #: the node's preferred label
    score: float  #: confidence in 0..1 that this span means this node
    status: AssertionStatus = AssertionStatus.PRESENT  #: negated, family, uncertain, ...
    #: runner-up candidates as ``(node_id, label, score)``, best first, for the UI
    alternatives: tuple[tuple[str, str, float], ...] = ()
    experiencer: Experiencer = Experiencer.PATIENT  #: whose finding it is
    section: str = ""  #: the kind of document section it sits in ("case", "discussion", ...)
    #: a general name inside a longer linked one ("hernia" in "hiatal hernia"): shown, the
    #: longer one says it all, so it is never a finding of its own
    implied: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"a mention needs 0 <= start <= end, got {self.start}..{self.end}")
        if not self.node_id:
            raise ValueError("a mention needs the id of the node it links to")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"a mention's score is in 0..1, got {self.score}")
        object.__setattr__(self, "status", AssertionStatus(self.status))
        object.__setattr__(self, "experiencer", Experiencer(self.experiencer))
        object.__setattr__(self, "alternatives", tuple(tuple(a) for a in self.alternatives))

    @property
    def scored(self) -> bool:
        """True when the mention is a finding of this patient: present or excluded, the
        patient's own, and not implied by a longer mention.

        >>> Mention(0, 5, "fever", "HP:0001945", "Fever", 0.9, "excluded").scored
        True
        >>> Mention(0, 5, "fever", "HP:0001945", "Fever", 0.9, experiencer="others").scored
        False
        """
        return (self.status in (AssertionStatus.PRESENT, AssertionStatus.EXCLUDED)
                and self.experiencer is Experiencer.PATIENT and not self.implied)


# --- the decision loop (issue 3): query, candidates, evidence, decision -----------------------


class FindingStatus(str, enum.Enum):
    """Whether a finding was observed or checked and found absent."""

    PRESENT = "present"
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of a case: a graph node that is present or was checked and is absent.

    >>> Finding("HP:0001250").status.value
    'present'
    """

    id: str  #: CURIE of the finding's node, e.g. ``HP:0001250``
    status: FindingStatus = FindingStatus.PRESENT  #: observed, or checked and absent

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a finding needs a non-empty id")
        object.__setattr__(self, "status", FindingStatus(self.status))

    @property
    def present(self) -> bool:
        return self.status is FindingStatus.PRESENT


@dataclass(frozen=True, slots=True)
class Query:
    """What to decide: findings in, the top ``top_k`` candidates out.

    >>> q = Query((Finding("HP:1"), Finding("HP:2", FindingStatus.EXCLUDED)))
    >>> [f.id for f in q.present], [f.id for f in q.excluded]
    (['HP:1'], ['HP:2'])
    """

    findings: tuple[Finding, ...]  #: each id at most once
    top_k: int = 10  #: how many candidates to return, explained
    candidate_prefixes: tuple[str, ...] = ()  #: only candidates whose id starts so (empty: all)
    #: the probability the prediction set should hold the diagnosis with (conformal)
    coverage: float = 0.9
    #: findings the patient was asked about and could not answer: never scored, never asked again
    not_known: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "candidate_prefixes", tuple(self.candidate_prefixes))
        object.__setattr__(self, "not_known", tuple(self.not_known))
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if not 0.0 < self.coverage < 1.0:
            raise ValueError("coverage must be between 0 and 1 (exclusive)")
        ids = [f.id for f in self.findings]
        if len(set(ids)) != len(ids):
            raise ValueError("a finding id appears more than once; merge duplicates first")

    @property
    def present(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.present)

    @property
    def excluded(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.present)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked answer: one entity, whichever of its ids the graph ranks.

    >>> Candidate("OMIM:154700", "Marfan syndrome", 3.2, 0.4, 1, ("ORPHA:558",)).equivalent
    ('ORPHA:558',)
    """

    id: str  #: CURIE of the candidate node, e.g. ``OMIM:619340``
    label: str  #: its name
    #: the raw score of the entity's best-scoring id (higher is better; scale depends on the scorer)
    score: float
    probability: float  #: calibrated probability that this entity is the answer (0..1)
    rank: int  #: 1 for the best
    #: the entity's other ids (e.g. ``ORPHA:558`` beside ``OMIM:154700``), sorted
    equivalent: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0 or self.rank < 1:
            raise ValueError("probability must be in 0..1 and rank at least 1")
        object.__setattr__(self, "equivalent", tuple(self.equivalent))
        if self.id in self.equivalent:
            raise ValueError(f"{self.id} is listed among its own equivalent ids")


@dataclass(frozen=True, slots=True)
class ScoredPath:
    """A path from a finding to a candidate and the share of the candidate's evidence it carries."""

    path: Path  #: finding ... candidate
    finding: str  #: the finding the path starts from
    share: float  #: score lost if this path's last edge were deleted, over the candidate's total
    #: absolute evidence (sum of |contributions|); paths ending in the same edge share it


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one finding adds to (or, negative, takes from) a candidate's score."""

    finding: str  #: CURIE of the finding
    status: FindingStatus  #: present or excluded
    value: float  #: signed term of the score's decomposition over findings (``Scorer.combines``)
    matched: str | None = None  #: the candidate's annotated node the finding matched, if any
    attention: float = 0.0  #: the finding's normalised weight for this candidate (heat maps)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a candidate is where it is."""

    candidate: str  #: CURIE of the candidate
    contributions: tuple[Contribution, ...]  #: one per finding, in query order
    paths: tuple[ScoredPath, ...]  #: the top paths, largest share first
    unexplained: tuple[str, ...]  #: present findings the candidate does not account for
    against: tuple[str, ...]  #: excluded findings that count against the candidate


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a decision came from, enough to reproduce it."""

    kg_version: str  #: the graph's content version
    scorer: str  #: registered scorer name
    model_version: str  #: trained model / calibration version, ``none`` when untrained
    settings_hash: str  #: hash of the scorer settings


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to a :class:`Query`: ranked, explained candidates and what was asked next."""

    query: Query
    candidates: tuple[Candidate, ...]  #: best first
    evidence: tuple[Evidence, ...]  #: aligned with ``candidates``
    next_questions: tuple[str, ...]  #: findings worth asking about, most informative first
    provenance: Provenance
    notes: tuple[str, ...] = ()  #: what was done to the input (ids mapped, dropped), no patient data
    mentions: tuple[Mention, ...] = ()  #: what the linker read in the case's text, in text order
    #: per finding of ``query``: ``coded`` (given as an id) or ``text`` (read from the text);
    #: empty means every finding was coded
    sources: tuple[str, ...] = ()
    #: the conformal prediction set at ``query.coverage``: candidate ids best first (the first
    #: ``len(prediction_set)`` of the ranking); empty when the model has no conformal scores
    prediction_set: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.sources and len(self.sources) != len(self.query.findings):
            raise ValueError("sources must name one source per finding of the query")

    def source_of(self, index: int) -> str:
        """Where ``query.findings[index]`` came from: ``coded`` or ``text``."""
        return self.sources[index] if self.sources else "coded"
