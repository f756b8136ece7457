"""The web service: the REST API under ``/v1`` and the pages, over one registry."""

from __future__ import annotations

from fastapi import FastAPI

from .._version import __version__
from ..registry import Registry
from .settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> FastAPI:
    """The ASGI app. ``registry`` defaults to the one at ``settings.database_url`` (created
    or upgraded on start)."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="solidcheck", version=__version__,
                  description="Classification of solid-state batteries for electric vehicles "
                  "(GB/T, Part 1: terms and classification), a registry of classified cells, "
                  "and verification of certificates.")
    app.state.settings = settings
    app.state.registry = registry or Registry.open(settings.database_url, create=True)

    from . import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    return app
