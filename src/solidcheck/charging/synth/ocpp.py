"""A station's record as OCPP-J frames in the project's JSON Lines log format
(``{"ts", "charge_point_id", "direction", "frame", "ocpp_version"}``, see ocpp_logs.py): each
CALL the station sends, then the central system's CALLRESULT, at the same second. OCPP 1.6J and
2.0.1 payloads are built to their official JSON schemas (the tests check every frame with the
``ocpp`` library, as ``charging ingest`` does)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Final

from .record import Session, Station

__all__ = ["frame_lines", "iso_utc"]

_VENDOR: Final = "Solidcheck"
_MODEL: Final = "Synth"
_ENERGY: Final = "Energy.Active.Import.Register"
#: 2.0.1 triggerReason of an Ended event by its stoppedReason (else AbnormalCondition)
_TRIGGER: Final = {"Local": "StopAuthorized", "Remote": "RemoteStop",
                   "EVDisconnected": "EVDeparted", "EnergyLimitReached": "EnergyLimitReached",
                   "TimeLimitReached": "TimeLimitReached", "Timeout": "EVConnectTimeout",
                   "StoppedByEV": "ChargingStateChanged", "SOCLimitReached": "ChargingStateChanged",
                   "LocalOutOfCredit": "Deauthorized", "DeAuthorized": "Deauthorized"}


def iso_utc(when: int) -> str:
    """``2026-03-16T08:00:00Z``: how central systems and OCPP write a UTC time."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def frame_lines(station: Station) -> Iterator[tuple[int, str]]:
    """(time, JSON line) of every frame the station and its central system exchange."""
    build = _call_16 if station.protocol == "1.6" else _call_201
    for number, (when, _, kind, args) in enumerate(station.events, start=1):
        ts = iso_utc(when)
        action, payload, answer = build(station, ts, kind, args)
        message_id = str(number)
        yield when, _line(ts, station, "in", [2, message_id, action, payload])
        yield when, _line(ts, station, "out", [3, message_id, answer])


#: one encoder for every frame (``json.dumps`` with options makes a new one each call)
_ENCODE: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _line(ts: str, station: Station, direction: str, frame: list[Any]) -> str:
    """The log line; the same as encoding the whole object, keys in this order."""
    return (f'{{"ts":"{ts}","charge_point_id":{_ENCODE(station.station_id)},'
            f'"direction":"{direction}","frame":{_ENCODE(frame)},'
            f'"ocpp_version":"{station.protocol}"}}')


Built = tuple[str, dict[str, Any], dict[str, Any]]


def _heartbeat(ts: str, kind: str) -> Built:
    """The one message both versions spell alike."""
    if kind != "heartbeat":
        raise ValueError(f"no OCPP message for {kind!r}")
    return "Heartbeat", {}, {"currentTime": ts}


def _call_16(station: Station, ts: str, kind: str, args: tuple[object, ...]) -> Built:
    accepted = {"idTagInfo": {"status": "Accepted"}}
    if kind == "boot":
        return ("BootNotification", {"chargePointVendor": _VENDOR, "chargePointModel": _MODEL},
                {"status": "Accepted", "currentTime": ts, "interval": station.heartbeat_s})
    if kind == "status":
        connector, raw, code = args
        return ("StatusNotification", {"connectorId": connector, "errorCode": code,
                                       "status": raw, "timestamp": ts}, {})
    if kind == "authorize":
        return "Authorize", {"idTag": args[0]}, accepted
    if kind in ("tx_start", "tx_end"):
        connector, session = args
        assert isinstance(session, Session)
        if kind == "tx_start":
            return ("StartTransaction",
                    {"connectorId": connector, "idTag": session.token,
                     "meterStart": session.meter_start_wh, "timestamp": ts},
                    {**accepted, "transactionId": int(session.transaction_id)})
        return ("StopTransaction",
                {"transactionId": int(session.transaction_id), "idTag": session.token,
                 "meterStop": session.meter_start_wh + session.energy_wh, "timestamp": ts,
                 "reason": session.stop_reason}, accepted)
    if kind == "temperature":  # --precursors only
        connector, celsius = args
        return ("MeterValues", {"connectorId": connector, "meterValue": [
            {"timestamp": ts, "sampledValue": [{"value": str(celsius), "measurand": "Temperature",
                                                "unit": "Celsius", "location": "Body"}]}]}, {})
    return _heartbeat(ts, kind)


def _call_201(station: Station, ts: str, kind: str, args: tuple[object, ...]) -> Built:
    if kind == "boot":
        return ("BootNotification",
                {"chargingStation": {"model": _MODEL, "vendorName": _VENDOR}, "reason": args[0]},
                {"currentTime": ts, "interval": station.heartbeat_s, "status": "Accepted"})
    if kind == "status":
        evse, raw, _ = args
        return ("StatusNotification", {"timestamp": ts, "connectorStatus": raw,
                                       "evseId": evse, "connectorId": 1}, {})
    if kind == "authorize":
        return ("Authorize", {"idToken": _token(str(args[0]))},
                {"idTokenInfo": {"status": "Accepted"}})
    if kind in ("tx_start", "tx_charging", "tx_end"):
        evse, session = args
        assert isinstance(session, Session)
        return "TransactionEvent", _transaction_event(ts, kind, int(str(evse)), session), {}
    return _heartbeat(ts, kind)


def _token(token: str) -> dict[str, str]:
    return {"idToken": token, "type": "ISO14443"}


def _transaction_event(ts: str, kind: str, evse: int, session: Session) -> dict[str, Any]:
    info: dict[str, Any] = {"transactionId": session.transaction_id}
    register = session.meter_start_wh
    if kind == "tx_start":
        event, trigger, seq = "Started", "Authorized", 0
        info["chargingState"] = "EVConnected"
    elif kind == "tx_charging":
        event, trigger, seq = "Updated", "ChargingStateChanged", 1
        info["chargingState"] = "Charging"
    else:
        event, seq = "Ended", 2 if session.charging_s is not None else 1
        trigger = _TRIGGER.get(session.stop_reason or "", "AbnormalCondition")
        info["chargingState"] = "Idle"
        info["stoppedReason"] = session.stop_reason
        register += session.energy_wh
    payload: dict[str, Any] = {
        "eventType": event, "timestamp": ts, "triggerReason": trigger, "seqNo": seq,
        "transactionInfo": info,
        "meterValue": [{"timestamp": ts, "sampledValue": [
            {"value": register, "measurand": _ENERGY, "unitOfMeasure": {"unit": "Wh"}}]}]}
    if kind == "tx_start":
        payload["evse"] = {"id": evse, "connectorId": 1}
        payload["idToken"] = _token(session.token)
    return payload
