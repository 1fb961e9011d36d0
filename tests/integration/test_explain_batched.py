"""Explanations in one vectorised pass equal the per-pair computation they replaced, on real cases.

The graph and model are exactly what ``make run`` serves (the clinical KG built with the
development cases as evidence, the attention model shipped for its version). For 200 development
cases and each of resnik, lr and the shipped attention model, every shown candidate's evidence
from :func:`kgdecide.explain.evidence.explain_candidates` (one ``deleted_contributions`` call for
all candidates) is compared with :func:`oracle_explain`: the per-(finding, annotation, candidate)
path the code took before, kept here as the slow, readable reference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kgdecide.explain.evidence import TOP_PATHS, candidate_evidence, explain_candidates
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.base import DomainSpec, Scorer, ScoreResult
from kgdecide.types import Evidence

pytestmark = pytest.mark.shared_data

CASES = 200
TOP = 10


# --- the oracle: explanations as computed before the batched pass, pair by pair ---------------

def oracle_explain(graph: ArrayGraph, spec: DomainSpec, scorer: Scorer, result: ScoreResult,
                   candidates: np.ndarray, top_paths: int | None = None) -> tuple[Evidence, ...]:
    """Evidence per candidate, each annotation's share from one ``pair_contribution`` per
    present finding that may depend on it (the scorer's ``dependencies``). By default every
    path is kept (the explanations shown keep ``TOP_PATHS``), so that paths whose shares tie
    exactly but for rounding can be compared in any order; bench/hotpath.py passes
    ``top_paths=TOP_PATHS`` to time it as the code ran before."""
    candidates = np.asarray(candidates, dtype=np.int64)
    matches = [oracle_matches(graph, scorer, row, candidates) if present
               else [None] * len(candidates)
               for row, present in zip(result.findings, result.present)]
    needs = [scorer.dependencies(graph, result, i, candidates) for i in range(len(result.findings))]
    return tuple(_oracle_one(graph, spec, scorer, result, int(j), [m[p] for m in matches],
                             [n[p] if n is not None else None for n in needs], top_paths)
                 for p, j in enumerate(candidates.tolist()))


def oracle_matches(graph: ArrayGraph, scorer: Scorer, finding: int, candidates: np.ndarray
                   ) -> list:
    """The match of a finding in each candidate, one candidate at a time: for attention, the
    annotation with the highest ``alpha`` (``attention_over_annotations``) and the common
    ancestor of the two terms; for resnik and lr, the scorer's per-finding ``matches``
    (``match_sources``, itself checked against the one-target ``match_source``)."""
    if scorer.combines != "attention":
        return scorer.matches(graph, finding, candidates)
    state = scorer.prepare(graph)
    _, common = state.compatibilities(int(state.index.terms([finding])[0]))
    out = []
    for target in candidates.tolist():
        annotations, alpha, _ = scorer.attention_over_annotations(graph, finding, target)
        if len(alpha) == 0:
            out.append(None)
            continue
        best = int(annotations.terms[int(np.argmax(alpha))])
        out.append((int(state.index.term_rows[common[best]]), int(state.index.term_rows[best])))
    return out


def _oracle_one(graph: ArrayGraph, spec: DomainSpec, scorer: Scorer, result: ScoreResult, j: int,
                found: list, needs: list, top_paths: int | None) -> Evidence:
    """One candidate as before: the per-candidate matches and every annotation's share from one
    ``pair_contribution`` per (finding, annotation); the evidence is assembled as the code
    assembles it."""
    column = result.contributions[:, j]
    matches = [found[i] if present and column[i] > 0 else None
               for i, present in enumerate(result.present)]
    edge_delta = {}
    for annotation in {m[1] for m in matches if m}:
        edge_delta[annotation] = sum(
            float(result.contributions[i, j])
            - scorer.pair_contribution(graph, result, i, j, drop=annotation)
            for i, present in enumerate(result.present)
            if present and (needs[i] is None or annotation in needs[i]))
    return candidate_evidence(graph, spec, result, j, matches, edge_delta, top_paths)


def assert_same_evidence(fast: Evidence, slow: Evidence) -> None:
    """Identical but for the last bits of a share (a sum taken in another order), which may
    also order paths whose shares tie exactly otherwise. ``slow`` holds every path."""
    assert fast.candidate == slow.candidate
    assert fast.contributions == slow.contributions
    assert fast.unexplained == slow.unexplained and fast.against == slow.against
    assert len(fast.paths) == min(TOP_PATHS, len(slow.paths))
    np.testing.assert_allclose([p.share for p in fast.paths],
                               [p.share for p in slow.paths[:len(fast.paths)]], rtol=1e-9)
    every = {(p.path, p.finding): p.share for p in slow.paths}
    assert len({(p.path, p.finding) for p in fast.paths}) == len(fast.paths)
    for p in fast.paths:
        assert (p.path, p.finding) in every, p
        assert every[(p.path, p.finding)] == pytest.approx(p.share, rel=1e-9)


@contextlib.contextmanager
def same_column_once(scorer: Scorer) -> Iterator[None]:
    """For the attention scorer, whose ``pair_contribution`` rescores the whole target and reads
    one finding's entry: the rescoring of a (target, annotations) is done once per result, not
    once per finding (the values are the same; the oracle is only faster)."""
    if scorer.combines != "attention":
        yield
        return
    original, seen = scorer._target_score, {}

    def once(state, findings, present, annotations):  # noqa: ANN001, ANN202
        key = (tuple(findings), tuple(present), annotations.target, annotations.terms.tobytes())
        if key not in seen:
            seen[key] = original(state, findings, present, annotations)
        return seen[key]

    scorer._target_score = once
    try:
        yield
    finally:
        del scorer._target_score


# --- the comparison on real cases ---------------------------------------------------------------

@pytest.fixture(scope="module")
def served(served_home, shared_data: Path):  # noqa: ANN001, ANN201
    """The home ``make run`` builds, with the model shipped for it, and the first cases."""
    from kgdecide.packs.clinical.cases import read_labelled_cases

    cases = read_labelled_cases(shared_data / "clinical" / "phenopackets_dev.jsonl")
    return served_home, [c.case for c in cases[:CASES]]


@pytest.mark.parametrize("name", ["resnik", "lr", "attention"])
def test_batched_explanations_equal_the_per_pair_oracle_on_200_real_cases(served, name: str
                                                                          ) -> None:  # noqa: ANN001
    from kgdecide.packs.clinical.commands import make_ranker

    settings, cases = served
    ranker = make_ranker(settings, "clinical", name)
    assert len(cases) == CASES
    shown = paths = 0
    for case in cases:
        try:
            _, result, order = ranker.score(case.observed, case.excluded)
        except Exception as e:  # noqa: BLE001 - a case with no known present finding
            assert type(e).__name__ == "InvalidQuery", e
            continue
        top = order[:TOP]
        fast = explain_candidates(ranker.graph, ranker.spec, ranker.scorer, result, top)
        with same_column_once(ranker.scorer):
            slow = oracle_explain(ranker.graph, ranker.spec, ranker.scorer, result, top)
        assert len(fast) == len(slow) == len(top)
        for f, s in zip(fast, slow):
            assert_same_evidence(f, s)
        shown += len(fast)
        paths += sum(len(e.paths) for e in fast)
    # The comparison covered real explanations, not empty ones.
    assert shown >= 0.9 * CASES * TOP and paths >= shown
