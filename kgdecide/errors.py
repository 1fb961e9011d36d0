"""Every error kgdecide raises on purpose derives from :class:`KgdecideError`.

Each subclass names a condition, and its message says what was wrong and how to fix it, so the CLI
and the web layer can show it as it is, without a stack trace.
"""

from __future__ import annotations

from pathlib import Path


class KgdecideError(Exception):
    """Base class of kgdecide's own errors."""


class ConfigError(KgdecideError):
    """A setting, option or name (scorer, format, store) is not one kgdecide knows."""


class InvalidQuery(KgdecideError):
    """A request names something malformed; ``field`` says which part of the request."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class NodeNotFound(KgdecideError, KeyError):
    """A node id is not in the graph."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(node_id)

    def __str__(self) -> str:  # KeyError would quote the repr; say it plainly.
        return f"node {self.node_id!r} is not in the graph"


class StoreUnavailable(KgdecideError):
    """The graph store cannot be reached right now; the same request may succeed later."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class StoreMisconfigured(StoreUnavailable, ConfigError):
    """The graph store refuses this server's settings (credentials, database name): a
    ``ConfigError`` for the operator at start, a ``StoreUnavailable`` to a client while serving
    (the request is not to blame, and the message names the server and user)."""


class LinkerUnavailable(KgdecideError):
    """Text was given but this build or server has no text linker: send coded findings."""


class AuditUnavailable(StoreUnavailable):
    """The audit log cannot be written (disk full, read-only): the decision is not answered, so
    nothing reaches a client unaudited; the same request may succeed once there is room."""


class SnapshotError(KgdecideError):
    """A snapshot on disk is missing, corrupt or written by an incompatible version."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}. {fix}")


class IngestError(KgdecideError):
    """An input file has a line kgdecide cannot read; nothing was written."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(
            f"{where}: {reason}. Nothing was written; fix the line or pass --skip-bad to skip "
            "bad lines."
        )
