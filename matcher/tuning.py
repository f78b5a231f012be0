"""Stage 2 of the model: tune the base encoder on Dutch ESCO with a small LoRA adapter.

Whole occupations are held out (a stable hash of the URI) and never trained on; every evaluation
that reports on the tuned model (``werkmatch eval model``, ``eval taxonomy``, ``eval ranking``)
draws its queries from the held-out occupations only.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.esco import Esco, Occupation

HELDOUT_SHARE = 0.2
PROMPT = "query: "
PairSet = dict[str, list[tuple[str, str, str]]]  # pair type -> (group key, anchor, positive)


def is_heldout(uri: str, share: float = HELDOUT_SHARE) -> bool:
    """Whether an occupation is held out of training (stable across runs and machines)."""
    digest = hashlib.sha256(uri.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def heldout_occupations(esco: Esco) -> list[Occupation]:
    """The held-out occupations, sorted by URI."""
    return sorted((o for o in esco.occupations.values() if is_heldout(o.uri)), key=lambda o: o.uri)


def first_sentence(text: str) -> str:
    """First sentence of a description, without the final full stop."""
    return text.split(". ")[0].strip().rstrip(".")


def dutch_essentials(esco: Esco, uri: str) -> list[str]:
    """Sorted Dutch labels of an occupation's essential skills."""
    out = set()
    for s in esco.essential.get(uri, []):
        skill = esco.skills.get(s)
        if skill is not None and skill.dutch:
            out.add(skill.preferred)
    return sorted(out)


def build_pairs(
    esco: Esco, *, skill_synonyms: Sequence[tuple[str, str, str]] = (), seed: int = 13, per_type: int = 6000
) -> PairSet:
    """Positive pairs of seven kinds from the training occupations (never a held-out one)."""
    rng = random.Random(seed)
    train = sorted((o for o in esco.occupations.values() if not is_heldout(o.uri)), key=lambda o: o.uri)
    out: PairSet = {
        k: []
        for k in (
            "alt-pref",
            "alt-alt",
            "hidden-pref",
            "label-description",
            "label-isco",
            "occupation-skills",
            "skill-synonym",
        )
    }
    for o in train:
        alts = [a for a in o.alt if a.lower() != o.preferred.lower()]
        out["alt-pref"] += [(o.uri, a, o.preferred) for a in alts]
        if len(alts) >= 2:
            a, b = rng.sample(alts, 2)
            out["alt-alt"].append((o.uri, a, b))
        out["hidden-pref"] += [(o.uri, h, o.preferred) for h in o.hidden if h.lower() != o.preferred.lower()]
        label = rng.choice([o.preferred, *alts])
        if o.description:
            out["label-description"].append((o.uri, label, first_sentence(o.description)))
        group = esco.isco_groups.get(o.isco, "")
        if group:
            out["label-isco"].append((o.uri, label, group))
        skills = dutch_essentials(esco, o.uri)
        if len(skills) >= 3:
            pick = rng.sample(skills, min(5, len(skills)))
            out["occupation-skills"].append((o.uri, ", ".join(pick), rng.choice([o.preferred, *alts])))
    held_skills = {s for o in esco.occupations.values() if is_heldout(o.uri) for s in esco.essential.get(o.uri, [])}
    out["skill-synonym"] = [p for p in skill_synonyms if p[0] not in held_skills and p[1].lower() != p[2].lower()]
    for k, pairs in out.items():
        rng.shuffle(pairs)
        out[k] = pairs[:per_type]
    return out


def batches(pairs: PairSet, *, batch_size: int, seed: int) -> list[list[tuple[str, str, str]]]:
    """One pair type per batch, no group key or text twice in a batch (no false in-batch negatives)."""
    rng = random.Random(seed)
    out: list[list[tuple[str, str, str]]] = []
    for kind in sorted(pairs):
        pending = list(pairs[kind])
        rng.shuffle(pending)
        while pending:
            batch: list[tuple[str, str, str]] = []
            rest: list[tuple[str, str, str]] = []
            keys: set[str] = set()
            texts: set[str] = set()
            for p in pending:
                key, a, b = p
                if len(batch) < batch_size and key not in keys and a not in texts and b not in texts:
                    batch.append(p)
                    keys.add(key)
                    texts.update((a, b))
                else:
                    rest.append(p)
            if len(batch) >= 8:
                out.append(batch)
            pending = rest if len(batch) >= 8 else []
    rng.shuffle(out)
    return out


@dataclass
class TrainConfig:
    """Hyper-parameters of ``werkmatch model train`` (the defaults made the committed adapter)."""

    seed: int = 13
    per_type: int = 6000
    batch_size: int = 64
    epochs: int = 1
    lr: float = 3e-4
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    max_seq_length: int = 48
    warmup: float = 0.1
    scale: float = 20.0
    counts: dict[str, int] = field(default_factory=dict)


def train_adapter(
    base: Path, out: Path, pairs: PairSet, cfg: TrainConfig, *, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Train a LoRA adapter on the base model with in-batch negatives; write it to ``out``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model = SentenceTransformer(str(base), device="cpu")
    model.max_seq_length = cfg.max_seq_length
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=r".*encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)",
    )
    peft_model = get_peft_model(model[0].auto_model, lora)  # type: ignore[arg-type]  # injects the LoRA layers in place
    loss_fn = MultipleNegativesRankingLoss(model, scale=cfg.scale)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    plan = [b for e in range(cfg.epochs) for b in batches(pairs, batch_size=cfg.batch_size, seed=cfg.seed + e)]
    total = len(plan)
    warm = max(1, int(total * cfg.warmup))

    def lr_at(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    model.train()
    started, seen, losses = time.perf_counter(), 0, []
    for step, batch in enumerate(plan):
        feats = [
            model.preprocess([PROMPT + a for _, a, _ in batch]),
            model.preprocess([PROMPT + b for _, _, b in batch]),
        ]
        loss = loss_fn(feats, torch.empty(0))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        seen += len(batch)
        losses.append(float(loss.detach()))
        if step % 20 == 0 or step == total - 1:
            rate = seen / (time.perf_counter() - started)
            log(f"step {step + 1}/{total}  loss {np.mean(losses[-20:]):.4f}  {rate:.1f} pairs/s")
    out.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(str(out))
    cfg.counts = {k: len(v) for k, v in pairs.items()}
    info = {
        "config": asdict(cfg),
        "pairs_seen": seen,
        "seconds": round(time.perf_counter() - started, 1),
        "final_loss": round(float(np.mean(losses[-20:])), 4),
        "heldout_share": HELDOUT_SHARE,
    }
    (out / "werkmatch_train.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return info
