"""Liveness and reference data."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep
from models.schemas import AreaRead
from models.services.areas import list_areas
from werkmatch import __version__

router = APIRouter()


@router.get("/health", tags=["operations"], summary="Liveness")
def health(session: SessionDep) -> dict[str, str]:
    """The service is up and the database answers."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


@router.get("/v1/areas", tags=["areas"], summary="Gebieden with wijken and postcodes")
def areas(session: SessionDep) -> list[AreaRead]:
    """All gebieden of the gemeente with their wijken and 4-digit postcodes."""
    return list_areas(session)
