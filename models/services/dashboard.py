"""The team dashboard: what the team achieved per gebied and month, in counts only.

No personal data: nothing names or points at a person, and a count of 1 to 4 (of people, vacancies or
steps) is shown as "fewer than 5" (``None`` here), so that a small gebied cannot be read back to one client.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.enums import CandidateStatus, VacancyStatus
from models.enums import MatchStatus
from models.services.areas import Geo
from models.tables import Candidate, Match, MatchEvent, Vacancy, utcnow

SMALL = 5
"""Counts under this (and above 0) are suppressed."""
STEPS = {
    "proposals": MatchStatus.proposed_to_candidate,
    "interviews": MatchStatus.interview,
    "placements": MatchStatus.placed,
}
METRICS_NL = {
    "vacancies": "Nieuwe vacatures",
    "proposals": "Voorgelegd aan kandidaat",
    "interviews": "Gesprekken",
    "placements": "Plaatsingen",
}

Count = int | None
"""A count as shown: ``None`` is 1 to 4 (suppressed)."""


def shown(n: int) -> Count:
    """A raw count as the dashboard may show it."""
    return None if 0 < n < SMALL else n


@dataclass(frozen=True)
class Dashboard:
    """The numbers of the team dashboard."""

    months: list[str]
    """``YYYY-MM``, oldest first."""
    areas: list[tuple[str, str]]
    """(code, name) of each gebied."""
    counts: dict[str, dict[str, dict[str, Count]]]
    """metric → gebied code → month → count."""
    city: dict[str, dict[str, Count]]
    """metric → month → count for the whole gemeente (summed before suppression)."""
    open_vacancies: dict[str, Count]
    active_candidates: dict[str, Count]
    days_to_placement: dict[str, float | None]
    """Month → median days from the suggestion to the placement (None under 5 placements)."""
    rejection_reasons: list[tuple[str, int]] = field(default_factory=list)
    """Reasons given at least 5 times in the period (as typed, lower-cased), most frequent first."""


def _months(today: dt.date, n: int) -> list[str]:
    out: list[str] = []
    year, month = today.year, today.month
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _month(at: dt.datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def team_numbers(session: Session, *, months: int = 12, today: dt.date | None = None) -> Dashboard:
    """The dashboard's numbers for the last ``months`` months (this month included)."""
    today = today or utcnow().date()
    labels = _months(today, months)
    start = dt.datetime(int(labels[0][:4]), int(labels[0][5:]), 1, tzinfo=dt.UTC)
    geo = Geo.of(session)
    code_of = {a.id: code for code, a in geo.areas.items()}
    raw: dict[str, dict[str, Counter[str]]] = {m: defaultdict(Counter) for m in METRICS_NL}

    for area_id, created in session.execute(
        select(Vacancy.area_id, Vacancy.created_at).where(Vacancy.created_at >= start)
    ):
        raw["vacancies"][code_of[area_id]][_month(created)] += 1
    waits: dict[str, list[float]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    steps = {s.value: name for name, s in STEPS.items()}
    rows = session.execute(
        select(MatchEvent.to_status, MatchEvent.at, MatchEvent.reason, Vacancy.area_id, Match.created_at)
        .join(Match, Match.id == MatchEvent.match_id)
        .join(Vacancy, Vacancy.id == Match.vacancy_id)
        .where(MatchEvent.at >= start)
    )
    for to_status, at, reason, area_id, suggested_at in rows:
        month = _month(at)
        if to_status in steps:
            raw[steps[to_status]][code_of[area_id]][month] += 1
        if to_status == MatchStatus.placed.value and suggested_at is not None:
            waits[month].append((_aware(at) - _aware(suggested_at)).total_seconds() / 86400)
        if to_status == MatchStatus.rejected.value and reason and reason.strip():
            reasons[" ".join(reason.lower().split())] += 1

    codes = sorted(geo.areas)
    counts = {
        metric: {code: {m: shown(by_area[code][m]) for m in labels} for code in codes}
        for metric, by_area in raw.items()
    }
    city = {
        metric: {m: shown(sum(by_area[code][m] for code in codes)) for m in labels} for metric, by_area in raw.items()
    }
    open_now = _by_area(session, Vacancy.area_id, Vacancy.status == VacancyStatus.open, code_of)
    active_now = _by_area(session, Candidate.area_id, Candidate.status == CandidateStatus.active, code_of)
    return Dashboard(
        months=labels,
        areas=[(code, geo.areas[code].name) for code in codes],
        counts=counts,
        city=city,
        open_vacancies={code: shown(open_now.get(code, 0)) for code in codes},
        active_candidates={code: shown(active_now.get(code, 0)) for code in codes},
        days_to_placement={
            m: round(statistics.median(waits[m]), 1) if len(waits[m]) >= SMALL else None for m in labels
        },
        rejection_reasons=[(text, n) for text, n in reasons.most_common() if n >= SMALL],
    )


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _by_area(session: Session, column: object, condition: object, code_of: dict[int, str]) -> dict[str, int]:
    stmt = select(column, func.count()).where(condition).group_by(column)  # type: ignore[call-overload]
    return {code_of[area_id]: int(n) for area_id, n in session.execute(stmt)}
