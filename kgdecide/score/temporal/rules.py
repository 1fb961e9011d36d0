"""Temporal rules for FinDKG's link-prediction protocol, learned from the training split in the
manner of TLogic (Liu et al., AAAI 2022): rules found by temporal random walks, confidence counted
on train, candidates scored by a noisy-OR of the rules whose bodies reach them.

A rule says: *if* ``s`` reaches ``o`` through the body ``b1, ..., bl`` (each ``b`` a relation or
its inverse, ``l`` <= 3) in the facts before week ``t``, *then* ``(s, head, o)`` is reported in
week ``t``. With ``window`` set, the body's first edge (the one at ``s``) must have been reported
in the last ``window`` weeks.

Learning (:func:`learn_rules`):

1. *Walks.* Sample training facts ``(s, head, o, t)``; from ``o`` walk ``l`` edges back in time
   (the first strictly before ``t``, each next one no later than the one before), the last edge
   ending at ``s``. Reversed, the walk is a body from ``s`` to ``o`` whose edges are in time order,
   all before ``t``: TLogic's cyclic temporal walk. Bodies walked at least ``min_walks`` times
   become rules, at most ``per_head`` per head relation (the most walked).
2. *Confidence.* For each training week after the warm-up (at most ``max_weeks`` of them, evenly
   spaced), each rule is applied to that week's
   queries ``(s, head, ?)``: ``confidence = hits / (reached + prior)``, where ``reached`` counts the
   (query, entity) pairs its body reaches from ``s`` and ``hits`` those that are the week's answers.
   This is TLogic's "rule support / body support" counted per query, as the rule is used.

Applying (:meth:`RuleSet.evidence`): ``evidence(s, head, o) = sum_k -log(1 - confidence_k)`` over
the rules ``k`` of ``head`` whose body reaches ``o``; ``1 - exp(-evidence)`` is the noisy-OR.

Where this departs from TLogic: when applying and counting, a body is a chain of edges each
reported before ``t`` (the walks that found the rules are time-ordered, the application does not
check the order between body edges: it works on one adjacency matrix per relation); recency enters
through ``window`` rules instead of an exponential weight; and paths pass only through entities
with at most ``hub_degree`` neighbours (their ends may be hubs), which keeps reach sparse.

Works on any integer quadruple arrays ``(subject, relation, object, week)``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Rule learning settings (defaults: the FinDKG run in docs/EVALUATION.md)."""

    max_length: int = 3  #: body edges at most
    walks: int = 30000  #: sampled walks per body length
    min_walks: int = 2  #: a body must be walked this often to become a rule
    per_head: int = 30  #: bodies kept per head relation (the most walked)
    windows: tuple[int, ...] = (0, 4)  #: 0: any time; w: the first body edge in the last w weeks
    hub_degree: int = 100  #: inner path entities have at most this many neighbours
    prior: float = 5.0  #: added to ``reached`` in the confidence (shrinks rare bodies)
    warmup: float = 0.4  #: share of the training weeks used only as history
    max_weeks: int = 60  #: confidences are counted on at most this many weeks (evenly spaced)
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Rule:
    """``head(s, o) <- body`` (``body[i] < r``: relation ``body[i]`` forward; ``>= r``: relation
    ``body[i] - r`` traversed from object to subject)."""

    head: int
    body: tuple[int, ...]
    window: int  #: 0 = any time, else the first body edge within the last ``window`` weeks
    confidence: float = 0.0
    hits: int = 0
    reached: int = 0
    walks: int = 0

    def describe(self, relations: Sequence[str]) -> str:
        """``Head(X, Y) <- A(X, Z1), B^-1(Z1, Y)`` with relation names.

        >>> Rule(0, (1, 2), 0).describe(["Has", "Control"])
        'Has(X, Y) <- Control(X, Z1), Has^-1(Z1, Y)'
        """
        r = len(relations)
        names = [relations[b % r] + ("^-1" if b >= r else "") for b in self.body]
        nodes = ["X", *(f"Z{i}" for i in range(1, len(self.body))), "Y"]
        atoms = ", ".join(f"{name}({a}, {b})" for name, a, b in zip(names, nodes, nodes[1:]))
        recent = f" [first edge in the last {self.window} weeks]" if self.window else ""
        return f"{relations[self.head]}(X, Y) <- {atoms}{recent}"


@dataclass(eq=False)
class Adjacency:
    """The facts before one week as one 0/1 matrix per relation and direction (``2 r`` of them),
    the same for the last ``w`` weeks per window, and which entities may be inner path nodes."""

    n: int
    r: int
    forward: dict[tuple[int, int], sp.csr_matrix]  #: (body code, window) -> (n, n)
    passable: np.ndarray  #: bool[n]: at most ``hub_degree`` neighbours

    @classmethod
    def before(cls, quads: np.ndarray, week: int, n: int, r: int, windows: Iterable[int],
               hub_degree: int) -> Adjacency:
        q = quads[quads[:, 3] < week]
        s, rel, o, when = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
        out: dict[tuple[int, int], sp.csr_matrix] = {}
        for window in sorted(set(windows) | {0}):
            keep = np.ones(len(q), bool) if window == 0 else when >= week - window
            # One matrix with relation-major rows: row rel * n + subject; split below.
            by_rel = sp.csr_matrix((np.ones(int(keep.sum()), np.float32),
                                    (rel[keep] * n + s[keep], o[keep])), shape=(r * n, n))
            by_rel.data[:] = 1.0
            inverse = sp.csr_matrix((np.ones(int(keep.sum()), np.float32),
                                     (rel[keep] * n + o[keep], s[keep])), shape=(r * n, n))
            inverse.data[:] = 1.0
            for b in range(r):
                out[b, window] = by_rel[b * n:(b + 1) * n]
                out[b + r, window] = inverse[b * n:(b + 1) * n]
        undirected = sp.csr_matrix((np.ones(len(q)), (s, o)), shape=(n, n))
        undirected = (undirected + undirected.T).tocsr()
        undirected.data[:] = 1.0
        degree = np.diff(undirected.indptr)
        return cls(n, r, out, degree <= hub_degree)

    def matrix(self, code: int, window: int = 0) -> sp.csr_matrix:
        return self.forward[code, window]


def reach(adj: Adjacency, subjects: np.ndarray, body: Sequence[int], window: int,
          cache: dict[tuple, sp.csr_matrix] | None = None) -> sp.csr_matrix:
    """0/1 (queries, n): the entities each subject reaches through ``body``, inner nodes
    passable only."""
    key = (tuple(body), window)
    if cache is not None and key in cache:
        return cache[key]
    if len(body) == 1:
        out = adj.matrix(body[0], window)[subjects]
    else:
        prev = reach(adj, subjects, body[:-1], window, cache)
        through = prev @ sp.diags(adj.passable.astype(np.float32))
        out = (through @ adj.matrix(body[-1])).tocsr()
        out.data[:] = 1.0
    out.eliminate_zeros()
    if cache is not None:
        cache[key] = out
    return out


@dataclass(eq=False)
class RuleSet:
    """Rules with their confidences, grouped by head relation."""

    r: int
    rules: list[Rule]
    settings: RuleSettings = field(default_factory=RuleSettings)
    extra: dict[str, Any] = field(default_factory=dict)  #: learning report (walks, seconds)

    def by_head(self, head: int) -> list[Rule]:
        return [rule for rule in self.rules if rule.head == head and rule.confidence > 0]

    def evidence(self, adj: Adjacency, subjects: np.ndarray, relations: np.ndarray) -> sp.csr_matrix:
        """(queries, n) ``sum -log(1 - confidence)`` of the rules reaching each entity."""
        out = sp.csr_matrix((len(subjects), adj.n), dtype=np.float64)
        for head in np.unique(relations).tolist():
            at = np.flatnonzero(relations == head)
            cache: dict[tuple, sp.csr_matrix] = {}
            acc = sp.csr_matrix((len(at), adj.n), dtype=np.float64)
            for rule in self.by_head(head):
                weight = -np.log1p(-min(rule.confidence, 0.999))
                acc = acc + weight * reach(adj, subjects[at], rule.body, rule.window, cache)
            placed = sp.csr_matrix((np.ones(len(at)), (at, np.arange(len(at)))),
                                   shape=(len(subjects), len(at)))
            out = out + placed @ acc
        return out.tocsr()

    def explain(self, adj: Adjacency, subject: int, head: int, obj: int,
                limit: int = 5) -> list[tuple[Rule, list[int]]]:
        """The rules of ``head`` whose body reaches ``obj`` from ``subject`` (most confident
        first, at most ``limit``), each with one grounding: the entities ``[subject, ..., obj]``
        its body edges pass through."""
        out = []
        start = np.array([subject])
        for rule in sorted(self.by_head(head), key=lambda x: -x.confidence):
            if reach(adj, start, rule.body, rule.window)[0, obj] == 0:
                continue
            out.append((rule, _grounding(adj, subject, rule, obj)))
            if len(out) >= limit:
                break
        return out

    def to_json(self) -> dict[str, Any]:
        return {"r": self.r, "settings": {**asdict(self.settings),
                                          "windows": list(self.settings.windows)},
                "rules": [asdict(rule) | {"body": list(rule.body)} for rule in self.rules],
                **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleSet:
        known = {k: v for k, v in data["settings"].items() if k in RuleSettings.__dataclass_fields__}
        known["windows"] = tuple(known.get("windows", (0,)))
        rules = [Rule(**{**rule, "body": tuple(rule["body"])}) for rule in data["rules"]]
        extra = {k: v for k, v in data.items() if k not in ("r", "settings", "rules")}
        return cls(int(data["r"]), rules, RuleSettings(**known), extra)


def _grounding(adj: Adjacency, subject: int, rule: Rule, obj: int) -> list[int]:
    """One path ``[subject, z1, ..., obj]`` along ``rule.body`` (inner nodes passable), found by
    walking back from ``obj`` through the entities each body prefix reaches."""
    start = np.array([subject])
    path = [obj]
    for k in range(len(rule.body) - 1, 0, -1):
        before = reach(adj, start, rule.body[:k], rule.window).toarray()[0] > 0
        into = adj.matrix(rule.body[k])[:, path[0]].toarray().ravel() > 0
        path.insert(0, int(np.flatnonzero(before & into & adj.passable)[0]))
    return [subject, *path]


# --- walks --------------------------------------------------------------------------------------


def walk_bodies(quads: np.ndarray, n: int, r: int, length: int, samples: int,
                passable: np.ndarray, rng: np.random.Generator,
                heads: np.ndarray | None = None) -> Counter[tuple[int, tuple[int, ...]]]:
    """Count the (head, body) pairs of ``samples`` cyclic temporal walks of ``length`` edges.

    Each walk starts at a fact ``(s, head, o, t)`` of ``quads`` (rows ``heads`` when given),
    steps from ``o`` over edges reported strictly before ``t`` and then each no later than the
    previous one, through passable entities other than ``s``, and its last edge must reach ``s``.
    """
    s, rel, o, when = quads[:, 0], quads[:, 1], quads[:, 2], quads[:, 3]
    # Directed edges both ways: u -code-> v; code >= r is the inverse of code - r.
    u = np.concatenate([s, o])
    v = np.concatenate([o, s])
    code = np.concatenate([rel, rel + r])
    t = np.concatenate([when, when])
    span = int(t.max()) + 2 if len(t) else 2
    by_node = np.lexsort((t, u))
    node_key = u[by_node] * span + t[by_node]
    pair = np.lexsort((t, v, u))
    pair_key = (u[pair] * n + v[pair]) * span + t[pair]
    pool = np.arange(len(quads)) if heads is None else heads
    start = rng.choice(pool, size=samples)
    subject, head, target, bound = s[start], rel[start], o[start], when[start].copy()
    cur = target.copy()
    alive = np.ones(samples, bool)
    strict = np.ones(samples, bool)
    path = np.zeros((samples, length), np.int64)  # edge codes as walked, from o back to s
    for step in range(length - 1):
        limit = bound - strict  # last allowed week
        lo = np.searchsorted(node_key, cur * span, "left")
        hi = np.searchsorted(node_key, cur * span + limit + 1, "left")
        alive &= hi > lo
        pick = lo + (rng.random(samples) * np.maximum(hi - lo, 1)).astype(np.int64)
        pick = by_node[np.minimum(pick, len(by_node) - 1)]
        nxt = v[pick]
        alive &= (nxt != subject) & passable[nxt]
        path[:, step] = code[pick]
        bound = np.where(alive, t[pick], bound)
        strict[:] = False
        cur = np.where(alive, nxt, cur)
    limit = bound - strict
    lo = np.searchsorted(pair_key, (cur * n + subject) * span, "left")
    hi = np.searchsorted(pair_key, (cur * n + subject) * span + limit + 1, "left")
    alive &= hi > lo
    pick = lo + (rng.random(samples) * np.maximum(hi - lo, 1)).astype(np.int64)
    pick = pair[np.minimum(pick, len(pair) - 1)]
    path[:, length - 1] = code[pick]
    # The walk went o -> ... -> s; the body goes s -> ... -> o: reverse and invert each edge.
    bodies = (path[:, ::-1] + r) % (2 * r)
    found: Counter[tuple[int, tuple[int, ...]]] = Counter()
    for h, body in zip(head[alive].tolist(), map(tuple, bodies[alive].tolist())):
        found[h, body] += 1
    return found


def learn_rules(quads: np.ndarray, n: int, r: int, settings: RuleSettings = RuleSettings(),
                progress: Callable[[str], None] | None = None) -> RuleSet:
    """Rules from the training quadruples ``quads`` (int[k, 4]), confidences counted on them."""
    import time

    started = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    weeks = np.unique(quads[:, 3])
    skip = min(int(round(settings.warmup * len(weeks))), len(weeks) - 1) if len(weeks) else 0
    first = int(weeks[skip]) if len(weeks) else 0
    heads = np.flatnonzero(quads[:, 3] >= first)
    degree_adj = sp.csr_matrix((np.ones(len(quads)), (quads[:, 0], quads[:, 2])), shape=(n, n))
    degree_adj = (degree_adj + degree_adj.T).tocsr()
    passable = np.diff(degree_adj.indptr) <= settings.hub_degree
    walked: Counter[tuple[int, tuple[int, ...]]] = Counter()
    for length in range(1, settings.max_length + 1):
        walked += walk_bodies(quads, n, r, length, settings.walks, passable, rng, heads)
    rules = []
    for head in range(r):
        mine = sorted(((count, body) for (h, body), count in walked.items()
                       if h == head and count >= settings.min_walks), reverse=True)
        for count, body in mine[:settings.per_head]:
            rules.extend(Rule(head, body, window, walks=count) for window in settings.windows)
    if progress is not None:
        progress(f"{len(rules)} candidate rules from {len(walked)} walked bodies "
                 f"({time.perf_counter() - started:.0f} s)")
    hits: Counter[int] = Counter()
    reached: Counter[int] = Counter()
    index = {(rule.head, rule.body, rule.window): i for i, rule in enumerate(rules)}
    counted = weeks[skip:]
    if len(counted) > settings.max_weeks:
        counted = counted[np.linspace(0, len(counted) - 1, settings.max_weeks).round().astype(int)]
    for week in counted.tolist():
        adj = Adjacency.before(quads, week, n, r, settings.windows, settings.hub_degree)
        now = quads[quads[:, 3] == week]
        for head in np.unique(now[:, 1]).tolist():
            rows = now[now[:, 1] == head]
            subjects, which = np.unique(rows[:, 0], return_inverse=True)
            cache: dict[tuple, sp.csr_matrix] = {}
            for rule in rules:
                if rule.head != head:
                    continue
                got = reach(adj, subjects, rule.body, rule.window, cache)
                k = index[rule.head, rule.body, rule.window]
                reached[k] += got.nnz
                hits[k] += int(np.count_nonzero(np.asarray(got[which.ravel(), rows[:, 2]]).ravel()))
    rules = [Rule(rule.head, rule.body, rule.window,
                  hits[i] / (reached[i] + settings.prior), hits[i], reached[i], rule.walks)
             for i, rule in enumerate(rules)]
    seconds = round(time.perf_counter() - started, 1)
    if progress is not None:
        progress(f"confidences counted on {len(counted)} weeks ({seconds:.0f} s)")
    return RuleSet(r, rules, settings, {"seconds": seconds, "walked_bodies": len(walked)})
