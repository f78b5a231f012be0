"""A deterministic stand-in for the embedding model, for the fast test tier.

It satisfies the embedder contract (``tests/test_embedder.py``): 384-d unit float32 rows, batch equals
single, the prompt kind changes the vector, NFC and NFD embed alike, and texts sharing character n-grams
(``orderpicker`` / ``orderverzamelaar``) are closer than unrelated ones. It knows no meaning beyond
spelling, so tests that judge ranking *quality* stay in the slow tier with the real model.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from matcher.embedder import Kind, nfc


class FakeEmbedder:
    """Hashed character 3- and 4-grams and whole words, signed, summed and L2-normalised."""

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim
        self.calls = 0
        self.texts_encoded = 0

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def version(self) -> str:
        """Identifier stamped on indexes (never equal to a real model's)."""
        return f"fake-ngram-{self._dim}"

    def _one(self, text: str, kind: Kind) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        low = text.lower()
        feats = [f"w:{w}" for w in low.split()]
        padded = f" {low} "
        for n in (3, 4):
            feats += [padded[i : i + n] for i in range(len(padded) - n + 1)]
        feats.append(f"kind:{kind}")
        for f in feats:
            h = zlib.crc32(f.encode())
            v[h % self._dim] += 1.0 if (h >> 16) & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """Embed ``texts`` as unit rows."""
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, t in enumerate(nfc(texts)):
            out[i] = self._one(t, kind)
        return out
