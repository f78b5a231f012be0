"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from api import problems, routers_meta
from werkmatch import __version__
from werkmatch.context import engine as make_engine
from werkmatch.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="werkmatch",
        version=__version__,
        description="Matching van kandidaten en vacatures voor Werk & Participatie. "
        "The output advises; a person decides. This service uses the ESCO classification "
        "of the European Commission.",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    problems.install(app)
    app.include_router(routers_meta.router)
    return app
