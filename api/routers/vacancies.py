"""Employers and vacancies: advisers manage those of their gebied; everyone reads them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from api.deps import CurrentUser, DbId, SessionDep
from matcher.enums import OfferType, Role, VacancyStatus
from matcher.wording import check_vacancy_text
from models.schemas import (
    EmployerCreate,
    EmployerRead,
    EmployerUpdate,
    Page,
    VacancyChecked,
    VacancyCreate,
    VacancyRead,
    VacancyUpdate,
    WordingFinding,
)
from models.services import Conflict, NotFound
from models.services.access import Forbidden, require_employer_writer, require_role, require_vacancy_writer
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
from models.tables import Employer, User, Vacancy

router = APIRouter(tags=["vacancies"])


def checked(vac: Vacancy) -> VacancyChecked:
    """A vacancy with its wording check."""
    findings = [
        WordingFinding(code=f.code, phrase=f.phrase, reason=f.reason)
        for f in check_vacancy_text(vac.title, vac.description)
    ]
    return VacancyChecked.model_validate(vacancy_read(vac).model_dump() | {"wording_findings": findings})


def _own_area(user: User, session: SessionDep, area: str) -> None:
    if user.role != Role.employer_adviser or Geo(session).area(area).id != user.area_id:
        raise Forbidden("employer advisers create employers and vacancies in their own gebied only")


@router.get("/v1/employers", summary="List employers")
def list_employers(
    session: SessionDep,
    user: CurrentUser,
    area: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[EmployerRead]:
    """Employers, optionally of one gebied."""
    stmt = select(Employer).order_by(Employer.name, Employer.id)
    if area:
        stmt = stmt.where(Employer.area_id == Geo(session).area(area).id)
    return [employer_read(e) for e in session.scalars(stmt.limit(limit).offset(offset))]


@router.post("/v1/employers", status_code=201, summary="Create an employer (adviser of the gebied)")
def create_employer(data: EmployerCreate, session: SessionDep, user: CurrentUser) -> EmployerRead:
    """Create an employer."""
    _own_area(user, session, data.area)
    if session.scalar(select(Employer.id).where(Employer.external_id == data.external_id)):
        raise Conflict(f"an employer with external_id {data.external_id} exists already", field="external_id")
    emp = upsert_employer(session, data=data, geo=Geo(session))
    record(session, actor=user, action="employer.create", object_type="employer", object_id=emp.id)
    return employer_read(emp)


def _employer(session: SessionDep, employer_id: DbId) -> Employer:
    emp = session.get(Employer, employer_id)
    if emp is None:
        raise NotFound(f"employer {employer_id} not found")
    return emp


@router.get("/v1/employers/{employer_id}", summary="One employer")
def read_employer(employer_id: DbId, session: SessionDep, user: CurrentUser) -> EmployerRead:
    """One employer."""
    return employer_read(_employer(session, employer_id))


@router.patch("/v1/employers/{employer_id}", summary="Update an employer (adviser of the gebied)")
def patch_employer(employer_id: DbId, data: EmployerUpdate, session: SessionDep, user: CurrentUser) -> EmployerRead:
    """Partial update."""
    emp = _employer(session, employer_id)
    require_employer_writer(user, emp)
    merged = employer_read(emp).model_dump() | data.model_dump(exclude_unset=True)
    merged.pop("id")
    if data.area is not None:
        _own_area(user, session, data.area)
    emp = upsert_employer(session, data=EmployerCreate.model_validate(merged), geo=Geo(session))
    record(session, actor=user, action="employer.update", object_type="employer", object_id=emp.id)
    return employer_read(emp)


@router.delete("/v1/employers/{employer_id}", status_code=204, summary="Delete an employer without vacancies")
def delete_employer(employer_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """Employers with vacancies cannot be deleted (close the vacancies first)."""
    emp = _employer(session, employer_id)
    require_employer_writer(user, emp)
    if session.scalar(select(func.count()).where(Vacancy.employer_id == emp.id)):
        raise Conflict("this employer still has vacancies")
    session.delete(emp)
    record(session, actor=user, action="employer.delete", object_type="employer", object_id=employer_id)
    return Response(status_code=204)


@router.get("/v1/vacancies", summary="List vacancies (everyone, city-wide)")
def list_vacancies(
    session: SessionDep,
    user: CurrentUser,
    area: Annotated[list[str] | None, Query()] = None,
    status: VacancyStatus | None = None,
    offer_type: OfferType | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, object]:
    """A page of vacancies with their wording check."""
    stmt = select(Vacancy).order_by(Vacancy.id.desc())
    if area:
        geo = Geo(session)
        stmt = stmt.where(Vacancy.area_id.in_([geo.area(a).id for a in area]))
    if status:
        stmt = stmt.where(Vacancy.status == status)
    if offer_type:
        stmt = stmt.where(Vacancy.offer_type == offer_type)
    if mine:
        stmt = stmt.where(Vacancy.owner_id == user.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return {"page": Page(total=total, limit=limit, offset=offset), "items": [checked(v) for v in rows]}


@router.post("/v1/vacancies", status_code=201, summary="Create a vacancy (adviser of the gebied)")
def create_vacancy(data: VacancyCreate, session: SessionDep, user: CurrentUser) -> VacancyChecked:
    """The response includes the discriminatory-wording check."""
    require_role(user, Role.employer_adviser)
    _own_area(user, session, data.area)
    if session.scalar(select(Vacancy.id).where(Vacancy.external_id == data.external_id)):
        raise Conflict(f"a vacancy with external_id {data.external_id} exists already", field="external_id")
    data = data.model_copy(update={"owner_email": data.owner_email or user.email})
    vac, _ = upsert_vacancy(session, data=data)
    record(session, actor=user, action="vacancy.create", object_type="vacancy", object_id=vac.id)
    session.refresh(vac)
    return checked(vac)


@router.get("/v1/vacancies/{vacancy_id}", summary="One vacancy")
def read_vacancy(vacancy_id: DbId, session: SessionDep, user: CurrentUser) -> VacancyChecked:
    """One vacancy with its wording check."""
    return checked(get_vacancy(session, vacancy_id=vacancy_id))


@router.patch("/v1/vacancies/{vacancy_id}", summary="Update or close a vacancy (adviser of the gebied)")
def patch_vacancy(vacancy_id: DbId, data: VacancyUpdate, session: SessionDep, user: CurrentUser) -> VacancyChecked:
    """Partial update, validated as a whole."""
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


@router.delete("/v1/vacancies/{vacancy_id}", status_code=204, summary="Delete a vacancy (adviser of the gebied)")
def delete_vacancy(vacancy_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """Deletes the vacancy and its matches."""
    vac = get_vacancy(session, vacancy_id=vacancy_id)
    require_vacancy_writer(user, vac)
    session.delete(vac)
    record(session, actor=user, action="vacancy.delete", object_type="vacancy", object_id=vacancy_id)
    return Response(status_code=204)


__all__ = ["VacancyRead", "router"]
