"""Pydantic schemas (``XCreate``/``XUpdate``/``XRead``) used by the API, the importer and the exporter."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from data import load_json
from matcher.enums import (
    CandidateStatus,
    ContractType,
    DutchLevel,
    EducationLevel,
    OfferType,
    TravelMode,
    VacancyStatus,
    WorkCondition,
    WorkConstraint,
)
from models.enums import MatchStatus, Role, SubscriptionKind

_POSTCODES = sorted(
    pc for a in load_json("areas.json")["areas"] for w in a["wijken"] for pc, _lat, _lon in w["postcodes"]
)


SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
"""The characters Python's ``str.strip()`` removes, spelled out: ``\\s`` differs between regex engines."""


Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=f"^[^@\\x00{SPACE}]+@[^@\\x00{SPACE}]+$",
        examples=["coach.oost@demo.werkmatch.nl"],
        description="an e-mail address (one @, no spaces); whether it is known is checked where it is used",
    ),
]


def _gemeente_postcode(value: str) -> str:
    if value not in _POSTCODES:
        raise ValueError(f"postcode {value} is not a postcode of the gemeente")
    return value


Postcode4 = Annotated[
    str,
    Field(json_schema_extra={"enum": _POSTCODES}, examples=["9733"], description="a 4-digit postcode of the gemeente"),
    AfterValidator(_gemeente_postcode),
]
AreaCode = enum.StrEnum(  # type: ignore[misc]
    "AreaCode", {a["code"].replace("-", "_"): a["code"] for a in load_json("areas.json")["areas"]}
)
"""The gebieden of the gemeente (``data/areas.json``): every other code is refused by the schema itself."""


def _whole_number(value: Any, info: ValidationInfo) -> Any:
    """JSON numbers without a fraction (``3`` and ``3.0``); never a string or a boolean, except when importing
    a file (``context={"lenient": True}``: a CSV cell is text)."""
    if isinstance(value, str) and (info.context or {}).get("lenient") and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Input should be a whole number")
        return int(value)
    return value


def _date_text(value: Any) -> Any:
    """A date is written as text (``2026-11-24``), never as a number of seconds."""
    if isinstance(value, bool | int | float):
        raise ValueError("Input should be a date written as YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_date_text)]


def _moment_text(value: Any) -> Any:
    """A moment is written as ISO 8601 text (``2026-11-24T12:00:00Z``), never as a number of seconds."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    ):
        raise ValueError("Input should be a date and time written as ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)")
    return value


Moment = Annotated[dt.datetime, BeforeValidator(_moment_text)]
_WHOLE = BeforeValidator(_whole_number)
# Bounds come before the validator, so that they stay JSON Schema bounds inside a union (``X | None``).
WholeNumber = Annotated[int, _WHOLE]
Hours = Annotated[int, Field(ge=0, le=60), _WHOLE]
LadderStep = Annotated[int, Field(ge=1, le=6, description="participatieladder step, 1 isolated … 6 paid work"), _WHOLE]
TravelMinutes = Annotated[int, Field(gt=0, le=300), _WHOLE]
Year = Annotated[int, Field(ge=1950, le=2100), _WHOLE]
RowId = Annotated[int, Field(ge=1, le=2_147_483_647), _WHOLE]
ExternalId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
LICENCES = {"AM", "A", "B", "BE", "C", "CE", "D", "DE", "T"}


def _licence_case(value: Any, info: ValidationInfo) -> Any:
    """Licence categories are upper case; a file being imported may write them in lower case."""
    if isinstance(value, str) and (info.context or {}).get("lenient"):
        return value.upper()
    return value


Licence = Annotated[Literal["AM", "A", "B", "BE", "C", "CE", "D", "DE", "T"], BeforeValidator(_licence_case)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


NO_NUL = "^[^\\x00]*$"
NONBLANK = f"^[^\\x00]*[^{SPACE}\\x00][^\\x00]*$"  # at least one character that is not white space


def _no_nul_in_schema(schema: dict[str, Any]) -> None:
    """Say in the schema what the validator enforces: text holds no NUL character."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and "pattern" not in node and "enum" not in node and "format" not in node:
                node["pattern"] = NONBLANK if node.get("minLength", 0) >= 1 else NO_NUL
            for key in ("items", "anyOf", "oneOf", "allOf"):
                if key in node:
                    visit(node[key])
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for prop in schema.get("properties", {}).values():
        visit(prop)


class Strict(BaseModel):
    """Base: unknown fields are errors, strings are stripped, text holds no NUL characters (PostgreSQL cannot
    store them); request schemas use strict booleans and numbers (``0`` is not ``false``, ``"1"`` not ``1``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_no_nul_in_schema)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text may not contain NUL characters")
        return value


class Concept(Strict):
    """A free-text label, optionally normalised to an ESCO concept URI."""

    label: str = Field(min_length=1, max_length=200, examples=["orderpicker"])
    uri: str | None = Field(default=None, max_length=200, pattern=r"^http://data\.europa\.eu/esco/[^\x00]*$")


class Experience(Strict):
    """One line of work history."""

    title: str = Field(min_length=1, max_length=200)
    years: StrictFloat = Field(ge=0, le=60)
    last_year: Year | None = None
    uri: str | None = Field(default=None, max_length=200)


class PersonalData(Strict):
    """Identifying details of a candidate; never used for matching, hidden from non-coaches."""

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=32)
    street: str | None = Field(default=None, max_length=200)
    postcode_full: str | None = Field(default=None, pattern=r"^[1-9][0-9]{3} ?[A-Z]{2}$")
    birth_date: Day | None = None


def _no_null_defaults(schema: dict[str, Any]) -> None:
    """A field that may be left out but not be null has no ``default: null`` in the schema."""
    _no_nul_in_schema(schema)
    for prop in schema.get("properties", {}).values():
        if prop.get("default", 0) is None and "anyOf" not in prop:
            del prop["default"]


class Patch(Strict):
    """A partial update: a field left out keeps its value; ``null`` is accepted only where the field may be
    empty (``NULLABLE``, documented as nullable), anywhere else it is a 422 naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_no_null_defaults)
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("may not be null (leave the field out to keep its value)")
        return value


def _check_hours(lo: int, hi: int) -> None:
    if lo > hi:
        raise ValueError(f"hours_min ({lo}) is more than hours_max ({hi})")


class CandidateFields(Strict):
    """The scan fields of a candidate (arbeidsmarktwaardescan)."""

    area: AreaCode = Field(description="gebied code", examples=["oost"])
    postcode: Postcode4
    coach_email: Email | None = None
    status: CandidateStatus = CandidateStatus.active
    desired_occupations: list[Concept] = Field(default_factory=list, max_length=20)
    skills: list[Concept] = Field(default_factory=list, max_length=100)
    experience: list[Experience] = Field(default_factory=list, max_length=50)
    education_level: EducationLevel = EducationLevel.none
    startkwalificatie: StrictBool = False
    languages: list[str] = Field(default_factory=list, max_length=20)
    dutch_level: DutchLevel | None = None
    driving_licences: list[Licence] = Field(default_factory=list, max_length=10)
    own_transport: StrictBool = False
    travel_mode: TravelMode = TravelMode.bike
    max_travel_km: StrictFloat | None = Field(default=None, gt=0, le=300)
    max_travel_minutes: TravelMinutes | None = None
    hours_min: Hours = 0
    hours_max: Hours = 40
    available_from: Day | None = None
    ladder_step: LadderStep
    jobcoach: StrictBool = False
    lks_eligible: StrictBool = False
    doelgroepregister: StrictBool = False
    constraints: list[WorkConstraint] = Field(default_factory=list)
    about: str = Field(default="", max_length=4000, description="wat kan en wil ik")

    @field_validator("driving_licences")
    @classmethod
    def _licences(cls, v: list[str]) -> list[str]:
        return sorted(set(v))

    @model_validator(mode="after")
    def _ranges(self) -> CandidateFields:
        _check_hours(self.hours_min, self.hours_max)
        return self


class CandidateCreate(CandidateFields):
    """A new candidate, as created by a coach or imported."""

    external_id: ExternalId = Field(description="pseudonymous client number")
    personal: PersonalData | None = None
    consent_to_share: StrictBool = False


class CandidateUpdate(Patch):
    """A partial update of a candidate's scan fields."""

    NULLABLE = frozenset({"available_from", "dutch_level", "max_travel_km", "max_travel_minutes"})

    area: AreaCode | SkipJsonSchema[None] = None
    postcode: Postcode4 | SkipJsonSchema[None] = None
    status: CandidateStatus | SkipJsonSchema[None] = None
    desired_occupations: Annotated[list[Concept], Field(max_length=20)] | SkipJsonSchema[None] = None
    skills: Annotated[list[Concept], Field(max_length=100)] | SkipJsonSchema[None] = None
    experience: Annotated[list[Experience], Field(max_length=50)] | SkipJsonSchema[None] = None
    education_level: EducationLevel | SkipJsonSchema[None] = None
    startkwalificatie: StrictBool | SkipJsonSchema[None] = None
    languages: Annotated[list[str], Field(max_length=20)] | SkipJsonSchema[None] = None
    dutch_level: DutchLevel | None = None
    driving_licences: Annotated[list[Licence], Field(max_length=10)] | SkipJsonSchema[None] = None
    own_transport: StrictBool | SkipJsonSchema[None] = None
    travel_mode: TravelMode | SkipJsonSchema[None] = None
    max_travel_km: StrictFloat | None = Field(default=None, gt=0, le=300)
    max_travel_minutes: TravelMinutes | None = None
    hours_min: Hours | SkipJsonSchema[None] = None
    hours_max: Hours | SkipJsonSchema[None] = None
    available_from: Day | None = None
    ladder_step: LadderStep | SkipJsonSchema[None] = None
    jobcoach: StrictBool | SkipJsonSchema[None] = None
    lks_eligible: StrictBool | SkipJsonSchema[None] = None
    doelgroepregister: StrictBool | SkipJsonSchema[None] = None
    constraints: list[WorkConstraint] | SkipJsonSchema[None] = None
    about: Annotated[str, Field(max_length=4000)] | SkipJsonSchema[None] = None
    personal: PersonalData | SkipJsonSchema[None] = None


class CandidateRead(CandidateFields):
    """A candidate in full, as their own coach sees them."""

    model_config = ConfigDict(extra="ignore")
    id: int
    external_id: str
    wijk: str | None = None
    personal: PersonalData | None = None
    consent_to_share: bool
    consent_recorded_at: dt.datetime | None = None
    vum_consent: bool = Field(default=False, description="the profile may be exchanged through VUM")
    vum_contact: bool = Field(default=False, description="...with the client's e-mail address and phone number")
    created_at: dt.datetime
    updated_at: dt.datetime


class EmployerCreate(Strict):
    """A new employer."""

    external_id: ExternalId
    name: str = Field(min_length=1, max_length=200)
    kvk_number: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    sector: str = Field(default="", max_length=100)
    area: AreaCode
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: Email | None = None
    contact_phone: str | None = Field(default=None, max_length=32)


class EmployerUpdate(Patch):
    """A partial update of an employer."""

    NULLABLE = frozenset({"contact_email", "contact_name", "contact_phone", "kvk_number"})

    name: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    kvk_number: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    sector: Annotated[str, Field(max_length=100)] | SkipJsonSchema[None] = None
    area: AreaCode | SkipJsonSchema[None] = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: Email | None = None
    contact_phone: str | None = Field(default=None, max_length=32)


class EmployerRead(EmployerCreate):
    """An employer as stored."""

    model_config = ConfigDict(extra="ignore")
    id: int


class VacancyFields(Strict):
    """What an employer offers and asks."""

    title: str = Field(min_length=1, max_length=200, examples=["Orderpicker (m/v/x)"])
    description: str = Field(default="", max_length=10000)
    area: AreaCode
    postcode: Postcode4
    owner_email: Email | None = None
    occupation: Concept | None = None
    required_skills: list[Concept] = Field(default_factory=list, max_length=50)
    nice_skills: list[Concept] = Field(default_factory=list, max_length=50)
    hours_min: Hours = 0
    hours_max: Hours = 40
    contract_type: ContractType = ContractType.none
    offer_type: OfferType = OfferType.paid_job
    education_level: EducationLevel = EducationLevel.none
    driving_licence: Licence | None = None
    lks_suitable: StrictBool = False
    banenafspraak: StrictBool = False
    work_conditions: list[WorkCondition] = Field(default_factory=list)
    start_date: Day | None = None
    closing_date: Day | None = None
    status: VacancyStatus = VacancyStatus.open

    @model_validator(mode="after")
    def _ranges(self) -> VacancyFields:
        _check_hours(self.hours_min, self.hours_max)
        if self.start_date and self.closing_date and self.closing_date < self.start_date:
            raise ValueError("closing_date is before start_date")
        return self


class VacancyCreate(VacancyFields):
    """A new vacancy; the employer is referenced by its external id (and created when given in full)."""

    external_id: ExternalId
    employer: EmployerCreate


class VacancyUpdate(Patch):
    """A partial update of a vacancy."""

    NULLABLE = frozenset({"closing_date", "driving_licence", "occupation", "start_date"})

    title: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    description: Annotated[str, Field(max_length=10000)] | SkipJsonSchema[None] = None
    occupation: Concept | None = None
    required_skills: Annotated[list[Concept], Field(max_length=50)] | SkipJsonSchema[None] = None
    nice_skills: Annotated[list[Concept], Field(max_length=50)] | SkipJsonSchema[None] = None
    hours_min: Hours | SkipJsonSchema[None] = None
    hours_max: Hours | SkipJsonSchema[None] = None
    postcode: Postcode4 | SkipJsonSchema[None] = None
    contract_type: ContractType | SkipJsonSchema[None] = None
    offer_type: OfferType | SkipJsonSchema[None] = None
    education_level: EducationLevel | SkipJsonSchema[None] = None
    driving_licence: Licence | None = None
    lks_suitable: StrictBool | SkipJsonSchema[None] = None
    banenafspraak: StrictBool | SkipJsonSchema[None] = None
    work_conditions: list[WorkCondition] | SkipJsonSchema[None] = None
    start_date: Day | None = None
    closing_date: Day | None = None
    status: VacancyStatus | SkipJsonSchema[None] = None


class VacancyRead(VacancyFields):
    """A vacancy as stored."""

    model_config = ConfigDict(extra="ignore")
    id: int
    external_id: str
    employer: EmployerRead
    vum_exchange: bool = Field(default=False, description="offered to other parties through VUM")
    workplace_postcode: str | None = Field(default=None, description="full postcode of the workplace (9999AA)")
    vum_source: str | None = Field(default=None, description="OIN of the party a vacancy from VUM came from")
    vum_id: str | None = Field(default=None, description="the vacancy's id at that party")
    created_at: dt.datetime
    updated_at: dt.datetime


class UserCreate(Strict):
    """A new user."""

    email: Email
    name: str = Field(min_length=1, max_length=200)
    role: Role
    area: AreaCode | None = None
    team_lead: StrictBool = Field(default=False, description="reads the team dashboard (no personal data)")


class UserRead(Strict):
    """A user."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)
    id: int
    email: str
    name: str
    role: Role
    area: str | None = None
    active: bool
    team_lead: bool = False


class WijkRead(Strict):
    """A wijk and its postcodes."""

    name: str
    postcodes: list[str]


class AreaRead(Strict):
    """A gebied with its wijken."""

    id: int
    code: str
    name: str
    wijken: list[WijkRead]


class MatchRead(Strict):
    """A match as stored."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)
    id: int
    candidate_id: int
    vacancy_id: int
    score: float
    components: dict[str, Any]
    explanation: dict[str, Any]
    status: MatchStatus
    status_reason: str | None = None


class SubscriptionRead(Strict):
    """A nightly e-mail subscription."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)
    id: int
    kind: SubscriptionKind
    active: bool
    min_score: float
    max_per_mail: int


class ExperienceAnonymous(Strict):
    """A line of work history without dates."""

    title: str
    years: float


class CandidateAnonymous(Strict):
    """What advisers, jobhunters and admins see before consent: no name, contact, client number,
    exact postcode, birth date, age, languages or free text."""

    id: int
    view: str = "anonymised"
    area: str
    wijk: str | None = None
    status: CandidateStatus
    desired_occupations: list[Concept]
    skills: list[Concept]
    experience: list[ExperienceAnonymous]
    education_level: EducationLevel
    startkwalificatie: bool
    dutch_level: DutchLevel | None = None
    driving_licences: list[str]
    travel_mode: TravelMode
    max_travel_km: float | None = None
    max_travel_minutes: int | None = None
    hours_min: int
    hours_max: int
    available_from: dt.date | None = None
    ladder_step: int
    constraints: list[WorkConstraint]
    consent_to_share: bool


class ReleasedContact(Strict):
    """What an employer contact needs of a candidate who consented: a name and a way to reach them."""

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None


class CandidateReleased(CandidateAnonymous):
    """The anonymised profile plus the contact details released after consent, to the people working on a
    match of the candidate (never in lists)."""

    view: str = "released"
    contact: ReleasedContact | None = None


class CandidateFull(CandidateRead):
    """A candidate in full (own coach, or after consent)."""

    view: str = "full"


class ConsentUpdate(Strict):
    """The coach records (or withdraws) the candidate's consent to share their details."""

    consent: StrictBool
    note: str | None = Field(default=None, max_length=500)


class VumConsentUpdate(Strict):
    """The coach records (or withdraws) the client's consent to exchange the profile through VUM."""

    consent: StrictBool
    contact_details: StrictBool = Field(
        default=False, description="the exchanged detail profile also carries the client's e-mail and phone"
    )
    note: str | None = Field(default=None, max_length=500)


class VumExchangeUpdate(Strict):
    """The adviser offers a vacancy through VUM (or stops offering it)."""

    exchange: StrictBool
    workplace_postcode: str | None = Field(
        default=None,
        pattern=r"^[1-9][0-9]{3} ?[A-Za-z]{2}$",
        description="full postcode of the workplace (VUM needs it); kept when left out",
    )


class RankedCandidate(Strict):
    """A candidate in a ranking, with the score and the explanation."""

    score: float
    eligible: bool
    components: dict[str, float | None]
    explanation: dict[str, Any]
    candidate: CandidateAnonymous | CandidateFull


class RankedVacancy(Strict):
    """A vacancy in a ranking."""

    score: float
    eligible: bool
    components: dict[str, float | None]
    explanation: dict[str, Any]
    vacancy: VacancyRead


class Page(Strict):
    """Pagination info."""

    total: int
    limit: int
    offset: int


class CandidatePage(Strict):
    """A page of candidates, each in the view the user is entitled to."""

    page: Page
    items: list[CandidateAnonymous | CandidateFull]


class VacancyPage(Strict):
    """A page of vacancies with their wording check."""

    page: Page
    items: list[VacancyChecked]


class RankedCandidates(Strict):
    """A page of ranked candidates."""

    vacancy_id: int
    page: Page
    items: list[RankedCandidate]


class RankedVacancies(Strict):
    """A page of ranked vacancies."""

    candidate_id: int
    page: Page
    items: list[RankedVacancy]


class CandidateHit(Strict):
    """A candidate found by free-text search."""

    score: float
    candidate: CandidateAnonymous | CandidateFull


class CandidateSearch(Strict):
    """Free-text search results over candidates."""

    query: str
    items: list[CandidateHit]


class VacancyHit(Strict):
    """A vacancy found by free-text search."""

    score: float
    vacancy: VacancyRead


class VacancySearch(Strict):
    """Free-text search results over open vacancies."""

    query: str
    items: list[VacancyHit]


class WordingFinding(Strict):
    """A phrase in a vacancy the adviser should reconsider."""

    code: str
    phrase: str
    reason: str


class VacancyChecked(VacancyRead):
    """A vacancy with the result of the discriminatory-wording check."""

    wording_findings: list[WordingFinding] = Field(default_factory=list)


class MatchCreate(Strict):
    """Save a suggested pairing so people can act on it."""

    candidate_id: RowId
    vacancy_id: RowId


class MatchStatusChange(Strict):
    """A person moves a match on; rejecting or withdrawing needs a reason."""

    status: MatchStatus
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _reason(self) -> MatchStatusChange:
        if self.status in (MatchStatus.rejected, MatchStatus.withdrawn) and not (self.reason or "").strip():
            raise ValueError("a reason is required to reject or withdraw a match")
        return self


class MatchEventRead(Strict):
    """One status change."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)
    from_status: str | None
    to_status: str
    actor_id: int | None
    reason: str | None
    at: dt.datetime


class MatchDetail(MatchRead):
    """A match with its history."""

    events: list[MatchEventRead] = Field(default_factory=list)
    model_version: str = ""
    index_version: str = ""


class FeedbackCreate(Strict):
    """Relevance feedback on a match."""

    relevant: StrictBool
    reason: str | None = Field(default=None, max_length=1000)


class SubscriptionUpdate(Strict):
    """Settings of a nightly e-mail subscription."""

    active: StrictBool = True
    min_score: StrictFloat = Field(default=60.0, ge=0, le=100)
    max_per_mail: Annotated[int, Field(ge=1, le=200), _WHOLE] = 20


class AuditRead(Strict):
    """An audit event."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)
    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str | None
    reason: str | None
    details: dict[str, Any]


class TokenCreate(Strict):
    """Create a personal API token."""

    name: str = Field(default="api", min_length=1, max_length=100)


class TokensRevoked(Strict):
    """How many tokens were revoked."""

    revoked: int


class TokenCreated(Strict):
    """A new token: shown once."""

    token: str
    expires_at: dt.datetime


class ConceptSuggestion(Strict):
    """An ESCO concept suggested for free text."""

    uri: str
    label: str
    score: float


class TextToParse(Strict):
    """A pasted text to read suggestions from (nothing of it is stored)."""

    text: str = Field(min_length=1, max_length=20_000, description="the vacancy text or the scan notes")
    title: str | None = Field(default=None, max_length=200, description="the title, when already known")


class FoundConcept(Strict):
    """An ESCO concept found in the text, with the sentence it came from."""

    label: str
    uri: str | None = None
    score: float
    sentence: str


class VacancySuggestions(Strict):
    """What a vacancy text suggests; the adviser accepts or edits each field before saving."""

    title: str
    occupations: list[FoundConcept] = Field(description="top 3 ESCO occupations for the title")
    required_skills: list[FoundConcept]
    nice_skills: list[FoundConcept]
    hours_min: int | None = None
    hours_max: int | None = None
    driving_licence: str | None = None
    education_level: EducationLevel | None = None
    start_date: dt.date | None = None
    contract_type: ContractType | None = None
    offer_type: OfferType | None = None
    evidence: dict[str, str] = Field(description="the sentence each condition was read from")
    wording_findings: list[WordingFinding] = Field(default_factory=list)


class ScanSuggestions(Strict):
    """What a coach's scan notes suggest; the coach accepts what fits into the scan's own fields."""

    desired_occupations: list[FoundConcept]
    skills: list[FoundConcept]
    hours_min: int | None = None
    hours_max: int | None = None
    constraints: list[WorkConstraint] = Field(default_factory=list)
    evidence: dict[str, str]
