"""Free-text search over candidates (anonymised by role and consent) or open vacancies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep, StoreDep
from api.ui.common import UiUser, areas_and_names, page
from matcher.enums import VacancyStatus
from models.schemas import ConceptSuggestion
from models.services import rankings, vacancy_flows
from models.services.access import proposes_from_own_area
from models.services.areas import Geo
from models.tables import User

router = APIRouter()
HITS = 20


@router.get("/zoeken", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    q: str = "",
    soort: Literal["kandidaten", "vacatures"] = "kandidaten",
    gebied: str | None = None,
) -> HTMLResponse:
    """The same searches as ``/v1/search/*`` (coaches: their own clients)."""
    areas, names = areas_and_names(session)
    floor = request.app.state.settings.search_floor
    hits: list[Any] = []
    if len(q.strip()) >= 2:
        area = [gebied] if gebied else None
        if soort == "vacatures":
            found_v = rankings.search_vacancies(session, store=store, q=q, areas=area, limit=HITS, min_score=floor)
            hits = list(found_v.items)
        else:
            found = rankings.search_candidates(
                session,
                store=store,
                user=user,
                q=q,
                areas=area,
                limit=HITS,
                min_score=floor,
                reason=f"zoeken: {q} (UI)",
            )
            hits = list(found.items)
    targets = (
        vacancy_flows.list_vacancies(session, user=user, areas=_own_area(session, user), status=VacancyStatus.open)
        if hits and soort == "kandidaten" and proposes_from_own_area(user)
        else None
    )
    return page(
        request,
        "ui/search.html",
        user,
        q=q,
        targets=targets.items if targets else [],
        floor=int(floor),
        soort=soort,
        gebied=gebied or "",
        hits=hits,
        areas_list=areas,
        area_names=names,
    )


def _own_area(session: Session, user: User) -> list[str] | None:
    return [Geo.of(session).area_by_id[user.area_id].code] if user.area_id else None


@router.get("/suggesties/{kind}")
def suggestions(
    user: UiUser,
    store: StoreDep,
    kind: Literal["occupations", "skills"],
    q: Annotated[str, Query(min_length=2, max_length=200)],
) -> list[ConceptSuggestion]:
    """ESCO suggestions while typing, for the signed-in user (the same service as ``/v1/taxonomy/*``, which
    stays bearer-only)."""
    return rankings.suggest_concepts(store=store, kind=kind.removesuffix("s"), q=q, limit=8)
