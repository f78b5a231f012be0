"""werkmatch as a VUM intermediary: find vacancies elsewhere for a client and rank them with werkmatch's own engine
(the same scores and Dutch explanations as the gemeente's own vacancies).

The selection query carries only what selecting needs (postcode and distance, hours, one occupation code per
query); the answer is ranked here, and details are fetched only for the best (the agreements limit details
per selection).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.embedder import Embedder
from matcher.engine import MatchEngine, TaxonomyContext
from matcher.enums import VacancyStatus
from matcher.index import NumpyIndex
from matcher.profiles import Concept, VacancyProfile
from matcher.ranking import haversine_km
from models.enums import Role
from models.services import Conflict, Invalid
from models.services.access import require_coach_of, require_role
from models.services.areas import Geo
from models.services.audit import record
from models.services.candidates import get_candidate
from models.services.matching import candidate_profile
from models.services.pc4 import PostcodePoints
from models.services.vum import mapping
from models.services.vum.client import VumClient
from models.tables import Employer, User, Vacancy

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


def _profile(i: int, fields: dict[str, Any], points: PostcodePoints) -> VacancyProfile:
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
    min_score: float = 10.0,
) -> tuple[list[Found], int]:
    """The best vacancies elsewhere for one client of this coach (scored at least ``min_score``), with details;
    and how many the answer held."""
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
        _profile(-(i + 1), mapping.vacancy_fields(records[vid], crosswalk=crosswalk, label_of=label_of), points)
        for i, vid in enumerate(ids)
    ]
    engine.upsert_vacancies(profiles)
    ranked = engine.rank_vacancies(cand.id, k=top, min_score=min_score, ladder_filter=True, include_ineligible=False)
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


def nearest_postcode(geo: Geo, point: tuple[float, float]) -> str:
    """The gemeente's postcode nearest to a point (where a vacancy elsewhere is filed; distances use its own point)."""
    return min(geo.postcodes.values(), key=lambda p: haversine_km((p.lat, p.lon), point)).code


def _apply(vac: Vacancy, fields: dict[str, Any], *, point: tuple[float, float], geo: Geo) -> None:
    fields = dict(fields)
    fields.pop("employer_name", None)
    for key, value in fields.items():
        setattr(vac, key, value)
    vac.postcode = nearest_postcode(geo, point)
    vac.workplace_lat, vac.workplace_lon = point


def import_vacancy(
    session: Session,
    *,
    user: User,
    record_: dict[str, Any],
    source_party: str,
    points: PostcodePoints,
    crosswalk: mapping.Crosswalk,
    label_of: Callable[[str], str | None],
) -> Vacancy:
    """A coach keeps a vacancy found through VUM as an external vacancy of their gebied: source and VUM id kept,
    travel distances from its real workplace; importing it again refreshes it."""
    require_role(user, Role.coach)
    if user.area_id is None:
        raise Conflict("only a coach with a gebied can keep a vacancy from VUM")
    vum_id = str(record_.get("idVacature") or "")
    if not vum_id:
        raise Invalid("the VUM record has no idVacature", field="idVacature")
    fields = mapping.vacancy_fields(record_, crosswalk=crosswalk, label_of=label_of)
    workplace = fields["workplace_postcode"]
    point = points.point(workplace) if workplace else None
    if point is None:
        raise Invalid(f"the workplace postcode {workplace or '?'} is not a known Dutch postcode", field="adres")
    geo = Geo.of(session)
    name = fields["employer_name"]
    emp_key = f"vum:{source_party}:{hashlib.sha256(name.lower().encode()).hexdigest()[:16]}"
    emp = session.scalar(select(Employer).where(Employer.external_id == emp_key))
    if emp is None:
        emp = Employer(external_id=emp_key, name=name, area_id=user.area_id, sector="")
        session.add(emp)
        session.flush()
    vac = session.scalar(select(Vacancy).where(Vacancy.vum_source == source_party, Vacancy.vum_id == vum_id))
    created = vac is None
    if vac is None:
        digest = hashlib.sha256(f"{source_party}:{vum_id}".encode()).hexdigest()[:40]
        vac = Vacancy(external_id=f"vum-{digest}", area_id=user.area_id, vum_source=source_party, vum_id=vum_id)
        session.add(vac)
    vac.employer_id = emp.id
    _apply(vac, fields, point=point, geo=geo)
    session.flush()
    record(
        session,
        actor=user,
        action="vum.import.vacancy",
        object_type="vacancy",
        object_id=vac.id,
        details={"source_party": source_party, "vum_id": vum_id, "created": created},
    )
    return vac


def refresh_imported(
    session: Session,
    *,
    client: VumClient,
    points: PostcodePoints,
    crosswalk: mapping.Crosswalk,
    label_of: Callable[[str], str | None],
) -> dict[str, int]:
    """Bring the vacancies kept from VUM in step with their source: one selection per workplace postcode finds
    which are still offered (then their details refresh them); one no longer in a complete answer is closed."""
    kept = list(
        session.scalars(
            select(Vacancy).where(
                Vacancy.vum_source == client.to_oin,
                Vacancy.status == VacancyStatus.open,
                Vacancy.workplace_postcode.is_not(None),
            )
        )
    )
    geo = Geo.of(session)
    counts = {"refreshed": 0, "closed": 0, "unknown": 0}
    by_place: dict[str, list[Vacancy]] = {}
    for vac in kept:
        by_place.setdefault(str(vac.workplace_postcode), []).append(vac)
    for postcode, vacs in by_place.items():
        found, more = client.select("v", {"selectiegebied": {"postcode": postcode, "afstand": 0}})
        offered = {str(f["idVacature"]) for f in found}
        still = [v for v in vacs if v.vum_id in offered]
        for vac, rec in zip(still, client.details("v", [str(v.vum_id) for v in still]), strict=True):
            fields = mapping.vacancy_fields(rec, crosswalk=crosswalk, label_of=label_of)
            point = points.point(fields["workplace_postcode"] or postcode)
            if point is None and vac.workplace_lat is not None and vac.workplace_lon is not None:
                point = (vac.workplace_lat, vac.workplace_lon)  # an unknown new postcode: keep where it was
            if point is not None:
                _apply(vac, fields, point=point, geo=geo)
            counts["refreshed"] += 1
        for vac in vacs:
            if vac.vum_id in offered:
                continue
            if more:  # the answer was cut off: absence says nothing
                counts["unknown"] += 1
                continue
            vac.status = VacancyStatus.closed
            counts["closed"] += 1
            record(
                session,
                actor=None,
                action="vum.close.vacancy",
                object_type="vacancy",
                object_id=vac.id,
                details={"source_party": client.to_oin, "vum_id": vac.vum_id},
            )
    session.flush()
    return counts
