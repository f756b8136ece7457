"""Live state and alerts: a pure core fed one OCPP-J frame at a time (no network, no database).

The server's connection handlers call :meth:`AlertEngine.feed` for every frame in both
directions, :meth:`AlertEngine.closed` / :meth:`AlertEngine.opened` when a WebSocket closes or
opens, and :meth:`AlertEngine.tick` from a timer; :func:`replay_alerts` runs the same engine
over part I's canonical tables after the fact. docs/architecture.md draws how the parts join.
"""

from __future__ import annotations

from .alerts import ALERT_KINDS, Alert, AlertEngine, AlertKind, alert_title
from .replay import replay_alerts
from .state import LiveFrame, LiveState, Observation, PortLive, StationLive

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "AlertEngine",
    "AlertKind",
    "LiveFrame",
    "LiveState",
    "Observation",
    "PortLive",
    "StationLive",
    "alert_title",
    "replay_alerts",
]
