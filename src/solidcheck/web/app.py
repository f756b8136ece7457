"""The web service: the REST API under ``/v1`` and the pages, over one registry."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from .._version import __version__
from ..model import Dossier
from ..registry import Registry
from .heavy import HeavyWork
from .metrics import Metrics
from .middleware import (
    BodySizeLimit,
    CatchUnexpected,
    RateLimit,
    RateLimiter,
    RequestContext,
    SecurityHeaders,
    UseHeavyPool,
)
from .problems import install_exception_handlers
from .schemas import AuditRequest, NewKeyRequest
from .settings import Settings

__all__ = ["create_app"]

_DESCRIPTION = (
    "Classification of battery cells as liquid, hybrid solid-liquid or solid-state under "
    "China's standard (GB/T, Part 1: terms and classification), a registry of classified "
    "cells with their evidence and reports, verification of certificates, and audits of "
    "product claims.\n\n"
    "Writes need an API key (`Authorization: Bearer <key>`) of role `lab` (submissions) or "
    "`admin` (keys); reads of published results are public when the server allows it. "
    "Every error is JSON: `message`, and for invalid input every problem with its `path`, "
    "`message` and `fix` — the same words as the command line.")
#: never rate limited: monitoring, and the pages' own files
_NOT_LIMITED = ("/healthz", "/metrics", "/static/")


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> FastAPI:
    """The ASGI app. ``registry`` defaults to the one at ``settings.database_url`` (created
    or upgraded on start, and closed when the app shuts down)."""
    settings = settings or Settings.from_env()
    owns_registry = registry is None
    app = FastAPI(title="solidcheck", version=__version__, description=_DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=_closing(owns_registry))
    app.state.settings = settings
    app.state.registry = registry or Registry.open(settings.database_url, create=True)
    app.state.metrics = Metrics()
    app.state.rate_limiter = (RateLimiter(settings.rate_limit_per_minute)
                              if settings.rate_limit_per_minute > 0 else None)
    app.state.heavy = HeavyWork(workers=settings.heavy_workers, queue=settings.heavy_queue,
                                budget_s=settings.request_budget_s)
    weakref.finalize(app, app.state.heavy.close)  # its idle threads end with the app

    from . import api, live, ocpp, pages

    app.state.ocpp = ocpp.endpoint_of(settings)
    app.state.live = live.LiveHub.of(ocpp.live_ruleset_of(settings))
    app.state.live.attach(app.state.ocpp)
    live.keep_in_registry(app)  # the live state and alerts in the registry
    live.install_hooks(app)  # live metrics and alert webhooks
    # the ticket desk, a sink of the hub's alert changes
    app.state.tickets = live.TicketService.of(app.state.live, app.state.registry,
                                              ocpp.live_ruleset_of(settings))
    # risk-show: the ports at risk, scored from the endpoint's frame logs
    app.state.risk = live.RiskScorer(settings.risk_model, app.state.ocpp.log.folder,
                                     settings.risk_history_days, settings.risk_ports_shown,
                                     max_log_bytes=settings.risk_max_log_mb * 1_000_000)
    app.include_router(ocpp.router)
    app.include_router(api.router)
    app.include_router(api.system_router)
    app.include_router(pages.router)
    install_exception_handlers(app)
    pages.install_missing_extra_page(app)  # issue 20: a browser gets a page, not JSON
    _install_middleware(app, settings)
    app.openapi = _openapi_of(app)  # type: ignore[method-assign]
    return app


def _closing(owns_registry: bool) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from . import live

        if owns_registry:  # a server process, not an app inside someone's program
            # The app's long-lived objects (routes, schemas, rule sets, templates) are
            # moved out of the collector's sight: full collections walking them were most
            # of the 99th-percentile latency (87 → 12 ms measured on a cell read).
            gc.collect()
            gc.freeze()
        # the listeners first, so the hub's first change finds them; stopped after it, so
        # what is queued is committed
        await live.start_keeping(app)  # open alerts restored, then written as they change
        app.state.tickets.start()
        await live.start_hooks(app)
        app.state.live.start()
        app.state.risk.start()  # risk-show
        # several server processes: committed alert changes through PostgreSQL NOTIFY
        app.state.live_relay = await live.start_relay(app.state.live, app.state.live_writer,
                                                      app.state.registry.url)
        yield
        if app.state.live_relay is not None:
            await app.state.live_relay.stop()
        await app.state.live.stop()
        await app.state.risk.stop()  # risk-show
        await live.stop_hooks(app)
        await app.state.tickets.stop()
        await live.stop_keeping(app)
        app.state.heavy.close()
        app.state.ocpp.log.close()
        if owns_registry:
            app.state.registry.close()

    return lifespan


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """Innermost first: each ``add_middleware`` wraps the ones before it."""
    app.add_middleware(UseHeavyPool, pool=app.state.heavy)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if app.state.rate_limiter is not None:
        app.add_middleware(RateLimit, limiter=app.state.rate_limiter, exempt=_NOT_LIMITED)
    app.add_middleware(CatchUnexpected)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext, metrics=app.state.metrics)


def _openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with what the routes reference but FastAPI cannot see: the
    schemas of bodies read as bytes, and the API-key scheme."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes,
                                   tags=app.openapi_tags)
            components = document.setdefault("components", {})
            components.setdefault("securitySchemes", {})["bearerAuth"] = {
                "type": "http", "scheme": "bearer",
                "description": ("An API key, from `solidcheck registry keys create` or "
                                "POST /v1/keys.")}
            schemas = components.setdefault("schemas", {})
            for model in (Dossier, AuditRequest, NewKeyRequest):
                _add_schema(schemas, model)
            _enums_allow_null(document)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi


def _enums_allow_null(node: Any) -> None:
    """Where an optional value's schema has an ``enum`` beside ``anyOf: [{type: string},
    {type: null}]`` (pydantic puts a field's ``json_schema_extra`` there), the enum also
    forbade the ``null`` the server accepts (``"ruleset": null`` is the default rule set):
    move it into the string branch, so the document says what the server does."""
    if isinstance(node, list):
        for item in node:
            _enums_allow_null(item)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("anyOf")
    if "enum" in node and isinstance(branches, list) and {"type": "null"} in branches:
        enum = node.pop("enum")
        for branch in branches:
            if isinstance(branch, dict) and branch.get("type") == "string":
                branch["enum"] = enum
    for value in node.values():
        _enums_allow_null(value)


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    """Add a model's validation schema and its definitions (FastAPI's own, when it made one
    of the same name for a response, is the same model and stays)."""
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in generated.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, generated)
