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
    logs them) are replayed in time order; the timer ticks when the engine says something is
    due (:meth:`AlertEngine.next_due`) and at each line, never past the last (a log's end is
    not silence). Frames whose payload failed its schema are skipped, as part I
    takes no event from them.
    """
    engine = AlertEngine(ruleset)
    found: dict[str, Alert] = {}
    for at, item in _timeline(frames, station_events):
        changed: list[Alert] = []
        due = engine.next_due()
        while due is not None and due < at:  # the timer fires between the log's lines
            changed += engine.tick(due)
            due, last = engine.next_due(), due
            if due == last:  # nothing changed: never spin
                break
        changed += engine.tick(at)
        if isinstance(item, LiveFrame):
            changed += engine.feed(item, received_at=at)
        elif item[1] == "disconnected":
            changed += engine.closed(item[0], at=at)
        else:
            changed += engine.opened(item[0], at=at)
        for alert in changed:
            found[alert.id] = alert
    return sorted(found.values(), key=lambda alert: (alert.raised_at, alert.id))


_Item = LiveFrame | tuple[str, str]  # a frame, or (station, "disconnected" | "connected")


def _timeline(frames: pa.Table, station_events: pa.Table | None) -> list[tuple[datetime, _Item]]:
    """Frames and WebSocket events sorted by time; at one instant, the log's order."""
    rows: list[tuple[datetime, str, int, _Item]] = []
    for row in frames.to_pylist():
        if row["ts"] is None or row["valid"] is False:
            continue
        rows.append((row["ts"], row["source"], row["line"], _frame(row)))
    for row in (station_events.to_pylist() if station_events is not None else []):
        if row["ts"] is not None and row["kind"] in ("disconnected", "connected"):
            rows.append((row["ts"], row["source"], row["line"], (row["station_id"], row["kind"])))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(at, item) for at, _, _, item in rows]


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
