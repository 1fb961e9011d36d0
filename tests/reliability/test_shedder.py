"""The load shedder and body reader of kgdecide.web.overload, in process (no server)."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest

from kgdecide.web.overload import LoadShedder, OverloadLimits


def slow_app(seconds: float) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        time.sleep(seconds)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok:" + body]
    return app


def call(shedder: LoadShedder, body: bytes = b"", stream: Any = None) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": stream or io.BytesIO(body)}
    result = shedder(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return seen["status"], seen["headers"], data


def test_requests_beyond_the_queue_get_503_with_retry_after_and_the_rest_are_served() -> None:
    shedder = LoadShedder(slow_app(0.2), OverloadLimits(slots=1, max_waiting=2, max_wait=5.0))
    results: list[tuple[str, dict[str, str], bytes]] = []
    threads = [threading.Thread(target=lambda: results.append(call(shedder, b"x")))
               for _ in range(6)]
    for t in threads:
        t.start()
        time.sleep(0.01)
    for t in threads:
        t.join()
    statuses = sorted(status.split()[0] for status, _, _ in results)
    assert statuses == ["200", "200", "200", "503", "503", "503"]  # 1 running + 2 queued
    for status, headers, body in results:
        if status.startswith("503"):
            assert headers["Retry-After"] == "1"
            assert json.loads(body)["error"]["code"] == "overloaded"
        else:
            assert body == b"ok:x"  # the buffered body reached the app intact
    assert shedder.shed == 3
    assert call(shedder, b"y")[0].startswith("200")  # slots were all released


def test_a_request_waits_at_most_max_wait() -> None:
    shedder = LoadShedder(slow_app(1.0), OverloadLimits(slots=1, max_waiting=5, max_wait=0.2))
    first = threading.Thread(target=call, args=(shedder,))
    first.start()
    time.sleep(0.05)
    started = time.monotonic()
    status = call(shedder)[0]
    waited = time.monotonic() - started
    first.join()
    assert status.startswith("503") and 0.15 <= waited < 0.8


def test_expected_wait_over_the_limit_is_shed_at_once() -> None:
    shedder = LoadShedder(slow_app(0.3), OverloadLimits(slots=1, max_waiting=10, max_wait=0.25))
    call(shedder)  # learns a service time of ~0.3 s
    running = threading.Thread(target=call, args=(shedder,))
    running.start()
    time.sleep(0.05)
    started = time.monotonic()
    status = call(shedder)[0]
    waited = time.monotonic() - started
    running.join()
    assert status.startswith("503") and waited < 0.1


def test_an_app_error_releases_the_slot() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")
    shedder = LoadShedder(broken, OverloadLimits(slots=1, max_waiting=0))
    for _ in range(3):
        with pytest.raises(RuntimeError):
            call(shedder)
    assert shedder._slots.acquire(blocking=False)


class Stalling(io.RawIOBase):
    """A request body that delivers a few bytes, then fails like a socket read timing out."""

    def __init__(self) -> None:
        self.sent = False

    def read(self, n: int = -1) -> bytes:
        if not self.sent:
            self.sent = True
            return b"{"
        raise TimeoutError("timed out")


def test_a_body_that_stops_arriving_is_408_and_never_reaches_the_app() -> None:
    shedder = LoadShedder(slow_app(0), OverloadLimits(body_timeout=0.5))
    status, headers, body = call(shedder, b"x" * 100, stream=Stalling())
    assert status.startswith("408") and json.loads(body)["error"]["code"] == "request_timeout"
    assert headers["Connection"] == "close"


def test_a_declared_length_over_the_limit_is_left_to_flask() -> None:
    shedder = LoadShedder(slow_app(0), OverloadLimits(max_body=10))
    stream = io.BytesIO(b"y" * 50)
    status, _, body = call(shedder, b"y" * 50, stream=stream)
    assert status.startswith("200") and stream.tell() == 50  # read by the app, not buffered


@pytest.mark.parametrize("bad", [dict(slots=0), dict(max_waiting=-1), dict(body_timeout=0)])
def test_limits_are_checked(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        OverloadLimits(**bad)


def test_one_slow_request_does_not_make_the_worker_shed_the_fast_ones() -> None:
    """The queue's expected wait comes from the median of recent service times: a single slow
    request (e.g. the first note loading the embedding model) is an outlier, not the estimate."""
    delays = iter([1.0, 0.01, 0.01, 0.01])
    shedder = LoadShedder(lambda environ, start_response: slow_app(next(delays))(environ, start_response),
                          OverloadLimits(slots=1, max_waiting=5, max_wait=0.5))
    for _ in range(3):  # one slow, two fast, one at a time
        assert call(shedder)[0].startswith("200")
    # Now the slot is busy for 0.1 s: the next request must queue. With the median (0.01 s) it
    # waits and is served; a mean dragged up by the slow one (> 0.5 s) would have shed it.
    assert shedder._slots.acquire()
    threading.Timer(0.1, shedder._slots.release).start()
    assert call(shedder)[0].startswith("200")
    assert shedder.shed == 0
