"""The team dashboard: per gebied and month, what the team achieved, with plots, tables and CSV; counts only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from api.deps import SessionDep
from api.ui.common import UiUser, csv_response, page
from models.services.access import require_team_lead
from models.services.audit import record
from models.services.dashboard import METRICS_NL, Count, team_numbers
from models.tables import User

MONTHS_NL = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def _team_lead(user: UiUser) -> User:
    require_team_lead(user)
    return user


router = APIRouter(dependencies=[Depends(_team_lead)])


def month_nl(label: str) -> str:
    """``2026-11`` → ``nov 2026``."""
    return f"{MONTHS_NL[int(label[5:]) - 1]} {label[:4]}"


def bar_chart(chart_id: str, title: str, months: list[str], values: list[Count]) -> Markup:
    """A bar chart as inline SVG (no script, no library): one bar per month; a suppressed count (<5) is a dashed
    outline labelled "<5". The table beside it carries the same numbers for screen readers."""
    width, height, left, bottom, top = 640, 220, 36, 40, 18
    known = [v for v in values if v is not None]
    peak = max([*known, 5])
    step = (width - left - 8) / max(len(months), 1)
    bar = step * 0.62
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg class="wm-chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-t">{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" stroke="#505a5f"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="#505a5f">{peak}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="11" fill="#505a5f">0</text>',
    ]
    for i, (label, value) in enumerate(zip(months, values, strict=True)):
        x = left + i * step + (step - bar) / 2
        base = height - bottom
        if value is None:
            h = 4 * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="none" '
                f'stroke="#005ea5" stroke-dasharray="3 2"/>'
                f'<text x="{x + bar / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" font-size="11">&lt;5</text>'
            )
        else:
            h = value * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#005ea5"/>'
                f'<text x="{x + bar / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" font-size="11">{value}</text>'
            )
        month = MONTHS_NL[int(label[5:]) - 1]
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" fill="#0b0c0c">'
            f"{month}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _shown(value: Count) -> str:
    return "<5" if value is None else str(value)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """Numbers per gebied and month for team leads: plots with a table beside each; no personal data."""
    d = team_numbers(session)
    charts = {
        metric: bar_chart(
            f"grafiek-{metric}", f"{label} per maand, hele gemeente", d.months, list(d.city[metric].values())
        )
        for metric, label in METRICS_NL.items()
    }
    return page(
        request,
        "ui/dashboard.html",
        user,
        d=d,
        charts=charts,
        metrics=METRICS_NL,
        month_nl=month_nl,
        shown=_shown,
    )


@router.get("/dashboard.csv")
def dashboard_csv(session: SessionDep, user: UiUser) -> Response:
    """The same numbers as CSV: one row per gebied, month and measure ("<5" where a count is suppressed)."""
    d = team_numbers(session)
    record(session, actor=user, action="list.export", object_type="dashboard", reason="teamdashboard (CSV)")
    rows: list[list[object]] = []
    for metric, label in METRICS_NL.items():
        for code, name in d.areas:
            rows += [[name, month, label, _shown(d.counts[metric][code][month])] for month in d.months]
        rows += [["hele gemeente", month, label, _shown(d.city[metric][month])] for month in d.months]
    for code, name in d.areas:
        rows.append([name, d.months[-1], "Open vacatures nu", _shown(d.open_vacancies[code])])
        rows.append([name, d.months[-1], "Actieve kandidaten nu", _shown(d.active_candidates[code])])
    for month in d.months:
        days = d.days_to_placement[month]
        rows.append(
            ["hele gemeente", month, "Dagen van suggestie tot plaatsing (mediaan)", "" if days is None else days]
        )
    return csv_response("teamdashboard", ["gebied", "maand", "meting", "aantal"], rows)
