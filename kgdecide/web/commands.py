"""``kgdecide keys``: create, list and revoke API keys (register with ``main.add_command(keys)``).

Keys live hashed in ``<home>/keys.sqlite3``; a new key is printed once and cannot be shown again.
"""

from __future__ import annotations

from typing import Any

import click


def _store(settings: Any) -> Any:
    from kgdecide.web.auth import KeyStore

    return KeyStore.open(settings.home / "keys.sqlite3")


@click.group("keys")
def keys() -> None:
    """Manage API keys for the web API."""


@keys.command("create")
@click.option("--role", required=True,
              type=click.Choice(["clinician", "analyst", "explorer", "admin"]),
              help="clinician: decide, link; analyst: all API reads and decisions; "
                   "explorer: graph reads; admin: everything.")
@click.option("--name", default="", help="A note saying who or what the key is for.")
@click.pass_obj
def create(settings: Any, role: str, name: str) -> None:
    """Create a key and print it once."""
    record, secret = _store(settings).create(role, name)
    click.echo(secret)
    click.echo(f"key id {record.id}, role {record.role}: store it now, it cannot be shown again",
               err=True)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_obj
def revoke(settings: Any, key_id: str) -> None:
    """Revoke the key with id KEY_ID (the part after kgd_)."""
    if not _store(settings).revoke(key_id):
        raise click.ClickException(f"no valid key has id {key_id!r}; `kgdecide keys list` shows them")
    click.echo(f"revoked {key_id}")


@keys.command("list")
@click.pass_obj
def list_keys(settings: Any) -> None:
    """List keys (ids, roles, names, dates; never the secrets)."""
    for k in _store(settings).list():
        state = f"revoked {k.revoked}" if k.revoked else "valid"
        click.echo(f"{k.id}\t{k.role}\t{k.created}\t{state}\t{k.name}")
