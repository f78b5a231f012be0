"""Dutch labels of the enumerations, in one place, for explanations, pages and e-mails."""

from __future__ import annotations

ROLE_NL = {"coach": "coach", "employer_adviser": "werkgeversadviseur", "jobhunter": "jobhunter", "admin": "beheerder"}
OFFER_NL = {
    "paid_job": "betaalde baan",
    "work_experience": "werkervaringsplaats",
    "learning_job": "leerwerkplek/BBL",
    "participation": "participatieplaats/vrijwilligerswerk",
}
VACANCY_STATUS_NL = {"open": "open", "filled": "vervuld", "closed": "gesloten"}
CANDIDATE_STATUS_NL = {"active": "actief", "paused": "gepauzeerd", "placed": "geplaatst", "withdrawn": "uitgestroomd"}
MATCH_STATUS_NL = {
    "suggested": "voorgesteld door werkmatch",
    "proposed_to_candidate": "voorgelegd aan kandidaat",
    "proposed_to_employer": "voorgesteld aan werkgever",
    "interview": "gesprek",
    "placed": "geplaatst",
    "rejected": "afgewezen",
    "withdrawn": "ingetrokken",
}
EDUCATION_NL = {
    "none": "geen diploma",
    "vmbo": "vmbo",
    "mbo1": "mbo 1",
    "mbo2": "mbo 2",
    "mbo3": "mbo 3",
    "mbo4": "mbo 4",
    "hbo": "hbo",
    "wo": "wo",
}
SUBSCRIPTION_KIND_NL = {
    "vacancy_candidates": "nieuwe kandidaten voor mijn vacatures",
    "client_vacancies": "nieuwe vacatures voor mijn cliënten",
    "area_pairs": "sterke nieuwe combinaties in mijn gebied",
}
CONTRACT_NL = {
    "none": "nog niet bekend",
    "permanent": "vast (onbepaalde tijd)",
    "temporary": "tijdelijk (bepaalde tijd)",
    "agency": "via uitzendbureau",
    "on_call": "oproep / nul-uren",
}
TRAVEL_MODE_NL = {"walk": "lopend", "bike": "fiets", "public_transport": "openbaar vervoer", "car": "auto"}
CONSTRAINT_NL = {
    "no_night_shifts": "geen nachtdiensten",
    "no_evening_shifts": "geen avonddiensten",
    "no_weekends": "niet in het weekend",
    "no_heavy_lifting": "geen zwaar tilwerk",
}
AUDIT_ACTION_NL = {
    "audit.prune": "auditlog opgeschoond",
    "candidate.consent": "toestemming vastgelegd of ingetrokken",
    "candidate.create": "cliënt toegevoegd",
    "candidate.delete": "cliënt verwijderd",
    "candidate.export": "gegevens van cliënt geëxporteerd",
    "candidate.release": "naam en contactgegevens gedeeld",
    "candidate.update": "profiel gewijzigd",
    "candidate.view": "profiel bekeken",
    "candidate.vum_consent": "toestemming voor VUM vastgelegd of ingetrokken",
    "list.export": "lijst geëxporteerd (CSV)",
    "employer.create": "werkgever toegevoegd",
    "employer.delete": "werkgever verwijderd",
    "employer.update": "werkgever gewijzigd",
    "match.feedback": "match beoordeeld",
    "match.status": "match naar volgende stap",
    "match.view": "match bekeken",
    "token.create": "token gemaakt",
    "token.revoke": "tokens ingetrokken",
    "ui.login": "ingelogd",
    "ui.login_failed": "inloggen mislukt",
    "ui.logout": "uitgelogd",
    "user.create": "gebruiker toegevoegd",
    "user.deactivate": "gebruiker uitgeschakeld",
    "vacancy.create": "vacature toegevoegd",
    "vacancy.delete": "vacature verwijderd",
    "vacancy.update": "vacature gewijzigd",
    "vacancy.vum_exchange": "vacature aangeboden via VUM (of niet meer)",
    "vum.select.werkzoekendeProfielen": "VUM: profielen gezocht door andere partij",
    "vum.select.vacatures": "VUM: vacatures gezocht door andere partij",
    "vum.detail.werkzoekendeProfielen": "VUM: profiel opgevraagd door andere partij",
    "vum.detail.vacatures": "VUM: vacature opgevraagd door andere partij",
    "vum.search.vacatures": "VUM: vacatures elders gezocht",
    "vum.import.vacancy": "VUM: vacature van elders bewaard",
    "vum.close.vacancy": "VUM: bewaarde vacature gesloten door de bron",
}
OBJECT_NL = {
    "candidate": "cliënt",
    "vacancy": "vacature",
    "employer": "werkgever",
    "match": "match",
    "user": "gebruiker",
    "token": "token",
    "vum_selection": "VUM-zoekvraag",
}
