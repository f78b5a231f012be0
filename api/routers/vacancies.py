"""Employers and vacancies: advisers manage those of their gebied; everyone reads them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CurrentUser, DbId, SessionDep, StoreDep, requires
from matcher.enums import OfferType, VacancyStatus
from models.enums import Role
from models.schemas import (
    AreaCode,
    EmployerCreate,
    EmployerRead,
    EmployerUpdate,
    TextToParse,
    VacancyChecked,
    VacancyCreate,
    VacancyPage,
    VacancySuggestions,
    VacancyUpdate,
    VumExchangeUpdate,
)
from models.services import text_parsing
from models.services import vacancy_flows as flows
from models.services.vacancies import employer_read

router = APIRouter(tags=["vacancies"])


@router.get("/v1/employers", summary="List employers")
def list_employers(
    session: SessionDep,
    user: CurrentUser,
    area: AreaCode | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[EmployerRead]:
    """Employers, optionally of one gebied."""
    return flows.list_employers(session, area=area, limit=limit, offset=offset)


@router.post("/v1/employers", status_code=201, summary="Create an employer (adviser of the gebied)")
def create_employer(data: EmployerCreate, session: SessionDep, user: CurrentUser) -> EmployerRead:
    """Create an employer."""
    return flows.create_employer(session, user=user, data=data)


@router.get("/v1/employers/{employer_id}", summary="One employer")
def read_employer(employer_id: DbId, session: SessionDep, user: CurrentUser) -> EmployerRead:
    """One employer."""
    return employer_read(flows.get_employer(session, employer_id=employer_id))


@router.patch("/v1/employers/{employer_id}", summary="Update an employer (adviser of the gebied)")
def patch_employer(employer_id: DbId, data: EmployerUpdate, session: SessionDep, user: CurrentUser) -> EmployerRead:
    """Partial update."""
    return flows.update_employer(session, user=user, employer_id=employer_id, data=data)


@router.delete("/v1/employers/{employer_id}", status_code=204, summary="Delete an employer without vacancies")
def delete_employer(employer_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """Employers with vacancies cannot be deleted (close the vacancies first)."""
    flows.delete_employer(session, user=user, employer_id=employer_id)
    return Response(status_code=204)


@router.get("/v1/vacancies", summary="List vacancies (everyone, city-wide)")
def list_vacancies(
    session: SessionDep,
    user: CurrentUser,
    area: Annotated[list[AreaCode] | None, Query(description="gebied codes; empty: whole city")] = None,
    status: VacancyStatus | None = None,
    offer_type: OfferType | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> VacancyPage:
    """A page of vacancies with their wording check."""
    return flows.list_vacancies(
        session, user=user, areas=area, status=status, offer_type=offer_type, mine=mine, limit=limit, offset=offset
    )


@router.post(
    "/v1/vacancies",
    status_code=201,
    summary="Create a vacancy (adviser of the gebied)",
    dependencies=[requires(Role.employer_adviser)],
)
def create_vacancy(data: VacancyCreate, session: SessionDep, user: CurrentUser) -> VacancyChecked:
    """The response includes the discriminatory-wording check."""
    return flows.create_vacancy(session, user=user, data=data)


@router.post("/v1/vacancies/parse", summary="Suggest a vacancy's fields from its text (nothing is saved)")
def parse_vacancy_text(data: TextToParse, user: CurrentUser, store: StoreDep) -> VacancySuggestions:
    """Title, ESCO occupation (top 3), required and nice-to-have ESCO skills with the sentence each came from,
    hours, licence, education, start date, contract and the wording check; the adviser accepts or edits each."""
    return text_parsing.suggest_vacancy_fields(store=store, user=user, text=data.text, title=data.title)


@router.get("/v1/vacancies/{vacancy_id}", summary="One vacancy")
def read_vacancy(vacancy_id: DbId, session: SessionDep, user: CurrentUser) -> VacancyChecked:
    """One vacancy with its wording check."""
    return flows.read_vacancy(session, vacancy_id=vacancy_id)


@router.patch("/v1/vacancies/{vacancy_id}", summary="Update or close a vacancy (adviser of the gebied)")
def patch_vacancy(vacancy_id: DbId, data: VacancyUpdate, session: SessionDep, user: CurrentUser) -> VacancyChecked:
    """Partial update, validated as a whole."""
    return flows.update_vacancy_by(session, user=user, vacancy_id=vacancy_id, data=data)


@router.post("/v1/vacancies/{vacancy_id}/vum-exchange", summary="Offer a vacancy through VUM (adviser of the gebied)")
def offer_through_vum(
    vacancy_id: DbId, data: VumExchangeUpdate, session: SessionDep, user: CurrentUser
) -> VacancyChecked:
    """Open vacancies offered here are found by other gemeenten and UWV through VUM (with the workplace postcode)."""
    return flows.offer_through_vum(
        session, user=user, vacancy_id=vacancy_id, exchange=data.exchange, workplace_postcode=data.workplace_postcode
    )


@router.delete("/v1/vacancies/{vacancy_id}", status_code=204, summary="Delete a vacancy (adviser of the gebied)")
def delete_vacancy(vacancy_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """Deletes the vacancy and its matches."""
    flows.delete_vacancy(session, user=user, vacancy_id=vacancy_id)
    return Response(status_code=204)
