"""A bare Flask JSON endpoint under ``kgdecide serve``'s gunicorn settings: the ceiling bench/serve.py
compares decisions with (what the server, the load shedder and locust cost with no app work).

    python bench/_bare_flask.py --port 8123 --workers 2

``GET /bare`` answers ``{"status": "ok"}``; the same worker class, threads, keep-alive and load
shedder as ``kgdecide serve`` (kgdecide/web/serve.py), on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from flask import Flask, jsonify
    from gunicorn.app.base import BaseApplication

    from kgdecide.web import MAX_BODY_BYTES
    from kgdecide.web.overload import LoadShedder, OverloadLimits
    from kgdecide.web.serve import CLIENT_READ_TIMEOUT, gunicorn_options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    app = Flask("bare")

    @app.get("/bare")
    def bare() -> Any:
        return jsonify({"status": "ok"})

    app.wsgi_app = LoadShedder(app.wsgi_app, OverloadLimits(  # type: ignore[method-assign]
        body_timeout=CLIENT_READ_TIMEOUT, max_body=MAX_BODY_BYTES))
    options = {**gunicorn_options("127.0.0.1", args.port, args.workers), "proc_name": "bare"}

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    _Server().run()


if __name__ == "__main__":
    main()
