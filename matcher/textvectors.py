"""A cache of text → embedding, so the same text is never encoded twice (persisted with the index).

Texts are keyed by a SHA-256 digest, never stored as text: the saved file holds digests and vectors only,
so no profile's words end up on disk. :meth:`discard` evicts texts no profile uses any more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from matcher.embedder import Embedder


def text_key(text: str) -> str:
    """The cache key of a text (hex SHA-256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode()).hexdigest()


class MissingVectors(KeyError):
    """A frozen cache was asked for a text it does not hold (it never encodes)."""


class TextVectors:
    """Embeddings of short texts (kind ``query``), keyed by the digest of the exact text.

    ``frozen`` caches never encode: an API worker fills them with vectors the indexer stored in the
    database (:meth:`add`) and asks for nothing else; ``encoded`` counts the texts this cache encoded.
    """

    def __init__(self, embedder: Embedder, *, frozen: bool = False) -> None:
        self.embedder = embedder
        self.frozen = frozen
        self.encoded = 0
        self._row: dict[str, int] = {}
        self._mat = np.zeros((0, embedder.dim), dtype=np.float32)

    def has(self, key: str) -> bool:
        """Whether the vector of the text with this digest is cached."""
        return key in self._row

    def vector(self, key: str) -> np.ndarray:
        """The cached vector of a digest."""
        row: np.ndarray = self._mat[self._row[key]]
        return row

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> int:
        """Cache vectors computed elsewhere (by digest); return how many were new."""
        new = [(k, i) for i, k in enumerate(keys) if k not in self._row]
        if not new:
            return 0
        vecs = np.asarray(vectors, dtype=np.float32)[[i for _, i in new]]
        if vecs.shape[1:] != (self.embedder.dim,):
            raise ValueError(f"vectors of shape {vecs.shape[1:]} for a model of dimension {self.embedder.dim}")
        base = len(self._mat)
        self._mat = np.vstack([self._mat, vecs])
        for j, (k, _) in enumerate(new):
            self._row[k] = base + j
        return len(new)

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, text: str) -> bool:
        return text_key(text) in self._row

    def ensure(self, texts: Sequence[str], progress: Callable[[int], None] | None = None, batch: int = 512) -> None:
        """Encode the texts not cached yet."""
        self._ensure({t: text_key(t) for t in texts if t}, progress, batch)

    def _ensure(self, keyed: dict[str, str], progress: Callable[[int], None] | None, batch: int) -> None:
        missing = [(t, k) for t, k in keyed.items() if k not in self._row]
        if missing and self.frozen:
            raise MissingVectors(f"{len(missing)} text(s) without a stored vector")
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vecs = self.embedder.encode([t for t, _ in chunk], kind="query")
            base = len(self._mat)
            self._mat = np.vstack([self._mat, vecs])
            for j, (_, k) in enumerate(chunk):
                self._row[k] = base + j
            self.encoded += len(chunk)
            if progress:
                progress(len(chunk))

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts (encoded on demand); empty text gives a zero vector. Each text is hashed once."""
        keyed = {t: text_key(t) for t in texts if t}
        self._ensure(keyed, None, 512)
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if t:
                out[i] = self._mat[self._row[keyed[t]]]
        return out

    def one(self, text: str) -> np.ndarray:
        """Vector of one text."""
        row: np.ndarray = self.get([text])[0]
        return row

    def discard(self, texts: Iterable[str]) -> int:
        """Forget these texts' vectors (e.g. of a deleted candidate); return how many were cached."""
        gone = {text_key(t) for t in texts if t} & self._row.keys()
        if not gone:
            return 0
        keep = sorted((row, key) for key, row in self._row.items() if key not in gone)
        self._mat = self._mat[[row for row, _ in keep]] if keep else self._mat[:0]
        self._row = {key: i for i, (_, key) in enumerate(keep)}
        return len(gone)

    def save(self, path: Path) -> None:
        """Write digests and vectors to an ``.npz`` file (atomically; no text, no pickled objects)."""
        keys = sorted(self._row, key=self._row.__getitem__)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, keys=np.array(keys, dtype="U64"), vectors=self._mat, version=np.array(self.embedder.version))
        tmp.replace(path)

    def load(self, path: Path) -> bool:
        """Read a cache written for the same model; return whether it was used."""
        if not path.is_file():
            return False
        with np.load(path, allow_pickle=False) as data:
            if "keys" not in data.files or str(data["version"]) != self.embedder.version:
                return False  # another model, or the old format that stored raw text: rebuilt
            vectors = data["vectors"].astype(np.float32)
            keys = [str(k) for k in data["keys"].tolist()]
        if vectors.shape != (len(keys), self.embedder.dim):
            raise ValueError(f"{path}: {len(keys)} keys but vectors of shape {vectors.shape}")
        self._mat = vectors
        self._row = {k: i for i, k in enumerate(keys)}
        return True
