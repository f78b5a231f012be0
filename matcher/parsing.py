"""Understand Dutch job text: a pasted vacancy (or a coach's scan notes) -> suggested, ESCO-coded fields.

Plain data in, suggestions out: every field says where it came from (the sentence), and nothing here saves
anything; a person accepts or edits each suggestion. Conditions (hours, licence, education, start date, contract,
kind of place) are read with rules written for the way Dutch job sites write them; occupations and skills are
found with the taxonomy's normaliser (the tuned model plus TF-IDF), on the title and on the phrases of each
sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from matcher.enums import ContractType, EducationLevel, OfferType, WorkConstraint

MAX_TEXT = 20_000
PER_SENTENCE = 2
ENGLISH_THRESHOLD = 0.65
"""Dense cosine a Dutch phrase needs to an English-only ESCO skill label (12 probes: right at 0.65 and above)."""
CONDITION_FIELDS = ("hours", "driving_licence", "education_level", "start_date", "contract_type", "offer_type")
MONTHS = {
    "januari": 1,
    "februari": 2,
    "maart": 3,
    "april": 4,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "augustus": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}


class Hit(Protocol):
    """A concept found by the normaliser."""

    @property
    def uri(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def score(self) -> float: ...


class Searcher(Protocol):
    """The taxonomy's normaliser for one kind of concept."""

    def search(self, queries: Sequence[str], top: int = 5) -> Sequence[Sequence[Hit]]: ...


@dataclass(frozen=True)
class Suggestion:
    """A suggested concept, with the sentence it came from."""

    label: str
    uri: str | None
    score: float
    sentence: str


@dataclass
class ParsedText:
    """What a text suggests; empty fields: nothing found."""

    title: str = ""
    occupations: list[Suggestion] = field(default_factory=list)
    required_skills: list[Suggestion] = field(default_factory=list)
    nice_skills: list[Suggestion] = field(default_factory=list)
    hours_min: int | None = None
    hours_max: int | None = None
    driving_licence: str | None = None
    education_level: EducationLevel | None = None
    start_date: dt.date | None = None
    contract_type: ContractType | None = None
    offer_type: OfferType | None = None
    constraints: list[WorkConstraint] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    """The sentence each condition was read from, by field name."""


# --------------------------------------------------------------------------------------------- sentences
_BULLET = re.compile(r"^\s*(?:[-•*·▪►✓]|\d+[.)])\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý0-9•\-*])")


def sentences(text: str) -> list[str]:
    """Lines and sentences, bullets stripped, blank ones dropped (in order)."""
    out: list[str] = []
    for line in text[:MAX_TEXT].splitlines():
        line = _BULLET.sub("", line).strip()
        if line:
            out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


# ---------------------------------------------------------------------------------------------- conditions
_NUM = r"(\d{1,2})"
_HOURS_RANGE = re.compile(_NUM + r"\s*(?:-|–|tot|à|a|t/m)\s*" + _NUM + r"\s*(?:uur|u\.?)\b", re.I)
_HOURS_ONE = re.compile(_NUM + r"\s*(?:uur|u\.?)\s*(?:per|p\.?\s*/?\s*|in de)\s*(?:week|wk)\b", re.I)
_HOURS_MAX = re.compile(r"(?:maximaal|max\.?|tot)\s*" + _NUM + r"\s*uur", re.I)
_HOURS_MIN = re.compile(r"(?:minimaal|min\.?|vanaf)\s*" + _NUM + r"\s*uur", re.I)
_FULLTIME = re.compile(r"\bfull[- ]?time\b|\bvoltijd", re.I)
_PARTTIME = re.compile(r"\bpart[- ]?time\b|\bdeeltijd", re.I)
_LICENCE = re.compile(r"rijbewijs\s*(?:[:\-]\s*)?(BE|CE|DE|AM|[ABCDT])\b|\b(BE|CE|DE|C|D)[- ]rijbewijs", re.I)
_LICENCE_ANY = re.compile(r"\brijbewijs\b", re.I)
_NO_LICENCE = re.compile(r"(?:geen|zonder)\s+rijbewijs|rijbewijs\s+(?:is\s+)?niet\s+nodig", re.I)
_EDU = [
    (re.compile(r"\bwo\b|universit|\bmaster\b", re.I), EducationLevel.wo),
    (re.compile(r"\bhbo\b|\bbachelor\b", re.I), EducationLevel.hbo),
    (re.compile(r"\bmbo[- ]?(?:niveau\s*)?4\b|mbo\s*4|niveau\s*4\b", re.I), EducationLevel.mbo4),
    (re.compile(r"\bmbo[- ]?(?:niveau\s*)?3\b|niveau\s*3\b", re.I), EducationLevel.mbo3),
    (re.compile(r"\bmbo[- ]?(?:niveau\s*)?2\b|niveau\s*2\b|startkwalificatie", re.I), EducationLevel.mbo2),
    (re.compile(r"\bmbo[- ]?(?:niveau\s*)?1\b|entree(?:opleiding)?\b|niveau\s*1\b", re.I), EducationLevel.mbo1),
    (re.compile(r"\bvmbo\b|mavo\b", re.I), EducationLevel.vmbo),
]
_NO_EDU = re.compile(
    r"geen\s+(?:diploma|opleiding|ervaring\s+of\s+diploma)|diploma\s+(?:is\s+)?niet\s+(?:nodig|vereist)", re.I
)
_EDU_CONTEXT = re.compile(
    r"opleiding|diploma|niveau|mbo|hbo|wo\b|vmbo|mavo|bachelor|master|denkniveau|werkniveau", re.I
)
_START_NOW = re.compile(
    r"\bper\s+direct\b|\bzo\s+snel\s+mogelijk\b|\bdirect\s+(?:beginnen|starten|aan\s+de\s+slag)", re.I
)
_START_DATE = re.compile(
    r"(?:per|vanaf|startdatum:?|start(?:en)?\s+op|ingangsdatum:?|begin(?:nen)?\s+op)\s+"
    r"(\d{1,2})[-/ ](\d{1,2}|" + "|".join(MONTHS) + r")(?:[-/ ](\d{4}))?",
    re.I,
)
_CONTRACT = [
    (re.compile(r"uitzend|via\s+(?:een\s+)?uitzendbureau|detacher", re.I), ContractType.agency),
    (re.compile(r"oproep|nul[- ]?uren|min[- ]?max", re.I), ContractType.on_call),
    (
        re.compile(
            r"(?<!on)bepaalde\s+tijd|tijdelijk|jaarcontract|contract\s+voor\s+\d+\s+maanden|seizoen|uitzicht\s+op", re.I
        ),
        ContractType.temporary,
    ),
    (
        re.compile(r"onbepaalde\s+tijd|vast\s+(?:contract|dienstverband)|vaste\s+(?:baan|aanstelling|dienst)", re.I),
        ContractType.permanent,
    ),
]
_OFFER = [
    (re.compile(r"werkervaringsplaats|werkervaringsplek|proefplaatsing", re.I), OfferType.work_experience),
    (re.compile(r"\bbbl\b|leerwerk|leerbaan|werken\s+en\s+leren|leren\s+en\s+werken", re.I), OfferType.learning_job),
    (re.compile(r"vrijwillig|participatieplaats", re.I), OfferType.participation),
]
_NICE = re.compile(
    r"\bpr[eé]\b|is\s+een\s+(?:plus|pr[eé])|pluspunt|bij\s+voorkeur|mooi\s+meegenomen|strekt\s+tot\s+aanbeveling|"
    r"zou\s+mooi\s+zijn|geen\s+vereiste|niet\s+verplicht|handig\s+als",
    re.I,
)
_CONSTRAINTS = [
    (re.compile(r"geen\s+nacht(?:dienst|werk|en)|niet\s+'?s\s*nachts", re.I), WorkConstraint.no_night_shifts),
    (re.compile(r"geen\s+avond(?:dienst|werk|en)|niet\s+'?s\s*avonds", re.I), WorkConstraint.no_evening_shifts),
    (re.compile(r"geen\s+weekend|niet\s+in\s+het\s+weekend", re.I), WorkConstraint.no_weekends),
    (
        re.compile(r"(?:geen|niet)\s+(?:zwaar\s+)?(?:til|zwaar)|rugklachten|niet\s+zwaar\s+tillen", re.I),
        WorkConstraint.no_heavy_lifting,
    ),
]


def _hours(text: str) -> tuple[int | None, int | None]:
    m = _HOURS_RANGE.search(text)
    if m:
        lo, hi = sorted((int(m.group(1)), int(m.group(2))))
        if 0 < hi <= 60:
            return lo, hi
    m = _HOURS_ONE.search(text)
    if m and 0 < int(m.group(1)) <= 60:
        n = int(m.group(1))
        lo_m, hi_m = _HOURS_MIN.search(text), _HOURS_MAX.search(text)
        if hi_m and not lo_m:
            return 0, int(hi_m.group(1))
        if lo_m and not hi_m:
            return int(lo_m.group(1)), max(int(lo_m.group(1)), 40)
        return n, n
    if _FULLTIME.search(text):
        return 36, 40
    return None, None


def _date(day: str, month: str, year: str | None, today: dt.date) -> dt.date | None:
    try:
        mon = int(month) if month.isdigit() else MONTHS[month.lower()]
        when = dt.date(int(year) if year else today.year, mon, int(day))
    except (ValueError, KeyError):
        return None
    if year is None and when < today:
        when = when.replace(year=today.year + 1)
    return when


def conditions(lines: Sequence[str], *, today: dt.date, parsed: ParsedText) -> None:
    """Read hours, licence, education, start date, contract and kind of place into ``parsed`` (first mention)."""
    for s in lines:
        if parsed.hours_max is None:
            lo, hi = _hours(s)
            if hi is not None:
                parsed.hours_min, parsed.hours_max = lo, hi
                parsed.evidence["hours"] = s
            elif _PARTTIME.search(s) and "hours" not in parsed.evidence:
                parsed.evidence["hours"] = s  # part-time without a number: a person fills in the hours
        if parsed.driving_licence is None and not _NO_LICENCE.search(s):
            m = _LICENCE.search(s)
            if m or _LICENCE_ANY.search(s):
                parsed.driving_licence = (m.group(1) or m.group(2)).upper() if m else "B"
                parsed.evidence["driving_licence"] = s
        if parsed.education_level is None:
            if _NO_EDU.search(s):
                parsed.education_level = EducationLevel.none
                parsed.evidence["education_level"] = s
            elif _EDU_CONTEXT.search(s):
                level = next((lvl for rx, lvl in _EDU if rx.search(s)), None)
                if level is not None:
                    parsed.education_level = level
                    parsed.evidence["education_level"] = s
        if parsed.start_date is None:
            m = _START_DATE.search(s)
            when = _date(m.group(1), m.group(2), m.group(3), today) if m else None
            if when is None and _START_NOW.search(s):
                when = today
            if when is not None:
                parsed.start_date = when
                parsed.evidence["start_date"] = s
        if parsed.contract_type is None:
            kind = next((c for rx, c in _CONTRACT if rx.search(s)), None)
            if kind is not None:
                parsed.contract_type = kind
                parsed.evidence["contract_type"] = s
        if parsed.offer_type is None:
            offer = next((o for rx, o in _OFFER if rx.search(s)), None)
            if offer is not None:
                parsed.offer_type = offer
                parsed.evidence["offer_type"] = s
        for rx, constraint in _CONSTRAINTS:
            if constraint not in parsed.constraints and rx.search(s):
                parsed.constraints.append(constraint)


# ---------------------------------------------------------------------------------------------- title
_GENDER_MARK = re.compile(r"\(\s*[mvxh]\s*/\s*[mvxh](?:\s*/\s*[mvxh])?\s*\)", re.I)
_TITLE_NOISE = re.compile(
    r"\b(?:gezocht|vacature|gevraagd|per direct|fulltime|parttime|full[- ]time|part[- ]time|allround|ervaren|"
    r"junior|medior|senior|zzp|bbl|\d{1,2}\s*(?:[-–]|tot|à)\s*\d{1,2}\s*uur|\d{1,2}\s*uur)\b|[:!|]",
    re.I,
)
_TITLE_HOURS = re.compile(r"\b(\d{1,2})\s*uur\b", re.I)
_VERB_START = re.compile(r"^(?:wij|we|ben|heb|kun|wil|jij|je|ons|onze|als|in|bij|voor|de|het|een)\b", re.I)


def clean_title(title: str) -> str:
    """A job title without gender marks and job-site noise (``(m/v/x)``, ``gezocht``, ``32 uur``, ``allround``)."""
    t = _GENDER_MARK.sub(" ", title)
    t = _TITLE_NOISE.sub(" ", t)
    t = re.sub(r"[\s,;/-]+$", "", re.sub(r"\s{2,}", " ", t)).strip(" -–,")
    return t or title.strip()


def guess_title(lines: Sequence[str]) -> str:
    """The title: the first short line that reads like one (not a sentence)."""
    for s in lines[:4]:
        words = s.split()
        if 1 <= len(words) <= 8 and not s.endswith((".", "?")) and not _VERB_START.match(s):
            return s
    return lines[0][:120] if lines else ""


# ---------------------------------------------------------------------------------------------- skills
_LEAD_IN = re.compile(
    r"^(?:je\s+(?:hebt|bent|kunt|kan|beschikt\s+over|houdt\s+van|vindt\s+het\s+leuk\s+om)|jij\s+(?:hebt|bent|kunt)|"
    r"wij\s+vragen|we\s+vragen|wat\s+vragen\s+wij|wat\s+breng\s+je\s+mee|ervaring\s+(?:met|in)|kennis\s+van|"
    r"affiniteit\s+met|in\s+het\s+bezit\s+van|goede?|uitstekende?|aantoonbare?|enige|basis|je\s+taken\s+zijn|"
    r"taken:?|werkzaamheden:?|je\s+gaat|jouw\s+taken|onder\s+andere|o\.a\.|zoals)\s+",
    re.I,
)
_SPLIT = re.compile(r"\s*(?:,|;|:|\(|\)|/|\+|\s[-–]\s)\s*")
_JOIN = re.compile(r"\s+(?:en|of|met|voor|bij|als)\s+", re.I)
_STOP = {
    "je",
    "jij",
    "wij",
    "we",
    "de",
    "het",
    "een",
    "van",
    "in",
    "op",
    "aan",
    "te",
    "om",
    "bent",
    "hebt",
    "is",
    "zijn",
}
_HEADINGS = re.compile(
    r"^(?:wat\s+(?:ga\s+je\s+doen|vragen\s+wij|bieden\s+wij|breng\s+je\s+mee)|functie(?:omschrijving|eisen)?|"
    r"profiel|taken|werkzaamheden|wie\s+(?:zoeken\s+wij|ben\s+jij)|jouw\s+profiel|arbeidsvoorwaarden|wij\s+bieden|"
    r"over\s+(?:ons|het\s+bedrijf))\b.*:?$",
    re.I,
)
_OFFER_SECTION = re.compile(
    r"^(?:wat\s+bieden\s+wij|wij\s+bieden|arbeidsvoorwaarden|over\s+(?:ons|het\s+bedrijf))", re.I
)


def _clean_phrase(part: str) -> str | None:
    part = part.strip(" .!?-–\"'")
    for _ in range(3):
        part = _LEAD_IN.sub("", part).strip()
    words = [w for w in part.split() if w.lower() not in _STOP] if len(part.split()) > 2 else part.split()
    if not words or len(words) > 7:
        return None
    if len(words) == 1 and (len(words[0]) < 12 or words[0].lower().endswith("en")):
        return None  # one verb or short word ("controleren") names no skill; a compound ("heftruckcertificaat") may
    return " ".join(words)


class DenseSearch:
    """A normaliser searched by the model alone (for the English-only skills: character n-grams of English labels
    say nothing about Dutch text)."""

    def __init__(self, normalizer: Any) -> None:
        self.normalizer = normalizer

    def search(self, queries: Sequence[str], top: int = 5) -> Sequence[Sequence[Hit]]:
        return self.normalizer.search(queries, top=top, mode="dense")  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Scaled:
    """An English-only skill found by the dense search, with its score on the Dutch searcher's scale (the
    threshold): it counts as found, below any Dutch skill the same phrase names."""

    hit: Hit
    floor: float

    @property
    def uri(self) -> str:
        return self.hit.uri

    @property
    def label(self) -> str:
        return self.hit.label

    @property
    def score(self) -> float:
        return self.floor + (1 - self.floor) * max(0.0, (self.hit.score - ENGLISH_THRESHOLD) / (1 - ENGLISH_THRESHOLD))


def phrases(sentence: str) -> list[str]:
    """The short phrases of a sentence a skill could be named by: each part between commas, and its halves around
    'en', 'of', 'met' (both: "laden en lossen" is one skill, "heftruck en reachtruck" two)."""
    out: list[str] = []
    for part in _SPLIT.split(sentence):
        for piece in [part, *(_JOIN.split(part) if _JOIN.search(part) else [])]:
            phrase = _clean_phrase(piece)
            if phrase:
                out.append(phrase)
    return list(dict.fromkeys(out))


def spot_skills(
    lines: Sequence[str],
    skills: Searcher,
    *,
    threshold: float,
    skip: set[int] | None = None,
    english: Searcher | None = None,
    english_threshold: float = ENGLISH_THRESHOLD,
) -> list[tuple[Suggestion, bool]]:
    """ESCO skills named in the sentences (best phrase per skill), each with whether it is only wanted (nice).
    ``english``: the skills with only an English label, tried (dense, stricter) for a phrase no Dutch one fits."""
    skip = skip or set()
    queries: list[tuple[int, str]] = [(i, p) for i, s in enumerate(lines) if i not in skip for p in phrases(s)]
    if not queries:
        return []
    hits = [list(h) for h in skills.search([p for _, p in queries], top=1)]
    if english is not None:
        missed = [k for k, found in enumerate(hits) if not found or found[0].score < threshold]
        if missed:
            for k, found in zip(missed, english.search([queries[k][1] for k in missed], top=1), strict=True):
                if found and found[0].score >= english_threshold:
                    hits[k] = [_Scaled(found[0], threshold)]
    per_line: dict[int, dict[str, Suggestion]] = {}
    for (i, _phrase), found in zip(queries, hits, strict=True):
        if not found or found[0].score < threshold:
            continue
        h = found[0]
        here = per_line.setdefault(i, {})
        if h.uri not in here or here[h.uri].score < h.score:
            here[h.uri] = Suggestion(h.label, h.uri, round(float(h.score), 4), lines[i])
    best: dict[str, tuple[Suggestion, bool]] = {}
    for i, found_here in per_line.items():  # a sentence names a skill or two, not five
        for s in sorted(found_here.values(), key=lambda x: -x.score)[:PER_SENTENCE]:
            if s.uri not in best or best[s.uri][0].score < s.score:
                best[str(s.uri)] = (s, bool(_NICE.search(lines[i])))
    return sorted(best.values(), key=lambda x: -x[0].score)


def occupation_suggestions(occupations: Searcher, title: str, *, top: int = 3) -> list[Suggestion]:
    """The best ESCO occupations for a job title: through the Dutch title normalisation (``titles``) where the
    searcher scores concepts, else its plain search."""
    from matcher.titles import title_scores

    concepts = getattr(occupations, "concepts", None)
    if concepts is None or not hasattr(occupations, "scores"):
        return [
            Suggestion(h.label, h.uri, round(float(h.score), 4), title) for h in occupations.search([title], top=top)[0]
        ]
    row = title_scores(occupations, [title])[0]  # type: ignore[arg-type]
    best = sorted(range(len(row)), key=lambda i: (-row[i], concepts[i].uri))[:top]
    return [Suggestion(concepts[i].preferred, concepts[i].uri, round(float(row[i]), 4), title) for i in best]


def parse_vacancy(
    text: str,
    *,
    occupations: Searcher | None,
    skills: Searcher | None,
    today: dt.date,
    title: str | None = None,
    skill_threshold: float = 0.33,
    max_skills: int = 15,
    english_skills: Searcher | None = None,
) -> ParsedText:
    """Suggestions for a pasted vacancy text (``title``: the adviser's own title, if any)."""
    lines = sentences(text)
    raw_title = title or guess_title(lines)
    parsed = ParsedText(title=clean_title(raw_title))
    conditions(lines, today=today, parsed=parsed)
    m = _TITLE_HOURS.search(raw_title)
    if parsed.hours_max is None and m and 0 < int(m.group(1)) <= 60:  # "Magazijnmedewerker 40 uur"
        parsed.hours_min = parsed.hours_max = int(m.group(1))
        parsed.evidence["hours"] = raw_title
    if occupations is not None and parsed.title:
        parsed.occupations = occupation_suggestions(occupations, raw_title, top=3)
    if skills is not None:
        in_offer, skip = False, set()
        for i, s in enumerate(lines):  # what the employer offers (salary, pension) names no skill of the job
            if _HEADINGS.match(s):
                in_offer = bool(_OFFER_SECTION.match(s))
                skip.add(i)
            elif in_offer:
                skip.add(i)
        if lines and lines[0] == raw_title:
            skip.add(0)
        conditions_read = {parsed.evidence[f] for f in CONDITION_FIELDS if f in parsed.evidence}
        # "rijbewijs B" (or "geen rijbewijs nodig") is a condition, no skill
        skip |= {i for i, s in enumerate(lines) if s in conditions_read or _LICENCE_ANY.search(s)}
        spotted = spot_skills(lines, skills, threshold=skill_threshold, skip=skip, english=english_skills)
        for sug, nice in spotted[:max_skills]:
            (parsed.nice_skills if nice else parsed.required_skills).append(sug)
    return parsed


def parse_scan_notes(
    text: str, *, occupations: Searcher | None, skills: Searcher | None, today: dt.date, skill_threshold: float = 0.33
) -> ParsedText:
    """Suggestions from a coach's notes of an arbeidsmarktwaardescan: desired occupations (from sentences that say
    what the client wants), skills, hours and work constraints. Nothing here is kept or used for matching; the
    coach accepts what fits into the scan's own fields."""
    lines = sentences(text)
    parsed = ParsedText()
    conditions(lines, today=today, parsed=parsed)
    want = re.compile(
        r"\b(?:wil|zou\s+graag|wens|droom|interesse\s+in|zoekt\s+werk\s+als|lijkt\s+(?:het\s+)?leuk)", re.I
    )
    if occupations is not None:
        wanted = [(i, p) for i, s in enumerate(lines) if want.search(s) for p in phrases(s)]
        if wanted:
            hits = occupations.search([p for _, p in wanted], top=1)
            seen: dict[str, Suggestion] = {}
            for (i, _p), found in zip(wanted, hits, strict=True):
                if found and found[0].score >= skill_threshold:
                    h = found[0]
                    if h.uri not in seen or seen[h.uri].score < h.score:
                        seen[h.uri] = Suggestion(h.label, h.uri, round(float(h.score), 4), lines[i])
            parsed.occupations = sorted(seen.values(), key=lambda s: -s.score)[:5]
    if skills is not None:
        parsed.required_skills = [s for s, _ in spot_skills(lines, skills, threshold=skill_threshold)][:15]
    return parsed
