"""Unsubscribe from the nightly e-mail with a signed link, without logging in (RFC 8058 one-click too)."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.problems import COMMON_RESPONSES
from models.services import ServiceError
from models.services.subscriptions import unsubscribe

router = APIRouter(tags=["people"], include_in_schema=True)

Token = Annotated[str, Path(max_length=512, pattern=r"^[A-Za-z0-9_.-]+$", description="the signed link token")]
_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Afmelden — werkmatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: Arial, sans-serif; max-width: 36em; margin: 2em auto; color: #1a1a1a;">
<h1>Afmelden voor de e-mail met nieuwe matches</h1>{body}</body></html>"""


@router.get(
    "/afmelden/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe page (no login needed)",
    responses={422: COMMON_RESPONSES[422]},
)
def unsubscribe_page(token: Token) -> HTMLResponse:
    """A confirmation page; link scanners that fetch it do not unsubscribe anyone."""
    body = (
        f"<p>Wil je geen e-mails met nieuwe matches meer ontvangen?</p>"
        f'<form method="post" action="/afmelden/{html.escape(token)}">'
        f'<button type="submit" style="font-size: 1em; padding: 0.5em 1em;">Ja, meld mij af</button></form>'
    )
    return HTMLResponse(_PAGE.format(body=body))


@router.post(
    "/afmelden/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe (one click, no login)",
    responses={
        404: {"description": "No such link (made with another key, or altered)", "content": {"text/html": {}}},
        422: COMMON_RESPONSES[422],
    },
)
def unsubscribe_post(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Deactivates every nightly subscription of the user the link was made for."""
    try:
        user = unsubscribe(session, secret=settings.secret_key, token=token)
    except ServiceError:
        return HTMLResponse(_PAGE.format(body="<p>Deze afmeldlink is niet geldig.</p>"), status_code=404)
    return HTMLResponse(
        _PAGE.format(
            body=f"<p>Je bent afgemeld, {html.escape(user.name)}. Je ontvangt geen "
            "e-mails met nieuwe matches meer. Je kunt je in werkmatch weer aanmelden.</p>"
        )
    )
