"""OpenAPI links between operations: from where an id appears (a created resource, a list, a ranking) to the
operations that take it, so clients and stateful testers can chain create → read → update → delete."""

from __future__ import annotations

from typing import Any

ID = "$response.body#/id"
FIRST = "$response.body#/items/0/id"

CANDIDATE = [
    ("GetCandidate", "/v1/candidates/{candidate_id}", "get"),
    ("UpdateCandidate", "/v1/candidates/{candidate_id}", "patch"),
    ("DeleteCandidate", "/v1/candidates/{candidate_id}", "delete"),
    ("RecordConsent", "/v1/candidates/{candidate_id}/consent", "post"),
    ("ExportCandidate", "/v1/candidates/{candidate_id}/export", "get"),
    ("RankVacancies", "/v1/candidates/{candidate_id}/matches", "get"),
]
VACANCY = [
    ("GetVacancy", "/v1/vacancies/{vacancy_id}", "get"),
    ("UpdateVacancy", "/v1/vacancies/{vacancy_id}", "patch"),
    ("DeleteVacancy", "/v1/vacancies/{vacancy_id}", "delete"),
    ("RankCandidates", "/v1/vacancies/{vacancy_id}/matches", "get"),
]
EMPLOYER = [
    ("GetEmployer", "/v1/employers/{employer_id}", "get"),
    ("UpdateEmployer", "/v1/employers/{employer_id}", "patch"),
    ("DeleteEmployer", "/v1/employers/{employer_id}", "delete"),
]
MATCH = [
    ("GetMatch", "/v1/matches/{match_id}", "get"),
    ("ChangeMatchStatus", "/v1/matches/{match_id}/status", "post"),
    ("GiveFeedback", "/v1/matches/{match_id}/feedback", "post"),
]
USER = [
    ("DeactivateUser", "/v1/admin/users/{user_id}/deactivate", "post"),
    ("IssueToken", "/v1/admin/users/{user_id}/tokens", "post"),
    ("RevokeTokens", "/v1/admin/users/{user_id}/tokens", "delete"),
]

SOURCES: list[tuple[str, str, str, str, list[tuple[str, str, str]]]] = [
    # (path, method, status, where the id is, the operations that take it)
    ("/v1/candidates", "post", "201", ID, CANDIDATE),
    ("/v1/candidates", "get", "200", FIRST, CANDIDATE),
    ("/v1/candidates/{candidate_id}", "get", "200", ID, CANDIDATE),
    ("/v1/vacancies", "post", "201", ID, VACANCY),
    ("/v1/vacancies", "get", "200", FIRST, VACANCY),
    ("/v1/vacancies/{vacancy_id}", "get", "200", ID, VACANCY),
    ("/v1/employers", "post", "201", ID, EMPLOYER),
    ("/v1/employers", "get", "200", FIRST, EMPLOYER),
    ("/v1/matches", "post", "201", ID, MATCH),
    ("/v1/matches", "get", "200", FIRST, MATCH),
    ("/v1/admin/users", "post", "201", ID, USER),
    ("/v1/admin/users", "get", "200", "$response.body#/0/id", USER),
]
BODY_LINKS: list[tuple[str, str, str, str, str, dict[str, str]]] = [
    # a ranking names both sides of a match: save its best pair
    (
        "/v1/candidates/{candidate_id}/matches",
        "get",
        "200",
        "SaveBestMatch",
        "/v1/matches",
        {"candidate_id": "$response.body#/candidate_id", "vacancy_id": "$response.body#/items/0/vacancy/id"},
    ),
    (
        "/v1/vacancies/{vacancy_id}/matches",
        "get",
        "200",
        "SaveBestMatch",
        "/v1/matches",
        {"vacancy_id": "$response.body#/vacancy_id", "candidate_id": "$response.body#/items/0/candidate/id"},
    ),
]


def _parameter(path: str) -> str:
    return path[path.index("{") + 1 : path.index("}")]


def add_links(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the links above to the document (in place; operations are named by their operationId)."""
    paths = doc["paths"]

    def op_id(path: str, method: str) -> str:
        return str(paths[path][method]["operationId"])

    for path, method, status, where, targets in SOURCES:
        response = paths[path][method]["responses"][status]
        links = response.setdefault("links", {})
        for name, target, target_method in targets:
            links[name] = {
                "operationId": op_id(target, target_method),
                "parameters": {_parameter(target): where},
            }
    for path, method, status, name, target, body in BODY_LINKS:
        response = paths[path][method]["responses"][status]
        response.setdefault("links", {})[name] = {"operationId": op_id(target, "post"), "requestBody": body}
    return doc
