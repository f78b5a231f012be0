"""The nightly e-mail against a real SMTP server: content, exactly once, refusals, outages, a SIGKILL, the lock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.db import session_scope
from models.migrate import upgrade
from models.services.demo import load_demo
from models.services.mail import DirectoryMailer, SmtpMailer
from models.services.matching import EngineStore
from models.services.nightly import LockBusy, nightly_lock, run_nightly
from models.tables import Candidate, CandidatePersonal, NightlyRun, Notification, Subscription, User
from tests.smtp import SmtpServer
from werkmatch.settings import Settings

TODAY = dt.date(2026, 11, 2)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def world(fresh_db, demo_store, esco_dir, tmp_path):
    from matcher.esco import cached_esco

    eng = fresh_db.engine()
    upgrade(eng)
    with session_scope(eng) as s:
        load_demo(s, candidates=60, vacancies=25, seed=5, esco=cached_esco(str(esco_dir)), today=TODAY)
    store = EngineStore(
        embedder=demo_store.engine.embedder,
        folder=tmp_path / "index",
        taxonomy=demo_store.engine.taxonomy,
        today=lambda: TODAY,
    )
    store.engine.vectors = demo_store.engine.vectors
    yield {"engine": eng, "store": store, "db": fresh_db, "tmp": tmp_path}
    eng.dispose()


def _settings(world, port):
    return Settings(
        database_url=world["db"].url,
        data_dir=world["tmp"],
        smtp_port=port,
        smtp_retries=2,
        smtp_backoff_seconds=0.01,
        base_url="https://werkmatch.groningen.example",
    )


def _run(world, server, **kw):
    settings = _settings(world, server.port)
    mailer = SmtpMailer(host="127.0.0.1", port=server.port, retries=2, backoff=0.01)
    return run_nightly(
        engine=world["engine"], store=world["store"], settings=settings, mailer=mailer, lock_dir=world["tmp"], **kw
    )


def _all_rows(world):
    with Session(world["engine"]) as s:
        return list(s.scalars(select(Notification)))


def _ledger(world):
    with Session(world["engine"]) as s:
        return Counter(str(n.status) for n in s.scalars(select(Notification)))


def test_mails_have_dutch_content_headers_and_no_personal_data(world):
    with SmtpServer() as server:
        summary = _run(world, server)
    msgs = server.sink.messages
    assert summary.ok and summary.sent_messages == len(msgs) > 0
    assert len({m["Message-ID"] for m in msgs}) == len(msgs)
    with Session(world["engine"]) as s:
        names = {p.last_name for p in s.scalars(select(CandidatePersonal))}
        emails = {p.email for p in s.scalars(select(CandidatePersonal)) if p.email}
        users = {u.email for u in s.scalars(select(User))}
    for m in msgs:
        assert str(m["To"]) in users and m["Subject"].startswith("werkmatch: ")
        assert m["List-Unsubscribe"].startswith("<https://werkmatch.groningen.example/afmelden/")
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        plain = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        assert "Beste " in plain and "Afmelden (zonder inloggen)" in plain and "Dit is een advies" in plain
        assert "https://werkmatch.groningen.example/ui/" in plain and '<html lang="nl">' in html
        assert "ESCO" in plain
        body = plain + html
        assert not any(n in body for n in names) and not any(e in body for e in emails)
    assert _ledger(world) == Counter({"sent": summary.sent_matches})


def test_every_candidate_in_a_sent_e_mail_is_audited_as_seen_by_its_recipient(world):
    from models.tables import AuditEvent

    with SmtpServer() as server:
        summary = _run(world, server)
    assert summary.sent_messages > 0
    with Session(world["engine"]) as s:
        seen = s.scalars(select(AuditEvent).where(AuditEvent.reason == "e-mail met nieuwe matches")).all()
        by_email = {u.id: u.email for u in s.scalars(select(User))}
    per_recipient = Counter(by_email[e.actor_id] for e in seen)
    for m in server.sink.messages:
        shown = str(m["X-Werkmatch-Matches"]).split(",")
        assert per_recipient[str(m["To"])] == len(shown)


def test_a_rerun_sends_nothing_twice_and_new_data_once(world):
    with SmtpServer() as server:
        first = _run(world, server)
        n_first = len(server.sink.messages)
        second = _run(world, server)
        assert len(server.sink.messages) == n_first and second.sent_messages == 0
        with session_scope(world["engine"]) as s:  # a new client with a wide profile turns up
            c = s.scalars(select(Candidate).where(Candidate.status == "active").order_by(Candidate.id)).first()
            c.about = c.about + " Ik wil graag snel aan het werk."
        third = _run(world, server)
    delivered = server.sink.delivered()
    assert first.sent_messages > 0 and third.ok
    assert len(delivered) == len(set(delivered)), "a (recipient, match) was delivered twice"


def _last_run(world):
    with Session(world["engine"]) as s:
        return s.scalars(select(NightlyRun).order_by(NightlyRun.id.desc())).first()


def _rows_of(world, email):
    with Session(world["engine"]) as s:
        return list(s.scalars(select(Notification).join(User).where(User.email == email)))


ADVISER = "adviseur.oost@demo.werkmatch.nl"


def test_a_recipient_refused_for_good_is_reported_once_and_never_tried_again(world):
    with SmtpServer() as server:
        server.sink.refuse.add(ADVISER)
        first = _run(world, server)
        assert not first.ok and any("adviseur.oost" in f for f in first.failed_recipients)
        assert ADVISER not in {str(m["To"]) for m in server.sink.messages}
        assert {str(n.status) for n in _rows_of(world, ADVISER)} == {"failed"}
        # everyone else got their e-mail, and the run counts as done: the window moves on
        assert first.sent_messages == len(server.sink.messages) > 0 and first.stopped is None
        run = _last_run(world)
        assert run.status == "with_failures"
        server.sink.refuse.clear()
        second = _run(world, server)
    assert second.ok and second.sent_messages == 0 and second.since == run.started_at
    assert {str(n.status) for n in _rows_of(world, ADVISER)} == {"failed"}
    delivered = server.sink.delivered()
    assert len(delivered) == len(set(delivered))


def test_a_greylisted_recipient_waits_for_the_next_run_while_the_others_get_theirs(world):
    with SmtpServer() as server:
        server.sink.greylist.add(ADVISER)
        first = _run(world, server)
        others = {str(m["To"]) for m in server.sink.messages}
        assert ADVISER not in others and len(others) == first.sent_messages > 1
        assert any("adviseur.oost" in d for d in first.deferred_recipients) and not first.failed_recipients
        rows = _rows_of(world, ADVISER)
        assert rows and {str(n.status) for n in rows} == {"pending"} and {n.attempts for n in rows} == {1}
        assert _last_run(world).status == "with_failures"
        server.sink.greylist.clear()
        second = _run(world, server)
    assert second.ok and second.sent_messages == 1
    assert [str(m["To"]) for m in server.sink.messages].count(ADVISER) == 1
    delivered = server.sink.delivered()
    assert len(delivered) == len(set(delivered))
    assert set(_ledger(world)) == {"sent"}


def test_a_recipient_refused_run_after_run_is_given_up_after_the_maximum_attempts(world):
    with SmtpServer() as server:
        server.sink.greylist.add(ADVISER)
        settings = _settings(world, server.port).model_copy(update={"mail_max_attempts": 2})
        summaries = []
        for _ in range(3):
            mailer = SmtpMailer(host="127.0.0.1", port=server.port, retries=2, backoff=0.01)
            summaries.append(
                run_nightly(
                    engine=world["engine"],
                    store=world["store"],
                    settings=settings,
                    mailer=mailer,
                    lock_dir=world["tmp"],
                )
            )
        server.sink.greylist.clear()
        fourth = _run(world, server)
    assert [bool(s.deferred_recipients) for s in summaries] == [True, True, False]
    assert any("given up after 2 attempts" in f for f in summaries[2].failed_recipients)
    assert {(str(n.status), n.attempts) for n in _rows_of(world, ADVISER)} == {("failed", 2)}
    assert ADVISER not in {str(m["To"]) for m in server.sink.messages} and fourth.sent_messages == 0


def test_rows_waiting_for_someone_who_unsubscribes_are_dropped_not_sent(world):
    with SmtpServer() as server:
        server.sink.greylist.add(ADVISER)
        _run(world, server)
        assert _rows_of(world, ADVISER)
        with session_scope(world["engine"]) as s:
            uid = s.scalar(select(User.id).where(User.email == ADVISER))
            for sub in s.scalars(select(Subscription).where(Subscription.user_id == uid)):
                sub.active = False
        server.sink.greylist.clear()
        second = _run(world, server)
    assert second.dropped_matches > 0 and second.ok
    assert _rows_of(world, ADVISER) == []
    assert ADVISER not in {str(m["To"]) for m in server.sink.messages}


def test_smtp_down_half_way_then_rerun_delivers_the_rest_exactly_once(world):
    with SmtpServer() as server:
        server.sink.down_after = 2
        first = _run(world, server)
        assert not first.ok and len(server.sink.messages) == 2
        assert first.stopped and "unavailable" in first.stopped and _last_run(world).status == "failed"
        # the outage was not the recipient's fault: their attempt is not counted
        assert max(n.attempts for n in _all_rows(world) if str(n.status) == "pending") == 0
        server.sink.down_after = None
        second = _run(world, server)
    assert second.ok
    delivered = server.sink.delivered()
    assert len(delivered) == len(set(delivered))
    assert set(_ledger(world)) == {"sent"} and sum(_ledger(world).values()) == len(delivered)


def test_sigkill_between_sends_then_rerun_delivers_each_match_exactly_once(world, model_dir, esco_dir):
    with session_scope(world["engine"]) as s:
        recipients = sorted(
            u.email for u in s.scalars(select(User).join(Subscription, Subscription.user_id == User.id))
        )
    cache_src = Settings().data_dir / "cache"
    shutil.copytree(cache_src, world["tmp"] / "cache", dirs_exist_ok=True)
    with SmtpServer() as server:
        # Block the third recipient in send order: the process is killed while waiting on it.
        server.sink.block.add(recipients[2])
        env = os.environ | {
            "WERKMATCH_DATABASE_URL": world["db"].url,
            "WERKMATCH_DATA_DIR": str(world["tmp"]),
            "WERKMATCH_MODEL_DIR": str(model_dir),
            "WERKMATCH_ESCO_DIR": str(esco_dir),
            "WERKMATCH_SMTP_PORT": str(server.port),
            "WERKMATCH_SMTP_RETRIES": "1",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "werkmatch.cli", "nightly"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert server.sink.blocked.wait(300), proc.communicate(timeout=5)[0].decode()[-2000:]
        assert len(server.sink.messages) == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        server.sink.release.set()
        server.sink.block.clear()
        time.sleep(0.2)
        ledger = _ledger(world)
        assert ledger["sent"] > 0 and (ledger["sending"] + ledger["pending"]) > 0
        rerun = subprocess.run(
            [sys.executable, "-m", "werkmatch.cli", "nightly"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    delivered = server.sink.delivered()
    assert len(delivered) == len(set(delivered)), "a (recipient, match) was delivered twice"
    with Session(world["engine"]) as s:
        expected = set(s.scalars(select(User.email).join(Notification, Notification.user_id == User.id)))
    assert {r for r, _ in delivered} == expected and len(expected) >= 3
    assert set(_ledger(world)) == {"sent"} and sum(_ledger(world).values()) == len(delivered)


def test_a_run_whose_lock_connection_is_killed_stops_before_the_next_recipient(world):
    if world["engine"].dialect.name != "postgresql":
        pytest.skip("the database lock is PostgreSQL's (SQLite: a file lock that lives as long as the process)")
    from sqlalchemy import text

    class KillTheLockAfterOneSend:
        def __init__(self, inner: SmtpMailer) -> None:
            self.inner, self.sent = inner, 0

        def send(self, message) -> None:
            self.inner.send(message)
            self.sent += 1
            if self.sent == 1:  # an operator (or a timeout) ends the session that holds the lock
                with world["engine"].connect() as conn:
                    killed = conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = 'werkmatch-nightly-lock'"
                        )
                    ).scalar()
                assert killed == 1

        def close(self) -> None:
            self.inner.close()

    with SmtpServer() as server:
        mailer = KillTheLockAfterOneSend(SmtpMailer(host="127.0.0.1", port=server.port, retries=2, backoff=0.01))
        first = run_nightly(
            engine=world["engine"],
            store=world["store"],
            settings=_settings(world, server.port),
            mailer=mailer,
            lock_dir=world["tmp"],
        )
        assert first.stopped and "lock" in first.stopped and len(server.sink.messages) == 1
        assert _last_run(world).status == "failed" and _ledger(world)["pending"] > 0
        second = _run(world, server)  # the lock is free again: the next run sends the rest, each match once
    assert second.ok and second.sent_messages > 0
    delivered = server.sink.delivered()
    assert len(delivered) == len(set(delivered))
    assert set(_ledger(world)) == {"sent"}


def test_two_runs_cannot_overlap(world):
    with SmtpServer() as server, nightly_lock(world["engine"], world["tmp"]):
        with pytest.raises(LockBusy):
            _run(world, server)
        assert server.sink.messages == []


def test_unsubscribe_link_works_without_logging_in(world):
    from fastapi.testclient import TestClient

    from api.main import create_app

    with SmtpServer() as server:
        _run(world, server)
        msg = server.sink.messages[0]
        who = str(msg["To"])
        url = msg["List-Unsubscribe"].strip("<>")
        app = create_app(_settings(world, server.port), store=world["store"], preload=False)
        with TestClient(app) as client:
            path = url.split("example", 1)[1]
            assert "meld mij af" in client.get(path).text
            res = client.post(path)
            assert res.status_code == 200 and "afgemeld" in res.text
            assert client.post(path.replace("/afmelden/", "/afmelden/x")).status_code == 404
    with Session(world["engine"]) as s:
        uid = s.scalar(select(User.id).where(User.email == who))
        assert (
            s.scalar(
                select(func.count())
                .select_from(Subscription)
                .where(Subscription.user_id == uid, Subscription.active.is_(True))
            )
            == 0
        )


def test_dry_run_writes_eml_files_and_leaves_the_ledger(world):
    out = world["tmp"] / "eml"
    summary = run_nightly(
        engine=world["engine"],
        store=world["store"],
        settings=_settings(world, 25),
        mailer=DirectoryMailer(out),
        lock_dir=world["tmp"],
        dry_run=True,
    )
    files = sorted(out.glob("*.eml"))
    assert summary.sent_messages == len(files) > 0
    assert b"Subject: werkmatch:" in files[0].read_bytes()
    assert sum(_ledger(world).values()) == 0


def test_a_coach_hears_of_a_vacancy_for_a_client_who_is_not_among_its_best_candidates(world, monkeypatch):
    """The coach's e-mail comes from ranking vacancies per client: with the per-vacancy lists cut to the single
    best candidate, coaches still get pairs whose client is not that candidate (and only their own clients)."""
    import importlib

    from models.tables import Match

    collect = importlib.import_module("models.services.nightly.collect")  # the module, not the function
    monkeypatch.setattr(collect, "TOP_PER_VACANCY", 1)
    with SmtpServer() as server:
        summary = _run(world, server)
    assert summary.sent_messages > 0
    e = world["store"].engine
    with Session(world["engine"]) as s:
        coach_of_email = {u.email: u.id for u in s.scalars(select(User).where(User.role == "coach"))}
        match = {m.id: m for m in s.scalars(select(Match))}
        coach_of = dict(s.execute(select(Candidate.id, Candidate.coach_id)).all())
    coach_pairs = [(to, match[mid]) for to, mid in server.sink.delivered() if to in coach_of_email]
    assert coach_pairs, "no coach got an e-mail"
    assert all(coach_of[m.candidate_id] == coach_of_email[to] for to, m in coach_pairs)
    best = {v: e.rank_candidates(v, k=1)[0].candidate_id for v in {m.vacancy_id for _, m in coach_pairs}}
    assert any(m.candidate_id != best[m.vacancy_id] for _, m in coach_pairs)
    # what was mailed carries the explained score of the pair
    assert all(m.score == e.pair(m.candidate_id, m.vacancy_id).score for _, m in coach_pairs)
