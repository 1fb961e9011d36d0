"""The locustfile bench/serve.py runs (``locust -f bench/_locust_decide.py --headless ...``).

Everything it needs comes from the environment, so one file serves every run of the bench:

* ``KGDECIDE_BENCH_PAYLOADS``: a JSON file ``{"coded": [...], "text": [...]}`` of request bodies;
* ``KGDECIDE_BENCH_KIND``: which list this run sends (``coded`` or ``text`` to
  ``POST /api/v1/decide``; ``node``: ids read with ``GET /api/v1/nodes/<id>``; ``bare``:
  ``GET /bare`` of bench/_bare_flask.py);
* ``KGDECIDE_BENCH_KEY``: the API key (``X-API-Key``);
* ``KGDECIDE_BENCH_RATE``: requests per second per user (0: as fast as the server answers);
* ``KGDECIDE_BENCH_MAX_REQUESTS``: stop after this many requests, whatever ``--run-time`` says.

The run is bounded twice (``--run-time`` and the request count) and only ever targets the
``--host`` bench/serve.py gives it, a loopback address.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from locust import FastHttpUser, constant, constant_throughput, events, task

_PAYLOADS = json.loads(open(os.environ["KGDECIDE_BENCH_PAYLOADS"], encoding="utf-8").read())
_KIND = os.environ.get("KGDECIDE_BENCH_KIND", "coded")
_BODIES = [json.dumps(body) for body in _PAYLOADS.get(_KIND, [{}])]
_KEY = os.environ["KGDECIDE_BENCH_KEY"]
_RATE = float(os.environ.get("KGDECIDE_BENCH_RATE", "0"))
_MAX_REQUESTS = int(os.environ.get("KGDECIDE_BENCH_MAX_REQUESTS", "0"))
_sent = itertools.count(1)


@events.request.add_listener
def _stop_at_request_cap(**_: Any) -> None:
    """Quit the runner once the request budget is spent (the second bound of every run)."""
    if _MAX_REQUESTS and next(_sent) == _MAX_REQUESTS:
        import gevent

        runner = _ENVIRONMENT.get("runner")
        if runner is not None:
            gevent.spawn(runner.quit)  # not from inside the user greenlet quit() would kill


_ENVIRONMENT: dict[str, Any] = {}


@events.init.add_listener
def _keep_runner(environment: Any, **_: Any) -> None:
    _ENVIRONMENT["runner"] = environment.runner


class DecideUser(FastHttpUser):
    """Posts one /api/v1/decide body after another, cycling through the payload list."""

    wait_time = constant_throughput(_RATE) if _RATE > 0 else constant(0)

    def on_start(self) -> None:
        self._bodies = itertools.cycle(_BODIES[hash(id(self)) % len(_BODIES):] + _BODIES)

    @task
    def decide(self) -> None:
        if _KIND == "node":
            request = self.client.get(f"/api/v1/nodes/{json.loads(next(self._bodies))}",
                                      name=f"decide {_KIND}", headers={"X-API-Key": _KEY},
                                      catch_response=True)
        elif _KIND == "bare":
            request = self.client.get("/bare", name=f"decide {_KIND}", catch_response=True)
        else:
            request = self.client.post("/api/v1/decide", data=next(self._bodies),
                                       name=f"decide {_KIND}", catch_response=True,
                                       headers={"X-API-Key": _KEY,
                                                "Content-Type": "application/json"})
        with request as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
