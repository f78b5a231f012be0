"""Candidates: the coach's caseload, anonymised views for others, consent, AVG export and deletion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import CurrentUser, DbId, SessionDep, StoreDep, requires
from matcher.enums import CandidateStatus
from models.enums import Role
from models.schemas import (
    AreaCode,
    CandidateCreate,
    CandidateFull,
    CandidatePage,
    CandidateUpdate,
    ConsentUpdate,
    ScanSuggestions,
    TextToParse,
    VumConsentUpdate,
)
from models.services import candidate_flows as flows
from models.services import text_parsing
from models.services.candidate_flows import CandidateOut

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])


@router.get("", summary="List candidates (coach: own caseload in full; others: anonymised)")
def list_candidates(
    session: SessionDep,
    user: CurrentUser,
    area: Annotated[list[AreaCode] | None, Query(description="gebied codes; empty: whole city")] = None,
    status: CandidateStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CandidatePage:
    """A page of candidates; every candidate shown is audited."""
    return flows.list_candidates(session, user=user, areas=area, status=status, limit=limit, offset=offset)


@router.post("", status_code=201, summary="Create a candidate (coach)", dependencies=[requires(Role.coach)])
def create_candidate(data: CandidateCreate, session: SessionDep, user: CurrentUser) -> CandidateFull:
    """A coach adds a client to their own caseload."""
    return flows.create_candidate(session, user=user, data=data)


@router.post("/parse", summary="Suggest scan fields from a coach's notes (coaches; nothing is saved)")
def parse_scan_notes(data: TextToParse, user: CurrentUser, store: StoreDep) -> ScanSuggestions:
    """Desired occupations, skills, hours and work constraints read from notes; the coach accepts what fits into
    the scan's own fields (free text itself is never stored here nor used for matching)."""
    return text_parsing.suggest_scan_fields(store=store, user=user, text=data.text)


@router.get("/{candidate_id}", summary="One candidate (full or anonymised, by role and consent)")
def read_candidate(candidate_id: DbId, session: SessionDep, user: CurrentUser) -> CandidateOut:
    """Every read is audited; full details after consent are audited as a release."""
    return flows.view_candidate(session, user=user, candidate_id=candidate_id)


@router.patch("/{candidate_id}", summary="Update a candidate's scan (own coach)")
def patch_candidate(candidate_id: DbId, data: CandidateUpdate, session: SessionDep, user: CurrentUser) -> CandidateFull:
    """Partial update, validated as a whole."""
    return flows.update_scan(session, user=user, candidate_id=candidate_id, data=data)


@router.post("/{candidate_id}/consent", summary="Record the candidate's consent to share details (own coach)")
def set_consent(candidate_id: DbId, data: ConsentUpdate, session: SessionDep, user: CurrentUser) -> CandidateFull:
    """Consent is recorded with who and when; withdrawing it hides the details again."""
    return flows.record_consent(session, user=user, candidate_id=candidate_id, consent=data.consent, note=data.note)


@router.post(
    "/{candidate_id}/vum-consent", summary="Record the client's consent to exchange the profile through VUM (own coach)"
)
def set_vum_consent(
    candidate_id: DbId, data: VumConsentUpdate, session: SessionDep, user: CurrentUser
) -> CandidateFull:
    """A separate consent from the local release: with it, the profile (no name, no free text) can be found by
    other gemeenten and UWV through VUM; contact details only with ``contact_details``. Withdrawn at once."""
    return flows.record_vum_consent(
        session,
        user=user,
        candidate_id=candidate_id,
        consent=data.consent,
        contact_details=data.contact_details,
        note=data.note,
    )


@router.get("/{candidate_id}/export", summary="Everything stored about a candidate (AVG access request)")
def export(candidate_id: DbId, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Only the candidate's own coach may export."""
    return flows.export_everything(session, user=user, candidate_id=candidate_id)


@router.delete("/{candidate_id}", status_code=204, summary="Delete a candidate everywhere (own coach or admin)")
def delete(candidate_id: DbId, session: SessionDep, user: CurrentUser, request: Request) -> Response:
    """Removes the candidate from the database (matches and pending e-mails cascade) and from the index."""
    flows.delete_everywhere(session, user=user, candidate_id=candidate_id, store=request.app.state.store)
    return Response(status_code=204)
