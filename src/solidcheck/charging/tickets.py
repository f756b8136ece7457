"""Maintenance tickets (the operator's CSV, JSON or JSON Lines) → the ``tickets`` table,
recognised by their columns or keys (``ticket_id`` and ``opened``).

Canonical header: ``ticket_id,port_id,station_id,severity,opened,acknowledged,resolved,closed,
cause,resolution,reopened`` — names matched without regard to case, other columns ignored; CSV
``,`` or ``;`` with or without a UTF-8 BOM; gzip read transparently.

Times are ISO 8601 with an offset, or epoch milliseconds; a time without an offset is refused
(a ticket system's local time says nothing of its zone). A ticket acknowledged or resolved
before it was opened, or closed before it was resolved, is rejected naming the field: its
durations would be negative. Pure but for the caller's bytes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from .rows import (
    Item,
    RowError,
    TableRead,
    csv_items,
    delimiter_of,
    first_line,
    json_document,
    jsonl_items,
    open_table,
    optional_text,
    required_text,
    utc_time,
    with_format,
)

__all__ = ["CAUSE_SPELLINGS", "RESOLUTIONS", "cause_of", "parse_tickets"]

#: common spellings of NEVI's excluded causes (23 CFR 680.116(b)), after
#: :func:`cause_of`'s normalising, to the names rule sets use. Only unambiguous ones: "power
#: outage" or "power failure" may be the site's own supply (the operator's fault, not the
#: utility's) and stays the operator's word, so its minutes are never excluded by a guess
CAUSE_SPELLINGS: Final[dict[str, str]] = {
    "utility_outage": "utility_outage",
    "utility_interruption": "utility_outage",
    "utility_service_interruption": "utility_outage",
    "electric_utility_service_interruption": "utility_outage",
    "grid_outage": "utility_outage",
    "电网停电": "utility_outage",
    "vehicle_fault": "vehicle_fault",
    "vehicle_failure": "vehicle_fault",
    "ev_fault": "vehicle_fault",
    "车辆故障": "vehicle_fault",
    "scheduled_maintenance": "scheduled_maintenance",
    "planned_maintenance": "scheduled_maintenance",
    "计划检修": "scheduled_maintenance",
    "计划维护": "scheduled_maintenance",
    "vandalism": "vandalism",
    "vandalised": "vandalism",
    "vandalized": "vandalism",
    "人为破坏": "vandalism",
    "natural_disaster": "natural_disaster",
    "自然灾害": "natural_disaster",
}
#: how a ticket was resolved, in the spellings ticket systems use (English and Chinese)
RESOLUTIONS: Final[dict[str, str]] = {
    "remote": "remote", "remotely": "remote", "远程": "remote",
    "on_site": "on_site", "on-site": "on_site", "onsite": "on_site", "on site": "on_site",
    "现场": "on_site",
}
_TIMES: Final = ("opened", "acknowledged", "resolved", "closed")
#: (later, earlier): the later may not come before the earlier
_ORDER: Final = (("acknowledged", "opened"), ("resolved", "opened"), ("closed", "resolved"),
                 ("closed", "opened"))
_TRUE: Final = {"true": 1, "false": 0, "yes": 1, "no": 0}


def _recognised(keys: set[str]) -> bool:
    return {"ticket_id", "opened"} <= keys


def parse_tickets(data: bytes, *, source: str) -> TableRead | None:
    """The tickets of a file's bytes, or None when they are not a ticket file."""
    opened = open_table(data, source=source, tables=("tickets",),
                        items_of=lambda text: with_format("tickets", _items(text)))
    if opened is None:
        return None
    read, items = opened
    return read.take(items, lambda number_, row, _: read.add("tickets", ticket(row), number_))


def _items(text: str) -> tuple[str, Iterator[Item]] | None:
    first = first_line(text)
    if first[:1] not in ("{", "["):
        delimiter = delimiter_of(first)
        names = [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter))]
        return ("csv", csv_items(text, names, delimiter)) if _recognised(set(names)) else None
    document = json_document(text)
    if document is None:
        head = json_document(first)
        keys = {str(k).lower() for k in head} if isinstance(head, dict) else set()
        return ("jsonl", jsonl_items(text.splitlines())) if _recognised(keys) else None
    if isinstance(document, dict) and isinstance(document.get("tickets"), list):
        document = document["tickets"]
    if not isinstance(document, list) or not document or not isinstance(document[0], dict) \
            or not _recognised({str(k).lower() for k in document[0]}):
        return None
    return "json", iter([
        (number_, {str(k).lower(): v for k, v in item.items()} if isinstance(item, dict)
         else "charging.rejected.not_an_object",
         (json.dumps(item, ensure_ascii=False)[:200], type(item).__name__))
        for number_, item in enumerate(document, 1)])


def ticket(row: dict[str, Any]) -> dict[str, Any]:
    """One ticket row (keys lower-cased) as a ``tickets`` row; :class:`RowError` names the
    first bad field."""
    ticket_id = required_text(row, "ticket_id")
    port_id, station_id = optional_text(row, "port_id"), optional_text(row, "station_id")
    if port_id is None and station_id is None:
        raise RowError("charging.rejected.ticket_place", ticket_id)
    times: dict[str, datetime | None] = {
        name: _time(row, name) for name in _TIMES}
    if times["opened"] is None:
        raise RowError("charging.rejected.missing", "opened")
    for later, earlier in _ORDER:
        after, before = times[later], times[earlier]
        if after is not None and before is not None and after < before:
            raise RowError("charging.rejected.ticket_order",
                           f"{later} {after.isoformat()} < {earlier} {before.isoformat()}")
    cause = optional_text(row, "cause")
    return {"ticket_id": ticket_id, "port_id": port_id, "station_id": station_id,
            "severity": optional_text(row, "severity"), **times,
            "cause": None if cause is None else cause_of(cause),
            "resolution": _resolution(optional_text(row, "resolution")),
            "reopened": _reopened(row.get("reopened"))}


def cause_of(text: str) -> str:
    """A cause as rule sets compare it: lower case, spaces and hyphens as ``_``, a known
    spelling of an excluded cause as its name (``Utility outage`` → ``utility_outage``)."""
    word = "_".join(text.strip().lower().replace("-", " ").split())
    return CAUSE_SPELLINGS.get(word, word)


def _time(row: dict[str, Any], name: str) -> datetime | None:
    value = row.get(name)
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return utc_time(value, epoch_ms=True)
    except RowError as bad:
        raise RowError(bad.reason, f"{name}={bad.detail}") from None


def _resolution(text: str | None) -> str | None:
    if text is None:
        return None
    found = RESOLUTIONS.get(text.lower())
    if found is None:
        raise RowError("charging.rejected.ticket_resolution", text)
    return found


def _reopened(value: object) -> int:
    """How many times the ticket was reopened: a whole number ≥ 0, or true/false."""
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return _TRUE[text]
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text.isdigit():
        raise RowError("charging.rejected.ticket_reopened", value)
    return int(text)
