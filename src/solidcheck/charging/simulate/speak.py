"""One plan step as OCPP messages, built and validated by the mobilityhouse ``ocpp`` library.

A speaker per version wraps the library's charge-point role (``ocpp.v16.ChargePoint``,
``ocpp.v201.ChargePoint``): the library packs, validates against the official schemas and
matches each answer to its CALL, so the simulator never writes a frame by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from .plan import Step

__all__ = ["Speaker", "Speaker16", "Speaker201", "speaker_for"]

_VENDOR = "solidcheck"
_MODEL = "simulated"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Speaker(Protocol):
    cp: Any

    async def boot(self, *, reason: str) -> int: ...
    async def heartbeat(self) -> None: ...
    async def step(self, step: Step) -> str | None:
        """Send the step; for an Authorize, the central system's answer (``Accepted`` …)."""


class Speaker16:
    """OCPP 1.6J: StatusNotification carries the error code; the server numbers transactions."""

    def __init__(self, station: str, connection: Any) -> None:
        self.cp = ChargePoint16(station, connection)
        self._tx: dict[int, int] = {}

    async def boot(self, *, reason: str) -> int:
        del reason  # 1.6 has no boot reason
        result = await self.cp.call(call16.BootNotification(charge_point_model=_MODEL,
                                                            charge_point_vendor=_VENDOR))
        return int(result.interval)

    async def heartbeat(self) -> None:
        await self.cp.call(call16.Heartbeat())

    async def step(self, step: Step) -> str | None:
        c = step.connector
        if step.kind == "status":
            await self.cp.call(call16.StatusNotification(
                connector_id=c, error_code=step.error_code, status=step.status,
                timestamp=_now()))
        elif step.kind == "authorize":
            answer = await self.cp.call(call16.Authorize(id_tag=step.id_tag))
            return str(answer.id_tag_info["status"])
        elif step.kind == "start":
            result = await self.cp.call(call16.StartTransaction(
                connector_id=c, id_tag=step.id_tag, meter_start=step.energy_wh,
                timestamp=_now()))
            self._tx[c] = int(result.transaction_id) if result is not None else 0
        elif step.kind == "meter":
            await self.cp.call(call16.MeterValues(
                connector_id=c, transaction_id=self._tx.get(c),
                meter_value=[_sampled(step)]))
        elif step.kind == "stop":
            await self.cp.call(call16.StopTransaction(
                meter_stop=step.energy_wh, timestamp=_now(), transaction_id=self._tx.pop(c, 0),
                id_tag=step.id_tag, reason=step.reason))
        elif step.kind == "bad_call":
            # a firmware bug: a status outside the enumeration, which the server must refuse
            await self.cp.call(call16.StatusNotification(
                connector_id=0, error_code="NoError", status="Exploded"),
                skip_schema_validation=True)
        return None


class Speaker201:
    """OCPP 2.0.1: statuses carry no error (NotifyEvent does); transactions are
    TransactionEvents the station numbers itself."""

    def __init__(self, station: str, connection: Any) -> None:
        self.cp = ChargePoint201(station, connection)
        self._station = station
        self._seq: dict[int, int] = {}
        self._events = 0
        self._faulted: dict[int, str] = {}

    async def boot(self, *, reason: str) -> int:
        result = await self.cp.call(call201.BootNotification(
            charging_station={"model": _MODEL, "vendor_name": _VENDOR}, reason=reason))
        return int(result.interval)

    async def heartbeat(self) -> None:
        await self.cp.call(call201.Heartbeat())

    async def step(self, step: Step) -> str | None:
        c = step.connector
        if step.kind == "status":
            status = {"Preparing": "Occupied", "Charging": None, "Finishing": None}.get(
                step.status, step.status)
            if step.status == "Charging":
                await self._transaction(step, "Updated", "ChargingStateChanged",
                                        charging_state="Charging")
            if status is not None:
                await self.cp.call(call201.StatusNotification(
                    timestamp=_now(), connector_status=status, evse_id=c, connector_id=1))
            if step.status == "Faulted":
                self._faulted[c] = step.tech_code
                await self._alert(c, step.tech_code, cleared=False)
            elif c in self._faulted:  # the problem is gone: the same alert, cleared
                await self._alert(c, self._faulted.pop(c), cleared=True)
        elif step.kind == "authorize":
            answer = await self.cp.call(call201.Authorize(id_token=_token(step.id_tag)))
            return str(answer.id_token_info["status"])
        elif step.kind == "start":
            await self._transaction(step, "Started", "Authorized", charging_state="EVConnected",
                                    id_token=_token(step.id_tag))
        elif step.kind == "meter":
            await self._transaction(step, "Updated", "MeterValuePeriodic",
                                    charging_state="Charging")
        elif step.kind == "stop":
            await self._transaction(step, "Ended", "StopAuthorized", stopped_reason=step.reason,
                                    charging_state="Idle")
        elif step.kind == "bad_call":
            await self.cp.call(call201.StatusNotification(
                timestamp=_now(), connector_status="Exploded", evse_id=0, connector_id=0),
                skip_schema_validation=True)
        return None

    async def _transaction(self, step: Step, event: str, trigger: str, **info: Any) -> None:
        seq = self._seq[step.tx] = self._seq.get(step.tx, -1) + 1
        id_token = info.pop("id_token", None)
        extra: dict[str, Any] = {}
        if event != "Updated" or trigger == "MeterValuePeriodic":
            extra["meter_value"] = [_sampled201(step)]
        await self.cp.call(call201.TransactionEvent(
            event_type=event, timestamp=_now(), trigger_reason=trigger, seq_no=seq,
            transaction_info={"transaction_id": f"{self._station}-{step.tx}", **info},
            evse={"id": step.connector, "connector_id": 1}, id_token=id_token, **extra))

    async def _alert(self, evse: int, tech_code: str, *, cleared: bool) -> None:
        self._events += 1
        await self.cp.call(call201.NotifyEvent(
            generated_at=_now(), seq_no=0, event_data=[{
                "event_id": self._events, "timestamp": _now(), "trigger": "Alerting",
                "actual_value": "Faulted", "tech_code": tech_code, "cleared": cleared,
                "component": {"name": "Connector", "evse": {"id": evse, "connector_id": 1}},
                "variable": {"name": "Problem"},
                "event_notification_type": "HardWiredNotification"}]))


def _readings(step: Step) -> list[tuple[str, int, str]]:
    """(measurand, value, unit): the register first (part I reads the first sample), then the
    power and temperature a derating session reports."""
    out = [("Energy.Active.Import.Register", step.energy_wh, "Wh")]
    if step.power_w:
        out.append(("Power.Active.Import", step.power_w, "W"))
    if step.celsius is not None:
        out.append(("Temperature", step.celsius, "Celsius"))
    return out


def _sampled(step: Step) -> dict[str, Any]:
    """1.6: each reading as a string value with its unit."""
    return {"timestamp": _now(), "sampled_value": [
        {"value": str(value), "measurand": measurand, "unit": unit}
        for measurand, value, unit in _readings(step)]}


def _sampled201(step: Step) -> dict[str, Any]:
    """2.0.1: each reading as a number with its unit of measure."""
    return {"timestamp": _now(), "sampled_value": [
        {"value": value, "measurand": measurand, "unit_of_measure": {"unit": unit}}
        for measurand, value, unit in _readings(step)]}


def _token(tag: str) -> dict[str, str]:
    return {"id_token": tag, "type": "ISO14443"}


def speaker_for(version: str, station: str, connection: Any) -> Speaker:
    """The speaker of ``version`` (``1.6`` or ``2.0.1``) on an open connection."""
    return Speaker16(station, connection) if version == "1.6" else Speaker201(station, connection)
