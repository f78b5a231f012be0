"""A partial update states the same limits as the create it patches: otherwise a PATCH the schema allows is
refused by the code, or stored and then fails the read schema (a 500). Found by the schemathesis CLI with a second
seed (driving_licences: 16 items; an employer's contact_phone of 200 characters)."""

from __future__ import annotations

import pytest

from models.schemas import (
    CandidateCreate,
    CandidateUpdate,
    EmployerCreate,
    EmployerUpdate,
    VacancyCreate,
    VacancyUpdate,
)

LIMITS = (
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "const",
    "format",
)


def _branch(prop: dict) -> dict:
    """The non-null branch of a property (``anyOf: [X, null]`` → X)."""
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    return options[0] if len(options) == 1 else {"anyOf": options}


def _limits(node: dict, defs: dict) -> dict:
    if "$ref" in node:
        return {"$ref": node["$ref"].rsplit("/", 1)[-1]}
    out = {k: node[k] for k in LIMITS if k in node}
    if "items" in node:
        out["items"] = _limits(_branch(node["items"]), defs)
    if "anyOf" in node:
        out["anyOf"] = [_limits(x, defs) for x in node["anyOf"]]
    return out


@pytest.mark.parametrize(
    ("create", "update"),
    [(CandidateCreate, CandidateUpdate), (VacancyCreate, VacancyUpdate), (EmployerCreate, EmployerUpdate)],
)
def test_an_update_states_the_limits_of_the_create(create, update):
    made, patched = create.model_json_schema(), update.model_json_schema()
    defs = made.get("$defs", {})
    differ = {}
    for name, prop in patched["properties"].items():
        if name not in made["properties"]:
            continue
        want = _limits(_branch(made["properties"][name]), defs)
        got = _limits(_branch(prop), defs)
        if want != got:
            differ[name] = {"create": want, "update": got}
    assert not differ, differ
