"""Where the web app keeps keys, users and the audit log: three small interfaces, two backends.

:class:`Storage` bundles them for :func:`kgdecide.web.create_app`; :meth:`Storage.sqlite` opens the
SQLite implementation (:class:`~kgdecide.web.auth.KeyStore`, :class:`~kgdecide.web.users.UserStore`,
:class:`~kgdecide.web.audit.AuditLog`), :meth:`Storage.postgres` the PostgreSQL one
(:mod:`kgdecide.web.postgres`), and :func:`open_storage` the one the settings select
(``KGDECIDE_DATABASE_URL``). A backend implements the same three protocols, reusing
the backend-free rules (key digests, password hashing, back-off) of those modules, and keeps every
audit guarantee: a record is durable before :meth:`Audit.append` returns, records are never
changed or deleted, and free text is stored only when the log was opened to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kgdecide.settings import Settings
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

    def close(self) -> None:
        """Close the backend's connections where it keeps any open (PostgreSQL)."""
        for part in (self.keys, self.users, self.audit):
            close = getattr(part, "close", None)
            if close is not None:
                close()

    @classmethod
    def postgres(cls, url: str, keep_free_text: bool) -> Storage:
        """All three in the PostgreSQL database at ``url``, migrated to the newest schema."""
        from kgdecide.web.postgres import PgAuditLog, PgKeyStore, PgUserStore, migrate

        migrate(url)
        return cls(PgKeyStore(url), PgUserStore(url), PgAuditLog(url, keep_free_text))


def open_storage(settings: Settings, accounts: Path | None = None, audit: Path | None = None,
                 keep_free_text: bool | None = None) -> Storage:
    """The backend ``settings`` select: PostgreSQL when ``database_url`` is set, else SQLite files
    (``accounts`` and ``audit``, by default ``keys.sqlite3`` and ``audit.sqlite3`` in the home)."""
    free_text = settings.audit_free_text if keep_free_text is None else keep_free_text
    if settings.database_url:
        return Storage.postgres(settings.database_url, free_text)
    return Storage.sqlite(accounts or settings.home / "keys.sqlite3",
                          audit or settings.home / "audit.sqlite3", free_text)


def open_accounts(settings: Settings) -> tuple[Keys, Users]:
    """The keys and users ``settings`` select, without opening the audit log (the CLI's
    ``keys`` and ``users`` commands)."""
    if settings.database_url:
        from kgdecide.web.postgres import PgKeyStore, PgUserStore, migrate

        migrate(settings.database_url)
        return PgKeyStore(settings.database_url), PgUserStore(settings.database_url)
    from kgdecide.web.auth import KeyStore
    from kgdecide.web.users import UserStore

    path = settings.home / "keys.sqlite3"
    return KeyStore.open(path), UserStore.open(path)
