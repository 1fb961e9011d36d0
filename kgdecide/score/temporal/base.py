"""Temporal link predictors: what they share, and why they are not :mod:`kgdecide.score` scorers.

A temporal link predictor answers ``(s, r, ?, t)``: it scores every entity as the object of
relation ``r`` from subject ``s`` in week ``t``, from the facts ``(subject, relation, object,
week)`` reported before ``t``. The scorers of :data:`kgdecide.score.registry.SCORER_TABLE` answer
another question, and their shared contract (tests/contract/test_scorers.py) cannot hold here:

- their input is a set of *findings* (present or excluded) and their output ranks the nodes of one
  target type; a link query has one subject, one relation and a week, and ranks every entity;
- their score decomposes over findings (``bias + sum of contributions``), and the contract deletes
  a finding and checks the score moves as the explanation states; a link query has no findings,
  and the learned predictor's softmax over a network of path counts has no such decomposition;
- they have excluded findings and read a :class:`~kgdecide.score.base.DomainSpec` graph; link
  predictors read quadruple arrays, which the contract's toy graph does not have.

So they have their own registry (:mod:`kgdecide.score.temporal.registry`) and contract
(tests/contract/test_temporal_predictors.py): shapes, determinism, no look-ahead (facts of week
``t`` or later never change the scores for week ``t``), an empty history, and bad input refused
with ``InvalidQuery`` naming the field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol

import numpy as np

from kgdecide.errors import InvalidQuery


class TemporalGraph(Protocol):
    """Entities (names and types), relations and quadruple splits (``int64[k, 4]``: subject,
    relation, object, week) — what FinDKG-format folders hold."""

    names: Sequence[str]
    types: Sequence[str]
    relations: Sequence[str]
    quads: Mapping[str, np.ndarray]

    @property
    def all_quads(self) -> np.ndarray: ...


class TemporalPredictor(ABC):
    """Scores every entity as the object of queries ``(subjects[i], relations[i], ?)`` in one week."""

    name: ClassVar[str]

    def __init__(self, n: int, r: int) -> None:
        self.n, self.r = n, r

    def scores(self, history: np.ndarray, week: int, subjects: Sequence[int] | np.ndarray,
               relations: Sequence[int] | np.ndarray) -> np.ndarray:
        """float64 (queries, entities): higher is more expected; only facts of ``history`` before
        ``week`` are read. Bad ids or shapes raise ``InvalidQuery`` naming the field."""
        s, rel = self.check(history, subjects, relations)
        return np.asarray(self._scores(np.asarray(history, dtype=np.int64), int(week), s, rel),
                          dtype=np.float64)

    def check(self, history: np.ndarray, subjects: Sequence[int] | np.ndarray,
              relations: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.asarray(history)
        if h.ndim != 2 or h.shape[1] != 4:
            raise InvalidQuery("history", f"expected int rows (subject, relation, object, week), "
                                          f"got shape {h.shape}")
        s = np.asarray(subjects, dtype=np.int64).ravel()
        rel = np.asarray(relations, dtype=np.int64).ravel()
        if len(s) != len(rel):
            raise InvalidQuery("relations", f"{len(rel)} relations for {len(s)} subjects; give "
                                            "one relation per subject")
        for field, values, size in (("subjects", s, self.n), ("relations", rel, self.r)):
            bad = values[(values < 0) | (values >= size)]
            if len(bad):
                raise InvalidQuery(field, f"{int(bad[0])} is not an id in 0..{size - 1}")
        return s, rel

    @abstractmethod
    def _scores(self, history: np.ndarray, week: int, subjects: np.ndarray,
                relations: np.ndarray) -> np.ndarray: ...


def raw_ranks(scores: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """Rank of each row's answer among all columns, raw (no filtering), ties at the average rank.

    >>> raw_ranks(np.array([[0.1, 0.5, 0.5, 0.2]]), np.array([1])).tolist()
    [1.5]
    >>> raw_ranks(np.array([[3.0, 1.0, 2.0]]), np.array([1])).tolist()
    [3.0]
    """
    true = scores[np.arange(len(answers)), answers][:, None]
    greater = (scores > true).sum(axis=1)
    equal = (scores == true).sum(axis=1) - 1
    return greater + 1 + equal / 2.0


def metrics(ranks: np.ndarray) -> dict[str, float]:
    """MRR and Hits@1/3/10 of raw ranks.

    >>> metrics(np.array([1.0, 2.0, 20.0]))["mrr"]
    0.5166666666666667
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.size == 0:
        return {"mrr": 0.0, "hits@1": 0.0, "hits@3": 0.0, "hits@10": 0.0, "n": 0}
    return {"mrr": float(np.mean(1.0 / ranks)), "hits@1": float(np.mean(ranks <= 1)),
            "hits@3": float(np.mean(ranks <= 3)), "hits@10": float(np.mean(ranks <= 10)),
            "n": int(ranks.size)}
