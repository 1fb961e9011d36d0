"""PACKS, the one list through which packs plug into the CLI and the web app."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from kgdecide.cli import main
from kgdecide.errors import ConfigError
from kgdecide.packs import PACKS, Pack, PackRoute, pack, resolve


@pytest.mark.parametrize("entry", PACKS, ids=lambda p: p.name)
def test_every_pack_command_is_a_click_command_the_cli_mounts(entry: Pack) -> None:
    assert isinstance(resolve(entry.build), click.Command)
    built = CliRunner().invoke(main, ["build", entry.name, "--help"])
    assert built.exit_code == 0, built.output
    for name, reference in entry.commands:
        assert isinstance(resolve(reference), click.Command)
        shown = CliRunner().invoke(main, [name, "--help"])
        assert shown.exit_code == 0, shown.output


@pytest.mark.parametrize("entry", [p for p in PACKS if p.routes], ids=lambda p: p.name)
def test_every_pack_route_names_models_and_a_handler(entry: Pack) -> None:
    assert entry.routes is not None and entry.open is not None
    assert callable(resolve(entry.open))
    routes = resolve(entry.routes)
    assert routes and all(isinstance(r, PackRoute) for r in routes)
    for route in routes:
        assert issubclass(route.request, BaseModel) and issubclass(route.response, BaseModel)
        assert callable(resolve(route.handler)), route.handler


def test_routes_and_command_names_are_unique_across_packs() -> None:
    paths = [(r.method, r.path) for p in PACKS if p.routes for r in resolve(p.routes)]
    assert len(paths) == len(set(paths))
    names = [name for p in PACKS for name, _ in p.commands]
    assert len(names) == len(set(names))
    assert len({p.name for p in PACKS}) == len(PACKS)


def test_a_pack_with_routes_but_no_state_is_refused() -> None:
    with pytest.raises(ValueError, match="routes and open go together"):
        Pack("legal", build="x:y", routes="x:ROUTES")
    with pytest.raises(ValueError, match="method"):
        PackRoute("put", "/legal/x", "x", "x", "legal", BaseModel, BaseModel, "x:y")


def test_unknown_pack_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="clinical, finance"):
        pack("legal")
