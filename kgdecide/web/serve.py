"""``kgdecide serve``: the app under gunicorn.

The app is built once in the gunicorn master (``preload_app``) before the workers fork, so the
store, search index and linker are loaded once and shared copy-on-write, and a missing store
stops the command with its message instead of failing in every worker.

Workers are gunicorn ``gthread`` workers behind :class:`~kgdecide.web.overload.LoadShedder`: each
runs one request at a time in the app (as a sync worker would) but keeps threads to read slow
clients' bodies and to answer 503 + Retry-After at once when its bounded queue would make a request
wait over half a second, instead of leaving the excess in the listen backlog where waits grow
without bound under overload (see docs/RELIABILITY.md).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kgdecide.errors import KgdecideError
from kgdecide.settings import Settings

logger = logging.getLogger(__name__)


#: Threads per worker: one runs the app, the others read request bodies, wait in the bounded
#: queue (at most 24, see OverloadLimits) or answer 503 at once; idle keep-alive connections hold
#: no thread.
THREADS = 32

#: Seconds a client may take for any one read of its request line, headers or body.
CLIENT_READ_TIMEOUT = 10.0


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn settings for ``kgdecide serve``.

    >>> gunicorn_options("127.0.0.1", 5000, 2)["bind"]
    ['127.0.0.1:5000']
    """
    from kgdecide.web.overload import thread_worker

    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": max(1, workers),
        "worker_class": thread_worker(CLIENT_READ_TIMEOUT),
        "threads": THREADS,
        "preload_app": True,
        "timeout": 120,  # the first Chinese text loads a multilingual model in that worker
        "graceful_timeout": 10,
        # Idle kept-alive connections stay open this long (gunicorn's default is 2 s): a tool
        # posting every few seconds would otherwise often reuse a connection just as the server
        # closes it and see a reset. Idle connections wait in the poller, not in a thread.
        "keepalive": 10,
        "accesslog": None,  # our own request log: method, route template, status, latency, key id
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kgdecide",
        # gunicorn's control socket lives at one fixed path in $HOME: two servers (or a test run
        # beside a running server) would fight over it, and kgdecide does not use it.
        "control_socket_disable": True,
    }


#: Bytes written (and removed) at start to prove the data directory takes writes: a few audit rows.
PROBE_BYTES = 64 * 1024


def check_writable(home: Path) -> None:
    """Fail at start, naming ``home``, when the key and audit databases there cannot be written.

    Without this a read-only or full data directory surfaces later, in the middle of a request
    (the first decision's audit write). The probe writes and syncs :data:`PROBE_BYTES`, so a disk
    with no room left fails here too.

    >>> import tempfile
    >>> check_writable(Path(tempfile.mkdtemp()))
    """
    import os
    import tempfile

    from kgdecide.errors import ConfigError

    fix = ("serve needs a writable data directory for its key and audit databases: free space "
           "there, mount it read-write, or point KGDECIDE_HOME (or --home) at another directory")
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-probe-") as probe:
            probe.write(b"\0" * PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
        for name in ("keys.sqlite3", "audit.sqlite3"):
            database = home / name
            if database.exists() and not os.access(database, os.W_OK):
                raise ConfigError(f"the data directory {home}: {database.name} is read-only; {fix}")
    except OSError as e:
        raise ConfigError(f"the data directory {home} cannot be written ({e.strerror or e}); "
                          f"{fix}") from e


#: The account ``make run`` signs in with on a fresh machine, and the file keeping its password.
LOCAL_ADMIN = "admin"
LOCAL_ADMIN_FILE = "local-admin-password"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def prepare_accounts(settings: Settings, host: str, url: str) -> str | None:
    """Make sure someone can sign in: on loopback, the first start creates the local admin and
    says how to sign in; elsewhere, starting with no user is refused (``ConfigError`` saying what
    to do). Returns the sign-in notice to show, if any."""
    import os
    import secrets

    from kgdecide.errors import ConfigError
    from kgdecide.web.storage import open_accounts

    users = open_accounts(settings)[1]
    kept = settings.home / LOCAL_ADMIN_FILE
    if not users.any_active():
        if not is_loopback(host):
            raise ConfigError(
                f"--host {host} makes the pages reachable from other machines, and no user "
                "account exists to sign in with: create one first with `kgdecide users create "
                "NAME --role admin` (and API keys with `kgdecide keys create --role ROLE`), or "
                "serve on 127.0.0.1")
        password = secrets.token_urlsafe(12)
        users.create(LOCAL_ADMIN, "admin", password)
        fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        return (f"First start: created the user '{LOCAL_ADMIN}' (role admin) for this machine.\n"
                f"  Open {url} and sign in as {LOCAL_ADMIN} with password {password}\n"
                f"  (kept in {kept}, readable by you only; `kgdecide users create` adds others).")
    if kept.is_file() and any(u.name == LOCAL_ADMIN and u.disabled is None for u in users.list()):
        return f"Open {url} and sign in as {LOCAL_ADMIN}; the password is in {kept}."
    return None


def _close_connections_before_fork(app: Any, store: str) -> None:
    """Close the Neo4j driver that building the app opened: forked workers would share its
    sockets and read each other's replies (a 500 on a worker's first request). The store opens a
    driver of its own in each worker on first use."""
    from kgdecide.graph import is_neo4j_uri

    if is_neo4j_uri(store):
        app.extensions["kgdecide"].engine.store.close()


def _prepare_linker(app: Any) -> None:
    """Embed the linker's name indexes (the multilingual one for Chinese notes) before any
    worker forks, with a progress bar the first time: a request never waits for them, and the
    workers share the vectors copy-on-write."""
    from kgdecide.progress import progress_bar

    linker = app.extensions["kgdecide"].engine.linker
    if linker is not None:
        try:
            linker.prepare(lambda what, total: progress_bar(f"Embedding the {what} before serving", total))
        except KgdecideError as e:  # the model's package is missing: Chinese notes get a note
            logger.warning("the linker's dense index is not ready: %s", e)


def run(settings: Settings, store: str, host: str = "127.0.0.1", port: int = 5000,
        workers: int = 2, announce: Any = None) -> None:
    """Serve until interrupted; ``announce`` shows how to sign in (the CLI prints it)."""
    from kgdecide.web import create_app

    logging.getLogger("kgdecide").setLevel(logging.INFO)
    check_writable(settings.home)
    where = f"[{host}]" if ":" in host else host
    notice = prepare_accounts(settings, host, f"http://{where}:{port}/")
    app = create_app({"SETTINGS": settings, "STORE": store})
    _prepare_linker(app)
    _close_connections_before_fork(app, store)
    options = gunicorn_options(host, port, workers)
    logger.info("serving on http://%s:%d with %d workers", host, port, options["workers"])
    if notice and announce is not None:  # it may hold a password: the terminal, not the log
        announce(notice)
    serve_wsgi(app, options)


def serve_wsgi(app: Any, options: dict[str, Any]) -> None:
    """Run a Flask app behind the load shedder under gunicorn with ``options``
    (:func:`gunicorn_options`) until interrupted."""
    from gunicorn.app.base import BaseApplication

    from kgdecide.web import MAX_BODY_BYTES
    from kgdecide.web.overload import LoadShedder, OverloadLimits

    app.wsgi_app = LoadShedder(app.wsgi_app, OverloadLimits(
        body_timeout=CLIENT_READ_TIMEOUT, max_body=MAX_BODY_BYTES))

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    _Server().run()
