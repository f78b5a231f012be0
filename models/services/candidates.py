"""Candidates: create, update, read, delete."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.enums import Role
from models.schemas import AreaCode, CandidateCreate, CandidateRead, CandidateUpdate, PersonalData
from models.services import Conflict, NotFound, invalid_from
from models.services.areas import Geo
from models.tables import Candidate, CandidatePersonal, User, utcnow

_SCAN_FIELDS = [
    "status",
    "desired_occupations",
    "skills",
    "experience",
    "education_level",
    "startkwalificatie",
    "languages",
    "dutch_level",
    "driving_licences",
    "own_transport",
    "travel_mode",
    "max_travel_km",
    "max_travel_minutes",
    "hours_min",
    "hours_max",
    "available_from",
    "ladder_step",
    "jobcoach",
    "lks_eligible",
    "doelgroepregister",
    "constraints",
    "about",
]


def _coach(session: Session, email: str | None) -> int | None:
    if email is None:
        return None
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None or user.role != Role.coach:
        raise Conflict(f"coach_email {email} is not a known coach", field="coach_email")
    return user.id


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    return value


def check_candidate(session: Session, *, data: CandidateCreate, geo: Geo) -> dict[str, Any]:
    """Check references of a candidate against the database; return resolved ids."""
    area = geo.area(data.area)
    geo.postcode(data.postcode)
    return {"area_id": area.id, "coach_id": _coach(session, data.coach_email)}


def upsert_candidate(
    session: Session, *, data: CandidateCreate, geo: Geo | None = None, actor: User | None = None
) -> tuple[Candidate, bool]:
    """Create the candidate, or update the one with the same external id; return (candidate, created)."""
    geo = geo or Geo.of(session)
    refs = check_candidate(session, data=data, geo=geo)
    cand = session.scalar(
        select(Candidate).where(Candidate.external_id == data.external_id).options(selectinload(Candidate.personal))
    )
    created = cand is None
    if cand is None:
        cand = Candidate(external_id=data.external_id)
    cand.area_id = refs["area_id"]
    cand.coach_id = refs["coach_id"]
    cand.postcode = data.postcode
    for name in _SCAN_FIELDS:
        setattr(cand, name, _jsonable(getattr(data, name)))
    if data.consent_to_share and not cand.consent_to_share:
        cand.consent_to_share = True
        cand.consent_recorded_at = utcnow()
        cand.consent_recorded_by_id = actor.id if actor else None
    elif not data.consent_to_share:
        cand.consent_to_share = False
        cand.consent_recorded_at = None
        cand.consent_recorded_by_id = None
    _set_personal(cand, data.personal)
    session.add(cand)
    session.flush()
    return cand, created


def _set_personal(cand: Candidate, personal: PersonalData | None) -> None:
    if personal is None:
        return
    if cand.personal is None:
        cand.personal = CandidatePersonal(**personal.model_dump())
    else:
        for k, v in personal.model_dump().items():
            setattr(cand.personal, k, v)


def update_candidate(session: Session, *, candidate: Candidate, data: CandidateUpdate) -> Candidate:
    """Apply a partial update; the result is validated as a whole."""
    current = candidate_read(candidate).model_dump(mode="json")
    changes = data.model_dump(mode="json", exclude_unset=True)
    merged = {k: v for k, v in current.items() if k in CandidateCreate.model_fields} | changes
    try:
        full = CandidateCreate.model_validate(merged)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    cand, _ = upsert_candidate(session, data=full)
    return cand


def get_candidate(session: Session, *, candidate_id: int) -> Candidate:
    """The candidate with this id."""
    cand = session.get(Candidate, candidate_id, options=[selectinload(Candidate.personal)])
    if cand is None:
        raise NotFound(f"candidate {candidate_id} not found")
    return cand


def candidate_read(cand: Candidate, geo: Geo | None = None) -> CandidateRead:
    """The full read schema of a candidate (for their coach and for export)."""
    personal = None
    if cand.personal is not None:
        p = cand.personal
        personal = PersonalData(
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email,
            phone=p.phone,
            street=p.street,
            postcode_full=p.postcode_full,
            birth_date=p.birth_date,
        )
    wijk = geo.postcodes[cand.postcode].wijk if geo and cand.postcode in geo.postcodes else None
    return CandidateRead(
        id=cand.id,
        external_id=cand.external_id,
        area=AreaCode(cand.area.code),
        postcode=cand.postcode,
        coach_email=cand.coach.email if cand.coach else None,
        wijk=wijk,
        personal=personal,
        consent_to_share=cand.consent_to_share,
        consent_recorded_at=cand.consent_recorded_at,
        vum_consent=cand.vum_consent,
        vum_contact=cand.vum_contact,
        created_at=cand.created_at,
        updated_at=cand.updated_at,
        **{name: getattr(cand, name) for name in _SCAN_FIELDS},
    )


def delete_candidate(session: Session, *, candidate: Candidate) -> None:
    """Delete a candidate with personal data, matches and pending notifications (cascades)."""
    session.delete(candidate)
    session.flush()
