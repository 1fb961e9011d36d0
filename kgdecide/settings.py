"""Settings: one frozen dataclass, read from ``KGDECIDE_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kgdecide.errors import ConfigError


def _default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "kgdecide"


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number >= 0 from the environment variable ``name``; ConfigError naming it if not.

    >>> _count({"N": " 12 "}, "N", 5), _count({}, "N", 5)
    (12, 5)
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number >= 0 (0 turns it off), not {raw!r}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path  #: where named stores live: ``<home>/stores/<name>``
    # --- web app (issue 5); the key and audit databases live in ``home``
    audit_free_text: bool = False  #: keep the free text of decisions in the audit log (off: ids only)
    rate_limit_per_minute: int = 120  #: API requests per key per minute; 0 turns the limit off
    #: signs session cookies and CSRF tokens; empty: one kept in ``<home>/secret_key``
    secret_key: str = ""
    # --- sign-in (issue 13)
    secure_cookies: bool = False  #: send the session cookie over HTTPS only (set it behind TLS)
    session_idle_minutes: int = 30  #: a signed-in session ends after this long without a request
    trusted_proxies: str = ""  #: addresses/networks whose X-Forwarded-For is believed; empty: none
    public_metrics: bool = True  #: ``/metrics`` needs no key; off: a key allowing ``metrics``
    # --- shared state for several servers (issue 19; docs/SCALING.md)
    #: keys, users and audit in PostgreSQL (``postgresql://...``); empty: SQLite files in ``home``
    database_url: str = ""
    #: rate limits (and the decision cache) in Redis (``redis://...``); empty: in process memory
    redis_url: str = ""
    # --- serving (issue 16)
    #: coded decisions' response bodies kept per process (LRU); 0 turns the cache off
    response_cache_entries: int = 1024

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = env.get("KGDECIDE_HOME")
        return cls(
            home=Path(home).expanduser() if home else _default_home(),
            audit_free_text=_flag(env.get("KGDECIDE_AUDIT_FREE_TEXT", "")),
            rate_limit_per_minute=int(env.get("KGDECIDE_RATE_LIMIT_PER_MINUTE", "120")),
            secret_key=env.get("KGDECIDE_SECRET_KEY", ""),
            secure_cookies=_flag(env.get("KGDECIDE_SECURE_COOKIES", "")),
            session_idle_minutes=int(env.get("KGDECIDE_SESSION_IDLE_MINUTES", "30")),
            trusted_proxies=env.get("KGDECIDE_TRUSTED_PROXIES", ""),
            public_metrics=_flag(env.get("KGDECIDE_PUBLIC_METRICS", "1")),
            database_url=env.get("KGDECIDE_DATABASE_URL", "").strip(),
            redis_url=env.get("KGDECIDE_REDIS_URL", "").strip(),
            response_cache_entries=_count(env, "KGDECIDE_RESPONSE_CACHE_ENTRIES", 1024),
        )

    def store_dir(self, store: str) -> Path:
        """A store given by name (``clinical``) or by path (anything with a slash or a dot).

        >>> Settings(Path("/h")).store_dir("clinical").as_posix()
        '/h/stores/clinical'
        >>> Settings(Path("/h")).store_dir("./kg").as_posix()
        'kg'
        """
        if "/" in store or store.startswith("."):
            return Path(store).expanduser()
        return self.home / "stores" / store
