"""Employers and vacancies."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from models.schemas import AreaCode, EmployerCreate, EmployerRead, VacancyCreate, VacancyRead, VacancyUpdate
from models.services import Conflict, NotFound, invalid_from
from models.services.areas import Geo
from models.tables import Employer, User, Vacancy

_FIELDS = [
    "title",
    "description",
    "occupation",
    "required_skills",
    "nice_skills",
    "hours_min",
    "hours_max",
    "postcode",
    "contract_type",
    "offer_type",
    "education_level",
    "driving_licence",
    "lks_suitable",
    "banenafspraak",
    "work_conditions",
    "start_date",
    "closing_date",
    "status",
]


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def upsert_employer(session: Session, *, data: EmployerCreate, geo: Geo) -> Employer:
    """Create or update an employer by external id; KvK numbers are unique."""
    area = geo.area(data.area)
    emp = session.scalar(select(Employer).where(Employer.external_id == data.external_id))
    if data.kvk_number:
        other = session.scalar(select(Employer).where(Employer.kvk_number == data.kvk_number))
        if other is not None and (emp is None or other.id != emp.id):
            raise Conflict(f"KvK number {data.kvk_number} belongs to employer {other.external_id}", field="kvk_number")
    if emp is None:
        emp = Employer(external_id=data.external_id)
        session.add(emp)
    emp.name = data.name
    emp.kvk_number = data.kvk_number
    emp.sector = data.sector
    emp.area_id = area.id
    emp.contact_name = data.contact_name
    emp.contact_email = data.contact_email
    emp.contact_phone = data.contact_phone
    session.flush()
    return emp


def employer_read(emp: Employer) -> EmployerRead:
    """Schema of an employer."""
    return EmployerRead(
        id=emp.id,
        external_id=emp.external_id,
        name=emp.name,
        kvk_number=emp.kvk_number,
        sector=emp.sector,
        area=AreaCode(emp.area.code),
        contact_name=emp.contact_name,
        contact_email=emp.contact_email,
        contact_phone=emp.contact_phone,
    )


def _owner(session: Session, email: str | None) -> int | None:
    if email is None:
        return None
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None or user.role != Role.employer_adviser:
        raise Conflict(f"owner_email {email} is not a known employer adviser", field="owner_email")
    return user.id


def check_vacancy(session: Session, *, data: VacancyCreate, geo: Geo) -> None:
    """Check a vacancy's references against the database."""
    geo.area(data.area)
    geo.area(data.employer.area)
    geo.postcode(data.postcode)
    _owner(session, data.owner_email)


def upsert_vacancy(session: Session, *, data: VacancyCreate, geo: Geo | None = None) -> tuple[Vacancy, bool]:
    """Create the vacancy, or update the one with the same external id; return (vacancy, created)."""
    geo = geo or Geo.of(session)
    check_vacancy(session, data=data, geo=geo)
    emp = upsert_employer(session, data=data.employer, geo=geo)
    vac = session.scalar(select(Vacancy).where(Vacancy.external_id == data.external_id))
    created = vac is None
    owner_id = _owner(session, data.owner_email)
    if vac is None:
        vac = Vacancy(external_id=data.external_id)
    vac.employer_id = emp.id
    vac.area_id = geo.area(data.area).id
    vac.owner_id = owner_id
    for name in _FIELDS:
        setattr(vac, name, _dump(getattr(data, name)))
    session.add(vac)
    session.flush()
    return vac, created


def get_vacancy(session: Session, *, vacancy_id: int) -> Vacancy:
    """The vacancy with this id."""
    vac = session.get(Vacancy, vacancy_id)
    if vac is None:
        raise NotFound(f"vacancy {vacancy_id} not found")
    return vac


def vacancy_read(vac: Vacancy) -> VacancyRead:
    """Schema of a vacancy."""
    return VacancyRead(
        id=vac.id,
        external_id=vac.external_id,
        employer=employer_read(vac.employer),
        area=AreaCode(vac.area.code),
        owner_email=vac.owner.email if vac.owner else None,
        vum_exchange=vac.vum_exchange,
        workplace_postcode=vac.workplace_postcode,
        vum_source=vac.vum_source,
        vum_id=vac.vum_id,
        created_at=vac.created_at,
        updated_at=vac.updated_at,
        **{name: getattr(vac, name) for name in _FIELDS},
    )


def update_vacancy(session: Session, *, vacancy: Vacancy, data: VacancyUpdate) -> Vacancy:
    """Apply a partial update, validated as a whole."""
    current = vacancy_read(vacancy).model_dump(mode="json")
    current["employer"] = {k: v for k, v in current["employer"].items() if k != "id"}
    merged = {k: v for k, v in current.items() if k in VacancyCreate.model_fields}
    merged |= data.model_dump(mode="json", exclude_unset=True)
    try:
        full = VacancyCreate.model_validate(merged)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    vac, _ = upsert_vacancy(session, data=full)
    return vac
