"""France's IRVE open-data files to canonical rows, recognised by content.

Three kinds, each as CSV (``;`` or ``,``, a UTF-8 BOM allowed) or JSON Lines; the inventory
also as one JSON document (an array of objects, or GeoJSON features' ``properties``); gzip is
read transparently:

* *dynamique* status rows (``id_pdc_itinerance, etat_pdc, occupation_pdc, horodatage``) →
  ``port_events``;
* sessions (``id_pdc_itinerance`` or ``port_id``, ``start``, ``end``, ``energy`` in kWh) →
  ``sessions``;
* *statique* inventory (``id_pdc_itinerance, id_station_itinerance, puissance_nominale`` …) →
  ``inventory``.

Times must carry their offset (France is +01:00 or +02:00: a time without one is ambiguous and
rejected) or be epoch milliseconds (sessions); all are stored in UTC. Every row ends as a
canonical row or a rejection with its reason — never dropped. Pure but for :func:`read_irve`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa

from .model import State
from .ocpp_logs import Rejection
from .rows import Item as _Item
from .rows import RowError as _Bad
from .rows import csv_items, jsonl_items, utc_time
from .rows import number as _non_negative

__all__ = ["IRVE_STATES", "IrveKind", "IrveRead", "csv_header", "kind_of", "parse_irve",
           "read_irve"]

IrveKind = Literal["irve-dynamique", "irve-sessions", "irve-statique"]

#: ``(etat_pdc, occupation_pdc)`` to a state; an ``etat_pdc`` of ``hors_service`` or
#: ``inconnu`` decides alone (``None`` stands for any occupation). In service with an unknown
#: occupation is available: docs/charging.md's rule 5 counts ``en_service`` as available
#: whatever the occupation (``raw_status`` keeps the ``inconnu``)
IRVE_STATES: Final[dict[tuple[str, str | None], State]] = {
    ("en_service", "libre"): "available",
    ("en_service", "occupe"): "occupied",
    ("en_service", "reserve"): "reserved",
    ("en_service", "inconnu"): "available",
    ("hors_service", None): "unavailable",
    ("inconnu", None): "unknown",
}
_OCCUPATIONS: Final = ("libre", "occupe", "reserve", "inconnu")
_GZIP_MAGIC = b"\x1f\x8b"
_TEXT_KEPT = 200
_BLOCK = 1 << 20


@dataclass(slots=True)
class IrveRead:
    """What one IRVE file gave: canonical rows by table, rejections and blank lines."""

    source: str
    sha256: str
    format: IrveKind
    layout: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    other_lines: int = 0
    #: canonical rows already as Arrow tables (the column-wise dynamique path, irve_fast.py),
    #: beside ``rows``
    tables: dict[str, pa.Table] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Canonical rows read, in ``rows`` and ``tables`` together."""
        tables: int = sum(table.num_rows for table in self.tables.values())
        return sum(len(rows) for rows in self.rows.values()) + tables


def kind_of(keys: set[str]) -> IrveKind | None:
    """The kind of IRVE file whose columns (or first object's keys) are ``keys``."""
    if {"id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage"} <= keys:
        return "irve-dynamique"
    if {"start", "end", "energy"} <= keys and keys & {"id_pdc_itinerance", "port_id"}:
        return "irve-sessions"
    if {"id_pdc_itinerance", "id_station_itinerance", "puissance_nominale"} <= keys:
        return "irve-statique"
    return None


def read_irve(path: Path) -> IrveRead | None:
    """The IRVE rows of a file, or None when it is not an IRVE file (nor readable: the OCPP
    reader then says why)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return parse_irve(data, source=str(path))


def parse_irve(data: bytes, *, source: str) -> IrveRead | None:
    """The IRVE rows of a file's bytes, or None when they are not an IRVE file."""
    hashing = _Digest(data)
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    try:
        first = _first_line(data)
    except UnicodeDecodeError:
        return None
    if first[:1] not in ("{", "[") and csv_header(first)[2] == "irve-dynamique":
        from .irve_fast import read_dynamique_csv  # here: irve_fast imports this module

        hashing.start()
        fast = read_dynamique_csv(data, source=source, first=first)  # checks UTF-8 itself
        if fast is not None:
            return IrveRead(source, hashing.result(), "irve-dynamique", "csv",
                            rows={"port_events": [], "sessions": [], "inventory": []},
                            rejected=fast.rejected, other_lines=fast.other_lines,
                            tables={"port_events": fast.table})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    found = _json_rows(text) if first[:1] in ("{", "[") else _csv_rows(text, first)
    if found is None:
        return None
    layout, kind, items = found
    read = IrveRead(source, hashing.result(), kind, layout,
                    rows={"port_events": [], "sessions": [], "inventory": []})
    for number, row, line in items:
        if row is None:
            read.other_lines += 1
        elif isinstance(row, str):  # a rejection already decided: row is its reason
            read.rejected.append(Rejection(source, number, row, line[1], line[0][:_TEXT_KEPT]))
        else:
            _row(read, number, row, line[0])
    return read


#: a file's layout, kind and items
_Found = tuple[str, IrveKind, Iterator[_Item]]


class _Digest:
    """A file's SHA-256, computed when asked or, once started, beside the reading (hashlib
    lets go of the GIL): only a large dynamique file is worth a thread."""

    def __init__(self, data: bytes) -> None:
        self._data, self._done = data, Future[str]()
        self._started = False

    def start(self) -> None:
        if not self._started and len(self._data) >= _BLOCK:
            self._started = True
            threading.Thread(target=self._compute, daemon=True).start()

    def _compute(self) -> None:
        self._done.set_result(hashlib.sha256(self._data).hexdigest())

    def result(self) -> str:
        if not self._started:
            self._started = True
            self._compute()
        return self._done.result()


def _first_line(data: bytes) -> str:
    """The first non-blank line of UTF-8 ``data``, stripped; looked for in the first 64 KiB
    before the whole text, which a large file need not be decoded and split into lines for."""
    head = data[:1 << 16].decode("utf-8-sig", errors="ignore").splitlines()  # cut: last line
    found = next((index for index, line in enumerate(head) if line.strip()), None)
    if found is not None and found < len(head) - 1:
        return head[found].strip()
    lines = data.decode("utf-8-sig").splitlines()
    return next((line.strip() for line in lines if line.strip()), "")


def csv_header(header: str) -> tuple[str, list[str], IrveKind | None]:
    """A CSV header line's delimiter (``;`` when it has more of them than commas), column
    names (stripped, lower case) and kind."""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = [name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter))]
    return delimiter, names, kind_of(set(names))


def _csv_rows(text: str, header: str) -> _Found | None:
    delimiter, names, kind = csv_header(header)
    if kind is None:
        return None

    items = csv_items(text, names, delimiter, cells_reason="charging.rejected.irve_cells")
    return "csv", kind, items


def _json_rows(text: str) -> _Found | None:
    lines = text.splitlines()
    first = next(line for line in lines if line.strip())
    try:
        head = json.loads(first)
    except json.JSONDecodeError:
        head = None
    if isinstance(head, dict) and "features" not in head:
        kind = kind_of({str(key).lower() for key in head})
        return ("jsonl", kind, jsonl_items(lines)) if kind else None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    if isinstance(document, dict) and isinstance(document.get("features"), list):
        document = [feature.get("properties") if isinstance(feature, dict) else feature
                    for feature in document["features"]]
    if not isinstance(document, list) or not document or not isinstance(document[0], dict):
        return None
    kind = kind_of({str(key).lower() for key in document[0]})
    if kind is None:
        return None
    # a JSON document has no line per row: ``line`` is the row's position in it
    items: list[_Item] = [
        (number, {str(k).lower(): v for k, v in item.items()} if isinstance(item, dict)
         else "charging.rejected.not_an_object",
         (json.dumps(item, ensure_ascii=False), type(item).__name__))
        for number, item in enumerate(document, 1)]
    return "json", kind, iter(items)


def _row(read: IrveRead, number: int, row: dict[str, Any], line: str) -> None:
    try:
        if read.format == "irve-dynamique":
            read.rows["port_events"].append(_status(row))
        elif read.format == "irve-sessions":
            read.rows["sessions"].append(_session(row))
        else:
            read.rows["inventory"].append(_inventory(row))
    except _Bad as bad:
        read.rejected.append(Rejection(read.source, number, bad.reason, bad.detail,
                                       line[:_TEXT_KEPT]))
        return
    target = {"irve-dynamique": "port_events", "irve-sessions": "sessions",
              "irve-statique": "inventory"}[read.format]
    read.rows[target][-1].update(source=read.source, line=number)


def _text(row: dict[str, Any], *names: str) -> str:
    value = next((row[name] for name in names if row.get(name) not in (None, "")), None)
    if value is None or not str(value).strip():
        raise _Bad("charging.rejected.irve_missing", names[0])
    return str(value).strip()


def _status(row: dict[str, Any]) -> dict[str, Any]:
    port_id = _text(row, "id_pdc_itinerance")
    etat = str(row.get("etat_pdc") or "").strip().lower()
    occupation = str(row.get("occupation_pdc") or "").strip().lower()
    if etat == "en_service":
        if occupation not in _OCCUPATIONS:
            raise _Bad("charging.rejected.irve_occupation", occupation)
        state = IRVE_STATES[etat, occupation]
    elif (etat, None) in IRVE_STATES:
        state = IRVE_STATES[etat, None]
    else:
        raise _Bad("charging.rejected.irve_status", etat)
    ts = irve_time(row.get("horodatage"))
    # a dynamique row rarely names its station: the port then stands for it until the
    # inventory joins them
    station = str(row.get("id_station_itinerance") or "").strip() or port_id
    return {"ts": ts, "logged_ts": ts, "station_id": station, "port_id": port_id,
            "evse_id": None, "connector_id": None, "station_wide": False, "state": state,
            "raw_status": f"{etat}/{occupation}", "error_code": None}


def _session(row: dict[str, Any]) -> dict[str, Any]:
    port_id = _text(row, "id_pdc_itinerance", "port_id")
    start, end = irve_time(row.get("start"), epoch_ms=True), irve_time(row.get("end"),
                                                                      epoch_ms=True)
    if end < start:
        raise _Bad("charging.rejected.irve_end_before_start",
                   f"{start.isoformat()} > {end.isoformat()}")
    energy_kwh = _number(row.get("energy"), "energy")
    return {"port_id": port_id, "start": start, "end": end,
            "duration_s": (end - start).total_seconds(), "energy_wh": energy_kwh * 1000}


def _inventory(row: dict[str, Any]) -> dict[str, Any]:
    commissioned_text = str(row.get("date_mise_en_service") or "").strip()
    try:
        commissioned = date.fromisoformat(commissioned_text) if commissioned_text else None
    except ValueError:
        raise _Bad("charging.rejected.irve_date", commissioned_text) from None
    hours = row.get("horaires")
    return {"port_id": _text(row, "id_pdc_itinerance"),
            "station_id": _text(row, "id_station_itinerance"),
            "power_kw": _number(row.get("puissance_nominale"), "puissance_nominale"),
            "opening_hours": str(hours).strip() if hours not in (None, "") else None,
            "commissioned": commissioned,
            "operator": str(row.get("nom_operateur") or "").strip() or None}


def _number(value: object, name: str) -> float:
    """A non-negative number; a French decimal comma (``7,4``) is read as a point."""
    return _non_negative(value, name, reason="charging.rejected.irve_number")


def irve_time(value: object, *, epoch_ms: bool = False) -> datetime:
    """An ISO 8601 time with its offset (or, with ``epoch_ms``, whole epoch milliseconds)
    in UTC. A time without an offset is refused: French local time is +01:00 or +02:00."""
    return utc_time(value, epoch_ms=epoch_ms, no_offset="charging.rejected.irve_no_offset")
