"""Overload and slow-client protection for ``kgdecide serve``.

Without it a gunicorn worker takes every connection it can and answers them one after another, so
at twice its capacity the queue (and every client's wait) grows for as long as the load lasts. The
:class:`LoadShedder` WSGI middleware bounds that queue in each worker instead:

* at most ``slots`` requests run the app at once (1: the work is CPU-bound under one GIL, a second
  running request only slows the first);
* a request that finds no free slot waits in a queue, for at most ``max_wait`` seconds;
* it gets ``503`` with ``Retry-After`` at once, costing the worker almost nothing, when the queue's
  expected wait (queued requests x the recent mean service time) is over ``max_wait`` or when
  ``max_waiting`` requests already wait (which keeps threads free to answer those 503s).

A request body is read *before* a slot is taken and within ``body_timeout`` seconds in total
(``408`` after that), so a client that sends its body slowly ("slow loris") holds one thread for a
bounded time and never the slot the other requests need. :class:`ThreadWorker` adds the same bound
to every socket read of the request line and headers (``SO_RCVTIMEO``).
"""

from __future__ import annotations

import io
import json
import logging
import socket
import statistics
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kgdecide.web.errors import error_body

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_READ_CHUNK = 64 * 1024
#: Service times the queue's expected wait is estimated from (their median).
_RECENT = 31


@dataclass(frozen=True, slots=True)
class OverloadLimits:
    """The per-worker bounds of :class:`LoadShedder`.

    >>> OverloadLimits().retry_after
    1
    """

    slots: int = 1  #: requests running the app at once
    max_waiting: int = 24  #: requests allowed to wait for a slot (keep it under the threads)
    max_wait: float = 0.5  #: seconds a request may wait for a slot before it gets 503
    body_timeout: float = 10.0  #: seconds to receive a whole request body before 408
    max_body: int = 2 * 1024 * 1024  #: bodies declared longer are left to Flask's 413
    retry_after: int = 1  #: seconds clients are told to wait after a 503

    def __post_init__(self) -> None:
        if self.slots < 1 or self.max_waiting < 0 or self.max_wait < 0 or self.body_timeout <= 0:
            raise ValueError(f"invalid overload limits: {self}")


class LoadShedder:
    """WSGI middleware that answers 503 instead of queueing without bound (see the module doc).

    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [b"ok"]
    >>> shed = LoadShedder(app, OverloadLimits(slots=1, max_waiting=0))
    >>> shed._slots.acquire()  # one request is running
    True
    >>> seen = []
    >>> body = b"".join(shed({"REQUEST_METHOD": "GET"}, lambda status, headers: seen.append(status)))
    >>> seen, json.loads(body)["error"]["code"]
    (['503 SERVICE UNAVAILABLE'], 'overloaded')
    """

    def __init__(self, app: WsgiApp, limits: OverloadLimits | None = None) -> None:
        self.app = app
        self.limits = limits or OverloadLimits()
        self._slots = threading.BoundedSemaphore(self.limits.slots)
        self._lock = threading.Lock()
        self._waiting = 0
        # Seconds the last requests held a slot. Their median, not a mean: one slow request (the
        # first free-text note loads the embedding model, seconds) must not make the worker shed
        # every queued request until dozens of fast ones have averaged it away.
        self._recent: deque[float] = deque(maxlen=_RECENT)
        self._service = 0.0  # median of _recent
        self.shed = 0  #: requests answered 503 by this middleware (this process)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            _buffer_body(environ, self.limits)
        except _BodyTooSlow:
            return _error(start_response, "408 REQUEST TIMEOUT", "request_timeout",
                          f"the request body did not arrive within {self.limits.body_timeout:g} s",
                          "Send the whole body at once.", {"Connection": "close"})
        if not self._enter():
            with self._lock:
                self.shed += 1
            wait = str(self.limits.retry_after)
            return _error(start_response, "503 SERVICE UNAVAILABLE", "overloaded",
                          "the server is at capacity and did not queue this request",
                          f"Retry after {wait} s (Retry-After), and send fewer requests at once.",
                          {"Retry-After": wait})
        started = time.monotonic()
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self._leave(started)
            raise
        return _Releasing(result, lambda: self._leave(started))

    def _leave(self, started: float) -> None:
        seconds = time.monotonic() - started
        with self._lock:
            self._recent.append(seconds)
            self._service = statistics.median(self._recent)
        self._slots.release()

    def _enter(self) -> bool:
        """Take a slot: at once, or after waiting in the bounded queue; False when shed."""
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            expected = (self._waiting + 1) * self._service / self.limits.slots
            if self._waiting >= self.limits.max_waiting or expected > self.limits.max_wait:
                return False
            self._waiting += 1
        try:
            return self._slots.acquire(timeout=self.limits.max_wait)
        finally:
            with self._lock:
                self._waiting -= 1


class _Releasing:
    """The app's response iterable; releases the slot when the server closes it (after the last
    byte was written), so a slot is held exactly as long as the request is being served."""

    def __init__(self, result: Iterable[bytes], release: Callable[[], None]) -> None:
        self._result = result
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Any:
        return iter(self._result)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class _BodyTooSlow(Exception):
    pass


def _buffer_body(environ: dict[str, Any], limits: OverloadLimits) -> None:
    """Read the request body into memory within ``limits.body_timeout`` seconds.

    A body longer than ``limits.max_body`` is left unread: Flask answers it 413 from its
    Content-Length without reading it. A chunked body is read up to one byte over the limit.
    """
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # Flask answers the malformed header
    if (length <= 0 and not chunked) or length > limits.max_body:
        return
    stream = environ["wsgi.input"]
    # A recv blocked on a silent client returns once the watchdog shuts the socket's read side.
    sock = environ.get("gunicorn.socket")
    watchdog = threading.Timer(limits.body_timeout, _shut_read, (sock,)) if sock else None
    started = time.monotonic()
    if watchdog:
        watchdog.daemon = True
        watchdog.start()
    try:
        body = _read(stream, length if not chunked else limits.max_body + 1)
    except OSError as e:
        raise _BodyTooSlow() from e
    finally:
        if watchdog:
            watchdog.cancel()
    if not chunked and len(body) < length:
        if time.monotonic() - started >= limits.body_timeout:
            raise _BodyTooSlow()
        return  # the client hung up early; the app sees a short body and answers it
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True


def _read(stream: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    remaining = limit
    while remaining > 0:
        part = stream.read(min(_READ_CHUNK, remaining))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _shut_read(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:  # already closed: nothing is blocked on it
        pass


def _error(start_response: StartResponse, status: str, code: str, message: str, fix: str,
           headers: dict[str, str]) -> list[bytes]:
    body = json.dumps(error_body(code, message, fix)).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body))), *headers.items()])
    return [body]


def thread_worker(header_timeout: float) -> type:
    """A gunicorn ``gthread`` worker class whose client sockets time out each read of the request
    line, headers and body after ``header_timeout`` seconds (``SO_RCVTIMEO``): gunicorn's own
    worker waits for a slow client's next byte without limit. gunicorn is imported here, in the
    server process only."""
    from gunicorn.workers.gthread import ThreadWorker

    seconds = int(header_timeout)
    micros = int((header_timeout - seconds) * 1_000_000)
    timeval = struct.pack("ll", seconds, micros)

    class KgdecideThreadWorker(ThreadWorker):  # type: ignore[misc]
        def enqueue_req(self, conn: Any) -> None:
            try:
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            except OSError:  # the client already left; gunicorn closes the connection itself
                pass
            super().enqueue_req(conn)

    return KgdecideThreadWorker
