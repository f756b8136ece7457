"""BioLogic EC-Lab raw files (.mpr), read with the optional galvani package.

galvani is GPL-3, so it is an opt-in extra (``biologic``), never part of ``all``, and never
imported until a file is read: an .mpr is recognised by its magic bytes without it, and the
user gets the install command instead of "unknown format".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from ..errors import EvidenceError, Problem
from ..i18n.said import said
from ._base import Reading, ReadingKind
from ._cycler import current_sign

__all__ = ["BiologicMprReader"]

_MAGIC = b"BIO-LOGIC MODULAR FILE"

#: canonical column → (galvani column names, preferred first; factor to the canonical unit).
#: control/mA is the set point, used only when the file has no measured current.
_COLUMNS: dict[str, tuple[tuple[str, ...], float]] = {
    "time_s": (("time/s",), 1.0),
    "voltage_v": (("Ewe/V", "<Ewe>/V", "Ecell/V"), 1.0),
    "current_a": (("I/mA", "<I>/mA", "control/mA"), 1e-3),
    "cycle": (("cycle number",), 1.0),
    "step": (("Ns",), 1.0),
    "temperature_c": (("Temperature/°C",), 1.0),
    "charge_capacity_ah": (("Q charge/mA.h",), 1e-3),
    "discharge_capacity_ah": (("Q discharge/mA.h",), 1e-3),
    "charge_energy_wh": (("Energy charge/W.h",), 1.0),
    "discharge_energy_wh": (("Energy discharge/W.h",), 1.0),
}
_INTEGER = frozenset({"cycle", "step"})


class BiologicMprReader:
    """BioLogic EC-Lab .mpr (galvanostatic cycling and other techniques with E and I)."""

    name: ClassVar[str] = "biologic-mpr"
    description: ClassVar[str] = "a BioLogic EC-Lab raw file (.mpr)"
    kind: ClassVar[ReadingKind] = "cycler"
    extensions: ClassVar[tuple[str, ...]] = (".mpr",)
    extra: ClassVar[str | None] = "biologic"
    requires: ClassVar[str | None] = "galvani"

    def can_read(self, head: bytes, path: Path) -> bool:
        return head.startswith(_MAGIC)

    def read(self, path: Path) -> Reading:
        from galvani.BioLogic import MPRfile  # optional, GPL: the `biologic` extra

        from . import build_reading

        with path.open("rb") as handle:  # galvani leaves a file it opened itself open on error
            mpr: Any = MPRfile(handle)
        data = mpr.data
        names = set(data.dtype.names or ())
        columns: dict[str, pa.Array] = {}
        origins: dict[str, str] = {}
        for canonical, (candidates, factor) in _COLUMNS.items():
            source = next((name for name in candidates if name in names), None)
            if source is None:
                continue
            values = np.asarray(data[source], dtype=np.float64) * factor
            if canonical in _INTEGER:
                columns[canonical] = pa.array(values.astype(np.int64))
            else:
                columns[canonical] = pa.array(values, pa.float64())
            origins[canonical] = source if factor == 1.0 else f"{source} / 1000"
        missing = [c for c in ("time_s", "voltage_v", "current_a") if c not in columns]
        if missing:
            raise EvidenceError(
                [Problem("", f"the file has no {', '.join(missing)} column(s) "
                         f"(it has: {', '.join(sorted(names))})",
                         "export a technique that logs time, Ewe and I (e.g. GCPL)")],
                source=str(path))
        time = columns["time_s"].to_numpy()
        columns["time_s"] = pa.array(time - time[0], pa.float64()) if time.size else columns[
            "time_s"]
        notes = [said("reader.time_minus_first", column="time/s",
                      first=float(time[0]) if time.size else 0.0),
                 said("reader.ewe_is_cell_voltage")]
        if origins["current_a"].startswith("control/"):
            notes.append(said("reader.current_set_point"))
        current = columns["current_a"].to_numpy()
        discharge = columns.get("discharge_capacity_ah")
        charge = columns.get("charge_capacity_ah")
        sign, evidence = current_sign(
            current,
            discharge_counter=None if discharge is None else discharge.to_numpy(),
            charge_counter=None if charge is None else charge.to_numpy())
        if sign < 0:
            columns["current_a"] = pa.array(-current, pa.float64())
            origins["current_a"] = f"−{origins['current_a']}"
            notes.append(said("reader.current_flipped", evidence=evidence))
        else:
            notes.append(said("reader.biologic_sign_kept"))
        metadata: dict[str, Any] = {"mpr_data_version": int(getattr(mpr, "version", 0))}
        started = getattr(mpr, "timestamp", None) or getattr(mpr, "startdate", None)
        return build_reading(
            self, path, pa.table(columns), metadata=metadata, origins=origins,
            notes=tuple(notes),
            started_at=None if started is None else started.isoformat(),
        )
