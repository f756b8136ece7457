"""The project's own inventory of stations and ports → the ``inventory`` table, recognised by
content.

* YAML (or the same as JSON): ``stations: [{id, name?, operator?, opening_hours?,
  commissioned?, ports: [{id, power_kw, connector?}]}]``, with an optional top-level
  ``operator`` for stations that name none. Read with the project's bounded loader
  (:func:`solidcheck.dossier.parse_mapping`: at most 1 MB and 100,000 values — a larger
  network is a CSV). A port's ``line`` is the line it starts on (a station's, for a station
  that gives no port).
* CSV ``port_id,station_id,power_kw,opening_hours,commissioned,operator`` (``,`` or ``;``, a
  BOM allowed, names matched without regard to case, the last three optional).

``name`` and ``connector`` are accepted and not kept: the table has no column for them.
Pure but for the caller's bytes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Final

import yaml

from ..dossier import parse_mapping
from ..errors import ChargingInputError, DossierError, Problem
from .rows import (
    Item,
    RowError,
    TableRead,
    csv_items,
    decode,
    delimiter_of,
    first_line,
    json_document,
    number,
    optional_text,
    required_text,
)

__all__ = ["parse_inventory"]

_CSV_NAMES: Final = {"port_id", "station_id", "power_kw"}
_YAML_STATIONS: Final = re.compile(r"^stations\s*:", re.MULTILINE)
#: where a YAML inventory's top-level ``stations:`` is looked for (not a whole log's text)
_YAML_HEAD_CHARS: Final = 65_536
_FIX: Final = ("an inventory is stations: [{id, opening_hours?, commissioned?, operator?, "
               "ports: [{id, power_kw}]}] (docs/charging-inputs.md)")


def parse_inventory(data: bytes, *, source: str) -> TableRead | None:
    """The inventory rows of a file's bytes, or None when they are not an inventory. A YAML
    inventory that cannot be parsed raises :class:`ChargingInputError`."""
    decoded = decode(data)
    if decoded is None:
        return None
    sha256, text = decoded
    first = first_line(text)
    items: Iterator[Item]
    if first[:1] in ("{", "["):
        document = json_document(text)
        if not (isinstance(document, dict) and "stations" in document):
            return None
        layout, items = "json", _stations(_document(text, source), _lines(text))
    elif _YAML_STATIONS.search(text, 0, _YAML_HEAD_CHARS):
        layout, items = "yaml", _stations(_document(text, source), _lines(text))
    else:
        names = [n.strip().lower() for n in next(csv.reader([first], delimiter=delimiter_of(
            first)))] if first else []
        if not set(names) >= _CSV_NAMES:
            return None
        layout, items = "csv", csv_items(text, names, delimiter_of(first))
    read = TableRead(source, sha256, "inventory", layout, rows={"inventory": []})
    return read.take(items, lambda number_, row, _: read.add("inventory", _port(row), number_))


def _document(text: str, source: str) -> dict[str, Any]:
    try:
        document = parse_mapping(text, source=source)
    except DossierError as exc:
        raise ChargingInputError([Problem(f"{source} {p.path}".strip(), p.message, p.fix)
                                  for p in exc.problems]) from None
    if not isinstance(document, dict) or not isinstance(document.get("stations"), list):
        raise ChargingInputError([Problem(source, "stations is not a list", _FIX)])
    return document


def _stations(document: dict[str, Any], lines: _Lines) -> Iterator[Item]:
    """Each port as a flat row with its station's fields, at its line in the file; a station
    that cannot give ports is one rejection at its own line."""
    default_operator = document.get("operator")
    position = 0
    for index, station in enumerate(document["stations"]):
        text = repr(station)
        ports = station.get("ports") if isinstance(station, dict) else None
        if not isinstance(station, dict) or station.get("id") in (None, "") \
                or not isinstance(ports, list) or not ports:
            missing = "id" if isinstance(station, dict) and station.get("id") in (None, "") \
                else "ports"
            position += 1
            yield lines.get((index, None), position), "charging.rejected.inventory_station", \
                (text, f"stations[{index + 1}]: {missing}")
            continue
        for at, port in enumerate(ports):
            position += 1
            line = lines.get((index, at), position)
            if not isinstance(port, dict):
                yield line, "charging.rejected.not_an_object", (repr(port), type(port).__name__)
                continue
            yield line, {
                "port_id": port.get("id"), "station_id": station.get("id"),
                "power_kw": port.get("power_kw"),
                "opening_hours": station.get("opening_hours"),
                "commissioned": station.get("commissioned"),
                "operator": station.get("operator") or default_operator}, (repr(port), "")


#: (station index, port index | None for the station) → the 1-based line it starts on
_Lines = dict[tuple[int, int | None], int]


def _lines(text: str) -> _Lines:
    """Where each station and port starts. Composed (nodes only, never constructed) after the
    bounded loader has accepted the document, so its size and depth limits already hold."""
    loader = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
    try:
        root = yaml.compose(text, Loader=loader)  # a safe loader, nodes only
    except yaml.YAMLError:
        return {}
    found: _Lines = {}
    stations = _value(root, "stations")
    for index, station in enumerate(getattr(stations, "value", None) or []):
        if not isinstance(station, yaml.Node):
            break
        found[index, None] = station.start_mark.line + 1
        ports = _value(station, "ports")
        if isinstance(ports, yaml.SequenceNode):
            for at, port in enumerate(ports.value):
                found[index, at] = port.start_mark.line + 1
    return found


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for name, value in node.value
                 if isinstance(name, yaml.ScalarNode) and name.value == key), None)


def _port(row: dict[str, Any]) -> dict[str, Any]:
    return {"port_id": required_text(row, "port_id"),
            "station_id": required_text(row, "station_id"),
            "power_kw": number(row.get("power_kw"), "power_kw"),
            "opening_hours": optional_text(row, "opening_hours"),
            "commissioned": _date(row.get("commissioned")),
            "operator": optional_text(row, "operator")}


def _date(value: object) -> date | None:
    """A date: YAML gives one already; text is ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError("charging.rejected.date", text) from None
