"""werkmatch as a VUM intermediary: find vacancies elsewhere for a client and rank them with werkmatch's own engine
(the same scores and Dutch explanations as the gemeente's own vacancies).

The selection query carries only what selecting needs (postcode and distance, hours, one occupation code per
query); the answer is ranked here, and details are fetched only for the best (the agreements limit details
per selection).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from matcher.embedder import Embedder
from matcher.engine import MatchEngine, TaxonomyContext
from matcher.index import NumpyIndex
from matcher.profiles import Concept, VacancyProfile
from models.services import Conflict
from models.services.access import require_coach_of
from models.services.areas import Geo
from models.services.audit import record
from models.services.candidates import get_candidate
from models.services.matching import candidate_profile
from models.services.pc4 import PostcodePoints
from models.services.vum import mapping
from models.services.vum.client import VumClient
from models.tables import User

DEFAULT_KM = 25
MAX_QUERIES = 3


@dataclass(frozen=True)
class Found:
    """A vacancy elsewhere, ranked for the client."""

    vum_id: str
    score: float
    eligible: bool
    explanation: dict[str, Any]
    record: dict[str, Any]


def vacancy_queries(
    *, postcode: str, km: int, hours_min: int, hours_max: int, codes: list[str]
) -> list[dict[str, Any]]:
    """Selection queries for vacancies that could suit a client: one per occupation code (at most three), or one
    without an occupation when the profile has no coded occupation."""
    base: dict[str, Any] = {
        "selectiegebied": {"postcode": postcode, "afstand": max(0, min(km, 999))},
        "werktijden.aantalWerkurenPerWeekMinimaal": {"$lte": max(1, min(hours_max, 99))},
    }
    if hours_min >= 1:
        base["werktijden.aantalWerkurenPerWeekMaximaal"] = {"$gte": min(hours_min, 99)}
    if not codes:
        return [base]
    return [base | {"beroep.codeBeroepsnaam": {"$eq": code}} for code in codes[:MAX_QUERIES]]


def _profile(i: int, rec: dict[str, Any], fields: dict[str, Any], points: PostcodePoints) -> VacancyProfile:
    postcode = fields["workplace_postcode"] or ""
    occ = fields["occupation"]
    return VacancyProfile(
        id=i,
        area="vum",
        postcode=postcode[:4],
        title=fields["title"],
        location=points.point(postcode) if postcode else None,
        description=fields["description"],
        occupation=Concept(occ["label"], occ.get("uri")) if occ else None,
        required_skills=[Concept(s["label"], s.get("uri")) for s in fields["required_skills"]],
        hours_min=fields["hours_min"],
        hours_max=fields["hours_max"],
        offer_type=fields["offer_type"].value,
        education_level=fields["education_level"].value,
        driving_licence=fields["driving_licence"],
        work_conditions=[str(c) for c in fields["work_conditions"]],
        start_date=fields["start_date"],
    )


def search_vacancies(
    session: Session,
    *,
    user: User,
    candidate_id: int,
    client: VumClient,
    embedder: Embedder,
    taxonomy: TaxonomyContext | None,
    points: PostcodePoints,
    crosswalk: mapping.Crosswalk,
    label_of: Callable[[str], str | None],
    top: int = 10,
) -> tuple[list[Found], int]:
    """The best vacancies elsewhere for one client of this coach, with details; and how many the answer held."""
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    postcode = mapping.postcode6(cand.personal.postcode_full if cand.personal else None)
    if postcode is None:
        raise Conflict("the client's full postcode (9999AA) is needed to ask VUM: add it to the personal details")
    codes = [crosswalk.code(o["uri"]) for o in cand.desired_occupations or [] if o.get("uri")]
    records: dict[str, dict[str, Any]] = {}
    for query in vacancy_queries(
        postcode=postcode,
        km=round(cand.max_travel_km) if cand.max_travel_km else DEFAULT_KM,
        hours_min=cand.hours_min,
        hours_max=cand.hours_max,
        codes=list(dict.fromkeys(codes)),
    ):
        found, _more = client.select("v", query)
        for rec in found:
            records.setdefault(str(rec["idVacature"]), rec)
    if not records:
        _audit(session, user=user, candidate_id=cand.id, to_party=client.to_oin, results=0, detailed=[])
        return [], 0
    geo = Geo.of(session)
    engine = MatchEngine(embedder, taxonomy=taxonomy, index_factory=NumpyIndex)
    engine.upsert_candidates([candidate_profile(cand, geo)])
    ids = list(records)
    profiles = [
        _profile(
            -(i + 1), records[vid], mapping.vacancy_fields(records[vid], crosswalk=crosswalk, label_of=label_of), points
        )
        for i, vid in enumerate(ids)
    ]
    engine.upsert_vacancies(profiles)
    ranked = engine.rank_vacancies(cand.id, k=top, ladder_filter=True, include_ineligible=False)
    best = [ids[-r.vacancy_id - 1] for r in ranked]
    details = client.details("v", best)
    # written last: a write opens SQLite's write lock, which is not held while VUM answers or the model encodes
    _audit(session, user=user, candidate_id=cand.id, to_party=client.to_oin, results=len(records), detailed=best)
    return [
        Found(vid, round(r.score, 1), r.eligible, r.explanation(), detail)
        for vid, r, detail in zip(best, ranked, details, strict=True)
    ], len(records)


def _audit(
    session: Session, *, user: User, candidate_id: int, to_party: str, results: int, detailed: list[str]
) -> None:
    record(
        session,
        actor=user,
        action="vum.search.vacatures",
        object_type="candidate",
        object_id=candidate_id,
        details={"to_party": to_party, "results": results, "detailed": detailed},
    )
