"""Battery Data Format (BDF) CSV of the Battery Data Alliance, read with pyarrow.

A BDF file has one column per quantity, headed by its preferred label (``Voltage / V``) or
its machine-readable name (``voltage_volt``); units are fixed by the format, so mapping is by
name only. The names below are those of the BDF specification (as listed by the ``batterydf``
package, which is deliberately not a dependency).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import EvidenceError, Problem
from ..i18n.said import Said, said
from ._base import Reading, ReadingKind, check_text_rows
from ._cycler import current_sign

__all__ = ["BdfCsvReader"]

#: canonical column → BDF names that fill it, preferred first (label, machine-readable name).
#: ``step_id``/``step_type`` are not in the specification's table but are written by the
#: Battery Data Alliance's own converters (its reference files carry them).
BDF_COLUMNS: dict[str, tuple[str, ...]] = {
    "time_s": ("Test Time / s", "test_time_second"),
    "voltage_v": ("Voltage / V", "voltage_volt"),
    "current_a": ("Current / A", "current_ampere"),
    "cycle": ("Cycle Count / 1", "cycle_count"),
    "step": ("Step Count / 1", "step_count", "step_id"),
    "step_type": ("step_type",),
    "temperature_c": ("Ambient Temperature / degC", "ambient_temperature_celsius",
                      "Surface Temperature T1 / degC", "temperature_t1_celsius"),
    "charge_capacity_ah": ("Charging Capacity / Ah", "charging_capacity_ah"),
    "discharge_capacity_ah": ("Discharging Capacity / Ah", "discharging_capacity_ah"),
    "charge_energy_wh": ("Charging Energy / Wh", "charging_energy_wh"),
    "discharge_energy_wh": ("Discharging Energy / Wh", "discharging_energy_wh"),
}
#: BDF's absolute clock: kept as the reading's start time, not as a column.
_UNIX_TIME = ("Unix Time / s", "unix_time_second")
_REQUIRED = ("time_s", "voltage_v", "current_a")
_INTEGER = frozenset({"cycle", "step"})
_TEXT = frozenset({"step_type"})

def _normalise(name: str) -> str:
    return re.sub(r"\s*/\s*", "/", re.sub(r"\s+", " ", name.strip().lower()))


_LOOKUP: dict[str, str] = {
    _normalise(name): canonical for canonical, names in BDF_COLUMNS.items() for name in names
}


def _header(head: bytes) -> list[str]:
    text = head.decode("utf-8-sig", errors="replace")
    line = text.splitlines()[0] if text else ""
    return [cell.strip().strip('"') for cell in line.split(",")]


class BdfCsvReader:
    """Battery Data Format CSV: time, voltage and current under their BDF names."""

    name: ClassVar[str] = "bdf-csv"
    description: ClassVar[str] = "a Battery Data Format (BDF) CSV file"
    kind: ClassVar[ReadingKind] = "cycler"
    extensions: ClassVar[tuple[str, ...]] = (".csv",)
    extra: ClassVar[str | None] = None
    requires: ClassVar[str | None] = None

    def can_read(self, head: bytes, path: Path) -> bool:
        if b"\x00" in head:
            return False
        found = {_LOOKUP.get(_normalise(cell)) for cell in _header(head)}
        return all(channel in found for channel in _REQUIRED)

    def read(self, path: Path) -> Reading:
        from . import build_reading

        with path.open("rb") as handle:
            header = _header(handle.read(1 << 16))
        chosen: dict[str, str] = {}  # canonical → the file's column
        for canonical, names in BDF_COLUMNS.items():
            wanted = [_normalise(name) for name in names]
            present = [cell for cell in header if _normalise(cell) in wanted]
            if present:
                chosen[canonical] = min(present, key=lambda cell: wanted.index(_normalise(cell)))
        unix = next((cell for cell in header if _normalise(cell) in
                     {_normalise(name) for name in _UNIX_TIME}), None)
        missing = [BDF_COLUMNS[c][0] for c in _REQUIRED if c not in chosen]
        if missing:
            raise EvidenceError(
                [Problem("header", f"no {name!r} column", "add it under its BDF name")
                 for name in missing], source=str(path))
        types = {column: (pa.string() if canonical in _TEXT else pa.float64())
                 for canonical, column in chosen.items()}
        if unix:
            types[unix] = pa.float64()
        check_text_rows(path, header_lines=1, what="BDF file")
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(include_columns=list(types),
                                                 column_types=types),
        )
        problems: list[Problem] = []
        valid = pc.and_(pc.and_(pc.is_valid(table[chosen["time_s"]]),
                                pc.is_valid(table[chosen["voltage_v"]])),
                        pc.is_valid(table[chosen["current_a"]]))
        bad = np.flatnonzero(~np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool))
        if bad.size:
            lines = ", ".join(str(int(row) + 2) for row in bad[:10])
            problems.append(Problem(
                f"lines {lines}{' …' if bad.size > 10 else ''}",
                f"{bad.size} row(s) without time, voltage or current were left out",
                "check the export; a BDF row needs all three"))
            table = table.filter(valid)
        if table.num_rows == 0:
            raise EvidenceError([Problem("", "the file holds no data rows",
                                         "export the test again")], source=str(path))

        notes: list[Said] = []
        columns: dict[str, pa.Array] = {}
        for canonical, column in chosen.items():
            values = table[column].combine_chunks()
            if canonical in _INTEGER:
                values = values.cast(pa.int64())  # raises on a fractional count
            columns[canonical] = values
        time = columns["time_s"].to_numpy(zero_copy_only=False)
        if time[0] != 0:
            notes.append(said("reader.time_minus_first", column=chosen["time_s"],
                              first=float(time[0])))
        columns["time_s"] = pa.array(time - time[0], pa.float64())

        current = columns["current_a"].to_numpy(zero_copy_only=False)
        counters = {key: columns[key].to_numpy(zero_copy_only=False)
                    for key in ("discharge_capacity_ah", "charge_capacity_ah") if key in columns}
        sign, evidence = current_sign(
            current, labels=columns.get("step_type"),
            discharge_counter=counters.get("discharge_capacity_ah"),
            charge_counter=counters.get("charge_capacity_ah"))
        origins = dict(chosen)
        if sign < 0:
            columns["current_a"] = pa.array(-current, pa.float64())
            origins["current_a"] = f"−{chosen['current_a']}"
            notes.append(said("reader.current_flipped", evidence=evidence))
        elif evidence:
            notes.append(said("reader.current_checked", evidence=evidence))
        else:
            notes.append(said("reader.current_unchecked"))
        started_at = None
        if unix:
            first = table[unix][0].as_py()
            if first is not None and np.isfinite(first):
                started_at = datetime.fromtimestamp(first, tz=UTC).isoformat()
        unmapped = [cell for cell in header if cell and cell not in types]
        ordered = {key: columns[key] for key in BDF_COLUMNS if key in columns}
        return build_reading(
            self, path, pa.table(ordered), origins=origins, notes=tuple(notes),
            problems=tuple(problems), started_at=started_at,
            metadata={"unmapped_columns": unmapped} if unmapped else {},
        )
