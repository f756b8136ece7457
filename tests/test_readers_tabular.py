"""The tabular readers: oven logs in CSV and Excel, specimen weighings, and `solidcheck read`.

Every file is written by the test, in the dialects lab software writes: units in brackets,
slashes or suffixes, Chinese headers in GBK, `;` with a decimal comma, tabs, a BOM.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from solidcheck.cli import app
from solidcheck.errors import EvidenceError
from solidcheck.i18n.said import Said
from solidcheck.readers import Reading, read_evidence
from solidcheck.readers._headers import OVEN_FIELDS, match_header
from solidcheck.readers._normalising import MAX_LISTED_ROWS

runner = CliRunner()
TORR_PA = 101325 / 760

WriteFile = Callable[[str, str | bytes], Path]


def english(notes: tuple[Said, ...]) -> list[str]:
    """A reading's notes as English text."""
    return [note.text("en") for note in notes]



def column(reading: Reading, name: str) -> list[Any]:
    return list(reading.table.column(name).to_pylist())


def approx_list(values: list[float], *, rel: float = 1e-9) -> Any:
    return pytest.approx(values, rel=rel, abs=1e-9)


CANONICAL = """\
time_s,temperature_c,pressure_pa,mass_g
0,25.0,101325,1.5000
60,80.5,500,1.4990
120,120.0,100,1.4980
180,120.1,90,1.4975
"""


# --- the canonical log and the reader registry --------------------------------------------


def test_canonical_csv_is_read_as_written(write_file: WriteFile) -> None:
    reading = read_evidence(write_file("log.csv", CANONICAL))
    assert reading.format == "oven-csv"
    assert reading.kind == "oven_log"
    assert reading.table.column_names == ["time_s", "temperature_c", "pressure_pa", "mass_g"]
    assert column(reading, "time_s") == [0, 60, 120, 180]
    assert column(reading, "temperature_c") == [25.0, 80.5, 120.0, 120.1]
    assert column(reading, "pressure_pa") == [101325, 500, 100, 90]
    assert column(reading, "mass_g") == [1.5, 1.499, 1.498, 1.4975]
    assert reading.origins == {c: c for c in reading.table.column_names}
    assert reading.notes == ()
    assert reading.problems == ()
    assert reading.time_span_s() == 180
    assert reading.metadata["delimiter"] == ","
    assert reading.metadata["encoding"] == "utf-8"
    assert reading.metadata["decimal_separator"] == "."


def test_log_without_pressure_or_mass_is_readable(write_file: WriteFile) -> None:
    reading = read_evidence(write_file("log.csv", "Time (h),Temperature (°C)\n0,20\n1,120\n"))
    assert reading.table.column_names == ["time_s", "temperature_c"]
    assert column(reading, "time_s") == [0, 3600]


def test_weighings_and_oven_logs_are_never_taken_for_each_other(write_file: WriteFile) -> None:
    log = read_evidence(write_file("log.csv", CANONICAL))
    weighings = read_evidence(write_file(
        "weighings.csv", "specimen,mass_before_g,mass_after_g\nA,1.0,0.99\n"))
    assert (log.format, weighings.format) == ("oven-csv", "weighings-csv")
    with pytest.raises(EvidenceError, match="not a recognised weighings file"):
        read_evidence(write_file("log2.csv", CANONICAL), kind="weighings")
    with pytest.raises(EvidenceError, match="not a recognised oven log file"):
        read_evidence(write_file("w2.csv", "m0 (g),m1 (g)\n1,0.9\n"), kind="oven_log")


# --- headers and units ---------------------------------------------------------------------

HEADER_VARIANTS = [
    # header, canonical channel, value written, value expected
    ("time_s", "time_s", 30.0, 30.0),
    ("Time (s)", "time_s", 30.0, 30.0),
    ("t/min", "time_s", 2.5, 150.0),
    ("Time [h]", "time_s", 1.5, 5400.0),
    ("时间(s)", "time_s", 30.0, 30.0),
    ("时间/min", "time_s", 2.0, 120.0),
    ("Elapsed time (ms)", "time_s", 1500.0, 1.5),
    ("temperature_c", "temperature_c", 120.0, 120.0),
    ("Temperature (°C)", "temperature_c", 120.0, 120.0),
    ("Temp [℃]", "temperature_c", 120.0, 120.0),
    ("T/K", "temperature_c", 393.15, 120.0),
    ("Temperature (degC)", "temperature_c", 120.0, 120.0),
    ("Temperature (°F)", "temperature_c", 248.0, 120.0),
    ("温度(℃)", "temperature_c", 120.0, 120.0),
    ("温度/°C", "temperature_c", 120.0, 120.0),
    ("温度（℃）", "temperature_c", 120.0, 120.0),  # full-width brackets
    ("pressure_pa", "pressure_pa", 100.0, 100.0),
    ("Pressure [kPa]", "pressure_pa", 0.1, 100.0),
    ("Pressure (mbar)", "pressure_pa", 1.0, 100.0),
    ("P/Torr", "pressure_pa", 0.75, 0.75 * TORR_PA),
    ("Pressure (mTorr)", "pressure_pa", 750.0, 0.75 * TORR_PA),
    ("Pressure (hPa)", "pressure_pa", 1.0, 100.0),
    ("Pressure (bar)", "pressure_pa", 0.001, 100.0),
    ("Pressure (MPa)", "pressure_pa", 0.0001, 100.0),
    ("Pressure (psi)", "pressure_pa", 1.0, 6894.757293168361),
    ("压力(Pa)", "pressure_pa", 100.0, 100.0),
    ("真空度(kPa)", "pressure_pa", 0.1, 100.0),
    ("mass_g", "mass_g", 1.5, 1.5),
    ("mass_mg", "mass_g", 1500.0, 1.5),
    ("Mass (mg)", "mass_g", 1500.0, 1.5),
    ("Weight (g)", "mass_g", 1.5, 1.5),
    ("Mass (µg)", "mass_g", 1.5e6, 1.5),
    ("Mass (ug)", "mass_g", 1.5e6, 1.5),
    ("Mass (kg)", "mass_g", 0.0015, 1.5),
    ("质量(g)", "mass_g", 1.5, 1.5),
    ("重量(mg)", "mass_g", 1500.0, 1.5),
]


@pytest.mark.parametrize(("header", "channel", "written", "expected"), HEADER_VARIANTS)
def test_header_variant_is_recognised_and_converted(
    write_file: WriteFile, header: str, channel: str, written: float, expected: float
) -> None:
    columns = {"time_s": "time_s", "temperature_c": "temperature_c"}
    columns[channel] = header
    names = list(columns.values())
    first = {"time_s": "0", "temperature_c": "20"}
    second = {"time_s": "60", "temperature_c": "120", channel: repr(written)}
    if channel not in first:
        first[channel] = repr(written)
    if channel == "time_s":  # the first row is at 0 whatever the unit
        first["time_s"] = "0"
    lines = [",".join(names),
             ",".join(first[c] for c in columns), ",".join(second[c] for c in columns)]
    reading = read_evidence(write_file("log.csv", "\n".join(lines) + "\n"))
    assert column(reading, channel)[1] == pytest.approx(expected, rel=1e-12)
    assert reading.origins[channel] == header
    converted = header not in {"time_s", "temperature_c", "pressure_pa", "mass_g"}
    unit_canonical = any(f"({u})" in header or f"[{u}]" in header or f"/{u}" in header
                         for u in ("s", "°C", "℃", "Pa", "g", "degC")) or "（℃）" in header
    if converted and not unit_canonical:
        assert any(note.startswith(f"{channel} from {header!r}") for note in english(reading.notes))


def test_conversion_notes_say_what_was_done(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "t/min,T/K,Pressure [kPa],Mass (mg)\n0,293.15,101.3,1500\n1,393.15,0.1,1490\n"))
    assert column(reading, "time_s") == [0, 60]
    assert column(reading, "temperature_c") == approx_list([20.0, 120.0])
    assert column(reading, "pressure_pa") == approx_list([101300.0, 100.0])
    assert column(reading, "mass_g") == approx_list([1.5, 1.49])
    assert "pressure_pa from 'Pressure [kPa]' × 1000 (kPa → Pa)" in english(reading.notes)
    assert "temperature_c from 'T/K' − 273.15 (K → °C)" in english(reading.notes)
    assert "time_s from 't/min' × 60 (min → s)" in english(reading.notes)
    assert "mass_g from 'Mass (mg)' × 0.001 (mg → g)" in english(reading.notes)


def test_setpoint_and_unknown_columns_are_ignored(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "Time (s),Set temperature (°C),Temperature (°C),Door\n0,120,25,closed\n"
        "60,120,60,closed\n"))
    assert column(reading, "temperature_c") == [25, 60]
    assert reading.origins["temperature_c"] == "Temperature (°C)"


def test_the_more_precise_of_two_columns_is_used_with_a_note(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "time_s,Temp (°C),Temperature (K)\n0,20,293.15\n"))
    assert reading.origins["temperature_c"] == "Temperature (K)"
    assert any("not from 'Temp (°C)'" in note for note in english(reading.notes))
    assert reading.metadata["ignored_columns"] == ["Temp (°C)"]


def test_match_header_resolves_t_by_its_unit() -> None:
    time = match_header(0, "t/min", OVEN_FIELDS)
    temperature = match_header(0, "T/K", OVEN_FIELDS)
    assert time is not None and time.channel == "time_s"
    assert temperature is not None and temperature.channel == "temperature_c"


def test_a_time_offset_is_removed_with_a_note(write_file: WriteFile) -> None:
    reading = read_evidence(write_file("log.csv", "time_s,temperature_c\n3600,20\n3660,21\n"))
    assert column(reading, "time_s") == [0, 60]
    assert any("3600" in note for note in english(reading.notes))


# --- time axes -------------------------------------------------------------------------


def test_iso_timestamps_become_seconds_and_started_at(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "timestamp,temperature_c\n2025-03-01T08:00:00,20\n2025-03-01T08:00:30.5,21\n"
        "2025-03-01 09:00:00,120\n"))
    assert column(reading, "time_s") == [0, 30.5, 3600]
    assert reading.started_at == "2025-03-01T08:00:00"
    assert reading.origins["time_s"] == "timestamp"


def test_timestamps_with_a_zone_offset_are_kept_in_utc(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "Date/Time,Temp [℃]\n2025-03-01T08:00:00+08:00,20\n2025-03-01T08:01:00+08:00,"
        "21\n"))
    assert column(reading, "time_s") == [0, 60]
    assert reading.started_at == "2025-03-01T00:00:00Z"


def test_slash_dates_and_separate_date_and_time_columns(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "日期,时间,温度(℃)\n2025/03/01,23:59:30,120\n2025/03/02,00:00:30,120\n"))
    assert column(reading, "time_s") == [0, 60]
    assert reading.started_at == "2025-03-01T23:59:30"
    assert reading.origins["time_s"] == "日期 + 时间"


def test_elapsed_hms_time(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "运行时间,温度(℃)\n0:00:00,20\n0:30:00,100\n6:00:05.5,120\n"))
    assert column(reading, "time_s") == [0, 1800, 21605.5]


def test_a_second_timestamp_column_dates_the_log(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "Timestamp,Time (s),Temperature (°C)\n2025-03-01T08:00:00,0,20\n"
        "2025-03-01T08:01:00,60,21\n"))
    assert reading.origins["time_s"] == "Time (s)"
    assert reading.started_at == "2025-03-01T08:00:00"


# --- encodings, delimiters, decimal separators ----------------------------------------------


def test_semicolon_and_decimal_comma(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "Time (min);Temperature (°C);Pressure (kPa)\n0;20,5;101,3\n0,5;120,25;0,1\n"))
    assert column(reading, "time_s") == [0, 30]
    assert column(reading, "temperature_c") == [20.5, 120.25]
    assert column(reading, "pressure_pa") == approx_list([101300.0, 100.0])
    assert reading.metadata["delimiter"] == ";"
    assert reading.metadata["decimal_separator"] == ","


def test_decimal_comma_first_seen_late_still_parses(write_file: WriteFile) -> None:
    lines = ["time_s;temperature_c"] + [f"{i};20" for i in range(60)] + ["60;120,5", "61;120.5"]
    reading = read_evidence(write_file("log.csv", "\n".join(lines) + "\n"))
    assert column(reading, "temperature_c")[-2:] == [120.5, 120.5]
    assert reading.problems == ()


def test_utf8_bom(write_file: WriteFile) -> None:
    reading = read_evidence(write_file("log.csv", b"\xef\xbb\xbf" + CANONICAL.encode()))
    assert reading.table.column_names[0] == "time_s"
    assert reading.rows == 4
    assert reading.metadata["encoding"] == "utf-8 (BOM)"


def test_gbk_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "炉温记录.csv"
    path.write_text("时间(s),温度(℃),真空度(kPa),质量(mg)\n0,25,101.3,1500\n60,120,0.1,1499\n",
                    encoding="gbk")
    reading = read_evidence(path)
    assert reading.metadata["encoding"] == "gb18030"
    assert reading.origins == {"time_s": "时间(s)", "temperature_c": "温度(℃)",
                               "pressure_pa": "真空度(kPa)", "mass_g": "质量(mg)"}
    assert column(reading, "pressure_pa") == approx_list([101300.0, 100.0])
    assert column(reading, "mass_g") == approx_list([1.5, 1.499])


@pytest.mark.parametrize("name", ["log.tsv", "log.txt"])
def test_tab_separated(write_file: WriteFile, name: str) -> None:
    reading = read_evidence(write_file(name, CANONICAL.replace(",", "\t")))
    assert reading.metadata["delimiter"] == "tab"
    assert column(reading, "temperature_c") == [25.0, 80.5, 120.0, 120.1]


def test_preamble_lines_before_the_header(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "log.csv", "Instrument: DZF-6050 vacuum oven\nOperator: Li\n\n" + CANONICAL))
    assert reading.rows == 4
    assert reading.metadata["header_line"] == 4
    assert reading.metadata["preamble"] == ["Instrument: DZF-6050 vacuum oven", "Operator: Li"]


# --- corrupt rows -----------------------------------------------------------------------


def test_corrupt_rows_are_reported_by_line_and_good_rows_kept(write_file: WriteFile) -> None:
    text = ("time_s,temperature_c,pressure_pa\n"  # line 1
            "0,25,101325\n"  # 2
            "60,abc,500\n"  # 3: not a number
            "120,120\n"  # 4: too few fields
            "\n"  # 5: blank, ignored without a word
            "180,120.1,100,7\n"  # 6: too many fields
            "240,120.2,\n"  # 7: empty cell
            "300,120.3,90\n")  # 8
    reading = read_evidence(write_file("log.csv", text))
    assert column(reading, "time_s") == [0, 300]
    paths = [problem.path for problem in reading.problems]
    assert paths == ["row 3", "row 4", "row 6", "row 7", "rows"]
    assert "'abc'" in reading.problems[0].message
    assert "2 fields" in reading.problems[1].message
    assert "empty" in reading.problems[3].message
    assert reading.problems[-1].message.startswith("4 of 6 data rows")


def test_many_corrupt_rows_are_listed_up_to_a_limit(write_file: WriteFile) -> None:
    lines = ["time_s,temperature_c"]
    for i in range(200):
        lines.append(f"{i},{'x' if i % 4 == 1 else '120'}")
    reading = read_evidence(write_file("log.csv", "\n".join(lines) + "\n"))
    assert reading.rows == 150
    assert len(reading.problems) == MAX_LISTED_ROWS + 1
    assert reading.problems[0].path == "row 3"  # data row i=1 is line 3
    assert reading.problems[1].path == "row 7"
    assert "50 of 200" in reading.problems[-1].message
    assert "30 not listed" in reading.problems[-1].message


def test_line_numbers_after_skipped_rows_stay_right(write_file: WriteFile) -> None:
    text = "time_s,temperature_c\n0,1\n1,2,3\n1,2,3\n2,x\n3,4\n"
    reading = read_evidence(write_file("log.csv", text))
    assert [p.path for p in reading.problems] == ["row 3", "row 4", "row 5", "rows"]


# --- Excel ------------------------------------------------------------------------------


def _workbook(path: Path, rows: list[list[Any]], *, notes_sheet: bool = False,
              leading: int = 0) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    if notes_sheet:
        sheet.title = "Notes"
        sheet.append(["Vacuum oven run", "operator Li"])
        sheet = book.create_sheet("Log")
    for _ in range(leading):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_datetime_cells(tmp_path: Path) -> None:
    start = dt.datetime(2025, 3, 1, 8, 0, 0)
    rows: list[list[Any]] = [["Date/Time", "Temp [℃]", "Pressure [kPa]", "Mass (mg)"]]
    for minute in range(4):
        rows.append([start + dt.timedelta(minutes=minute), 118.0 + minute, 0.1, 1500 - minute])
    reading = read_evidence(_workbook(tmp_path / "log.xlsx", rows))
    assert reading.format == "oven-xlsx"
    assert column(reading, "time_s") == [0, 60, 120, 180]
    assert column(reading, "temperature_c") == [118, 119, 120, 121]
    assert column(reading, "pressure_pa") == approx_list([100.0] * 4)
    assert column(reading, "mass_g") == approx_list([1.5, 1.499, 1.498, 1.497])
    assert reading.started_at == "2025-03-01T08:00:00"
    assert reading.metadata["sheet"] == "Sheet"


def test_xlsx_header_on_a_later_sheet_and_row_with_bad_cells(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Oven DZF-6050"], ["时间(min)", "温度(℃)"],
                             [0, 20], [1, "err"], [2, 120]]
    reading = read_evidence(_workbook(tmp_path / "log.xlsx", rows, notes_sheet=True, leading=2))
    assert reading.metadata["sheet"] == "Log"
    assert reading.metadata["header_row"] == 4
    assert column(reading, "time_s") == [0, 120]
    assert reading.problems[0].path == "row 6"
    assert "'err'" in reading.problems[0].message


# --- weighings --------------------------------------------------------------------------


def test_weighings_in_grams(write_file: WriteFile) -> None:
    reading = read_evidence(write_file(
        "w.csv",
        "specimen,mass_before_g,mass_after_g\nS1-A,51.2034,51.129\nS1-B,50.8871,50.8126\n"))
    assert reading.format == "weighings-csv"
    assert reading.kind == "weighings"
    assert reading.table.column_names == ["specimen", "mass_before_g", "mass_after_g"]
    assert column(reading, "specimen") == ["S1-A", "S1-B"]
    assert column(reading, "mass_before_g") == [51.2034, 50.8871]
    assert column(reading, "mass_after_g") == [51.129, 50.8126]


def test_weighings_in_milligrams_without_specimen_ids(write_file: WriteFile) -> None:
    reading = read_evidence(write_file("w.csv", "m0 (mg),m1 (mg)\n1500,1490\n1400,1395.5\n"))
    assert column(reading, "specimen") == ["1", "2"]
    assert column(reading, "mass_before_g") == approx_list([1.5, 1.4])
    assert column(reading, "mass_after_g") == approx_list([1.49, 1.3955])
    assert "mass_before_g from 'm0 (mg)' × 0.001 (mg → g)" in english(reading.notes)


def test_weighings_with_chinese_headers_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "称重.csv"
    path.write_text("试样,试验前质量(g),试验后质量(mg)\n甲,1.5,1490\n乙,1.6,1590\n", encoding="gbk")
    reading = read_evidence(path)
    assert column(reading, "specimen") == ["甲", "乙"]
    assert column(reading, "mass_after_g") == approx_list([1.49, 1.59])


def test_weighings_with_a_bad_row_are_an_error_listing_each(write_file: WriteFile) -> None:
    path = write_file("w.csv", "specimen,mass_before_g,mass_after_g\nA,1.5,1.49\nB,1,5\nC,x,1\n"
                      "D,0,0\nE,1.5\n")
    with pytest.raises(EvidenceError) as caught:
        read_evidence(path)
    paths = [problem.path for problem in caught.value.problems]
    assert paths == ["row 4", "row 5", "row 6"]
    assert "'x'" in caught.value.problems[0].message
    assert "positive" in caught.value.problems[1].message
    assert "2 fields" in caught.value.problems[2].message


# --- bad input: one clear EvidenceError, and exit 2 at the command line --------------------


def _truncated_xlsx(tmp_path: Path) -> bytes:
    rows: list[list[Any]] = [["time_s", "temperature_c"]] + [[i, 120.0] for i in range(500)]
    whole = _workbook(tmp_path / "whole.xlsx", rows).read_bytes()
    return whole[: len(whole) // 2]


BAD_INPUTS: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    "empty": ("log.csv", lambda _: b""),
    "garbage": ("log.csv", lambda _: bytes(range(256)) * 8),
    "png": ("log.csv", lambda _: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
    "truncated-xlsx": ("log.xlsx", _truncated_xlsx),
    "no-temperature": ("log.csv", lambda _: b"time_s,pressure_pa\n0,100\n60,90\n"),
    "unknown-unit": ("log.csv", lambda _: "time_s,Temperature (°C),Pressure (psig)\n0,1,2\n"
                     .encode()),
    "time-backwards": ("log.csv", lambda _: b"time_s,temperature_c\n0,20\n60,21\n30,22\n"),
    "gauge-pressure": ("log.csv", lambda _: b"time_s,temperature_c,Pressure (MPa)\n0,20,-0.098\n"),
    "no-data-row": ("log.csv", lambda _: b"time_s,temperature_c\nx,y\n,\n"),
    "header-only": ("log.csv", lambda _: b"time_s,temperature_c\n"),
    "time-without-unit": ("log.csv", lambda _: b"Time,Temperature (C)\n0,20\n1,21\n"),
    "two-temperatures": ("log.csv", lambda _: "time_s,Temperature (°C),Temperature (K)\n"
                         "0,20,293\n".encode()),
}

EXPECTED_MESSAGE = {
    "empty": "empty",
    "garbage": "not a recognised",
    "png": "not a recognised",
    "truncated-xlsx": "truncated",
    "no-temperature": "no temperature column; found columns: 'time_s', 'pressure_pa'",
    "unknown-unit": "'psig'",
    "time-backwards": "row 4: time goes backwards",
    "gauge-pressure": "gauge",
    "no-data-row": "no readable data row",
    "header-only": "no data rows",
    "time-without-unit": "no unit",
    "two-temperatures": "two temperature columns",
}


def _bad_file(tmp_path: Path, case: str) -> Path:
    name, content = BAD_INPUTS[case]
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_evidence_error(tmp_path: Path, case: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        read_evidence(_bad_file(tmp_path, case))
    assert EXPECTED_MESSAGE[case] in str(caught.value)
    assert all(problem.fix for problem in caught.value.problems)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_at_the_command_line_exits_2(tmp_path: Path, case: str) -> None:
    path = _bad_file(tmp_path, case)
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert result.stderr.startswith(f"invalid evidence file {path}:")
    assert result.stderr.count("invalid evidence file") == 1
    assert EXPECTED_MESSAGE[case] in result.stderr
    assert "Traceback" not in result.output


def test_missing_temperature_fix_names_accepted_headers(write_file: WriteFile) -> None:
    with pytest.raises(EvidenceError) as caught:
        read_evidence(write_file("log.csv", "time_s,pressure_pa\n0,100\n"))
    (problem,) = caught.value.problems
    assert "'Temperature (°C)'" in problem.fix
    assert "'温度'" in problem.fix


def test_unknown_unit_lists_accepted_units(write_file: WriteFile) -> None:
    with pytest.raises(EvidenceError) as caught:
        read_evidence(write_file("log.csv", "time_s,temperature_c,Pressure (psig)\n0,1,2\n"))
    (problem,) = caught.value.problems
    assert "Pressure (psig)" in problem.message
    assert "Pa, kPa, MPa, hPa, mbar, bar, Torr, mTorr, psi" in problem.fix


# --- the read command -------------------------------------------------------------------


def test_read_text_shows_channels_origins_and_skipped_rows(write_file: WriteFile) -> None:
    path = write_file("log.csv", "Time [h];Temp [℃];Pressure [kPa]\n0;20;101,3\n1;x;0,1\n"
                      "2;120;0,1\n")
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 0, result.stderr
    for text in ("oven-csv", "time_s", "Temp [℃]", "Pressure [kPa]", "2 h (7200 s)",
                 "× 1000", "row 3"):
        assert text in result.stdout
    assert re.search(r"rows\s+2\b", result.stdout)
    assert re.search(r"delimiter\s+;", result.stdout)


def test_read_json_parses_and_has_channels_units_rows(write_file: WriteFile) -> None:
    path = write_file("log.csv", "t/min,T/K,P/Torr\n0,293.15,760\n1,393.15,1\n")
    result = runner.invoke(app, ["read", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 2
    assert summary["format"] == "oven-csv"
    assert [(c["name"], c["unit"], c["from"]) for c in summary["channels"]] == [
        ("time_s", "s", "t/min"), ("temperature_c", "°C", "T/K"), ("pressure_pa", "Pa", "P/Torr")]
    assert summary["time_span_s"] == 60


def test_read_with_a_named_reader(write_file: WriteFile) -> None:
    path = write_file("w.txt", "specimen,mass_before_g,mass_after_g\nA,1,0.9\n")
    result = runner.invoke(app, ["read", str(path), "--reader", "weighings-csv", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "weighings"


def test_missing_extra_exits_4_with_the_pip_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(tmp_path / "log.xlsx", [["time_s", "temperature_c"], [0, 20]])
    real = importlib.util.find_spec

    def without_fastexcel(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "fastexcel" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_fastexcel)
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 4, (result.stdout, result.stderr, result.exception)
    assert "pip install 'solidcheck[xlsx]'" in result.stderr
    assert "Traceback" not in result.output


# --- property: whatever the dialect, values come back converted ---------------------------

UNIT_CHOICES: dict[str, list[tuple[str, float, float]]] = {  # unit, scale, offset
    "time": [("s", 1, 0), ("min", 60, 0), ("h", 3600, 0)],
    "temperature": [("°C", 1, 0), ("℃", 1, 0), ("K", 1, -273.15), ("degC", 1, 0)],
    "pressure": [("Pa", 1, 0), ("kPa", 1e3, 0), ("mbar", 100, 0), ("Torr", TORR_PA, 0),
                 ("hPa", 100, 0), ("bar", 1e5, 0)],
    "mass": [("g", 1, 0), ("mg", 1e-3, 0), ("kg", 1e3, 0)],
}
NAMES = {
    "time": ["time", "Time", "时间"],
    "temperature": ["temperature", "Temperature", "Temp", "温度"],
    "pressure": ["pressure", "Pressure", "压力", "真空度"],
    "mass": ["mass", "Mass", "Weight", "质量"],
}
STYLES = ["{name}_{unit}", "{name} ({unit})", "{name} [{unit}]", "{name}/{unit}",
          "{name}（{unit}）"]
CHANNEL_OF = {"time": "time_s", "temperature": "temperature_c", "pressure": "pressure_pa",
              "mass": "mass_g"}

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def dialects(draw: st.DrawFn) -> dict[str, Any]:
    rows = draw(st.integers(min_value=1, max_value=15))
    steps = draw(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False),
                          min_size=rows, max_size=rows))
    start = draw(st.floats(min_value=0, max_value=1e5, allow_nan=False))
    times = [start + sum(steps[: i + 1]) for i in range(rows)]
    values = {
        "time": times,
        "temperature": draw(st.lists(finite, min_size=rows, max_size=rows)),
        "pressure": draw(st.lists(positive, min_size=rows, max_size=rows)),
        "mass": draw(st.lists(finite, min_size=rows, max_size=rows)),
    }
    optional = draw(st.lists(st.sampled_from(["pressure", "mass"]), unique=True, max_size=2))
    dimensions = ["time", "temperature", *optional]
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    return {
        "values": values,
        "dimensions": dimensions,
        "units": {d: draw(st.sampled_from(UNIT_CHOICES[d])) for d in dimensions},
        "headers": {d: draw(st.sampled_from(STYLES)).format(
            name=draw(st.sampled_from(NAMES[d])), unit="{unit}") for d in dimensions},
        "delimiter": delimiter,
        "decimal": "," if delimiter != "," and draw(st.booleans()) else ".",
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])),
    }


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dialect=dialects())
def test_any_dialect_reads_back_the_written_values_converted(
    tmp_path: Path, dialect: dict[str, Any]
) -> None:
    dims = dialect["dimensions"]
    header = [dialect["headers"][d].format(unit=dialect["units"][d][0]) for d in dims]
    out = io.StringIO()
    out.write(dialect["delimiter"].join(header) + "\n")
    rows = len(dialect["values"]["time"])
    for i in range(rows):
        cells = [repr(float(dialect["values"][d][i])) for d in dims]
        if dialect["decimal"] == ",":
            cells = [cell.replace(".", ",") for cell in cells]
        out.write(dialect["delimiter"].join(cells) + "\n")
    path = tmp_path / "log.csv"
    path.write_bytes(out.getvalue().encode(dialect["encoding"]))

    reading = read_evidence(path)
    assert reading.rows == rows
    assert reading.problems == ()
    for d in dims:
        _, scale, offset = dialect["units"][d]
        written = dialect["values"][d]
        if d == "time":
            expected = [(t - written[0]) * scale for t in written]
        else:
            expected = [v * scale + offset for v in written]
        got = column(reading, CHANNEL_OF[d])
        tolerance = 1e-9 * max(1.0, *(abs(v) * scale for v in written), abs(offset))
        assert got == pytest.approx(expected, rel=1e-9, abs=tolerance), (d, header)
        assert all(math.isfinite(v) for v in got)


def test_truncated_xlsx_is_still_recognised_as_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    path.write_bytes(_truncated_xlsx(tmp_path))
    assert not zipfile.is_zipfile(path)
    with pytest.raises(EvidenceError, match="not a complete zip archive"):
        read_evidence(path)


BODY_PIECES = st.sampled_from(
    [*"0123456789.,;\t\n -:T/Zxe+\"", "2025-03-01", "08:00:00", "\r\n", "nan", "inf", "温"])


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(["time_s,temperature_c,pressure_pa\n", "Date/Time;Temp [℃];P/Torr\n",
                               "试样,m0 (g),m1 (mg)\n", "时间,温度(℃)\n",
                               "Time (h:m:s)\tT/K\tMass (mg)\n"]),
       body=st.lists(BODY_PIECES, max_size=120), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_any_body_under_a_good_header_reads_or_is_refused_cleanly(
    tmp_path: Path, header: str, body: list[str], encoding: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes((header + "".join(body)).encode(encoding))
    try:
        reading = read_evidence(path)
    except EvidenceError as exc:  # refused by a check of ours, not a parser's accident
        assert "could not be read as" not in str(exc)
        return
    json.dumps(reading.summary())
    assert reading.rows > 0


def test_legacy_xls_is_recognised_by_magic_and_extension(tmp_path: Path) -> None:
    from solidcheck.readers.xlsx import XlsxReader

    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    xls, doc = tmp_path / "log.xls", tmp_path / "report.doc"
    xls.write_bytes(ole)
    doc.write_bytes(ole)
    assert XlsxReader().can_read(ole, xls)
    assert not XlsxReader().can_read(ole, doc)
    with pytest.raises(EvidenceError):
        read_evidence(xls)


# --- the data file of header names and unit spellings -------------------------------------


def _spellings_text() -> str:
    from importlib import resources

    return resources.files("solidcheck.readers").joinpath("spellings.toml").read_text("utf-8")


@pytest.mark.parametrize(("change", "named"), [
    (('spellings = ["mmHg"]', 'spellings = ["mmHg", "mpa"]'), "unit.pressure[6].spellings"),
    (('symbol = "kPa"\nscale = 1000.0', 'symbol = "kPa"\nscale = "1000"'),
     "unit.pressure[1].scale"),
    (('"elapsed time", "elapsed"', '"Elapsed_Time", "elapsed time"'), "field[0].names"),
    (('channel = "mass_g"', 'channel = "mass_kg"'), "field[4].channel"),
    (("\n[clock]\n", "\n[clock\n"), "line"),
])
def test_a_broken_spellings_file_is_an_error_naming_the_key_and_line(
    change: tuple[str, str], named: str
) -> None:
    from solidcheck.errors import RulesetError
    from solidcheck.readers._spellings import load_spellings, parse_spellings

    text = _spellings_text()
    assert parse_spellings(text) == load_spellings()
    assert change[0] in text
    with pytest.raises(RulesetError) as caught:
        parse_spellings(text.replace(change[0], change[1], 1), source="spellings.toml")
    assert named in str(caught.value)
    assert re.search(r"line \d+", str(caught.value))
    assert all(problem.fix for problem in caught.value.problems)
