"""Suggestions from Dutch text: a pasted vacancy (advisers) or a coach's scan notes. Nothing of the text is
stored or logged; the suggestions are shown, and a person accepts or edits each one before anything is saved.

One flow per kind of text, used by the API (``POST /v1/vacancies/parse``, ``POST /v1/candidates/parse``) and the
web UI ("plak de vacaturetekst").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from matcher.parsing import DenseSearch, ParsedText, Suggestion, parse_scan_notes, parse_vacancy
from matcher.wording import check_vacancy_text
from models.enums import Role
from models.schemas import FoundConcept, ScanSuggestions, VacancySuggestions, WordingFinding
from models.services.access import require_role
from models.services.matching import EngineStore
from models.tables import User


def _searchers(store: EngineStore) -> tuple[Any, Any, Any]:
    """The taxonomy's occupation and skill normalisers and its English-only skills (each None where ESCO is not
    configured, or while the English-only skills are still being indexed after start-up)."""
    tax = store.engine.taxonomy
    normalizer = getattr(tax, "normalizer", None)
    if normalizer is None:
        return None, None, None
    english = getattr(tax, "english_skills", None)
    return normalizer("occupation"), normalizer("skill"), DenseSearch(english) if english is not None else None


def _found(items: list[Suggestion]) -> list[FoundConcept]:
    return [FoundConcept(label=s.label, uri=s.uri, score=s.score, sentence=s.sentence[:500]) for s in items]


def suggest_vacancy_fields(
    *, store: EngineStore, user: User, text: str, title: str | None = None, today: dt.date | None = None
) -> VacancySuggestions:
    """Title, top-3 ESCO occupations, required and nice-to-have skills (with their sentences), hours, licence,
    education, start date, contract, kind of place, and the wording check, read from a vacancy text."""
    occupations, skills, english = _searchers(store)
    p: ParsedText = parse_vacancy(
        text,
        occupations=occupations,
        skills=skills,
        today=today or dt.date.today(),
        title=title,
        english_skills=english,
    )
    findings = [
        WordingFinding(code=f.code, phrase=f.phrase, reason=f.reason) for f in check_vacancy_text(p.title, text)
    ]
    return VacancySuggestions(
        title=p.title[:200],
        occupations=_found(p.occupations),
        required_skills=_found(p.required_skills),
        nice_skills=_found(p.nice_skills),
        hours_min=p.hours_min,
        hours_max=p.hours_max,
        driving_licence=p.driving_licence,
        education_level=p.education_level,
        start_date=p.start_date,
        contract_type=p.contract_type,
        offer_type=p.offer_type,
        evidence={k: v[:500] for k, v in p.evidence.items()},
        wording_findings=findings,
    )


def suggest_scan_fields(*, store: EngineStore, user: User, text: str, today: dt.date | None = None) -> ScanSuggestions:
    """Desired occupations, skills, hours and work constraints read from a coach's scan notes (coaches only)."""
    require_role(user, Role.coach)
    occupations, skills, _english = _searchers(store)
    p = parse_scan_notes(text, occupations=occupations, skills=skills, today=today or dt.date.today())
    return ScanSuggestions(
        desired_occupations=_found(p.occupations),
        skills=_found(p.required_skills),
        hours_min=p.hours_min,
        hours_max=p.hours_max,
        constraints=p.constraints,
        evidence={k: v[:500] for k, v in p.evidence.items() if k == "hours"},
    )
