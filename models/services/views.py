"""Candidate views: full (own coach, after consent) or anonymised."""

from __future__ import annotations

from models.schemas import (
    CandidateAnonymous,
    CandidateFull,
    CandidateReleased,
    ExperienceAnonymous,
    ReleasedContact,
)
from models.services.access import View
from models.services.areas import Geo
from models.services.candidates import candidate_read
from models.tables import Candidate


def anonymised(cand: Candidate, geo: Geo) -> CandidateAnonymous:
    """The anonymised profile: gebied and wijk instead of postcode; no identity, no free text."""
    pc = geo.postcodes.get(cand.postcode)
    return CandidateAnonymous(
        id=cand.id,
        area=geo.area_by_id[cand.area_id].code,
        wijk=pc.wijk if pc else None,
        status=cand.status,
        desired_occupations=cand.desired_occupations,
        skills=cand.skills,
        experience=[ExperienceAnonymous(title=e["title"], years=e.get("years") or 0) for e in cand.experience or []],
        education_level=cand.education_level,
        startkwalificatie=cand.startkwalificatie,
        dutch_level=cand.dutch_level,
        driving_licences=cand.driving_licences or [],
        travel_mode=cand.travel_mode,
        max_travel_km=cand.max_travel_km,
        max_travel_minutes=cand.max_travel_minutes,
        hours_min=cand.hours_min,
        hours_max=cand.hours_max,
        available_from=cand.available_from,
        ladder_step=cand.ladder_step,
        constraints=cand.constraints or [],
        consent_to_share=cand.consent_to_share,
    )


def full(cand: Candidate, geo: Geo) -> CandidateFull:
    """The full profile."""
    return CandidateFull.model_validate(candidate_read(cand, geo).model_dump() | {"view": "full"})


def released(cand: Candidate, geo: Geo) -> CandidateReleased:
    """The anonymised profile plus name and contact details (after consent, to the people on a match)."""
    p = cand.personal
    contact = (
        ReleasedContact(first_name=p.first_name, last_name=p.last_name, email=p.email, phone=p.phone) if p else None
    )
    return CandidateReleased.model_validate(
        anonymised(cand, geo).model_dump() | {"view": "released", "contact": contact}
    )


def render(cand: Candidate, geo: Geo, view: View) -> CandidateAnonymous | CandidateReleased | CandidateFull:
    """The view the user is entitled to."""
    if view == View.full:
        return full(cand, geo)
    return released(cand, geo) if view == View.released else anonymised(cand, geo)
