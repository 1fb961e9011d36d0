"""Prometheus metrics in the text exposition format, written by hand (no extra dependency).

Counters live in process memory: under gunicorn each worker reports its own, labelled with its
``pid`` so that series from different workers never overwrite each other in Prometheus (sum them
with ``sum without (pid) (...)``).
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict

#: Upper bounds (seconds) of the request latency histogram.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(**labels: str) -> str:
    escaped = (f'{k}="{v}"'.replace("\n", " ") for k, v in labels.items())
    return "{" + ",".join(escaped) + "}"


class Metrics:
    """Request counters, a latency histogram per route, and gauges read at scrape time.

    >>> m = Metrics()
    >>> m.observe("GET", "/api/v1/healthz", 200, 0.003)
    >>> 'kgdecide_http_requests_total{method="GET",route="/api/v1/healthz",status="200"' in m.render({})
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self._sums: dict[str, float] = defaultdict(float)
        self._events: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        with self._lock:
            self._requests[(method, route, status)] += 1
            counts = self._buckets[route]
            index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
            counts[index] += 1
            self._sums[route] += seconds

    def count(self, event: str, n: int = 1) -> None:
        """Count an event: ``decisions``, ``rate_limited``, ``auth_failures``."""
        with self._lock:
            self._events[event] += n

    def render(self, gauges: dict[str, float]) -> str:
        """The exposition text; ``gauges`` are values read now (graph size, audit rows)."""
        pid = str(os.getpid())
        lines = ["# HELP kgdecide_http_requests_total HTTP requests by route template and status.",
                 "# TYPE kgdecide_http_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self._requests.items()):
                labels = _labels(method=method, route=route, status=str(status), pid=pid)
                lines.append(f"kgdecide_http_requests_total{labels} {n}")
            lines += ["# HELP kgdecide_http_request_duration_seconds Request latency.",
                      "# TYPE kgdecide_http_request_duration_seconds histogram"]
            for route, counts in sorted(self._buckets.items()):
                running = 0
                for bound, n in zip((*BUCKETS, "+Inf"), counts):
                    running += n
                    labels = _labels(route=route, pid=pid, le=str(bound))
                    lines.append(f"kgdecide_http_request_duration_seconds_bucket{labels} {running}")
                labels = _labels(route=route, pid=pid)
                lines.append(f"kgdecide_http_request_duration_seconds_sum{labels} {self._sums[route]:.6f}")
                lines.append(f"kgdecide_http_request_duration_seconds_count{labels} {running}")
            for event in ("decisions", "rate_limited", "auth_failures"):
                lines += [f"# TYPE kgdecide_{event}_total counter",
                          f"kgdecide_{event}_total{_labels(pid=pid)} {self._events[event]}"]
        for name, value in sorted(gauges.items()):
            lines += [f"# TYPE kgdecide_{name} gauge", f"kgdecide_{name} {value:g}"]
        return "\n".join(lines) + "\n"
