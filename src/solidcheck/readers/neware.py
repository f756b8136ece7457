"""Neware battery-cycler files (.nda, .ndax), read with the optional NewareNDA package.

NewareNDA returns a pandas DataFrame in Neware's own names and milli-units; this module maps
it to canonical columns (A, Ah, Wh, seconds since the first row) and records every
normalisation in the reading's notes. NewareNDA is imported only when a file is read, so a
Neware file is recognised (and the install hint given) without it.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..errors import EvidenceError, Problem
from ..i18n.said import Said, said
from ._base import CHANNELS, Reading, ReadingKind, check_zip_container, zip_members
from ._cycler import current_sign

__all__ = ["NewareReader"]

_NDA_MAGIC = b"NEWARE"
_ZIP_MAGIC = b"PK\x03\x04"
#: Members every .ndax holds (seen in BTS 8 and BTS 9 exports): the data and its test record.
_NDAX_MEMBERS = frozenset({"data.ndc", "TestInfo.xml"})

#: canonical column → (NewareNDA column, factor to the canonical unit)
_COLUMNS: dict[str, tuple[str, float]] = {
    "voltage_v": ("Voltage", 1.0),
    "current_a": ("Current(mA)", 1e-3),
    "charge_capacity_ah": ("Charge_Capacity(mAh)", 1e-3),
    "discharge_capacity_ah": ("Discharge_Capacity(mAh)", 1e-3),
    "charge_energy_wh": ("Charge_Energy(mWh)", 1e-3),
    "discharge_energy_wh": ("Discharge_Energy(mWh)", 1e-3),
}
#: Metadata keys of NewareNDA.read_metadata kept for a .nda file (cheap, unambiguous ones).
_NDA_METADATA = ("nda_version", "server_version", "client_version", "bts_version",
                 "active_mass_mg", "remarks")


def _is_ndax(path: Path, head: bytes) -> bool:
    names = zip_members(path, head)
    if names is None:
        # a truncated archive cannot be listed, but its first member names show in the head:
        # recognise it, so that reading it says "truncated" rather than "unknown format"
        return head.startswith(b"PK\x03\x04") and (
            b"data.ndc" in head or b"EditStep.xml" in head or b"TestInfo.xml" in head)
    return names >= _NDAX_MEMBERS


def total_time_s(
    time: npt.NDArray[np.float64], step: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], bool]:
    """Seconds since the first row from Neware's ``Time``, and whether it was per-step.

    Older .nda (version 29) and .ndax files restart ``Time`` at 0 in every step; BTS 9.1 .nda
    files count it from the start of the test. When it restarts, each step is taken to begin
    where the previous one ended (its last ``Time``), which the files' own timestamps confirm.
    """
    if time.size == 0:
        return time, False
    starts = np.flatnonzero(np.diff(step) != 0) + 1
    per_step = bool(np.any(time[starts] < time[starts - 1]))
    if not per_step:
        return time - time[0], False
    ends = np.append(starts - 1, time.size - 1)
    offsets = np.concatenate(([0.0], np.cumsum(time[ends[:-1]])))
    lengths = np.diff(np.append(np.concatenate(([0], starts)), time.size))
    return time + np.repeat(offsets, lengths) - time[0], True


class _LogCapture(logging.Handler):
    """Collects NewareNDA's log warnings so they reach the notes instead of stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _read_frame(path: Path, ndax: bool) -> tuple[Any, list[str]]:
    import NewareNDA  # optional: the `neware` extra

    logger = logging.getLogger("newarenda")
    capture = _LogCapture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    try:
        with warnings.catch_warnings():
            # NewareNDA 2026.6 passes inplace=True to pandas 3.1, which deprecates it; harmless.
            warnings.filterwarnings(
                "ignore", message=r"The inplace keyword in DataFrame\.", category=DeprecationWarning
            )
            if path.suffix in (".nda", ".ndax"):
                frame = NewareNDA.read(str(path), log_level="WARNING")
            elif ndax:  # recognised by content under another name: NewareNDA goes by suffix
                from NewareNDA.NewareNDAx import read_ndax

                frame = read_ndax(str(path), software_cycle_number=True)
            else:
                from NewareNDA.NewareNDA import read_nda

                frame = read_nda(str(path), software_cycle_number=True)
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
    return frame, capture.messages


def _metadata(path: Path, ndax: bool) -> dict[str, Any]:
    from NewareNDA.NewareNDA import read_nda_metadata
    from NewareNDA.NewareNDAx import read_ndax_metadata

    if ndax:
        with zipfile.ZipFile(path) as archive:
            names = sorted(archive.namelist())
        meta: dict[str, Any] = {"container": "ndax", "members": names}
        try:
            raw = read_ndax_metadata(str(path))
        except Exception:  # metadata is a courtesy; the data were read
            return meta
        versions = (raw.get("VersionInfo") or {}).get("ZwjVersion") or {}
        test = (raw.get("TestInfo") or {}).get("TestInfo") or {}
        for key, value in (("server_version", versions.get("SvrVer")),
                           ("client_version", versions.get("CurrClientVer")),
                           ("test_start", test.get("StartTime")),
                           ("remarks", test.get("Remark")),
                           ("device_id", test.get("DevID")),
                           ("channel_id", test.get("ChlID"))):
            if value:
                meta[key] = value
        return meta
    try:
        raw = read_nda_metadata(str(path))
    except Exception:
        return {"container": "nda"}
    return {"container": "nda", **{k: raw[k] for k in _NDA_METADATA if k in raw}}


class NewareReader:
    """Neware BTS cycler data: .nda (BTS 7/8 version 29, BTS 9 version 130) and .ndax."""

    name: ClassVar[str] = "neware"
    description: ClassVar[str] = "a Neware battery-cycler file (.nda/.ndax)"
    kind: ClassVar[ReadingKind] = "cycler"
    extensions: ClassVar[tuple[str, ...]] = (".nda", ".ndax")
    extra: ClassVar[str | None] = "neware"
    requires: ClassVar[str | None] = "NewareNDA"

    def can_read(self, head: bytes, path: Path) -> bool:
        if head.startswith(_NDA_MAGIC):
            return True
        return _is_ndax(path, head)

    def read(self, path: Path) -> Reading:
        from . import build_reading

        with path.open("rb") as handle:
            ndax = handle.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC
        if ndax:  # NewareNDA unpacks data.ndc whole
            check_zip_container(path, what=".ndax file")
        frame, log_messages = _read_frame(path, ndax)
        if len(frame) == 0:
            raise EvidenceError(
                [Problem("", "the file holds no data records",
                         "export the test again once the cycler has logged data")],
                source=str(path),
            )
        notes: list[Said] = []
        origins: dict[str, str] = {}
        columns: dict[str, pa.Array] = {}

        raw_time = frame["Time"].to_numpy(dtype=np.float64)
        step = frame["Step"].to_numpy(dtype=np.int64)
        time_s, per_step = total_time_s(raw_time, step)
        columns["time_s"] = pa.array(time_s, pa.float64())
        if per_step:
            origins["time_s"] = "Time (per step) + durations of the earlier steps"
            difference = _timestamp_check(frame, time_s)
            notes.append(said("reader.neware_time_per_step") if difference is None
                         else said("reader.neware_time_per_step_checked",
                                   difference=float(f"{difference:.3g}")))
        else:
            origins["time_s"] = "Time − first Time"
            notes.append(said("reader.neware_time_total"))

        labels = pa.Array.from_pandas(frame["Status"])
        if pa.types.is_dictionary(labels.type):
            labels = labels.dictionary_decode()
        labels = labels.cast(pa.string())
        for canonical, (source, factor) in _COLUMNS.items():
            values = frame[source].to_numpy(dtype=np.float64) * factor
            columns[canonical] = pa.array(values, pa.float64())
            origins[canonical] = source if factor == 1.0 else f"{source} / 1000"
        sign, evidence = current_sign(columns["current_a"].to_numpy(), labels=labels)
        if sign < 0:
            columns["current_a"] = pa.array(-columns["current_a"].to_numpy(), pa.float64())
            origins["current_a"] = "−Current(mA) / 1000"
            notes.append(said("reader.current_flipped", evidence=evidence))
        elif evidence:
            notes.append(said("reader.neware_current", evidence=evidence))
        else:
            notes.append(said("reader.neware_current_unchecked"))
        notes.append(said("reader.neware_counters"))
        columns["cycle"] = pa.array(frame["Cycle"].to_numpy(dtype=np.int64))
        origins["cycle"] = "Cycle (NewareNDA's count, charge-first)"
        columns["step"] = pa.array(step)
        origins["step"] = "Step (running step number)"
        columns["step_type"] = labels
        origins["step_type"] = "Status"

        temperature = sorted((c for c in frame.columns if len(c) > 1 and c[0] == "T"
                              and c[1:].lstrip("-").isdigit()), key=lambda c: abs(int(c[1:])))
        if temperature:
            columns["temperature_c"] = pa.array(
                frame[temperature[0]].to_numpy(dtype=np.float64), pa.float64())
            origins["temperature_c"] = f"{temperature[0]} (auxiliary temperature channel)"
            if len(temperature) > 1:
                notes.append(said("reader.aux_temperature", channel=temperature[0],
                                  others=temperature[1:]))
        notes += [said("reader.newarenda_said", said=message) for message in log_messages]

        order = [name for name in CHANNELS if name in columns]
        metadata = _metadata(path, ndax)
        metadata["newarenda_version"] = _newarenda_version()
        started = frame["Timestamp"].iloc[0]
        table = pa.table({name: columns[name] for name in order})
        return build_reading(
            self, path, table, metadata=metadata, origins=origins, notes=tuple(notes),
            started_at=None if started is None or started != started else started.isoformat(),
        )


def _timestamp_check(frame: Any, time_s: npt.NDArray[np.float64]) -> float | None:
    """How far (s) the derived time is from the file's own clock, when that clock is usable."""
    try:
        stamps = frame["Timestamp"]
        elapsed = (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy(dtype=np.float64)
    except (KeyError, AttributeError, TypeError):
        return None
    if elapsed.size < 2 or not np.all(np.diff(elapsed) >= 0):
        return None
    return float(np.max(np.abs(time_s - elapsed)))


def _newarenda_version() -> str:
    from importlib.metadata import version

    return version("NewareNDA")
