"""OCPI 2.2.1 exports to canonical rows, recognised by content: EVSE statuses →
``port_events``, CDRs → ``sessions``.

What operators actually export (gzip read transparently):

* EVSE status events as a JSON array or JSON Lines — whole EVSE objects or PATCH-like
  ``{location_id?, evse_uid|uid, evse_id?, status, last_updated}``;
* a Locations response ``{"data": [Location…], "status_code": 1000, "timestamp"}`` (or a bare
  array of Locations): each EVSE's ``status`` at its ``last_updated``;
* CDRs as a bare array, JSON Lines or a response ``{"data": [CDR…]}``.

OCPI times are UTC; the spec lets a time omit its ``Z`` (OCPI 2.2.1, types.asciidoc,
DateTime), so a time without an offset is taken as UTC. Pure but for the caller's bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any, Final

from .model import State
from .rows import (
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
)

__all__ = ["OCPI_STATES", "parse_ocpi"]

#: OCPI 2.2.1 EVSE ``status`` (Locations module, Status enum) to a state. PLANNED (not yet in
#: service) and REMOVED (taken out) are no service state: ``unknown`` ends the state before
#: them and keeps the time out of every numerator and denominator (``raw_status`` keeps which)
OCPI_STATES: Final[dict[str, State]] = {
    "AVAILABLE": "available",
    "CHARGING": "occupied",
    "BLOCKED": "blocked",
    "RESERVED": "reserved",
    "INOPERATIVE": "unavailable",
    "OUTOFORDER": "faulted",
    "UNKNOWN": "unknown",
    "PLANNED": "unknown",
    "REMOVED": "unknown",
}


def _kind(keys: set[str]) -> str | None:
    """``ocpi-locations``, ``ocpi-evse-status`` or ``ocpi-cdrs`` from an object's keys."""
    if "cdr_location" in keys or {"start_date_time", "end_date_time", "total_energy"} <= keys:
        return "ocpi-cdrs"
    if "evses" in keys or ({"id", "coordinates"} <= keys and "country_code" in keys):
        return "ocpi-locations"
    if "status" in keys and "last_updated" in keys and keys & {"uid", "evse_uid", "evse_id"}:
        return "ocpi-evse-status"
    return None


def parse_ocpi(data: bytes, *, source: str) -> TableRead | None:
    """The canonical rows of an OCPI export's bytes, or None when they are not one."""
    opened = open_table(data, source=source, tables=("port_events", "sessions"),
                        items_of=_items)
    if opened is None:
        return None
    read, items = opened
    return read.take(items, lambda number_, row, line: _add(read, read.format, number_, row,
                                                            line))


def _items(text: str) -> tuple[str, str, Iterator[Item]] | None:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    document = json_document(text)
    if document is None:  # JSON Lines: the first object decides
        head = json_document(first_line(text))
        if _is_response(head):  # one response a line: the pages of a paginated pull
            data = head["data"]
            first = data[0] if isinstance(data, list) and data else data
            kind = _kind(set(first)) if isinstance(first, dict) else None
            return (kind, "jsonl-pages", _pages(text.splitlines())) if kind else None
        kind = _kind(set(head)) if isinstance(head, dict) else None
        return (kind, "jsonl", jsonl_items(text.splitlines(), lower=False)) if kind else None
    layout = "json"
    if _is_response(document):
        data = document["data"]  # a list, or one object (GET of a single Location)
        document, layout = data if isinstance(data, list) else [data], "ocpi-response"
    elif isinstance(document, dict):
        document = [document]
    if not isinstance(document, list) or not document or not isinstance(document[0], dict):
        return None
    kind = _kind(set(document[0]))
    if kind is None:
        return None
    # a JSON document has no line per row: ``line`` is the object's position in it
    return kind, layout, iter([
        (number_, item if isinstance(item, dict) else "charging.rejected.not_an_object",
         (_short(item), type(item).__name__)) for number_, item in enumerate(document, 1)])


def _is_response(value: Any) -> bool:
    """An OCPI response envelope ``{data, status_code, timestamp}``."""
    return isinstance(value, dict) and isinstance(value.get("data"), list | dict) \
        and ("status_code" in value or "timestamp" in value)


def _pages(lines: list[str]) -> Iterator[Item]:
    """Each object of each line's ``data``, at that line; a line that is not a response is
    rejected as a whole."""
    for number_, row, (line, detail) in jsonl_items(lines, lower=False):
        if not isinstance(row, dict):
            yield number_, row, (line, detail)
        elif not _is_response(row):
            yield number_, "charging.rejected.ocpi_page", (line, ", ".join(sorted(row)))
        else:
            data = row["data"]
            for item in data if isinstance(data, list) else [data]:
                yield number_, item if isinstance(item, dict) else \
                    "charging.rejected.not_an_object", (_short(item), type(item).__name__)


def _short(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False)[:200]


def _add(read: TableRead, kind: str, number_: int, row: dict[str, Any], line: str) -> None:
    if kind == "ocpi-locations":
        _location(read, number_, row, line)
        return
    try:
        if kind == "ocpi-cdrs":
            read.add("sessions", _cdr(row), number_)
        else:
            read.add("port_events", _status(row, optional_text(row, "location_id")), number_)
    except RowError as bad:
        read.reject(number_, bad.reason, bad.detail, line)


def _location(read: TableRead, number_: int, location: dict[str, Any], line: str) -> None:
    """Each EVSE of a Location at its ``last_updated``; a bad EVSE is rejected alone, its
    position in ``evses`` in the detail."""
    evses = location.get("evses")
    location_id = optional_text(location, "id")
    if evses in (None, []):
        read.other_lines += 1  # a Location without EVSEs reports no status
        return
    if not isinstance(evses, list) or location_id is None:
        read.reject(number_, "charging.rejected.ocpi_location",
                    "id" if location_id is None else "evses", line)
        return
    for index, evse in enumerate(evses, 1):
        try:
            if not isinstance(evse, dict):
                raise RowError("charging.rejected.not_an_object", type(evse).__name__)
            read.add("port_events", _status(evse, location_id), number_)
        except RowError as bad:
            read.reject(number_, bad.reason, f"evses[{index}]: {bad.detail}", _short(evse))


def _port(location_id: str | None, evse_id: str | None, uid: str | None) -> str:
    """The EVSE's eMI3 ``evse_id`` when present, else ``{location}:{uid}``."""
    if evse_id is not None:
        return evse_id
    if location_id is None or uid is None:
        raise RowError("charging.rejected.ocpi_no_port", "evse_id")
    return f"{location_id}:{uid}"


def _status(evse: dict[str, Any], location_id: str | None) -> dict[str, Any]:
    evse_id = optional_text(evse, "evse_id")
    port_id = _port(location_id, evse_id, optional_text(evse, "uid", "evse_uid"))
    raw = required_text(evse, "status")
    state = OCPI_STATES.get(raw.upper().replace("_", ""))
    if state is None:
        raise RowError("charging.rejected.ocpi_status", raw)
    ts = utc_time(required_text(evse, "last_updated"), naive=UTC)
    # a PATCH without its location: the port stands for its station until the inventory joins
    return {"ts": ts, "logged_ts": ts, "station_id": location_id or port_id,
            "port_id": port_id, "evse_id": None, "connector_id": None, "station_wide": False,
            "state": state, "raw_status": raw, "error_code": None}


def _cdr(cdr: dict[str, Any]) -> dict[str, Any]:
    place = cdr.get("cdr_location")
    if not isinstance(place, dict):
        raise RowError("charging.rejected.missing", "cdr_location")
    port_id = _port(optional_text(place, "id"), optional_text(place, "evse_id"),
                    optional_text(place, "evse_uid"))
    start = utc_time(required_text(cdr, "start_date_time"), naive=UTC)
    end = utc_time(required_text(cdr, "end_date_time"), naive=UTC)
    if end < start:
        raise RowError("charging.rejected.end_before_start",
                       f"{start.isoformat()} > {end.isoformat()}")
    energy = cdr.get("total_energy")
    return {"port_id": port_id, "start": start, "end": end,
            "duration_s": (end - start).total_seconds(),
            "energy_wh": None if energy is None else number(energy, "total_energy") * 1000,
            "stop_reason": optional_text(cdr, "stop_reason"),
            "session_id": optional_text(cdr, "session_id", "id")}
