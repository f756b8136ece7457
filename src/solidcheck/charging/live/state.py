"""Per station and per port live state, fed by one OCPP-J frame at a time.

:meth:`LiveState.apply` updates the state and returns what the frame showed as
:class:`Observation` s, which the alert rules (charging/live/alerts.py) judge. States and port
ids are part I's (charging/model.py: ``OCPP_STATES``, :func:`~..model.port_id`), the energy
register is read as part I reads it (charging/canonical.py), so live and after-the-fact agree.

The server has validated a frame against the OCPP schemas before it gets here; a frame whose
fields are not what OCPP says is ignored field by field, never raised on (a connection handler
must not crash on a station's mistake).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..canonical import energy_wh
from ..model import State, port_id, port_state

__all__ = ["LiveFrame", "LiveState", "Observation", "PortLive", "StationLive"]

ObservationKind = Literal["message", "status", "boot", "interval", "callerror", "problem",
                          "energy", "charging", "temperature", "ended", "power",
                          "remote_start", "started"]
_TRUE = {"true", "1", "yes"}
#: unanswered CALLs kept per station (OCPP allows one in flight each way; this is slack)
_PENDING_KEPT = 64
#: the central system's requests to start a transaction (1.6, 2.x)
_REMOTE_STARTS = ("RemoteStartTransaction", "RequestStartTransaction")


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """One frame as the endpoint received or sent it (part I's JSON Lines record, less ts)."""

    charge_point_id: str
    direction: Literal["in", "out"]
    message: list[Any]

    def record(self, received_at: datetime) -> dict[str, Any]:
        """The frame as a frame-log line: what an alert keeps as evidence."""
        return {"ts": received_at.isoformat(), "charge_point_id": self.charge_point_id,
                "direction": self.direction, "frame": self.message}


@dataclass(frozen=True, slots=True)
class Observation:
    """What one frame showed: ``flag`` is the yes/no of its kind (status: faulted; problem:
    raised; charging: on; ended: energy delivered), ``code`` an error code, boot reason or
    problem key, ``value`` a number (Wh, °C, heartbeat s)."""

    kind: ObservationKind
    station_id: str
    port_id: str | None = None
    flag: bool | None = None
    code: str | None = None
    value: float | None = None
    state: State | None = None
    #: a NotifyEvent's techCode (ChargeX codes travel there)
    detail: str | None = None


@dataclass(slots=True)
class PortLive:
    """A port as last reported."""

    port_id: str
    state: State = "unknown"
    raw_status: str | None = None
    error_code: str | None = None
    since: datetime | None = None
    charging: bool = False


@dataclass(slots=True)
class _Transaction:
    port_id: str | None
    first_wh: float | None = None
    last_wh: float | None = None
    reached_charging: bool = False

    def reading(self, wh: float | None) -> None:
        if wh is not None:
            self.first_wh = wh if self.first_wh is None else self.first_wh
            self.last_wh = wh

    def delivered(self) -> bool:
        """Energy delivered: the register rose; with no readings, the session reached
        Charging (ChargeX's power-delivery attempt)."""
        if self.first_wh is not None and self.last_wh is not None and self.last_wh != self.first_wh:
            return self.last_wh > self.first_wh
        return self.first_wh is None and self.reached_charging


@dataclass(slots=True)
class StationLive:
    """A station: connected or not, when it last spoke, its heartbeat interval."""

    station_id: str
    connected: bool = True
    last_message_at: datetime | None = None
    last_message: dict[str, Any] | None = None
    heartbeat_s: float | None = None
    #: (the caller's direction, message id) → (action, payload) of CALLs not yet answered
    pending: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    transactions: dict[str, _Transaction] = field(default_factory=dict)


class LiveState:
    """Every station and port seen, updated frame by frame."""

    def __init__(self) -> None:
        self.stations: dict[str, StationLive] = {}
        self.ports: dict[str, PortLive] = {}

    def station(self, station_id: str) -> StationLive:
        found = self.stations.get(station_id)
        if found is None:
            found = self.stations[station_id] = StationLive(station_id)
        return found

    def port(self, port: str) -> PortLive:
        found = self.ports.get(port)
        if found is None:
            found = self.ports[port] = PortLive(port)
        return found

    def apply(self, frame: LiveFrame, *, received_at: datetime) -> list[Observation]:
        """Update the state with one frame; what it showed, in order."""
        station = self.station(frame.charge_point_id)
        message = frame.message
        out: list[Observation] = []
        if frame.direction == "in":
            station.connected = True
            station.last_message_at = received_at
            station.last_message = frame.record(received_at)
            out.append(Observation("message", station.station_id))
        if not (isinstance(message, list) and len(message) >= 3 and isinstance(message[1], str)):
            return out
        kind, message_id = message[0], message[1]
        if kind == 2 and len(message) == 4 and isinstance(message[3], dict):
            station.pending[(frame.direction, message_id)] = (str(message[2]), message[3])
            if len(station.pending) > _PENDING_KEPT:  # CALLs never answered: forget the oldest
                del station.pending[next(iter(station.pending))]
            if frame.direction == "in":
                out += self._call(station, str(message[2]), message[3], received_at)
        elif kind in (3, 4):
            caller = "out" if frame.direction == "in" else "in"
            call = station.pending.pop((caller, message_id), None)
            if kind == 4:
                out.append(Observation("callerror", station.station_id, code=str(message[2])))
            elif call is not None and isinstance(message[2], dict):
                out += self._result(station, call, message[2])
        return out

    # ------------------------------------------------------------------------ CALLs
    def _call(self, station: StationLive, action: str, payload: dict[str, Any],
              at: datetime) -> list[Observation]:
        cp = station.station_id
        if action == "StatusNotification":
            return self._status(cp, payload, at)
        if action == "BootNotification":
            return [Observation("boot", cp, code=str(payload.get("reason") or "Unknown"))]
        if action == "NotifyEvent":
            return _notify_event(cp, payload)
        if action == "MeterValues":
            connector, evse = payload.get("connectorId"), payload.get("evseId")
            port = port_id(cp, connector) if connector is not None else (
                port_id(cp, 1, evse) if evse else None)
            tx = station.transactions.get(str(payload.get("transactionId")))
            return self._meter(cp, port, payload.get("meterValue"), tx)
        if action == "StartTransaction":
            return [Observation("started", cp, port_id(cp, payload.get("connectorId")))]
        if action == "StopTransaction":
            tx = station.transactions.pop(str(payload.get("transactionId")), None)
            if tx is None:
                return []
            tx.reading(_number(payload.get("meterStop")))
            return [*self._charging(cp, tx.port_id, on=False),
                    Observation("ended", cp, tx.port_id, flag=tx.delivered())]
        if action == "TransactionEvent":
            return self._transaction_event(station, payload)
        return []

    def _status(self, cp: str, payload: dict[str, Any], at: datetime) -> list[Observation]:
        if "status" in payload:  # 1.6
            raw, port = payload.get("status"), port_id(cp, payload.get("connectorId"))
            error = payload.get("errorCode")
        else:
            raw = payload.get("connectorStatus")
            port = port_id(cp, payload.get("connectorId"), payload.get("evseId"))
            error = None
        live = self.port(port)
        state = port_state(raw if isinstance(raw, str) else None)
        if state != live.state:
            live.since = at
        live.state, live.raw_status = state, raw if isinstance(raw, str) else None
        live.error_code = error if isinstance(error, str) else None
        faulted = state == "faulted" or live.error_code not in (None, "NoError")
        out = [Observation("status", cp, port, flag=faulted, code=live.error_code, state=state)]
        if "status" in payload:  # 1.6 says Charging; 2.x says it in TransactionEvent
            out += self._charging(cp, port, on=raw == "Charging")
        elif state != "occupied":
            out += self._charging(cp, port, on=False)
        return out

    def _transaction_event(self, station: StationLive,
                           payload: dict[str, Any]) -> list[Observation]:
        cp = station.station_id
        info = payload.get("transactionInfo") or {}
        key = str(info.get("transactionId"))
        evse = payload.get("evse") or {}
        port = port_id(cp, evse.get("connectorId", 1), evse.get("id")) if evse.get("id") else None
        tx = station.transactions.get(key)
        if tx is None:
            tx = station.transactions[key] = _Transaction(port)
        tx.port_id = tx.port_id or port
        out = self._meter(cp, tx.port_id, payload.get("meterValue"), tx)
        if payload.get("eventType") == "Started":
            out.append(Observation("started", cp, tx.port_id))
        state = info.get("chargingState")
        if state is not None:
            tx.reached_charging |= state == "Charging"
            out += self._charging(cp, tx.port_id, on=state == "Charging")
        if payload.get("eventType") == "Ended":
            del station.transactions[key]
            out += [*self._charging(cp, tx.port_id, on=False),
                    Observation("ended", cp, tx.port_id, flag=tx.delivered())]
        return out

    def _meter(self, cp: str, port: str | None, values: Any,
               tx: _Transaction | None) -> list[Observation]:
        out = []
        wh = energy_wh(values) if isinstance(values, list) else None
        if tx is not None:
            tx.reading(wh)
        if wh is not None and port is not None:
            out.append(Observation("energy", cp, port, value=wh))
        for celsius in _temperatures(values):
            out.append(Observation("temperature", cp, port, value=celsius))
        power = _power_w(values)  # after the temperature: derating is judged with both
        if power is not None:
            out.append(Observation("power", cp, port, value=power))
        return out

    def _charging(self, cp: str, port: str | None, *, on: bool) -> list[Observation]:
        if port is None:
            return []
        live = self.port(port)
        if live.charging == on:
            return []
        live.charging = on
        return [Observation("charging", cp, port, flag=on)]

    # ---------------------------------------------------------------------- results
    def _result(self, station: StationLive, call: tuple[str, dict[str, Any]],
                payload: dict[str, Any]) -> list[Observation]:
        action, request = call
        if action == "BootNotification" and isinstance(payload.get("interval"), int | float):
            station.heartbeat_s = float(payload["interval"]) or None
            return [Observation("interval", station.station_id, value=station.heartbeat_s)]
        if action in _REMOTE_STARTS and payload.get("status") == "Accepted":
            connector, evse = request.get("connectorId"), request.get("evseId")
            port = (port_id(station.station_id, connector) if action == "RemoteStartTransaction"
                    and connector is not None else port_id(station.station_id, 1, evse)
                    if action == "RequestStartTransaction" and evse else None)
            return [Observation("remote_start", station.station_id, port)]
        if action == "StartTransaction" and payload.get("transactionId") is not None:
            tx = _Transaction(port_id(station.station_id, request.get("connectorId")))
            tx.reading(_number(request.get("meterStart")))
            station.transactions[str(payload["transactionId"])] = tx
        return []


def _notify_event(cp: str, payload: dict[str, Any]) -> list[Observation]:
    """A 2.x NotifyEvent's problems: a trigger Alerting (raised unless ``cleared``) or a
    ``Problem`` variable (raised while its value is true)."""
    out = []
    for event in payload.get("eventData") or []:
        if not isinstance(event, dict):
            continue
        component = event.get("component") or {}
        variable = event.get("variable") or {}
        if variable.get("name") == "Problem":
            raised = str(event.get("actualValue", "")).lower() in _TRUE
        elif event.get("trigger") == "Alerting":
            raised = not event.get("cleared", False)
        else:
            continue
        evse = component.get("evse") or {}
        port = port_id(cp, evse.get("connectorId", 1), evse["id"]) if evse.get("id") else None
        key = f"{component.get('name')}/{variable.get('name')}"
        tech = event.get("techCode")
        out.append(Observation("problem", cp, port, flag=raised, code=key,
                               detail=str(tech) if tech else None))
    return out


def _temperatures(values: Any) -> list[float]:
    """The Temperature samples of meter values, in °C."""
    found = []
    for meter in values if isinstance(values, list) else []:
        for sample in (meter.get("sampledValue") or []) if isinstance(meter, dict) else []:
            if sample.get("measurand") != "Temperature":
                continue
            value = _number(sample.get("value"))
            unit = (sample.get("unitOfMeasure") or {}).get("unit") or sample.get("unit")
            if value is None:
                continue
            if unit == "Fahrenheit":
                value = (value - 32) * 5 / 9
            elif unit == "K":
                value -= 273.15
            found.append(value)
    return found


#: the power a station reports, in order of preference: what it delivers, else what it offers
_POWER_MEASURANDS = ("Power.Active.Import", "Power.Offered")
_POWER_SCALE = {"W": 1.0, "kW": 1000.0}


def _power_w(values: Any) -> float | None:
    """The last meter value's power in W: Power.Active.Import, else Power.Offered; a total
    sample (no ``phase``) if there is one, else the phases summed."""
    meters = [m for m in values if isinstance(m, dict)] if isinstance(values, list) else []
    samples = [s for s in (meters[-1].get("sampledValue") or []) if isinstance(s, dict)] \
        if meters else []
    for measurand in _POWER_MEASURANDS:
        found: list[tuple[float, bool]] = []
        for sample in samples:
            value = _number(sample.get("value"))
            if sample.get("measurand") != measurand or value is None:
                continue
            unit_of_measure = sample.get("unitOfMeasure") or {}
            unit = unit_of_measure.get("unit") or sample.get("unit") or "W"
            scale = _POWER_SCALE.get(unit)
            if scale is None:
                continue
            scale *= 10 ** int(unit_of_measure.get("multiplier", 0) or 0)
            found.append((value * scale, sample.get("phase") is None))
        totals = [watts for watts, total in found if total]
        if totals:
            return totals[0]
        if found:
            return sum(watts for watts, _ in found)
    return None


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None
