"""Gebieden, wijken and postcodes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data import load_json
from models.schemas import AreaRead, WijkRead
from models.services import Invalid
from models.tables import Area, Postcode, Wijk


def seed_areas(session: Session) -> int:
    """Insert Groningen's gebieden, wijken and postcodes when missing; return how many postcodes exist."""
    existing = {a.code: a for a in session.scalars(select(Area))}
    known_pc = set(session.scalars(select(Postcode.code)))
    for a in load_json("areas.json")["areas"]:
        area = existing.get(a["code"])
        if area is None:
            area = Area(code=a["code"], name=a["name"])
            session.add(area)
            session.flush()
        wijken = {w.name: w for w in session.scalars(select(Wijk).where(Wijk.area_id == area.id))}
        for w in a["wijken"]:
            wijk = wijken.get(w["name"])
            if wijk is None:
                wijk = Wijk(area_id=area.id, name=w["name"])
                session.add(wijk)
                session.flush()
            for code, lat, lon in w["postcodes"]:
                if code not in known_pc:
                    session.add(Postcode(code=code, wijk_id=wijk.id, lat=lat, lon=lon))
                    known_pc.add(code)
    session.flush()
    Geo.forget()
    return len(known_pc)


def list_areas(session: Session) -> list[AreaRead]:
    """All gebieden with their wijken and postcodes."""
    areas = session.scalars(
        select(Area).options(selectinload(Area.wijken).selectinload(Wijk.postcodes)).order_by(Area.name)
    )
    return [
        AreaRead(
            id=a.id,
            code=a.code,
            name=a.name,
            wijken=[WijkRead(name=w.name, postcodes=[p.code for p in w.postcodes]) for w in a.wijken],
        )
        for a in areas
    ]


@dataclass(frozen=True)
class PostcodeInfo:
    """A postcode's wijk, gebied and centre point."""

    code: str
    wijk: str
    area_code: str
    lat: float
    lon: float


@dataclass(frozen=True)
class AreaInfo:
    """A gebied: its id, code and name."""

    id: int
    code: str
    name: str


class Geo:
    """An in-memory lookup of gebieden and postcodes (reference data; plain values, safe across sessions).

    ``Geo.of(session)`` shares one per database for ``CACHE_SECONDS``; ``seed_areas`` clears it.
    """

    CACHE_SECONDS = 60.0
    _cache: ClassVar[dict[str, tuple[float, Geo]]] = {}
    _cache_lock = threading.Lock()

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(Area.id, Area.code, Area.name))
        self.areas: dict[str, AreaInfo] = {r.code: AreaInfo(r.id, r.code, r.name) for r in rows}
        self.area_by_id: dict[int, AreaInfo] = {a.id: a for a in self.areas.values()}
        pcs = session.execute(
            select(Postcode.code, Wijk.name, Area.code, Postcode.lat, Postcode.lon)
            .join(Wijk, Postcode.wijk_id == Wijk.id)
            .join(Area, Wijk.area_id == Area.id)
        )
        self.postcodes: dict[str, PostcodeInfo] = {r[0]: PostcodeInfo(*r) for r in pcs}

    @classmethod
    def of(cls, session: Session) -> Geo:
        """The shared lookup for this session's database (built at most once per ``CACHE_SECONDS``)."""
        key = str(session.get_bind().engine.url)
        now = time.monotonic()
        hit = cls._cache.get(key)
        if hit is not None and now - hit[0] < cls.CACHE_SECONDS and hit[1].areas:
            return hit[1]
        geo = cls(session)
        with cls._cache_lock:
            cls._cache[key] = (now, geo)
        return geo

    @classmethod
    def forget(cls) -> None:
        """Drop the shared lookups (after gebieden or postcodes changed)."""
        with cls._cache_lock:
            cls._cache.clear()

    def area(self, code: str) -> AreaInfo:
        """The area with this code, or a clear error."""
        area = self.areas.get(code)
        if area is None:
            raise Invalid(f"unknown gebied '{code}' (known: {', '.join(sorted(self.areas))})", field="area")
        return area

    def postcode(self, code: str) -> PostcodeInfo:
        """The postcode, or a clear error."""
        info = self.postcodes.get(code)
        if info is None:
            raise Invalid(f"postcode {code} is not a known postcode of the gemeente", field="postcode")
        return info
