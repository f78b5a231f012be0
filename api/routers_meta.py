"""Liveness, readiness, metrics and reference data."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from api.deps import SessionDep
from api.problems import DATABASE_UNAVAILABLE, problem
from models.schemas import AreaRead
from models.services.areas import list_areas
from werkmatch import __version__

router = APIRouter()


@router.get("/health", tags=["operations"], summary="Liveness")
def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok", "version": __version__}


@router.get(
    "/ready",
    tags=["operations"],
    summary="Readiness: database, index and model loaded",
    responses={503: {"description": "not ready", "content": {"application/problem+json": {}}}},
)
def ready(request: Request) -> Response:
    """Ready when the database answers, a pooled connection is free, no request has been stuck longer than
    ``stuck_request_seconds``, and the engine (model and index) is loaded. A load balancer takes a worker that
    fails this out of rotation; its users would otherwise wait."""
    settings = request.app.state.settings
    stuck = request.app.state.metrics.oldest_request_seconds(besides=id(request.scope))
    if stuck > settings.stuck_request_seconds:
        return problem(503, "Service Unavailable", f"a request has been running for {stuck:.0f} s")
    engine = request.app.state.engine
    pool = engine.pool
    if isinstance(pool, QueuePool) and pool.checkedout() >= pool.size() + max(pool._max_overflow, 0):
        return problem(503, "Service Unavailable", f"all {pool.checkedout()} database connections are in use")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DATABASE_UNAVAILABLE:
        resp = problem(503, "Service Unavailable", "the database does not answer")
        resp.headers["Retry-After"] = "2"
        return resp
    store = request.app.state.store
    if store is None:
        return problem(503, "Service Unavailable", "the model and index are still loading")
    e = store.engine
    lags = sorted(store.lags)
    indexer = request.app.state.indexer
    body = {
        "status": "ready",
        "database": "ok",
        "model": e.embedder.version,
        "candidates": len(e.candidates),
        "vacancies": len(e.vacancies),
        "index": {
            "worker": os.getpid(),
            "log_position": store.position,
            "waiting_for_indexer": len(store.pending["c"]) + len(store.pending["v"]),
            "texts_embedded_here": e.vectors.encoded,
            "profiles_indexed_here": indexer.embedded if indexer is not None else 0,
            "changes_applied": len(lags),
            "lag_p50_s": round(lags[len(lags) // 2], 3) if lags else None,
            "lag_p99_s": round(lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))], 3) if lags else None,
            "lag_max_s": round(lags[-1], 3) if lags else None,
        },
    }
    from fastapi.responses import JSONResponse

    return JSONResponse(body)


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Request counts and latency histograms, index size, model version."""
    m = request.app.state.metrics
    store = request.app.state.store
    if store is not None:
        m.index_size.labels("candidates").set(len(store.engine.candidates))
        m.index_size.labels("vacancies").set(len(store.engine.vacancies))
        m.model.labels(store.engine.embedder.version).set(1)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/areas", tags=["areas"], summary="Gebieden with wijken and postcodes")
def areas(session: SessionDep) -> list[AreaRead]:
    """All gebieden of the gemeente with their wijken and 4-digit postcodes."""
    return list_areas(session)
