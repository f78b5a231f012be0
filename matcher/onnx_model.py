"""The embedding model as ONNX with int8 weights: built offline from the local (adapter-merged) model, used by
default when present and current; the torch model stays the fallback.

Export: ``torch.onnx`` of the encoder plus mean pooling, then ONNX Runtime's dynamic quantisation to int8 (per
channel) of the word embeddings and the attention projections. The feed-forward layers stay in float: their
activations have outlier dimensions that 8 bits per tensor cannot hold (measured on the Dutch sample texts,
lowest cosine to the float model: everything int8 0.96; feed-forward output in float 0.987; whole feed-forward
in float 0.996). Products of two activations (attention scores) have no weights to quantise. The build checks
the bound (``MIN_COSINE``) on the texts it is given and marks the export as not accepted otherwise (then
torch is used).

The runtime side needs only ``onnxruntime`` and ``tokenizers``: an API worker that encodes search queries with
it never imports torch (a few hundred MB less per worker).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.embedder import Kind, nfc

FOLDER = "onnx-int8"
MODEL_FILE = "model-int8.onnx"
META_FILE = "onnx.json"
MIN_COSINE = 0.99


def folder_of(model_dir: Path) -> Path:
    """Where the ONNX export of a model folder lives."""
    return model_dir / FOLDER


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The export's metadata, or None when there is no (complete) export."""
    meta = folder / META_FILE
    if not meta.is_file() or not (folder / MODEL_FILE).is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None
    return data


def usable(folder: Path, source_version: str) -> bool:
    """An accepted export of exactly this model (base weights and adapter)."""
    meta = read_meta(folder)
    return bool(meta and meta.get("accepted") and meta.get("source_version") == source_version)


_TOKENIZERS: dict[str, Any] = {}


def shared_tokenizer(folder: Path) -> Any:
    """The export's tokenizer, loaded once per process. The XLM-R vocabulary (250k pieces) takes ~295 MB of
    native memory; a server that loads it before it forks its workers (``werkmatch.serving``) keeps one copy
    for all of them, because nothing ever writes to those pages (it is not Python objects: no reference
    counts), so the workers share it instead of holding one each."""
    from tokenizers import Tokenizer

    key = str(folder / "tokenizer.json")
    found = _TOKENIZERS.get(key)
    if found is None:
        found = _TOKENIZERS[key] = Tokenizer.from_file(key)
    return found


class OnnxEmbedder:
    """Encodes with ONNX Runtime (int8 weights); the same prompts, pooling and normalisation as the model."""

    def __init__(self, folder: Path, *, threads: int = 0) -> None:
        import onnxruntime as ort

        meta = read_meta(folder)
        if meta is None:
            raise FileNotFoundError(f"no ONNX export in {folder}")
        self._meta = meta
        self._tok = shared_tokenizer(folder)
        self._tok.enable_truncation(int(meta["max_seq_length"]))
        self._tok.enable_padding(pad_id=int(meta["pad_id"]), pad_token=str(meta["pad_token"]))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(folder / MODEL_FILE), opts, providers=["CPUExecutionProvider"])
        self._prompts: dict[str, str] = dict(meta["prompts"])
        self._batch_size = 64

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._meta["dim"])

    @property
    def version(self) -> str:
        """The source model's version, marked as its int8 export (its vectors differ slightly)."""
        return f"{self._meta['source_version']}+onnx-int8"

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """Embed texts with the ``query: `` or ``passage: `` prompt (thread-safe: no lock needed)."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self._prompts[kind]
        items = [prompt + t for t in nfc(texts)]
        # sort by length so a batch pads little; put the results back in order
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            idx = order[start : start + self._batch_size]
            enc = self._tok.encode_batch([items[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            pooled = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.where(norms > 0, norms, 1.0)
        return out


def export(embedder: Any, out: Path, *, check_texts: Sequence[str]) -> dict[str, Any]:
    """Export a loaded ``SentenceTransformerEmbedder`` (adapter merged) to ``out`` as int8 ONNX and check it
    against the float model on ``check_texts``; returns the metadata written (``accepted`` says whether it
    passed). Offline: nothing is downloaded."""
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    st = embedder.model
    transformer = st[0]
    model = transformer.auto_model.eval()
    tokenizer = transformer.tokenizer

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled: torch.Tensor = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return pooled

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        sample = tokenizer(["query: voorbeeld"], return_tensors="pt")
        with torch.no_grad():
            torch.onnx.export(
                Pooled(model),
                (sample["input_ids"], sample["attention_mask"]),
                str(fp32),
                input_names=["input_ids", "attention_mask"],
                output_names=["pooled"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
                opset_version=17,
                dynamo=False,
            )
        keep_float = _float_matmuls(fp32)
        quantize_dynamic(
            str(fp32),
            str(out / MODEL_FILE),
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=keep_float,
        )
    model_dir = Path(str(getattr(embedder, "model_dir", "")))
    shutil.copyfile(model_dir / "tokenizer.json", out / "tokenizer.json")
    prompts = {"query": "query: ", "passage": "passage: "} | {k: v for k, v in (st.prompts or {}).items() if v}
    meta: dict[str, Any] = {
        "source_version": embedder.version,
        "dim": embedder.dim,
        "max_seq_length": int(st.max_seq_length or 512),
        "pad_id": int(tokenizer.pad_token_id),
        "pad_token": str(tokenizer.pad_token),
        "prompts": {"query": prompts["query"], "passage": prompts["passage"]},
        "float_matmuls": len(keep_float),
        "export_seconds": round(time.perf_counter() - t0, 1),
        "accepted": False,
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2))
    onnx = OnnxEmbedder(out)
    worst = 1.0
    for kind in ("query", "passage"):
        a, b = embedder.encode(list(check_texts), kind=kind), onnx.encode(list(check_texts), kind=kind)
        worst = min(worst, float((a * b).sum(axis=1).min()))
    meta |= {"min_cosine": round(worst, 4), "check_texts": len(check_texts), "accepted": worst >= MIN_COSINE}
    tmp_meta = out / (META_FILE + ".tmp")
    tmp_meta.write_text(json.dumps(meta, indent=2))
    os.replace(tmp_meta, out / META_FILE)
    return meta


def _float_matmuls(path: Path) -> list[str]:
    """MatMul nodes to leave in float: products of two activations, and the feed-forward layers (BERT's
    ``intermediate.dense`` and ``output.dense``; the attention block has its own ``attention.output.dense``)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {i.name for i in graph.initializer}
    keep = []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        feed_forward = "/intermediate/dense/" in node.name or (
            "/output/dense/" in node.name and "/attention/" not in node.name
        )
        if feed_forward or not any(i in weights for i in node.input):
            keep.append(node.name)
    return keep
