"""Administration pages: users, tokens and the audit log (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.ui.common import (
    LIST_PAGE,
    PageNo,
    UiUser,
    areas_and_names,
    attempt,
    check_csrf,
    filter_link,
    page,
    paging,
    redirect_with,
    ui_requires,
)
from api.ui.dutch import summary_nl
from models.enums import Role
from models.schemas import UserCreate, UserRead
from models.services import users
from models.services.audit import candidate_id_of, list_events, object_names
from models.tables import User

router = APIRouter(dependencies=[ui_requires(Role.admin)])


def _admin_page(request: Request, session: SessionDep, user: User, **ctx: Any) -> HTMLResponse:
    areas, _ = areas_and_names(session)
    return page(request, "ui/admin.html", user, users=users.list_users(session), areas_list=areas, **ctx)


@router.get("/beheer", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """Users and tokens."""
    return _admin_page(request, session, user)


@router.post("/beheer/gebruiker")
def admin_add_user(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    area: Annotated[str, Form()] = "",
    teamleider: Annotated[str, Form()] = "",
) -> Response:
    """Create a user (the same flow as ``POST /v1/admin/users``)."""
    check_csrf(request, csrf)

    def add() -> UserRead:
        data = UserCreate.model_validate(
            {"name": name, "email": email, "role": role, "area": area or None, "team_lead": teamleider == "1"}
        )
        return users.add_user(session, actor=user, data=data)

    added, errors = attempt(session, add)
    if added is None:
        return _admin_page(request, session, user, error=" ".join(summary_nl(errors)))
    return redirect_with(request, "/ui/beheer", "Gebruiker toegevoegd")


@router.post("/beheer/token", response_class=HTMLResponse)
def admin_token(
    request: Request,
    session: SessionDep,
    user: UiUser,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    user_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    actie: Annotated[str, Form()],
) -> Response:
    """Create (shown once) or revoke tokens (the same flows as ``/v1/admin/users/{id}/tokens``)."""
    check_csrf(request, csrf)
    if actie == "intrekken":
        users.revoke_all_tokens(session, actor=user, user_id=user_id)
        return redirect_with(request, "/ui/beheer", "Tokens ingetrokken")
    created = users.issue_token(session, actor=user, user_id=user_id, name="ui", ttl_days=settings.token_ttl_days)
    target = users.get_user(session, user_id=user_id)
    return _admin_page(request, session, user, new_token=created.token, new_token_for=target.email)


@router.get("/beheer/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: UiUser,
    clientnummer: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
    actie: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]*$")] = None,
    pagina: PageNo = 1,
) -> HTMLResponse:
    """The audit log in words: who did what with whom (a client by cliëntnummer), filtered by cliëntnummer and
    action."""
    number = (clientnummer or "").strip()
    unknown = False
    object_id: str | None = None
    if number:
        found = candidate_id_of(session, number=number)
        unknown = found is None
        object_id = str(found) if found is not None else None
    events = (
        []
        if unknown
        else list_events(
            session,
            object_type="candidate" if object_id else None,
            object_id=object_id,
            action=actie or None,
            limit=LIST_PAGE,
            offset=(pagina - 1) * LIST_PAGE,
        )
    )
    names = {u.id: u.name for u in session.scalars(select(User))}
    return page(
        request,
        "ui/audit.html",
        user,
        events=events,
        names=names,
        objects=object_names(session, events),
        clientnummer=number,
        actie=actie or "",
        unknown=unknown,
        link=filter_link("/ui/beheer/audit", {"clientnummer": number, "actie": actie or "", "pagina": pagina}),
        p=paging(pagina, None, len(events)),
    )
