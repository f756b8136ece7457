"""Small hand-built canonical tables for the charging metrics' tests: one row per call, every
other column at its neutral value, times in minutes from a fixed Monday midnight UTC."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from solidcheck.charging.model import TABLES

T0 = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def tables(**rows: list[dict[str, Any]]) -> dict[str, pa.Table]:
    return {name: pa.Table.from_pylist(rows.get(name, []), schema=schema)
            for name, schema in TABLES.items()}


def status(port: str, minute: float, state: str, *, station: str = "S1",
           wide: bool = False, line: int = 1) -> dict[str, Any]:
    return {"ts": at(minute), "logged_ts": at(minute), "station_id": station, "port_id": port,
            "evse_id": None, "connector_id": 0 if wide else 1, "station_wide": wide,
            "state": state, "raw_status": state, "error_code": None, "source": "t.log",
            "line": line}


def station_event(station: str, minute: float, kind: str,
                  detail: str | None = None) -> dict[str, Any]:
    return {"ts": at(minute), "station_id": station, "kind": kind, "detail": detail,
            "source": "t.log", "line": 1}


def boot_result(station: str, minute: float, interval_s: int) -> dict[str, Any]:
    return {"ts": at(minute), "charge_point_id": station, "direction": "out",
            "message_type": "result", "message_id": "m1", "action": "BootNotification",
            "payload": json.dumps({"currentTime": at(minute).isoformat(),
                                   "interval": interval_s, "status": "Accepted"}),
            "ocpp_version": "1.6", "valid": True, "problem": None, "source": "t.log",
            "line": 1}


def inventory(port: str, station: str, power_kw: float, *, hours: str | None = None,
              operator: str | None = None, commissioned: date | None = None
              ) -> dict[str, Any]:
    return {"port_id": port, "station_id": station, "power_kw": power_kw,
            "opening_hours": hours, "commissioned": commissioned, "operator": operator,
            "source": "inv.csv", "line": 2}


def ticket(ticket_id: str, opened: float, closed: float | None, cause: str, *,
           port: str | None = None, station: str | None = None) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "port_id": port, "station_id": station,
            "severity": "major", "opened": at(opened), "acknowledged": None,
            "resolved": None, "closed": at(closed) if closed is not None else None,
            "cause": cause, "resolution": None, "reopened": 0, "source": "tickets.csv",
            "line": 2}


def session(port: str, start: float, end: float, *, line: int = 2) -> dict[str, Any]:
    return {"port_id": port, "start": at(start), "end": at(end),
            "duration_s": (end - start) * 60, "energy_wh": 1000.0, "stop_reason": None,
            "session_id": None, "source": "sessions.csv", "line": line}
