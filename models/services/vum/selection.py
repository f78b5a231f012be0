"""VUM selection queries: the subset of MongoDB's query language the contract describes, evaluated over the VUM
rendering of a profile or vacancy (the same JSON an asking party receives).

The contract (interface specification v3.0.0) lists which attribute paths and operators a source honours; the
README of the specification says that combinations it does not describe "have no effect at the source", so an
unknown operator or path is ignored, never an error. ``selectiegebied`` (postcode + distance in km) is the one
deviation from MongoDB and is handled apart (it needs the national postcode centre points).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = frozenset({"$eq", "$gte", "$gt", "$lte", "$lt", "$elemMatch", "$or", "$all"})

ALIASES: dict[str, str] = {
    # The contract's query paths that differ from where the detail schema puts the value.
    "datumAanvangBeschikbaarVoorWerk": "flexibiliteit.datumAanvangBeschikbaarVoorWerk",
    "datumAanvangWerkzaamheden": "arbeidsVoorwaarden.datumAanvangWerkzaamheden",
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


# ------------------------------------------------------------------------ what the contract lets a query say
# The attribute paths and operator arguments the interface specification v3.0.0 describes, per kind, written
# here as a small schema (werkmatch's own, from reading the contract). A value that breaks them is a 400 (the
# contract's schema refuses it); a path or operator it does not describe stays allowed and has no effect.
Spec = tuple[Any, ...]


def _obj(
    props: dict[str, Spec], *, required: tuple[str, ...] = (), closed: bool = False, forbid: tuple[str, ...] = ()
) -> Spec:
    return ("obj", props, required, closed, forbid)


def _op(op: str, arg: Spec) -> Spec:
    return _obj({op: arg})


def _enum(*values: Any) -> Spec:
    return ("enum", values)


def _list(item: Spec, min_items: int = 0) -> Spec:
    return ("list", item, min_items)


INT_HOURS: Spec = ("int", 1, 99)
DATE: Spec = ("date",)
URI: Spec = ("str", 200, None)
LANGUAGE: Spec = ("str", 3, r"^[a-z]{3}$")
POSTCODE: Spec = ("str", 6, r"^[0-9]{4}[a-zA-Z]{2}$")
LICENCE_CODES = ("A", "A1", "A2", "AM", "B", "B+", "C1", "C", "D1", "D", "BE", "C1E", "CE", "D1E", "DE", "T")
LEVEL: Spec = _op("$gte", _enum(2, 3, 4))
LICENCES: Spec = _op(
    "$all", _list(_op("$elemMatch", _obj({"codeSoortRijbewijs": _op("$eq", _enum(*LICENCE_CODES))})), 1)
)
LANGUAGES: Spec = _op(
    "$all",
    _list(
        _op(
            "$elemMatch",
            _obj(
                {
                    "codeTaal": _op("$eq", LANGUAGE),
                    "codeNiveauTaalbeheersingMondeling": LEVEL,
                    "codeNiveauTaalbeheersingSchriftelijk": LEVEL,
                },
                required=("codeTaal",),
            ),
        ),
        1,
    ),
)
ONE_OR_TWO: Spec = _op("$eq", _enum(1, 2))
AREA: Spec = _obj({"postcode": POSTCODE, "afstand": ("int", 0, 999)}, required=("postcode", "afstand"))
QUERY: dict[str, dict[str, Spec]] = {
    "c": {
        "selectiegebied": AREA,
        "bemiddelingsberoep": _op(
            "$elemMatch", _obj({"$or": _list(_obj({"beroep.codeBeroepsnaam": _op("$eq", URI)}))})
        ),
        "contractvorm": _op(
            "$elemMatch", _obj({"$or": _list(_obj({"codeTypeArbeidscontract": _op("$eq", _enum("O", "B"))}), 1)})
        ),
        "flexibiliteit.indicatieOnregelmatigWerkOfPloegendienst": ONE_OR_TWO,
        "arbeidsmarktkwalificatie.rijbewijs": LICENCES,
        "arbeidsmarktkwalificatie.taalbeheersing": LANGUAGES,
        "datumAanvangBeschikbaarVoorWerk": _op("$lte", DATE),
        "werktijden.indicatieKantoortijden": ONE_OR_TWO,
        "werktijden.aantalWerkurenPerWeekMaximaal": _op("$gte", INT_HOURS),
        "werktijden.aantalWerkurenPerWeekMinimaal": _op("$lte", INT_HOURS),
    },
    "v": {
        "selectiegebied": AREA,
        "beroep.codeBeroepsnaam": _op("$eq", URI),
        "codeWerkEnDenkniveauMinimaal": (
            "oneof",
            (
                _obj({"$gte": _enum("1", "2", "3", "4", "5", "6"), "$lt": _enum("7")}, required=("$lt",), closed=True),
                _obj({"$eq": _enum("7")}, forbid=("$lt",)),
            ),
        ),
        "datumAanvangWerkzaamheden": _op("$gte", DATE),
        "flexibiliteit.indicatieOnregelmatigWerkOfPloegendienst": ONE_OR_TWO,
        "rijbewijs": LICENCES,
        "taalbeheersing": LANGUAGES,
        "werktijden.aantalWerkurenPerWeekMaximaal": _op("$gte", INT_HOURS),
        "werktijden.aantalWerkurenPerWeekMinimaal": _op("$lte", INT_HOURS),
    },
}


def _problem(value: Any, spec: Spec, where: str) -> str | None:
    """Why ``value`` breaks ``spec`` (None when it does not)."""
    kind = spec[0]
    if kind == "obj":
        _, props, required, closed, forbid = spec
        if not isinstance(value, Mapping):
            return f"{where} must be an object"
        for key in required:
            if key not in value:
                return f"{where}.{key} is required"
        for key in forbid:
            if key in value:
                return f"{where}.{key} is not allowed here"
        if closed and set(value) - set(props):
            return f"{where} allows only {', '.join(props)}"
        for key, sub in props.items():
            if key in value and (why := _problem(value[key], sub, f"{where}.{key}")):
                return why
        return None
    if kind == "list":
        if not isinstance(value, list) or len(value) < spec[2]:
            return f"{where} must be a list" + (f" of at least {spec[2]}" if spec[2] else "")
        return next((w for i, v in enumerate(value) if (w := _problem(v, spec[1], f"{where}[{i}]"))), None)
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and spec[1] <= value <= spec[2]
        return None if ok else f"{where} must be a whole number from {spec[1]} to {spec[2]}"
    if kind == "enum":
        ok = any(value == v and type(value) is type(v) for v in spec[1])
        return None if ok else f"{where} must be one of {', '.join(map(str, spec[1]))}"
    if kind == "str":
        ok = isinstance(value, str) and len(value) <= spec[1] and (spec[2] is None or re.match(spec[2], value))
        return None if ok else f"{where} is not a valid code"
    if kind == "date":
        try:
            ok = isinstance(value, str) and len(value) == 10 and bool(dt.date.fromisoformat(value))
        except ValueError:
            ok = False
        return None if ok else f"{where} must be a date (YYYY-MM-DD)"
    if kind == "oneof":
        fits = [s for s in spec[1] if _problem(value, s, where) is None]
        return None if len(fits) == 1 else f"{where} does not have one of the forms the contract allows"
    raise AssertionError(kind)


def check(query: Any, *, kind: str) -> None:
    """Refuse a query whose described criteria break the contract (SelectionError, a 400)."""
    if not isinstance(query, Mapping):
        raise SelectionError("vraagObject must be an object")
    if "selectiegebied" not in query:
        raise SelectionError("vraagObject.selectiegebied with postcode and afstand is required")
    for key, spec in QUERY[kind].items():
        if key in query and (why := _problem(query[key], spec, f"vraagObject.{key}")):
            raise SelectionError(why)
