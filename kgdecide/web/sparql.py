"""Read-only SPARQL for explorers: ``GET/POST /api/v1/sparql`` over the server's RDF store.

* Who: keys whose role allows ``graph`` reads (explorer, analyst, admin; not clinician).
* What: SELECT, ASK, CONSTRUCT and DESCRIBE. The guard reads the query's parse tree, never its
  tokens and never a trial run: :func:`query_shape` parses it with spargebra, the parser Oxigraph
  evaluates with (through the ``kgdecide_native`` extension, pinned to the version pyoxigraph is
  built from), so guard and store cannot read one query two ways. The tree gives the query form,
  and a ``SERVICE`` anywhere in it (a sub-select, OPTIONAL, ``FILTER EXISTS``, ...) is refused
  (400 ``service_refused``), because Oxigraph would fetch that endpoint over HTTP from the server.
  SPARQL UPDATE (INSERT, DELETE, LOAD, CLEAR, ...) is not query grammar: 400 ``invalid_sparql``
  before the store is touched. Without the extension, rdflib's parse tree serves instead; it does
  not know RDF 1.2's ``<<( )>>``, so such queries are then refused as unreadable.
* Time limit: everything, the guard included, runs in one of ``SPARQL_WORKERS`` (default 2) worker
  threads (pyoxigraph releases the GIL while it evaluates). The request waits at most
  ``SPARQL_TIMEOUT`` seconds (default 10) and then answers 503 with Retry-After; the worker stops
  at the next result row it reads after the deadline. pyoxigraph cannot cancel a query, so one
  that spends long in one step (a sort, an aggregate, an ASK over a large cross product) keeps its
  worker until that step ends; while all workers are busy new queries get 503 at once, so runaway
  queries cannot pile up and never hold a request thread.
* Depth: the worker threads have a 256 MiB stack (:data:`STACK_BYTES`), so a query nested as
  deep as its 20,000 characters allow is parsed and evaluated instead of overflowing the stack,
  which would kill the server process.
* Errors: the store's own messages never reach the client (they may quote another server's
  reply); they are logged under a request id, and the client gets a fixed message with that id.
* Size limit: at most ``limit`` rows or triples (default 1000, at most 10000); ``truncated``
  says whether there were more.
* When the server's store is not an :class:`~kgdecide.graph.rdf.RdfStore` (embedded, Neo4j):
  501 naming how to serve one (``kgdecide ingest rdf --from-store NAME --store rdf:DIR``, then
  ``kgdecide serve --store rdf:DIR``). Building an Oxigraph copy of a 300k-edge embedded graph in
  the server would cost about a gigabyte and half a minute at start for a feature only explorers
  use, so it is not done silently.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app

from kgdecide.web import state
from kgdecide.web.api import json_response
from kgdecide.web.auth import Principal
from kgdecide.web.errors import ApiError
from kgdecide.web.routes import KEY, Routes
from kgdecide.web.schemas import SparqlOut, SparqlQuery, SparqlRequest

logger = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__, url_prefix="/api/v1")
routes = Routes(bp, auth=KEY)

#: Default seconds a query may run before the request gives up (app config ``SPARQL_TIMEOUT``).
DEFAULT_TIMEOUT = 10.0
#: Default number of queries evaluated at once (app config ``SPARQL_WORKERS``).
DEFAULT_WORKERS = 2
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_UPDATES = ("Send one SELECT, ASK, CONSTRUCT or DESCRIBE query; updates (INSERT, DELETE, LOAD, "
            "CLEAR, CREATE, DROP, ...) are refused.")


#: Stack of each SPARQL worker thread. spargebra (the guard's parser and Oxigraph's) recurses
#: once per nesting level: a query of the 20,000 characters allowed can nest 10,000 groups deep,
#: which overflows a thread's default 8 MiB stack and kills the server process. 10,000 groups
#: take between 32 and 64 MiB; this leaves room. Only the pages a query touches are committed.
STACK_BYTES = 256 * 1024 * 1024
_STACK_SIZE = threading.Lock()


class _DeepStackPool(ThreadPoolExecutor):
    """A thread pool whose threads get :data:`STACK_BYTES` of stack. Threads start when work
    arrives (so in each forked server process, never in the master): the process-wide size for
    new threads is set around that start only."""

    def _adjust_thread_count(self) -> None:
        with _STACK_SIZE:
            previous = threading.stack_size(STACK_BYTES)
            try:
                super()._adjust_thread_count()  # type: ignore[misc]
            finally:
                threading.stack_size(previous)


@dataclass
class _Runner:
    """The app's SPARQL workers and the slots that bound them."""

    workers: int
    timeout: float
    pool: ThreadPoolExecutor = field(init=False)
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.pool = _DeepStackPool(max_workers=self.workers, thread_name_prefix="kgdecide-sparql")
        self.slots = threading.BoundedSemaphore(self.workers)


@bp.record_once
def _setup(setup_state: Any) -> None:
    app: Flask = setup_state.app
    app.extensions["kgdecide.sparql"] = _Runner(
        int(app.config.get("SPARQL_WORKERS", DEFAULT_WORKERS)),
        float(app.config.get("SPARQL_TIMEOUT", DEFAULT_TIMEOUT)),
    )


@routes.get("/sparql", "sparqlGet", "Read-only SPARQL (SELECT, ASK, CONSTRUCT, DESCRIBE) over an "
            "RDF store, with a time and a size limit; updates and SERVICE are refused (400); 501 "
            "when the server's store is not RDF.", permission="graph", query=SparqlQuery,
            response=SparqlOut)
def sparql_get(query: SparqlQuery, who: Principal) -> Response:
    return json_response(run_query(query.query, query.limit))


@routes.post("/sparql", "sparqlPost", "As GET /sparql, with the query in a JSON body.",
             permission="graph", body=SparqlRequest, response=SparqlOut)
def sparql_post(body: SparqlRequest, who: Principal) -> Response:
    return json_response(run_query(body.query, body.limit))


def run_query(query: str, limit: int) -> dict[str, Any]:
    """Check ``query`` is read-only and evaluate it on the app's RDF store, both in a worker
    within the time limit."""
    from kgdecide.graph.rdf import RdfStore

    store = state().engine.store
    if not isinstance(store, RdfStore):
        raise ApiError(501, "not_rdf", f"this server's graph is a {type(store).__name__}, not an RDF "
                       "store, so it has no SPARQL endpoint",
                       "Load the graph into one with `kgdecide ingest rdf --from-store NAME --store "
                       "rdf:DIR` and serve it with `kgdecide serve --store rdf:DIR`.")
    runner: _Runner = current_app.extensions["kgdecide.sparql"]
    if not runner.slots.acquire(blocking=False):
        raise ApiError(503, "sparql_busy", "every SPARQL worker is busy with a query",
                       "Retry in a few seconds; a query that runs into the time limit keeps its "
                       "worker until it ends, so add LIMIT or narrow the patterns.",
                       headers={"Retry-After": "5"})
    cancel = threading.Event()
    deadline = time.monotonic() + runner.timeout
    try:
        future: Future[dict[str, Any]] = runner.pool.submit(
            _guarded, store.oxigraph, query, limit, deadline, cancel)
    except RuntimeError:  # the pool was shut down
        runner.slots.release()
        raise
    future.add_done_callback(lambda _: runner.slots.release())
    try:
        return future.result(timeout=runner.timeout)
    except (FutureTimeout, _Timeout):
        cancel.set()
        raise ApiError(503, "query_timeout", f"the query ran longer than {runner.timeout:g} s",
                       "Add LIMIT, bind more of the pattern to IRIs, or avoid sorting and "
                       "aggregating the whole graph.", "query", {"Retry-After": "5"}) from None
    except ApiError:
        raise
    except Exception as e:  # the store's message may quote another server: log it, never send it
        request_id = uuid.uuid4().hex[:12]
        logger.warning("SPARQL request %s failed in the store: %s: %s", request_id,
                       type(e).__name__, e)
        raise ApiError(503, "store_unavailable", f"the RDF store could not answer this query "
                       f"(request id {request_id})", "Retry later; if it keeps failing, give the "
                       "operator the request id.", headers={"Retry-After": "5"}) from None


def query_shape(query: str) -> str:
    """The query's form (``select``, ``ask``, ``construct`` or ``describe``) from its parse tree;
    a 400 :class:`ApiError` for updates, syntax errors and ``SERVICE`` anywhere in it.

    >>> query_shape("SELECT ?s WHERE { ?s ?p 'SERVICE' } # SERVICE")
    'select'
    >>> query_shape("SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }")
    Traceback (most recent call last):
    ...
    kgdecide.web.errors.ApiError: SERVICE (federated queries) is not allowed here
    """
    form, calls_service = _parse_shape(query)
    if calls_service:
        raise ApiError(400, "service_refused", "SERVICE (federated queries) is not allowed here",
                       "Query this store only; remove the SERVICE clause.", "query")
    return form


def _parse_shape(query: str) -> tuple[str, bool]:
    native = _native_shape()
    if native is not None:
        try:
            form, calls_service = native(query)
        except ValueError as e:
            raise ApiError(400, "invalid_sparql", "not a read-only SPARQL query: "
                           + str(e).replace("\n", " ")[:500], _UPDATES, "query") from None
        return str(form), bool(calls_service)
    return rdflib_shape(query)


def _native_shape() -> Any:
    try:
        import kgdecide_native
    except ImportError:
        return None
    return getattr(kgdecide_native, "sparql_query_shape", None)


#: rdflib's SPARQL grammar (pyparsing) is not thread-safe: two parses at once break it for the
#: rest of the process, so the pool's workers take turns.
_RDFLIB_PARSER = threading.Lock()


def rdflib_shape(query: str) -> tuple[str, bool]:
    """The form and whether SERVICE occurs, from rdflib's parse tree (used without the native
    extension; refuses what rdflib cannot parse, RDF 1.2 syntax included).

    >>> rdflib_shape("ASK { OPTIONAL { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }")
    ('ask', True)
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        with _RDFLIB_PARSER:
            parsed = parseQuery(query)
    except (ParseException, ValueError, TypeError, RecursionError) as e:
        message = str(e).replace("\n", " ")[:500] if isinstance(e, ParseException) else \
            "the query could not be read"
        raise ApiError(400, "invalid_sparql", f"not a read-only SPARQL query: {message}",
                       _UPDATES, "query") from None
    body = parsed[1]
    form = {"SelectQuery": "select", "ConstructQuery": "construct", "DescribeQuery": "describe",
            "AskQuery": "ask"}[body.name]
    return form, _rdflib_calls_service(body)


def _rdflib_calls_service(node: Any) -> bool:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == "ServiceGraphPattern":
                return True
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, ParseResults)):
            stack.extend(item)
    return False


def _guarded(store: Any, query: str, limit: int, deadline: float,
             cancel: threading.Event) -> dict[str, Any]:
    """The guard, then the evaluation: one job in the pool."""
    query_shape(query)
    if cancel.is_set() or time.monotonic() > deadline:
        raise _Timeout
    return _evaluate(store, query, limit, deadline, cancel)


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
