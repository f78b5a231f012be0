"""The nightly job's ranking step, in this process or as tasks on a Dask cluster.

Collecting asks for many rankings (every open vacancy's best candidates, every coach's clients' best
vacancies); they are independent, so they are listed as jobs and scored many at once (``matcher.bulk``). On Dask the engine is sent once
to every worker (a pickled engine carries the loaded profiles and vectors, never the model: see
``MatchEngine.__getstate__``), each worker ranks blocks of jobs, and the results come back in job order to the
one process that writes the ledger, so exactly-once delivery does not change. ``cluster``: ``none`` (this
process), ``local`` (a ``LocalCluster`` of worker processes on this machine) or a scheduler address
(``tcp://HOST:8786``).
"""

from __future__ import annotations

import logging
import math
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from matcher.bulk import BulkRanker, Ranked, RankJob, results_of
from matcher.engine import MatchEngine
from matcher.ranking import MatchResult
from models.services.distributed import dask_client, worker_count

log = logging.getLogger("werkmatch.nightly")
BLOCKS_PER_WORKER = 4  # more blocks than workers, so a slow block does not hold the others up


def rank_jobs(engine: MatchEngine, jobs: Sequence[RankJob]) -> list[list[MatchResult]]:
    """Run ``jobs`` in order (scores only; the pairs that go out are explained afterwards), many at once."""
    return BulkRanker(engine).rank(jobs)


_ON_WORKER: weakref.WeakKeyDictionary[MatchEngine, BulkRanker] = weakref.WeakKeyDictionary()


def rank_jobs_on_worker(engine: MatchEngine, jobs: Sequence[RankJob]) -> Ranked:
    """``rank_jobs`` on a Dask worker, as arrays (a few MB instead of pickled result objects); the tables are
    built once per scattered engine (a new object every run, released when the run cancels it)."""
    ranker = _ON_WORKER.get(engine)
    if ranker is None:
        ranker = _ON_WORKER[engine] = BulkRanker(engine)
    return ranker.rank_arrays(jobs)


class Ranker(Protocol):
    """Runs ranking jobs somewhere; results in job order."""

    def run(self, engine: MatchEngine, jobs: Sequence[RankJob]) -> list[list[MatchResult]]:
        """Every job's results, in the order of ``jobs``."""
        ...


class InProcessRanker:
    """Ranks in this process (one gemeente: the fastest way, no copying)."""

    def run(self, engine: MatchEngine, jobs: Sequence[RankJob]) -> list[list[MatchResult]]:
        """Every job's results, in order."""
        return rank_jobs(engine, jobs)


class DaskRanker:
    """Ranks blocks of jobs on the workers of a Dask ``distributed.Client``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def workers(self) -> int:
        """How many workers the cluster has now."""
        return worker_count(self.client)

    def run(self, engine: MatchEngine, jobs: Sequence[RankJob]) -> list[list[MatchResult]]:
        """Send the engine to every worker once, rank blocks there, gather in order."""
        if not jobs:
            return []
        n_blocks = min(len(jobs), self.workers() * BLOCKS_PER_WORKER)
        size = math.ceil(len(jobs) / n_blocks)
        blocks = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
        shared = self.client.scatter(engine, broadcast=True, hash=False)
        futures = self.client.map(rank_jobs_on_worker, [shared] * len(blocks), blocks, pure=False)
        results: list[list[MatchResult]] = []
        for block in self.client.gather(futures):
            results.extend(results_of(block))
        self.client.cancel(shared)
        return results


@contextmanager
def ranker_for(cluster: str, *, workers: int = 2) -> Iterator[Ranker]:
    """The ranker for a ``cluster`` setting: ``none``, ``local`` (``workers`` processes) or a scheduler address."""
    if cluster in ("", "none"):
        yield InProcessRanker()
        return
    with dask_client(cluster, workers=workers) as client:
        yield DaskRanker(client)
