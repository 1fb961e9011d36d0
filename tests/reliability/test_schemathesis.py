"""schemathesis against the OpenAPI document, in process over WSGI: every operation, valid and
invalid (negative) requests, with an admin key; no 500 and no undocumented 5xx (the documented
ones: 501 ``not_rdf`` for SPARQL over the embedded store used here, 503 with Retry-After).

CI runs :data:`CI_EXAMPLES` examples per operation and mode (well under a minute); the larger run
is ``KGDECIDE_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/reliability/test_schemathesis.py -s``
(it prints the per-operation status counts).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from kgdecide.graph.embedded import EmbeddedStore

CI_EXAMPLES = 15


def budget() -> int:
    return int(os.environ.get("KGDECIDE_FUZZ_EXAMPLES", CI_EXAMPLES))


@pytest.fixture(scope="module")
def app_and_key(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    from kgdecide.link import LinkerConfig
    from kgdecide.settings import Settings
    from kgdecide.web import create_app

    home = tmp_path_factory.mktemp("fuzz-home")
    app = create_app({"SETTINGS": Settings(home), "STORE": EmbeddedStore.from_path(small_store),
                      "TESTING": True, "LINKER_CONFIG": LinkerConfig(multilingual=False),
                      "RATE_LIMIT_PER_MINUTE": 0, "DEFAULT_SCORER": "lr",
                      # no finance graph here: its routes would only answer "disabled" (they are
                      # fuzzed by the finance pack's own tests over a finance graph)
                      "FINANCE": False})
    return app, app.extensions["kgdecide"].keys.create("admin")[1]


def documented(response: Any) -> bool:
    """The 5xx answers the API documents on purpose: 501 ``not_rdf`` (SPARQL over a store that is
    not RDF) and 503 with Retry-After (a store or scorer that is not available). A 500 never is."""
    try:
        code = json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    if response.status_code == 501:
        return bool(code == "not_rdf")
    return response.status_code == 503 and "Retry-After" in response.headers


def test_schemathesis_finds_no_5xx(app_and_key: tuple[Any, str]) -> None:
    import schemathesis
    from schemathesis import GenerationMode

    app, key = app_and_key
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    statuses: dict[str, Counter[int]] = {}
    failures: list[str] = []
    examples = budget()
    for result in schema.get_all_operations():
        operation = result.ok()
        seen = statuses.setdefault(operation.label, Counter())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                response = case.call(headers={"X-API-Key": key})
                seen[response.status_code] += 1
                if response.status_code >= 500 and not documented(response):
                    failures.append(f"{operation.label} -> {response.status_code}: "
                                    f"{case.as_curl_command()[:300]}")
                if response.status_code >= 400:
                    body = json.loads(response.content)  # every error is the JSON envelope
                    assert set(body["error"]) == {"code", "message", "field", "fix"}, body
                    assert "Traceback" not in response.text, response.text

            try:
                run()
            except Unsatisfiable:
                # no parameters or body to break (healthz, metrics...): nothing negative to send
                assert mode is GenerationMode.NEGATIVE, operation.label
    print(json.dumps({label: dict(c) for label, c in statuses.items()}, indent=1))
    total_5xx = sum(n for c in statuses.values() for status, n in c.items() if status >= 500)
    print(f"schemathesis: {sum(sum(c.values()) for c in statuses.values())} requests, "
          f"{total_5xx} 5xx, of which {len(failures)} undocumented")
    assert not failures, f"{len(failures)} undocumented 5xx:\n" + "\n".join(failures[:10])
