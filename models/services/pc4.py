"""Centre points of all Dutch four-digit postcodes (PC4), read from the folder ``WERKMATCH_GEO_DIR`` names.

The file is reference data outside the repository (GeoNames, CC BY 4.0; see docs/operations.md for a current
copy). VUM's ``selectiegebied`` needs it (queries come from anywhere in the country), and the gemeente's own
postcodes take their centre points from it when it is there (``refine_postcodes``).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.ranking import haversine_km
from models.services import Invalid
from models.tables import Postcode

FILE = "nl-pc4-centroids.csv"
PC4 = re.compile(r"^([1-9][0-9]{3}) ?([A-Za-z]{2})?$")


@dataclass(frozen=True)
class PostcodePoints:
    """PC4 -> (lat, lon)."""

    points: dict[str, tuple[float, float]]

    @classmethod
    def load(cls, folder: Path | None) -> PostcodePoints:
        """The points in ``folder`` (cached per folder); an empty set when the folder or file is missing."""
        if folder is None:
            return cls({})
        return _load(folder.resolve())

    def __len__(self) -> int:
        return len(self.points)

    def point(self, postcode: str) -> tuple[float, float] | None:
        """The centre point of a PC4 or PC6 postcode's four-digit area, or None when unknown."""
        m = PC4.match(postcode.strip())
        return self.points.get(m.group(1)) if m else None

    def distance_km(self, a: str, b: str) -> float | None:
        """Straight-line kilometres between the centres of two postcode areas; None when one is unknown."""
        pa, pb = self.point(a), self.point(b)
        return None if pa is None or pb is None else haversine_km(pa, pb)

    def require(self, postcode: str, *, field: str) -> tuple[float, float]:
        """The point, or a clear error naming the field."""
        point = self.point(postcode)
        if point is None:
            raise Invalid(f"postcode {postcode!r} is not a known Dutch postcode area", field=field)
        return point


@functools.lru_cache(maxsize=4)
def _load(folder: Path) -> PostcodePoints:
    path = folder / FILE
    if not path.is_file():
        return PostcodePoints({})
    with path.open(encoding="utf-8", newline="") as f:
        return PostcodePoints({row["pc4"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(f)})


def refine_postcodes(session: Session, *, points: PostcodePoints) -> int:
    """Give the gemeente's postcodes the national centre points (today's are approximate); returns how many moved."""
    moved = 0
    for pc in session.scalars(select(Postcode)):
        point = points.point(pc.code)
        if point is not None and (round(pc.lat, 4), round(pc.lon, 4)) != point:
            pc.lat, pc.lon = point
            moved += 1
    session.flush()
    return moved
