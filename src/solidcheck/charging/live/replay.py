"""Alerts after the fact: the live engine run over part I's canonical tables, so a frame log
read by ``solidcheck charging`` gets the alerts the server would have raised."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pyarrow as pa

from ..rules import ChargingRuleset
from .alerts import Alert, AlertEngine
from .state import LiveFrame

__all__ = ["replay_alerts"]

_TYPE_CODES = {"call": 2, "result": 3, "error": 4}


def replay_alerts(frames: pa.Table, ruleset: ChargingRuleset, *,
                  station_events: pa.Table | None = None) -> list[Alert]:
    """Every alert the frames raise, in order, each in its last state (resolved or open).

    Frames and the WebSocket's ``disconnected``/``connected`` station events (the OCA tool
    logs them) are replayed in time order; the timer ticks at each one, never past the last
    (a log's end is not silence). Frames whose payload failed its schema are skipped, as part I
    takes no event from them.
    """
    engine = AlertEngine(ruleset)
    found: dict[str, Alert] = {}
    for at, kind, item in _timeline(frames, station_events):
        changed = engine.tick(at)
        if kind == "frame":
            changed += engine.feed(item, received_at=at)
        elif item == "disconnected":
            changed += engine.closed(kind, at=at)
        else:
            changed += engine.opened(kind, at=at)
        for alert in changed:
            found[alert.id] = alert
    return sorted(found.values(), key=lambda alert: (alert.raised_at, alert.id))


def _timeline(frames: pa.Table, station_events: pa.Table | None) -> list[tuple[datetime, Any,
                                                                               Any]]:
    """(time, "frame" or the station, the frame or the event kind), sorted by time; at one
    instant, the log's order (source, line)."""
    rows: list[tuple[datetime, str, int, Any, Any]] = []
    for row in frames.to_pylist():
        if row["ts"] is None or row["valid"] is False:
            continue
        rows.append((row["ts"], row["source"], row["line"], "frame", _frame(row)))
    for row in (station_events.to_pylist() if station_events is not None else []):
        if row["ts"] is not None and row["kind"] in ("disconnected", "connected"):
            rows.append((row["ts"], row["source"], row["line"], row["station_id"], row["kind"]))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(at, kind, item) for at, _, _, kind, item in rows]


def _frame(row: dict[str, Any]) -> LiveFrame:
    """A canonical ``frames`` row as the frame that was logged."""
    payload = json.loads(row["payload"]) if row["payload"] else {}
    code = _TYPE_CODES[row["message_type"]]
    message: list[Any]
    if code == 2:
        message = [2, row["message_id"], row["action"], payload]
    elif code == 3:
        message = [3, row["message_id"], payload]
    else:
        message = [4, row["message_id"], payload.get("code"), payload.get("description"),
                   payload.get("details")]
    return LiveFrame(row["charge_point_id"], row["direction"], message)
