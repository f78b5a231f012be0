"""Factories for valid candidate and vacancy payloads; tests override what they exercise."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def candidate_payload(**over: Any) -> dict[str, Any]:
    """A valid candidate row in the import format."""
    n = next(_seq)
    row: dict[str, Any] = {
        "external_id": f"t-c-{n}",
        "area": "oost",
        "postcode": "9733",
        "coach_email": "coach.oost@demo.werkmatch.nl",
        "desired_occupations": [{"label": "orderpicker"}],
        "skills": [{"label": "orders verzamelen"}, {"label": "heftruck besturen"}],
        "experience": [{"title": "magazijnmedewerker", "years": 2, "last_year": 2021}],
        "education_level": "vmbo",
        "hours_min": 20,
        "hours_max": 32,
        "ladder_step": 4,
        "about": "Ik werk graag met mijn handen.",
        "personal": {"first_name": "Test", "last_name": f"Persoon{n}", "email": f"t{n}@example.org"},
    }
    row.update(over)
    return row


def vacancy_payload(**over: Any) -> dict[str, Any]:
    """A valid vacancy row in the import format."""
    n = next(_seq)
    row: dict[str, Any] = {
        "external_id": f"t-v-{n}",
        "title": "Orderpicker (m/v/x)",
        "description": "Wij zoeken een orderpicker voor ons distributiecentrum.",
        "area": "oost",
        "postcode": "9731",
        "owner_email": "adviseur.oost@demo.werkmatch.nl",
        "occupation": {"label": "orderpicker"},
        "required_skills": [{"label": "orders verzamelen"}],
        "hours_min": 24,
        "hours_max": 36,
        "employer": {"external_id": f"t-e-{n}", "name": f"Distributie {n}", "area": "oost"},
    }
    row.update(over)
    return row


def ui_client(api, who: str):
    """A browser-like client signed in to the web UI as a demo user (sign-in form with its CSRF value)."""
    import re

    from fastapi.testclient import TestClient

    c = TestClient(api.http.app)
    form = c.get("/ui/inloggen")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
    res = c.post("/ui/inloggen", data={"token": api.env["tokens"][who], "csrf": csrf}, follow_redirects=False)
    assert res.status_code == 303, res.text
    c.last_sign_in = res  # type: ignore[attr-defined]
    return c
