"""Who may see and do what: the one place where authorisation is decided (HTTP-free).

Out-of-scope objects are reported as "not found", so their existence does not leak.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from models.services import NotFound, ServiceError
from models.tables import Candidate, Employer, User, Vacancy


class Forbidden(ServiceError):
    """The caller may see the object but not do this to it."""

    status = 403


class View(StrEnum):
    """How much of a candidate a user sees."""

    full = "full"
    anonymised = "anonymised"


def candidate_view(user: User, cand: Candidate) -> View:
    """Coaches see their own clients in full; others see the anonymised profile until consent."""
    if user.role == Role.coach:
        if cand.coach_id != user.id:
            raise NotFound(f"candidate {cand.id} not found")
        return View.full
    if user.role in (Role.employer_adviser, Role.jobhunter) and cand.consent_to_share:
        return View.full
    return View.anonymised


def can_see_candidate(user: User, cand: Candidate) -> bool:
    """Whether the candidate is in the user's scope at all."""
    return not (user.role == Role.coach and cand.coach_id != user.id)


def visible_candidate_ids(session: Session, *, user: User) -> list[int] | None:
    """The candidate ids a user may rank or search over; None: every candidate (shown per ``candidate_view``)."""
    if user.role == Role.coach:
        return list(session.scalars(select(Candidate.id).where(Candidate.coach_id == user.id)))
    return None


def require_coach_of(user: User, cand: Candidate) -> None:
    """Only the candidate's own coach may change the profile or record consent."""
    if not can_see_candidate(user, cand):
        raise NotFound(f"candidate {cand.id} not found")
    if user.role != Role.coach or cand.coach_id != user.id:
        raise Forbidden("only the candidate's own coach may do this")


def require_role(user: User, *roles: Role) -> None:
    """The user has one of the roles."""
    if user.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(r.value for r in roles)}")


def require_own_area(user: User, area_id: int) -> None:
    """Employer advisers create employers and vacancies in their own gebied only."""
    if user.role != Role.employer_adviser or area_id != user.area_id:
        raise Forbidden("employer advisers create employers and vacancies in their own gebied only")


def require_vacancy_writer(user: User, vac: Vacancy) -> None:
    """Employer advisers manage the vacancies of their own gebied."""
    if user.role != Role.employer_adviser or user.area_id != vac.area_id:
        raise Forbidden("only an employer adviser of this vacancy's gebied may change it")


def require_employer_writer(user: User, emp: Employer) -> None:
    """Employer advisers manage the employers of their own gebied."""
    if user.role != Role.employer_adviser or user.area_id != emp.area_id:
        raise Forbidden("only an employer adviser of this employer's gebied may change it")
