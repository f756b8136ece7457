"""Logged frames to the canonical tables (:mod:`.model`): framing checked, results matched
to their CALL, payloads validated with the official OCPP JSON schemas (the ``ocpp``
library's), and the port, transaction and station events taken from the valid CALLs.

A frame whose payload fails its schema stays in ``frames`` with ``valid = False`` and the
schema's complaint; no event is taken from it (its fields cannot be trusted). A value that is
not an OCPP-J frame at all is a rejected row.
"""

from __future__ import annotations

import decimal
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pyarrow as pa

from ..errors import MissingDependencyError
from ..i18n import message
from .model import TABLES, port_id, port_state
from .ocpp_logs import LogRead, RawFrame, Rejection, parse_time

__all__ = ["VERSIONS", "Canonical", "canonical_tables", "energy_wh", "infer_version"]

VERSIONS: Final = ("1.6", "2.0.1", "2.1")
_TYPES: Final = {2: "call", 3: "result", 4: "error"}
_LENGTHS: Final = {2: 4, 3: 3, 4: 5}
_OTHER: Final = {"in": "out", "out": "in"}
#: 1.6 actions whose schemas need decimal numbers (the ocpp library does the same)
_DECIMAL_16: Final = {("call", "SetChargingProfile"), ("call", "RemoteStartTransaction"),
                      ("result", "GetCompositeSchedule")}
_ONLY_2X: Final = {"TransactionEvent", "NotifyEvent", "GetVariables", "SetVariables",
                   "RequestStartTransaction", "RequestStopTransaction"}
_ONLY_16: Final = {"StartTransaction", "StopTransaction", "RemoteStartTransaction",
                   "RemoteStopTransaction", "ChangeConfiguration", "GetConfiguration"}
_ENERGY = "Energy.Active.Import.Register"


@dataclass(slots=True)
class Canonical:
    """The tables as lists of rows, then as Arrow tables (:meth:`tables`)."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in TABLES})

    def tables(self) -> dict[str, pa.Table]:
        return {name: pa.Table.from_pylist(self.rows[name], schema=schema)
                for name, schema in TABLES.items()}


def infer_version(frames: Iterable[RawFrame]) -> str | None:
    """The OCPP version the actions of a log betray (1.6 or 2.0.1), or None. OCPP 2.1 looks
    like 2.0.1 and must be named."""
    for raw in frames:
        if not (isinstance(raw.frame, list) and len(raw.frame) == 4 and raw.frame[0] == 2):
            continue
        action, payload = raw.frame[2], raw.frame[3]
        if action in _ONLY_2X or (isinstance(payload, dict) and "connectorStatus" in payload):
            return "2.0.1"
        if action in _ONLY_16 or (action == "StatusNotification" and isinstance(payload, dict)
                                  and "status" in payload):
            return "1.6"
    return None


def canonical_tables(reads: list[tuple[LogRead, str]]) -> dict[str, pa.Table]:
    """The canonical tables of logs already read, each with the OCPP version to check it
    against."""
    validator = _validator()
    out = Canonical()
    for read, version in reads:
        _Builder(out, validator, version).add(read)
    return out.tables()


def _validator() -> Any:
    try:
        from ocpp.messages import get_validator
    except ImportError:
        raise MissingDependencyError("Reading OCPP logs", extra="charging",
                                     package="ocpp") from None
    return get_validator


class _Builder:
    def __init__(self, out: Canonical, get_validator: Any, default_version: str) -> None:
        self.out = out
        self.get_validator = get_validator
        self.default_version = default_version
        # (charge point, the caller's direction, id) → action: each side numbers its own
        # CALLs, so a station's "1" and the central system's "1" are different calls
        self.calls: dict[tuple[str, str, str], str] = {}
        self.results: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.ports: dict[tuple[str, str], str] = {}  # (charge point, transaction) → port

    def add(self, read: LogRead) -> None:
        for rejection in read.rejected:
            self._reject(rejection)
        valid_calls: list[tuple[RawFrame, str, dict[str, Any], str]] = []
        for raw in read.frames:
            checked = self._frame(raw)
            if checked is not None:
                valid_calls.append(checked)
        for raw, action, payload, version in valid_calls:
            self._events(raw, action, payload, version)
        for row in self.out.rows["transaction_events"]:  # an event sent before its EVSE was
            if row["port_id"] is None:                   # named: the port named later
                row["port_id"] = self.ports.get((row["station_id"], row["transaction_id"] or ""))
        for event in read.tool_events:
            self.out.rows["station_events"].append(
                {"ts": event.ts, "station_id": event.charge_point_id, "kind": event.kind,
                 "detail": None, "source": event.source, "line": event.line})

    def _reject(self, rejection: Rejection) -> None:
        self.out.rows["rejected"].append(
            {"source": rejection.source, "line": rejection.line, "reason": rejection.reason,
             "detail": rejection.detail, "text": rejection.text})

    def _frame(self, raw: RawFrame) -> tuple[RawFrame, str, dict[str, Any], str] | None:
        """Add the frame's row; a valid CALL from the station is returned for its events."""
        frame = raw.frame
        shape = _shape_problem(frame)
        if shape is not None:
            self._reject(Rejection(raw.source, raw.line, "charging.rejected.not_a_frame",
                                   shape, json.dumps(frame, ensure_ascii=False)[:200]))
            return None
        kind = _TYPES[frame[0]]
        message_id = frame[1]
        version = raw.ocpp_version or self.default_version
        caller = raw.direction if kind == "call" else _OTHER[raw.direction]
        key = (raw.charge_point_id, caller, message_id)
        action: str | None
        if kind == "call":
            action, payload = frame[2], frame[3]
            self.calls[key] = action
        elif kind == "result":
            action, payload = self.calls.get(key), frame[2]
            self.results[key] = payload
        else:
            action = self.calls.get(key)
            payload = {"code": frame[2], "description": frame[3], "details": frame[4]}
        valid, problem = self._check(kind, action, payload, version)
        self.out.rows["frames"].append(
            {"ts": raw.ts, "charge_point_id": raw.charge_point_id, "direction": raw.direction,
             "message_type": kind, "message_id": message_id, "action": action,
             "payload": json.dumps(payload, ensure_ascii=False), "ocpp_version": version,
             "valid": valid, "problem": problem, "source": raw.source, "line": raw.line})
        if kind == "call" and valid and raw.direction == "in" and action is not None:
            return raw, action, payload, version
        return None

    def _check(self, kind: str, action: str | None, payload: Any,
               version: str) -> tuple[bool | None, str | None]:
        if kind == "error":
            return None, None
        if action is None:
            return None, message("charging.frame.no_call")
        try:
            if version == "1.6" and (kind, action) in _DECIMAL_16:
                validator = self.get_validator(2 if kind == "call" else 3, action, version,
                                               parse_float=decimal.Decimal)
                payload = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
            else:
                validator = self.get_validator(2 if kind == "call" else 3, action, version)
        except (OSError, ValueError):
            return False, message("charging.frame.unknown_action",
                                  {"version": version, "action": action})
        errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
        if not errors:
            return True, None
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(payload)"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return False, f"{where}: {first.message}{more}"

    # ----------------------------------------------------------------- events
    def _events(self, raw: RawFrame, action: str, payload: dict[str, Any],
                version: str) -> None:
        cp = raw.charge_point_id
        when = _time(payload.get("timestamp")) or raw.ts
        common = {"source": raw.source, "line": raw.line}
        if action == "StatusNotification":
            self._status(raw, payload, version, when)
        elif action == "TransactionEvent":
            self._transaction_event(raw, payload, when)
        elif action in ("StartTransaction", "StopTransaction", "MeterValues") and \
                version == "1.6":
            self._transaction_16(raw, action, payload, when)
        elif action in ("BootNotification", "Heartbeat"):
            detail = payload.get("reason") if action == "BootNotification" else None
            kind = "boot" if action == "BootNotification" else "heartbeat"
            self.out.rows["station_events"].append(
                {"ts": raw.ts, "station_id": cp, "kind": kind, "detail": detail, **common})

    def _status(self, raw: RawFrame, payload: dict[str, Any], version: str,
                when: datetime | None) -> None:
        cp = raw.charge_point_id
        connector = payload.get("connectorId")
        if version == "1.6":
            evse, status = None, payload.get("status")
            port = port_id(cp, connector)
            codes = [payload.get("errorCode"), payload.get("vendorErrorCode")]
            error = "/".join(str(code) for code in codes if code) or None
        else:
            evse, status = payload.get("evseId"), payload.get("connectorStatus")
            port, error = port_id(cp, connector, evse), None
        self.out.rows["port_events"].append(
            {"ts": when, "logged_ts": raw.ts, "station_id": cp, "port_id": port,
             "evse_id": evse, "connector_id": connector,
             "station_wide": version == "1.6" and connector == 0,
             "state": port_state(status), "raw_status": status, "error_code": error,
             "source": raw.source, "line": raw.line})

    def _transaction_event(self, raw: RawFrame, payload: dict[str, Any],
                           when: datetime | None) -> None:
        cp = raw.charge_point_id
        info = payload.get("transactionInfo") or {}
        transaction = info.get("transactionId")
        evse = payload.get("evse")
        if evse:
            port = port_id(cp, evse.get("connectorId", 1), evse.get("id"))
            self.ports[(cp, str(transaction))] = port
        self._transaction_row(
            raw, when, transaction=transaction, event=str(payload.get("eventType")).lower(),
            trigger=payload.get("triggerReason"), state=info.get("chargingState"),
            stopped=info.get("stoppedReason"), energy_wh=energy_wh(payload.get("meterValue")),
            token=(payload.get("idToken") or {}).get("idToken"),
            offline=bool(payload.get("offline", False)), seq_no=payload.get("seqNo"))

    def _transaction_16(self, raw: RawFrame, action: str, payload: dict[str, Any],
                        when: datetime | None) -> None:
        cp = raw.charge_point_id
        if action == "StartTransaction":
            answer = self.results.get((cp, "in", raw.frame[1])) or {}
            transaction = answer.get("transactionId")
            self.ports[(cp, str(transaction))] = port_id(cp, payload.get("connectorId"))
            self._transaction_row(raw, when, transaction=transaction, event="started",
                                  trigger=action, energy_wh=payload.get("meterStart"),
                                  token=payload.get("idTag"))
        elif action == "StopTransaction":
            self._transaction_row(raw, when, transaction=payload.get("transactionId"),
                                  event="ended", trigger=action, stopped=payload.get("reason"),
                                  energy_wh=payload.get("meterStop"), token=payload.get("idTag"))
        elif payload.get("transactionId") is not None:
            self._transaction_row(raw, _time(_first_time(payload)) or raw.ts,
                                  transaction=payload.get("transactionId"), event="updated",
                                  trigger=action, energy_wh=energy_wh(payload.get("meterValue")))

    def _transaction_row(self, raw: RawFrame, when: datetime | None, *, transaction: Any,
                         event: str, trigger: Any = None, state: Any = None, stopped: Any = None,
                         energy_wh: Any = None, token: Any = None, offline: bool | None = None,
                         seq_no: Any = None) -> None:
        cp = raw.charge_point_id
        transaction_id = "" if transaction is None else str(transaction)
        self.out.rows["transaction_events"].append(
            {"ts": when, "logged_ts": raw.ts, "station_id": cp,
             "port_id": self.ports.get((cp, transaction_id)),
             "transaction_id": transaction_id or None, "event": event, "trigger_reason": trigger,
             "charging_state": state, "stopped_reason": stopped,
             "energy_wh": None if energy_wh is None else float(energy_wh),
             "id_token_sha256": _token_hash(token), "offline": offline, "seq_no": seq_no,
             "source": raw.source, "line": raw.line})


def _shape_problem(frame: Any) -> str | None:
    """Why a value is not an OCPP-J frame, or None."""
    if not isinstance(frame, list) or not frame:
        return "not a JSON array"
    kind = frame[0]
    if kind not in _TYPES:
        return f"message type {kind!r} is not 2, 3 or 4"
    if len(frame) != _LENGTHS[kind]:
        return f"{_TYPES[kind]} has {len(frame)} elements, not {_LENGTHS[kind]}"
    if not isinstance(frame[1], str):
        return "the message id is not a string"
    if kind == 2 and not (isinstance(frame[2], str) and isinstance(frame[3], dict)):
        return "a CALL needs an action name and a payload object"
    if kind == 3 and not isinstance(frame[2], dict):
        return "the payload is not an object"
    return None


def _time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) else None


def _first_time(payload: dict[str, Any]) -> Any:
    values = payload.get("meterValue") or [{}]
    return values[0].get("timestamp") if isinstance(values[0], dict) else None


def energy_wh(meter_values: Any) -> float | None:
    """The last energy register reading of sampled values, in Wh (kWh and the power-of-ten
    multiplier of 2.x honoured); the register is the default measurand."""
    found: float | None = None
    for meter in meter_values or []:
        for sample in meter.get("sampledValue") or []:
            if sample.get("measurand", _ENERGY) != _ENERGY or sample.get("phase"):
                continue
            unit = sample.get("unitOfMeasure") or {}
            name = unit.get("unit") or sample.get("unit") or "Wh"
            try:
                value = float(sample["value"]) * 10 ** int(unit.get("multiplier", 0))
            except (KeyError, TypeError, ValueError):
                continue
            found = value * 1000 if name == "kWh" else value
    return found


def _token_hash(token: Any) -> str | None:
    if not token:
        return None
    return hashlib.sha256(str(token).encode()).hexdigest()[:16]
