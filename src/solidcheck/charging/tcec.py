"""China's T/CEC 102 exchange format (中电联《电动汽车充换电服务信息交换》) to canonical rows,
recognised by content: connector statuses → ``port_events``, charge orders → ``sessions``.

What an operator pushes to a supervision platform is an envelope ``{OperatorID, Data,
TimeStamp (yyyyMMddHHmmss), Seq, Sig}``; ``Data`` is normally AES-encrypted JSON text. We read
``Data`` as a JSON object or JSON text; ciphertext is rejected with the fix (decrypt first —
the keys are the operator's, so the crypto is not ours to do). A bare ``Data`` object is read
too. Each file is a JSON array, JSON Lines or one object, gzip or not.

* ``notification_stationStatus`` / ``query_station_status``: ``ConnectorStatusInfo`` (one or
  a list), or ``StationStatusInfos [{StationID, ConnectorStatusInfos}]``;
* ``notification_charge_order_info``: ``StartChargeSeq, ConnectorID, StartTime, EndTime,
  TotalPower`` (kWh, despite its name), ``StopReason``.

Times without an offset are China Standard Time, UTC+08:00 (one zone, no daylight saving);
an explicit offset is honoured. Pure but for the caller's bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from .model import State
from .rows import (
    CHINA_STANDARD_TIME,
    Item,
    RowError,
    TableRead,
    first_line,
    json_document,
    jsonl_items,
    number,
    open_table,
    optional_text,
    required_text,
    utc_time,
    with_format,
)

__all__ = ["TCEC_STATES", "cst_time", "parse_tcec"]

#: ``ConnectorStatusInfo.Status`` to a state: 0 离网 offline, 1 空闲 idle, 2 占用（未充电）
#: occupied not charging, 3 占用（充电中） occupied charging, 4 占用（预约锁定） reserved,
#: 255 故障 faulted — as public T/CEC 102 integrations implement the standard's code table
#: (docs/charging-inputs.md gives the sources)
TCEC_STATES: Final[dict[int, State]] = {0: "offline", 1: "available", 2: "occupied",
                                        3: "occupied", 4: "reserved", 255: "faulted"}
#: a status's own time, where a platform adds one (the standard's push carries none)
_STATUS_TIMES: Final = ("statustime", "updatetime")
_ENVELOPE: Final = {"operatorid", "data"}
_DATA: Final = ({"connectorstatusinfo"}, {"stationstatusinfos"}, {"connectorstatusinfos"},
                {"startchargeseq", "connectorid"})


def _lower(value: Any) -> Any:
    """Keys lower-cased (platforms differ: ``ConnectorID``, ``connectorId``)."""
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else value


def _recognised(head: Any) -> bool:
    keys = set(_lower(head)) if isinstance(head, dict) else set()
    return keys >= _ENVELOPE or any(names <= keys for names in _DATA)


def parse_tcec(data: bytes, *, source: str) -> TableRead | None:
    """The canonical rows of T/CEC 102 messages, or None when the bytes are not any."""
    opened = open_table(data, source=source, tables=("port_events", "sessions"),
                        items_of=lambda text: with_format("tcec-102", _items(text)))
    if opened is None:
        return None
    read, items = opened
    return read.take(items, lambda number_, row, line: _message(read, number_, _lower(row),
                                                                  line))


def _items(text: str) -> tuple[str, Iterator[Item]] | None:
    if not text.lstrip().startswith(("{", "[")):
        return None
    document = json_document(text)
    if document is None:
        head = json_document(first_line(text))
        return ("jsonl", jsonl_items(text.splitlines(), lower=False)) if _recognised(head) else None
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list) or not document or not _recognised(document[0]):
        return None
    return "json", iter([
        (number_, item if isinstance(item, dict) else "charging.rejected.not_an_object",
         (json.dumps(item, ensure_ascii=False)[:200], type(item).__name__))
        for number_, item in enumerate(document, 1)])


def _message(read: TableRead, number_: int, message: dict[str, Any], line: str) -> None:
    try:
        sent = _envelope_time(message)
        body = _lower(_data(message)) if set(message) >= _ENVELOPE else message
        if "startchargeseq" in body:
            read.add("sessions", _order(body), number_)
            return
        station, infos = _statuses(body)
    except RowError as bad:
        read.reject(number_, bad.reason, bad.detail, line)
        return
    for index, (station_id, info) in enumerate(infos, 1):
        try:
            read.add("port_events", _status(_lower(info), station_id or station, sent), number_)
        except RowError as bad:
            where = f"ConnectorStatusInfo[{index}]: " if len(infos) > 1 else ""
            read.reject(number_, bad.reason, where + bad.detail, line)


def _envelope_time(message: dict[str, Any]) -> datetime | None:
    stamp = optional_text(message, "timestamp")
    return None if stamp is None else cst_time(stamp)


def _data(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope's ``Data`` as an object; ciphertext is refused with the fix."""
    data = envelope.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            raise RowError("charging.rejected.tcec_encrypted", data[:40]) from None
    if not isinstance(data, dict):
        raise RowError("charging.rejected.tcec_data", type(data).__name__)
    return data


def _statuses(body: dict[str, Any]) -> tuple[str | None, list[tuple[str | None, Any]]]:
    """The body's station (when it names one) and its connector statuses, each with the
    station its ``StationStatusInfos`` entry names."""
    station = optional_text(body, "stationid")
    if "connectorstatusinfo" in body or "connectorstatusinfos" in body:
        infos = body.get("connectorstatusinfo", body.get("connectorstatusinfos"))
        infos = infos if isinstance(infos, list) else [infos]
        return station, [(None, info) for info in infos]
    stations = body.get("stationstatusinfos")
    if not isinstance(stations, list):
        raise RowError("charging.rejected.tcec_data", ", ".join(sorted(body)) or "{}")
    found: list[tuple[str | None, Any]] = []
    for entry in map(_lower, stations):
        if not isinstance(entry, dict):
            raise RowError("charging.rejected.not_an_object", type(entry).__name__)
        infos = entry.get("connectorstatusinfos", [])
        found += [(optional_text(entry, "stationid"), info)
                  for info in (infos if isinstance(infos, list) else [infos])]
    return station, found


def _status(info: Any, station_id: str | None, sent: datetime | None) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise RowError("charging.rejected.not_an_object", type(info).__name__)
    port_id = required_text(info, "connectorid")
    raw = info.get("status")
    try:
        state = TCEC_STATES[int(str(raw).strip())] if not isinstance(raw, bool) else None
    except (KeyError, ValueError):
        state = None
    if state is None:
        raise RowError("charging.rejected.tcec_status", raw)
    own = optional_text(info, *_STATUS_TIMES)
    ts = cst_time(own) if own is not None else sent
    if ts is None:
        raise RowError("charging.rejected.tcec_no_time", port_id)
    # without StationID the port stands for its station until the inventory joins them
    return {"ts": ts, "logged_ts": sent or ts, "station_id": station_id or port_id,
            "port_id": port_id, "evse_id": None, "connector_id": None, "station_wide": False,
            "state": state, "raw_status": str(raw).strip(), "error_code": None}


def _order(order: dict[str, Any]) -> dict[str, Any]:
    port_id = required_text(order, "connectorid")
    start = cst_time(required_text(order, "starttime"))
    end = cst_time(required_text(order, "endtime"))
    if end < start:
        raise RowError("charging.rejected.end_before_start",
                       f"{start.isoformat()} > {end.isoformat()}")
    energy = order.get("totalpower")
    return {"port_id": port_id, "start": start, "end": end,
            "duration_s": (end - start).total_seconds(),
            "energy_wh": None if energy in (None, "") else number(energy, "TotalPower") * 1000,
            "stop_reason": optional_text(order, "stopreason"),
            "session_id": optional_text(order, "startchargeseq")}


def cst_time(text: str) -> datetime:
    """A T/CEC time in UTC: ``yyyyMMddHHmmss`` or ``yyyy-MM-dd HH:mm:ss`` in China Standard
    Time, or ISO 8601 with its own offset."""
    text = text.strip()
    if len(text) == 14 and text.isdigit():
        try:
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(
                tzinfo=CHINA_STANDARD_TIME).astimezone(UTC)
        except ValueError:
            raise RowError("charging.rejected.time", text) from None
    return utc_time(text, naive=CHINA_STANDARD_TIME)
