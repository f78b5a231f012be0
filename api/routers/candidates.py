"""Candidates: the coach's caseload, anonymised views for others, consent, AVG export and deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.deps import CurrentUser, DbId, SessionDep
from matcher.enums import CandidateStatus, Role
from models.schemas import CandidateAnonymous, CandidateCreate, CandidateFull, CandidateUpdate, ConsentUpdate, Page
from models.services import Conflict
from models.services.access import View, candidate_view, require_coach_of, require_role
from models.services.areas import Geo
from models.services.audit import record, record_candidate_views
from models.services.candidates import delete_candidate, get_candidate, update_candidate, upsert_candidate
from models.services.matches import export_candidate
from models.services.views import full, render
from models.tables import Candidate, User, utcnow

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])
CandidateOut = CandidateFull | CandidateAnonymous


def load_visible(session: SessionDep, user: User, candidate_id: DbId) -> tuple[Candidate, View]:
    """The candidate and the view the user gets (404 when out of scope)."""
    cand = get_candidate(session, candidate_id=candidate_id)
    return cand, candidate_view(user, cand)


@router.get("", summary="List candidates (coach: own caseload in full; others: anonymised)")
def list_candidates(
    session: SessionDep,
    user: CurrentUser,
    area: Annotated[list[str] | None, Query(description="gebied codes; empty: whole city")] = None,
    status: CandidateStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, object]:
    """A page of candidates; every candidate shown is audited."""
    geo = Geo(session)
    stmt = select(Candidate).options(selectinload(Candidate.personal)).order_by(Candidate.id)
    if user.role == Role.coach:
        stmt = stmt.where(Candidate.coach_id == user.id)
    if area:
        stmt = stmt.where(Candidate.area_id.in_([geo.area(a).id for a in area]))
    if status:
        stmt = stmt.where(Candidate.status == status)
    rows = session.scalars(stmt).all()
    page = rows[offset : offset + limit]
    views = {c.id: candidate_view(user, c) for c in page}
    record_candidate_views(
        session,
        actor=user,
        candidate_ids=[c.id for c in page],
        views={k: v.value for k, v in views.items()},
        reason="kandidatenlijst",
    )
    return {
        "page": Page(total=len(rows), limit=limit, offset=offset),
        "items": [render(c, geo, views[c.id]) for c in page],
    }


@router.post("", status_code=201, summary="Create a candidate (coach)")
def create_candidate(data: CandidateCreate, session: SessionDep, user: CurrentUser, request: Request) -> CandidateFull:
    """A coach adds a client to their own caseload."""
    require_role(user, Role.coach)
    if session.scalar(select(Candidate.id).where(Candidate.external_id == data.external_id)) is not None:
        raise Conflict(f"a candidate with external_id {data.external_id} exists already", field="external_id")
    data = data.model_copy(update={"coach_email": user.email})
    cand, _ = upsert_candidate(session, data=data, actor=user)
    record(session, actor=user, action="candidate.create", object_type="candidate", object_id=cand.id)
    return full(get_candidate(session, candidate_id=cand.id), Geo(session))


@router.get("/{candidate_id}", summary="One candidate (full or anonymised, by role and consent)")
def read_candidate(candidate_id: DbId, session: SessionDep, user: CurrentUser) -> CandidateOut:
    """Every read is audited; full details after consent are audited as a release."""
    cand, view = load_visible(session, user, candidate_id)
    action = "candidate.view"
    if view == View.full and user.role != Role.coach:
        action = "candidate.release"  # details released to an adviser/jobhunter after consent
    record(
        session,
        actor=user,
        action=action,
        object_type="candidate",
        object_id=cand.id,
        reason="profiel bekeken",
        details={"view": view.value},
    )
    return render(cand, Geo(session), view)


@router.patch("/{candidate_id}", summary="Update a candidate's scan (own coach)")
def patch_candidate(candidate_id: DbId, data: CandidateUpdate, session: SessionDep, user: CurrentUser) -> CandidateFull:
    """Partial update, validated as a whole."""
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    update_candidate(session, candidate=cand, data=data)
    record(
        session,
        actor=user,
        action="candidate.update",
        object_type="candidate",
        object_id=cand.id,
        details={"fields": sorted(data.model_fields_set)},
    )
    session.refresh(cand)
    return full(cand, Geo(session))


@router.post("/{candidate_id}/consent", summary="Record the candidate's consent to share details (own coach)")
def set_consent(candidate_id: DbId, data: ConsentUpdate, session: SessionDep, user: CurrentUser) -> CandidateFull:
    """Consent is recorded with who and when; withdrawing it hides the details again."""
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    cand.consent_to_share = data.consent
    cand.consent_recorded_by_id = user.id
    cand.consent_recorded_at = utcnow()
    record(
        session,
        actor=user,
        action="candidate.consent",
        object_type="candidate",
        object_id=cand.id,
        reason=data.note,
        details={"consent": data.consent},
    )
    session.flush()
    return full(cand, Geo(session))


@router.get("/{candidate_id}/export", summary="Everything stored about a candidate (AVG access request)")
def export(candidate_id: DbId, session: SessionDep, user: CurrentUser) -> dict[str, object]:
    """Only the candidate's own coach may export."""
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    record(
        session,
        actor=user,
        action="candidate.export",
        object_type="candidate",
        object_id=cand.id,
        reason="AVG-inzageverzoek",
    )
    return export_candidate(session, candidate=cand, full_profile=full(cand, Geo(session)).model_dump(mode="json"))


@router.delete("/{candidate_id}", status_code=204, summary="Delete a candidate everywhere (own coach or admin)")
def delete(candidate_id: DbId, session: SessionDep, user: CurrentUser, request: Request) -> Response:
    """Removes the candidate from the database (matches and pending e-mails cascade) and from the index."""
    cand = get_candidate(session, candidate_id=candidate_id)
    if user.role != Role.admin:
        require_coach_of(user, cand)
    delete_candidate(session, candidate=cand)
    record(session, actor=user, action="candidate.delete", object_type="candidate", object_id=candidate_id)
    store = request.app.state.store
    if store is not None:
        store.forget_candidate(candidate_id)
    return Response(status_code=204)
