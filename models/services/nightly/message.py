"""The e-mail: one Dutch message (plain text and HTML) per recipient, anonymised, with an unsubscribe link."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.labels import SUBSCRIPTION_KIND_NL
from models.enums import Role
from models.services.access import may_be_told_of_pair
from models.services.areas import Geo
from models.services.subscriptions import unsubscribe_token
from models.tables import Candidate, Employer, Match, Notification, Subscription, User, Vacancy


class MailSettings(Protocol):
    """What the e-mails need from the settings (``werkmatch.settings.Settings`` has it)."""

    base_url: str
    mail_from: str
    secret_key: str
    mail_max_attempts: int


_env = Environment(loader=PackageLoader("models", "templates"), autoescape=select_autoescape(["html"]))


def _items(session: Session, user: User, rows: list[Notification], base_url: str) -> list[dict[str, Any]]:
    geo = Geo.of(session)
    items = []
    for n in rows:
        m = session.get(Match, n.match_id)
        if m is None:
            continue
        c, v = session.get(Candidate, m.candidate_id), session.get(Vacancy, m.vacancy_id)
        if c is None or v is None or not may_be_told_of_pair(user, c, v):
            continue  # every item passes the access rule, whatever the subscription says
        emp = session.get(Employer, v.employer_id)
        pc = geo.postcodes.get(c.postcode)
        if user.role == Role.coach and c.coach_id == user.id:
            label = f"je cliënt {c.external_id}"
            link = f"{base_url}/ui/kandidaten/{c.id}"
        else:
            label = f"kandidaat #{c.id} uit {pc.wijk if pc else '?'} ({geo.area_by_id[c.area_id].name})"
            link = f"{base_url}/ui/vacatures/{v.id}"
        items.append(
            {
                "match_id": m.id,
                "vacancy_title": v.title,
                "employer": emp.name if emp else "",
                "vacancy_area": geo.area_by_id[v.area_id].name,
                "candidate_label": label,
                "occupations": ", ".join(o["label"] for o in c.desired_occupations) or "—",
                "hours": f"{c.hours_min}–{c.hours_max} uur",
                "available": f"{c.available_from:%d-%m-%Y}" if c.available_from else "direct",
                "score": m.score,
                "reasons": (m.explanation or {}).get("reasons", [])[:3],
                "missing": (m.explanation or {}).get("missing_skills", []),
                "link": link,
            }
        )
    return items


def render_message(
    session: Session,
    *,
    user: User,
    rows: list[Notification],
    since: dt.datetime,
    settings: MailSettings,
    message_id: str,
) -> EmailMessage | None:
    """One e-mail (plain text and HTML) for a recipient."""
    base = settings.base_url.rstrip("/")
    items = _items(session, user, rows, base)
    if not items:
        return None
    kinds = [str(s.kind) for s in session.scalars(select(Subscription).where(Subscription.user_id == user.id))]
    ctx = {
        "user": user,
        "items": items,
        "since_text": f"{since:%d-%m-%Y %H:%M} (UTC)",
        "kind_label": ", ".join(SUBSCRIPTION_KIND_NL[k] for k in kinds) or "nieuwe matches",
        "unsubscribe": f"{base}/afmelden/{unsubscribe_token(settings.secret_key, user.id)}",
    }
    msg = EmailMessage()
    msg["Subject"] = f"werkmatch: {len(items)} nieuwe {'match' if len(items) == 1 else 'matches'}"
    msg["From"] = settings.mail_from
    msg["To"] = user.email
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    msg["List-Unsubscribe"] = f"<{ctx['unsubscribe']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Werkmatch-Matches"] = ",".join(str(it["match_id"]) for it in items)
    msg.set_content(_env.get_template("nightly.txt").render(**ctx))
    msg.add_alternative(_env.get_template("nightly.html").render(**ctx), subtype="html")
    return msg
