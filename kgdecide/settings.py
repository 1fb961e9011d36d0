"""Settings: one frozen dataclass, read from ``KGDECIDE_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "kgdecide"


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path  #: where named stores live: ``<home>/stores/<name>``

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = env.get("KGDECIDE_HOME")
        return cls(home=Path(home).expanduser() if home else _default_home())

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
