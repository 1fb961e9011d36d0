"""What exposure, related and predict share: resolving identifiers, the graph as of a date with
hubs suppressed, walks from a seed, and paths with their dates.

:class:`FinanceGraph` is built once per store (``from_store``) and reused: it indexes every
identifier and caches the last few as-of views.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import InvalidQuery
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.store import GraphStore
from kgdecide.packs.finance import (
    COMPANY_TYPE, EXCHANGE_TYPE, IDENTIFIER_PROPERTIES, INDEX_TYPE, INDUSTRY_TYPE, LISTED_AS,
    SECTOR_TYPE, SIGNED_RELATIONS,
)
from kgdecide.packs.finance.temporal import AsOfView, Step, date_column, hub_rows, shortest_paths
from kgdecide.score.ppr import personalised_pagerank
from kgdecide.types import Direction

#: Node types that are hubs whatever their degree: they join everything to everything.
HUB_TYPES = (INDEX_TYPE, EXCHANGE_TYPE, SECTOR_TYPE, INDUSTRY_TYPE)


@dataclass(frozen=True, slots=True)
class WalkSettings:
    """How walks and paths treat the graph."""

    max_degree: int = 150  #: nodes with more neighbours (as of the date) are hubs: never crossed
    hub_exponent: float = 0.5  #: walk prefers low-degree neighbours: weight deg ** -hub_exponent
    target_exponent: float = 0.5  #: a reached node's score is divided by deg ** target_exponent
    restart: float = 0.3  #: chance per step of jumping back to the seed
    iterations: int = 25
    max_hops: int = 4  #: longest path shown
    paths: int = 3  #: paths shown per answer


@dataclass(frozen=True, slots=True)
class PathStep:
    """One edge of an explained path."""

    subject: str
    relation: str
    object: str
    forward: bool  #: followed subject -> object (False: against the edge)
    valid_from: str | None  #: first week the fact was reported (ISO date)
    last_seen: str | None  #: last week it was reported, as far as the as-of date
    mentions: int | None  #: weeks it was reported in (FinDKG)


@dataclass(frozen=True, slots=True)
class ExplainedPath:
    nodes: tuple[dict[str, str], ...]  #: {id, label, type} per node, seed first
    steps: tuple[PathStep, ...]
    sign: int  #: +1 / -1 from signed relations (positive/negative impact), 0 when none says


class FinanceGraph:
    """The finance graph with its identifier index and as-of views."""

    def __init__(self, graph: ArrayGraph, settings: WalkSettings | None = None) -> None:
        self.graph = graph
        self.settings = settings or WalkSettings()
        self._views: OrderedDict[tuple[Any, ...], tuple[AsOfView, np.ndarray]] = OrderedDict()
        self._memo: OrderedDict[tuple[Any, ...], Any] = OrderedDict()  #: walks and paths
        self._lock = threading.Lock()

    @classmethod
    def from_store(cls, store: GraphStore, settings: WalkSettings | None = None) -> FinanceGraph:
        return cls(store.projection(), settings)

    @property
    def version(self) -> str:
        return self.graph.version

    # --- dates ------------------------------------------------------------------------------

    @cached_property
    def date_range(self) -> tuple[dt.date, dt.date]:
        """First and last ``valid_from`` of the news edges (the graph's time span)."""
        starts = [date_column(rel.columns.get("valid_from"), len(rel))
                  for name, rel in self.graph.relations.items() if "last_seen" in rel.columns]
        dates = np.concatenate(starts) if starts else np.zeros(0, "datetime64[D]")
        dates = dates[~np.isnat(dates)]
        if dates.size == 0:
            today = dt.date.today()
            return today, today
        return dates.min().astype(dt.date), dates.max().astype(dt.date) + dt.timedelta(days=6)

    def check_date(self, day: dt.date | None) -> tuple[dt.date | None, tuple[str, ...]]:
        """``day`` if the graph can answer for it, with notes; ``InvalidQuery`` before its start."""
        if day is None:
            return None, ()
        first, last = self.date_range
        if day < first:
            raise InvalidQuery("as_of", f"{day.isoformat()} is before the graph's first week "
                               f"({first.isoformat()}); use a date from {first.isoformat()} on")
        if day > last:
            return day, (f"the graph's news ends {last.isoformat()}: as of {day.isoformat()} it "
                         "answers with what was known then",)
        return day, ()

    # --- identifiers -------------------------------------------------------------------------

    @cached_property
    def _identifier_index(self) -> dict[str, list[int]]:
        """Upper-cased ticker, former ticker, ISIN, CUSIP, CIK -> rows."""
        index: dict[str, list[int]] = {}
        for key in ("ticker", "former_tickers", "isin", "cusip", "cik", "figi"):
            column = self.graph.node_columns.get(key)
            if column is None:
                continue
            for row in np.flatnonzero(_present(column)).tolist():
                value = column.get(row)
                for item in value if isinstance(value, tuple) else (value,):
                    rows = index.setdefault(str(item).upper(), [])
                    if row not in rows:
                        rows.append(row)
        return index

    def resolve(self, text: str, field: str = "id") -> int:
        """The row an identifier names: a node id, ticker, ISIN, CUSIP, CIK or an exact name.

        Raises ``InvalidQuery`` naming ``field`` when nothing matches, or when a name is
        ambiguous (listing the candidates to choose from).
        """
        text = (text or "").strip()
        if not text:
            raise InvalidQuery(field, "is empty; give a ticker, ISIN, node id or name")
        if text in self.graph.index:
            return self.graph.index[text]
        rows = self._identifier_index.get(text.upper().removeprefix("CIK:"), [])
        if not rows:
            rows = self.graph.lookup_rows(text)
        rows = self._prefer_listed(rows)
        if len(rows) == 1:
            return rows[0]
        if not rows:
            raise InvalidQuery(field, f"{text!r} is not a known ticker, ISIN, CUSIP, CIK, node id "
                               "or name; find it with GET /api/v1/finance/entities?q=")
        options = "; ".join(f"{self.graph.id_list[r]} ({self.graph.labels[r]}, "
                            f"{self.graph.type_names[self.graph.types[r]]})" for r in rows[:5])
        raise InvalidQuery(field, f"{text!r} is ambiguous: {options}; send one of these ids")

    def _prefer_listed(self, rows: list[int]) -> list[int]:
        """Among same-named nodes, a company and the listing it is ``listed_as`` are one answer:
        keep the listing."""
        if len(rows) < 2 or LISTED_AS not in self.graph.relations:
            return rows
        listed = [r for r in rows if self.graph.id_list[r].startswith("TICKER:")]
        aliases = set()
        for r in listed:
            aliases |= set(self.graph.neighbor_rows(r, LISTED_AS, Direction.IN).tolist())
        kept = [r for r in rows if r not in aliases]
        return kept or rows

    def identifiers(self, row: int) -> dict[str, Any]:
        """Every identifier known for a node (companies: ticker, exchange, name, ISIN, ...)."""
        g = self.graph
        out: dict[str, Any] = {"id": g.id_list[row], "label": g.labels[row],
                               "type": g.type_names[g.types[row]]}
        for key in IDENTIFIER_PROPERTIES:
            column = g.node_columns.get(key)
            value = column.get(row) if column is not None else None
            if value is not None:
                out[key] = value
        return out

    def company_aliases(self, row: int) -> np.ndarray:
        """The row and every node joined to it by ``listed_as`` (either way)."""
        if LISTED_AS not in self.graph.relations:
            return np.array([row])
        linked = self.graph.neighbor_rows(row, LISTED_AS, Direction.BOTH)
        return np.unique(np.concatenate([[row], linked]).astype(np.int64))

    def node_ref(self, row: int) -> dict[str, str]:
        g = self.graph
        return {"id": g.id_list[row], "label": g.labels[row], "type": g.type_names[g.types[row]]}

    # --- views and walks ---------------------------------------------------------------------

    def view(self, day: dt.date | None) -> tuple[AsOfView, np.ndarray]:
        """The as-of view and its hub mask, cached for the last 8 dates."""
        key = (day,)
        with self._lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        view = AsOfView.build(self.graph, day)
        always = np.flatnonzero(np.isin(self.graph.types, [c for c in (
            self.graph.type_code(t) for t in HUB_TYPES) if c is not None]))
        hubs = hub_rows(view, self.settings.max_degree, always)
        _ = view.adjacency, view.incidence  # build once, outside the lock's readers
        with self._lock:
            self._views[key] = (view, hubs)
            while len(self._views) > 8:
                self._views.popitem(last=False)
        return view, hubs

    def _remember(self, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()`` once per key (the last 4,096 kept): a batch of portfolios against one
        event walks once and explains each (event, holding) pair once."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > 4_096:
                self._memo.popitem(last=False)
        return value

    def walk(self, view: AsOfView, hubs: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        """Hub-suppressed personalised PageRank from the seeds, divided by deg ** target_exponent:
        one score per row, the seeds zeroed. Read-only: the array is shared between calls."""
        key = ("walk", view.day, tuple(sorted(int(s) for s in seeds)))
        return self._remember(key, lambda: self._walk(view, hubs, seeds))  # type: ignore[no-any-return]

    def _walk(self, view: AsOfView, hubs: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        s = self.settings
        blocked = hubs.copy()
        blocked[np.asarray(seeds, dtype=np.int64)] = False
        cache_key = ("walk", s.hub_exponent)
        parts = view.__dict__.get(cache_key)
        if parts is None:  # the view's walk without hubs: hubs differ per seed, so scale per call
            full = view.transition(s.hub_exponent)
            parts = view.__dict__[cache_key] = full
        transition = (parts @ sp.diags(np.where(blocked, 0.0, 1.0))).tocsr()
        restart = np.zeros((len(self.graph), 1))
        restart[np.asarray(seeds, dtype=np.int64), 0] = 1.0 / len(seeds)
        visits = personalised_pagerank(transition, restart, s.restart, s.iterations).ravel()
        visits = visits / np.maximum(view.degree, 1.0) ** s.target_exponent
        visits[np.asarray(seeds, dtype=np.int64)] = 0.0
        visits.setflags(write=False)
        return visits

    def explain(self, view: AsOfView, hubs: np.ndarray, source: int, target: int) -> list[ExplainedPath]:
        """Up to ``settings.paths`` shortest paths from source to target avoiding hubs, the most
        recently reported first."""
        key = ("paths", view.day, source, target)
        return list(self._remember(key, lambda: self._paths(view, hubs, source, target)))

    def _paths(self, view: AsOfView, hubs: np.ndarray, source: int, target: int) -> list[ExplainedPath]:
        found = shortest_paths(view, source, target, self.settings.max_hops,
                               self.settings.paths * 4, hubs)
        explained = [self._explain(view, source, steps) for steps in found]
        explained.sort(key=lambda p: tuple(sorted((s.last_seen or s.valid_from or "") for s in p.steps)),
                       reverse=True)
        return explained[: self.settings.paths]

    def _explain(self, view: AsOfView, source: int, steps: list[Step]) -> ExplainedPath:
        g = self.graph
        rows, out, sign, row = [source], [], 1, source
        signed = False
        for step in steps:
            k = step.edge
            relation = view.relation_names[view.rel[k]]
            props = view.edge_properties(k)
            last = props.get("last_seen")
            if last is not None and view.day is not None and str(last) > view.day.isoformat():
                last = None  # reported again after the as-of date: not known then
            out.append(PathStep(g.id_list[int(view.src[k])], relation, g.id_list[int(view.dst[k])],
                                step.forward, _str(props.get("valid_from")), _str(last),
                                int(props["mentions"]) if "mentions" in props else None))
            if relation in SIGNED_RELATIONS and step.forward:
                sign *= SIGNED_RELATIONS[relation]
                signed = True
            row = int(view.dst[k] if step.forward else view.src[k])
            rows.append(row)
        return ExplainedPath(tuple(self.node_ref(r) for r in rows), tuple(out), sign if signed else 0)

    def company_rows(self) -> np.ndarray:
        return self.graph.rows_of_type(COMPANY_TYPE)

    def news_alias(self, row: int, relations: Sequence[str]) -> int:
        """Among a company and its ``listed_as`` aliases, the one with most news edges (a ticker
        carries none: its FinDKG company does)."""
        aliases = self.company_aliases(row)
        counts = [sum(len(self.graph.neighbor_rows(int(a), r, Direction.BOTH)) for r in relations
                      if r in self.graph.relations) for a in aliases.tolist()]
        best = int(aliases[int(np.argmax(counts))])
        return best if max(counts) > 0 else row


def _present(column: Any) -> np.ndarray:
    if column.kind == "strs":
        return np.diff(column.ptr) > 0
    if column.kind == "str":
        return column.values >= 0
    return ~np.isnan(column.values)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def path_json(path: ExplainedPath) -> dict[str, Any]:
    """A path as plain JSON."""
    return {"nodes": list(path.nodes), "sign": path.sign,
            "steps": [{"subject": s.subject, "relation": s.relation, "object": s.object,
                       "forward": s.forward, "valid_from": s.valid_from, "last_seen": s.last_seen,
                       "mentions": s.mentions} for s in path.steps]}

