"""Seeded generator of realistic, synthetic candidates and vacancies for Groningen (never real people)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data import load_json
from matcher.enums import ContractType, OfferType, TravelMode, WorkConstraint
from matcher.esco import Esco
from models.enums import Role
from models.schemas import AreaCode, UserCreate
from models.services.areas import Geo, seed_areas
from models.services.users import create_user
from models.tables import Candidate, CandidatePersonal, Employer, User, Vacancy, utcnow

DEMO_DOMAIN = "demo.werkmatch.nl"
EDU_WEIGHTS = {"none": 14, "vmbo": 22, "mbo1": 12, "mbo2": 22, "mbo3": 12, "mbo4": 9, "hbo": 6, "wo": 3}
LADDER_WEIGHTS = {1: 4, 2: 14, 3: 24, 4: 28, 5: 22, 6: 8}


TEAM_LEAD = "coach.centrum"
"""The demo user who also reads the team dashboard."""


def demo_users(session: Session) -> list[User]:
    """Create one coach, employer adviser and jobhunter per gebied and one admin (when missing)."""
    geo = Geo.of(session)
    users: list[User] = []
    specs: list[tuple[str, Role, str | None, str]] = [("admin", Role.admin, None, "Beheerder Werkmatch")]
    for code, area in sorted(geo.areas.items()):
        specs += [
            (f"coach.{code}", Role.coach, code, f"Coach {area.name}"),
            (f"adviseur.{code}", Role.employer_adviser, code, f"Werkgeversadviseur {area.name}"),
            (f"jobhunter.{code}", Role.jobhunter, code, f"Jobhunter {area.name}"),
        ]
    for local, role, area_code, name in specs:
        email = f"{local}@{DEMO_DOMAIN}"
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(
                session,
                data=UserCreate(
                    email=email,
                    name=name,
                    role=role,
                    area=AreaCode(area_code) if area_code else None,
                    team_lead=local == TEAM_LEAD,
                ),
            )
        users.append(user)
    return users


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class DemoGenerator:
    """Generates candidate and vacancy rows deterministically from a seed."""

    def __init__(self, *, seed: int, geo: Geo, esco: Esco | None, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.words = load_json("demo.json")
        self.geo = geo
        self.today = today
        self.area_postcodes: dict[str, list[str]] = {}
        for pc in geo.postcodes.values():
            self.area_postcodes.setdefault(pc.area_code, []).append(pc.code)
        for codes in self.area_postcodes.values():
            codes.sort()
        self.occ_uri: dict[str, str] = {}
        self.skill_uri: dict[str, str] = {}
        if esco is not None:
            by_label = esco.occupation_by_label()
            for occ in self.words["occupations"]:
                for label in [occ.get("esco", ""), *occ["synonyms"]]:
                    hit = by_label.get(label.lower())
                    if hit is not None:
                        self.occ_uri[occ["title"]] = hit.uri
                        break
            dutch = {s.preferred.lower(): s.uri for s in esco.dutch_skills().values()}
            for occ in self.words["occupations"]:
                for skill in occ["skills"]:
                    if skill.lower() in dutch:
                        self.skill_uri[skill] = dutch[skill.lower()]

    def _concept(self, label: str, uri: str | None) -> dict[str, Any]:
        return {"label": label, "uri": uri}

    def candidate(self, n: int, coaches: dict[str, int]) -> tuple[dict[str, Any], dict[str, Any]]:
        """One candidate row and its personal-details row."""
        rng, w = self.rng, self.words
        area = rng.choice(sorted(self.area_postcodes))
        postcode = rng.choice(self.area_postcodes[area])
        occs = rng.sample(w["occupations"], k=rng.choice([1, 1, 2]))
        desired = [self._concept(rng.choice(o["synonyms"]), self.occ_uri.get(o["title"])) for o in occs]
        skills: list[str] = []
        for o in occs:
            skills += rng.sample(o["skills"], k=rng.randint(1, len(o["skills"])))
        skills += rng.sample(w["general_skills"], k=rng.randint(0, 3))
        skills = list(dict.fromkeys(skills))
        experience = []
        for o in rng.sample(w["occupations"], k=rng.choice([0, 1, 1, 2, 3])):
            last = self.today.year - rng.choice([0, 1, 2, 4, 7, 12])
            experience.append(
                {
                    "title": rng.choice(o["synonyms"]),
                    "years": rng.choice([0.5, 1, 2, 3, 5, 8]),
                    "last_year": last,
                    "uri": self.occ_uri.get(o["title"]),
                }
            )
        edu = _pick(rng, EDU_WEIGHTS)
        mode = rng.choice([TravelMode.bike, TravelMode.bike, TravelMode.public_transport, TravelMode.car])
        licences = ["B"] if mode == TravelMode.car or rng.random() < 0.25 else []
        if licences and rng.random() < 0.08:
            licences += rng.choice([["C", "CE"], ["D"]])
        hours_min = rng.choice([0, 8, 12, 16, 20, 24, 32])
        hours_max = min(40, hours_min + rng.choice([8, 12, 16, 20]))
        ladder = _pick(rng, LADDER_WEIGHTS)
        constraints = [c.value for c in WorkConstraint if rng.random() < 0.12]
        about = rng.choice(w["about_templates"]).format(
            occ=desired[0]["label"], exp=experience[0]["title"] if experience else "vrijwilliger"
        )
        first, last = rng.choice(w["first_names"]), rng.choice(w["last_names"])
        birth = self.today - dt.timedelta(days=rng.randint(18 * 365, 64 * 365))
        cand = {
            "external_id": f"demo-c-{n:06d}",
            "coach_id": coaches.get(area),
            "area_id": self.geo.areas[area].id,
            "postcode": postcode,
            "status": rng.choices(["active", "paused", "placed"], weights=[88, 8, 4])[0],
            "consent_to_share": rng.random() < 0.35,
            "desired_occupations": desired,
            "skills": [self._concept(s, self.skill_uri.get(s)) for s in skills],
            "experience": experience,
            "education_level": edu,
            "startkwalificatie": edu not in ("none", "vmbo", "mbo1"),
            "languages": ["Nederlands", *rng.sample(w["languages"][1:], k=rng.choice([0, 1, 1, 2]))],
            "dutch_level": rng.choice(["A2", "B1", "B1", "B2", "C1"]),
            "driving_licences": licences,
            "own_transport": mode == TravelMode.car or rng.random() < 0.5,
            "travel_mode": mode.value,
            "max_travel_km": float(rng.choice([5, 8, 10, 15, 25])) if rng.random() < 0.6 else None,
            "max_travel_minutes": rng.choice([20, 30, 45]) if rng.random() < 0.4 else None,
            "hours_min": hours_min,
            "hours_max": hours_max,
            "available_from": self.today + dt.timedelta(days=rng.choice([0, 0, 14, 30, 60])),
            "ladder_step": ladder,
            "jobcoach": rng.random() < 0.2,
            "lks_eligible": rng.random() < 0.15,
            "doelgroepregister": rng.random() < 0.1,
            "constraints": constraints,
            "about": about,
        }
        personal = {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}{n}@example.org",
            "phone": f"06-{rng.randint(10000000, 99999999)}",
            "street": f"{rng.choice(w['streets'])} {rng.randint(1, 240)}",
            "postcode_full": f"{postcode}{rng.choice('ABCDEGHJKLMN')}{rng.choice('ABCDEGHJKLMN')}",
            "birth_date": birth,
        }
        return cand, personal

    def employer(self, n: int) -> dict[str, Any]:
        """One employer row."""
        sector = self.rng.choice(sorted(self.words["sectors"]))
        name = self.rng.choice(self.words["sectors"][sector])
        area = self.rng.choice(sorted(self.area_postcodes))
        return {
            "external_id": f"demo-e-{n:04d}",
            "name": f"{name}" if n < 40 else f"{name} {n}",
            "kvk_number": f"{10000000 + n * 7919:08d}",
            "sector": sector,
            "area_id": self.geo.areas[area].id,
            "contact_name": "Afdeling personeelszaken",
            "contact_email": f"werk{n}@example.com",
        }

    def vacancy(self, n: int, employers: list[dict[str, Any]], advisers: dict[str, int]) -> dict[str, Any]:
        """One vacancy row."""
        rng, w = self.rng, self.words
        occ = rng.choice(w["occupations"])
        sector_emps = [e for e in employers if e["sector"] == occ["sector"]] or employers
        emp = rng.choice(sector_emps)
        area = next(c for c, a in self.geo.areas.items() if a.id == emp["area_id"])
        postcode = rng.choice(self.area_postcodes[area])
        required = rng.sample(occ["skills"], k=min(len(occ["skills"]), rng.randint(2, 4)))
        nice = rng.sample(w["general_skills"], k=rng.randint(0, 2))
        hours_min = rng.choice([8, 16, 20, 24, 32])
        hours_max = min(40, hours_min + rng.choice([0, 4, 8, 12]))
        offer = rng.choice(occ["offer"])
        title = occ["title"] + (" (m/v/x)" if rng.random() < 0.5 else "")
        if offer == OfferType.work_experience:
            title = f"Werkervaringsplaats {occ['title'].lower()}"
        elif offer == OfferType.participation:
            title = f"Vrijwilliger {occ['title'].lower()}"
        elif offer == OfferType.learning_job:
            title = f"Leerwerkplek {occ['title'].lower()} (BBL)"
        desc = rng.choice(w["vacancy_templates"]).format(
            employer=emp["name"],
            title_l=occ["title"].lower(),
            hours=f"{hours_min}-{hours_max}",
            wijk=self.geo.postcodes[postcode].wijk,
            skills=", ".join(required),
        )
        start = self.today + dt.timedelta(days=rng.choice([0, 7, 14, 30]))
        return {
            "external_id": f"demo-v-{n:05d}",
            "employer_id": emp["id"],
            "owner_id": advisers.get(area),
            "area_id": emp["area_id"],
            "title": title,
            "description": desc,
            "occupation": {"label": occ["title"], "uri": self.occ_uri.get(occ["title"])},
            "required_skills": [self._concept(s, self.skill_uri.get(s)) for s in required],
            "nice_skills": [self._concept(s, None) for s in nice],
            "hours_min": hours_min,
            "hours_max": hours_max,
            "postcode": postcode,
            "contract_type": (ContractType.temporary if offer == OfferType.paid_job else ContractType.none).value,
            "offer_type": offer,
            "education_level": occ["education"],
            "driving_licence": occ.get("licence"),
            "lks_suitable": rng.random() < 0.3,
            "banenafspraak": rng.random() < 0.15,
            "work_conditions": occ["conditions"],
            "start_date": start,
            "closing_date": start + dt.timedelta(days=rng.choice([30, 45, 60])),
            "status": rng.choices(["open", "filled", "closed"], weights=[85, 10, 5])[0],
        }


def has_demo_data(session: Session) -> bool:
    """Whether demo candidates exist already."""
    return bool(session.scalar(select(func.count()).where(Candidate.external_id.like("demo-c-%"))))


def load_demo(
    session: Session,
    *,
    candidates: int = 500,
    vacancies: int = 200,
    seed: int = 42,
    esco: Esco | None = None,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
    distinct: int | None = None,
) -> dict[str, int]:
    """Insert demo users, employers, vacancies and candidates; return the counts.

    With ``distinct``, candidate ``i`` copies the matching fields of candidate ``i % distinct`` (with its
    own id, client number and personal details): a large population with common profiles, which the
    benchmarks use so that building the index does not take hours on two cores.
    """
    seed_areas(session)
    users = demo_users(session)
    geo = Geo.of(session)
    area_of = {a.id: code for code, a in geo.areas.items()}
    coaches = {area_of[u.area_id]: u.id for u in users if u.role == Role.coach and u.area_id}
    advisers = {area_of[u.area_id]: u.id for u in users if u.role == Role.employer_adviser and u.area_id}
    gen = DemoGenerator(seed=seed, geo=geo, esco=esco, today=today or dt.date.today())
    next_emp = (session.scalar(select(func.max(Employer.id))) or 0) + 1
    employers = []
    for i in range(40):
        row = gen.employer(i) | {"id": next_emp + i}
        employers.append(row)
    session.execute(insert(Employer), employers)
    next_vac = (session.scalar(select(func.max(Vacancy.id))) or 0) + 1
    vac_rows = [gen.vacancy(i, employers, advisers) | {"id": next_vac + i} for i in range(vacancies)]
    for start in range(0, len(vac_rows), batch):
        session.execute(insert(Vacancy), vac_rows[start : start + batch])
    next_cand = (session.scalar(select(func.max(Candidate.id))) or 0) + 1
    now = utcnow()
    templates: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for start in range(0, candidates, batch):
        rows, personal = [], []
        for i in range(start, min(candidates, start + batch)):
            if distinct and i >= distinct:
                template, _ = templates[i % distinct]
                cand = dict(template) | {"external_id": f"demo-c-{i:06d}"}
                pers = gen.candidate(i, coaches)[1]
            else:
                cand, pers = gen.candidate(i, coaches)
                if distinct:
                    templates.append((dict(cand), pers))
            cid = next_cand + i
            cand |= {"id": cid, "created_at": now, "updated_at": now}
            if cand["consent_to_share"]:
                cand |= {"consent_recorded_at": now, "consent_recorded_by_id": cand["coach_id"]}
            rows.append(cand)
            personal.append(pers | {"candidate_id": cid})
        session.execute(insert(Candidate), rows)
        session.execute(insert(CandidatePersonal), personal)
        if progress:
            progress(len(rows))
    fix_sequences(session)
    from models.services.subscriptions import ensure_default_subscriptions

    ensure_default_subscriptions(session)
    return {
        "users": len(users),
        "employers": len(employers),
        "vacancies": vacancies,
        "candidates": candidates,
    }


def fix_sequences(session: Session) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequences past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in ("employers", "vacancies", "candidates"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )
