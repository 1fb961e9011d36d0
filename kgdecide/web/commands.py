"""``kgdecide keys``: create, list and revoke API keys (register with ``main.add_command(keys)``).

Keys live hashed in ``<home>/keys.sqlite3``, or in PostgreSQL when ``KGDECIDE_DATABASE_URL`` is
set; a new key is printed once and cannot be shown again.
"""

from __future__ import annotations

from typing import Any

import click


def _store(settings: Any) -> Any:
    from kgdecide.web.storage import open_accounts

    return open_accounts(settings)[0]


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


def _users(settings: Any) -> Any:
    from kgdecide.web.storage import open_accounts

    return open_accounts(settings)[1]


@click.group("users")
def users() -> None:
    """Manage the people who sign in to the pages (same roles as keys)."""


@users.command("create")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(["clinician", "analyst", "explorer", "admin"]),
              help="clinician: the clinician page; explorer: the graph explorer; analyst: both "
                   "and every stored decision; admin: everything.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (one line) instead of a prompt.")
@click.pass_obj
def create_user(settings: Any, name: str, role: str, password_stdin: bool) -> None:
    """Create a user NAME who signs in with a password (asked twice, never shown)."""
    from kgdecide.errors import ConfigError

    if password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = _users(settings).create(name, role, password)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"created user {user.name}, role {user.role}")


@users.command("list")
@click.pass_obj
def list_users(settings: Any) -> None:
    """List users (names, roles, dates; never the password hashes)."""
    for u in _users(settings).list():
        state = f"disabled {u.disabled}" if u.disabled else "enabled"
        click.echo(f"{u.name}\t{u.role}\t{u.created}\t{state}")


@users.command("disable")
@click.argument("name")
@click.pass_obj
def disable_user(settings: Any, name: str) -> None:
    """Disable user NAME: they cannot sign in, and their open sessions end now."""
    if not _users(settings).disable(name):
        raise click.ClickException(f"no enabled user is named {name!r}; `kgdecide users list` "
                                   "shows them")
    click.echo(f"disabled {name}")
