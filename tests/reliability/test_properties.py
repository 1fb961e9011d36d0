"""Property-based tests (hypothesis) for the linker, the scorers behind /decide and the request
schemas: any input gets a defined answer, never an unexpected exception.

The HTTP-level fuzzing of the same schemas is in tests/web/test_openapi.py (hypothesis) and
test_schemathesis.py here (schemathesis against the OpenAPI document).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgdecide.errors import InvalidQuery, KgdecideError
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.web import schemas

PROPS = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: Names of the contract graph's nodes, negation cues, markup and scripts the linker treats
#: specially, mixed into random text so that examples find mentions, not only noise.
WORDS = st.sampled_from(["Seizures", "fits", "Fits", "microcephaly", "Small head", "no", "not",
                         "denies", "EEA", "global developmental delay", "小头畸形", "无", "<b>",
                         "</b>", "&amp;", "&#x27;", "\x00", "\u200b", "\u0301", "🧠", " ", ",", ".",
                         "\n", "\t", "HP:0001250", "'; MATCH (n) DETACH DELETE n //"])
TEXTS = st.text(max_size=200) | st.lists(WORDS | st.text(max_size=6), max_size=40).map("".join)


@pytest.fixture(scope="module")
def linker(small_store: Path) -> Any:
    from kgdecide.link import Linker, LinkerConfig

    return Linker.from_store(EmbeddedStore.from_path(small_store), LinkerConfig(multilingual=False))


@PROPS
@given(text=TEXTS)
def test_linker_spans_index_the_text_in_order(linker: Any, text: str) -> None:
    result = linker.link(text)
    starts = [m.start for m in result.mentions]
    assert starts == sorted(starts)  # documented: "linked spans, in text order"
    for m in (*result.mentions, *result.abstained):
        assert 0 <= m.start <= m.end <= len(text)
        assert text[m.start:m.end] == m.text
        assert 0.0 <= m.score <= 1.0 and m.node_id
    for earlier, later in zip(result.mentions, result.mentions[1:]):
        assert earlier.end <= later.start, (earlier, later)  # one node per stretch of text
    if not result.mentions:
        assert result.notes  # an empty answer says why


@settings(max_examples=30, deadline=None)
@given(junk=st.one_of(st.none(), st.integers(), st.binary(max_size=10), st.lists(st.text())))
def test_linker_refuses_non_text_by_name(linker: Any, junk: Any) -> None:
    with pytest.raises(InvalidQuery, match="text"):
        linker.link(junk)


# --- the scorers behind /decide: any mix of ids and statuses gets a defined answer --------------

IDS = st.sampled_from(["HP:0001250", "HP:0000252", "HP:0001263", "HP:0000118", "HP:0000001",
                       "HP:9999999", "HP:0002279", "OMIM:100100", "NCBIGene:1", "HP:0000000",
                       "ZZ:1", "HP:0001250 ", "hp:0001250"])
FINDINGS = st.lists(st.fixed_dictionaries({"id": IDS, "status": st.sampled_from(
    ["present", "excluded"])}), max_size=8)


@pytest.fixture(scope="module")
def decide_client(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from kgdecide.link import LinkerConfig
    from kgdecide.settings import Settings
    from kgdecide.web import create_app
    from kgdecide.web.decider import pipeline_available

    if not pipeline_available():
        pytest.skip("kgdecide.pipeline is not in this build")
    home = tmp_path_factory.mktemp("props-home")
    app = create_app({"SETTINGS": Settings(home), "STORE": EmbeddedStore.from_path(small_store),
                      "TESTING": True, "LINKER_CONFIG": LinkerConfig(multilingual=False),
                      "RATE_LIMIT_PER_MINUTE": 0, "DEFAULT_SCORER": "lr"})
    key = app.extensions["kgdecide"].keys.create("admin")[1]
    return app.test_client(), {"X-API-Key": key}


@PROPS
@given(findings=FINDINGS, scorer=st.sampled_from(["lr", "resnik", "ppr", "attention", None]),
       top_k=st.integers(1, 12))
def test_any_findings_get_a_ranking_or_a_named_error(decide_client: Any, findings: list,
                                                     scorer: str | None, top_k: int) -> None:
    client, headers = decide_client
    body = {"findings": findings, "top_k": top_k, **({"scorer": scorer} if scorer else {})}
    response = client.post("/api/v1/decide", json=body, headers=headers)
    data = json.loads(response.get_data(as_text=True))
    assert response.status_code in (200, 400, 404, 503), data
    if response.status_code != 200:
        assert data["error"]["message"] and data["error"]["fix"], data
        return
    schemas.DecideOut.model_validate(data)
    candidates = data["candidates"]
    assert len(candidates) <= top_k
    assert [c["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(math.isfinite(s) for s in scores)
    assert all(0.0 <= c["probability"] <= 1.0 for c in candidates)
    assert sum(c["probability"] for c in candidates) <= 1.0 + 1e-6


# --- the request schemas: any bytes parse to a model or raise InvalidQuery naming a field --------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.sampled_from(["text", "findings", "id", "status", "top_k",
                                                     "cases", "target", "scorer", "x"]) |
                                    st.text(max_size=5), inner, max_size=4), max_leaves=12)
MODELS = st.sampled_from([schemas.DecideRequest, schemas.RankRequest, schemas.LinkRequest])


@PROPS
@given(model=MODELS, raw=st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()))
def test_parse_body_gives_a_model_or_names_the_field(model: type, raw: bytes) -> None:
    try:
        parsed = schemas.parse_body(model, raw)
    except InvalidQuery as e:
        assert e.field and str(e)
        return
    assert isinstance(parsed, model)


@pytest.mark.parametrize("depth", [1_000, 100_000, 1_000_000])
def test_deeply_nested_json_is_invalid_query_not_recursion_error(depth: int) -> None:
    for raw in (b"[" * depth + b"]" * depth, b'{"text":' + b'{"a":' * depth + b"1" + b"}" * depth
                + b"}"):
        with pytest.raises(InvalidQuery, match="nested too deeply|body|text"):
            schemas.parse_body(schemas.DecideRequest, raw)


@settings(max_examples=100, deadline=None)
@given(args=st.dictionaries(st.sampled_from(["q", "type", "limit", "relation", "direction",
                                             "cursor", "source", "target", "max_hops", "zz"]),
                            st.text(max_size=40), max_size=5),
       model=st.sampled_from([schemas.SearchQuery, schemas.NeighborsQuery, schemas.PathsQuery]))
def test_parse_query_gives_a_model_or_names_the_field(args: dict, model: type) -> None:
    try:
        schemas.parse_query(model, args)
    except KgdecideError as e:
        assert isinstance(e, InvalidQuery) and e.field
