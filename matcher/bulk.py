"""Many rankings at once: the nightly job's rankings as array work over blocks of pairs.

``rank_candidates``/``rank_vacancies`` of the engine rank one profile per call and score its ~150 retrieved
pairs with one array pass (``MatchEngine._block``), but half of that pass is Python per pair: which labels
are similar, which required skills a candidate covers, which ESCO codes they share. A ``BulkRanker`` does
that work once per label instead of once per pair: it builds tables over the engine's labels (the
similarity of every candidate occupation label to every vacancy occupation label, which vacancy skills each
candidate covers, ESCO and ISCO codes as integers), retrieves each job's pairs exactly as the engine does
(the same vector search, so the same pairs), and scores the pairs of many jobs in one array pass with
``score_pairs``, the array form of ``score``. The scores and the order are those of the engine's own
rankings with ``explain=False``; ``tests/test_bulk.py`` compares every job on the demo data.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from matcher.ranking import MatchResult, PairBlock, condition_arrays, score_pairs

if TYPE_CHECKING:
    from matcher.engine import MatchEngine

JOBS_PER_BLOCK = 256  # jobs scored in one array pass (~40k pairs: a few tens of MB of temporaries)


@dataclass(frozen=True)
class RankJob:
    """One ranking: the best candidates for a vacancy (``side="vacancy"``) or the best vacancies for a client
    (``side="candidate"``, optionally only among ``allowed`` vacancy ids)."""

    side: str
    id: int
    k: int
    min_score: float
    allowed: np.ndarray | None = None


def _padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    """Lists of indices as a matrix padded with -1."""
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), max(width, 1)), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _ids(values: Sequence[Any], vocab: dict[Any, int]) -> list[int]:
    return [vocab.setdefault(x, len(vocab)) for x in values]


class BulkRanker:
    """Tables over one engine's profiles for ranking many jobs at once (build it under the engine's read
    lock, use it while the profiles do not change)."""

    def __init__(self, engine: MatchEngine) -> None:
        e = self.engine = engine
        self.cids = sorted(e.candidates)
        self.vids = sorted(e.vacancies)
        self.cid_array = np.array(self.cids, dtype=np.int64)
        self.vid_array = np.array(self.vids, dtype=np.int64)
        self.crow = {c: i for i, c in enumerate(self.cids)}
        self.vrow = {v: j for j, v in enumerate(self.vids)}
        cs = [e.candidates[c] for c in self.cids]
        vs = [e.vacancies[v] for v in self.vids]
        cps = [e._cprep[c] for c in self.cids]
        vps = [e._vprep[v] for v in self.vids]
        self.ca, self.va = condition_arrays(cs, vs)
        # Occupations: the similarity of every candidate label to every vacancy label, in float64 like
        # ``MatchEngine.features`` (a row and a column of -inf stand for "no label").
        c_lab: dict[str, int] = {}
        v_lab: dict[str, int] = {}
        self.c_occ = _padded([_ids(p.occ_labels, c_lab) for p in cps])
        self.v_occ = _padded([_ids(p.occ_labels, v_lab) for p in vps])
        self.occ_sim = np.full((len(c_lab) + 1, len(v_lab) + 1), -np.inf)
        if c_lab and v_lab:
            a = e.vectors.get(list(c_lab)).astype(np.float64)
            b = e.vectors.get(list(v_lab)).astype(np.float64)
            self.occ_sim[:-1, :-1] = a @ b.T
        # ESCO: the same occupation (1), the same ISCO group (0.5), neither (0); unknown without codes.
        uris: dict[str, int] = {}
        iscos: dict[str, int] = {}
        self.c_uri = _padded([_ids(sorted(p.occ_uris), uris) for p in cps])
        self.v_uri = _padded([_ids(sorted(p.occ_uris), uris) for p in vps])
        self.c_isco = _padded([_ids(sorted(p.isco), iscos) for p in cps])
        self.v_isco = _padded([_ids(sorted(p.isco), iscos) for p in vps])
        # Required skills: one item per distinct (label, uri) a vacancy requires; which items each candidate
        # covers is computed per pair (``_matched``), the rule of ``MatchEngine._skill_via``.
        items: dict[tuple[str, str | None], int] = {}
        self.v_items = _padded([_ids([(s.label, s.uri) for s in v.required_skills], items) for v in vs])
        self.n_required = np.array([len(v.required_skills) for v in vs], dtype=np.int64)
        self.by_lower: dict[str, list[int]] = {}
        self.by_uri: dict[str, list[int]] = {}
        item_label: dict[str, int] = {}
        self.item_label = np.array(_ids([label for label, _ in items], item_label), dtype=np.int64)
        for (label, uri), u in items.items():
            self.by_lower.setdefault(label.lower(), []).append(u)
            if uri:
                self.by_uri.setdefault(uri, []).append(u)
        self.n_items = len(items)
        cs_lab: dict[str, int] = {}
        self.c_skills = _padded([_ids(p.skill_labels, cs_lab) for p in cps])
        # Which candidate skill label is "the same skill" as which required skill label (cosine >= threshold).
        self.similar = np.zeros((len(cs_lab) + 1, max(len(item_label), 1)), dtype=bool)
        if cs_lab and item_label:
            a = e.vectors.get(list(cs_lab)).astype(np.float64)
            b = e.vectors.get(list(item_label)).astype(np.float64)
            self.similar[:-1, : len(item_label)] = (a @ b.T) >= e.config.skill_match_threshold
        self.c_has_skills = np.array([bool(p.skill_labels) for p in cps], dtype=bool)
        self.v_has_skills = np.array([bool(p.skill_labels) for p in vps], dtype=bool)
        self._cps, self._vps = cps, vps
        self._lex: dict[int, np.ndarray] = {}
        self._both: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._comps: dict[str, np.ndarray] = {}
        self._ess: dict[int, list[int]] = {}

    # ------------------------------------------------------------------ features
    def _matched(self, ci: np.ndarray, vj: np.ndarray) -> np.ndarray:
        """How many of vacancy ``vj[p]``'s required skills candidate ``ci[p]`` covers, per pair: by a similar
        skill label (a candidate without skills has only padding rows: nothing similar), or by name, ESCO code
        or as an essential skill (``_lexical``). Only the pairs' own (candidate, skill) cells are computed."""
        items = self.v_items[vj]  # [pairs, required], -1 padding
        valid = items >= 0
        items = np.where(valid, items, 0)
        labels = self.item_label[items] if len(self.item_label) else np.zeros_like(items)
        similar = self.similar[self.c_skills[ci][:, :, None], labels[:, None, :]].any(axis=1)
        width = self.n_items + 1
        rows = np.unique(ci)
        hits = [row * width + self._lexical(row) for row in rows.tolist()]
        known = np.concatenate(hits) if hits else np.zeros(0, np.int64)
        by_name = np.isin(ci[:, None] * width + items, known)
        covered: np.ndarray = ((similar | by_name) & valid).sum(axis=1)
        return covered

    def _within(self, ids: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        """``ids`` limited to ``allowed``, computed once per pair of arrays (the engine's filters return the
        same array object for the same filter, and the nightly job passes one ``allowed`` to many jobs; the
        same object back also lets the index reuse its row lookup)."""
        if allowed is None:
            return ids
        key = (id(ids), id(allowed))
        found = self._both.get(key)
        if found is None or found[0] is not ids or found[1] is not allowed:
            found = self._both[key] = (ids, allowed, np.intersect1d(ids, allowed))
        return found[2]

    def _texts(self, side: str) -> np.ndarray:
        """[profiles, 2, d] float32: the skill-text and full-text vectors of one side, in row order (made
        when first needed: the vacancy side for clients' rankings, the candidate side for vacancies')."""
        found = self._comps.get(side)
        if found is None:
            preps = self._cps if side == "candidate" else self._vps
            found = np.empty((len(preps), 2, self.engine.embedder.dim), dtype=np.float32)
            for i, p in enumerate(preps):
                assert p.comp is not None
                found[i] = p.comp[1:]
            self._comps[side] = found
        return found

    def _lexical(self, row: int) -> np.ndarray:
        """The required-skill items candidate ``row`` covers by name, by ESCO code or as an essential skill of
        an occupation they want (the rules of ``_skill_via`` before the similarity); kept per candidate."""
        found = self._lex.get(row)
        if found is None:
            p = self._cps[row]
            hit: list[int] = []
            for key in p.skill_lower:
                hit.extend(self.by_lower.get(key, ()))
            for uri in p.skill_uris:
                hit.extend(self.by_uri.get(uri, ()))
            by_essential = self._ess.get(id(p.essential))  # shared by every candidate with these occupations
            if by_essential is None:
                by_essential = [u for uri in p.essential for u in self.by_uri.get(uri, ())]
                self._ess[id(p.essential)] = by_essential
            found = self._lex[row] = np.array(hit + by_essential, dtype=np.int64)
        return found

    def _features(self, ci: np.ndarray, vj: np.ndarray, dots: np.ndarray) -> PairBlock:
        """The ``PairBlock`` of the pairs (``dots``: the skill-text and full-text cosines, [n, 2])."""
        # Occupation: the best label pair; 0.0 when a side has no label (``features``).
        a, b = self.c_occ[ci], self.v_occ[vj]
        sims = self.occ_sim[a[:, :, None], b[:, None, :]].max(axis=(1, 2))
        occ = np.where(np.isfinite(sims), sims, 0.0)
        # ESCO.
        has = (self.c_uri[ci, 0] >= 0) & (self.v_uri[vj, 0] >= 0)
        cu, vu = self.c_uri[ci], self.v_uri[vj]
        same = ((cu[:, :, None] == vu[:, None, :]) & (cu[:, :, None] >= 0)).any(axis=(1, 2))
        ck, vk = self.c_isco[ci], self.v_isco[vj]
        group = ((ck[:, :, None] == vk[:, None, :]) & (ck[:, :, None] >= 0)).any(axis=(1, 2))
        esco = np.where(has, np.where(same, 1.0, np.where(group, 0.5, 0.0)), np.nan)
        matched = self._matched(ci, vj)
        has_skills = self.c_has_skills[ci] & self.v_has_skills[vj]
        return PairBlock(
            occ,
            esco,
            self.n_required[vj],
            matched.astype(np.int64),
            np.where(has_skills, dots[:, 0], np.nan),
            dots[:, 1],
        )

    # ------------------------------------------------------------------ ranking
    def _retrieve(self, job: RankJob) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(candidate rows, vacancy rows, retrieval similarities, [n, 2] text cosines) of one job: the pairs
        and cosines of ``rank_candidates``/``rank_vacancies`` (same filters, same search)."""
        e = self.engine
        if job.side == "vacancy":
            v = e.vacancies[job.id]
            ids = self._within(e.allowed_candidates(offer_type=v.offer_type), job.allowed)
            fixed = e._vprep[job.id]
            found, sims = e.cand_index.search(e._query(fixed), max(job.k * 4, e.config.retrieve), allowed=ids)
            ci = np.searchsorted(self.cid_array, found)
            vj = np.full(len(found), self.vrow[job.id], dtype=np.int64)
            texts = self._texts("candidate")[ci]
        else:
            c = e.candidates[job.id]
            ids = self._within(e.allowed_vacancies(ladder_step=c.ladder_step), job.allowed)
            fixed = e._cprep[job.id]
            found, sims = e.vac_index.search(e._query(fixed), max(job.k * 4, e.config.retrieve), allowed=ids)
            ci = np.full(len(found), self.crow[job.id], dtype=np.int64)
            vj = np.searchsorted(self.vid_array, found)
            texts = self._texts("vacancy")[vj]
        if not len(found):
            return ci, vj, sims, np.zeros((0, 2))
        assert fixed.comp is not None
        # The cosines of the skill and full texts exactly as ``MatchEngine._block`` computes them.
        dots = np.einsum("nkd,kd->nk", texts.astype(np.float64), fixed.comp[1:].astype(np.float64))
        return ci, vj, sims, dots

    def rank(self, jobs: Sequence[RankJob]) -> list[list[MatchResult]]:
        """Every job's results in order: the best ``k`` eligible pairs scoring at least ``min_score``, with
        score and eligibility only (as the engine's ``explain=False``)."""
        return results_of(self.rank_arrays(jobs))

    def rank_arrays(self, jobs: Sequence[RankJob]) -> Ranked:
        """``rank`` as four arrays (compact to send between processes; ``results_of`` makes the results)."""
        blocks = [self._rank_block(jobs[i : i + JOBS_PER_BLOCK]) for i in range(0, len(jobs), JOBS_PER_BLOCK)]
        if not blocks:
            return Ranked(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return Ranked(
            np.concatenate([b.counts for b in blocks]),
            np.concatenate([b.candidate_ids for b in blocks]),
            np.concatenate([b.vacancy_ids for b in blocks]),
            np.concatenate([b.scores for b in blocks]),
        )

    def _rank_block(self, jobs: Sequence[RankJob]) -> Ranked:
        empty = np.zeros(0, np.int64)
        parts = [self._retrieve(job) for job in jobs]
        sizes = np.array([len(p[0]) for p in parts], dtype=np.int64)
        if not sizes.sum():
            return Ranked(np.zeros(len(jobs), np.int64), empty, empty, np.zeros(0))
        ci = np.concatenate([p[0] for p in parts])
        vj = np.concatenate([p[1] for p in parts])
        sims = np.concatenate([p[2] for p in parts]).astype(np.float64)
        dots = np.concatenate([p[3] for p in parts if len(p[0])])
        job_of = np.repeat(np.arange(len(jobs)), sizes)
        scores, eligible = score_pairs(
            self.ca, self.va, ci, vj, self._features(ci, vj, dots), self.engine.config, self.engine.today()
        )
        score = np.array(scores, dtype=np.float64)  # Python's rounding, as ``score``
        floor = np.array([job.min_score for job in jobs], dtype=np.float64)[job_of]
        keep = eligible & (score >= floor)
        cid, vid = self.cid_array[ci], self.vid_array[vj]
        # The order of ``MatchEngine._rerank``: score, then retrieval similarity, then ids (per job).
        order = np.lexsort((vid, cid, -sims, -score, job_of))
        order = order[keep[order]]
        # The first k of each job: the position of a pair among its job's kept pairs, from where the job starts.
        jobs_in_order = job_of[order]
        first = np.searchsorted(jobs_in_order, np.arange(len(jobs)))
        rank = np.arange(len(order)) - first[jobs_in_order]
        k = np.array([job.k for job in jobs], dtype=np.int64)
        order = order[rank < k[jobs_in_order]]
        counts = np.bincount(job_of[order], minlength=len(jobs)).astype(np.int64)
        return Ranked(counts, cid[order], vid[order], score[order])


@dataclass(frozen=True)
class Ranked:
    """Results of jobs as arrays: ``counts[j]`` results for job ``j``, their ids and scores in job order."""

    counts: np.ndarray
    candidate_ids: np.ndarray
    vacancy_ids: np.ndarray
    scores: np.ndarray


def results_of(ranked: Ranked) -> list[list[MatchResult]]:
    """The ``MatchResult`` lists of ranked arrays (eligible pairs, score only)."""
    out: list[list[MatchResult]] = []
    # Many small objects at once: the cyclic garbage collector would otherwise walk every object of the engine
    # again and again while they are made (nothing here makes a cycle).
    paused = gc.isenabled()
    gc.disable()
    try:
        rows = zip(ranked.candidate_ids.tolist(), ranked.vacancy_ids.tolist(), ranked.scores.tolist(), strict=True)
        for n in ranked.counts.tolist():
            out.append([MatchResult(c, v, sc, {}, [], [], [], True) for c, v, sc in itertools.islice(rows, n)])
    finally:
        if paused:
            gc.enable()
    return out
