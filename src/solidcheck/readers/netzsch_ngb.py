"""NETZSCH thermobalance (STA/TGA) files, through the optional ``pyngb`` library.

Proteus stores the mass as the change from the start (mg) and the initial sample mass in the
file's metadata; the absolute specimen mass the weight-loss rate needs is their sum. A
correction (baseline) run has no sample, so it yields no mass channel. The furnace pressure is
not recorded by these instruments: the analysis reports that vacuum cannot be judged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import EvidenceError, Problem
from ..i18n.said import said
from ._base import Reading, ReadingKind, check_zip_container, zip_members

_KEPT_METADATA = (
    "instrument", "instrument_model", "application_version", "measurement_type", "lab",
    "operator", "project", "sample_id", "sample_name", "material", "sample_mass",
    "crucible_type", "crucible_mass", "furnace_type", "comment", "date_performed",
    "purge_1_mfc_gas", "purge_2_mfc_gas", "protective_mfc_gas",
)


class NetzschNgbReader:
    name: ClassVar[str] = "netzsch-ngb"
    description: ClassVar[str] = "a NETZSCH thermobalance file (Proteus .ngb-ss3/-bs3/-ds3)"
    kind: ClassVar[ReadingKind] = "oven_log"
    extensions: ClassVar[tuple[str, ...]] = (".ngb-ss3", ".ngb-bs3", ".ngb-ds3")
    extra: ClassVar[str | None] = "ngb"
    requires: ClassVar[str | None] = "pyngb"

    def can_read(self, head: bytes, path: Path) -> bool:
        names = zip_members(path, head)
        if names is None:
            # a truncated container still announces its first stream in its first header
            return head.startswith(b"PK\x03\x04") and b"Streams/stream_" in head
        return any(name.startswith("Streams/stream_") for name in names)

    def read(self, path: Path) -> Reading:
        import pyngb  # optional extra

        from . import build_reading

        check_zip_container(path, what="thermobalance file")  # pyngb unpacks streams whole
        raw = pyngb.read_ngb(path)
        metadata = _file_metadata(raw)
        missing = [name for name in ("time", "sample_temperature") if name not in raw.column_names]
        if missing:
            raise EvidenceError(
                [Problem("", f"the thermobalance file has no {', '.join(missing)} channel",
                         "export a run that recorded time and sample temperature")],
                source=str(path),
            )
        columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "time_s": pc.subtract(raw.column("time"), raw.column("time")[0]),
            "temperature_c": raw.column("sample_temperature"),
        }
        origins = {"time_s": "time (s)", "temperature_c": "sample_temperature (°C)"}
        notes = [said("reader.no_pressure_channel")]
        sample_mass_mg = metadata.get("sample_mass")
        if "mass" in raw.column_names and isinstance(sample_mass_mg, int | float) \
                and sample_mass_mg > 0:
            absolute_mg = pc.add(raw.column("mass"), float(sample_mass_mg))
            columns["mass_g"] = pc.divide(absolute_mg, 1000.0)
            origins["mass_g"] = "sample_mass (metadata, mg) + mass (change, mg), ÷ 1000"
            notes.append(said("reader.mass_from_sample_mass", mass=float(sample_mass_mg)))
        elif "mass" in raw.column_names:
            notes.append(said("reader.no_sample_mass"))
        return build_reading(
            self,
            path,
            pa.table(columns),
            metadata={key: metadata[key] for key in _KEPT_METADATA if key in metadata},
            origins=origins,
            notes=tuple(notes),
            started_at=metadata.get("date_performed"),
        )


def _file_metadata(table: pa.Table) -> dict[str, Any]:
    schema_metadata = table.schema.metadata or {}
    raw = schema_metadata.get(b"file_metadata")
    if raw is None:
        return {}
    decoded = json.loads(raw)
    return decoded if isinstance(decoded, dict) else {}
