"""Every vector index implementation passes the same contract."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.index import FaissIndex, NumpyIndex, VectorIndex, load_index

DIM = 32


def _unit(rng, n):
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class IndexContract:
    """Subclasses provide ``make``: a factory of empty indexes."""

    exact = True

    def test_protocol(self, make):
        assert isinstance(make(DIM), VectorIndex)

    def test_search_matches_brute_force(self, make):
        rng = np.random.default_rng(1)
        vecs = _unit(rng, 500)
        ids = np.arange(1000, 1500)
        idx = make(DIM)
        idx.upsert(ids, vecs)
        q = _unit(rng, 1)[0]
        got, scores = idx.search(q, 10)
        truth = ids[np.argsort(-(vecs @ q))[:10]]
        if self.exact:
            assert got.tolist() == truth.tolist()
        else:
            assert len(set(got) & set(truth)) >= 8
        assert np.all(np.diff(scores) <= 1e-6)

    def test_upsert_replaces_and_remove_deletes(self, make):
        rng = np.random.default_rng(2)
        idx = make(DIM)
        v = _unit(rng, 3)
        idx.upsert([1, 2, 3], v)
        idx.upsert([2], v[0:1])  # id 2 now has the vector of id 1
        assert len(idx) == 3
        np.testing.assert_allclose(idx.get([2])[0], v[0])
        assert idx.remove([3, 99]) == 1
        assert sorted(idx.ids().tolist()) == [1, 2]
        got, _ = idx.search(v[2], 5)
        assert 3 not in got.tolist()

    def test_allowed_restricts_results(self, make):
        rng = np.random.default_rng(3)
        idx = make(DIM)
        idx.upsert(range(100), _unit(rng, 100))
        allowed = np.array([5, 17, 42, 99])
        got, _ = idx.search(_unit(rng, 1)[0], 10, allowed=allowed)
        assert set(got.tolist()) == set(allowed.tolist())
        assert idx.search(_unit(rng, 1)[0], 10, allowed=np.array([], dtype=np.int64))[0].size == 0

    def test_many_small_changes_leave_exactly_the_current_vectors(self, make, tmp_path):
        """Updates, additions and removals in small batches (as the change feed brings them), in any order:
        afterwards every id has its latest vector, removed ids are gone, and a filtered search is exact."""
        rng = np.random.default_rng(7)
        idx = make(DIM)
        truth: dict[int, np.ndarray] = {}
        for step in range(300):
            roll = rng.random()
            if roll < 0.5 or len(truth) < 5:
                ids = rng.choice(400, size=int(rng.integers(1, 4)), replace=False).tolist()
                vecs = _unit(rng, len(ids))
                idx.upsert(ids, vecs)
                truth.update(dict(zip(ids, vecs, strict=True)))
            else:
                gone = rng.choice(sorted(truth), size=min(len(truth), int(rng.integers(1, 4))), replace=False)
                assert idx.remove([*gone.tolist(), 10_000]) == len(gone)
                for i in gone.tolist():
                    del truth[i]
            if step == 150:  # a saved and reloaded index goes on the same way
                idx.save(tmp_path / "mid")
                idx = load_index(tmp_path / "mid")
        assert sorted(idx.ids().tolist()) == sorted(truth) and len(idx) == len(truth)
        ids = sorted(truth)
        np.testing.assert_allclose(idx.get(ids), np.stack([truth[i] for i in ids]), rtol=1e-6)
        q = _unit(rng, 1)[0]
        allowed = np.array(ids[::3], dtype=np.int64)
        got, _ = idx.search(q, 10, allowed=allowed)
        expected = sorted(allowed.tolist(), key=lambda i: (-float(truth[i] @ q), i))[:10]
        assert got.tolist() == expected

    def test_empty_index(self, make):
        got, scores = make(DIM).search(np.ones(DIM, np.float32), 5)
        assert got.size == 0 and scores.size == 0

    def test_save_and_load_roundtrip(self, make, tmp_path):
        rng = np.random.default_rng(4)
        idx = make(DIM)
        idx.upsert(range(50), _unit(rng, 50))
        idx.save(tmp_path / "ix")
        again = load_index(tmp_path / "ix")
        q = _unit(rng, 1)[0]
        assert again.search(q, 5)[0].tolist() == idx.search(q, 5)[0].tolist()
        assert sorted(again.ids().tolist()) == list(range(50))
        assert not any(p.name.startswith(".ix") for p in tmp_path.iterdir())  # no leftovers of the swap


class TestNumpyIndex(IndexContract):
    @pytest.fixture
    def make(self):
        return NumpyIndex


class TestFaissFlat(IndexContract):
    @pytest.fixture
    def make(self):
        return FaissIndex


class TestFaissHnsw(IndexContract):
    exact = False

    @pytest.fixture
    def make(self):
        return lambda dim: FaissIndex(dim, exact_limit=20)

    def test_is_hnsw_and_recall_is_high(self, make):
        rng = np.random.default_rng(5)
        vecs = _unit(rng, 2000)
        idx = make(DIM)
        idx.upsert(range(2000), vecs)
        assert idx.kind == "hnsw"
        hits = 0
        for q in _unit(rng, 50):
            truth = set(np.argsort(-(vecs @ q))[:10].tolist())
            hits += len(truth & set(idx.search(q, 10)[0].tolist()))
        assert hits / 500 >= 0.95
