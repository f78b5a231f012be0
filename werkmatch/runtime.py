"""Builds the long-lived parts from the settings: embedder, ESCO taxonomy, engine store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from matcher.embedder import Embedder, SentenceTransformerEmbedder
from matcher.esco import EscoNotConfigured
from matcher.taxonomy import EscoTaxonomy
from matcher.textvectors import TextVectors
from models.services.matching import EngineStore
from werkmatch.context import esco
from werkmatch.settings import Settings, get_settings

log = logging.getLogger("werkmatch.runtime")
_lock = threading.Lock()


class ModelMissing(RuntimeError):
    """The embedding model has not been built."""


def load_embedder(settings: Settings | None = None) -> Embedder:
    """The configured sentence-transformers model (built model folder by default)."""
    settings = settings or get_settings()
    return _load_embedder(settings.model_name or str(settings.resolved_model_dir))


@lru_cache(maxsize=2)
def _load_embedder(model: str) -> Embedder:
    path = Path(model)
    if path.exists() and not (path / "modules.json").is_file():
        raise ModelMissing(f"no model at {model}: run `werkmatch model build` (make setup does)")
    if not path.exists() and model.startswith(("/", ".")):
        raise ModelMissing(f"no model at {model}: run `werkmatch model build` (make setup does)")
    return SentenceTransformerEmbedder(model)


def load_taxonomy(settings: Settings | None = None, progress: Callable[[int], None] | None = None) -> EscoTaxonomy:
    """The ESCO taxonomy with label embeddings cached in the data folder (EscoNotConfigured without ESCO)."""
    settings = settings or get_settings()
    return _load_taxonomy(settings.model_name or str(settings.resolved_model_dir), str(settings.esco_dir),
                          str(settings.data_dir), progress)  # fmt: skip


_taxonomies: dict[tuple[str, str], EscoTaxonomy] = {}


def _load_taxonomy(model: str, esco_dir: str, data_dir: str, progress: Callable[[int], None] | None) -> EscoTaxonomy:
    key = (model, esco_dir)
    with _lock:
        if key in _taxonomies:
            return _taxonomies[key]
        settings = get_settings().model_copy(update={"esco_dir": Path(esco_dir)})
        data = esco(settings)
        emb = _load_embedder(model)
        cache = Path(data_dir) / "cache" / f"esco-labels-{data.version}.npz"
        vectors = TextVectors(emb)
        vectors.load(cache)
        before = len(vectors)
        tax = EscoTaxonomy(data, vectors, progress=progress)
        if len(vectors) != before:
            cache.parent.mkdir(parents=True, exist_ok=True)
            vectors.save(cache)
        _taxonomies[key] = tax
        return tax


def taxonomy_or_none(settings: Settings | None = None) -> EscoTaxonomy | None:
    """The taxonomy, or None (with a log line) when ESCO is not configured."""
    try:
        return load_taxonomy(settings)
    except EscoNotConfigured as exc:
        log.warning("%s; matching runs without ESCO", exc)
        return None


def make_store(settings: Settings | None = None) -> EngineStore:
    """An engine store for the configured model, taxonomy and index folder (loaded from disk if current)."""
    settings = settings or get_settings()
    store = EngineStore(
        embedder=load_embedder(settings), folder=settings.resolved_index_dir, taxonomy=taxonomy_or_none(settings)
    )
    store.load()
    return store
