"""Collect: rank every open vacancy once and write the new (recipient, match) rows to the ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.bulk import RankJob
from matcher.ranking import MatchResult
from models.enums import MatchStatus, NotificationStatus, SubscriptionKind
from models.services.areas import Geo
from models.services.matches import save_result
from models.services.nightly.cluster import InProcessRanker, Ranker
from models.tables import Candidate, Match, Notification, Subscription, User, Vacancy

if TYPE_CHECKING:
    from models.services.matching import EngineStore

JOBHUNTER_STRONG = 75.0
# Each open vacancy is ranked once per run; the advisers' and jobhunters' subscriptions read their part from
# these top lists. A coach's e-mail comes from ranking vacancies per client instead, so a client hears of a
# good new vacancy even when 50 others rank above them for it.
TOP_PER_VACANCY = 50
TOP_PER_CLIENT = 20


def _client_jobs(
    store: EngineStore, clients: list[int], new_c: set[int], new_open: np.ndarray, min_score: float
) -> list[RankJob]:
    """A coach's rankings: every open vacancy for a client whose profile changed, the new vacancies for the
    others (the engine read lock is held by the caller)."""
    e = store.engine
    jobs: list[RankJob] = []
    for cid in clients:
        if e.candidates[cid].status != "active":
            continue
        if cid in new_c:
            jobs.append(RankJob("candidate", cid, TOP_PER_CLIENT, min_score))
        elif len(new_open):
            jobs.append(RankJob("candidate", cid, TOP_PER_CLIENT, min_score, allowed=new_open))
    return jobs


def _changed(session: Session, model: Any, since: dt.datetime) -> set[int]:
    return set(session.scalars(select(model.id).where(model.updated_at >= since)))


def collect(
    session: Session, *, store: EngineStore, since: dt.datetime, ranker: Ranker | None = None
) -> tuple[int, int]:
    """Rank for every subscription; store matches and pending ledger rows. Return (new rows, recipients).

    The rankings run as jobs on ``ranker`` (this process by default, or a Dask cluster: ``cluster.py``)."""
    ranker = ranker or InProcessRanker()
    e = store.engine
    new_c = _changed(session, Candidate, since)
    new_v = _changed(session, Vacancy, since)
    subs = session.execute(
        select(Subscription, User)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.active.is_(True), User.active.is_(True))
        .order_by(User.email)
    ).all()
    area_code = {a.id: code for code, a in Geo.of(session).areas.items()}
    per_user: dict[int, list[MatchResult]] = defaultdict(list)
    limits: dict[int, int] = {}
    floor = min((sub.min_score for sub, _ in subs), default=0.0)
    clients_of: dict[int, list[int]] = defaultdict(list)
    for cid, coach in session.execute(select(Candidate.id, Candidate.coach_id).order_by(Candidate.id)):
        if coach is not None:
            clients_of[coach].append(cid)
    with store.reading():
        # Rank every open vacancy once; the advisers' and jobhunters' subscriptions read from these rankings.
        open_ids = sorted(i for i, v in e.vacancies.items() if v.status == "open")
        per_vacancy = any(SubscriptionKind(sub.kind) != SubscriptionKind.client_vacancies for sub, _ in subs)
        jobs = [RankJob("vacancy", vid, TOP_PER_VACANCY, floor) for vid in (open_ids if per_vacancy else [])]
        new_open = np.array([v for v in open_ids if v in new_v], dtype=np.int64)
        coach_jobs: dict[int, tuple[int, int]] = {}  # user -> their slice of ``jobs``
        for sub, user in subs:
            if SubscriptionKind(sub.kind) == SubscriptionKind.client_vacancies and user.id not in coach_jobs:
                clients = [c for c in clients_of.get(user.id, []) if c in e.candidates]
                start = len(jobs)
                jobs += _client_jobs(store, clients, new_c, new_open, sub.min_score)
                coach_jobs[user.id] = (start, len(jobs))
        results_of_jobs = ranker.run(e, jobs)
        ranked = {job.id: res for job, res in zip(jobs, results_of_jobs, strict=True) if job.side == "vacancy"}
        area_of_vac = {vid: e.vacancies[vid].area for vid in ranked}
        for sub, user in subs:
            kind = SubscriptionKind(sub.kind)
            if kind == SubscriptionKind.client_vacancies:
                start, end = coach_jobs[user.id]
                per_user[user.id].extend(r for res in results_of_jobs[start:end] for r in res)
                limits[user.id] = max(limits.get(user.id, 0), sub.max_per_mail)
                continue
            area = area_code.get(user.area_id) if user.area_id else None
            found: list[MatchResult] = []
            for vid, results in ranked.items():
                if kind == SubscriptionKind.vacancy_candidates and area_of_vac[vid] != area:
                    continue
                if kind == SubscriptionKind.area_pairs and area_of_vac[vid] != area:
                    continue
                threshold = (
                    max(sub.min_score, JOBHUNTER_STRONG) if kind == SubscriptionKind.area_pairs else sub.min_score
                )
                for r in results:
                    if r.score < threshold or not (vid in new_v or r.candidate_id in new_c):
                        continue
                    if kind == SubscriptionKind.area_pairs and e.candidates[r.candidate_id].area != area:
                        continue
                    found.append(r)
            per_user[user.id].extend(found)
            limits[user.id] = max(limits.get(user.id, 0), sub.max_per_mail)
        # The rankings above carry scores only; the pairs that go out are explained now (same scores), still
        # under the read lock, before any database work.
        chosen: dict[int, list[MatchResult]] = {}
        for uid, results in per_user.items():
            best: dict[tuple[int, int], MatchResult] = {}
            for r in results:
                key = (r.candidate_id, r.vacancy_id)
                if key not in best or r.score > best[key].score:
                    best[key] = r
            top = sorted(best.values(), key=lambda r: (-r.score, r.candidate_id, r.vacancy_id))[: limits[uid]]
            chosen[uid] = [e.pair(r.candidate_id, r.vacancy_id) for r in top]
    created = 0
    version, index_version = e.embedder.version, store.index_version
    for uid, results in chosen.items():
        for r in results:
            existing = session.scalar(
                select(Match).where(Match.candidate_id == r.candidate_id, Match.vacancy_id == r.vacancy_id)
            )
            if existing is not None and existing.status != MatchStatus.suggested:
                continue  # people have acted on it already
            m, _ = save_result(session, result=r, model_version=version, index_version=index_version)
            seen = session.scalar(
                select(Notification.id).where(Notification.user_id == uid, Notification.match_id == m.id)
            )
            if seen is None:
                session.add(Notification(user_id=uid, match_id=m.id, status=NotificationStatus.pending))
                created += 1
    session.flush()
    return created, len(per_user)
