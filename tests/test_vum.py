"""VUM (#17): werkmatch as a source over real mutual TLS, asked by werkmatch as an intermediary, on both databases.

The source runs in `werkmatch vum serve`'s configuration (uvicorn, client certificate required) on loopback with
certificates from the tests' own CA. Every answer is checked against the published contract (ibnext/vum-docs,
read from WERKMATCH_TEST_VUM_CONTRACTS or the library's mirror; never copied into the repository).
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.vum import create_vum_app
from api.vum_tls import ClientCertificateProtocol, server_context_options
from matcher.ranking import haversine_km
from models.db import session_scope
from models.services.candidate_flows import record_vum_consent
from models.services.pc4 import PostcodePoints
from models.services.vum import mapping, selection, source
from models.services.vum.client import VumClient, VumUnavailable
from models.tables import AuditEvent, Candidate, CandidatePersonal, User, Vacancy, VumSelectionItem
from tests.pki import TestCA
from tests.serving import free_port
from werkmatch.settings import Settings, VumParty

REPO = Path(__file__).resolve().parents[1]
GEO_DIR = Path(os.environ.get("WERKMATCH_GEO_DIR", REPO.parent / "shared" / "geo"))
MIRROR = Path("/work/.mirror/ibnext+vum-docs/repo")
OIN_A = "00000001001234567000"  # the source gemeente
OIN_B = "00000001007654321000"  # another gemeente, asking directly
OIN_SLOW = "00000001001111111000"  # a party allowed two requests a minute
OIN_X = "00000001009999999000"  # a certificate of the right CA, not on the allow-list
SECRET = "s" * 40
OCC = "http://data.europa.eu/esco/occupation/test-orderpicker"


def _contract(name: str) -> dict[str, Any] | None:
    import yaml

    folder = os.environ.get("WERKMATCH_TEST_VUM_CONTRACTS")
    if folder:
        return yaml.safe_load((Path(folder) / f"{name}.yaml").read_text())  # type: ignore[no-any-return]
    if MIRROR.is_dir():
        out = subprocess.run(
            ["git", f"--git-dir={MIRROR}", "show", f"HEAD:OAS_Contracten/{name}.yaml"], capture_output=True, text=True
        )
        if out.returncode == 0:
            return yaml.safe_load(out.stdout)  # type: ignore[no-any-return]
    return None


CONTRACTS = {"c": _contract("VUM-Bron-WerkzoekendeProfielen"), "v": _contract("VUM-Bron-Vacatures")}


def conforms(kind: str, schema: str, body: Any) -> None:
    """``body`` is valid for the contract's schema ``schema`` (skipped loudly without the contract)."""
    import jsonschema_rs

    contract = CONTRACTS[kind]
    if contract is None:
        pytest.skip("the VUM contract is not here: set WERKMATCH_TEST_VUM_CONTRACTS to a vum-docs/OAS_Contracten")
    root = {"$ref": f"#/components/schemas/{schema}", "components": contract["components"]}
    errors = [e.message for e in jsonschema_rs.Draft7Validator(root, validate_formats=True).iter_errors(body)]
    assert not errors, errors[:5]


def selection_answer_conforms(kind: str, body: Any) -> None:
    assert set(body) == {"maximumAantalResultatenBereikt", "matches"}
    assert isinstance(body["maximumAantalResultatenBereikt"], bool)
    name = "WerkzoekendeMatchingProfielen" if kind == "c" else "VacatureMatchingProfielen"
    conforms(kind, name, body["matches"])


@pytest.fixture(scope="session")
def geo_dir() -> Path:
    if not (GEO_DIR / "nl-pc4-centroids.csv").is_file():
        pytest.skip(f"postcode centre points missing in {GEO_DIR}")
    return GEO_DIR


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("pki")
    ca, other = TestCA(folder / "ca"), TestCA(folder / "other", name="someone else CA")
    return {
        "ca": ca,
        "a": ca.issue(OIN_A, name="Gemeente A"),
        "b": ca.issue(OIN_B, name="Gemeente B"),
        "slow": ca.issue(OIN_SLOW, name="Trage partij"),
        "x": ca.issue(OIN_X, name="Onbekende partij"),
        "forged_b": other.issue(OIN_B, name="Gemeente B (vervalst)"),
    }


def _settings(pki, geo_dir: Path, **over: Any) -> Settings:
    return Settings(
        secret_key=SECRET,
        geo_dir=geo_dir,
        vum_oin=OIN_A,
        vum_tls_certfile=pki["a"].cert,
        vum_tls_keyfile=pki["a"].key,
        vum_tls_ca=pki["ca"].pem,
        **(
            {
                "vum_max_details": 3,
                "vum_parties": {OIN_B: VumParty(name="Gemeente B"), OIN_SLOW: VumParty(name="Traag", per_minute=2)},
            }
            | over
        ),
    )


class Source:
    """`werkmatch vum serve` in a thread: uvicorn, TLS with a required client certificate."""

    def __init__(self, settings: Settings, engine: Any) -> None:
        assert settings.vum_tls_certfile and settings.vum_tls_keyfile and settings.vum_tls_ca
        self.port = free_port()
        config = uvicorn.Config(
            create_vum_app(settings, engine),
            host="127.0.0.1",
            port=self.port,
            http=ClientCertificateProtocol,
            log_level="warning",
            **server_context_options(
                certfile=str(settings.vum_tls_certfile),
                keyfile=str(settings.vum_tls_keyfile),
                ca=str(settings.vum_tls_ca),
            ),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the VUM source did not start"
            time.sleep(0.05)
        self.url = f"https://127.0.0.1:{self.port}/vum/v3"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _client(source_: Source, pki, party: str = "b", oin: str = OIN_B) -> VumClient:
    return VumClient(
        base_url=source_.url,
        own_oin=oin,
        via_oin=oin,
        to_oin=OIN_A,
        certfile=pki[party].cert,
        keyfile=pki[party].key,
        ca=pki["ca"].pem,
    )


def _raw(source_: Source, pki, party: str = "b") -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(pki["ca"].pem))
    if party:
        ctx.load_cert_chain(str(pki[party].cert), str(pki[party].key))
    return httpx.Client(base_url=source_.url, verify=ctx, timeout=10)


HEADERS = {
    "X-VUM-berichtVersie": "3.0.0",
    "API-Version": "3.0.0",
    "X-VUM-fromParty": OIN_B,
    "X-VUM-toParty": OIN_A,
    "X-VUM-viaParty": OIN_B,
    "X-VUM-SUWIparty": "true",
}


def _prepare(engine: Any) -> dict[str, list[int]]:
    """Consent for VUM for every other candidate (with an ESCO-coded occupation), and half the vacancies offered
    with a workplace postcode; returns who may and may not be exchanged."""
    with session_scope(engine) as s:
        cands = s.scalars(select(Candidate).order_by(Candidate.id)).all()
        yes, no = [], []
        for i, c in enumerate(cands):
            c.desired_occupations = [{"label": "orderpicker", "uri": OCC}] if i % 3 == 0 else c.desired_occupations
            if i % 2 == 0 and c.status.value == "active" and c.personal and c.personal.postcode_full:
                c.vum_consent, c.vum_contact = True, i % 4 == 0
                yes.append(c.id)
            else:
                no.append(c.id)
        vacs = s.scalars(select(Vacancy).order_by(Vacancy.id)).all()
        offered = []
        for i, v in enumerate(vacs):
            if i % 2 == 0 and v.status.value == "open":
                v.vum_exchange, v.workplace_postcode = True, f"{v.postcode}AB"
                if i % 4 == 0:
                    v.occupation = {"label": "Orderpicker", "uri": OCC}
                offered.append(v.id)
    return {"yes": yes, "no": no, "offered": offered}


@pytest.fixture
def world(small_db, pki, geo_dir):
    people = _prepare(small_db)
    out = {"engine": small_db, "source": Source(_settings(pki, geo_dir), small_db), **people}
    yield out
    out["source"].stop()


GRONINGEN = {"postcode": "9711AA", "afstand": 50}


def _ids_of(engine: Any, kind: str, party: str = OIN_B) -> dict[str, int]:
    """The VUM ids a party knows this source's rows by."""
    model = Candidate if kind == "c" else Vacancy
    with Session(engine) as s:
        return {source.vum_id(SECRET, party=party, kind=kind, entity_id=i): i for i in s.scalars(select(model.id))}


def test_a_round_trip_between_an_intermediary_and_a_source_over_mutual_tls(world, pki):
    client = _client(world["source"], pki)
    found, more = client.select("c", {"selectiegebied": GRONINGEN})
    ids = _ids_of(world["engine"], "c")
    assert sorted(ids[f["idWerkzoekende"]] for f in found) == sorted(world["yes"])
    assert more is False
    with _raw(world["source"], pki) as raw:
        res = raw.post(
            "/werkzoekendeProfielen/matches", json={"vraagObject": {"selectiegebied": GRONINGEN}}, headers=HEADERS
        )
        assert res.status_code == 200
        assert res.headers["X-VUM-fromParty"] == OIN_A and res.headers["X-VUM-toParty"] == OIN_B
        assert res.headers["API-Version"] == "3.0.0" and res.headers["X-VUM-berichtVersie"] == "3.0.0"
        selection_answer_conforms("c", res.json())
    [one] = client.details("c", [found[0]["idWerkzoekende"]])
    conforms("c", "Werkzoekende", one)
    cid = ids[one["idWerkzoekende"]]
    with Session(world["engine"]) as s:
        cand = s.get(Candidate, cid)
        personal = s.get(CandidatePersonal, cid)
        assert one["mobiliteit"]["bemiddelingspostcode"] == mapping.postcode6(personal.postcode_full)
        text = repr(one)
        for secret in (personal.first_name, personal.last_name, cand.external_id, cand.about[:30] or "\x00"):
            assert secret not in text, f"{secret!r} left werkmatch"
        assert "indicatieLdrRegistratie" not in one and "persoonlijkePresentatie" not in one
        assert ("emailadres" in one) == bool(cand.vum_contact and personal.email)
        assert one["contactpersoon"][0]["emailadres"] == cand.coach.email  # the coach is the contact
    vacs, _ = client.select("v", {"selectiegebied": GRONINGEN})
    vids = _ids_of(world["engine"], "v")
    assert sorted(vids[v["idVacature"]] for v in vacs) == sorted(world["offered"])
    selection_answer_conforms("v", {"maximumAantalResultatenBereikt": False, "matches": vacs})
    [vac] = client.details("v", [vacs[0]["idVacature"]])
    conforms("v", "Vacature", vac)


def test_a_certificate_of_an_unknown_party_or_another_ca_is_refused(world, pki):
    with _raw(world["source"], pki, "x") as raw:
        res = raw.post("/vacatures/matches", json={"vraagObject": {"selectiegebied": GRONINGEN}}, headers=HEADERS)
        assert res.status_code == 401 and res.content == b""
        assert res.headers["X-VUM-fromParty"] == OIN_A
    for party in ("forged_b", ""):
        with pytest.raises(httpx.HTTPError), _raw(world["source"], pki, party) as raw:
            raw.post("/vacatures/matches", json={"vraagObject": {"selectiegebied": GRONINGEN}}, headers=HEADERS)
    # a party may not ask in another party's name (only the exchange asks for others)
    with _raw(world["source"], pki, "slow") as raw:
        res = raw.post("/vacatures/matches", json={"vraagObject": {"selectiegebied": GRONINGEN}}, headers=HEADERS)
        assert res.status_code == 401
    with Session(world["engine"]) as s:
        assert not s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("vum.%")))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"API-Version": "2.0.0"}, "VERSION"),
        ({"X-VUM-SUWIparty": "misschien"}, "HEADER"),
        ({"X-VUM-viaParty": ""}, "HEADER"),
    ],
)
def test_wrong_headers_are_a_400_in_the_vum_error_model(world, pki, change, code):
    with _raw(world["source"], pki) as raw:
        res = raw.post(
            "/vacatures/matches", json={"vraagObject": {"selectiegebied": GRONINGEN}}, headers=HEADERS | change
        )
    assert res.status_code == 400
    assert res.json()["code"] == code and res.json()["message"]
    conforms("v", "Error", res.json())


@pytest.mark.parametrize(
    "body",
    [
        {"vraagObject": {}},
        {"vraagObject": {"selectiegebied": {"postcode": "0000AA", "afstand": 5}}},
        {"vraagObject": {"selectiegebied": {"postcode": "9711AA", "afstand": "ver"}}},
        {"vraagObject": {"selectiegebied": GRONINGEN}, "extra": 1},
        {"vraagObject": {"selectiegebied": GRONINGEN, "$or": "geen lijst"}},
        {"vraagObject": {"selectiegebied": GRONINGEN, "werktijden.aantalWerkurenPerWeekMaximaal": {"$gte": 100}}},
        {"vraagObject": {"selectiegebied": GRONINGEN, "bemiddelingsberoep": "orderpicker"}},
        ["geen", "object"],
    ],
)
def test_a_malformed_query_is_a_400_never_a_500(world, pki, body):
    with _raw(world["source"], pki) as raw:
        res = raw.post("/werkzoekendeProfielen/matches", json=body, headers=HEADERS)
        assert res.status_code == 400, res.text
        conforms("c", "Error", res.json())
        res = raw.get("/werkzoekendeProfielen/nooit-gezien", headers=HEADERS)
        assert res.status_code == 400 and res.json()["code"] == "UNKNOWN_ID"


def test_consent_decides_who_is_exchanged_and_withdrawing_it_works_at_once(world, pki):
    engine = world["engine"]
    client = _client(world["source"], pki)
    ids = _ids_of(engine, "c")
    found, _ = client.select("c", {"selectiegebied": GRONINGEN})
    assert not {ids[f["idWerkzoekende"]] for f in found} & set(world["no"]), "a candidate without VUM consent left"
    target = ids[found[0]["idWerkzoekende"]]
    with session_scope(engine) as s:
        coach = s.scalar(select(User).join(Candidate, Candidate.coach_id == User.id).where(Candidate.id == target))
        record_vum_consent(s, user=coach, candidate_id=target, consent=False, contact_details=False)
    again, _ = client.select("c", {"selectiegebied": GRONINGEN})
    assert target not in {ids[f["idWerkzoekende"]] for f in again}
    with pytest.raises(VumUnavailable, match="400"):
        client.details("c", [found[0]["idWerkzoekende"]])
    with session_scope(engine) as s:
        for c in s.scalars(select(Candidate).where(Candidate.vum_consent.is_(True))):
            c.vum_consent = False
    assert client.select("c", {"selectiegebied": GRONINGEN}) == ([], False)


def test_details_are_limited_per_selection_and_parties_per_minute(world, pki):
    client = _client(world["source"], pki)
    found, _ = client.select("c", {"selectiegebied": GRONINGEN})
    assert len(found) >= 4
    first = [f["idWerkzoekende"] for f in found[:3]]
    assert len(client.details("c", first)) == 3
    with pytest.raises(VumUnavailable, match="429"):
        client.details("c", [found[3]["idWerkzoekende"]])
    slow = _client(world["source"], pki, "slow", OIN_SLOW)
    slow.select("v", {"selectiegebied": GRONINGEN})
    slow.select("v", {"selectiegebied": GRONINGEN})
    with _raw(world["source"], pki, "slow") as raw:
        res = raw.post(
            "/vacatures/matches",
            json={"vraagObject": {"selectiegebied": GRONINGEN}},
            headers=HEADERS | {"X-VUM-fromParty": OIN_SLOW, "X-VUM-viaParty": OIN_SLOW},
        )
    assert res.status_code == 429 and res.json()["code"] == "RATE"


def test_every_request_is_audited_with_the_party_and_what_it_got(world, pki):
    client = _client(world["source"], pki)
    found, _ = client.select("c", {"selectiegebied": GRONINGEN})
    client.details("c", [found[0]["idWerkzoekende"]])
    ids = _ids_of(world["engine"], "c")
    with Session(world["engine"]) as s:
        sel = s.scalars(select(AuditEvent).where(AuditEvent.action == "vum.select.werkzoekendeProfielen")).one()
        assert sel.details["from_party"] == OIN_B and sel.details["certificate_party"] == OIN_B
        assert sorted(sel.details["returned"]) == sorted(ids[f["idWerkzoekende"]] for f in found)
        det = s.scalars(select(AuditEvent).where(AuditEvent.action == "vum.detail.werkzoekendeProfielen")).one()
        assert det.object_type == "candidate" and det.object_id == str(ids[found[0]["idWerkzoekende"]])
        assert det.details["from_party"] == OIN_B


def test_each_party_gets_its_own_ids_and_deleting_a_candidate_removes_them(world, pki):
    b, slow = _client(world["source"], pki), _client(world["source"], pki, "slow", OIN_SLOW)
    ids_b = {f["idWerkzoekende"] for f in b.select("c", {"selectiegebied": GRONINGEN})[0]}
    ids_slow = {f["idWerkzoekende"] for f in slow.select("c", {"selectiegebied": GRONINGEN})[0]}
    assert ids_b and not ids_b & ids_slow
    gone = world["yes"][0]
    with session_scope(world["engine"]) as s:
        s.delete(s.get(Candidate, gone))
    with Session(world["engine"]) as s:
        assert not s.scalar(
            select(func.count()).select_from(VumSelectionItem).where(VumSelectionItem.candidate_id == gone)
        )
        assert s.scalar(select(func.count()).select_from(VumSelectionItem)) > 0


# ----------------------------------------------------------------------------------- selection semantics
LICENCES = ["A", "AM", "B", "BE", "C", "CE", "D", "DE", "T"]
CODES = [OCC, "http://data.europa.eu/esco/occupation/other"]


def _brute_force(c: Candidate, q: dict[str, Any], points: PostcodePoints, today: dt.date) -> bool:
    """The query's meaning, written straight over werkmatch's own fields (not over the VUM rendering)."""
    full = mapping.postcode6(c.personal.postcode_full if c.personal else None)
    if not (c.vum_consent and c.status.value == "active" and full and full.startswith(c.postcode)):
        return False
    area = q["selectiegebied"]
    a, b = points.point(area["postcode"]), points.point(full)
    if a is None or b is None or haversine_km(a, b) > area["afstand"]:
        return False
    if (
        "werktijden.aantalWerkurenPerWeekMaximaal" in q
        and not min(c.hours_max, 99) >= q["werktijden.aantalWerkurenPerWeekMaximaal"]["$gte"]
    ):
        return False
    if (
        "werktijden.aantalWerkurenPerWeekMinimaal" in q
        and not min(c.hours_min, 99) <= q["werktijden.aantalWerkurenPerWeekMinimaal"]["$lte"]
    ):
        return False
    if "arbeidsmarktkwalificatie.rijbewijs" in q:
        wanted = {m["$elemMatch"]["codeSoortRijbewijs"]["$eq"] for m in q["arbeidsmarktkwalificatie.rijbewijs"]["$all"]}
        if not wanted <= set(c.driving_licences or []):
            return False
    if "bemiddelingsberoep" in q:
        codes = {o["beroep.codeBeroepsnaam"]["$eq"] for o in q["bemiddelingsberoep"]["$elemMatch"]["$or"]}
        if not codes & {o.get("uri") for o in c.desired_occupations or []}:
            return False
    available = max(c.available_from or today, today).isoformat()
    if "datumAanvangBeschikbaarVoorWerk" in q and not available <= q["datumAanvangBeschikbaarVoorWerk"]["$lte"]:
        return False
    if "arbeidsmarktkwalificatie.taalbeheersing" in q:
        level = mapping.DUTCH_TO_TAAL[c.dutch_level] if c.dutch_level else 0
        need = q["arbeidsmarktkwalificatie.taalbeheersing"]["$all"][0]["$elemMatch"][
            "codeNiveauTaalbeheersingMondeling"
        ]["$gte"]
        if level < need:
            return False
    return True


queries = st.fixed_dictionaries(
    {
        "selectiegebied": st.fixed_dictionaries(
            {"postcode": st.sampled_from(["9711AA", "9741AB", "9301ZZ", "1011AB"]), "afstand": st.integers(0, 60)}
        )
    },
    optional={
        "werktijden.aantalWerkurenPerWeekMaximaal": st.builds(lambda n: {"$gte": n}, st.integers(1, 40)),
        "werktijden.aantalWerkurenPerWeekMinimaal": st.builds(lambda n: {"$lte": n}, st.integers(1, 40)),
        "arbeidsmarktkwalificatie.rijbewijs": st.builds(
            lambda ls: {"$all": [{"$elemMatch": {"codeSoortRijbewijs": {"$eq": lic}}} for lic in ls]},
            st.lists(st.sampled_from(LICENCES), min_size=1, max_size=2, unique=True),
        ),
        "bemiddelingsberoep": st.builds(
            lambda cs: {"$elemMatch": {"$or": [{"beroep.codeBeroepsnaam": {"$eq": c}} for c in cs]}},
            st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True),
        ),
        "datumAanvangBeschikbaarVoorWerk": st.builds(
            lambda d: {"$lte": (dt.date.today() + dt.timedelta(days=d)).isoformat()}, st.integers(-5, 120)
        ),
        "arbeidsmarktkwalificatie.taalbeheersing": st.builds(
            lambda n: {
                "$all": [{"$elemMatch": {"codeTaal": {"$eq": "nld"}, "codeNiveauTaalbeheersingMondeling": {"$gte": n}}}]
            },
            st.sampled_from([2, 3, 4]),
        ),
    },
)


@pytest.fixture
def consenting(small_db, backend):
    if backend != "sqlite":
        pytest.skip("the selection semantics do not depend on the database (the round trips run on both)")
    _prepare(small_db)
    return small_db


def test_selection_operators_agree_with_a_brute_force_filter(consenting, geo_dir):
    points = PostcodePoints.load(geo_dir)
    cfg = source.SourceConfig(secret=SECRET, points=points, crosswalk=mapping.Crosswalk({}), max_results=1000)
    caller = source.Caller(certificate_party=OIN_B, from_party=OIN_B, via_party=OIN_B)
    today = dt.date.today()
    seen_hits = []

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=queries)
    def check(q: dict[str, Any]) -> None:
        with Session(consenting) as s:
            found, more = source.select_matches(s, caller=caller, kind="c", query=q, cfg=cfg)
            by_vum = _ids_of(consenting, "c")
            got = sorted(by_vum[f["idWerkzoekende"]] for f in found)
            cands = s.scalars(select(Candidate)).all()
            want = sorted(c.id for c in cands if _brute_force(c, q, points, today))
            s.rollback()
        assert got == want, q
        assert more is False
        seen_hits.append(len(got))

    check()
    assert any(seen_hits) and not all(seen_hits), "the generated queries both select and leave out candidates"


def _brute_force_vacancy(v: Vacancy, q: dict[str, Any], points: PostcodePoints) -> bool:
    """A vacancy query's meaning over werkmatch's own vacancy fields."""
    from matcher.enums import WorkCondition

    full = mapping.postcode6(v.workplace_postcode)
    if not (v.vum_exchange and v.status.value == "open" and v.vum_source is None and full):
        return False
    a, b = points.point(q["selectiegebied"]["postcode"]), points.point(full)
    if a is None or b is None or haversine_km(a, b) > q["selectiegebied"]["afstand"]:
        return False
    if "beroep.codeBeroepsnaam" in q and (v.occupation or {}).get("uri") != q["beroep.codeBeroepsnaam"]["$eq"]:
        return False
    level = mapping.VACANCY_MINIMUM_WERK_EN_DENKNIVEAU[v.education_level]
    if "codeWerkEnDenkniveauMinimaal" in q and not q["codeWerkEnDenkniveauMinimaal"]["$gte"] <= level < "7":
        return False
    if "datumAanvangWerkzaamheden" in q and not (
        v.start_date and v.start_date.isoformat() >= q["datumAanvangWerkzaamheden"]["$gte"]
    ):
        return False
    if "rijbewijs" in q:
        wanted = {m["$elemMatch"]["codeSoortRijbewijs"]["$eq"] for m in q["rijbewijs"]["$all"]}
        if not wanted <= {v.driving_licence}:
            return False
    hours = q.get("werktijden.aantalWerkurenPerWeekMinimaal")
    if hours and not min(v.hours_min, 99) <= hours["$lte"]:
        return False
    hours = q.get("werktijden.aantalWerkurenPerWeekMaximaal")
    if hours and not min(v.hours_max, 99) >= hours["$gte"]:
        return False
    irregular = {WorkCondition.night_shifts, WorkCondition.evening_shifts} & set(v.work_conditions or [])
    flex = q.get("flexibiliteit.indicatieOnregelmatigWerkOfPloegendienst")
    return not (flex and (1 if irregular else 2) != flex["$eq"])


vacancy_queries = st.fixed_dictionaries(
    {
        "selectiegebied": st.fixed_dictionaries(
            {"postcode": st.sampled_from(["9711AA", "9741AB", "9301ZZ", "1011AB"]), "afstand": st.integers(0, 60)}
        )
    },
    optional={
        "beroep.codeBeroepsnaam": st.builds(lambda c: {"$eq": c}, st.sampled_from(CODES)),
        "codeWerkEnDenkniveauMinimaal": st.builds(lambda n: {"$gte": n, "$lt": "7"}, st.sampled_from("123456")),
        "datumAanvangWerkzaamheden": st.builds(
            lambda d: {"$gte": (dt.date.today() + dt.timedelta(days=d)).isoformat()}, st.integers(-30, 60)
        ),
        "rijbewijs": st.builds(
            lambda ls: {"$all": [{"$elemMatch": {"codeSoortRijbewijs": {"$eq": lic}}} for lic in ls]},
            st.lists(st.sampled_from(LICENCES), min_size=1, max_size=2, unique=True),
        ),
        "werktijden.aantalWerkurenPerWeekMaximaal": st.builds(lambda n: {"$gte": n}, st.integers(1, 40)),
        "werktijden.aantalWerkurenPerWeekMinimaal": st.builds(lambda n: {"$lte": n}, st.integers(1, 40)),
        "flexibiliteit.indicatieOnregelmatigWerkOfPloegendienst": st.builds(
            lambda n: {"$eq": n}, st.sampled_from([1, 2])
        ),
    },
)


def test_vacancy_selection_agrees_with_a_brute_force_filter(consenting, geo_dir):
    with session_scope(consenting) as s:  # every open vacancy offered, workplaces spread over the gemeente
        for i, v in enumerate(s.scalars(select(Vacancy).order_by(Vacancy.id))):
            v.vum_exchange, v.workplace_postcode = True, f"{v.postcode}AB"
            v.driving_licence = ["B", None, "C"][i % 3]
    points = PostcodePoints.load(geo_dir)
    cfg = source.SourceConfig(secret=SECRET, points=points, crosswalk=mapping.Crosswalk({}), max_results=1000)
    caller = source.Caller(certificate_party=OIN_B, from_party=OIN_B, via_party=OIN_B)
    seen_hits = []

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=vacancy_queries)
    def check(q: dict[str, Any]) -> None:
        with Session(consenting) as s:
            found, _ = source.select_matches(s, caller=caller, kind="v", query=q, cfg=cfg)
            by_vum = _ids_of(consenting, "v")
            got = sorted(by_vum[f["idVacature"]] for f in found)
            want = sorted(v.id for v in s.scalars(select(Vacancy)) if _brute_force_vacancy(v, q, points))
            s.rollback()
        assert got == want, q
        seen_hits.append(len(got))

    check()
    assert any(seen_hits) and not all(seen_hits), "the generated queries both select and leave out vacancies"


def test_an_unknown_operator_has_no_effect_and_a_wrong_type_is_refused():
    rec = {"werktijden": {"aantalWerkurenPerWeekMaximaal": 32}}
    assert selection.matches(rec, {"werktijden.aantalWerkurenPerWeekMaximaal": {"$near": 3}})
    assert not selection.matches(rec, {"werktijden.aantalWerkurenPerWeekMaximaal": {"$gte": 33}})
    with pytest.raises(selection.SelectionError):
        selection.matches(rec, {"$or": {"a": 1}})
    with pytest.raises(mapping.VumCodeError, match="codeSoortRijbewijs"):
        mapping.vacancy_fields(
            {"rijbewijs": [{"codeSoortRijbewijs": "Z9"}]}, crosswalk=mapping.Crosswalk({}), label_of=lambda _u: None
        )


# ----------------------------------------------------------------------------------- werkmatch as intermediary
def test_a_coach_elsewhere_finds_and_ranks_this_sources_vacancies(world, pki, geo_dir, tmp_path, engine_embedder):
    from models.db import make_engine
    from models.migrate import upgrade
    from models.services.demo import load_demo
    from models.services.vum.intermediary import search_vacancies

    other = make_engine(f"sqlite:///{tmp_path / 'gemeente-b.db'}")  # the intermediary: a werkmatch of its own
    upgrade(other)
    with session_scope(other) as s:
        load_demo(s, candidates=5, vacancies=0, seed=11)
        cand = s.scalars(select(Candidate).order_by(Candidate.id)).first()
        cand.desired_occupations = [{"label": "orderpicker", "uri": OCC}]
        cand.hours_min, cand.hours_max, cand.ladder_step = 8, 40, 6
        cand.personal.postcode_full = f"{cand.postcode}AB"
        coach, cid = cand.coach, cand.id
        found, answered = search_vacancies(
            s,
            user=coach,
            candidate_id=cid,
            client=_client(world["source"], pki),
            embedder=engine_embedder,
            taxonomy=None,
            points=PostcodePoints.load(geo_dir),
            crosswalk=mapping.Crosswalk({}),
            label_of=lambda _uri: None,
            top=2,
        )
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "vum.search.vacatures")).one()
        assert audit.object_id == str(cid) and audit.details["to_party"] == OIN_A
    other.dispose()
    vids = _ids_of(world["engine"], "v")
    assert answered >= 1 and 1 <= len(found) <= 2
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    for f in found:
        assert vids[f.vum_id] in world["offered"]
        assert f.record["idVacature"] == f.vum_id and "werkgever" in f.record  # the detail record
        assert f.explanation["reasons"], "the same Dutch explanations as for the gemeente's own vacancies"
    with Session(world["engine"]) as s:  # the source saw one selection and the detail requests, audited
        assert s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "vum.detail.vacatures")
        ) == len(found)


def test_the_cli_says_in_one_line_what_vum_is_missing(tmp_path):
    from typer.testing import CliRunner

    from werkmatch.cli import build_app
    from werkmatch.settings import get_settings

    env = {"WERKMATCH_DATA_DIR": str(tmp_path), "WERKMATCH_VUM_OIN": ""}
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(build_app(), ["vum", "serve"], env={k: v for k, v in env.items() if v})
        assert res.exit_code == 2 and "WERKMATCH_VUM_OIN is not set" in res.output
        assert "Traceback" not in res.output
        env = {
            "WERKMATCH_DATA_DIR": str(tmp_path),
            "WERKMATCH_VUM_OIN": OIN_A,
            "WERKMATCH_VUM_PARTIES": f'{{"{OIN_B}": {{}}}}',
        }
        get_settings.cache_clear()
        res = CliRunner().invoke(build_app(), ["vum", "serve"], env=env)
        assert res.exit_code == 2 and "WERKMATCH_VUM_TLS_CERTFILE is not set" in res.output
    finally:
        get_settings.cache_clear()


def test_a_coach_finds_vacancies_elsewhere_in_the_web_ui(api, world, pki, geo_dir, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from matcher.enums import OfferType
    from matcher.ranking import offer_fits_ladder
    from tests.factories import ui_client

    with Session(api.env["engine"]) as s:
        coach = api.env["users"]["coach.oost"]
        cand = s.scalars(
            select(Candidate)
            .join(CandidatePersonal)
            .where(Candidate.coach_id == coach, CandidatePersonal.postcode_full.is_not(None))
            .order_by(Candidate.id)
        ).first()
        cid, pc4, lo, hi, step = cand.id, cand.postcode, cand.hours_min, cand.hours_max, cand.ladder_step
        codes = [o["uri"] for o in cand.desired_occupations if o.get("uri")]
        label = cand.desired_occupations[0]["label"] if cand.desired_occupations else "Medewerker"
    offer = next(o for o in OfferType if offer_fits_ladder(o.value, step))
    with session_scope(world["engine"]) as s:  # the source's offered vacancies, made to suit this client
        for v in s.scalars(select(Vacancy).where(Vacancy.vum_exchange.is_(True))):
            v.workplace_postcode, v.hours_min, v.hours_max, v.offer_type = f"{pc4}AB", lo, hi, offer
            v.occupation = {"label": label, "uri": codes[0]} if codes else v.occupation
            v.title = f"Elders: {v.title}"
            v.driving_licence, v.work_conditions, v.education_level = None, [], "none"  # no hard condition fails
    world["source"].stop()  # a source with the agreements' usual detail limit: 10 ranked, then one kept
    world["source"] = Source(_settings(pki, geo_dir, vum_max_details=25), world["engine"])
    settings = Settings(
        database_url=api.env["url"],
        data_dir=tmp_path,
        secret_key=SECRET,
        geo_dir=geo_dir,
        vum_oin=OIN_B,
        vum_exchange_url=world["source"].url,
        vum_exchange_oin=OIN_A,
        vum_tls_certfile=pki["b"].cert,
        vum_tls_keyfile=pki["b"].key,
        vum_tls_ca=pki["ca"].pem,
    )

    class Other:  # the intermediary: the API world's werkmatch, configured for VUM
        env = api.env
        http = TestClient(create_app(settings, store=api.env["store"], preload=False))

    ui = ui_client(Other, "coach.oost")
    page = ui.get(f"/ui/kandidaten/{cid}")
    assert "Uitwisselen via VUM" in page.text and f"/ui/kandidaten/{cid}/elders" in page.text
    res = ui.get(f"/ui/kandidaten/{cid}/elders")
    assert res.status_code == 200
    main = res.text.split("<main", 1)[-1]
    assert "Elders: " in res.text and "VUM gaf geen antwoord" not in res.text, main[:3000]
    assert "Dit is een advies: u beslist." in res.text
    other = ui_client(Other, "coach.west")
    assert other.get(f"/ui/kandidaten/{cid}/elders").status_code == 404

    # the coach keeps one as an external vacancy: ranked and followed like the gemeente's own from then on
    import re

    vum_id = re.search(r'name="vum_id" value="([a-z0-9]+)"', res.text).group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', res.text).group(1)
    kept = ui.post(
        f"/ui/kandidaten/{cid}/elders/bewaren", data={"csrf": csrf, "vum_id": vum_id}, follow_redirects=False
    )
    assert kept.status_code == 303 and "/ui/vacatures/" in kept.headers["location"]
    vac_id = int(re.search(r"/ui/vacatures/(\d+)", kept.headers["location"]).group(1))
    shown = ui.get(kept.headers["location"])
    assert "via VUM" in shown.text and "Elders: " in shown.text
    source_row = _ids_of(world["engine"], "v")[vum_id]
    with Session(api.env["engine"]) as s:
        vac = s.get(Vacancy, vac_id)
        assert (vac.vum_source, vac.vum_id, vac.status.value) == (OIN_A, vum_id, "open")
        assert (vac.workplace_lat, vac.workplace_lon) == PostcodePoints.load(geo_dir).point(vac.workplace_postcode)
    # the source closes it; werkmatch vum refresh closes the kept copy (and keeps the others open)
    from models.services.vum.intermediary import refresh_imported

    with session_scope(world["engine"]) as s:
        s.get(Vacancy, source_row).status = "closed"
    try:
        with session_scope(api.env["engine"]) as s:
            counts = refresh_imported(
                s,
                client=_client(world["source"], pki),
                points=PostcodePoints.load(geo_dir),
                crosswalk=mapping.Crosswalk({}),
                label_of=lambda _u: None,
            )
        assert counts["closed"] == 1
        with Session(api.env["engine"]) as s:
            assert s.get(Vacancy, vac_id).status.value == "closed"
    finally:
        with session_scope(api.env["engine"]) as s:  # the API world is shared: leave no external vacancy behind
            s.delete(s.get(Vacancy, vac_id))


# ----------------------------------------------------------------------------------- the contract, fuzzed
CONTRACT_FILES = {"c": "VUM-Bron-WerkzoekendeProfielen", "v": "VUM-Bron-Vacatures"}


@pytest.mark.parametrize("kind", ["c", "v"])
def test_the_source_keeps_the_published_contract_under_schemathesis(small_db, backend, pki, geo_dir, tmp_path, kind):
    """The schemathesis CLI with the contract itself as the schema, over mutual TLS, every check: status codes,
    content types, response bodies and headers as the contract has them, schema-violating input refused."""
    import sys

    import yaml

    from tests.contract import failures_of

    if backend != "sqlite":
        pytest.skip("the contract is the same on both databases (the round trips run on both)")
    contract = CONTRACTS[kind]
    if contract is None:
        pytest.skip("the VUM contract is not here: set WERKMATCH_TEST_VUM_CONTRACTS to a vum-docs/OAS_Contracten")
    _prepare(small_db)
    settings = _settings(pki, geo_dir, vum_parties={OIN_B: VumParty(name="Gemeente B", per_minute=100_000)})
    src = Source(settings, small_db)
    schema = tmp_path / f"{CONTRACT_FILES[kind]}.yaml"
    schema.write_text(yaml.safe_dump(contract))
    report = tmp_path / "events.ndjson"
    config = tmp_path / "schemathesis.toml"
    # A schema-valid request can still be unanswerable: a postcode that does not exist, an id no selection of this
    # party returned. The contract's answer for those is 400 (it has no 404), so 400 counts as accepting them.
    config.write_text('[checks.positive_data_acceptance]\nexpected-statuses = ["2xx", "400", "429"]\n')
    headers = [arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    try:
        out = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(config),
                "run",
                str(schema),
                "--url",
                src.url,
                *headers,
                "--tls-verify",
                str(pki["ca"].pem),
                "--request-cert",
                str(pki["b"].cert),
                "--request-cert-key",
                str(pki["b"].key),
                "-c",
                "all",
                "--max-examples",
                "60",
                "--seed",
                "17",
                "--generation-deterministic",
                "--report",
                "ndjson",
                "--report-ndjson-path",
                str(report),
                "--no-color",
            ],
            cwd=tmp_path,
            env=os.environ | {"NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        src.stop()
    assert report.exists(), out.stdout[-3000:]
    failures = {(f["operation"], f["check"], f["title"]) for f in failures_of(report)}
    assert not failures, (sorted(failures), out.stdout[-12000:])
