"""``kgdecide rank-cases --cluster ADDRESS``: the cases ranked by the workers of a Dask
distributed cluster, written in input order, line for line what a local run writes.

The client reads the cases and sends them in chunks; each worker process builds the ranker once
(from the job's home directory and store, which it must be able to read at the same paths) and
keeps it for the chunks that follow. At most a few chunks per worker are in flight, so a file of
a million cases never sits whole in memory. One ranker per worker process ranks one chunk at a
time: start workers with ``--nthreads 1`` and as many processes (``--nworkers``) as cores.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from kgdecide.errors import ConfigError

#: Seconds to wait for the scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT = 30
#: Chunks in flight per worker: enough to keep each busy while the client writes.
IN_FLIGHT_PER_WORKER = 3

_rankers: dict[Any, Any] = {}
_lock = threading.Lock()


def rank_chunk(job: Any, cases: list[Any]) -> list[dict[str, Any]]:
    """Runs on a worker: the output lines of ``cases`` (the ranker is built on first use)."""
    from kgdecide.packs.clinical.commands import rank_line

    with _lock:
        ranker = _rankers.get(job.ranker_key())
        if ranker is None:
            _rankers.clear()  # a new job's graph replaces the last one's
            ranker = _rankers[job.ranker_key()] = job.ranker()
        return [rank_line(ranker, case, job.top, job.coverage) for case in cases]


def rank_on_cluster(address: str, job: Any, cases: Iterable[Any], chunk_size: int
                    ) -> Iterator[dict[str, Any]]:
    """The output lines of ``cases``, in order, ranked on the scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--cluster needs Dask distributed: pip install 'kgdecide[scale]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as e:
        raise ConfigError(f"--cluster {address}: no Dask scheduler answered ({type(e).__name__}); "
                          "start one with `dask scheduler` and workers with `dask worker "
                          "ADDRESS`, or leave --cluster out to rank here") from None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise ConfigError(f"--cluster {address}: no worker joined the scheduler within "
                              f"{CONNECT_TIMEOUT} s; start some with `dask worker {address}`") from None
        window = IN_FLIGHT_PER_WORKER * max(1, len(client.scheduler_info()["workers"]))
        pending: deque[Any] = deque()
        iterator = iter(cases)
        while chunk := list(itertools.islice(iterator, chunk_size)):
            pending.append(client.submit(rank_chunk, job, chunk, pure=False))
            while len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        client.close()
