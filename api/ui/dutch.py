"""Why a form was refused, in Dutch, per field: the services and schemas speak English (the API's language),
the pages say the same thing in words a coach or adviser uses, next to the field it is about."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from matcher.labels import MATCH_STATUS_NL
from models.services import ServiceError

FIELDS_NL = {
    "title": "Titel",
    "description": "Omschrijving",
    "employer_name": "Werkgever",
    "name": "Naam",
    "email": "E-mail",
    "area": "Gebied",
    "role": "Rol",
    "postcode": "Postcode",
    "skills": "Vaardigheden",
    "required_skills": "Gevraagde vaardigheden",
    "occupations": "Gewenste beroepen",
    "desired_occupations": "Gewenste beroepen",
    "hours_min": "Uren per week (minimaal)",
    "hours_max": "Uren per week (maximaal)",
    "max_travel_km": "Maximale reisafstand",
    "ladder_step": "Trede participatieladder",
    "about": "Wat kan en wil ik",
    "offer_type": "Soort plek",
    "status": "Status",
    "min_score": "Minimale score",
    "max_per_mail": "Aantal per e-mail",
    "label": "Omschrijving",
    "min": "Minimale score",
    "toon": "Aantal getoond",
    "gebied": "Gebied",
    "q": "Zoekvraag",
    "soort": "Zoeken in",
}
"""Form fields by the name the schemas use; nested errors (``required_skills.0.label``) name their list."""

FORM_FIELD = {"required_skills": "skills", "desired_occupations": "occupations", "employer": "employer_name"}
"""A schema field that a form shows under another name."""

_MESSAGES: list[tuple[re.Pattern[str], str | None, Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"hours_min \((\d+)\) is more than hours_max \((\d+)\)"),
        "hours_max",
        lambda m: f"Het maximum aantal uren ({m[2]}) is lager dan het minimum ({m[1]}).",
    ),
    (
        re.compile(r"postcode (\S+) is not a (?:known )?postcode of the gemeente"),
        "postcode",
        lambda m: f"Postcode {m[1]} ligt niet in de gemeente. Vul een postcode van vier cijfers uit de gemeente in.",
    ),
    (
        re.compile(r"closing_date is before start_date"),
        "closing_date",
        lambda m: "De sluitingsdatum ligt voor de startdatum.",
    ),
    (
        re.compile(r"text may not contain NUL characters"),
        None,
        lambda m: "De tekst bevat een onzichtbaar teken dat niet is toegestaan; typ hem opnieuw.",
    ),
    (
        re.compile(r"(?:a|an) (?:employer|vacancy|candidate) with external_id (\S+) exists already"),
        None,
        lambda m: f"Er bestaat al een gegeven met nummer {m[1]}.",
    ),
    (
        re.compile(r"KvK number (\d+) belongs to employer (\S+)"),
        "kvk_number",
        lambda m: f"KvK-nummer {m[1]} hoort al bij een andere werkgever ({m[2]}).",
    ),
    (
        re.compile(r"a user with e-mail (\S+) exists already"),
        "email",
        lambda m: f"Er is al een gebruiker met e-mailadres {m[1]}.",
    ),
    (
        re.compile(r"a (\w+) needs a gebied"),
        "area",
        lambda m: "Kies een gebied: deze rol werkt in één gebied.",
    ),
    (
        re.compile(r"a reason is required"),
        "reason",
        lambda m: "Geef een reden op.",
    ),
]


SHAPES = {
    "email": "Vul een e-mailadres in, zoals naam@groningen.nl.",
    "postcode": "Vul een postcode van vier cijfers uit de gemeente in, zoals 9712.",
    "kvk_number": "Een KvK-nummer heeft acht cijfers.",
}


def _num(value: Any) -> Any:
    """100.0 → 100, 0.5 → 0,5 (as a Dutch page writes a number)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value).replace(".", ",")
    return value


def _by_type(error: ErrorDetails | dict[str, Any]) -> str:
    """A Dutch sentence for a pydantic error type (the message when no better one is known)."""
    ctx = {k: _num(v) for k, v in (error.get("ctx") or {}).items()}
    kind = error["type"]
    if kind in ("missing", "string_too_short") and ctx.get("min_length", 1) <= 1:
        return "Vul dit veld in."
    return {
        "string_too_short": f"Gebruik minstens {ctx.get('min_length')} tekens.",
        "string_too_long": f"Gebruik hoogstens {ctx.get('max_length')} tekens.",
        "too_long": f"Hoogstens {ctx.get('max_length')} regels.",
        "greater_than_equal": f"Vul {ctx.get('ge')} of meer in.",
        "greater_than": f"Vul meer dan {ctx.get('gt')} in.",
        "less_than_equal": f"Vul {ctx.get('le')} of minder in.",
        "less_than": f"Vul minder dan {ctx.get('lt')} in.",
        "int_parsing": "Vul een heel getal in.",
        "int_from_float": "Vul een heel getal in.",
        "float_parsing": "Vul een getal in.",
        "enum": "Kies een van de mogelijkheden.",
        "literal_error": "Kies een van de mogelijkheden.",
        "string_pattern_mismatch": "Dit heeft niet de goede vorm.",
        "date_from_datetime_parsing": "Vul een datum in als dd-mm-jjjj.",
    }.get(kind, "Deze waarde klopt niet.")


UNKNOWN = "Deze waarde klopt niet."


def _translate(message: str, field: str | None) -> tuple[str | None, str]:
    text = message.removeprefix("Value error, ")
    for pattern, target, dutch in _MESSAGES:
        found = pattern.search(text)
        if found:
            return target or field, dutch(found)
    return field, "Deze waarde klopt niet."


_PAGE_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"a match cannot go from (\w+) to (\w+)"),
        lambda m: (
            f"Deze match kan niet van “{MATCH_STATUS_NL.get(m[1].split('.')[-1], m[1])}” naar "
            f"“{MATCH_STATUS_NL.get(m[2], m[2])}”."
        ),
    ),
    (
        re.compile(r"has not recorded consent"),
        lambda m: "De coach heeft nog geen toestemming vastgelegd om gegevens met werkgevers te delen.",
    ),
    (re.compile(r"last active admin"), lambda m: "De laatste actieve beheerder kan niet worden uitgeschakeld."),
    (re.compile(r"employer still has vacancies"), lambda m: "Deze werkgever heeft nog vacatures."),
    (
        re.compile(r"not in the index yet"),
        lambda m: "Dit profiel wordt nog verwerkt; probeer het over enkele seconden opnieuw.",
    ),
    (re.compile(r"cannot move a match to"), lambda m: "Deze stap hoort bij een andere rol."),
    (
        re.compile(r"CSRF"),
        lambda m: (
            "Dit formulier is verlopen of komt niet van deze pagina (CSRF). Laad de pagina opnieuw en probeer "
            "het nog eens."
        ),
    ),
    (re.compile(r"deze rol ontvangt geen e-mail"), lambda m: "Deze rol ontvangt geen e-mail met matches."),
    (re.compile(r"only the candidate's own coach"), lambda m: "Alleen de eigen coach van de cliënt mag dit doen."),
    (re.compile(r"this needs the role"), lambda m: "Dit hoort bij een andere rol."),
    (
        re.compile(r"own gebied only|of this (?:vacancy|employer)'s gebied"),
        lambda m: "Dit mag alleen de werkgeversadviseur van het gebied.",
    ),
]
_PAGE_DEFAULT = {
    403: "Je rol mag dit niet doen of zien.",
    409: "Dat kan nu niet: de gegevens zijn intussen veranderd of deze stap is niet toegestaan.",
    422: "Een waarde in het adres of formulier klopt niet.",
    503: "werkmatch is even niet bereikbaar. Probeer het over enkele seconden opnieuw.",
}


def detail_nl(status: int, detail: str) -> str:
    """What an error page says: the service's reason in Dutch where it is known, else a sentence per status."""
    for pattern, dutch in _PAGE_MESSAGES:
        found = pattern.search(detail)
        if found:
            return dutch(found)
    _, text = _translate(detail, None)
    if text != UNKNOWN:
        return text
    return _PAGE_DEFAULT.get(status, "Er ging iets mis. Probeer het opnieuw.")


def _field(field: str | None) -> str:
    return FORM_FIELD.get(field or "", field or "")


def form_errors_nl(exc: ValidationError | ServiceError | ValueError) -> dict[str, str]:
    """Field (as the form names it, or ``""`` for the form as a whole) → one Dutch sentence."""
    if isinstance(exc, ValidationError):
        return errors_nl(exc.errors())
    field, text = _translate(exc.detail, exc.field) if isinstance(exc, ServiceError) else _translate(str(exc), None)
    return {_field(field): text}


def errors_nl(errors: Sequence[Any]) -> dict[str, str]:
    """Pydantic's errors (of a form, or of a page's address: ``query``/``path`` locations) in Dutch, per field;
    the first error of a field is its sentence."""
    out: dict[str, str] = {}
    for e in errors:
        loc = [str(x) for x in e["loc"] if not isinstance(x, int) and x not in ("body", "query", "path")]
        field = loc[0] if loc else None
        if e["type"] == "value_error":
            field, text = _translate(e["msg"], field)
        elif e["type"] == "string_pattern_mismatch" and field in SHAPES:
            text = SHAPES[field]
        else:
            text = _by_type(e)
        out.setdefault(_field(field), text)
    return out


def summary_nl(errors: dict[str, str]) -> list[str]:
    """The alert above a form: each problem with the field it is about."""
    return [f"{FIELDS_NL.get(field, 'Formulier')}: {text}" if field else text for field, text in errors.items()]
