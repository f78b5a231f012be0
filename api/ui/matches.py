"""Acting on matches from a ranking (propose, reject, feedback) and the list of matches the user acts on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.deps import SessionDep, StoreDep
from api.ui.common import (
    CSV_ROWS,
    LIST_PAGE,
    PageNo,
    UiUser,
    back,
    check_csrf,
    csv_response,
    filter_link,
    page,
    paging,
    redirect_with,
)
from matcher.labels import MATCH_STATUS_NL
from models.db import real_transaction
from models.enums import MATCH_TRANSITIONS, MatchStatus
from models.services import ServiceError, match_flows
from models.services.audit import record
from models.tables import Vacancy

router = APIRouter()
PAIR = Annotated[int, Form(ge=1, le=2_147_483_647)]


@router.post("/acties/voorstellen")
def propose(
    request: Request,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    csrf: Annotated[str, Form()],
    candidate_id: PAIR,
    vacancy_id: PAIR,
    terug: Annotated[str, Form()] = "/ui",
) -> Response:
    """A person proposes the match: the candidate's coach discusses it with the candidate."""
    check_csrf(request, csrf)
    _, moved = match_flows.propose_pair(
        session, store=store, user=user, candidate_id=candidate_id, vacancy_id=vacancy_id
    )
    msg = "Voorgesteld: de coach bespreekt het met de kandidaat" if moved else "Deze match was al opgepakt"
    return redirect_with(request, back(terug), msg, anchor=card_of(terug, candidate_id, vacancy_id))


@router.post("/acties/afwijzen")
def reject(
    request: Request,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    csrf: Annotated[str, Form()],
    candidate_id: PAIR,
    vacancy_id: PAIR,
    reden: Annotated[str, Form()],
    terug: Annotated[str, Form()] = "/ui",
) -> Response:
    """Reject a suggested match, with the reason."""
    check_csrf(request, csrf)
    anchor = card_of(terug, candidate_id, vacancy_id)
    if not reden.strip():
        return redirect_with(request, back(terug), "Geef een reden op", anchor=anchor)
    _, moved = match_flows.reject_pair(
        session, store=store, user=user, candidate_id=candidate_id, vacancy_id=vacancy_id, reason=reden.strip()
    )
    msg = "Match afgewezen" if moved else "Deze match kan niet meer worden afgewezen"
    return redirect_with(request, back(terug), msg, anchor=anchor)


@router.post("/acties/feedback")
def feedback(
    request: Request,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    csrf: Annotated[str, Form()],
    candidate_id: PAIR,
    vacancy_id: PAIR,
    relevant: Annotated[str, Form()],
    terug: Annotated[str, Form()] = "/ui",
) -> Response:
    """Relevant / not relevant."""
    check_csrf(request, csrf)
    match_flows.feedback_on_pair(
        session, store=store, user=user, candidate_id=candidate_id, vacancy_id=vacancy_id, relevant=relevant == "ja"
    )
    return redirect_with(
        request, back(terug), "Bedankt voor je beoordeling", anchor=card_of(terug, candidate_id, vacancy_id)
    )


@router.post("/acties/status")
def move(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    match_id: PAIR,
    status: Annotated[MatchStatus, Form()],
    terug: Annotated[str, Form()] = "/ui/matches",
    kaart: Annotated[str, Form(max_length=40, pattern=r"^[a-z0-9-]*$")] = "",
) -> Response:
    """Move a match to its next step (the same flow as ``POST /v1/matches/{id}/status``)."""
    check_csrf(request, csrf)
    real_transaction(session.connection())
    try:
        with session.begin_nested():
            match_flows.move(session, user=user, match_id=match_id, to=status, reason=None)
        msg = "Status bijgewerkt"
    except ServiceError as exc:
        if exc.status == 404:
            raise
        msg = exc.detail[:200]
    return redirect_with(request, back(terug), msg, anchor=kaart or None)


def card_of(terug: str, candidate_id: int, vacancy_id: int) -> str:
    """The id of the card a ranking page shows for this pair: a client's page lists vacancies, a vacancy's page
    and search list candidates."""
    return f"kaart-v-{vacancy_id}" if back(terug).startswith("/ui/kandidaten/") else f"kaart-{candidate_id}"


@router.get("/matches", response_class=HTMLResponse)
def matches_page(
    request: Request,
    session: SessionDep,
    user: UiUser,
    status: MatchStatus | None = None,
    pagina: PageNo = 1,
) -> HTMLResponse:
    """The matches this user acts on, optionally of one status, a page at a time."""
    rows = match_flows.list_matches(session, user=user, status=status, limit=LIST_PAGE, offset=(pagina - 1) * LIST_PAGE)
    titles = {
        v.id: v.title for v in session.scalars(select(Vacancy).where(Vacancy.id.in_([m.vacancy_id for m in rows])))
    }
    trans = {str(k): sorted(v) for k, v in MATCH_TRANSITIONS.items()}
    filters = {"status": status.value if status else "", "pagina": pagina}
    return page(
        request,
        "ui/matches.html",
        user,
        matches=rows,
        titles=titles,
        transitions=trans,
        status=status.value if status else "",
        statuses=list(MatchStatus),
        link=filter_link("/ui/matches", filters),
        p=paging(pagina, None, len(rows)),
    )


@router.get("/matches.csv")
def matches_csv(session: SessionDep, user: UiUser, status: MatchStatus | None = None) -> Response:
    """The user's matches as CSV (the export is audited; candidates appear by number, never by name)."""
    rows = match_flows.list_matches(session, user=user, status=status, limit=CSV_ROWS)
    titles = {
        v.id: v.title for v in session.scalars(select(Vacancy).where(Vacancy.id.in_([m.vacancy_id for m in rows])))
    }
    record(
        session,
        actor=user,
        action="list.export",
        object_type="match",
        reason="matchlijst geëxporteerd (CSV)",
        details={"status": status.value if status else None, "rows": len(rows)},
    )
    table = [
        [
            m.id,
            titles.get(m.vacancy_id, ""),
            m.candidate_id,
            round(m.score),
            MATCH_STATUS_NL[m.status.value],
            m.status_reason,
        ]
        for m in rows
    ]
    return csv_response("matches", ["match", "vacature", "kandidaat", "score", "status", "reden"], table)
