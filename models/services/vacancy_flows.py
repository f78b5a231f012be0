"""Employer and vacancy flows, once for the API, the web UI and the CLI (access, work, audit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.enums import OfferType, VacancyStatus
from matcher.wording import check_vacancy_text
from models.enums import Role
from models.schemas import (
    EmployerCreate,
    EmployerRead,
    EmployerUpdate,
    Page,
    VacancyChecked,
    VacancyCreate,
    VacancyPage,
    VacancyUpdate,
    WordingFinding,
)
from models.services import Conflict, NotFound
from models.services.access import require_employer_writer, require_own_area, require_role, require_vacancy_writer
from models.services.areas import Geo
from models.services.audit import record
from models.services.vacancies import (
    employer_read,
    get_vacancy,
    update_vacancy,
    upsert_employer,
    upsert_vacancy,
    vacancy_read,
)
from models.services.vum.mapping import postcode6
from models.tables import Employer, User, Vacancy


def checked(vac: Vacancy) -> VacancyChecked:
    """A vacancy with its discriminatory-wording check."""
    findings = [
        WordingFinding(code=f.code, phrase=f.phrase, reason=f.reason)
        for f in check_vacancy_text(vac.title, vac.description)
    ]
    return VacancyChecked.model_validate(vacancy_read(vac).model_dump() | {"wording_findings": findings})


# ------------------------------------------------------------------------------------- employers
def list_employers(
    session: Session, *, area: str | None = None, limit: int = 50, offset: int = 0
) -> list[EmployerRead]:
    """Employers, optionally of one gebied."""
    stmt = select(Employer).order_by(Employer.name, Employer.id)
    if area:
        stmt = stmt.where(Employer.area_id == Geo.of(session).area(area).id)
    return [employer_read(e) for e in session.scalars(stmt.limit(limit).offset(offset))]


def get_employer(session: Session, *, employer_id: int) -> Employer:
    """The employer with this id."""
    emp = session.get(Employer, employer_id)
    if emp is None:
        raise NotFound(f"employer {employer_id} not found")
    return emp


def create_employer(session: Session, *, user: User, data: EmployerCreate) -> EmployerRead:
    """An employer adviser adds an employer of their own gebied."""
    geo = Geo.of(session)
    require_own_area(user, geo.area(data.area).id)
    if session.scalar(select(Employer.id).where(Employer.external_id == data.external_id)):
        raise Conflict(f"an employer with external_id {data.external_id} exists already", field="external_id")
    emp = upsert_employer(session, data=data, geo=geo)
    record(session, actor=user, action="employer.create", object_type="employer", object_id=emp.id)
    return employer_read(emp)


def update_employer(session: Session, *, user: User, employer_id: int, data: EmployerUpdate) -> EmployerRead:
    """Partial update by an adviser of the employer's gebied (and, when moved, of the new one)."""
    emp = get_employer(session, employer_id=employer_id)
    require_employer_writer(user, emp)
    geo = Geo.of(session)
    if data.area is not None:
        require_own_area(user, geo.area(data.area).id)
    merged = employer_read(emp).model_dump() | data.model_dump(exclude_unset=True)
    merged.pop("id")
    emp = upsert_employer(session, data=EmployerCreate.model_validate(merged), geo=geo)
    record(session, actor=user, action="employer.update", object_type="employer", object_id=emp.id)
    return employer_read(emp)


def delete_employer(session: Session, *, user: User, employer_id: int) -> None:
    """Employers with vacancies cannot be deleted (close the vacancies first)."""
    emp = get_employer(session, employer_id=employer_id)
    require_employer_writer(user, emp)
    if session.scalar(select(func.count()).where(Vacancy.employer_id == emp.id)):
        raise Conflict("this employer still has vacancies")
    session.delete(emp)
    record(session, actor=user, action="employer.delete", object_type="employer", object_id=employer_id)


# ------------------------------------------------------------------------------------- vacancies
def _require_employer_write(session: Session, *, user: User, data: EmployerCreate, geo: Geo) -> None:
    """A vacancy's nested employer is created or rewritten: the same rules as for the employer itself."""
    existing = session.scalar(select(Employer).where(Employer.external_id == data.external_id))
    if existing is not None:
        require_employer_writer(user, existing)
    require_own_area(user, geo.area(data.area).id)


VacancyOrder = Literal["new", "title", "employer", "closing"]


def list_vacancies(
    session: Session,
    *,
    user: User,
    areas: Sequence[str] | None = None,
    status: VacancyStatus | None = None,
    offer_type: OfferType | None = None,
    mine: bool = False,
    limit: int = 50,
    offset: int = 0,
    order: VacancyOrder = "new",
) -> VacancyPage:
    """A page of vacancies (city-wide for everyone) with their wording check: newest first, or by title,
    employer or closing date."""
    stmt = select(Vacancy)
    if areas:
        geo = Geo.of(session)
        stmt = stmt.where(Vacancy.area_id.in_([geo.area(a).id for a in areas]))
    if status:
        stmt = stmt.where(Vacancy.status == status)
    if offer_type:
        stmt = stmt.where(Vacancy.offer_type == offer_type)
    if mine:
        stmt = stmt.where(Vacancy.owner_id == user.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if order == "title":
        stmt = stmt.order_by(func.lower(Vacancy.title), Vacancy.id)
    elif order == "employer":
        stmt = stmt.join(Employer, Employer.id == Vacancy.employer_id).order_by(func.lower(Employer.name), Vacancy.id)
    elif order == "closing":
        stmt = stmt.order_by(Vacancy.closing_date.is_(None), Vacancy.closing_date, Vacancy.id)
    else:
        stmt = stmt.order_by(Vacancy.id.desc())
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return VacancyPage(page=Page(total=total, limit=limit, offset=offset), items=[checked(v) for v in rows])


def read_vacancy(session: Session, *, vacancy_id: int) -> VacancyChecked:
    """One vacancy with its wording check."""
    return checked(get_vacancy(session, vacancy_id=vacancy_id))


def create_vacancy(session: Session, *, user: User, data: VacancyCreate) -> VacancyChecked:
    """An employer adviser adds a vacancy in their own gebied; the answer carries the wording check."""
    require_role(user, Role.employer_adviser)
    geo = Geo.of(session)
    require_own_area(user, geo.area(data.area).id)
    if session.scalar(select(Vacancy.id).where(Vacancy.external_id == data.external_id)):
        raise Conflict(f"a vacancy with external_id {data.external_id} exists already", field="external_id")
    _require_employer_write(session, user=user, data=data.employer, geo=geo)
    data = data.model_copy(update={"owner_email": data.owner_email or user.email})
    vac, _ = upsert_vacancy(session, data=data, geo=geo)
    record(session, actor=user, action="vacancy.create", object_type="vacancy", object_id=vac.id)
    session.refresh(vac)
    return checked(vac)


def update_vacancy_by(session: Session, *, user: User, vacancy_id: int, data: VacancyUpdate) -> VacancyChecked:
    """Partial update or close, by an adviser of the vacancy's gebied; validated as a whole."""
    vac = get_vacancy(session, vacancy_id=vacancy_id)
    require_vacancy_writer(user, vac)
    vac = update_vacancy(session, vacancy=vac, data=data)
    record(
        session,
        actor=user,
        action="vacancy.update",
        object_type="vacancy",
        object_id=vac.id,
        details={"fields": sorted(data.model_fields_set)},
    )
    session.refresh(vac)
    return checked(vac)


def offer_through_vum(
    session: Session, *, user: User, vacancy_id: int, exchange: bool, workplace_postcode: str | None
) -> VacancyChecked:
    """An adviser of the vacancy's gebied offers it to other parties through VUM (or stops); VUM needs the full
    postcode of the workplace, in the vacancy's own four-digit area. Only open vacancies are exchanged."""
    vac = get_vacancy(session, vacancy_id=vacancy_id)
    require_vacancy_writer(user, vac)
    if vac.vum_source is not None:
        raise Conflict("a vacancy that came from VUM is not offered through VUM again", field="exchange")
    postcode = postcode6(workplace_postcode) if workplace_postcode else vac.workplace_postcode
    if exchange and postcode is None:
        # a conflict with the stored vacancy (no workplace postcode yet, or one outside its area), not bad input
        raise Conflict("VUM needs the full postcode of the workplace (9999AA)", field="workplace_postcode")
    if postcode is not None and not postcode.startswith(vac.postcode):
        raise Conflict(
            f"the workplace postcode {postcode} is not in the vacancy's postcode area {vac.postcode}",
            field="workplace_postcode",
        )
    vac.vum_exchange = exchange
    vac.workplace_postcode = postcode
    record(
        session,
        actor=user,
        action="vacancy.vum_exchange",
        object_type="vacancy",
        object_id=vac.id,
        details={"exchange": exchange},
    )
    session.flush()
    session.refresh(vac)
    return checked(vac)


def delete_vacancy(session: Session, *, user: User, vacancy_id: int) -> None:
    """Delete a vacancy and its matches (adviser of the gebied)."""
    vac = get_vacancy(session, vacancy_id=vacancy_id)
    require_vacancy_writer(user, vac)
    session.delete(vac)
    record(session, actor=user, action="vacancy.delete", object_type="vacancy", object_id=vacancy_id)
