"""Evaluation tasks built from ESCO alone (no user data): taxonomy normalisation and ranking.

Both split their items into a dev half (used to tune) and a test half (reported). Every number in
docs/quality.md comes from ``werkmatch eval taxonomy`` and ``werkmatch eval ranking``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from matcher.embedder import Embedder
from matcher.engine import MatchEngine, TaxonomyContext
from matcher.esco import Esco
from matcher.index import NumpyIndex
from matcher.profiles import CandidateProfile, Concept, VacancyProfile, candidate_texts, vacancy_texts
from matcher.ranking import RankingConfig, Weights
from matcher.taxonomy import Bm25, ConceptLabels, Hit, Mode, Normalizer
from matcher.textvectors import TextVectors
from matcher.tuning import dutch_essentials, first_sentence, heldout_occupations, is_heldout

TODAY = dt.date(2026, 1, 1)


def _split(items: list[Any]) -> tuple[list[Any], list[Any]]:
    half = len(items) // 2
    return items[:half], items[half:]


# ------------------------------------------------------------------------------------------ taxonomy
def _heldout_labels(esco: Esco, *, n_queries: int, seed: int) -> tuple[list[tuple[str, str]], list[ConceptLabels]]:
    """Up to two alternative labels of each held-out occupation (a sample of ``n_queries``), and the concepts
    without those labels (so a query never finds itself)."""
    rng = random.Random(seed)
    items: list[tuple[str, str]] = []
    for o in (o for o in heldout_occupations(esco) if o.alt):
        options = sorted({a for a in o.alt if a.lower() != o.preferred.lower()})
        items += [(o.uri, a) for a in rng.sample(options, min(2, len(options)))]
    items = rng.sample(items, min(n_queries, len(items)))
    removed = set(items)
    concepts = [
        ConceptLabels(o.uri, o.preferred, [lab for lab in o.labels if (o.uri, lab) not in removed])
        for o in esco.occupations.values()
    ]
    return items, concepts


def evaluate_taxonomy(
    esco: Esco, embedder: Embedder, *, n_queries: int = 1000, seed: int = 7, vectors: TextVectors | None = None
) -> dict[str, Any]:
    """Alternative labels of held-out occupations → occupation; those labels are removed from the index.

    Queries come only from the occupations the stage-2 model never saw in training (``tuning.is_heldout``),
    up to two labels per occupation.
    """
    items, concepts = _heldout_labels(esco, n_queries=n_queries, seed=seed)
    vectors = vectors or TextVectors(embedder)
    norm = Normalizer(concepts, vectors)
    dev, test = _split(items)
    results: dict[str, Any] = {
        "task": "ESCO alternative label of a held-out occupation -> occupation",
        "queries_dev": len(dev),
        "queries_test": len(test),
        "concepts": len(concepts),
        "seed": seed,
    }
    # Tune alpha and the dense floor on dev.
    dev_q = [q for _, q in dev]
    dense = norm.concept_scores(norm.label_scores(dev_q, "dense"))
    lex = norm.concept_scores(norm.label_scores(dev_q, "tfidf"))
    position = {c.uri: i for i, c in enumerate(concepts)}
    gold = np.array([position[u] for u, _ in dev])
    best = (-1.0, 0.6, 0.75)
    for alpha in (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        for floor in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8):
            norm.alpha, norm.dense_floor = alpha, floor
            hybrid = norm.combine(dense, lex)
            rank = 1 + (hybrid > hybrid[np.arange(len(gold)), gold][:, None]).sum(axis=1)
            r: list[int | None] = [int(x) if x <= 10 else None for x in rank]
            best = max(best, (mrr(r) + recall_at(r, 10), alpha, floor))
    norm.alpha, norm.dense_floor = best[1], best[2]
    results["tuned"] = {"alpha": best[1], "dense_floor": best[2], "dev_mrr_plus_recall10": round(best[0], 4)}
    table = {}
    modes: tuple[Mode, ...] = ("bm25", "tfidf", "dense", "hybrid")
    for mode in modes:
        r = ranks_of(norm.search([q for _, q in test], top=10, mode=mode), [u for u, _ in test])
        table[mode] = {
            "recall@1": round(recall_at(r, 1), 4),
            "recall@10": round(recall_at(r, 10), 4),
            "mrr": round(mrr(r), 4),
        }
    results["test"] = table
    return results


# ------------------------------------------------------------------------------------------- ranking
def build_ranking_task(
    esco: Esco, *, n_occupations: int, seed: int
) -> tuple[list[VacancyProfile], list[CandidateProfile], dict[int, str], dict[int, str]]:
    """Vacancies (title, description, essential skills) and two profiles per occupation."""
    rng = random.Random(seed)
    pool = [o for o in heldout_occupations(esco) if len(o.labels) >= 3 and len(dutch_essentials(esco, o.uri)) >= 4]
    chosen = rng.sample(pool, min(n_occupations, len(pool)))
    all_skills = sorted({s for o in pool for s in dutch_essentials(esco, o.uri)})
    vacancies: list[VacancyProfile] = []
    candidates: list[CandidateProfile] = []
    v_occ: dict[int, str] = {}
    c_occ: dict[int, str] = {}
    places = [
        ("9711", (53.2205, 6.5685)),
        ("9733", (53.247, 6.601)),
        ("9743", (53.2225, 6.523)),
        ("9723", (53.197, 6.562)),
        ("9751", (53.173, 6.606)),
    ]
    for n, o in enumerate(chosen):
        skills = dutch_essentials(esco, o.uri)
        desc = o.description.split(". ")[0].strip().rstrip(".") + "." if o.description else ""
        pc, loc = rng.choice(places)
        hours = rng.choice([(16, 24), (24, 32), (32, 40)])
        vid = n + 1
        vacancies.append(
            VacancyProfile(
                id=vid,
                area="stad",
                postcode=pc,
                location=loc,
                title=o.preferred,
                description=desc,
                required_skills=[Concept(s) for s in rng.sample(skills, min(4, len(skills)))],
                hours_min=hours[0],
                hours_max=hours[1],
                offer_type="paid_job",
            )
        )
        v_occ[vid] = o.uri
        labels = [lab for lab in o.labels if lab.lower() != o.preferred.lower()]
        for j in range(2):
            cid = 2 * n + j + 1
            own = rng.sample(skills, max(1, len(skills) // 2))
            noise = rng.sample(all_skills, 2)
            pc, loc = rng.choice(places)
            lo = rng.choice([8, 16, 24, 32])
            candidates.append(
                CandidateProfile(
                    id=cid,
                    area="stad",
                    postcode=pc,
                    location=loc,
                    desired_occupations=[Concept(labels[j % len(labels)])],
                    skills=[Concept(s) for s in own + noise],
                    hours_min=lo,
                    hours_max=min(40, lo + 16),
                    travel_mode=rng.choice(["bike", "car", "public_transport"]),
                    max_travel_km=25.0,
                    ladder_step=6,
                )
            )
            c_occ[cid] = o.uri
    return vacancies, candidates, v_occ, c_occ


def _gain(esco: Esco, a: str, b: str) -> float:
    if a == b:
        return 2.0
    oa, ob = esco.occupations.get(a), esco.occupations.get(b)
    return 1.0 if oa and ob and oa.isco and oa.isco == ob.isco else 0.0


def _metrics(
    esco: Esco, ranked: dict[int, list[int]], q_occ: dict[int, str], d_occ: dict[int, str]
) -> dict[str, float]:
    nd, rc = [], []
    for q, docs in ranked.items():
        gains = [_gain(esco, q_occ[q], d_occ[d]) for d in docs]
        ideal = [_gain(esco, q_occ[q], d_occ[d]) for d in d_occ]
        nd.append(ndcg_at(gains, ideal, 10))
        relevant = sum(1 for d in d_occ if d_occ[d] == q_occ[q])
        rc.append(sum(1 for d in docs[:20] if d_occ[d] == q_occ[q]) / relevant if relevant else 0.0)
    return {"ndcg@10": round(float(np.mean(nd)), 4), "recall@20": round(float(np.mean(rc)), 4)}


def _engine(embedder: Embedder, tax: TaxonomyContext | None, cfg: RankingConfig, vectors: TextVectors) -> MatchEngine:
    e = MatchEngine(embedder, config=cfg, taxonomy=tax, index_factory=NumpyIndex, today=lambda: TODAY)
    e.vectors = vectors
    return e


def _hybrid(
    e: MatchEngine, vs: list[VacancyProfile], cs: list[CandidateProfile]
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    v2c = {
        v.id: [r.candidate_id for r in e.rank_candidates(v.id, k=20, ladder_filter=False, include_ineligible=True)]
        for v in vs
    }
    c2v = {
        c.id: [r.vacancy_id for r in e.rank_vacancies(c.id, k=20, ladder_filter=False, include_ineligible=True)]
        for c in cs
    }
    return v2c, c2v


def evaluate_ranking(
    esco: Esco,
    embedder: Embedder,
    tax: TaxonomyContext | None,
    *,
    n_occupations: int = 300,
    seed: int = 11,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """nDCG@10 and recall@20 both ways for BM25, dense and the hybrid engine; weights tuned on dev."""
    vs, cs, v_occ, c_occ = build_ranking_task(esco, n_occupations=n_occupations, seed=seed)
    half = len(vs) // 2
    dev_v = [v for v in vs if v.id <= half]
    test_v = [v for v in vs if v.id > half]
    dev_c = [c for c in cs if (c.id + 1) // 2 <= half]
    test_c = [c for c in cs if (c.id + 1) // 2 > half]
    vectors = TextVectors(embedder)
    out: dict[str, Any] = {
        "task": "ESCO vacancies vs profiles from other labels of the same occupation",
        "seed": seed,
        "occupations": len(vs),
        "dev": {"vacancies": len(dev_v), "candidates": len(dev_c)},
        "test": {"vacancies": len(test_v), "candidates": len(test_c)},
    }
    grid = [
        RankingConfig(weights=Weights(0.30, 0.10, 0.25, 0.15, 0.20)),
        RankingConfig(weights=Weights(0.35, 0.15, 0.25, 0.10, 0.15)),
        RankingConfig(weights=Weights(0.25, 0.10, 0.30, 0.15, 0.20)),
        RankingConfig(weights=Weights(0.40, 0.10, 0.20, 0.10, 0.20)),
        RankingConfig(weights=Weights(0.30, 0.20, 0.20, 0.10, 0.20)),
        RankingConfig(weights=Weights(0.30, 0.10, 0.25, 0.15, 0.20), skill_match_threshold=0.93),
        RankingConfig(weights=Weights(0.30, 0.10, 0.25, 0.15, 0.20), skill_match_threshold=0.87),
        RankingConfig(weights=Weights(0.30, 0.20, 0.20, 0.10, 0.20), sim_floor=0.74),
        RankingConfig(weights=Weights(0.30, 0.20, 0.20, 0.10, 0.20), sim_floor=0.70, sim_ceiling=0.95),
    ]
    # Tune on dev.
    best_cfg, best_val = grid[0], -1.0
    for cfg in grid:
        e = _engine(embedder, tax, cfg, vectors)
        e.upsert_vacancies([replace(v) for v in dev_v], progress)
        e.upsert_candidates([replace(c) for c in dev_c], progress)
        v2c, c2v = _hybrid(e, dev_v, dev_c)
        val = _metrics(esco, v2c, v_occ, c_occ)["ndcg@10"] + _metrics(esco, c2v, c_occ, v_occ)["ndcg@10"]
        if val > best_val:
            best_cfg, best_val = cfg, val
    out["tuned"] = {
        "weights": vars(best_cfg.weights),
        "skill_match_threshold": best_cfg.skill_match_threshold,
        "sim_floor": best_cfg.sim_floor,
        "sim_ceiling": best_cfg.sim_ceiling,
        "dev_ndcg_sum": round(best_val, 4),
        "model": embedder.version,
    }
    # Report on test.
    table: dict[str, Any] = {}
    e = _engine(embedder, tax, best_cfg, vectors)
    e.upsert_vacancies([replace(v) for v in test_v], progress)
    e.upsert_candidates([replace(c) for c in test_c], progress)
    v2c, c2v = _hybrid(e, test_v, test_c)
    table["hybrid (engine)"] = _both(esco, v2c, c2v, v_occ, c_occ)
    e0 = _engine(embedder, None, best_cfg, vectors)
    e0.upsert_vacancies([replace(v) for v in test_v])
    e0.upsert_candidates([replace(c) for c in test_c])
    table["hybrid without ESCO"] = _both(esco, *_hybrid(e0, test_v, test_c), v_occ, c_occ)
    # Dense only: cosine of the full texts.
    vt = [vacancy_texts(v)[2] for v in test_v]
    ct = [candidate_texts(c)[2] for c in test_c]
    sims = vectors.get(vt) @ vectors.get(ct).T
    table["dense only (full text)"] = _both(
        esco, _top(sims, test_v, test_c), _top(sims.T, test_c, test_v), v_occ, c_occ
    )
    # BM25 only.
    b_c = Bm25(ct).scores(vt)
    b_v = Bm25(vt).scores(ct)
    table["bm25 only (full text)"] = _both(esco, _top(b_c, test_v, test_c), _top(b_v, test_c, test_v), v_occ, c_occ)
    out["results"] = table
    return out


def _top(sims: np.ndarray, queries: list[Any], docs: list[Any]) -> dict[int, list[int]]:
    ids = np.array([d.id for d in docs])
    return {q.id: ids[np.lexsort((ids, -sims[i]))][:20].tolist() for i, q in enumerate(queries)}


def _both(
    esco: Esco, v2c: dict[int, list[int]], c2v: dict[int, list[int]], v_occ: dict[int, str], c_occ: dict[int, str]
) -> dict[str, Any]:
    return {
        "candidates_for_vacancy": _metrics(esco, v2c, v_occ, c_occ),
        "vacancies_for_candidate": _metrics(esco, c2v, c_occ, v_occ),
    }


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of an evaluation result."""
    lines = [f"# {result['task']}"]
    for k in ("seed", "tuned"):
        if k in result:
            lines.append(f"{k}: {result[k]}")
    rows = (
        result.get("test")
        if isinstance(result.get("test"), dict) and "bm25" in result["test"]
        else result.get("results")
    )
    for name, vals in (rows or {}).items():
        flat = {
            f"{a}.{b}" if isinstance(v, dict) else a: x
            for a, v in vals.items()
            for b, x in (v.items() if isinstance(v, dict) else [(None, v)])
        }
        lines.append(f"{name:28s} " + "  ".join(f"{k}={x:.4f}" for k, x in flat.items()))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- metrics
def ranks_of(hits: list[list[Hit]], gold: Sequence[str]) -> list[int | None]:
    """1-based rank of the gold URI in each hit list (None when absent)."""
    out: list[int | None] = []
    for h, g in zip(hits, gold, strict=True):
        uris = [x.uri for x in h]
        out.append(uris.index(g) + 1 if g in uris else None)
    return out


def mrr(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank."""
    return float(np.mean([1 / r if r else 0.0 for r in ranks])) if ranks else 0.0


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries with the gold concept in the top k."""
    return float(np.mean([1.0 if r and r <= k else 0.0 for r in ranks])) if ranks else 0.0


def ndcg_at(gains: Sequence[float], ideal: Sequence[float], k: int) -> float:
    """nDCG@k of a ranked list of gains against the ideal gains."""

    def dcg(xs: Sequence[float]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(xs[:k]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(gains) / best if best > 0 else 0.0


# ------------------------------------------------------------------------- the model on held-out occupations
def _rank_metrics(sims: np.ndarray, gold: Sequence[int]) -> dict[str, float]:
    ranks = []
    for row, g in zip(sims, gold, strict=True):
        ranks.append(int((row > row[g]).sum()) + 1)
    capped: list[int | None] = [r if r <= 100 else None for r in ranks]
    return {
        "mrr": round(mrr(capped), 4),
        "recall@1": round(recall_at(capped, 1), 4),
        "recall@10": round(recall_at(capped, 10), 4),
    }


def evaluate_model(esco: Esco, embedder: Embedder, *, seed: int = 5, max_queries: int = 1500) -> dict[str, Any]:
    """Dense-only tasks on held-out occupations: title → occupation, skills → occupation, description."""
    rng = random.Random(seed)
    occs = sorted(esco.occupations.values(), key=lambda o: o.uri)
    held = [o for o in occs if is_heldout(o.uri)]
    pref = [o.preferred for o in occs]
    pos = {o.uri: i for i, o in enumerate(occs)}
    enc = embedder.encode
    pref_vecs = enc(pref, kind="query")
    result: dict[str, Any] = {"heldout_occupations": len(held), "occupations": len(occs), "seed": seed}
    # 1. Alternative or hidden label of a held-out occupation -> its preferred label among all occupations.
    q_title = [(lab, pos[o.uri]) for o in held for lab in [*o.alt, *o.hidden] if lab.lower() != o.preferred.lower()]
    q_title = rng.sample(q_title, min(max_queries, len(q_title)))
    sims = enc([q for q, _ in q_title], kind="query") @ pref_vecs.T
    result["title_to_occupation"] = {"queries": len(q_title), **_rank_metrics(sims, [g for _, g in q_title])}
    # 2. Four to six Dutch essential skills -> the occupation.
    q_skill = []
    for o in held:
        skills = dutch_essentials(esco, o.uri)
        if len(skills) >= 4:
            q_skill.append((", ".join(rng.sample(skills, min(6, len(skills)))), pos[o.uri]))
    sims = enc([q for q, _ in q_skill], kind="query") @ pref_vecs.T
    result["skills_to_occupation"] = {"queries": len(q_skill), **_rank_metrics(sims, [g for _, g in q_skill])}
    # 3. First sentence of the description -> the occupation.
    q_desc = [(first_sentence(o.description), pos[o.uri]) for o in held if o.description]
    sims = enc([q for q, _ in q_desc], kind="query") @ pref_vecs.T
    result["description_to_occupation"] = {"queries": len(q_desc), **_rank_metrics(sims, [g for _, g in q_desc])}
    return result


# ------------------------------------------------------------------------------------------ job titles
def evaluate_titles(
    esco: Esco, embedder: Embedder, *, n_queries: int = 1000, seed: int = 7, vectors: TextVectors | None = None
) -> dict[str, Any]:
    """Held-out ESCO alternative labels -> occupation (as ``evaluate_taxonomy``, the same removed labels), and a
    harder variant of the same labels written the way job sites do (``titles.roughen``); the hybrid search with
    and without the Dutch title normalisation step. Dev and test halves; the test half is reported."""
    from matcher.titles import roughen, title_scores

    items, concepts = _heldout_labels(esco, n_queries=n_queries, seed=seed)
    norm = Normalizer(concepts, vectors or TextVectors(embedder))
    rough_rng = random.Random(seed + 1)
    harder = [(u, roughen(q, rough_rng)) for u, q in items]
    position = {c.uri: i for i, c in enumerate(concepts)}

    def metrics(pairs: list[tuple[str, str]], scores: np.ndarray) -> dict[str, float]:
        gold = np.array([position[u] for u, _ in pairs])
        rank = 1 + (scores > scores[np.arange(len(gold)), gold][:, None]).sum(axis=1)
        r: list[int | None] = [int(x) if x <= 10 else None for x in rank]
        return {"recall@1": round(recall_at(r, 1), 4), "recall@10": round(recall_at(r, 10), 4), "mrr": round(mrr(r), 4)}

    out: dict[str, Any] = {
        "task": "held-out ESCO occupation labels (as written, and roughened like job-site titles) -> occupation",
        "queries_dev": len(items) // 2,
        "queries_test": len(items) - len(items) // 2,
        "seed": seed,
        "examples_harder": [q for _, q in harder[:8]],
    }
    for name, pairs in (("existing", items), ("harder", harder)):
        dev, test = _split(pairs)
        out[name] = {}
        for split, part in (("dev", dev), ("test", test)):
            queries = [q for _, q in part]
            out[name][split] = {
                "hybrid": metrics(part, norm.scores(queries, "hybrid")),
                "hybrid+normalise": metrics(part, title_scores(norm, queries)),
            }
    return out


# ------------------------------------------------------------------------------------------ vacancy text
SKILL_SENTENCES = (
    "Je kunt {}.",
    "Ervaring met {} is vereist.",
    "Je taken zijn onder andere {}.",
    "Wij vragen iemand die goed is in {}.",
)
CONDITIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Het gaat om {lo} tot {hi} uur per week.", {"hours": True}),
    ("Je hebt rijbewijs {lic} nodig.", {"licence": True}),
    ("Je hebt minimaal mbo niveau 2.", {"education": "mbo2"}),
    ("We bieden een vast contract.", {"contract": "permanent"}),
    ("Je begint per 1 maart 2027.", {"start": dt.date(2027, 3, 1)}),
)


def evaluate_parsing(
    esco: Esco,
    occupations: Any,
    skills: Any,
    *,
    n_occupations: int = 300,
    seed: int = 13,
    english_skills: Any = None,
) -> dict[str, Any]:
    """Held-out ESCO occupations rendered as vacancy texts (a roughened title, the description's first sentence,
    up to five essential skills phrased in sentences, and conditions in the prose), read back with
    ``parsing.parse_vacancy``: occupation recall@3, skill precision and recall (against the essential skills that
    have a Dutch label), condition accuracy. Dev and test halves; the test half is reported."""
    from matcher.parsing import parse_vacancy
    from matcher.titles import roughen

    rng = random.Random(seed)
    occs = [o for o in heldout_occupations(esco) if dutch_essentials(esco, o.uri) and o.description]
    occs = rng.sample(occs, min(n_occupations, len(occs)))
    today = dt.date(2026, 11, 25)
    rows: list[dict[str, Any]] = []
    for o in occs:
        wanted = {
            s: esco.skills[s].preferred
            for s in esco.essential.get(o.uri, [])
            if s in esco.skills and esco.skills[s].dutch
        }
        picked = rng.sample(sorted(wanted), min(5, len(wanted)))
        title = roughen(rng.choice([o.preferred, *o.alt]) if o.alt else o.preferred, rng)
        lines = [title, first_sentence(o.description) + "."]
        lines += [rng.choice(SKILL_SENTENCES).format(wanted[s]) for s in picked]
        expect: dict[str, Any] = {}
        for sentence, fields in rng.sample(CONDITIONS, 3):
            lo, hi = sorted(rng.sample(range(8, 41), 2))
            lic = rng.choice(["B", "C", "CE"])
            lines.append(sentence.format(lo=lo, hi=hi, lic=lic))
            for key, value in fields.items():
                expect[key] = (lo, hi) if key == "hours" else lic if key == "licence" else value
        parsed = parse_vacancy(
            "\n".join(lines), occupations=occupations, skills=skills, today=today, english_skills=english_skills
        )
        got = {
            "hours": (parsed.hours_min, parsed.hours_max),
            "licence": parsed.driving_licence,
            "education": parsed.education_level.value if parsed.education_level else None,
            "contract": parsed.contract_type.value if parsed.contract_type else None,
            "start": parsed.start_date,
        }
        found = {s.uri for s in parsed.required_skills + parsed.nice_skills}
        rows.append(
            {
                "occupation_at_3": o.uri in [h.uri for h in parsed.occupations[:3]],
                "skills_found": len(found),
                "skills_right": len(found & set(picked)),
                "skills_wanted": len(picked),
                "conditions_right": sum(got[k] == v for k, v in expect.items()),
                "conditions": len(expect),
            }
        )

    def summary(part: list[dict[str, Any]]) -> dict[str, float]:
        found = sum(r["skills_found"] for r in part)
        return {
            "occupation_recall@3": round(sum(r["occupation_at_3"] for r in part) / len(part), 4),
            "skill_precision": round(sum(r["skills_right"] for r in part) / max(found, 1), 4),
            "skill_recall": round(sum(r["skills_right"] for r in part) / sum(r["skills_wanted"] for r in part), 4),
            "condition_accuracy": round(
                sum(r["conditions_right"] for r in part) / sum(r["conditions"] for r in part), 4
            ),
        }

    dev, test = _split(rows)
    return {
        "task": "held-out ESCO occupations rendered as vacancy texts -> parsed fields",
        "english_only_skills": english_skills is not None,
        "occupations_dev": len(dev),
        "occupations_test": len(test),
        "seed": seed,
        "dev": summary(dev),
        "test": summary(test),
    }
