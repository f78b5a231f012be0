"""Vector indexes behind one protocol: exact NumPy, and FAISS (exact or HNSW) with id mapping.

Vectors are L2-normalised (or concatenations of weighted normalised parts); the score is the inner
product. Ids are the database ids (int64). Search can be restricted to a set of allowed ids.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

EXACT_LIMIT = 200_000  # above this many vectors FaissIndex switches to HNSW (see docs/benchmarks.md)


@runtime_checkable
class VectorIndex(Protocol):
    """A mutable inner-product index over int64 ids."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def __len__(self) -> int: ...

    def ids(self) -> np.ndarray:
        """All ids in the index."""
        ...

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing those with the same ids."""
        ...

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids; return how many were present."""
        ...

    def get(self, ids: Iterable[int]) -> np.ndarray:
        """The stored vectors for ids (KeyError when one is missing)."""
        ...

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) by inner product, best first; ``allowed`` restricts the ids."""
        ...

    def save(self, folder: Path) -> None:
        """Persist to ``folder`` atomically (written beside it, then renamed)."""
        ...


def _as_ids(ids: Iterable[int]) -> np.ndarray:
    return np.fromiter((int(i) for i in ids), dtype=np.int64)


def _topk(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    part = np.argpartition(-scores, k - 1)[:k]
    # Ties broken by id so results are deterministic.
    order = np.lexsort((ids[part], -scores[part]))
    sel = part[order]
    return ids[sel], scores[sel].astype(np.float32)


def atomic_write_dir(folder: Path, write: Any) -> None:
    """Call ``write(tmpdir)``, then swap the temporary folder into ``folder``."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        write(tmp)
        for f in tmp.iterdir():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
        old = folder.parent / f".{folder.name}.old"
        if old.exists():
            shutil.rmtree(old)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class NumpyIndex:
    """Exact search with a dense matrix; the reference implementation."""

    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vecs = np.zeros((0, dim), dtype=np.float32)
        self._pos: dict[int, int] = {}
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None
        self._rows_for: tuple[np.ndarray, np.ndarray] | None = None  # (allowed array, its rows): reused filters
        # ``_ids``/``_vecs`` are the first rows of these buffers, which keep spare room for appends
        self._ibuf: np.ndarray | None = None
        self._vbuf: np.ndarray | None = None

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        """All ids."""
        return self._ids.copy()

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add or replace vectors: a changed profile overwrites its row in place and a new one is appended to
        spare room at the end, so a change costs its own rows, not a copy of the whole matrix."""
        ids_ = _as_ids(ids)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids_), self._dim)
        if len(set(ids_.tolist())) != len(ids_):
            raise ValueError("duplicate ids in one upsert")
        if not len(ids_):
            return
        rows = [self._pos.get(i, -1) for i in ids_.tolist()]
        old = np.array([r >= 0 for r in rows], dtype=bool)
        if old.any():
            self._writable()
            self._vecs[np.array([r for r in rows if r >= 0], dtype=np.int64)] = vectors[old]
        if not old.all():
            self._append(ids_[~old], vectors[~old])

    def _writable(self) -> None:
        """Own writable rows (a loaded matrix may be a read-only mapping of the snapshot file)."""
        if not self._vecs.flags.writeable or not self._ids.flags.writeable:
            self._ibuf, self._vbuf = self._ids.copy(), self._vecs.copy()
            self._ids, self._vecs = self._ibuf, self._vbuf

    def _append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        n, k = len(self._ids), len(ids)
        if self._ibuf is None or len(self._ibuf) < n + k or not self._vbuf.flags.writeable:  # type: ignore[union-attr]
            cap = max(n + k, n + n // 4 + 16)  # grow by a quarter: appends cost a copy only now and then
            ibuf = np.empty(cap, dtype=np.int64)
            vbuf = np.empty((cap, self._dim), dtype=np.float32)
            ibuf[:n], vbuf[:n] = self._ids, self._vecs
            self._ibuf, self._vbuf = ibuf, vbuf
        assert self._ibuf is not None and self._vbuf is not None
        self._ibuf[n : n + k], self._vbuf[n : n + k] = ids, vectors
        self._ids, self._vecs = self._ibuf[: n + k], self._vbuf[: n + k]
        for j, i in enumerate(ids.tolist()):
            self._pos[i] = n + j
        self._sorted = None
        self._rows_for = None

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids: the last rows move into the freed places (only their positions change)."""
        drop = sorted((self._pos[i] for i in _as_ids(ids).tolist() if i in self._pos), reverse=True)
        if not drop:
            return 0
        self._writable()
        n = len(self._ids)
        for row in drop:  # highest first, so a row moved from the end is never one still to be dropped
            n -= 1
            gone = int(self._ids[row])
            del self._pos[gone]
            if row != n:
                moved = int(self._ids[n])
                self._ids[row], self._vecs[row] = moved, self._vecs[n]
                self._pos[moved] = row
        self._ids, self._vecs = self._ids[:n], self._vecs[:n]
        self._sorted = None
        self._rows_for = None
        return len(drop)

    def get(self, ids: Iterable[int]) -> np.ndarray:
        """Stored vectors."""
        return self._vecs[[self._pos[i] for i in _as_ids(ids).tolist()]]

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is not None:
            if self._rows_for is not None and self._rows_for[0] is allowed:
                rows = self._rows_for[1]
            else:
                rows = self.rows_of(np.asarray(allowed, dtype=np.int64))
                self._rows_for = (allowed, rows)
            if len(rows) == 0:
                return _topk(np.zeros(0, np.float32), np.zeros(0, np.int64), k)
            if len(rows) * 3 > len(self._ids):  # a large share: one pass over all rows beats copying them
                return _topk((self._vecs @ q)[rows], self._ids[rows], k)
            return _topk(self._vecs[rows] @ q, self._ids[rows], k)
        return _topk(self._vecs @ q, self._ids, k)

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Row positions of the ids that are present (vectorised)."""
        if self._sorted is None:
            order = np.argsort(self._ids, kind="stable")
            self._sorted = (order, self._ids[order])
        order, sorted_ids = self._sorted
        if len(sorted_ids) == 0 or len(ids) == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.clip(pos, 0, len(sorted_ids) - 1)
        hit = sorted_ids[pos] == ids
        result: np.ndarray = order[pos[hit]]
        return result

    def save(self, folder: Path) -> None:
        """Persist atomically."""

        def write(tmp: Path) -> None:
            np.save(tmp / "ids.npy", self._ids)
            np.save(tmp / "vectors.npy", self._vecs)
            (tmp / "index.json").write_text(json.dumps({"kind": "numpy", "dim": self._dim, "count": len(self)}))

        atomic_write_dir(folder, write)

    @classmethod
    def load(cls, folder: Path) -> NumpyIndex:
        """Load a saved index."""
        meta = json.loads((folder / "index.json").read_text())
        idx = cls(meta["dim"])
        idx._ids = np.load(folder / "ids.npy")
        idx._vecs = np.load(folder / "vectors.npy")
        idx._pos = {int(i): j for j, i in enumerate(idx._ids.tolist())}
        idx._sorted = None
        return idx


class FaissIndex:
    """FAISS inner-product index with an id map: exact up to ``exact_limit`` vectors, HNSW beyond.

    The vectors are also kept in a NumPy matrix, so that filtered search over a small allowed set
    is exact and so that the index can be rebuilt (e.g. to HNSW) without re-encoding.
    """

    def __init__(self, dim: int, *, exact_limit: int = EXACT_LIMIT, hnsw_m: int = 32, ef_search: int = 128) -> None:
        import faiss

        self._faiss = faiss
        self._dim = dim
        self._exact_limit = exact_limit
        self._hnsw_m = hnsw_m
        self._ef_search = ef_search
        self._store = NumpyIndex(dim)
        self._index: Any = None
        self._dirty = True

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_faiss"]
        index = state.pop("_index")
        state["_index_bytes"] = None if index is None else self._faiss.serialize_index(index)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import faiss

        blob = state.pop("_index_bytes")
        self.__dict__.update(state)
        self._faiss = faiss
        self._index = None if blob is None else faiss.deserialize_index(blob)

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def kind(self) -> str:
        """``flat`` (exact) or ``hnsw``."""
        return "hnsw" if len(self._store) > self._exact_limit else "flat"

    def __len__(self) -> int:
        return len(self._store)

    def ids(self) -> np.ndarray:
        """All ids."""
        return self._store.ids()

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add or replace vectors."""
        ids_ = _as_ids(ids)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids_), self._dim)
        self._store.upsert(ids_, vectors)
        if self._index is not None and not self._dirty and self.kind == "flat":
            self._index.remove_ids(ids_)
            self._index.add_with_ids(vectors, ids_)
        else:
            self._dirty = True

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids."""
        ids_ = _as_ids(ids)
        n = self._store.remove(ids_)
        if n and self._index is not None and not self._dirty:
            if self.kind == "flat":
                self._index.remove_ids(ids_)
            else:
                self._dirty = True
        return n

    def get(self, ids: Iterable[int]) -> np.ndarray:
        """Stored vectors."""
        return self._store.get(ids)

    def _ensure(self) -> Any:
        if self._index is None or self._dirty:
            faiss = self._faiss
            if self.kind == "flat":
                index = faiss.IndexIDMap2(faiss.IndexFlatIP(self._dim))
            else:
                hnsw = faiss.IndexHNSWFlat(self._dim, self._hnsw_m, faiss.METRIC_INNER_PRODUCT)
                hnsw.hnsw.efConstruction = 80
                hnsw.hnsw.efSearch = self._ef_search
                index = faiss.IndexIDMap2(hnsw)
            if len(self._store):
                index.add_with_ids(self._store._vecs, self._store._ids)
            self._index, self._dirty = index, False
        return self._index

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by inner product; a filtered search scans the allowed rows exactly.

        An exact scan of the allowed rows was faster than FAISS's id selector at every filter size
        measured on 100k rows (docs/benchmarks.md), and a filtered HNSW search would lose recall.
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if len(self._store) == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if allowed is not None:
            return self._store.search(q[0], k, allowed=np.asarray(allowed, dtype=np.int64))
        scores, ids = self._ensure().search(q, min(k, len(self._store)))
        keep = ids[0] >= 0
        ids_, scores_ = ids[0][keep], scores[0][keep]
        order = np.lexsort((ids_, -scores_))
        return ids_[order].astype(np.int64), scores_[order].astype(np.float32)

    def save(self, folder: Path) -> None:
        """Persist atomically: the vectors (and the FAISS index for HNSW)."""

        def write(tmp: Path) -> None:
            np.save(tmp / "ids.npy", self._store._ids)
            np.save(tmp / "vectors.npy", self._store._vecs)
            meta = {
                "kind": "faiss",
                "index": self.kind,
                "dim": self._dim,
                "count": len(self),
                "exact_limit": self._exact_limit,
            }
            if self.kind == "hnsw":
                self._faiss.write_index(self._ensure(), str(tmp / "faiss.index"))
            (tmp / "index.json").write_text(json.dumps(meta))

        atomic_write_dir(folder, write)

    @classmethod
    def load(cls, folder: Path) -> FaissIndex:
        """Load a saved index."""
        meta = json.loads((folder / "index.json").read_text())
        idx = cls(meta["dim"], exact_limit=meta.get("exact_limit", EXACT_LIMIT))
        idx._store = NumpyIndex.load(folder) if (folder / "ids.npy").exists() else idx._store
        if meta.get("index") == "hnsw" and (folder / "faiss.index").exists():
            idx._index = idx._faiss.read_index(str(folder / "faiss.index"))
            idx._dirty = False
        return idx


def load_index(folder: Path) -> VectorIndex:
    """Load whichever index kind was saved in ``folder``."""
    meta = json.loads((folder / "index.json").read_text())
    return FaissIndex.load(folder) if meta["kind"] == "faiss" else NumpyIndex.load(folder)
