"""``kgdecide serve``: the app under gunicorn.

The app is built once in the gunicorn master (``preload_app``) before the workers fork, so the
store, search index and linker are loaded once and shared copy-on-write, and a missing store
stops the command with its message instead of failing in every worker.
"""

from __future__ import annotations

import logging
from typing import Any

from kgdecide.settings import Settings

logger = logging.getLogger(__name__)


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn settings for ``kgdecide serve``.

    >>> gunicorn_options("127.0.0.1", 5000, 2)["bind"]
    ['127.0.0.1:5000']
    """
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": max(1, workers),
        "preload_app": True,
        "timeout": 120,  # the first Chinese text loads a multilingual model in that worker
        "graceful_timeout": 10,
        "accesslog": None,  # our own request log: method, route template, status, latency, key id
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kgdecide",
        # gunicorn's control socket lives at one fixed path in $HOME: two servers (or a test run
        # beside a running server) would fight over it, and kgdecide does not use it.
        "control_socket_disable": True,
    }


def run(settings: Settings, store: str, host: str = "127.0.0.1", port: int = 5000,
        workers: int = 2) -> None:
    """Serve until interrupted."""
    from gunicorn.app.base import BaseApplication

    from kgdecide.web import create_app

    logging.getLogger("kgdecide").setLevel(logging.INFO)
    app = create_app({"SETTINGS": settings, "STORE": store})
    options = gunicorn_options(host, port, workers)

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    logger.info("serving on http://%s:%d with %d workers", host, port, options["workers"])
    _Server().run()
