"""The finance pack's commands: ``kgdecide build finance`` and the ``kgdecide finance`` group.

Mounted by :mod:`kgdecide.cli` from :data:`kgdecide.packs.PACKS` (``kgdecide build finance``,
``kgdecide finance ...``). Heavy imports stay inside the commands.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from kgdecide.settings import Settings


def _shared_finance() -> Path:
    import os

    configured = os.environ.get("KGDECIDE_SHARED_DATA")
    base = Path(configured) if configured else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    return (base / "finance").resolve()


def _default(name: str) -> Path | None:
    path = _shared_finance() / name
    return path if path.is_dir() else None


@click.command("finance")
@click.option("--store", default="finance", show_default=True,
              help="A store name (under --home) or a directory path.")
@click.option("--findkg", type=click.Path(exists=True, file_okay=False, path_type=Path),
              envvar="KGDECIDE_FINDKG", show_envvar=True,
              help="A FinDKG folder (entity2id.txt, relation2id.txt, train/valid/test.txt). FinDKG "
                   "is GPL-3.0 and non-commercial: it is read from where you keep it, never "
                   "copied. Default: $KGDECIDE_FINDKG, else (for development) "
                   "../shared/data/finance/findkg when present.")
@click.option("--symbols", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="US-Stock-Symbols folder (nasdaq/, nyse/, amex/ *_full_tickers.json); default "
                   "../shared/data/finance/us-stock-symbols when present.")
@click.option("--form13", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="SEC 13F folder (form13_sample.csv, cusip6-to-cik-mapping.csv); default "
                   "../shared/data/finance/sec-form13 when present.")
@click.option("--no-indices", is_flag=True,
              help="Leave out index membership (else read from the index-constitution package).")
@click.option("--first-week", default="2018-01-01", show_default=True,
              help="Monday of FinDKG week 0 (FinDKG's time2id.txt labels week 0 2018-01-07).")
@click.pass_obj
def build_finance_command(settings: Settings, store: str, findkg: Path | None,
                          symbols: Path | None, form13: Path | None, no_indices: bool,
                          first_week: str) -> None:
    """Build the finance KG: FinDKG news facts by week, listings, 13F holdings, index membership."""
    import time

    from kgdecide.console import print_counts
    from kgdecide.errors import ConfigError
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.finance.build import FinanceSources, build_finance_graph
    from kgdecide.progress import progress_bar

    findkg = findkg or _default("findkg")
    if findkg is None:
        raise ConfigError("no FinDKG folder: pass --findkg PATH (a folder with entity2id.txt, "
                          "relation2id.txt, train.txt, valid.txt, test.txt)")
    try:
        week0 = dt.date.fromisoformat(first_week)
    except ValueError:
        raise click.BadParameter(f"{first_week!r} is not an ISO date", param_hint="--first-week") from None
    sources = FinanceSources(findkg, symbols or _default("us-stock-symbols"),
                             form13 or _default("sec-form13"), not no_indices, week0)
    started = time.perf_counter()
    with progress_bar("Building the finance KG", sources.total_bytes or None, in_bytes=True) as advance:
        graph = build_finance_graph(sources, advance)
    hint = f"kgdecide build finance --findkg {findkg}"
    stored = EmbeddedStore.write(graph, settings.store_dir(store), rebuild_hint=hint)
    print_counts(stored.counts(), stored.version)
    click.echo(f"built in {time.perf_counter() - started:.1f} s; "
               f"{graph.meta.get('listed_as', 0)} FinDKG companies tied to listings")


@click.group("finance")
def finance_group() -> None:
    """Ask the finance KG: exposure, related entities, predicted links; evaluate on FinDKG."""


def _store_option() -> Any:
    return click.option("--store", default="finance", show_default=True,
                        help="A store name (under --home) or a directory path.")


def _as_of_option() -> Any:
    return click.option("--as-of", default=None, metavar="YYYY-MM-DD",
                        help="Answer with the graph as it was on this date (default: all of it).")


def _open(settings: Settings, store: str) -> Any:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.finance.analysis import FinanceGraph

    return FinanceGraph.from_store(EmbeddedStore.from_path(settings.store_dir(store)))


def _print(body: Any) -> None:
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@finance_group.command("exposure")
@_store_option()
@_as_of_option()
@click.option("--event", required=True, help="Event or entity: a node id, name or text.")
@click.option("--holding", "holdings", multiple=True, required=True, metavar="ID[=WEIGHT]",
              help="A holding: ticker, ISIN, CUSIP, node id or name, optionally =weight.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 200))
@click.pass_obj
def exposure_command(settings: Settings, store: str, as_of: str | None, event: str,
                     holdings: tuple[str, ...], limit: int) -> None:
    """Rank a portfolio's holdings by exposure to an event, with the paths that carry it.

    Example: kgdecide finance exposure --event COVID-19 --as-of 2020-03-08 --holding AAPL=0.5
    --holding DAL=0.5
    """
    from kgdecide.packs.finance.exposure import Holding, Portfolio, exposure, resolve_target
    from kgdecide.packs.finance.temporal import parse_date

    fg = _open(settings, store)
    parsed = []
    for item in holdings:
        name, sep, weight = item.rpartition("=") if "=" in item else (item, "", "")
        try:
            parsed.append(Holding(name, float(weight)) if sep else Holding(item))
        except ValueError:
            raise click.BadParameter(f"{item!r}: the weight after '=' is not a number",
                                     param_hint="--holding") from None
    target = resolve_target(fg, event, lambda: _linker(fg))
    _print(exposure(fg, Portfolio("cli", tuple(parsed)), target, parse_date(as_of), limit))


@finance_group.command("related")
@_store_option()
@_as_of_option()
@click.argument("entity")
@click.option("--type", "types", multiple=True, help="Only entities of this node type.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 200))
@click.pass_obj
def related_command(settings: Settings, store: str, as_of: str | None, entity: str,
                    types: tuple[str, ...], limit: int) -> None:
    """The entities most related to ENTITY (id, ticker, ISIN or name), with paths and dates."""
    from kgdecide.packs.finance.related import related
    from kgdecide.packs.finance.temporal import parse_date

    _print(related(_open(settings, store), entity, parse_date(as_of), types, limit))


@finance_group.command("predict")
@_store_option()
@_as_of_option()
@click.argument("entity")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.pass_obj
def predict_command(settings: Settings, store: str, as_of: str | None, entity: str, limit: int) -> None:
    """Links from ENTITY likely to appear the week after --as-of (hypotheses, with paths)."""
    from kgdecide.packs.finance.hypotheses import hypotheses
    from kgdecide.packs.finance.temporal import parse_date

    _print(hypotheses(_open(settings, store), entity, parse_date(as_of), limit))


@finance_group.command("train")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model (default $KGDECIDE_HOME/models/finance-learned.npz).")
@click.option("--epochs", default=6, show_default=True, type=click.IntRange(1, 100))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--max-minutes", default=20.0, show_default=True, type=click.FloatRange(0.1),
              help="Stop the network's training after this long (the best epoch so far is kept); "
                   "learning the temporal rules before and choosing the fusion after take longer.")
@click.pass_obj
def train_command(settings: Settings, folder: Path, out: Path | None, epochs: int, seed: int,
                  max_minutes: float) -> None:
    """Train the temporal link predictor on FOLDER (FinDKG format): temporal rules from the train
    split, the network on train with early stopping on valid MRR (prints each epoch's valid
    metrics), then the fusion of the two with the best valid MRR."""
    from kgdecide.packs.finance.build import read_findkg
    from kgdecide.packs.finance.learned import LearnSettings, train

    def report(e: Any) -> None:
        click.echo(f"epoch {e.epoch}: loss {e.train_loss:.4f}  valid " + _metrics_text(e.valid)
                   + f"  ({e.seconds:.0f} s)")

    kg = read_findkg(folder)
    model = train(kg, LearnSettings(epochs=epochs, seed=seed, max_minutes=max_minutes), report,
                  say=click.echo)
    path = out or _default_model(settings)
    model.save(path)
    click.echo(f"wrote {path} (model {model.version}, data {model.kg_version}, "
               f"{model.extra['train_seconds']:.0f} s wall, "
               f"{model.extra['train_cpu_seconds']:.0f} s CPU)")


def _default_model(settings: Settings) -> Path:
    return Path(settings.home) / "models" / "finance-learned.npz"


def _metrics_text(m: dict) -> str:
    return (f"MRR {m['mrr']:.4f}  Hits@1 {m['hits@1']:.4f}  Hits@3 {m['hits@3']:.4f}  "
            f"Hits@10 {m['hits@10']:.4f}")


@finance_group.command("eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True, type=click.Choice(["valid", "test"]))
@click.option("--scorer", default="history", show_default=True,
              type=click.Choice(["history", "learned", "rules", "fusion"]),
              help="history: the baseline (weights tuned on valid, also history+ppr); learned, "
                   "rules, fusion: the network, the temporal rules or their fusion from the model "
                   "`kgdecide finance train` wrote.")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The learned model (default $KGDECIDE_HOME/models/finance-learned.npz).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write one rank per row here.")
@click.pass_obj
def eval_command(settings: Settings, folder: Path, split: str, scorer: str, model: Path | None,
                 out: Path | None) -> None:
    """FinDKG's link-prediction protocol on FOLDER (FinDKG format): SPLIT scored with raw ranks
    over all entities, ties at the average rank, history = every fact before the row's week;
    prints MRR and Hits@1/3/10."""
    from kgdecide.packs.finance.build import read_findkg
    from kgdecide.packs.finance.evaluate import evaluate, tune, write_ranks

    kg = read_findkg(folder)
    if scorer != "history":
        _eval_learned(kg, split, model or _default_model(settings), out, scorer)
        return
    history, walk, _ = tune(kg, "valid")
    result = evaluate(kg, split, [history, walk])
    for i, name in enumerate(("history", "history+ppr")):
        m = result.metrics(i)
        click.echo(f"{name:12s} {_metrics_text(m)}  ({m['n']} rows)")
    if out is not None:
        write_ranks(out, kg, split, result.ranks[result.best].tolist())
        click.echo(f"wrote {out}")


def _eval_learned(kg: Any, split: str, path: Path, out: Path | None, part: str) -> None:
    from kgdecide.packs.finance.evaluate import write_ranks
    from kgdecide.packs.finance.learned import LearnedScorer, rank_split
    from kgdecide.packs.finance.predict import metrics

    learned = LearnedScorer.from_path(path)
    learned.check(kg, path)
    ranks = rank_split(learned, kg, split, part=part)
    m = metrics(ranks)
    click.echo(f"{part:12s} {_metrics_text(m)}  ({m['n']} rows; model {learned.version})")
    if out is not None:
        write_ranks(out, kg, split, ranks.tolist())
        click.echo(f"wrote {out}")


def _linker(fg: Any) -> Any:
    """The finance linker over the graph, or None when the [link] extra is missing."""
    try:
        from kgdecide.graph.embedded import EmbeddedStore
        from kgdecide.link import Linker
        from kgdecide.packs.finance.linking import finance_linker_config
    except ImportError:
        return None
    return Linker.from_store(EmbeddedStore(fg.graph), finance_linker_config())
