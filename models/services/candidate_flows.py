"""Candidate flows as people use them, once for the API, the web UI and the CLI.

Each flow checks access (``access``), does the work (``candidates``), renders the view the user is
entitled to (``views``) and writes the audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from matcher.enums import CandidateStatus
from models.enums import Role
from models.schemas import (
    CandidateAnonymous,
    CandidateCreate,
    CandidateFull,
    CandidatePage,
    CandidateReleased,
    CandidateUpdate,
    Page,
)
from models.services import Conflict
from models.services.access import View, candidate_view, require_coach_of, require_role, single_candidate_view
from models.services.areas import Geo
from models.services.audit import record, record_candidate_views
from models.services.candidates import delete_candidate, get_candidate, update_candidate, upsert_candidate
from models.services.matches import export_candidate
from models.services.views import full, render
from models.tables import Candidate, CandidatePersonal, User, utcnow

if TYPE_CHECKING:
    from models.services.matching import EngineStore

CandidateOut = CandidateFull | CandidateReleased | CandidateAnonymous


CandidateOrder = Literal["number", "name", "ladder", "new"]


def list_candidates(
    session: Session,
    *,
    user: User,
    areas: Sequence[str] | None = None,
    status: CandidateStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    reason: str = "kandidatenlijst",
    order: CandidateOrder = "number",
) -> CandidatePage:
    """A page of candidates (coaches: their own caseload), paged in SQL and sorted by cliëntnummer, name (a
    coach's own clients only: others never sort by what they may not see), ladder step or newest; every candidate
    shown is audited."""
    geo = Geo.of(session)
    stmt = select(Candidate)
    if user.role == Role.coach:
        stmt = stmt.where(Candidate.coach_id == user.id)
    if areas:
        stmt = stmt.where(Candidate.area_id.in_([geo.area(a).id for a in areas]))
    if status:
        stmt = stmt.where(Candidate.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if order == "name" and user.role == Role.coach:
        stmt = stmt.outerjoin(CandidatePersonal, CandidatePersonal.candidate_id == Candidate.id).order_by(
            func.lower(CandidatePersonal.last_name), func.lower(CandidatePersonal.first_name), Candidate.id
        )
    elif order == "ladder":
        stmt = stmt.order_by(Candidate.ladder_step.desc(), Candidate.id)
    elif order == "new":
        stmt = stmt.order_by(Candidate.id.desc())
    else:
        stmt = stmt.order_by(Candidate.external_id, Candidate.id)
    page = session.scalars(stmt.options(selectinload(Candidate.personal)).limit(limit).offset(offset)).all()
    views = {c.id: candidate_view(user, c) for c in page}
    record_candidate_views(
        session,
        actor=user,
        candidate_ids=[c.id for c in page],
        views={k: v.value for k, v in views.items()},
        reason=reason,
    )
    return CandidatePage(
        page=Page(total=total, limit=limit, offset=offset), items=[render(c, geo, views[c.id]) for c in page]
    )


def view_candidate(session: Session, *, user: User, candidate_id: int, reason: str = "profiel bekeken") -> CandidateOut:
    """One candidate in the view the user is entitled to; full details after consent are audited as a release."""
    cand = get_candidate(session, candidate_id=candidate_id)
    view = single_candidate_view(session, user, cand)
    action = "candidate.release" if view == View.released else "candidate.view"
    record(
        session,
        actor=user,
        action=action,
        object_type="candidate",
        object_id=cand.id,
        reason=reason,
        details={"view": view.value},
    )
    return render(cand, Geo.of(session), view)


def create_candidate(session: Session, *, user: User, data: CandidateCreate) -> CandidateFull:
    """A coach adds a client to their own caseload."""
    require_role(user, Role.coach)
    if session.scalar(select(Candidate.id).where(Candidate.external_id == data.external_id)) is not None:
        raise Conflict(f"a candidate with external_id {data.external_id} exists already", field="external_id")
    cand, _ = upsert_candidate(session, data=data.model_copy(update={"coach_email": user.email}), actor=user)
    record(session, actor=user, action="candidate.create", object_type="candidate", object_id=cand.id)
    return full(get_candidate(session, candidate_id=cand.id), Geo.of(session))


def update_scan(session: Session, *, user: User, candidate_id: int, data: CandidateUpdate) -> CandidateFull:
    """The candidate's own coach changes the scan; validated as a whole."""
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
    return full(cand, Geo.of(session))


def record_consent(
    session: Session, *, user: User, candidate_id: int, consent: bool, note: str | None = None
) -> CandidateFull:
    """The own coach records (or withdraws) consent to share details, with who and when; audited."""
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    cand.consent_to_share = consent
    cand.consent_recorded_by_id = user.id
    cand.consent_recorded_at = utcnow()
    record(
        session,
        actor=user,
        action="candidate.consent",
        object_type="candidate",
        object_id=cand.id,
        reason=note or None,
        details={"consent": consent},
    )
    session.flush()
    return full(cand, Geo.of(session))


def record_vum_consent(
    session: Session, *, user: User, candidate_id: int, consent: bool, contact_details: bool, note: str | None = None
) -> CandidateFull:
    """The own coach records (or withdraws) consent to exchange the profile through VUM, and whether the client's
    contact details go with it; audited. Withdrawn, the profile leaves every VUM answer at once."""
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    cand.vum_consent = consent
    cand.vum_contact = consent and contact_details
    cand.vum_consent_recorded_by_id = user.id
    cand.vum_consent_recorded_at = utcnow()
    record(
        session,
        actor=user,
        action="candidate.vum_consent",
        object_type="candidate",
        object_id=cand.id,
        reason=note or None,
        details={"consent": consent, "contact_details": cand.vum_contact},
    )
    session.flush()
    return full(cand, Geo.of(session))


def export_everything(session: Session, *, user: User, candidate_id: int) -> dict[str, Any]:
    """Everything stored about a candidate (AVG access request); only their own coach may export."""
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
    return export_candidate(session, candidate=cand, full_profile=full(cand, Geo.of(session)).model_dump(mode="json"))


def delete_everywhere(session: Session, *, user: User, candidate_id: int, store: EngineStore | None) -> None:
    """Delete a candidate (own coach or admin): rows, matches and pending e-mails cascade; then the index."""
    cand = get_candidate(session, candidate_id=candidate_id)
    if user.role != Role.admin:
        require_coach_of(user, cand)
    delete_candidate(session, candidate=cand)
    record(session, actor=user, action="candidate.delete", object_type="candidate", object_id=candidate_id)
    if store is not None:
        store.forget_candidate(candidate_id)
