"""Bulk work on Dask (``distributed``): one way to reach a cluster, and embedding on its workers.

Two kinds of bulk work leave the process when one machine's cores are not enough: the nightly job's rankings
(``nightly/cluster.py``) and (re-)embedding profiles (``DaskEmbedder`` here, used by ``werkmatch index embed
--cluster``). In both, the one process that writes the database stays the only writer: the workers compute
and send results back. ``cluster``: ``local`` (a ``LocalCluster`` of worker processes on this machine) or a
scheduler address (``tcp://HOST:8786``); the workers of a real cluster need the project and the model
installed, and never see the database.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.embedder import Embedder, Kind

log = logging.getLogger("werkmatch.distributed")
CHUNKS_PER_WORKER = 2  # texts of one call are split in this many chunks per worker
MIN_CHUNK = 32  # fewer texts than this per chunk cost more to send than to encode


def valid_cluster(cluster: str) -> bool:
    """Whether ``cluster`` names a way to run: ``none``, ``local`` or a scheduler address."""
    return cluster in ("none", "local") or cluster.startswith(("tcp://", "tls://"))


@contextmanager
def dask_client(cluster: str, *, workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client`` for ``local`` (``workers`` processes, one thread each) or a scheduler
    address; closed (and a local cluster stopped) on leaving."""
    import dask
    from distributed import Client, LocalCluster

    if cluster == "local":
        # Dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, which also turns off glibc's adaptive mmap
        # threshold: every large NumPy temporary is then a fresh mmap with page faults, and ranking ran 3x
        # slower in a worker than in this process (measured). Our workers keep glibc's defaults.
        environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING,
            ) as local,
            Client(local) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    with Client(cluster, timeout="30s") as client:  # type: ignore[no-untyped-call]
        log.info("bulk work on the Dask cluster at %s", cluster)
        yield client


def worker_count(client: Any) -> int:
    """How many workers the cluster has now."""
    return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))


@dataclass(frozen=True)
class ModelSpec:
    """What a worker needs to load the configured embedding model itself (the model never travels): the
    model settings of ``werkmatch.settings.Settings``. Calling it loads the model (cached per process)."""

    model_dir: str
    model_name: str | None
    adapter_dir: str
    use_adapter: bool
    embedder: str

    @classmethod
    def of(cls, settings: Any) -> ModelSpec:
        """The model part of a ``Settings``."""
        return cls(
            str(settings.resolved_model_dir),
            settings.model_name,
            str(settings.adapter_dir),
            settings.use_adapter,
            settings.embedder,
        )

    def __call__(self) -> Embedder:
        from werkmatch.runtime import load_embedder
        from werkmatch.settings import Settings

        return load_embedder(
            Settings(
                model_dir=Path(self.model_dir),
                model_name=self.model_name,
                adapter_dir=Path(self.adapter_dir),
                use_adapter=self.use_adapter,
                embedder=self.embedder,  # type: ignore[arg-type]
            )
        )


_MODELS: dict[Any, Embedder] = {}  # on a worker: factory -> the model it loaded (once per process)


def _model(factory: Callable[[], Embedder]) -> Embedder:
    found = _MODELS.get(factory)
    if found is None:
        found = _MODELS[factory] = factory()
    return found


def _describe(factory: Callable[[], Embedder]) -> tuple[int, str]:
    model = _model(factory)
    return model.dim, model.version


def _encode(factory: Callable[[], Embedder], texts: list[str], kind: Kind) -> np.ndarray:
    return _model(factory).encode(texts, kind=kind)


class DaskEmbedder:
    """An ``Embedder`` whose texts are encoded by the workers of a Dask cluster: each worker loads the model
    once (from ``factory``, a picklable zero-argument callable such as ``ModelSpec``); a call's texts are split
    into chunks, encoded in parallel and returned in order. The same vectors as ``factory()`` in one process."""

    def __init__(self, client: Any, factory: Callable[[], Embedder]) -> None:
        self.client = client
        self.factory = factory
        self._dim, self._version = client.submit(_describe, factory, pure=False).result()

    @property
    def dim(self) -> int:
        """Vector dimension (as the workers' model says)."""
        return int(self._dim)

    @property
    def version(self) -> str:
        """The workers' model version."""
        return str(self._version)

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """``texts`` encoded on the workers, in order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        n_chunks = max(1, min(worker_count(self.client) * CHUNKS_PER_WORKER, len(texts) // MIN_CHUNK))
        size = math.ceil(len(texts) / n_chunks)
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        futures = self.client.map(_encode, [self.factory] * len(chunks), chunks, [kind] * len(chunks), pure=False)
        return np.concatenate(self.client.gather(futures)).astype(np.float32, copy=False)
