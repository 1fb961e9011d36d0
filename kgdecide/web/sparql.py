"""Read-only SPARQL for explorers: ``GET/POST /api/v1/sparql`` over the server's RDF store.

* Who: keys whose role allows ``graph`` reads (explorer, analyst, admin; not clinician).
* What: SELECT, ASK, CONSTRUCT and DESCRIBE. The query is first parsed *and* evaluated by
  pyoxigraph against an empty in-memory store: SPARQL UPDATE (INSERT, DELETE, LOAD, CLEAR, ...)
  is not query grammar, so it fails there with a syntax error and is answered 400 before the
  real store is touched; the kind of result tells the query form. ``SERVICE`` is refused too
  (400), found by a small lexer that skips strings, IRIs and comments, because Oxigraph would
  fetch the remote endpoint over HTTP from the server (pyoxigraph exposes no parsed algebra to
  look into).
* Time limit: pyoxigraph cannot cancel a query, so it runs in one of ``SPARQL_WORKERS`` (default
  2) worker threads (pyoxigraph releases the GIL while it evaluates). The request waits at most
  ``SPARQL_TIMEOUT`` seconds (default 10) and then answers 503 with Retry-After; the worker stops
  at the next result row it reads after the deadline. A query that spends long in one step
  (a sort or aggregate over the whole store) keeps its worker until that step ends; while all
  workers are busy new queries get 503 at once, so runaway queries cannot pile up.
* Size limit: at most ``limit`` rows or triples (default 1000, at most 10000); ``truncated``
  says whether there were more.
* When the server's store is not an :class:`~kgdecide.graph.rdf.RdfStore` (embedded, Neo4j):
  501 naming how to serve one (``kgdecide ingest rdf --from-store NAME --store rdf:DIR``, then
  ``kgdecide serve --store rdf:DIR``). Building an Oxigraph copy of a 300k-edge embedded graph in
  the server would cost about a gigabyte and half a minute at start for a feature only explorers
  use, so it is not done silently.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app

from kgdecide.web import schemas, state
from kgdecide.web.api import json_body, json_response, query_args
from kgdecide.web.auth import authorize
from kgdecide.web.errors import ApiError

bp = Blueprint("sparql", __name__, url_prefix="/api/v1")

#: Default seconds a query may run before the request gives up (app config ``SPARQL_TIMEOUT``).
DEFAULT_TIMEOUT = 10.0
#: Default number of queries evaluated at once (app config ``SPARQL_WORKERS``).
DEFAULT_WORKERS = 2
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: Strings, IRIs, comments, variables and words of a SPARQL query, to find a SERVICE keyword.
_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[?$]\w+|[\w.:-]+|\S',
    re.S,
)


@dataclass
class _Runner:
    """The app's SPARQL workers and the slots that bound them."""

    workers: int
    timeout: float
    pool: ThreadPoolExecutor = field(init=False)
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kgdecide-sparql")
        self.slots = threading.BoundedSemaphore(self.workers)


@bp.record_once
def _setup(setup_state: Any) -> None:
    app: Flask = setup_state.app
    app.extensions["kgdecide.sparql"] = _Runner(
        int(app.config.get("SPARQL_WORKERS", DEFAULT_WORKERS)),
        float(app.config.get("SPARQL_TIMEOUT", DEFAULT_TIMEOUT)),
    )


@bp.get("/sparql")
def sparql_get() -> Response:
    authorize("graph")
    q = schemas.parse_query(schemas.SparqlQuery, query_args())
    return json_response(run_query(q.query, q.limit))


@bp.post("/sparql")
def sparql_post() -> Response:
    authorize("graph")
    q = schemas.parse_body(schemas.SparqlRequest, json_body())
    return json_response(run_query(q.query, q.limit))


def run_query(query: str, limit: int) -> dict[str, Any]:
    """Check ``query`` is read-only, then evaluate it on the app's RDF store within the limits."""
    from kgdecide.graph.rdf import RdfStore

    store = state().engine.store
    if not isinstance(store, RdfStore):
        raise ApiError(501, "not_rdf", f"this server's graph is a {type(store).__name__}, not an RDF "
                       "store, so it has no SPARQL endpoint",
                       "Load the graph into one with `kgdecide ingest rdf --from-store NAME --store "
                       "rdf:DIR` and serve it with `kgdecide serve --store rdf:DIR`.")
    check_read_only(query)
    runner: _Runner = current_app.extensions["kgdecide.sparql"]
    if not runner.slots.acquire(blocking=False):
        raise ApiError(503, "sparql_busy", "every SPARQL worker is busy with a query",
                       "Retry in a few seconds; a query that runs into the time limit keeps its "
                       "worker until it ends, so add LIMIT or narrow the patterns.",
                       headers={"Retry-After": "5"})
    cancel = threading.Event()
    deadline = time.monotonic() + runner.timeout
    future: Future[dict[str, Any]] = runner.pool.submit(_evaluate, store.oxigraph, query, limit, deadline, cancel)
    future.add_done_callback(lambda _: runner.slots.release())
    try:
        return future.result(timeout=runner.timeout)
    except (FutureTimeout, _Timeout):
        cancel.set()
        raise ApiError(503, "query_timeout", f"the query ran longer than {runner.timeout:g} s",
                       "Add LIMIT, bind more of the pattern to IRIs, or avoid sorting and "
                       "aggregating the whole graph.", "query", {"Retry-After": "5"}) from None
    except OSError as e:
        raise ApiError(503, "store_unavailable", f"the RDF store could not be read ({e})",
                       "Retry later.", headers={"Retry-After": "5"}) from e


def check_read_only(query: str) -> str:
    """The query's form (``select``, ``ask``, ``construct``: DESCRIBE gives ``construct``); raises
    a 400 :class:`ApiError` for updates, syntax errors and ``SERVICE``.

    >>> check_read_only("SELECT ?s WHERE { ?s ?p 'SERVICE' } # SERVICE")
    'select'
    >>> check_read_only("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    Traceback (most recent call last):
    ...
    kgdecide.web.errors.ApiError: not a read-only SPARQL query: error at 1:10: expected CONSTRUCT...
    """
    import pyoxigraph as ox

    if any(token.upper() == "SERVICE" for token in _TOKENS.findall(query)):
        raise ApiError(400, "service_refused", "SERVICE (federated queries) is not allowed here",
                       "Query this store only; remove the SERVICE clause.", "query")
    try:
        # Evaluated on an empty in-memory store: parses, and shows the form, at no cost.
        result = ox.Store().query(query)
    except SyntaxError as e:
        message = str(e).replace("\n", " ")
        raise ApiError(400, "invalid_sparql", f"not a read-only SPARQL query: {message}",
                       "Send one SELECT, ASK, CONSTRUCT or DESCRIBE query; updates (INSERT, "
                       "DELETE, LOAD, CLEAR, CREATE, DROP, ...) are refused.", "query") from None
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "select" if isinstance(result, ox.QuerySolutions) else "construct"


class _Timeout(Exception):
    """The worker passed the deadline between two result rows."""


def _evaluate(store: Any, query: str, limit: int, deadline: float, cancel: threading.Event) -> dict[str, Any]:
    import pyoxigraph as ox

    result = store.query(query)
    if isinstance(result, ox.QueryBoolean):
        return {"head": {}, "boolean": bool(result)}
    items: list[dict[str, Any]] = []
    truncated = False
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        for solution in result:
            if cancel.is_set() or time.monotonic() > deadline:
                raise _Timeout
            if len(items) == limit:
                truncated = True
                break
            items.append({n: term_json(solution[n]) for n in names if solution[n] is not None})
        return {"head": {"vars": names}, "results": {"bindings": items}, "truncated": truncated}
    for triple in result:
        if cancel.is_set() or time.monotonic() > deadline:
            raise _Timeout
        if len(items) == limit:
            truncated = True
            break
        items.append(_triple_json(triple))
    return {"head": {}, "triples": items, "truncated": truncated}


def term_json(term: Any) -> dict[str, Any]:
    """An RDF term in SPARQL 1.1 Query Results JSON form (RDF 1.2 triple terms as ``triple``).

    >>> import pyoxigraph as ox
    >>> term_json(ox.Literal("Seizure", language="en"))
    {'type': 'literal', 'value': 'Seizure', 'xml:lang': 'en'}
    """
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": _triple_json(term)}
    out: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value not in (_XSD_STRING, _LANG_STRING):
        out["datatype"] = term.datatype.value
    return out


def _triple_json(triple: Any) -> dict[str, Any]:
    return {"subject": term_json(triple.subject), "predicate": term_json(triple.predicate),
            "object": term_json(triple.object)}
