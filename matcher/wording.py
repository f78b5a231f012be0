"""Flags discriminatory wording in vacancy texts, with a reason, for the adviser to fix.

The check advises; the adviser decides. It looks for age limits ("max 30 jaar", "jong team"),
titles in only one gender without (m/v/x), demands on nationality or mother tongue beyond what the
job needs, and questions about health, family or religion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One flagged phrase."""

    code: str
    phrase: str
    reason: str


MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
_NEUTRAL_MARK = re.compile(
    r"\(\s*(m\s*/\s*v|v\s*/\s*m|m\s*/\s*v\s*/\s*x|m\s*/\s*v\s*/\s*d|x\s*/\s*v\s*/\s*m|h\s*/\s*v)[^()]{0,40}\)", re.I
)
_GENDERED_TITLE = re.compile(
    r"\b(serveerster|verkoopster|schoonmaakster|caissi[eè]re|gastvrouw|gastheer|hostess|kapster|receptioniste|"
    r"secretaresse|verpleegster|huishoudster|medewerkster|chauffeuse|kokkin|winkeljuffrouw|werkster|"
    r"(?:jonge?\s+)?(?:man|vrouw|dame|heer|jongen|meisje|meid)(?:en)?)\b",
    re.I,
)
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "age",
        re.compile(r"\b(?:maximaal|max\.?|hooguit|niet ouder dan|jonger dan|tot)\s*\d{2}\s*jaar\b", re.I),
        "Een leeftijdsgrens is leeftijdsdiscriminatie (Wet gelijke behandeling op grond van leeftijd); noem wat het werk vraagt.",
    ),
    (
        "age",
        re.compile(r"\b(?:tussen\s*)?\d{2}\s*(?:-|–|tot|en)\s*\d{2}\s*jaar\b", re.I),
        "Een leeftijdsbereik sluit mensen uit op leeftijd; noem wat het werk vraagt.",
    ),
    (
        "age",
        re.compile(r"\bjong(?:e|\s+en\s+dynamisch)?\s+(?:team|collega'?s?|mensen|medewerkers?|talent)\b", re.I),
        "'Jong' als eis of wervingsargument schrikt oudere kandidaten af; beschrijf het team op een andere manier.",
    ),
    (
        "age",
        re.compile(r"\b(?:schoolverlater|pas afgestudeerd|net van school)\b", re.I),
        "Werven op 'schoolverlater' of 'pas afgestudeerd' werkt als leeftijdseis; noem het gevraagde niveau.",
    ),
    (
        "nationality",
        re.compile(
            r"\b(?:nederlandse\s+nationaliteit|alleen\s+nederlanders|geen\s+buitenlanders|"
            r"autochto(?:on|ne)|nederlandse\s+afkomst)\b",
            re.I,
        ),
        "Eisen aan nationaliteit of afkomst zijn niet toegestaan; vraag alleen wat het werk nodig heeft.",
    ),
    (
        "language",
        re.compile(
            r"\b(?:nederlands\s+als\s+moedertaal|moedertaal\s+nederlands|native\s+speaker|"
            r"moedertaalspreker|accentloos)\b",
            re.I,
        ),
        "Moedertaal is geen functie-eis; noem het taalniveau dat het werk vraagt (bijvoorbeeld Nederlands B1).",
    ),
    (
        "health",
        re.compile(
            r"\b(?:goede\s+gezondheid|kerngezond|geen\s+(?:beperking|handicap|ziekteverleden|chronische\s+ziekte)|"
            r"zonder\s+beperking)\b",
            re.I,
        ),
        "Vragen naar gezondheid of beperking zijn niet toegestaan; beschrijf de fysieke taken van het werk.",
    ),
    (
        "family",
        re.compile(r"\b(?:niet\s+zwanger|geen\s+kinderen|ongehuwd|zonder\s+kinderen|kinderwens)\b", re.I),
        "Eisen aan gezinssituatie of zwangerschap zijn discriminatie; laat ze weg.",
    ),
    (
        "religion",
        re.compile(r"\b(?:geen\s+hoofddoek|hoofddoekje|christelijke\s+achtergrond\s+vereist)\b", re.I),
        "Eisen aan godsdienst of kleding die daarmee samenhangt zijn niet toegestaan (tenzij de werkgever een "
        "wettelijke uitzondering heeft); laat ze weg.",
    ),
]


def check_vacancy_text(title: str, description: str) -> list[Finding]:
    """Findings in a vacancy's title and description, in order of appearance (long input is checked up to a
    cap, so the check takes linear time whatever is typed)."""
    title, description = title[:MAX_TITLE], description[:MAX_DESCRIPTION]
    findings: list[Finding] = []
    if not _NEUTRAL_MARK.search(title):
        m = _GENDERED_TITLE.search(title)
        if m:
            findings.append(
                Finding(
                    "gender", m.group(0), "De titel noemt één geslacht; gebruik een neutrale titel of voeg (m/v/x) toe."
                )
            )
    text = f"{title}\n{description}"
    seen: set[tuple[str, str]] = set()
    for code, pattern, reason in _RULES:
        for m in pattern.finditer(text):
            key = (code, m.group(0).lower())
            if key not in seen:
                seen.add(key)
                findings.append(Finding(code, m.group(0), reason))
    if re.search(r"\bwij\s+zoeken\s+een\s+(?:man|vrouw|dame|heer)\b", description, re.I):
        findings.append(
            Finding("gender", "wij zoeken een man/vrouw", "De tekst vraagt om één geslacht; richt je op iedereen.")
        )
    return findings
