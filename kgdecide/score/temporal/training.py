"""Training the learned temporal scorer, in three steps: temporal rules from the training split
(:func:`~kgdecide.score.temporal.rules.learn_rules`); the network, by softmax cross-entropy over
all entities for the true object, in mini-batches of one week's queries (``torch.optim.Adam``),
early-stopping on the validation split's MRR; then the fusion of the two with the best validation
MRR. Memory is bounded by one week's history (sparse) and one batch's (queries x entities) scores.

``torch.optim`` imports ``torch._dynamo`` on the first ``step`` (about 5 s on a busy 2-core
machine, once per process): small against a training run, noticeable in a test process.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from kgdecide.errors import ConfigError
from kgdecide.score.temporal.base import TemporalGraph, metrics
from kgdecide.score.temporal.features import WeekHistory, WeekQueries, kg_fingerprint, type_codes, week_queries
from kgdecide.score.temporal.model import (
    EpochReport, Fusion, LearnedScorer, LearnSettings, _batches, _export, _log_probs, _net, _tables,
    rank_split, score_split,
)
from kgdecide.score.temporal.rules import RuleSettings, learn_rules


def train(kg: TemporalGraph, settings: LearnSettings = LearnSettings(),
          report: Callable[[EpochReport], None] | None = None,
          rule_settings: RuleSettings | None = RuleSettings(),
          say: Callable[[str], None] | None = None) -> LearnedScorer:
    """Learn temporal rules from ``train`` (unless ``rule_settings`` is None); train the network on
    ``train``, early-stopping on ``valid`` MRR; keep the best epoch; then choose the fusion of
    network and rules (:data:`~kgdecide.score.temporal.model.FUSION_GRID` squared) with the best
    ``valid`` MRR."""
    import torch

    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    n, r = len(kg.names), len(kg.relations)
    types = type_codes(kg.types)
    t = int(types.max()) + 1
    kg_version = kg_fingerprint(kg)
    net = _net(n, r, settings.dim, t)
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    history = kg.all_quads
    train_weeks = np.unique(kg.quads["train"][:, 3])
    skip = min(int(round(settings.warmup * len(train_weeks))), len(train_weeks) - 1)
    first = int(train_weeks[skip]) if len(train_weeks) else 0
    weeks = list(week_queries(kg.quads["train"], r, first))
    if not weeks:
        raise ConfigError("the train split has no rows to learn from; check train.txt")
    started, cpu = time.perf_counter(), time.process_time()
    rules = None
    if rule_settings is not None:
        rules = learn_rules(kg.quads["train"], n, r, rule_settings, say)
    net_started = time.perf_counter()
    best, best_mrr, stale, reports = _export(net, n, r, t, settings, kg_version), -1.0, 0, []
    for epoch in range(1, settings.epochs + 1):
        t0 = time.perf_counter()
        net.train()
        losses = []
        for i in rng.permutation(len(weeks)).tolist():
            q = weeks[i]
            past = WeekHistory.before(history, q.week, n, r, types)
            tables = _tables(past)
            losses += [_step(net, optimiser, past, tables, q, pick)
                       for pick in _batches(q, settings.batch, rng)]
            if (time.perf_counter() - net_started) / 60 > settings.max_minutes:
                break
        net.eval()
        valid = metrics(rank_split(net, kg, "valid", settings.batch))
        epoch_report = EpochReport(epoch, float(np.mean(losses)), valid, time.perf_counter() - t0)
        reports.append(epoch_report)
        if report is not None:
            report(epoch_report)
        if valid["mrr"] > best_mrr:
            best, best_mrr, stale = _export(net, n, r, t, settings, kg_version), valid["mrr"], 0
        else:
            stale += 1
        if stale >= settings.patience or (time.perf_counter() - net_started) / 60 > settings.max_minutes:
            break
    net_seconds = time.perf_counter() - net_started
    extra: dict[str, Any] = {"valid": metrics_of(reports, best_mrr),
                             "epochs": [asdict(e) for e in reports]}
    if rules is not None:
        fusion_started = time.perf_counter()
        tried = score_split(best, kg, "valid", Fusion.grid(), settings.batch, rules=rules)
        mrr = [metrics(tried.fused[i])["mrr"] for i in range(len(tried.fusions))]
        choice = int(np.argmax(mrr))  # the first best: smaller weights on ties
        best.rules, best.fusion = rules, tried.fusions[choice]
        extra |= {"valid_rules": metrics(tried.rules), "valid_fusion": metrics(tried.fused[choice]),
                  "fusion_tried": {f"{f.linked:g}/{f.unlinked:g}": round(m, 4)
                                   for f, m in zip(tried.fusions, mrr)},
                  "rules_seconds": rules.extra.get("seconds"),
                  "fusion_seconds": round(time.perf_counter() - fusion_started, 1)}
        if say is not None:
            say(f"fusion {best.fusion} on valid: MRR {mrr[choice]:.4f}")
    # Peak resident memory of this process so far (Linux reports kB), and how busy the machine was.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best.extra = extra | {"network_seconds": round(net_seconds, 1),
                          "train_seconds": round(time.perf_counter() - started, 1),
                          "train_cpu_seconds": round(time.process_time() - cpu, 1),
                          "peak_rss_mb": round(peak_mb), "load_average": [round(x, 2) for x in os.getloadavg()],
                          "train_rows": int(len(kg.quads["train"]))}
    return best


def _step(net: Any, optimiser: Any, past: WeekHistory, tables: dict[str, Any], q: WeekQueries,
          pick: np.ndarray) -> float:
    """One gradient step on the queries ``pick`` of week ``q``; returns the mean loss of its rows."""
    import torch

    pick = np.sort(pick)
    rows = np.flatnonzero(np.isin(q.pair_of_row, pick))
    log_p = _log_probs(net, past, tables, q.subjects[pick], q.relations[pick])
    query_of_row = torch.from_numpy(np.searchsorted(pick, q.pair_of_row[rows]))
    loss = torch.nn.functional.nll_loss(log_p[query_of_row], torch.from_numpy(q.answers[rows]))
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return float(loss.detach())


def metrics_of(reports: Sequence[EpochReport], mrr: float) -> dict[str, float]:
    """The validation metrics of the epoch whose MRR is ``mrr``."""
    return next(e.valid for e in reports if e.valid["mrr"] == mrr)
