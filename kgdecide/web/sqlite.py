"""SQLite connections for the web app's small databases (keys, audit)."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


class LocalConnection:
    """One connection per thread and per process: sqlite3 connections must not cross a thread
    or a gunicorn fork. Every connection uses WAL, so readers never block the writer."""

    def __init__(self, path: Path, timeout: float, pragmas: tuple[str, ...] = ()) -> None:
        self.path = path
        self.timeout = timeout
        self.pragmas = ("journal_mode=WAL", *pragmas)
        self._local = threading.local()

    def __call__(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.db = sqlite3.connect(self.path, timeout=self.timeout)
            for pragma in self.pragmas:
                local.db.execute(f"PRAGMA {pragma}")
            local.pid = os.getpid()
        return local.db
