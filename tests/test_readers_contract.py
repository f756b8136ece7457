"""Every built-in reader keeps the reader contract (readers/contract.py) on a sample of its own.

Real instrument files from ../shared/data where there are some (NETZSCH, Neware); the text,
Excel and BDF samples are written here in the form their tests use; the BioLogic sample is
built to the EC-Lab layout galvani reads, as no real .mpr is in the shared data.
"""

from __future__ import annotations

import importlib
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import openpyxl
import pyarrow as pa
import pytest

from conftest import shared_file
from solidcheck.errors import EvidenceError, Problem
from solidcheck.readers import BUILTIN_READERS, Reader, Reading
from solidcheck.readers.contract import ReaderContractError, check_reader, without_module


def _oven_csv(folder: Path) -> Path:
    path = folder / "log.csv"
    path.write_text("Time (min),Temperature (°C),Pressure (kPa),Mass (mg)\n"
                    + "".join(f"{i},{20 + i},{101.3 - i},{1500 - i / 10}\n" for i in range(60)),
                    encoding="utf-8")
    return path


def _weighings_csv(folder: Path) -> Path:
    path = folder / "weighings.csv"
    path.write_text("specimen,mass_before_g,mass_after_g\n"
                    + "".join(f"S{i},{51.2 + i / 100},{51.1 + i / 100}\n" for i in range(12)),
                    encoding="utf-8")
    return path


def _bdf_csv(folder: Path) -> Path:
    path = folder / "run.csv"
    rows = ["Test Time / s,Voltage / V,Current / A,Cycle Count / 1,Step Count / 1,"
            "Unix Time / s,Discharging Capacity / Ah"]
    capacity = 0.0
    for k in range(40):
        current = 2.0 if k < 20 else -2.0
        capacity += 2.0 / 3600 if current < 0 else 0.0
        rows.append(f"{10 + k},{3.7 + 0.01 * current},{current},1,{1 if k < 20 else 2},"
                    f"{1_700_000_010 + k},{capacity}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _xlsx(folder: Path) -> Path:
    path = folder / "log.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Time (s)", "Temp [℃]", "Pressure [kPa]"])
    for i in range(200):
        sheet.append([i * 60, 20 + i / 2, 101.3 - i / 2])
    book.save(path)
    return path


def _mpr_module(name: bytes, data: bytes, version: int) -> bytes:
    """One EC-Lab module: magic, a short and a long name, length, version, date, data."""
    return (b"MODULE" + name.ljust(10) + b"sample".ljust(25)
            + struct.pack("<II", len(data), version) + b"03/01/25" + data)


def _biologic_mpr(folder: Path) -> Path:
    path = folder / "cell.mpr"
    rows = 40
    records = np.zeros(rows, dtype=[("time/s", "<f8"), ("Ewe/V", "<f4"), ("I/mA", "<f4"),
                                    ("cycle number", "<f8")])
    records["time/s"] = 100.0 + 10.0 * np.arange(rows)
    records["Ewe/V"] = 3.7
    records["I/mA"] = np.where(np.arange(rows) < rows // 2, 500.0, -500.0)
    column_ids = np.array([4, 6, 8, 24], dtype="<u2")  # time/s, Ewe/V, I/mA, cycle number
    data = (struct.pack("<IB", rows, len(column_ids)) + column_ids.tobytes()).ljust(405, b"\0")
    path.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + bytes(4)
                     + _mpr_module(b"VMP Set", bytes(16), 0)
                     + _mpr_module(b"VMP data", data + records.tobytes(), 2))
    return path


#: reader → a sample of its format; a reader added to BUILTIN_READERS needs one here
SAMPLES: dict[str, Callable[[Path], Path]] = {
    "solidcheck.readers.netzsch_ngb:NetzschNgbReader":
        lambda _: shared_file("tga-netzsch/Red_Oak_STA_10K_250731_R7.ngb-ss3"),
    "solidcheck.readers.neware:NewareReader":
        lambda _: shared_file("cycler-neware/new_nda_file.nda"),
    "solidcheck.readers.biologic_mpr:BiologicMprReader": _biologic_mpr,
    "solidcheck.readers.xlsx:XlsxReader": _xlsx,
    "solidcheck.readers.bdf_csv:BdfCsvReader": _bdf_csv,
    "solidcheck.readers.weighings_csv:WeighingsCsvReader": _weighings_csv,
    "solidcheck.readers.oven_csv:OvenCsvReader": _oven_csv,
}


def test_every_builtin_reader_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(BUILTIN_READERS)


def _reader(spec: str) -> Reader:
    module, _, name = spec.partition(":")
    reader: Reader = getattr(importlib.import_module(module), name)()
    return reader


@pytest.mark.parametrize("spec", BUILTIN_READERS)
def test_builtin_reader_keeps_the_contract(spec: str, tmp_path: Path) -> None:
    check_reader(_reader(spec), SAMPLES[spec](tmp_path))


# --- the check itself ---------------------------------------------------------------------


class _CarelessReader:
    """Breaks the contract in several ways at once."""

    name: ClassVar[str] = "Careless Reader"
    description: ClassVar[str] = "a careless reader"
    kind: ClassVar[Any] = "oven"
    extensions: ClassVar[tuple[str, ...]] = ("csv",)
    extra: ClassVar[str | None] = "careless"
    requires: ClassVar[str | None] = None

    def can_read(self, head: bytes, path: Path) -> bool:
        return head.startswith(b"time")

    def read(self, path: Path) -> Reading:
        raise ValueError("vendor parser choked")


class _VendorErrorReader:
    """Well formed, but reads columns under vendor names and refuses a file cut short with
    an error that names neither the file nor a fix."""

    name: ClassVar[str] = "vendor-csv"
    description: ClassVar[str] = "a vendor's CSV"
    kind: ClassVar[Any] = "oven_log"
    extensions: ClassVar[tuple[str, ...]] = (".csv",)
    extra: ClassVar[str | None] = None
    requires: ClassVar[str | None] = None

    def can_read(self, head: bytes, path: Path) -> bool:
        return head.startswith(b"Time")

    def read(self, path: Path) -> Reading:
        from solidcheck.readers import build_reading

        content = path.read_bytes()
        if not content.endswith(b"\n"):
            raise EvidenceError([Problem("", "the last line is cut short")])
        values = [float(line.split(b",")[0]) for line in content.splitlines()[1:]]
        return build_reading(self, path, pa.table({"Time": values}))


def test_the_check_lists_every_broken_attribute_at_once(tmp_path: Path) -> None:
    with pytest.raises(ReaderContractError) as caught:
        check_reader(_CarelessReader(), _oven_csv(tmp_path))
    message = str(caught.value)
    assert isinstance(caught.value, AssertionError)
    assert len(caught.value.problems) == 4
    for text in ("name 'Careless Reader'", "kind 'oven'", "extensions ('csv',)",
                 "both or neither"):
        assert text in message


def test_the_check_names_vendor_exceptions_and_vendor_columns(tmp_path: Path) -> None:
    with pytest.raises(ReaderContractError) as caught:
        check_reader(_VendorErrorReader(), _oven_csv(tmp_path))
    problems = caught.value.problems
    assert any("'Time' is not a canonical channel" in p for p in problems), problems
    assert any("names None, not the file read" in p for p in problems), problems
    assert any("'the last line is cut short' says no fix" in p for p in problems), problems


class _EagerReader(_VendorErrorReader):
    """Imports its optional library when its module is imported."""

    name: ClassVar[str] = "eager"
    extra: ClassVar[str | None] = "eager"
    requires: ClassVar[str | None] = "json"


def test_the_check_finds_a_module_level_import_and_a_missing_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setattr(sys.modules[__name__], "json", json, raising=False)
    with pytest.raises(ReaderContractError) as caught:
        check_reader(_EagerReader(), _oven_csv(tmp_path))
    assert any("imports json at import time" in p for p in caught.value.problems)


def test_without_module_blocks_and_restores_a_package() -> None:
    csv = importlib.import_module("pyarrow.csv")
    with without_module("pyarrow"), pytest.raises(ImportError):
        importlib.import_module("pyarrow.csv")
    assert sys.modules["pyarrow.csv"] is csv
    assert importlib.import_module("pyarrow.csv") is csv


