"""Open data: everything a third party needs to recompute every figure of a report, in the
formats they already read — the result as JSON with its published schema, port statuses as
France's IRVE *dynamique* CSV, sessions as IRVE session CSV, the inventory as IRVE *statique*
CSV, tickets as CSV, and a README listing each file with its SHA-256.

The IRVE dynamique file knows three service states and four occupations, fewer than the eight
canonical states, so the export is lossy in a documented way (:data:`STATE_TO_IRVE`): every
state that stops a driver charging (faulted, unavailable, offline) is ``hors_service`` with an
``inconnu`` occupation (IRVE reads them all back as ``unavailable``); a blocked bay is a
working point whose bay is taken (``en_service`` / ``occupe``, read back as ``occupied``).
Connector columns (``etat_prise_type_*``) are left empty: the canonical tables do not know a
port's connector types. Port ids are written as the tables hold them; an OCPP 1.6 station-wide
status (port ``{station}:0``) becomes a row of that port, and a session without an energy an
empty ``energy`` — the README counts both, since IRVE has no way to say either.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from ...i18n import message
from ..results import ChargingMetrics
from ..risk.listing import RiskList

__all__ = ["IRVE_DYNAMIQUE_COLUMNS", "STATE_TO_IRVE", "charging_metrics_schema",
           "write_open_data"]

#: the IRVE dynamique schema's columns, in its order (schema.data.gouv.fr,
#: etalab/schema-irve-dynamique; the four ``etat_prise_type_*`` are optional)
IRVE_DYNAMIQUE_COLUMNS: Final = ("id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage",
                                 "etat_prise_type_2", "etat_prise_type_combo_ccs",
                                 "etat_prise_type_chademo", "etat_prise_type_ef")
#: a canonical state to IRVE's (etat_pdc, occupation_pdc)
STATE_TO_IRVE: Final[dict[str, tuple[str, str]]] = {
    "available": ("en_service", "libre"),
    "occupied": ("en_service", "occupe"),
    "reserved": ("en_service", "reserve"),
    "blocked": ("en_service", "occupe"),
    "faulted": ("hors_service", "inconnu"),
    "unavailable": ("hors_service", "inconnu"),
    "offline": ("hors_service", "inconnu"),
    "unknown": ("inconnu", "inconnu"),
}
_SESSIONS_COLUMNS = ("id_pdc_itinerance", "start", "end", "energy", "session_id", "stop_reason")
_STATIQUE_COLUMNS = ("id_pdc_itinerance", "id_station_itinerance", "puissance_nominale",
                     "horaires", "date_mise_en_service", "nom_operateur")
_TICKET_COLUMNS = ("ticket_id", "port_id", "station_id", "severity", "opened", "acknowledged",
                   "resolved", "closed", "cause", "resolution", "reopened")


def charging_metrics_schema() -> dict[str, Any]:
    """The published JSON Schema of :class:`ChargingMetrics` (draft 2020-12), as
    ``solidcheck schema charging-metrics`` gives it."""
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                              "$id": "urn:solidcheck:schema:charging-metrics:1"}
    schema.update(ChargingMetrics.model_json_schema(by_alias=True))
    return schema


def _json(data: object) -> bytes:
    """JSON as ``charging metrics --format json`` writes it (UTF-8, indented, a final
    newline), so the published result is byte for byte the command's."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _csv(header: Iterable[str], rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _rows(tables: Mapping[str, pa.Table], name: str) -> list[dict[str, Any]]:
    table = tables.get(name)
    return [] if table is None else table.to_pylist()


def _dynamique(rows: list[dict[str, Any]]) -> tuple[bytes, int]:
    """The statuses with a time, oldest first; and how many had none (IRVE needs one)."""
    timed = sorted((r for r in rows if r["ts"] is not None),
                   key=lambda r: (r["ts"], r["port_id"]))
    lines = [[r["port_id"], *STATE_TO_IRVE.get(r["state"], STATE_TO_IRVE["unknown"]),
              _time(r["ts"]), "", "", "", ""] for r in timed]
    return _csv(IRVE_DYNAMIQUE_COLUMNS, lines), len(rows) - len(timed)


def _sessions(rows: list[dict[str, Any]]) -> bytes:
    lines = [[r["port_id"], _time(r["start"]), _time(r["end"]),
              "" if r["energy_wh"] is None else _number(r["energy_wh"] / 1000),
              r["session_id"] or "", r["stop_reason"] or ""]
             for r in sorted(rows, key=lambda r: (r["start"], r["port_id"]))]
    return _csv(_SESSIONS_COLUMNS, lines)


def _statique(rows: list[dict[str, Any]]) -> bytes:
    def day(value: date | None) -> str:
        return "" if value is None else value.isoformat()

    lines = [[r["port_id"], r["station_id"], _number(r["power_kw"]), r["opening_hours"] or "",
              day(r["commissioned"]), r["operator"] or ""] for r in rows]
    return _csv(_STATIQUE_COLUMNS, lines)


def _tickets(rows: list[dict[str, Any]]) -> bytes:
    def cell(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        return "" if value is None else str(value)

    return _csv(_TICKET_COLUMNS, [[cell(r[c]) for c in _TICKET_COLUMNS] for r in rows])


def _readme(files: list[tuple[str, bytes, str]], untimed: int, no_energy: int,
            station_wide: int) -> bytes:
    lines: list[str] = []
    for lang in ("en", "zh"):
        lines.append(message("charging.opendata.readme", {}, lang))
        lines.append(message("charging.opendata.states", {}, lang))
        for key, count in (("untimed", untimed), ("no_energy", no_energy),
                           ("station_wide", station_wide)):
            if count:
                lines.append(message(f"charging.opendata.{key}", {"count": count}, lang))
        lines += [message("charging.opendata.file", {"name": name, "sha256": hashlib.sha256(
            data).hexdigest(), "size": len(data), "what": message(
                "charging.opendata.what." + what, {}, lang)}, lang)
                  for name, data, what in files]
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def write_open_data(metrics: ChargingMetrics, tables: Mapping[str, pa.Table], folder: Path,
                    *, risk: RiskList | None = None) -> list[Path]:
    """Write the open-data files into ``folder`` (made if missing); returns their paths,
    README.txt last. With ``risk``, the ports at risk as ``risk.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    dynamique, untimed = _dynamique(_rows(tables, "port_events"))
    makers: list[tuple[str, Callable[[], bytes], str]] = [
        ("metrics.json", lambda: _json(metrics.model_dump(mode="json", by_alias=True)),
         "metrics"),
        ("charging-metrics.schema.json", lambda: _json(charging_metrics_schema()), "schema"),
        ("irve-dynamique.csv", lambda: dynamique, "dynamique"),
        ("irve-sessions.csv", lambda: _sessions(_rows(tables, "sessions")), "sessions"),
        ("irve-statique.csv", lambda: _statique(_rows(tables, "inventory")), "statique"),
        ("tickets.csv", lambda: _tickets(_rows(tables, "tickets")), "tickets"),
    ]
    if risk is not None:
        makers.append(("risk.json", lambda: _json(risk.model_dump(mode="json", by_alias=True)),
                       "risk"))
    files = [(name, make(), what) for name, make, what in makers]
    written = []
    for name, data, _ in files:
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    readme = folder / "README.txt"
    events, sessions = _rows(tables, "port_events"), _rows(tables, "sessions")
    readme.write_bytes(_readme(files, untimed, sum(r["energy_wh"] is None for r in sessions),
                               sum(bool(r["station_wide"]) for r in events)))
    return [*written, readme]
