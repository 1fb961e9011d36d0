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

    from kgdecide.web.serve import gunicorn_options, serve_wsgi

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    app = Flask("bare")

    @app.get("/bare")
    def bare() -> Any:
        return jsonify({"status": "ok"})

    serve_wsgi(app, {**gunicorn_options("127.0.0.1", args.port, args.workers), "proc_name": "bare"})


if __name__ == "__main__":
    main()
