"""Plain-data profiles the engine matches, and the texts it embeds.

A candidate profile holds only what matching may use: no name, contact details, age, birth date,
gender, nationality, health, debts or other special-category data exist in it at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Concept:
    """A label with an optional ESCO URI (given by a person, or resolved by the taxonomy)."""

    label: str
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class Experience:
    """A line of work history; how long ago it was is deliberately not part of matching."""

    title: str
    years: float = 0.0
    uri: str | None = None


@dataclass
class CandidateProfile:
    """The matching fields of a candidate."""

    id: int
    area: str
    postcode: str
    location: tuple[float, float] | None = None
    status: str = "active"
    consent: bool = False
    desired_occupations: list[Concept] = field(default_factory=list)
    skills: list[Concept] = field(default_factory=list)
    experience: list[Experience] = field(default_factory=list)
    education_level: str = "none"
    startkwalificatie: bool = False
    dutch_level: str | None = None
    driving_licences: list[str] = field(default_factory=list)
    own_transport: bool = False
    travel_mode: str = "bike"
    max_travel_km: float | None = None
    max_travel_minutes: int | None = None
    hours_min: int = 0
    hours_max: int = 40
    available_from: dt.date | None = None
    ladder_step: int = 4
    lks_eligible: bool = False
    doelgroepregister: bool = False
    jobcoach: bool = False
    constraints: list[str] = field(default_factory=list)
    stamp: str = ""


@dataclass
class VacancyProfile:
    """The matching fields of a vacancy."""

    id: int
    area: str
    postcode: str
    title: str
    location: tuple[float, float] | None = None
    description: str = ""
    occupation: Concept | None = None
    required_skills: list[Concept] = field(default_factory=list)
    nice_skills: list[Concept] = field(default_factory=list)
    hours_min: int = 0
    hours_max: int = 40
    offer_type: str = "paid_job"
    education_level: str = "none"
    driving_licence: str | None = None
    lks_suitable: bool = False
    banenafspraak: bool = False
    work_conditions: list[str] = field(default_factory=list)
    start_date: dt.date | None = None
    status: str = "open"
    stamp: str = ""


def _join(items: list[str], sep: str = ", ") -> str:
    return sep.join(dict.fromkeys(x.strip() for x in items if x and x.strip()))


def candidate_texts(c: CandidateProfile, pref: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(occupations, skills, full text) of a candidate, in Dutch; ``pref`` maps ESCO URIs to labels."""
    pref = pref or {}
    occ = _join([o.label for o in c.desired_occupations] + [pref.get(o.uri or "", "") for o in c.desired_occupations])
    skills = _join([s.label for s in c.skills])
    exp = _join([e.title for e in c.experience])
    parts = [f"Zoekt werk als {occ}." if occ else "", f"Vaardigheden: {skills}." if skills else ""]
    parts += [f"Ervaring als {exp}." if exp else ""]  # never the coach's free text about the person
    return occ, skills, " ".join(p for p in parts if p)


def vacancy_texts(v: VacancyProfile, pref: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(occupation, skills, full text) of a vacancy, in Dutch."""
    pref = pref or {}
    occ_labels = [v.title]
    if v.occupation:
        occ_labels += [v.occupation.label, pref.get(v.occupation.uri or "", "")]
    occ = _join(occ_labels)
    skills = _join([s.label for s in v.required_skills + v.nice_skills])
    parts = [v.title + ".", v.description.strip(), f"Gevraagd: {skills}." if skills else ""]
    return occ, skills, " ".join(p for p in parts if p)
