"""Stage 2 of the model: held-out split, training pairs and batches, the shipped adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.esco import cached_esco, skill_synonyms
from matcher.evaluation import evaluate_model
from matcher.tuning import batches, build_pairs, heldout_occupations, is_heldout
from werkmatch.settings import Settings


@pytest.fixture(scope="module")
def esco(esco_dir: Path):
    return cached_esco(str(esco_dir))


@pytest.fixture(scope="module")
def pairs(esco, esco_dir: Path):
    return build_pairs(esco, skill_synonyms=skill_synonyms(esco_dir), seed=13, per_type=6000)


def test_heldout_split_is_stable_and_about_a_fifth(esco):
    held = heldout_occupations(esco)
    assert 0.15 < len(held) / len(esco.occupations) < 0.25
    assert [o.uri for o in held] == [o.uri for o in heldout_occupations(esco)]
    assert all(is_heldout(o.uri) for o in held)


def test_training_pairs_never_touch_a_heldout_occupation_or_its_skills(esco, pairs):
    occupation_types = {"alt-pref", "alt-alt", "hidden-pref", "label-description", "label-isco", "occupation-skills"}
    assert occupation_types | {"skill-synonym"} == set(pairs)
    assert all(len(v) > 500 for v in pairs.values())
    held_labels = {lab.lower() for o in heldout_occupations(esco) for lab in o.labels}
    own_labels = {lab.lower() for o in esco.occupations.values() if not is_heldout(o.uri) for lab in o.labels}
    for kind in occupation_types:
        for key, a, b in pairs[kind]:
            assert not is_heldout(key)
            # A label shared with a training occupation may appear; one only a held-out occupation has may not.
            for text in (a, b):
                assert text.lower() not in held_labels - own_labels
    held_skills = {s for o in heldout_occupations(esco) for s in esco.essential.get(o.uri, [])}
    assert not {key for key, _, _ in pairs["skill-synonym"]} & held_skills


def test_batches_hold_one_pair_type_and_no_duplicate_key_or_text(pairs):
    plan = batches(pairs, batch_size=64, seed=1)
    sets = [set(ps) for ps in pairs.values()]
    # Only the tail of occupations with very many labels is dropped (it cannot fill a batch without repeats).
    assert sum(len(b) for b in plan) >= 0.95 * sum(len(v) for v in pairs.values())
    for b in plan:
        assert any(set(b) <= kind for kind in sets)
        assert len({key for key, _, _ in b}) == len(b)
        texts = [t for _, a, c in b for t in (a, c)]
        assert len(set(texts)) == len(texts)


def test_the_shipped_adapter_is_applied_by_default(st_embedder, base_embedder):
    settings = Settings()
    assert settings.use_adapter and (settings.adapter_dir / "adapter_config.json").is_file()
    size = sum(p.stat().st_size for p in settings.adapter_dir.iterdir())
    assert size < 8 * 2**20, "the adapter must stay small enough to live in the repository"
    assert "+esco-nl-" in st_embedder.version and "+" not in base_embedder.version
    texts = ["orderpicker", "medewerker bediening"]
    assert not np.allclose(st_embedder.encode(texts), base_embedder.encode(texts))


@pytest.mark.slow
def test_tuned_model_beats_the_base_on_heldout_titles_and_keeps_skills(esco, st_embedder, base_embedder):
    base = evaluate_model(esco, base_embedder, max_queries=400)
    tuned = evaluate_model(esco, st_embedder, max_queries=400)
    assert tuned["title_to_occupation"]["mrr"] >= base["title_to_occupation"]["mrr"] + 0.02
    assert tuned["skills_to_occupation"]["mrr"] >= base["skills_to_occupation"]["mrr"] - 0.005
