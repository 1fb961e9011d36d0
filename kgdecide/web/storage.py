"""Where the web app keeps keys, users and the audit log: three small interfaces, one backend.

:class:`Storage` bundles them for :func:`kgdecide.web.create_app`; :meth:`Storage.sqlite` opens the
SQLite implementation (:class:`~kgdecide.web.auth.KeyStore`, :class:`~kgdecide.web.users.UserStore`,
:class:`~kgdecide.web.audit.AuditLog`). Another backend implements the same three protocols, reusing
the backend-free rules (key digests, password hashing, back-off) of those modules, and keeps every
audit guarantee: a record is durable before :meth:`Audit.append` returns, records are never
changed or deleted, and free text is stored only when the log was opened to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kgdecide.web.audit import AuditRecord
    from kgdecide.web.auth import ApiKey
    from kgdecide.web.users import SignIn, User


class Keys(Protocol):
    def create(self, role: str, name: str = "") -> tuple[ApiKey, str]: ...
    def verify(self, secret: str) -> ApiKey | None: ...
    def revoke(self, key_id: str) -> bool: ...
    def list(self) -> tuple[ApiKey, ...]: ...


class Users(Protocol):
    def create(self, name: str, role: str, password: str) -> User: ...
    def list(self) -> tuple[User, ...]: ...
    def any_active(self) -> bool: ...
    def disable(self, name: str) -> bool: ...
    def sign_in(self, name: str, password: str) -> SignIn: ...
    def start_session(self, user: User) -> str: ...
    def session_user(self, token: str, idle_seconds: float) -> User | None: ...
    def end_session(self, token: str) -> None: ...


class Audit(Protocol):
    keep_free_text: bool

    def append(self, records: list[AuditRecord]) -> None: ...
    def get(self, decision_id: str) -> AuditRecord | None: ...
    def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Storage:
    keys: Keys
    users: Users
    audit: Audit

    @classmethod
    def sqlite(cls, accounts: Path, audit: Path, keep_free_text: bool) -> Storage:
        """Keys and users in the ``accounts`` file, decisions in the ``audit`` file."""
        from kgdecide.web.audit import AuditLog
        from kgdecide.web.auth import KeyStore
        from kgdecide.web.users import UserStore

        return cls(KeyStore.open(accounts), UserStore.open(accounts),
                   AuditLog.open(audit, keep_free_text))
