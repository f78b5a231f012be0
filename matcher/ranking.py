"""Scoring of one candidate–vacancy pair: conditions, components, a 0–100 score and a Dutch explanation.

The score is deterministic. It uses only the fields of the plain profiles (see ``profiles.py``):
ladder step, loonkostensubsidie and doelgroepregister are filters, never part of the score, and
neither the dates nor the gaps in a work history are used at all. See docs/ranking.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.enums import CONSTRAINT_CONFLICTS, EDUCATION_RANK
from matcher.labels import EDUCATION_NL
from matcher.profiles import CandidateProfile, VacancyProfile

# Which offer types fit which step of the participatieladder (a filter, never a score penalty).
LADDER_OFFERS: dict[int, set[str]] = {
    1: {"participation"},
    2: {"participation"},
    3: {"participation", "work_experience"},
    4: {"participation", "work_experience", "learning_job"},
    5: {"work_experience", "learning_job", "paid_job"},
    6: {"learning_job", "paid_job"},
}
SPEED_KMH = {"walk": 5.0, "bike": 15.0, "public_transport": 25.0, "car": 45.0}
OVERHEAD_MIN = {"walk": 0.0, "bike": 2.0, "public_transport": 10.0, "car": 5.0}
DEFAULT_MAX_KM = {"walk": 3.0, "bike": 10.0, "public_transport": 25.0, "car": 40.0}
DETOUR = 1.3
CONDITION_NL = {
    "night_shifts": "nachtdiensten",
    "evening_shifts": "avonddiensten",
    "weekends": "weekendwerk",
    "heavy_lifting": "zwaar tillen",
}


@dataclass(frozen=True)
class Weights:
    """Weights of the score components (normalised over the components that apply)."""

    occupation: float = 0.30
    occupation_esco: float = 0.20
    skill_coverage: float = 0.20
    skills: float = 0.10
    text: float = 0.20


@dataclass(frozen=True)
class RankingConfig:
    """Everything that shapes the score; the defaults are tuned on the ESCO dev split (docs/quality.md)."""

    weights: Weights = field(default_factory=Weights)
    sim_floor: float = 0.70  # cosine at or below this counts as 0
    sim_ceiling: float = 0.95  # cosine at or above this counts as 1
    skill_match_threshold: float = 0.90  # cosine above which two skill labels are the same skill
    hours_penalty: float = 15.0
    travel_penalty: float = 12.0
    education_penalty_per_level: float = 6.0
    availability_penalty: float = 5.0
    retrieve: int = 150  # candidates retrieved by vector search before re-ranking

    def calibrate(self, cos: float) -> float:
        """Map a cosine similarity to 0–1."""
        return min(1.0, max(0.0, (cos - self.sim_floor) / (self.sim_ceiling - self.sim_floor)))


@dataclass
class Condition:
    """One condition of a match: met or not, hard (filters) or soft (lowers the score)."""

    code: str
    label: str
    met: bool | None
    hard: bool
    detail: str
    penalty: float = 0.0


@dataclass
class SkillMatch:
    """A required or wanted skill and how the candidate covers it."""

    skill: str
    matched: bool
    via: str = ""
    required: bool = True


@dataclass
class Features:
    """Similarities the engine computed for a pair."""

    occupation_sim: float
    occupation_pair: tuple[str, str] = ("", "")
    occupation_esco: float | None = None
    skills_sim: float | None = None
    text_sim: float = 0.0
    skills: list[SkillMatch] = field(default_factory=list)


@dataclass
class MatchResult:
    """A scored, explained pair."""

    candidate_id: int
    vacancy_id: int
    score: float
    components: dict[str, float | None]
    conditions: list[Condition]
    skills: list[SkillMatch]
    reasons: list[str]
    eligible: bool

    def explanation(self) -> dict[str, Any]:
        """The explanation as JSON-ready data, in Dutch."""
        return {
            "reasons": self.reasons,
            "matched_skills": [{"skill": s.skill, "via": s.via} for s in self.skills if s.matched and s.required],
            "missing_skills": [s.skill for s in self.skills if not s.matched and s.required],
            "matched_nice_skills": [s.skill for s in self.skills if s.matched and not s.required],
            "conditions": [
                {
                    "code": c.code,
                    "label": c.label,
                    "met": c.met,
                    "hard": c.hard,
                    "detail": c.detail,
                    "penalty": c.penalty,
                }
                for c in self.conditions
            ],
        }


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def offer_fits_ladder(offer_type: str, ladder_step: int) -> bool:
    """Whether an offer type fits a step of the participatieladder."""
    return offer_type in LADDER_OFFERS.get(ladder_step, set())


def conditions(
    c: CandidateProfile, v: VacancyProfile, cfg: RankingConfig, today: dt.date, *, explain: bool = True
) -> list[Condition]:
    """Evaluate every condition of the pair (``explain=False`` leaves the Dutch details empty: same verdicts)."""
    out: list[Condition] = []
    # Hours: soft; the penalty grows with the gap between the two ranges.
    gap = max(v.hours_min - c.hours_max, c.hours_min - v.hours_max, 0)
    out.append(
        Condition(
            "hours",
            "Uren",
            gap == 0,
            False,
            f"vacature {v.hours_min}–{v.hours_max} uur, kandidaat {c.hours_min}–{c.hours_max} uur" if explain else "",
            cfg.hours_penalty * min(1.0, gap / 8) if gap else 0.0,
        )
    )
    # Travel: soft; distance between postcode centres, with a detour factor.
    if c.location and v.location:
        km = haversine_km(c.location, v.location) * DETOUR
        mode, limit = limit_km(c)
        minutes = OVERHEAD_MIN[mode] + km / SPEED_KMH[mode] * 60
        over = km - limit
        out.append(
            Condition(
                "travel",
                "Reisafstand",
                over <= 0,
                False,
                f"ongeveer {km:.0f} km (~{minutes:.0f} min {_mode_nl(mode)}), maximum {limit:.0f} km"
                if explain
                else "",
                cfg.travel_penalty * min(1.0, 0.5 + over / max(limit, 1.0)) if over > 0 else 0.0,
            )
        )
    else:
        out.append(Condition("travel", "Reisafstand", None, False, "afstand onbekend"))
    # Driving licence: hard.
    if v.driving_licence:
        has = v.driving_licence in c.driving_licences
        out.append(
            Condition(
                "licence",
                "Rijbewijs",
                has,
                True,
                f"rijbewijs {v.driving_licence} {'aanwezig' if has else 'gevraagd, niet aanwezig'}" if explain else "",
            )
        )
    # Work constraints the candidate stated: hard.
    for constraint in c.constraints:
        cond = CONSTRAINT_CONFLICTS.get(constraint)
        if cond is not None and cond in v.work_conditions:
            out.append(
                Condition(
                    "constraint",
                    "Werktijden en werk",
                    False,
                    True,
                    f"vacature vraagt {CONDITION_NL.get(cond, cond)}; kandidaat kan dat niet",
                )
            )
    # Education: soft.
    need, have = EDUCATION_RANK.get(v.education_level, 0), EDUCATION_RANK.get(c.education_level, 0)
    if need > 0:
        short = max(0, need - have)
        factor = 0.5 if v.offer_type == "learning_job" else 1.0
        out.append(
            Condition(
                "education",
                "Opleiding",
                short == 0,
                False,
                f"gevraagd {EDUCATION_NL.get(v.education_level)}, kandidaat {EDUCATION_NL.get(c.education_level)}"
                if explain
                else "",
                min(2, short) * cfg.education_penalty_per_level * factor,
            )
        )
    # Availability: soft.
    if c.available_from and v.start_date:
        late = c.available_from > max(v.start_date, today)
        out.append(
            Condition(
                "availability",
                "Beschikbaarheid",
                not late,
                False,
                f"beschikbaar vanaf {c.available_from:%d-%m-%Y}, start {v.start_date:%d-%m-%Y}" if explain else "",
                cfg.availability_penalty if late else 0.0,
            )
        )
    return out


@dataclass
class PairBlock:
    """The similarities of many pairs as arrays: what ``score`` needs, without wording (NaN: not applicable)."""

    occupation_sim: np.ndarray  # best cosine of the occupation labels
    occupation_esco: np.ndarray  # 1 same ESCO occupation, 0.5 same ISCO group, 0 neither, NaN unknown
    skills_required: np.ndarray  # number of required skills of the vacancy
    skills_matched: np.ndarray  # how many of them the candidate covers
    skills_sim: np.ndarray  # cosine of the two skill texts, NaN when a side has none
    text_sim: np.ndarray  # cosine of the full texts

    @classmethod
    def of(cls, feats: Sequence[Features]) -> PairBlock:
        """The arrays of per-pair features (for pairs that share no side)."""
        req = [[s for s in f.skills if s.required] for f in feats]
        nan = float("nan")
        return cls(
            np.array([f.occupation_sim for f in feats], dtype=np.float64),
            np.array([nan if f.occupation_esco is None else f.occupation_esco for f in feats], dtype=np.float64),
            np.array([len(r) for r in req], dtype=np.int64),
            np.array([sum(s.matched for s in r) for r in req], dtype=np.int64),
            np.array([nan if f.skills_sim is None else f.skills_sim for f in feats], dtype=np.float64),
            np.array([f.text_sim for f in feats], dtype=np.float64),
        )


def limit_km(c: CandidateProfile) -> tuple[str, float]:
    """The candidate's travel mode and the farthest they travel, in km."""
    mode = c.travel_mode if c.travel_mode in SPEED_KMH else "bike"
    limit = c.max_travel_km
    if limit is None and c.max_travel_minutes is not None:
        limit = max(0.0, (c.max_travel_minutes - OVERHEAD_MIN[mode]) / 60 * SPEED_KMH[mode])
    if limit is None:
        limit = DEFAULT_MAX_KM[mode]
    return mode, limit


def _calibrated(x: np.ndarray, cfg: RankingConfig) -> np.ndarray:
    out: np.ndarray = np.minimum(1.0, np.maximum(0.0, (x - cfg.sim_floor) / (cfg.sim_ceiling - cfg.sim_floor)))
    return out


@dataclass
class CandidateArrays:
    """The condition fields of many candidates as arrays (rows in the order given)."""

    hours_min: np.ndarray
    hours_max: np.ndarray
    has_location: np.ndarray
    location: np.ndarray  # [n, 2] lat, lon (0, 0 when unknown)
    limit_km: np.ndarray
    education: np.ndarray
    available_from: np.ndarray  # date ordinal, -1 when not given
    licences: np.ndarray  # [n, licence codes of the vacancies] held
    conflicts: np.ndarray  # [n, work conditions of the vacancies] ruled out by a stated constraint


@dataclass
class VacancyArrays:
    """The condition fields of many vacancies as arrays (rows in the order given)."""

    hours_min: np.ndarray
    hours_max: np.ndarray
    has_location: np.ndarray
    location: np.ndarray
    education_need: np.ndarray
    education_factor: np.ndarray
    start_date: np.ndarray  # date ordinal, -1 when not given
    licence: np.ndarray  # column in ``CandidateArrays.licences``, -1 when none is required
    conditions: np.ndarray  # [n, work conditions]


def condition_arrays(
    cs: Sequence[CandidateProfile], vs: Sequence[VacancyProfile]
) -> tuple[CandidateArrays, VacancyArrays]:
    """The condition fields of ``cs`` and ``vs`` as arrays over shared vocabularies (the licence codes and
    work conditions the vacancies name), to be gathered per pair by ``score_pairs``."""
    licences = sorted({v.driving_licence for v in vs if v.driving_licence})
    conds = sorted({w for v in vs for w in v.work_conditions})
    lic_col, cond_col = {x: i for i, x in enumerate(licences)}, {x: i for i, x in enumerate(conds)}
    held = np.zeros((len(cs), len(licences)), dtype=bool)
    conflicts = np.zeros((len(cs), len(conds)), dtype=bool)
    for i, c in enumerate(cs):
        for code in c.driving_licences:
            if code in lic_col:
                held[i, lic_col[code]] = True
        for k in c.constraints:
            ruled_out = CONSTRAINT_CONFLICTS.get(k)
            if ruled_out in cond_col:
                conflicts[i, cond_col[ruled_out]] = True
    named = np.zeros((len(vs), len(conds)), dtype=bool)
    for j, v in enumerate(vs):
        for w in v.work_conditions:
            named[j, cond_col[w]] = True
    ca = CandidateArrays(
        np.array([c.hours_min for c in cs], dtype=np.int64),
        np.array([c.hours_max for c in cs], dtype=np.int64),
        np.array([bool(c.location) for c in cs], dtype=bool),
        np.array([c.location if c.location else (0.0, 0.0) for c in cs], dtype=np.float64).reshape(len(cs), 2),
        np.array([limit_km(c)[1] for c in cs], dtype=np.float64),
        np.array([EDUCATION_RANK.get(c.education_level, 0) for c in cs], dtype=np.int64),
        np.array([c.available_from.toordinal() if c.available_from else -1 for c in cs], dtype=np.int64),
        held,
        conflicts,
    )
    va = VacancyArrays(
        np.array([v.hours_min for v in vs], dtype=np.int64),
        np.array([v.hours_max for v in vs], dtype=np.int64),
        np.array([bool(v.location) for v in vs], dtype=bool),
        np.array([v.location if v.location else (0.0, 0.0) for v in vs], dtype=np.float64).reshape(len(vs), 2),
        np.array([EDUCATION_RANK.get(v.education_level, 0) for v in vs], dtype=np.int64),
        np.array([0.5 if v.offer_type == "learning_job" else 1.0 for v in vs], dtype=np.float64),
        np.array([v.start_date.toordinal() if v.start_date else -1 for v in vs], dtype=np.int64),
        np.array([lic_col[v.driving_licence] if v.driving_licence else -1 for v in vs], dtype=np.int64),
        named,
    )
    return ca, va


def score_block(
    cs: Sequence[CandidateProfile], vs: Sequence[VacancyProfile], f: PairBlock, cfg: RankingConfig, today: dt.date
) -> tuple[list[float], np.ndarray]:
    """The scores (0–100, one decimal) and eligibility of many pairs ``(cs[i], vs[i])`` at once: the same
    numbers as ``score(..., explain=False)`` pair by pair, with array operations instead of objects."""
    ca, va = condition_arrays(cs, vs)
    rows = np.arange(len(cs))
    return score_pairs(ca, va, rows, rows, f, cfg, today)


def score_pairs(
    ca: CandidateArrays,
    va: VacancyArrays,
    ci: np.ndarray,
    vj: np.ndarray,
    f: PairBlock,
    cfg: RankingConfig,
    today: dt.date,
) -> tuple[list[float], np.ndarray]:
    """The scores and eligibility of the pairs (candidate row ``ci[p]``, vacancy row ``vj[p]``) of the arrays:
    the one array form of ``score`` (``score_block`` and the bulk rankings of ``bulk.py`` both come here)."""
    w = cfg.weights
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(f.skills_required > 0, f.skills_matched / np.maximum(f.skills_required, 1), np.nan)
        comps = [
            (w.occupation, _calibrated(f.occupation_sim, cfg)),
            (w.occupation_esco, f.occupation_esco),
            (w.skill_coverage, coverage),
            (w.skills, _calibrated(f.skills_sim, cfg)),
            (w.text, _calibrated(f.text_sim, cfg)),
        ]
    n = len(ci)
    total_w, num = np.zeros(n), np.zeros(n)
    for weight, val in comps:  # the order of ``score``: the same float sums
        present = ~np.isnan(val)
        total_w = total_w + np.where(present, weight, 0.0)
        num = num + np.where(present, weight * np.nan_to_num(val), 0.0)
    base = np.where(total_w > 0, num / np.where(total_w > 0, total_w, 1.0), 0.0)
    # Hours (soft).
    c_hmin, c_hmax, v_hmin, v_hmax = ca.hours_min[ci], ca.hours_max[ci], va.hours_min[vj], va.hours_max[vj]
    gap = np.maximum(np.maximum(v_hmin - c_hmax, c_hmin - v_hmax), 0)
    pen_hours = np.where(gap > 0, cfg.hours_penalty * np.minimum(1.0, gap / 8), 0.0)
    # Travel (soft).
    both = ca.has_location[ci] & va.has_location[vj]
    loc_c, loc_v = ca.location[ci], va.location[vj]
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (loc_c[:, 0], loc_c[:, 1], loc_v[:, 0], loc_v[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    km = 2 * 6371.0 * np.arcsin(np.sqrt(h)) * DETOUR
    limit = ca.limit_km[ci]
    over = km - limit
    pen_travel = np.where(
        both & (over > 0), cfg.travel_penalty * np.minimum(1.0, 0.5 + over / np.maximum(limit, 1.0)), 0.0
    )
    # Driving licence and stated work constraints (hard).
    lic = va.licence[vj]
    no_licence = (lic >= 0) & ~ca.licences[ci, np.maximum(lic, 0)] if ca.licences.shape[1] else np.zeros(n, bool)
    conflict = (ca.conflicts[ci] & va.conditions[vj]).any(axis=1)
    blocked = no_licence | conflict
    # Education (soft).
    need, have, factor = va.education_need[vj], ca.education[ci], va.education_factor[vj]
    short = np.maximum(0, need - have)
    pen_edu = np.where((need > 0) & (short > 0), np.minimum(2, short) * cfg.education_penalty_per_level * factor, 0.0)
    # Availability (soft).
    avail, start = ca.available_from[ci], va.start_date[vj]
    late = (avail >= 0) & (start >= 0) & (avail > np.maximum(start, today.toordinal()))
    pen_late = np.where(late, cfg.availability_penalty, 0.0)
    penalty = ((pen_hours + pen_travel) + pen_edu) + pen_late
    values = np.maximum(0.0, np.minimum(100.0, 100.0 * base - penalty))
    return [round(x, 1) for x in values.tolist()], ~blocked


def _mode_nl(mode: str) -> str:
    return {"walk": "lopen", "bike": "fietsen", "public_transport": "ov", "car": "auto"}[mode]


def score(
    c: CandidateProfile, v: VacancyProfile, f: Features, cfg: RankingConfig, today: dt.date, *, explain: bool = True
) -> MatchResult:
    """Combine features and conditions into a 0–100 score with reasons (``explain=False``: score only)."""
    w = cfg.weights
    required = [s for s in f.skills if s.required]
    coverage = sum(s.matched for s in required) / len(required) if required else None
    comps: dict[str, float | None] = {
        "occupation": cfg.calibrate(f.occupation_sim),
        "occupation_esco": f.occupation_esco,
        "skill_coverage": coverage,
        "skills": cfg.calibrate(f.skills_sim) if f.skills_sim is not None else None,
        "text": cfg.calibrate(f.text_sim),
    }
    weights = {
        "occupation": w.occupation,
        "occupation_esco": w.occupation_esco,
        "skill_coverage": w.skill_coverage,
        "skills": w.skills,
        "text": w.text,
    }
    # Sums left to right in a fixed order (not ``sum()``, whose float algorithm differs between Python
    # versions), so the array version in ``score_block`` gives bit-for-bit the same scores.
    total_w = num = 0.0
    for k, val in comps.items():
        if val is not None:
            total_w += weights[k]
            num += weights[k] * val
    base = num / total_w if total_w else 0.0
    conds = conditions(c, v, cfg, today, explain=explain)
    penalty = 0.0
    for cd in conds:
        if cd.met is False and not cd.hard:
            penalty += cd.penalty
    value = round(max(0.0, min(100.0, 100.0 * base - penalty)), 1)
    comps["penalty"] = round(penalty, 2)
    eligible = not any(cd.hard and cd.met is False for cd in conds)
    return MatchResult(
        candidate_id=c.id,
        vacancy_id=v.id,
        score=value,
        components={k: (round(x, 4) if isinstance(x, float) else x) for k, x in comps.items()},
        conditions=conds,
        skills=f.skills,
        eligible=eligible,
        reasons=_reasons(f, comps, conds, coverage, required) if explain else [],
    )


def _reasons(
    f: Features,
    comps: dict[str, float | None],
    conds: list[Condition],
    coverage: float | None,
    required: list[SkillMatch],
) -> list[str]:
    """The two or three strongest reasons, strongest first, in plain Dutch."""
    scored: list[tuple[float, str]] = []
    cand_occ, vac_occ = f.occupation_pair
    if f.occupation_esco == 1.0:
        scored.append((1.2, f"Gewenst beroep '{cand_occ}' is precies het beroep van de vacature"))
    elif (comps["occupation"] or 0) >= 0.5:
        scored.append((comps["occupation"] or 0, f"Gewenst beroep '{cand_occ}' lijkt op '{vac_occ}'"))
    elif f.occupation_esco == 0.5:
        scored.append((0.6, f"'{cand_occ}' valt in dezelfde beroepsgroep als '{vac_occ}'"))
    if coverage is not None and required:
        n = sum(s.matched for s in required)
        if n:
            scored.append((coverage, f"{n} van de {len(required)} gevraagde vaardigheden aanwezig"))
    if (comps["text"] or 0) >= 0.6:
        scored.append((comps["text"] or 0, "Profiel en vacaturetekst sluiten goed op elkaar aan"))
    met = [cd for cd in conds if cd.met]
    if met and len(met) == len([cd for cd in conds if cd.met is not None]):
        scored.append((0.5, "Voldoet aan alle voorwaarden (uren, reisafstand en meer)"))
    reasons = [text for _, text in sorted(scored, key=lambda x: -x[0])[:3]]
    for cd in conds:
        if cd.met is False:
            reasons.append(f"Let op: {cd.label.lower()}: {cd.detail}")
    return reasons or ["Weinig overeenkomst gevonden"]
