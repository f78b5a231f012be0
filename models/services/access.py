"""Who may see and do what: the one place where authorisation is decided (HTTP-free).

Out-of-scope objects are reported as "not found", so their existence does not leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from matcher.enums import CandidateStatus, VacancyStatus
from models.enums import MATCH_TRANSITIONS, MatchStatus, Role
from models.services import NotFound, ServiceError
from models.tables import Candidate, Employer, Match, User, Vacancy


class Forbidden(ServiceError):
    """The caller may see the object but not do this to it."""

    status = 403


class View(StrEnum):
    """How much of a candidate a user sees."""

    full = "full"
    released = "released"
    anonymised = "anonymised"


OPEN_MATCH = (
    MatchStatus.suggested,
    MatchStatus.proposed_to_candidate,
    MatchStatus.proposed_to_employer,
    MatchStatus.interview,
    MatchStatus.placed,
)


def candidate_view(user: User, cand: Candidate) -> View:
    """The view in lists, rankings, searches and e-mails: coaches see their own clients in full, everyone
    else the anonymised profile. Consent never releases anything in bulk."""
    if user.role == Role.coach:
        if cand.coach_id != user.id:
            raise NotFound(f"candidate {cand.id} not found")
        return View.full
    return View.anonymised


def single_candidate_view(session: Session, user: User, cand: Candidate) -> View:
    """The view of one candidate opened on purpose. After the coach recorded consent, an employer adviser or
    jobhunter who works on an open match of this candidate (a vacancy of their gebied) sees what an employer
    contact needs (``released``: name and contact details, nothing more); everyone else as in lists."""
    view = candidate_view(user, cand)
    if view == View.full or not cand.consent_to_share:
        return view
    if user.role not in (Role.employer_adviser, Role.jobhunter):
        return view
    works_on = session.scalar(
        select(Match.id)
        .join(Vacancy, Vacancy.id == Match.vacancy_id)
        .where(Match.candidate_id == cand.id, Vacancy.area_id == user.area_id, Match.status.in_(OPEN_MATCH))
        .limit(1)
    )
    return View.released if works_on is not None else view


class Unauthorised(ServiceError):
    """The caller is not a party that may ask."""

    status = 401


def vum_party(parties: Mapping[str, Any], *, certificate_oin: str | None) -> Any:
    """The VUM party a client certificate belongs to: its OIN must be on the allow-list
    (``WERKMATCH_VUM_PARTIES``)."""
    party = parties.get(certificate_oin or "")
    if certificate_oin is None or party is None:
        raise Unauthorised("unknown party")
    return party


def require_vum_addressing(
    party: Any, *, own_oin: str | None, certificate_oin: str, from_party: str, to_party: str
) -> None:
    """A VUM request must be addressed to this gemeente, and a party asks in its own name unless it is the
    exchange (which asks on behalf of others)."""
    if to_party != own_oin:
        raise Unauthorised("X-VUM-toParty names another party than this source")
    if not party.exchange and from_party != certificate_oin:
        raise Unauthorised("X-VUM-fromParty is not the party of the certificate")


def vum_exchangeable_candidates() -> ColumnElement[bool]:
    """Who may be found through VUM (by other gemeenten and UWV): clients whose coach recorded the VUM consent
    (separate from the local release) and who are looking for work. What of them is sent: ``vum.mapping``."""
    return and_(Candidate.vum_consent.is_(True), Candidate.status == CandidateStatus.active)


def vum_exchangeable_vacancies() -> ColumnElement[bool]:
    """Which vacancies may be found through VUM: the gemeente's own open ones an adviser offered."""
    return and_(Vacancy.vum_exchange.is_(True), Vacancy.status == VacancyStatus.open, Vacancy.vum_source.is_(None))


def can_see_candidate(user: User, cand: Candidate) -> bool:
    """Whether the candidate is in the user's scope at all."""
    return not (user.role == Role.coach and cand.coach_id != user.id)


def visible_candidate_ids(session: Session, *, user: User) -> list[int] | None:
    """The candidate ids a user may rank or search over; None: every candidate (shown per ``candidate_view``)."""
    if user.role == Role.coach:
        return list(session.scalars(select(Candidate.id).where(Candidate.coach_id == user.id)))
    return None


ROLE_TRANSITIONS: dict[Role, frozenset[MatchStatus]] = {
    Role.coach: frozenset(
        {
            MatchStatus.proposed_to_candidate,
            MatchStatus.proposed_to_employer,
            MatchStatus.rejected,
            MatchStatus.withdrawn,
        }
    ),
    Role.employer_adviser: frozenset(
        {
            MatchStatus.proposed_to_candidate,
            MatchStatus.proposed_to_employer,
            MatchStatus.interview,
            MatchStatus.placed,
            MatchStatus.rejected,
            MatchStatus.withdrawn,
        }
    ),
    Role.jobhunter: frozenset(
        {
            MatchStatus.proposed_to_candidate,
            MatchStatus.proposed_to_employer,
            MatchStatus.interview,
            MatchStatus.placed,
            MatchStatus.rejected,
        }
    ),
}
"""Which steps of the match workflow each role takes (admins take none)."""


def works_on_pair(user: User, cand: Candidate, vac: Vacancy) -> bool:
    """The people who act on a (candidate, vacancy) pair: the candidate's own coach, and the employer adviser
    and the jobhunters of the vacancy's gebied. Admins read nothing personal here."""
    if user.role == Role.coach:
        return cand.coach_id == user.id
    if user.role in (Role.employer_adviser, Role.jobhunter):
        return vac.area_id == user.area_id
    return False


def proposes_from_own_area(user: User) -> bool:
    """Whether the user proposes found candidates to the vacancies of their own gebied (advisers and
    jobhunters; a coach proposes vacancies to their own clients from the client's page)."""
    return user.role in (Role.employer_adviser, Role.jobhunter) and user.area_id is not None


def require_works_on_pair(user: User, cand: Candidate, vac: Vacancy, *, what: str) -> None:
    """NotFound (so its existence does not leak) unless the user works on this pair."""
    if not works_on_pair(user, cand, vac):
        raise NotFound(f"{what} not found")


def next_steps(user: User, status: MatchStatus) -> list[MatchStatus]:
    """The steps forward (not rejecting or withdrawing) this user may take from ``status``, in workflow order."""
    order = list(MatchStatus)
    allowed = ROLE_TRANSITIONS.get(Role(user.role), frozenset())
    return sorted(
        (
            MatchStatus(s)
            for s in MATCH_TRANSITIONS[status]
            if MatchStatus(s) in allowed and s not in (MatchStatus.rejected, MatchStatus.withdrawn)
        ),
        key=order.index,
    )


def require_transition(user: User, to: MatchStatus) -> None:
    """Each role takes only its own steps of the workflow."""
    if to not in ROLE_TRANSITIONS.get(Role(user.role), frozenset()):
        raise Forbidden(f"a {user.role} cannot move a match to {to.value}")


def may_be_told_of_pair(user: User, cand: Candidate, vac: Vacancy) -> bool:
    """Whether a (candidate, vacancy) pair may appear in this user's nightly e-mail: coaches hear of their own
    clients, employer advisers of their gebied's vacancies, jobhunters of pairs in their gebied; admins of none."""
    if not user.active:
        return False
    if user.role == Role.coach:
        return cand.coach_id == user.id
    if user.role == Role.employer_adviser:
        return vac.area_id == user.area_id
    if user.role == Role.jobhunter:
        return cand.area_id == user.area_id and vac.area_id == user.area_id
    return False


def require_subscription_kind(user: User, kind: str, allowed: str | None) -> None:
    """Each role subscribes only to the nightly e-mail of its own work."""
    if allowed is None or kind != allowed:
        raise Forbidden(
            f"the role {user.role} cannot subscribe to {kind}" + (f"; only to {allowed}" if allowed else "")
        )


def require_coach_of(user: User, cand: Candidate) -> None:
    """Only the candidate's own coach may change the profile or record consent."""
    if not can_see_candidate(user, cand):
        raise NotFound(f"candidate {cand.id} not found")
    if user.role != Role.coach or cand.coach_id != user.id:
        raise Forbidden("only the candidate's own coach may do this")


def require_team_lead(user: User) -> None:
    """The team dashboard: team leads (a right on the user) and admins."""
    if not (user.team_lead or user.role == Role.admin):
        raise Forbidden("the team dashboard is for team leads")


def reads_dashboard(user: User) -> bool:
    """Whether the menu shows the team dashboard."""
    return bool(user.team_lead) or user.role == Role.admin


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
