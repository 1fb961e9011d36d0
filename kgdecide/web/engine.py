"""What the views call: graph reads, linking and decisions over heavy objects built once.

:class:`Engine` holds the store, the linker, the search index, the decision function and the audit
log; :func:`kgdecide.web.create_app` builds one per app at start and keeps it in
``app.extensions["kgdecide"]``. For decisions it is an adapter only: request -> coded
:class:`~kgdecide.types.Query` and text -> :func:`kgdecide.pipeline.decide` (through the
:class:`~kgdecide.web.decider.Decider`) -> response body and audit record. A coded request (no
text) may be answered from the response cache (:mod:`kgdecide.web.cache`) when the decider can
name the versions a decision depends on; it is audited all the same. ``/rank`` batches always
decide. Nothing here imports Flask, so it is tested without a server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kgdecide.errors import InvalidQuery, KgdecideError
from kgdecide.graph.store import GraphStore
from kgdecide.types import Direction, Finding, FindingStatus, Query
from kgdecide.web import present
from kgdecide.web.audit import AuditRecord
from kgdecide.web.cache import ResponseCache, decision_key
from kgdecide.web.decider import Decider
from kgdecide.web.errors import ApiError, from_kgdecide
from kgdecide.web.schemas import DecideRequest, NeighborsQuery, PathsQuery, RankRequest
from kgdecide.web.search import Hit, PrefixIndex

if TYPE_CHECKING:  # the linker is optional (the [link] extra); imported where it is built
    from kgdecide.link import Linker, LinkResult

logger = logging.getLogger(__name__)

SCORER_MISSING = "scorer not available in this build"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


#: Seconds the graph and audit counts shown by /healthz and /metrics may be old.
COUNTS_TTL = 30.0


@dataclass(frozen=True, slots=True)
class Case:
    """One case as parsed from a request: text and coded findings."""

    text: str | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Counts:
    """Graph and audit sizes, read at most once per :data:`COUNTS_TTL` seconds."""

    version: str
    nodes: int
    edges: int
    nodes_by_type: Mapping[str, int]
    edges_by_relation: Mapping[str, int]
    decisions: int
    read_at: float  #: time.monotonic() when read


class Engine:
    """The web layer's access to the pipeline."""

    def __init__(self, store: GraphStore, linker: Linker | None, index: PrefixIndex,
                 audit: Any, decider: Decider | None, counts_ttl: float = COUNTS_TTL,
                 cache: ResponseCache | None = None) -> None:
        self.store = store
        self.linker = linker
        self.index = index
        self.audit = audit  #: a :class:`kgdecide.web.storage.Audit`
        self.decider = decider
        #: coded decisions' bodies (None: every request decides); used only with a decider that
        #: has ``identity`` (see :meth:`_cache_key`)
        self.cache = cache
        self.counts_ttl = counts_ttl
        self._counts: Counts | None = None
        self._counts_lock = threading.Lock()

    @property
    def decide_available(self) -> bool:
        return self.decider is not None

    def counts(self) -> Counts:
        """Graph and audit sizes, cached: a health probe or a scrape every second must not count
        the whole store (a query per call on Neo4j) or the audit table each time."""
        now = time.monotonic()
        cached = self._counts
        if cached is not None and now - cached.read_at < self.counts_ttl:
            return cached
        with self._counts_lock:
            if self._counts is None or now - self._counts.read_at >= self.counts_ttl:
                graph = self.store.counts()
                self._counts = Counts(self.store.version, graph.nodes, graph.edges,
                                      dict(graph.nodes_by_type), dict(graph.edges_by_relation),
                                      self.audit.count(), time.monotonic())
            return self._counts

    # --- graph reads -------------------------------------------------------------------------

    def search(self, q: str, node_type: str | None, limit: int) -> list[Hit]:
        return self.index.search(q, node_type, limit)

    def neighbors(self, node_id: str, query: NeighborsQuery) -> dict[str, Any]:
        """A page of the edges at a node, with the node at their other end."""
        center = self.store.get_node(node_id)
        directions = [Direction.OUT, Direction.IN] if query.direction == "both" \
            else [Direction(query.direction)]
        rows = []
        for direction in directions:
            for edge in self.store.edges(node_id, None, direction):
                other = edge.object if direction is Direction.OUT else edge.subject
                rows.append((edge, other, direction.value))
        refs = {other: present.node_ref(self.store, other) for _, other, _ in rows}
        if query.type is not None:
            rows = [r for r in rows if refs[r[1]]["type"] == query.type]
        counts = Counter(edge.relation for edge, _, _ in rows)
        if query.relation is not None:
            rows = [r for r in rows if r[0].relation == query.relation]
        offset = self._read_cursor(query)
        page = rows[offset:offset + query.limit]
        more = offset + query.limit < len(rows)
        return {
            "node": {"id": center.id, "label": center.label, "type": center.type},
            "items": [{"edge": present.edge_json(e), "neighbor": refs[o], "direction": d}
                      for e, o, d in page],
            "counts": dict(sorted(counts.items())),
            "total": len(rows),
            "next_cursor": self._cursor(query, offset + query.limit) if more else None,
        }

    def _filters_digest(self, query: NeighborsQuery) -> str:
        text = json.dumps([self.store.version, query.relation, query.type, query.direction])
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def _cursor(self, query: NeighborsQuery, offset: int) -> str:
        raw = json.dumps({"o": offset, "f": self._filters_digest(query)}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _read_cursor(self, query: NeighborsQuery) -> int:
        """The offset a cursor points at; a cursor from other filters or another graph version
        is refused rather than silently skipping or repeating edges."""
        if query.cursor is None:
            return 0
        try:
            padded = query.cursor + "=" * (-len(query.cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            offset, digest = int(data["o"]), str(data["f"])
        except (ValueError, KeyError, TypeError, OverflowError):  # OverflowError: {"o": 1e999}
            raise InvalidQuery("cursor", "is not a cursor this API issued; pass next_cursor from "
                               "the previous page unchanged, or leave it out for the first page") from None
        if digest != self._filters_digest(query) or offset < 0:
            raise InvalidQuery("cursor", "belongs to other filters or an older graph version; "
                               "start again without a cursor")
        return offset

    def paths(self, query: PathsQuery) -> dict[str, Any]:
        """Shortest paths between two nodes, each step with its stored edge (provenance)."""
        relations = [r.strip() for r in query.relations.split(",") if r.strip()] \
            if query.relations else None
        for node_id, field in ((query.source, "source"), (query.target, "target")):
            if not self.store.has_node(node_id):
                raise ApiError(404, "node_not_found", f"{field} node {node_id!r} is not in the graph",
                               "Check the id; /api/v1/search?q= finds ids by label.", field)
        found = self.store.shortest_paths(query.source, query.target, query.max_hops, relations,
                                          query.limit)
        return {"paths": [self._path_json(p) for p in found]}

    def _path_json(self, path: Any) -> dict[str, Any]:
        edges = []
        for i, (relation, forward) in enumerate(zip(path.relations, path.forward)):
            subject, obj = (path.nodes[i], path.nodes[i + 1]) if forward \
                else (path.nodes[i + 1], path.nodes[i])
            stored = [e for e in self.store.edges(subject, relation, Direction.OUT) if e.object == obj]
            edges.append(present.edge_json(stored[0]) if stored else
                         {"subject": subject, "relation": relation, "object": obj, "properties": {}})
        return {"nodes": [present.node_ref(self.store, n) for n in path.nodes], "edges": edges,
                "forward": list(path.forward)}

    # --- linking and deciding ----------------------------------------------------------------

    def link(self, text: str) -> LinkResult:
        if self.linker is None:
            raise ApiError(503, "linker_unavailable", "the text linker is not available in this "
                           "build", "Send coded findings (ids) instead of text.")
        return self.linker.link(text)

    def decide(self, request: DecideRequest, key_id: str) -> dict[str, Any]:
        """Decide one case, store it in the audit log, and return the body to send."""
        case = Case(request.text, tuple(Finding(f.id, FindingStatus(f.status)) for f in request.findings))
        body, record = self._decide_case(case, request.target, request.scorer, request.top_k, key_id,
                                         request.coverage, tuple(request.not_known),
                                         cacheable=True)
        self.audit.append([record])  # before the response exists outside this process
        return body

    def rank(self, request: RankRequest, key_id: str) -> dict[str, Any]:
        """Decide each case of a batch; a case that fails gets an error, the others still run."""
        results, records = [], []
        for item in request.cases:
            case = Case(item.text, tuple(Finding(f.id, FindingStatus(f.status)) for f in item.findings))
            try:
                body, record = self._decide_case(case, request.target, request.scorer,
                                                 request.top_k, key_id, request.coverage)
            except ApiError as e:
                if e.status == 503:
                    raise  # nothing in the batch can succeed: say so once
                results.append({"id": item.id, "result": None, "error": _error_json(e)})
                continue
            except KgdecideError as e:
                results.append({"id": item.id, "result": None, "error": _error_json(from_kgdecide(e))})
                continue
            results.append({"id": item.id, "result": body, "error": None})
            records.append(record)
        self.audit.append(records)
        return {"results": results}

    def _decide_case(self, case: Case, target: str | None, scorer: str | None, top_k: int,
                     key_id: str, coverage: float = 0.9, not_known: tuple[str, ...] = (),
                     cacheable: bool = False) -> tuple[dict[str, Any], AuditRecord]:
        """One case's body and audit record; ``cacheable``: the response cache may answer it or
        keep it (single decisions; a batch of ``/rank`` always decides)."""
        if self.decider is None:
            raise ApiError(503, "scorer_unavailable", SCORER_MISSING,
                           "This server was built without the decision pipeline; install a "
                           "kgdecide build that includes it, or use /link and the graph reads.",
                           headers={"Retry-After": "3600"})
        # A finding sent twice counts once, at its first place, with its last status.
        unique = {f.id: f for f in case.findings}
        coded = Query(tuple(unique.values()), top_k, (target,) if target else (), coverage,
                      tuple(i for i in dict.fromkeys(not_known) if i not in unique))
        key, scorer_used = self._cache_key(case, coded, target, scorer) if cacheable \
            else (None, scorer)
        cached = self.cache.get(key) if key is not None and self.cache is not None else None
        decision_id, created = str(uuid.uuid4()), _now()
        if cached is not None:
            body = {**json.loads(cached), "id": decision_id, "created": created}
            findings = [{"id": f["id"], "status": f["status"], "source": f["source"]}
                        for f in body["findings"]]
            provenance = body["provenance"]
            versions = (provenance["kg_version"], provenance["model_version"],
                        provenance["scorer"], provenance["settings_hash"])
            stored = body  # coded only: no mention, no text
        else:
            decision = self.decider(coded, scorer_used, text=case.text, linker=self.linker)
            body = present.decision_json(decision, decision_id, created, self.store)
            # Serialised once here; the audit row keeps these bytes, less the mentions' text
            # spans unless the operator keeps free text.
            stored = body if self.audit.keep_free_text else present.without_span_text(body)
            findings = [{"id": f.id, "status": f.status.value, "source": decision.source_of(i)}
                        for i, f in enumerate(decision.query.findings)]
            versions = (decision.provenance.kg_version, decision.provenance.model_version,
                        decision.provenance.scorer, decision.provenance.settings_hash)
            if key is not None and self.cache is not None:
                reusable = {k: v for k, v in body.items() if k not in ("id", "created")}
                self.cache.put(key, json.dumps(reusable, ensure_ascii=False).encode())
        record = AuditRecord(
            decision_id, created, key_id, *versions,
            {"findings": findings, "target": target, "scorer": scorer, "top_k": top_k,
             "coverage": coverage, "not_known": list(coded.not_known)},
            json.dumps(stored, ensure_ascii=False, sort_keys=True), case.text)
        return body, record

    def _cache_key(self, case: Case, coded: Query, target: str | None, scorer: str | None
                   ) -> tuple[str | None, str | None]:
        """(The response cache key of a coded request, or None; the scorer to decide with).

        Only requests without text have a key. The decider names the scorer it would use (the
        default, resolved once here so that the key and the decision agree even while the
        default changes) and the graph and model versions behind it."""
        identity = getattr(self.decider, "identity", None)
        if self.cache is None or identity is None or (case.text is not None and case.text.strip()):
            return None, scorer
        scorer_used, kg_version, model_version, settings_hash = identity(scorer)
        asked = [(f.id, f.status.value) for f in coded.findings] + \
            [(i, "not_known") for i in coded.not_known]
        key = decision_key(kg_version, scorer_used, model_version, settings_hash, asked, target,
                           coded.top_k, coded.coverage)
        return key, scorer_used


def _error_json(e: ApiError) -> dict[str, Any]:
    return {"code": e.code, "message": e.message, "field": e.field, "fix": e.fix}
