"""Workflow enumerations: roles, the match workflow and the e-mail ledger (the engine never uses these)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user does in the department."""

    coach = "coach"
    employer_adviser = "employer_adviser"
    jobhunter = "jobhunter"
    admin = "admin"


class MatchStatus(StrEnum):
    """Workflow of a match; a person moves it, the system only suggests."""

    suggested = "suggested"
    proposed_to_candidate = "proposed_to_candidate"
    proposed_to_employer = "proposed_to_employer"
    interview = "interview"
    placed = "placed"
    rejected = "rejected"
    withdrawn = "withdrawn"


MATCH_TRANSITIONS: dict[str, set[str]] = {
    MatchStatus.suggested: {"proposed_to_candidate", "rejected", "withdrawn"},
    MatchStatus.proposed_to_candidate: {"proposed_to_employer", "rejected", "withdrawn"},
    MatchStatus.proposed_to_employer: {"interview", "rejected", "withdrawn"},
    MatchStatus.interview: {"placed", "rejected", "withdrawn"},
    MatchStatus.placed: set(),
    MatchStatus.rejected: set(),
    MatchStatus.withdrawn: set(),
}


class SubscriptionKind(StrEnum):
    """What a nightly e-mail subscription reports."""

    vacancy_candidates = "vacancy_candidates"  # adviser: new candidates for my open vacancies
    client_vacancies = "client_vacancies"  # coach: new vacancies for my active clients
    area_pairs = "area_pairs"  # jobhunter: new strong pairs in my gebied


class NotificationStatus(StrEnum):
    """State of one (recipient, match) entry in the e-mail ledger."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
