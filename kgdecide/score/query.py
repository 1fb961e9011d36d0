"""From finding ids to graph rows: obsolete ids mapped, unknown ids reported, bad input named.

Defined behaviour for awkward input (tested in tests/unit/score/test_query.py):

* no present finding -> ``InvalidQuery("findings", ...)``;
* more than :data:`MAX_FINDINGS` findings -> ``InvalidQuery("findings", ...)``;
* an id not in the graph, or not of the finding type -> strict: ``InvalidQuery`` naming it;
  lenient: dropped and listed in ``unknown``;
* an obsolete id -> mapped through the domain's replacement relations (first one that leads to a
  live finding), listed in ``mapped``;
* duplicates (also after mapping) -> merged, silently: a finding said twice is one finding;
* the same finding present and excluded -> strict: ``InvalidQuery``; lenient: dropped from both
  and listed in ``contradictory``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kgdecide.errors import InvalidQuery
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.base import DomainSpec

#: The most findings one query may carry (a case report has tens; thousands mean a mistake).
MAX_FINDINGS = 1000


@dataclass(frozen=True, slots=True)
class Resolved:
    """Findings as graph rows, and what was done to get there."""

    rows: tuple[int, ...]  #: graph rows, present ones first, each once
    present: tuple[bool, ...]  #: aligned with ``rows``
    ids: tuple[str, ...]  #: the live ids used, aligned with ``rows``
    mapped: tuple[tuple[str, str], ...] = ()  #: (obsolete id, live id)
    unknown: tuple[str, ...] = ()  #: ids dropped: not in the graph or not findings
    contradictory: tuple[str, ...] = ()  #: ids dropped: both present and excluded

    def notes(self) -> tuple[str, ...]:
        """Human-readable notes (ids only, never patient text)."""
        out = [f"{old} is obsolete; used {new}" for old, new in self.mapped]
        out += [f"{i} is not a known finding; ignored" for i in self.unknown]
        out += [f"{i} is both present and excluded; ignored" for i in self.contradictory]
        return tuple(out)


def resolve(graph: ArrayGraph, spec: DomainSpec, observed: Sequence[str],
            excluded: Sequence[str] = (), strict: bool = True) -> Resolved:
    """Map finding ids to graph rows (see the module docstring for the rules).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> r = resolve(toy_graph(), TOY_SPEC, ["S:old", "S:focal", "S:nope"], [], strict=False)
    >>> r.ids, r.mapped, r.unknown
    (('S:seizure', 'S:focal'), (('S:old', 'S:seizure'),), ('S:nope',))
    """
    if len(observed) + len(excluded) > MAX_FINDINGS:
        raise InvalidQuery("findings", f"{len(observed) + len(excluded)} findings; at most "
                           f"{MAX_FINDINGS} are accepted: send the case's findings, not a list of terms")
    finding_code = graph.type_code(spec.finding_type)
    mapped: dict[str, str] = {}
    unknown: list[str] = []

    def live(node_id: str) -> str | None:
        row = graph.index.get(node_id)
        if row is not None and graph.types[row] == finding_code:
            return node_id
        new = _replacement(graph, spec, row, finding_code) if row is not None else None
        if new is None:
            if strict:
                raise InvalidQuery("findings", f"{node_id} is not a known {spec.finding_type} "
                                   "in this graph; check the id or rebuild the graph")
            unknown.append(node_id)
            return None
        mapped[node_id] = new
        return new

    present = _unique(x for x in (live(i) for i in observed) if x)
    absent = _unique(x for x in (live(i) for i in excluded) if x)
    both = [i for i in present if i in set(absent)]
    if both and strict:
        raise InvalidQuery("findings", f"{both[0]} is both present and excluded; keep one")
    present = [i for i in present if i not in both]
    absent = [i for i in absent if i not in both]
    if not present:
        raise InvalidQuery("findings", "no present finding left to score: give at least one "
                           "observed finding the graph knows")
    ids = present + absent
    return Resolved(
        rows=tuple(graph.index[i] for i in ids),
        present=tuple([True] * len(present) + [False] * len(absent)),
        ids=tuple(ids), mapped=tuple(mapped.items()), unknown=tuple(_unique(unknown)),
        contradictory=tuple(both),
    )


def _replacement(graph: ArrayGraph, spec: DomainSpec, row: int, finding_code: int | None) -> str | None:
    """The live finding an obsolete node points to, following replacement relations in order."""
    for name in spec.replacement_relations:
        if name not in graph.relations:
            continue
        rel = graph.relations[name]
        for other in rel.objects[rel.indptr[row] : rel.indptr[row + 1]].tolist():
            if graph.types[other] == finding_code:
                return graph.id_list[other]
    return None


def _unique(items: object) -> list[str]:
    return list(dict.fromkeys(items))  # type: ignore[call-overload]
