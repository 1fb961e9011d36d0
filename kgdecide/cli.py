"""The ``kgdecide`` command line."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from kgdecide.console import print_counts
from kgdecide.errors import KgdecideError
from kgdecide.packs import PACKS, resolve
from kgdecide.settings import Settings


#: Commands that live beside the stage they drive: command name -> "module:attribute".
STAGE_COMMANDS = {
    "keys": "kgdecide.web.commands:keys",
    "users": "kgdecide.web.commands:users",
    "link": "kgdecide.packs.linking:link_command",
}
#: Commands defined in this module (no pack may reuse their names).
_EAGER = ("build", "ingest", "export", "info", "serve")


def _lazy_commands() -> dict[str, dict[str, str]]:
    """Group name ("" for the top) -> command name -> "module:attribute": the stages' commands,
    and each pack's from :data:`kgdecide.packs.PACKS` (its ``build`` under ``kgdecide build``).
    Imported only when used, so that the CLI starts fast."""
    top, build = dict(STAGE_COMMANDS), {}
    for pack in PACKS:
        build[pack.name] = pack.build
        for name, reference in pack.commands:
            if name in top or name in _EAGER:
                raise ValueError(f"pack {pack.name}: command {name!r} is taken")
            top[name] = reference
    return {"": top, "build": build}


#: Group name -> command name -> "module:attribute" (see :func:`_lazy_commands`).
LAZY_COMMANDS = _lazy_commands()


class _Group(click.Group):
    """Loads :data:`LAZY_COMMANDS` on use, and shows kgdecide's own errors as one readable line
    (exit 1), never as a stack trace."""

    def _lazy(self) -> dict[str, str]:
        return LAZY_COMMANDS.get("" if self.name == "main" else self.name or "", {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        lazy = self._lazy()
        if name in lazy and name not in self.commands:
            self.add_command(resolve(lazy[name]), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgdecideError as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group)
@click.option("--home", type=click.Path(path_type=Path), envvar="KGDECIDE_HOME",
              help="Where named stores live (default: $XDG_DATA_HOME/kgdecide).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress messages.")
@click.version_option(package_name="kgdecide")
@click.pass_context
def main(ctx: click.Context, home: Path | None, verbose: bool) -> None:
    """Knowledge-graph decision support: build graphs, link findings, rank and explain."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    ctx.obj = dataclasses.replace(settings, home=home) if home else settings


def _store_option(default: str = "clinical") -> Any:
    return click.option("--store", default=default, show_default=True,
                        help="A store name (under --home) or a directory path.")


@main.group(cls=_Group)
def build() -> None:
    """Build a domain knowledge graph into a store (one command per pack)."""


@main.command()
@click.argument("format_name", metavar="FORMAT")
@click.argument("paths", nargs=-1)
@_store_option(default="default")
@click.option("--name", default=None, help="Graph name recorded in the snapshot (default: the store name).")
@click.option("--skip-bad", is_flag=True, help="Skip malformed lines (counted) instead of stopping.")
@click.option("--map", "mappings", multiple=True, metavar="ROLE=COLUMN",
              help="CSV/TSV: which column plays subject, relation, object or an edge property; "
                   "relation_value=NAME gives one relation to every row.")
@click.option("--delimiter", default=None, help="CSV/TSV delimiter (default: from the file ending).")
@click.option("--from-store", default="clinical", show_default=True,
              help="neo4j, rdf: the built store whose graph is loaded into the server or RDF store.")
@click.pass_obj
def ingest(settings: Settings, format_name: str, paths: tuple[str, ...], store: str,
           name: str | None, skip_bad: bool, mappings: tuple[str, ...], delimiter: str | None,
           from_store: str) -> None:
    """Read FORMAT files into a new snapshot of a store, or load a built graph into Neo4j.

    FORMAT is one of nt, ttl, rdfxml, jsonld (RDF), obo, kgx (a nodes and an edges TSV), csv,
    tsv (edge lists with --map). The snapshot replaces the store's current one only once every
    file was read; on a malformed line nothing is written.

    `kgdecide ingest neo4j bolt://HOST:7687 --from-store clinical` writes a built graph into a
    Neo4j server (credentials from KGDECIDE_NEO4J_USER and KGDECIDE_NEO4J_PASSWORD).

    `kgdecide ingest rdf FILE... --store rdf:DIR` loads RDF files as they are into an Oxigraph
    store (every triple kept); `kgdecide ingest rdf --from-store clinical --store rdf:DIR` writes
    a built graph there in kgdecide's RDF shape (edge properties on RDF 1.2 reifiers).
    """
    if format_name.lower() == "neo4j":
        _load_into_neo4j(settings, paths, from_store)
        return
    if format_name.lower() == "rdf":
        _load_into_rdf(settings, paths, store, name, from_store)
        return
    if not paths:
        raise click.BadParameter("give at least one file to read", param_hint="PATHS")
    _ingest_files(settings, format_name, _existing_files(paths), store, name, skip_bad,
                  _parse_mappings(mappings), delimiter)


def _existing_files(paths: tuple[str, ...]) -> list[Path]:
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise click.BadParameter(f"{missing[0]!r} does not exist", param_hint="PATHS")
    return [Path(p) for p in paths]


def _ingest_files(settings: Settings, format_name: str, paths: list[Path], store: str,
                  name: str | None, skip_bad: bool, column_map: dict[str, str],
                  delimiter: str | None) -> None:
    from kgdecide.graph.builder import GraphBuilder
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.ingest import IngestOptions, reader_for
    from kgdecide.progress import progress_bar

    read = reader_for(format_name)
    builder = GraphBuilder(name or Path(store).name)
    total = sum(p.stat().st_size for p in paths if p.is_file())
    with progress_bar(f"Reading {format_name}", total or None, in_bytes=True) as advance:
        reports = [
            read(builder, path, IngestOptions(skip_bad, advance, column_map, delimiter))
            for path in paths
        ]
    for report in reports:
        click.echo(f"{report.path}: {report.records:,} records read, {report.skipped:,} skipped")
        for example in report.skipped_examples:
            click.echo(f"  skipped {example}")
    hint = f"kgdecide ingest {format_name} " + " ".join(str(p) for p in paths)
    stored = EmbeddedStore.write(builder.build(), settings.store_dir(store), rebuild_hint=hint)
    print_counts(stored.counts(), stored.version)


def _load_into_neo4j(settings: Settings, paths: tuple[str, ...], from_store: str) -> None:
    from kgdecide.graph import is_neo4j_uri, open_store
    from kgdecide.graph.neo4j import Neo4jStore
    from kgdecide.graph.neo4j_load import load_graph
    from kgdecide.progress import progress_bar

    if len(paths) != 1 or not is_neo4j_uri(paths[0]):
        raise click.BadParameter("give one Neo4j URI, e.g. bolt://127.0.0.1:7687", param_hint="PATHS")
    graph = open_store(settings, from_store).projection()
    target = open_store(settings, paths[0])
    assert isinstance(target, Neo4jStore)
    with target, progress_bar("Loading into Neo4j", graph.counts().nodes + graph.counts().edges) as advance:
        version = load_graph(graph, target.driver, advance=advance)
    click.echo(f"loaded graph version {version} into {paths[0]}")


def _load_into_rdf(settings: Settings, paths: tuple[str, ...], store: str, name: str | None,
                   from_store: str) -> None:
    from kgdecide.graph import is_rdf_store, open_store
    from kgdecide.graph.rdf import open_rdf_store
    from kgdecide.progress import progress_bar

    if not is_rdf_store(store):
        raise click.BadParameter(f"{store!r} is not an RDF store; write --store rdf:DIR "
                                 "(or use ttl, nt, rdfxml or jsonld to build an embedded store)",
                                 param_hint="--store")
    target = open_rdf_store(store)
    if paths:
        files = _existing_files(paths)
        with progress_bar("Loading RDF files", len(files)) as advance:
            version = target.load_files(files, name or Path(store[len("rdf:"):]).name, advance)
    else:
        graph = open_store(settings, from_store).projection()
        with progress_bar("Writing RDF", None) as advance:
            version = target.write_graph(graph, advance)
    print_counts(target.counts(), version)


def _parse_mappings(mappings: tuple[str, ...]) -> dict[str, str]:
    column_map = {}
    for item in mappings:
        role, sep, column = item.partition("=")
        if not sep or not role or not column:
            raise click.BadParameter(f"{item!r} is not ROLE=COLUMN", param_hint="--map")
        column_map[role.strip()] = column.strip()
    return column_map


@main.command()
@click.argument("format_name", metavar="FORMAT", type=click.Choice(["nt", "kgx"]))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="nt: the file to write; kgx: a prefix, writing PREFIX_nodes.tsv and PREFIX_edges.tsv.")
@_store_option()
@click.pass_obj
def export(settings: Settings, format_name: str, out: Path, store: str) -> None:
    """Export a store's graph as N-Triples or KGX TSV."""
    from kgdecide.export import export_kgx, export_ntriples
    from kgdecide.graph.embedded import EmbeddedStore

    graph = EmbeddedStore.from_path(settings.store_dir(store))
    written = (export_ntriples if format_name == "nt" else export_kgx)(graph, out)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@_store_option()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def info(settings: Settings, store: str, as_json: bool) -> None:
    """Show a store's version and its node and edge counts by type and relation."""
    from kgdecide.graph.embedded import EmbeddedStore

    stored = EmbeddedStore.from_path(settings.store_dir(store))
    counts = stored.counts()
    if as_json:
        click.echo(json.dumps({"version": stored.version, "nodes": dict(counts.nodes_by_type),
                               "edges": dict(counts.edges_by_relation)}, indent=2))
    else:
        print_counts(counts, stored.version)


@main.command()
@_store_option()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.pass_obj
def serve(settings: Settings, store: str, host: str, port: int, workers: int) -> None:
    """Serve the web app and API (gunicorn).

    The pages need a signed-in user: on 127.0.0.1 the first start creates a local admin and
    prints how to sign in; another --host needs `kgdecide users create` first."""
    try:
        from kgdecide.web.serve import run
    except ImportError:
        raise click.ClickException("the web app is not part of this build yet") from None
    run(settings, store, host, port, workers, announce=lambda text: click.echo(text, err=True))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
