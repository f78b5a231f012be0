"""The int8 ONNX export of the model: as close as promised to the float model, chosen only when it is current."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from matcher import onnx_model
from matcher.embedder import source_version
from tests.dutch_texts import dutch_texts
from werkmatch.settings import Settings


@pytest.fixture(scope="session")
def onnx_folder(model_dir: Path, st_embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export `make setup` built when it is current; else one made here (about a minute)."""
    built = onnx_model.folder_of(model_dir)
    if onnx_model.usable(built, st_embedder.version):
        return built
    from data import sample_texts

    out = tmp_path_factory.mktemp("onnx") / onnx_model.FOLDER
    onnx_model.export(st_embedder, out, check_texts=sample_texts())
    return out


@pytest.fixture(scope="session")
def onnx_embedder(onnx_folder: Path):
    return onnx_model.OnnxEmbedder(onnx_folder)


def test_the_export_is_accepted_and_names_its_source(onnx_folder: Path, st_embedder) -> None:
    meta = onnx_model.read_meta(onnx_folder)
    assert meta is not None and meta["accepted"] and meta["min_cosine"] >= onnx_model.MIN_COSINE
    assert meta["source_version"] == st_embedder.version
    assert (onnx_folder / onnx_model.MODEL_FILE).stat().st_size < 200_000_000  # int8 embeddings: not 470 MB


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_every_dutch_test_text_is_within_the_promised_cosine_of_the_float_model(
    onnx_embedder, st_embedder, kind: str
) -> None:
    texts = dutch_texts()  # includes odd Unicode (ligatures, full-width letters, tabs) and long vacancy texts
    assert len(texts) >= 100
    a = st_embedder.encode(texts, kind=kind)
    b = onnx_embedder.encode(texts, kind=kind)
    assert b.shape == a.shape and b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() >= onnx_model.MIN_COSINE, [texts[i] for i in np.argsort(cosine)[:3]]


def test_the_nearest_title_is_the_same_as_with_the_float_model(onnx_embedder, st_embedder) -> None:
    """What matching uses the vectors for: which of many titles a query is closest to."""
    from data import load_json

    titles = [o["title"] for o in load_json("demo.json")["occupations"]]
    queries = [s for o in load_json("demo.json")["occupations"] for s in o["synonyms"][:2]]
    fa, fb = st_embedder.encode(titles, kind="passage"), onnx_embedder.encode(titles, kind="passage")
    qa, qb = st_embedder.encode(queries, kind="query"), onnx_embedder.encode(queries, kind="query")
    same = np.mean(np.argmax(qa @ fa.T, axis=1) == np.argmax(qb @ fb.T, axis=1))
    assert same >= 0.95


def test_encoding_from_many_threads_gives_the_same_vectors(onnx_embedder) -> None:
    texts = dutch_texts()[:40]
    expected = onnx_embedder.encode(texts, kind="query")
    got: list[np.ndarray] = []

    def work() -> None:
        got.append(onnx_embedder.encode(texts, kind="query"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(np.allclose(g, expected, atol=1e-6) for g in got)


def test_the_configured_model_uses_the_export_only_when_it_is_current(
    onnx_folder: Path, model_dir: Path, st_embedder, tmp_path: Path
) -> None:
    from werkmatch.runtime import ModelMissing, load_embedder

    adapter = Settings().adapter_dir
    assert onnx_model.usable(onnx_folder, source_version(model_dir, adapter))
    assert not onnx_model.usable(onnx_folder, source_version(model_dir, None))  # another model: not this export
    if onnx_folder == onnx_model.folder_of(model_dir):
        auto = load_embedder(Settings(model_dir=model_dir, embedder="auto"))
        assert isinstance(auto, onnx_model.OnnxEmbedder) and auto.version == st_embedder.version + "+onnx-int8"
    torch = load_embedder(Settings(model_dir=model_dir, embedder="torch"))
    assert not isinstance(torch, onnx_model.OnnxEmbedder) and torch.version == st_embedder.version
    bare = tmp_path / "model"  # a model folder without an export
    bare.mkdir()
    (bare / "modules.json").write_text("[]")
    with pytest.raises(ModelMissing, match="ONNX"):
        load_embedder(Settings(model_dir=bare, embedder="onnx"))
