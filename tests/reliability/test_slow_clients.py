"""Hostile HTTP against the real server (gunicorn): slow bodies, silent clients, oversized and
chunked bodies, wrong content types. A worker must never be held forever, and requests from
well-behaved clients keep being answered while the hostile ones are connected."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from kgdecide.web.serve import CLIENT_READ_TIMEOUT
from tests.reliability.server import Call, Server, drive, request, serving

pytestmark = pytest.mark.slow

#: Seconds over the configured limit the server may take to drop a slow client.
SLACK = 5.0


def raw(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_READ_TIMEOUT + 30)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    return b"".join(chunks)


def slow_body(port: int, key: str, out: dict[str, object]) -> None:
    """Declare 200 bytes, send one every 2 s: the body can never arrive within the limit."""
    sock = raw(port)
    started = time.monotonic()
    sock.sendall(b"POST /api/v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"X-API-Key: " + key.encode() + b"\r\nContent-Length: 200\r\n\r\n")
    try:
        for _ in range(100):
            sock.sendall(b" ")
            time.sleep(2)
    except OSError:  # the server shut its side: stop sending, read what it said
        pass
    out["reply"] = read_all(sock)
    out["seconds"] = time.monotonic() - started
    sock.close()


def silent_after_partial_headers(port: int, out: dict[str, object]) -> None:
    sock = raw(port)
    started = time.monotonic()
    sock.sendall(b"GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n")  # ...and never the blank line
    out["reply"] = read_all(sock)
    out["seconds"] = time.monotonic() - started
    sock.close()


def test_slow_and_silent_clients_are_dropped_while_others_are_served(
        small_store: Path, home: Path, admin_key: str) -> None:
    server = Server(home, str(small_store), workers=1,
                    env={"KGDECIDE_RATE_LIMIT_PER_MINUTE": "100000000"})
    body_result: dict[str, object] = {}
    silent_results: list[dict[str, object]] = [{} for _ in range(12)]
    with serving(server):
        hostile = [threading.Thread(target=slow_body, args=(server.port, admin_key, body_result))]
        hostile += [threading.Thread(target=silent_after_partial_headers, args=(server.port, r))
                    for r in silent_results]
        for t in hostile:
            t.start()
        time.sleep(1)
        call = Call("POST", "/api/v1/decide", {"findings": [{"id": "HP:0001250"}]},
                    {"X-API-Key": admin_key, "Content-Type": "application/json"})
        meanwhile = drive(server.port, call, 5, 2)
        for t in hostile:
            t.join(CLIENT_READ_TIMEOUT * 3 + 30)
        assert server.process is not None and server.process.poll() is None
    print(f"meanwhile {meanwhile.summary()}; slow body {body_result.get('seconds')} s; silent "
          f"{[round(float(r['seconds']), 1) for r in silent_results]} s")
    assert set(meanwhile.statuses) == {200} and not meanwhile.errors, meanwhile.summary()
    assert float(body_result["seconds"]) <= CLIENT_READ_TIMEOUT + SLACK, body_result  # type: ignore[arg-type]
    assert body_result["reply"].startswith(b"HTTP/1.1 408"), body_result["reply"]  # type: ignore[union-attr]
    assert b'"request_timeout"' in body_result["reply"]  # type: ignore[operator]
    for r in silent_results:
        assert float(r["seconds"]) <= CLIENT_READ_TIMEOUT + SLACK, r  # type: ignore[arg-type]
        assert not r["reply"].startswith(b"HTTP/1.1 200"), r  # type: ignore[union-attr]


def test_bodies_over_the_limit_and_wrong_types_get_4xx(small_store: Path, home: Path,
                                                       admin_key: str) -> None:
    server = Server(home, str(small_store), workers=1)
    json_headers = {"X-API-Key": admin_key, "Content-Type": "application/json"}
    big = b'{"text": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    with serving(server):
        port = server.port
        answers = {
            "oversized": request("127.0.0.1", port, "POST", "/api/v1/decide", big, json_headers, 30),
            "wrong type": request("127.0.0.1", port, "POST", "/api/v1/decide",
                                  b"findings=HP:0001250",
                                  {"X-API-Key": admin_key,
                                   "Content-Type": "application/x-www-form-urlencoded"}, 30),
            "xml": request("127.0.0.1", port, "POST", "/api/v1/link", b"<text>fits</text>",
                           {"X-API-Key": admin_key, "Content-Type": "application/xml"}, 30),
            "no type": request("127.0.0.1", port, "POST", "/api/v1/link", b'{"text": "fits"}',
                               {"X-API-Key": admin_key}, 30),
            "json lies": request("127.0.0.1", port, "POST", "/api/v1/link", b"\xff\xfe{{{",
                                 json_headers, 30),
            "nested": request("127.0.0.1", port, "POST", "/api/v1/decide",
                              b"[" * 500_000 + b"]" * 500_000, json_headers, 30),
        }
        chunked = chunked_post(port, admin_key, 3 * 1024 * 1024)
        alive = server.get("/api/v1/healthz")[0]
    expected = {"oversized": 413, "wrong type": 415, "xml": 415, "no type": 415, "json lies": 400,
                "nested": 400}
    for name, (status, headers, body) in answers.items():
        assert status == expected[name], (name, status, body[:300])
        error = json.loads(body)["error"]
        assert error["code"] and error["fix"] and b"Traceback" not in body, (name, body[:300])
    assert chunked.startswith(b"HTTP/1.1 413"), chunked[:300]
    assert alive == 200


def chunked_post(port: int, key: str, size: int) -> bytes:
    """A chunked body (no Content-Length) over the size limit."""
    sock = raw(port)
    sock.sendall(b"POST /api/v1/link HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"X-API-Key: " + key.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 65536
    try:
        for _ in range(size // len(chunk) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    reply = read_all(sock)
    sock.close()
    return reply
