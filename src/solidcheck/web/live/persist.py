"""The live state and alerts kept in the registry, wired into an app: the writer on the
hub's sinks and the endpoint's hooks, and, when the server starts, the alerts open before a
restart given back to the engine and today's CALL ids to the endpoint."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from .writer import LiveWriter

__all__ = ["keep_in_registry", "start_keeping", "stop_keeping"]

LOG = logging.getLogger("solidcheck.live")


def keep_in_registry(app: FastAPI) -> LiveWriter:
    """Attach a writer to ``app.state.live`` and ``app.state.ocpp`` (``app.state.live_writer``)."""
    hub, endpoint = app.state.live, app.state.ocpp
    writer = LiveWriter(app.state.registry, hub.engine.state,
                        last_message_resolution_s=app.state.settings.live_state_resolution_s)
    hub.sinks.append(writer.on_alert)
    hub.state_sinks.append(writer.on_state)
    endpoint.frame_hooks.append(writer.on_frame)
    endpoint.durability_hooks.append(writer.committed)
    app.state.live_writer = writer
    return writer


async def start_keeping(app: FastAPI) -> None:
    """Before the hub's timer and the first connection: restore, seed, start the thread."""
    registry, endpoint = app.state.registry, app.state.ocpp
    alerts = await asyncio.to_thread(registry.open_live_alerts)
    app.state.live.engine.restore(alerts)
    calls = await asyncio.to_thread(endpoint.remember_todays_calls)
    LOG.info("live: %d open alerts restored, %d of today's CALL ids remembered",
             len(alerts), calls)
    app.state.live_writer.start()


async def stop_keeping(app: FastAPI) -> None:
    """After the hub stopped: commit what is queued."""
    await app.state.live_writer.stop()
