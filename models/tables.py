"""SQLAlchemy 2.0 typed models: the system of record of werkmatch."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from matcher.enums import (
    CandidateStatus,
    ContractType,
    DutchLevel,
    EducationLevel,
    OfferType,
    TravelMode,
    VacancyStatus,
)
from models.enums import MatchStatus, NotificationStatus, Role, SubscriptionKind


def _enum(cls: type) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        name=f"ck_{cls.__name__.lower()}",
    )


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are portable."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


Base.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp; values come back in UTC on every backend (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None:
            value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value


TS = UTCDateTime()


class TimestampMixin:
    """Creation and update times."""

    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow, server_default=func.now())


class Area(Base):
    """A gebied: the city area a team of coaches and an employer adviser work in."""

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    wijken: Mapped[list[Wijk]] = relationship(back_populates="area", order_by="Wijk.name")


class Wijk(Base):
    """A neighbourhood (wijk) within a gebied."""

    __tablename__ = "wijken"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    area: Mapped[Area] = relationship(back_populates="wijken")
    postcodes: Mapped[list[Postcode]] = relationship(back_populates="wijk", order_by="Postcode.code")


class Postcode(Base):
    """A 4-digit postcode area with an approximate centre point, for travel distance."""

    __tablename__ = "postcodes"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    wijk_id: Mapped[int] = mapped_column(ForeignKey("wijken.id", ondelete="CASCADE"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    wijk: Mapped[Wijk] = relationship(back_populates="postcodes")


class User(TimestampMixin, Base):
    """A person using werkmatch: coach, employer adviser, jobhunter or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team_lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Reads the team dashboard (numbers per gebied and month; no personal data)."""
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    """The user's ``sub`` at the OpenID provider, linked at the first sign-in through it."""
    area: Mapped[Area | None] = relationship()


class ApiToken(Base):
    """A personal API token; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(TS)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(TS)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(TS)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class UiSession(Base):
    """A signed-in web UI session; the browser holds a random id, only its SHA-256 is stored."""

    __tablename__ = "ui_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    acting_admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(TS)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(TS)
    id_token: Mapped[str | None] = mapped_column(Text)
    """The provider's ID token of a sign-in through it: the hint that ends the provider's session at sign-out."""
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Candidate(TimestampMixin, Base):
    """A client's matching profile (the arbeidsmarktwaardescan); personal details live apart."""

    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    postcode: Mapped[str] = mapped_column(ForeignKey("postcodes.code"))
    status: Mapped[CandidateStatus] = mapped_column(_enum(CandidateStatus), default=CandidateStatus.active)
    consent_to_share: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_recorded_at: Mapped[dt.datetime | None] = mapped_column(TS)
    desired_occupations: Mapped[list[Any]] = mapped_column(default=list)
    skills: Mapped[list[Any]] = mapped_column(default=list)
    experience: Mapped[list[Any]] = mapped_column(default=list)
    education_level: Mapped[EducationLevel] = mapped_column(_enum(EducationLevel), default=EducationLevel.none)
    startkwalificatie: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    dutch_level: Mapped[DutchLevel | None] = mapped_column(_enum(DutchLevel))
    driving_licences: Mapped[list[Any]] = mapped_column(default=list)
    own_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    travel_mode: Mapped[TravelMode] = mapped_column(_enum(TravelMode), default=TravelMode.bike)
    max_travel_km: Mapped[float | None] = mapped_column(Float)
    max_travel_minutes: Mapped[int | None] = mapped_column(Integer)
    hours_min: Mapped[int] = mapped_column(Integer)
    hours_max: Mapped[int] = mapped_column(Integer)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    ladder_step: Mapped[int] = mapped_column(Integer)
    jobcoach: Mapped[bool] = mapped_column(Boolean, default=False)
    lks_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    doelgroepregister: Mapped[bool] = mapped_column(Boolean, default=False)
    constraints: Mapped[list[Any]] = mapped_column(default=list)
    about: Mapped[str] = mapped_column(Text, default="")
    vum_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The client agreed that the profile is exchanged through VUM (apart from the local release)."""
    vum_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """...and that the exchanged detail profile carries their e-mail address and phone number."""
    vum_consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    vum_consent_recorded_at: Mapped[dt.datetime | None] = mapped_column(TS)

    personal: Mapped[CandidatePersonal | None] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", uselist=False, passive_deletes=True
    )
    area: Mapped[Area] = relationship()
    coach: Mapped[User | None] = relationship(foreign_keys=[coach_id])


class CandidatePersonal(Base):
    """Name and contact details of a candidate, kept apart from the matching fields."""

    __tablename__ = "candidate_personal"
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode_full: Mapped[str | None] = mapped_column(String(7))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    candidate: Mapped[Candidate] = relationship(back_populates="personal")


class Employer(TimestampMixin, Base):
    """A local employer that offers jobs or work-experience places."""

    __tablename__ = "employers"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kvk_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    sector: Mapped[str] = mapped_column(String(100), default="")
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    area: Mapped[Area] = relationship()


class Vacancy(TimestampMixin, Base):
    """A vacancy or work-experience place collected by an employer adviser."""

    __tablename__ = "vacancies"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    occupation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    required_skills: Mapped[list[Any]] = mapped_column(default=list)
    nice_skills: Mapped[list[Any]] = mapped_column(default=list)
    hours_min: Mapped[int] = mapped_column(Integer)
    hours_max: Mapped[int] = mapped_column(Integer)
    postcode: Mapped[str] = mapped_column(ForeignKey("postcodes.code"))
    contract_type: Mapped[ContractType] = mapped_column(_enum(ContractType), default=ContractType.none)
    offer_type: Mapped[OfferType] = mapped_column(_enum(OfferType), default=OfferType.paid_job)
    education_level: Mapped[EducationLevel] = mapped_column(_enum(EducationLevel), default=EducationLevel.none)
    driving_licence: Mapped[str | None] = mapped_column(String(8))
    lks_suitable: Mapped[bool] = mapped_column(Boolean, default=False)
    banenafspraak: Mapped[bool] = mapped_column(Boolean, default=False)
    work_conditions: Mapped[list[Any]] = mapped_column(default=list)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    closing_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[VacancyStatus] = mapped_column(_enum(VacancyStatus), default=VacancyStatus.open)
    vum_exchange: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The adviser marked the vacancy for exchange through VUM (only open ones are exchanged)."""
    workplace_postcode: Mapped[str | None] = mapped_column(String(6))
    """The full postcode (9999AA) of the workplace: VUM's ``adres.postcode``."""
    vum_source: Mapped[str | None] = mapped_column(String(32))
    """For a vacancy imported from VUM: the OIN of the party it came from; None for the gemeente's own."""
    vum_id: Mapped[str | None] = mapped_column(String(200))
    """For a vacancy imported from VUM: its ``idVacature`` at the source."""
    workplace_lat: Mapped[float | None] = mapped_column(Float)
    workplace_lon: Mapped[float | None] = mapped_column(Float)
    """The workplace's centre point where it lies outside the gemeente (a vacancy from VUM): travel distances use it."""
    employer: Mapped[Employer] = relationship()
    area: Mapped[Area] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class Match(TimestampMixin, Base):
    """A suggested pairing of a candidate and a vacancy, and what people decided about it."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("candidate_id", "vacancy_id", name="uq_matches_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    index_version: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[MatchStatus] = mapped_column(_enum(MatchStatus), default=MatchStatus.suggested)
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(TS)
    status_reason: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list[MatchEvent]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="MatchEvent.id"
    )


class MatchEvent(Base):
    """One status change of a match: who, when, why."""

    __tablename__ = "match_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)


class MatchFeedback(Base):
    """Relevance feedback on a match by a person, stored for learning."""

    __tablename__ = "match_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    relevant: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)


class Subscription(TimestampMixin, Base):
    """A user's subscription to the nightly e-mail of new matches."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_subscriptions_user_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SubscriptionKind] = mapped_column(_enum(SubscriptionKind))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    min_score: Mapped[float] = mapped_column(Float, default=60.0)
    max_per_mail: Mapped[int] = mapped_column(Integer, default=20)


class Notification(Base):
    """The e-mail ledger: one row per (recipient, match), written before and after sending."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "match_id", name="uq_notifications_user_match"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    status: Mapped[NotificationStatus] = mapped_column(_enum(NotificationStatus), default=NotificationStatus.pending)
    message_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(TS)


class NightlyRun(Base):
    """One run of the nightly job."""

    __tablename__ = "nightly_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(TS)
    since: Mapped[dt.datetime | None] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(16), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditEvent(Base):
    """Who did or saw what, when, and why; every view of a candidate profile writes one."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChangeLog(Base):
    """The ordered change feed: written in the same transaction as each change of a profile.

    ``op`` is ``upsert`` or ``delete`` for a change of the data (written by a flush listener, see
    ``models.services.changes``) and ``indexed`` when the indexer stored the vectors of a version. Every API
    worker follows it from its last position and applies what is new; nothing in it is personal.
    """

    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)  # positions are never reused, even after pruning
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1))  # c: candidate, v: vacancy
    entity_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8))
    at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow, index=True)


class ProfileVectors(Base):
    """What the indexer made of one version of a profile: which texts it embedded, with which model, and
    which ESCO concepts its labels resolved to (so API workers rebuild the profile without a model)."""

    __tablename__ = "profile_vectors"
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(255))
    source_updated_at: Mapped[dt.datetime] = mapped_column(TS)  # the profile's updated_at it was made from
    resolved: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [kind, label, uri | null]
    indexed_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)


class ProfileText(Base):
    """A text of a profile, by digest (never the text): links a profile to its vectors in ``text_vectors``."""

    __tablename__ = "profile_texts"
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class TextVector(Base):
    """The embedding of one text (SHA-256 digest) by one model version: float32 bytes, computed once."""

    __tablename__ = "text_vectors"
    model_version: Mapped[str] = mapped_column(String(255), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class VumSelection(Base):
    """A VUM selection query answered as a source: who asked, when, and how many detail requests it used."""

    __tablename__ = "vum_selections"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(1))  # c: werkzoekendeProfielen, v: vacatures
    from_party: Mapped[str] = mapped_column(String(32), index=True)
    via_party: Mapped[str] = mapped_column(String(32))
    certificate_party: Mapped[str] = mapped_column(String(32))
    details_used: Mapped[int] = mapped_column(Integer, default=0)


class VumSelectionItem(Base):
    """One profile or vacancy in the answer to a selection: the pseudonymous VUM id the party got for it.

    Rows go with their candidate or vacancy (cascade), so deleting a candidate leaves no VUM id behind."""

    __tablename__ = "vum_selection_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("vum_selections.id", ondelete="CASCADE"), index=True)
    vum_id: Mapped[str] = mapped_column(String(64), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    vacancy_id: Mapped[int | None] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"), index=True)


def _normalise_enums_on_write() -> None:
    """Enum columns hold enum members, also right after a string was assigned (``match.status = "placed"``)."""
    for mapper in Base.registry.mappers:
        for prop in mapper.column_attrs:
            enum_class = getattr(prop.columns[0].type, "enum_class", None)
            if enum_class is None:
                continue

            def convert(_target: Any, value: Any, _old: Any, _initiator: Any, cls: Any = enum_class) -> Any:
                return value if value is None or isinstance(value, cls) else cls(value)

            event.listen(getattr(mapper.class_, prop.key), "set", convert, retval=True)


_normalise_enums_on_write()
