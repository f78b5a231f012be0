"""Builds the long-lived parts from the settings: embedder, ESCO taxonomy, engine store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from matcher import onnx_model
from matcher.embedder import Embedder, SentenceTransformerEmbedder, source_version
from matcher.esco import EscoNotConfigured
from matcher.taxonomy import EscoTaxonomy
from matcher.textvectors import TextVectors
from models.services.indexer import Indexer
from models.services.matching import EngineStore
from werkmatch.context import esco
from werkmatch.settings import Settings, get_settings

log = logging.getLogger("werkmatch.runtime")
_lock = threading.Lock()


class ModelMissing(RuntimeError):
    """The embedding model has not been built."""


def load_embedder(settings: Settings | None = None) -> Embedder:
    """The configured model: its int8 ONNX export when it is there, current and accepted (unless
    ``WERKMATCH_EMBEDDER=torch``), else the sentence-transformers model (built model folder by default)."""
    settings = settings or get_settings()
    folder = _onnx_folder(settings)
    if folder is not None:
        return _load_onnx(str(folder))
    if settings.embedder == "onnx":
        raise ModelMissing(f"no current ONNX export for {_model_key(settings)}: run `werkmatch model build`")
    return _load_embedder(_model_key(settings), _adapter_key(settings))


def _onnx_folder(settings: Settings) -> Path | None:
    """The ONNX export to use, or None (torch asked for, or no accepted export of exactly this model)."""
    model = _model_key(settings)
    if settings.embedder == "torch" or not Path(model).is_dir():
        return None
    folder = onnx_model.folder_of(Path(model))
    return folder if onnx_model.usable(folder, source_version(model, _adapter_key(settings))) else None


def preload_shared(settings: Settings | None = None) -> bool:
    """Load what the workers of one server can share read-only before they are forked: the ONNX export's
    tokenizer (native memory nobody writes to). Return whether there was something to load."""
    folder = _onnx_folder(settings or get_settings())
    if folder is None:
        return False
    onnx_model.shared_tokenizer(folder)
    return True


@lru_cache(maxsize=4)
def _load_onnx(folder: str) -> Embedder:
    return onnx_model.OnnxEmbedder(Path(folder))


def _model_key(settings: Settings) -> str:
    return settings.model_name or str(settings.resolved_model_dir)


def _adapter_key(settings: Settings) -> str | None:
    adapter = settings.resolved_adapter
    return str(adapter) if adapter is not None else None


@lru_cache(maxsize=4)
def _load_embedder(model: str, adapter: str | None = None) -> Embedder:
    if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
        raise ModelMissing(
            f"no LoRA adapter at {adapter}: run `werkmatch model train` or set WERKMATCH_USE_ADAPTER=false"
        )
    path = Path(model)
    if path.exists() and not (path / "modules.json").is_file():
        raise ModelMissing(f"no model at {model}: run `werkmatch model build` (make setup does)")
    if not path.exists() and model.startswith(("/", ".")):
        raise ModelMissing(f"no model at {model}: run `werkmatch model build` (make setup does)")
    return SentenceTransformerEmbedder(model, adapter=adapter)


def load_taxonomy(
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    embedder: Embedder | None = None,
) -> EscoTaxonomy:
    """The ESCO taxonomy with label embeddings cached in the data folder (EscoNotConfigured without ESCO);
    labels not in the cache are embedded with ``embedder`` (default: the configured model). Only a taxonomy of
    the configured model is kept for the process: one made with another embedder (a Dask cluster's, which is
    closed after its command) must not be handed to the next caller."""
    settings = settings or get_settings()
    if embedder is None:
        return _load_taxonomy(load_embedder(settings), str(settings.esco_dir), str(settings.data_dir), progress)
    return _build_taxonomy(embedder, settings, progress)


_taxonomies: dict[tuple[str, str], EscoTaxonomy] = {}


def _load_taxonomy(emb: Embedder, esco_dir: str, data_dir: str, progress: Callable[[int], None] | None) -> EscoTaxonomy:
    """The labels are embedded with the same model (and backend) as the profiles."""
    key = (emb.version, esco_dir)
    with _lock:
        if key in _taxonomies:
            return _taxonomies[key]
        settings = get_settings().model_copy(update={"esco_dir": Path(esco_dir), "data_dir": Path(data_dir)})
        tax = _build_taxonomy(emb, settings, progress)
        _taxonomies[key] = tax
        return tax


def _build_taxonomy(emb: Embedder, settings: Settings, progress: Callable[[int], None] | None) -> EscoTaxonomy:
    """A taxonomy whose label vectors come from the cache file, the missing ones embedded with ``emb``."""
    data = esco(settings)
    cache = label_cache_path(settings.data_dir, data.version, emb.version)
    vectors = TextVectors(emb)
    try:
        vectors.load(cache)
    except Exception as exc:  # a corrupt or half-written cache is rebuilt, never fatal
        log.warning("ESCO label cache %s cannot be read (%r); rebuilding it", cache, exc)
        cache.unlink(missing_ok=True)
        vectors = TextVectors(emb)
    before = len(vectors)
    tax = EscoTaxonomy(data, vectors, progress=progress)
    if len(vectors) != before:
        cache.parent.mkdir(parents=True, exist_ok=True)
        vectors.save(cache)
    return tax


def index_english_skills(tax: EscoTaxonomy, settings: Settings | None = None) -> None:
    """Give the taxonomy its index of English-only skills (label vectors cached beside the Dutch ones)."""
    settings = settings or get_settings()
    if tax.english_skills is not None:
        return
    emb = tax.occupations.vectors.embedder if tax.occupations.vectors is not None else load_embedder(settings)
    cache = label_cache_path(Path(settings.data_dir), f"{tax.esco.version}-en", emb.version)
    vectors = TextVectors(emb)
    try:
        vectors.load(cache)
    except Exception as exc:  # a missing or half-written cache is rebuilt
        log.info("English skill label cache %s not used (%r)", cache, exc)
        vectors = TextVectors(emb)
    before = len(vectors)
    tax.build_english_skills(vectors)
    if len(vectors) != before:
        cache.parent.mkdir(parents=True, exist_ok=True)
        vectors.save(cache)


def make_indexer(settings: Settings | None = None) -> Indexer:
    """The indexer for the configured model and taxonomy."""
    settings = settings or get_settings()
    return Indexer(embedder=load_embedder(settings), taxonomy=taxonomy_or_none(settings))


def label_cache_path(data_dir: Path, esco_version: str, model_version: str) -> Path:
    """Where the ESCO label vectors of one ESCO release and one model version are cached."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_version)
    return data_dir / "cache" / f"esco-labels-{esco_version}-{safe}.npz"


def taxonomy_or_none(settings: Settings | None = None, *, embedder: Embedder | None = None) -> EscoTaxonomy | None:
    """The taxonomy, or None (with a log line) when ESCO is not configured."""
    try:
        return load_taxonomy(settings, embedder=embedder)
    except EscoNotConfigured as exc:
        log.warning("%s; matching runs without ESCO", exc)
        return None


def make_store(settings: Settings | None = None, *, embed: bool = True) -> EngineStore:
    """An engine store for the configured model, taxonomy and index folder (loaded from disk if current);
    ``embed=False`` for an API worker, which loads vectors the indexer stored and never embeds a profile."""
    settings = settings or get_settings()
    store = EngineStore(
        embedder=load_embedder(settings),
        folder=settings.resolved_index_dir,
        taxonomy=taxonomy_or_none(settings),
        embed=embed,
    )
    store.load()
    return store
