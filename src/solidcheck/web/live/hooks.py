"""ch18-hooks: the live side's Prometheus metrics and alert webhooks, joined to the app's
endpoint and hub (``create_app`` calls :func:`install_hooks`; its lifespan calls
:func:`start_hooks` and :func:`stop_hooks`)."""

from __future__ import annotations

from fastapi import FastAPI

from ...charging.webhooks import severities_of
from ..ocpp import live_ruleset_of
from .metrics import LiveMetrics
from .webhooks import WebhookDispatcher

__all__ = ["install_hooks", "start_hooks", "stop_hooks"]


def install_hooks(app: FastAPI) -> None:
    """``app.state.live_metrics`` and ``app.state.webhooks``, listening already."""
    hub = app.state.live
    live_metrics = LiveMetrics(app.state.metrics.registry)
    live_metrics.attach(app.state.ocpp, sinks=hub.sinks, timer_hooks=hub.timer_hooks)
    webhooks = WebhookDispatcher(app.state.registry, app.state.settings,
                                 severities=severities_of(live_ruleset_of(app.state.settings)))
    webhooks.outcome_hooks.append(live_metrics.on_delivery)
    webhooks.depth_hooks.append(live_metrics.on_depth)
    hub.sinks.append(webhooks.sink)
    app.state.live_metrics = live_metrics
    app.state.webhooks = webhooks


async def start_hooks(app: FastAPI) -> None:
    app.state.live_metrics.start(app.state.live.bus)
    await app.state.webhooks.start()


async def stop_hooks(app: FastAPI) -> None:
    """Before the hub stops (its bus closing would end the latency watch's subscription)."""
    await app.state.webhooks.stop()
    await app.state.live_metrics.stop()
