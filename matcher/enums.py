"""Enumerations shared by the database models, schemas and the matching engine."""

from __future__ import annotations

from enum import StrEnum


class CandidateStatus(StrEnum):
    """Where a candidate stands in the route to work."""

    active = "active"
    paused = "paused"
    placed = "placed"
    withdrawn = "withdrawn"


class EducationLevel(StrEnum):
    """Dutch education levels, lowest first."""

    none = "none"
    vmbo = "vmbo"
    mbo1 = "mbo1"
    mbo2 = "mbo2"
    mbo3 = "mbo3"
    mbo4 = "mbo4"
    hbo = "hbo"
    wo = "wo"


EDUCATION_RANK: dict[str, int] = {level.value: i for i, level in enumerate(EducationLevel)}


class DutchLevel(StrEnum):
    """Command of Dutch on the CEFR scale."""

    a0 = "A0"
    a1 = "A1"
    a2 = "A2"
    b1 = "B1"
    b2 = "B2"
    c1 = "C1"
    c2 = "C2"


class TravelMode(StrEnum):
    """How a candidate travels to work."""

    walk = "walk"
    bike = "bike"
    public_transport = "public_transport"
    car = "car"


class OfferType(StrEnum):
    """What kind of place a vacancy offers."""

    paid_job = "paid_job"
    work_experience = "work_experience"  # werkervaringsplaats
    learning_job = "learning_job"  # leerwerkplek / BBL
    participation = "participation"  # participatieplaats / vrijwilligerswerk


class ContractType(StrEnum):
    """Contract form of a paid job."""

    permanent = "permanent"
    temporary = "temporary"
    agency = "agency"
    on_call = "on_call"
    none = "none"


class VacancyStatus(StrEnum):
    """Life cycle of a vacancy."""

    open = "open"
    filled = "filled"
    closed = "closed"


class WorkConstraint(StrEnum):
    """Neutral work constraints a candidate can state; each matches a vacancy work condition."""

    no_night_shifts = "no_night_shifts"
    no_evening_shifts = "no_evening_shifts"
    no_weekends = "no_weekends"
    no_heavy_lifting = "no_heavy_lifting"


class WorkCondition(StrEnum):
    """Working conditions of a vacancy."""

    night_shifts = "night_shifts"
    evening_shifts = "evening_shifts"
    weekends = "weekends"
    heavy_lifting = "heavy_lifting"


CONSTRAINT_CONFLICTS: dict[str, str] = {
    WorkConstraint.no_night_shifts: WorkCondition.night_shifts,
    WorkConstraint.no_evening_shifts: WorkCondition.evening_shifts,
    WorkConstraint.no_weekends: WorkCondition.weekends,
    WorkConstraint.no_heavy_lifting: WorkCondition.heavy_lifting,
}
