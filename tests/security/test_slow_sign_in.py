"""Slow clients at the sign-in form of a real ``kgdecide serve``: a body trickled byte by byte
gets 408 within the read limit and, while it hangs on, other people still sign in."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kgdecide.web.serve import CLIENT_READ_TIMEOUT
from kgdecide.web.users import UserStore
from tests.reliability.conftest import home, small_store
from tests.reliability.server import Server, serving
from tests.reliability.test_slow_clients import SLACK, raw, read_all
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.slow
__all__ = ["home", "small_store"]  # the fault tests' fixtures


def _trickle(port: int, out: dict[str, object]) -> None:
    sock = raw(port)
    started = time.monotonic()
    sock.sendall(b"POST /sign-in HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 300\r\n\r\n")
    try:
        for byte in b"username=ada&password=" + b"x" * 270:
            sock.sendall(bytes([byte]))
            time.sleep(1)
    except OSError:  # the server shut its side
        pass
    out["reply"], out["seconds"] = read_all(sock), time.monotonic() - started
    sock.close()


def _sign_in(base: str) -> str:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(base + "/sign-in", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"csrf_token": token, "username": "ada",
                                   "password": PASSWORD}).encode()
    with opener.open(base + "/sign-in", data=data, timeout=10) as response:
        return str(response.url)


def test_a_slow_sign_in_holds_nobody_up(small_store: Path, home: Path) -> None:
    UserStore.open(home / "keys.sqlite3").create("ada", "clinician", PASSWORD)
    with serving(Server(home, str(small_store), workers=1)) as server:
        base = f"http://127.0.0.1:{server.port}"
        slow: dict[str, object] = {}
        thread = threading.Thread(target=_trickle, args=(server.port, slow), daemon=True)
        thread.start()
        time.sleep(1.0)
        started = time.monotonic()
        assert _sign_in(base) == base + "/"  # landed on the clinician page, signed in
        assert time.monotonic() - started < 5
        thread.join(CLIENT_READ_TIMEOUT + SLACK + 10)
        assert not thread.is_alive()
        assert slow["reply"].startswith(b"HTTP/1.1 408")  # type: ignore[union-attr]
        assert slow["seconds"] < CLIENT_READ_TIMEOUT + SLACK  # type: ignore[operator]
