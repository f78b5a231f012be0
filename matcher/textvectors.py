"""A cache of text → embedding, so the same text is never encoded twice (persisted with the index)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matcher.embedder import Embedder


class TextVectors:
    """Embeddings of short texts, keyed by the exact text (kind ``query``)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._row: dict[str, int] = {}
        self._mat = np.zeros((0, embedder.dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, text: str) -> bool:
        return text in self._row

    def ensure(self, texts: Sequence[str], progress: Callable[[int], None] | None = None, batch: int = 512) -> None:
        """Encode the texts not cached yet."""
        missing = [t for t in dict.fromkeys(texts) if t and t not in self._row]
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vecs = self.embedder.encode(chunk, kind="query")
            base = len(self._mat)
            self._mat = np.vstack([self._mat, vecs])
            for j, t in enumerate(chunk):
                self._row[t] = base + j
            if progress:
                progress(len(chunk))

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts (encoded on demand); empty text gives a zero vector."""
        self.ensure(texts)
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if t:
                out[i] = self._mat[self._row[t]]
        return out

    def one(self, text: str) -> np.ndarray:
        """Vector of one text."""
        row: np.ndarray = self.get([text])[0]
        return row

    def save(self, path: Path) -> None:
        """Write the cache to an ``.npz`` file (atomically)."""
        texts = sorted(self._row, key=self._row.__getitem__)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, texts=np.array(texts, dtype=object), vectors=self._mat, version=self.embedder.version)
        tmp.replace(path)

    def load(self, path: Path) -> bool:
        """Read a cache written for the same model; return whether it was used."""
        if not path.is_file():
            return False
        data = np.load(path, allow_pickle=True)
        if str(data["version"]) != self.embedder.version:
            return False
        self._mat = data["vectors"].astype(np.float32)
        self._row = {str(t): i for i, t in enumerate(data["texts"].tolist())}
        return True
