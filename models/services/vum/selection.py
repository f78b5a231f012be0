"""VUM selection queries: the subset of MongoDB's query language the contract describes, evaluated over the VUM
rendering of a profile or vacancy (the same JSON an asking party receives).

The contract (interface specification v3.0.0) lists which attribute paths and operators a source honours; the
README of the specification says that combinations it does not describe "have no effect at the source", so an
unknown operator or path is ignored, never an error. ``selectiegebied`` (postcode + distance in km) is the one
deviation from MongoDB and is handled apart (it needs the national postcode centre points).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = frozenset({"$eq", "$gte", "$gt", "$lte", "$lt", "$elemMatch", "$or", "$all"})

ALIASES: dict[str, str] = {
    # The contract's query paths that differ from where the detail schema puts the value.
    "datumAanvangBeschikbaarVoorWerk": "flexibiliteit.datumAanvangBeschikbaarVoorWerk",
    "datumAanvangWerkzaamheden": "arbeidsVoorwaarden.datumAanvangWerkzaamheden",
    "rijbewijs": "rijbewijs",
    "taalbeheersing": "taalbeheersing",
}
ELEMENT_ALIASES: dict[str, str] = {
    # Inside ``bemiddelingsberoep`` (a list of ``Beroep``) the contract queries ``beroep.codeBeroepsnaam``.
    "beroep.codeBeroepsnaam": "codeBeroepsnaam",
}


class SelectionError(ValueError):
    """A query that cannot be evaluated (a wrong type where the contract fixes one)."""


@dataclass(frozen=True)
class Area:
    """``selectiegebied``: within ``km`` of the centre of ``postcode``."""

    postcode: str
    km: int


def split(query: Mapping[str, Any]) -> tuple[Area, dict[str, Any]]:
    """The query's ``selectiegebied`` and the rest (the MongoDB-style criteria)."""
    area = query.get("selectiegebied")
    if not isinstance(area, Mapping) or "postcode" not in area or "afstand" not in area:
        raise SelectionError("vraagObject.selectiegebied with postcode and afstand is required")
    postcode, km = area["postcode"], area["afstand"]
    if not isinstance(postcode, str) or isinstance(km, bool) or not isinstance(km, int) or not 0 <= km <= 999:
        raise SelectionError("selectiegebied: postcode is text (9999AA) and afstand a whole number of km (0-999)")
    return Area(postcode.strip().upper(), km), {k: v for k, v in query.items() if k != "selectiegebied"}


def _values(doc: Any, path: str) -> list[Any]:
    """The values at a dotted path; lists along the way are crossed element by element (MongoDB's rule)."""
    current = [doc]
    for key in path.split("."):
        nxt: list[Any] = []
        for value in current:
            if isinstance(value, list):
                nxt.extend(v[key] for v in value if isinstance(v, Mapping) and key in v)
            elif isinstance(value, Mapping) and key in value:
                nxt.append(value[key])
        current = nxt
    return current


def _comparable(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return (isinstance(a, int | float) and isinstance(b, int | float)) or (isinstance(a, str) and isinstance(b, str))


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda a, b: a == b,
    "$gte": lambda a, b: _comparable(a, b) and a >= b,
    "$gt": lambda a, b: _comparable(a, b) and a > b,
    "$lte": lambda a, b: _comparable(a, b) and a <= b,
    "$lt": lambda a, b: _comparable(a, b) and a < b,
}


def _scalars(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _condition(values: list[Any], cond: Any, *, element: bool) -> bool:
    """Whether the values at a path meet one condition (an operator object, or a value for equality)."""
    if not isinstance(cond, Mapping) or not any(str(k).startswith("$") for k in cond):
        return any(v == cond for v in _scalars(values))
    for op, arg in cond.items():
        if op in COMPARE:
            if not any(COMPARE[op](v, arg) for v in _scalars(values)):
                return False
        elif op == "$elemMatch":
            if not isinstance(arg, Mapping):
                raise SelectionError("$elemMatch takes an object")
            elements = [e for v in values for e in (v if isinstance(v, list) else [v])]
            if not any(matches(e, arg, element=True) for e in elements):
                return False
        elif op == "$all":
            if not isinstance(arg, list):
                raise SelectionError("$all takes a list")
            if not all(_condition(values, item, element=element) for item in arg):
                return False
        # any other operator has no effect at the source (the specification's rule for versions)
    return True


def matches(doc: Any, query: Mapping[str, Any], *, element: bool = False) -> bool:
    """Whether a VUM record (or an element of one of its lists) meets the criteria of a query."""
    for key, cond in query.items():
        if key == "$or":
            if not isinstance(cond, list):
                raise SelectionError("$or takes a list")
            if cond and not any(isinstance(c, Mapping) and matches(doc, c, element=element) for c in cond):
                return False
            continue
        if key.startswith("$"):
            continue
        path = (ELEMENT_ALIASES if element else ALIASES).get(key, key)
        values = _values(doc, path)
        if not values and element and key in ELEMENT_ALIASES:
            values = _values(doc, key)
        if not _condition(values, cond, element=element):
            return False
    return True
