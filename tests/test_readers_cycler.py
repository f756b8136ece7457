"""Cycler readers: Neware against NewareNDA's own reference reads, BDF CSV, BioLogic detection.

What every reader must do (recognition without its library, the install hint, truncated
files) is checked for all of them at once in test_readers_contract.py.
"""

from __future__ import annotations

import functools
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from conftest import shared_file
from solidcheck.errors import EvidenceError
from solidcheck.i18n.said import Said
from solidcheck.readers import Reading, detect, read_evidence
from solidcheck.readers._cycler import current_sign
from solidcheck.readers.bdf_csv import BdfCsvReader
from solidcheck.readers.neware import NewareReader

NEWARE_FILES = [
    "test_2.ndax",
    "TESTCELL0001-B2-2025-M50T_NewareNDA_Investigation.ndax",
    "TestFile.nda",
    "new_nda_file.nda",
]
#: How each file's Time counts, as found by inspecting the files (PROVENANCE.md): BTS 9.1
#: .nda counts from the start of the test, the others restart at every step.
TOTAL_TIME = {"TestFile.nda"}
#: canonical column → (reference column, factor): the documented unit conversion.
CONVERSIONS = {
    "voltage_v": ("Voltage", 1.0),
    "current_a": ("Current(mA)", 1e-3),
    "charge_capacity_ah": ("Charge_Capacity(mAh)", 1e-3),
    "discharge_capacity_ah": ("Discharge_Capacity(mAh)", 1e-3),
    "charge_energy_wh": ("Charge_Energy(mWh)", 1e-3),
    "discharge_energy_wh": ("Discharge_Energy(mWh)", 1e-3),
}


def english(notes: tuple[Said, ...]) -> list[str]:
    """A reading's notes as English text."""
    return [note.text("en") for note in notes]



@functools.cache
def _neware(name: str) -> Reading:
    return read_evidence(shared_file(f"cycler-neware/{name}"))


@functools.cache
def _reference(name: str) -> pa.Table:
    stem = name.rsplit(".", 1)[0]
    return feather.read_table(shared_file(f"cycler-neware/{stem}.reference.ftr"))


def _floats(table: pa.Table, column: str) -> np.ndarray:
    return np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _expected_time_s(reference: pa.Table, *, per_step: bool) -> np.ndarray:
    """Total time from the reference's Time, step by step (the documented derivation)."""
    time = _floats(reference, "Time")
    if not per_step:
        return time - time[0]
    step = _floats(reference, "Step")
    total = np.empty_like(time)
    offset, start = 0.0, 0
    for end in [*list(np.flatnonzero(np.diff(step)) + 1), time.size]:
        total[start:end] = time[start:end] + offset
        offset += time[end - 1]
        start = end
    return total - time[0]


# --- Neware -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEWARE_FILES)
def test_neware_file_matches_the_newarenda_reference_row_for_row(name: str) -> None:
    reading, reference = _neware(name), _reference(name)
    assert reading.format == "neware" and reading.kind == "cycler"
    assert reading.rows == reference.num_rows
    for canonical, (column, factor) in CONVERSIONS.items():
        np.testing.assert_allclose(_floats(reading.table, canonical),
                                   _floats(reference, column) * factor, rtol=1e-9, atol=0,
                                   err_msg=canonical)
    for canonical, column in (("cycle", "Cycle"), ("step", "Step")):
        assert reading.table.column(canonical).to_pylist() == reference.column(column).to_pylist()
    labels = reference.column("Status").cast(pa.string()).to_pylist()
    assert reading.table.column("step_type").to_pylist() == labels
    expected = _expected_time_s(reference, per_step=name not in TOTAL_TIME)
    np.testing.assert_allclose(_floats(reading.table, "time_s"), expected, rtol=1e-9, atol=1e-9)
    if "T1" in reference.column_names:
        np.testing.assert_array_equal(_floats(reading.table, "temperature_c"),
                                      _floats(reference, "T1"))
    else:
        assert not reading.has("temperature_c")


@pytest.mark.parametrize("name", NEWARE_FILES)
def test_neware_total_time_agrees_with_the_files_own_clock(name: str) -> None:
    reading, reference = _neware(name), _reference(name)
    stamps = reference.column("Timestamp").to_numpy().astype("datetime64[us]").astype(np.int64)
    clock = (stamps - stamps[0]) / 1e6
    if name in TOTAL_TIME:  # this BTS 9.1 file's Timestamp jumps back: Time is the clock
        assert np.any(np.diff(clock) < 0)
        return
    # .ndax timestamps have ms resolution; version-29 .nda timestamps whole seconds
    tolerance = 1.0 if name.endswith(".nda") else 0.01
    assert np.max(np.abs(_floats(reading.table, "time_s") - clock)) <= tolerance


@pytest.mark.parametrize("name", NEWARE_FILES)
def test_neware_discharge_current_is_negative_and_the_notes_say_so(name: str) -> None:
    reading = _neware(name)
    current = _floats(reading.table, "current_a")
    labels = np.array(reading.table.column("step_type").to_pylist())
    assert np.all(current[labels == "CC_DChg"] <= 0)
    assert np.any(current[labels == "CC_DChg"] < 0)
    charge = np.isin(labels, ["CC_Chg", "CCCV_Chg", "CV_Chg"])
    assert np.all(current[charge] >= 0)
    assert any("no sign change" in note for note in english(reading.notes))
    assert any("time_s" in note for note in english(reading.notes))
    assert reading.metadata["container"] in ("nda", "ndax")


def test_neware_discharge_logged_positive_is_flipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import NewareNDA

    real = NewareNDA.read

    def flipped(path: str, **kwargs: object) -> object:
        frame = real(path, **kwargs)
        frame["Current(mA)"] = -frame["Current(mA)"]
        return frame

    monkeypatch.setattr(NewareNDA, "read", flipped)
    name = "TestFile.nda"
    reading = read_evidence(shared_file(f"cycler-neware/{name}"))
    np.testing.assert_array_equal(_floats(reading.table, "current_a"),
                                  _floats(_reference(name), "Current(mA)") * 1e-3)
    assert any("flipped" in note for note in english(reading.notes))
    assert reading.origins["current_a"].startswith("−")


def test_neware_is_recognised_by_content_under_any_name(tmp_path: Path) -> None:
    for name in ("TestFile.nda", "test_2.ndax"):
        renamed = tmp_path / f"{name}.export"
        shutil.copyfile(shared_file(f"cycler-neware/{name}"), renamed)
        reading = read_evidence(renamed)
        assert reading.format == "neware"
        assert reading.rows == _reference(name).num_rows


def test_neware_ndax_detection_needs_neware_members(tmp_path: Path) -> None:
    reader = NewareReader()
    other = tmp_path / "other.ndax"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert not reader.can_read(other.read_bytes()[:4096], other)


def test_neware_unsupported_version_is_an_evidence_error(tmp_path: Path) -> None:
    path = tmp_path / "future.nda"
    header = bytearray(b"NEWARE" + bytes(2042))
    header[14] = 250  # a file version NewareNDA does not know
    path.write_bytes(bytes(header))
    with pytest.raises(EvidenceError) as caught:
        read_evidence(path)
    assert "not yet supported" in str(caught.value)
    assert "Neware" in str(caught.value)


def test_damaged_ndax_is_an_evidence_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.ndax"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.ndc", b"\x07\x00\x63" + bytes(64))
        archive.writestr("TestInfo.xml", "<config/>")
    with pytest.raises(EvidenceError, match="could not be read"):
        read_evidence(path)


# --- sign helper ------------------------------------------------------------------------------


def test_current_sign_from_labels_and_counters() -> None:
    current = np.array([0.0, 2.0, 2.0, 0.0, -2.0, -2.0])
    labels = pa.array(["Rest", "CC_Chg", "CC_Chg", "Rest", "CC_DChg", "CC_DChg"])
    assert current_sign(current, labels=labels)[0] == 1
    assert current_sign(-current, labels=labels)[0] == -1
    counter = np.array([0.0, 0.0, 0.0, 0.0, 0.1, 0.2])  # discharge counter grows at rows 4, 5
    assert current_sign(current, discharge_counter=counter)[0] == 1
    assert current_sign(-current, discharge_counter=counter)[0] == -1
    assert current_sign(current) == (1, None)


# --- BDF CSV ----------------------------------------------------------------------------------

BDF_HEADER = ("Test Time / s,Voltage / V,Current / A,Cycle Count / 1,Step Count / 1,"
              "Step Index / 1,Ambient Temperature / degC,Unix Time / s,"
              "Charging Capacity / Ah,Discharging Capacity / Ah,Charging Energy / Wh,"
              "Discharging Energy / Wh")
MR_HEADER = ("test_time_second,voltage_volt,current_ampere,cycle_count,step_count,step_index,"
             "ambient_temperature_celsius,unix_time_second,charging_capacity_ah,"
             "discharging_capacity_ah,charging_energy_wh,discharging_energy_wh")


def bdf_csv(*, header: str = BDF_HEADER, sign: float = 1.0) -> str:
    """Rest, a 2 A charge, rest, a 2 A discharge, in BDF (sign −1: discharge logged positive)."""
    rows = [header]
    capacity = 0.0
    for k in range(41):
        t = 10.0 + k
        current, step = (0.0, 1) if k < 10 else (2.0, 2) if k < 20 else (0.0, 3) if k < 30 else (
            -2.0, 4)
        discharged = capacity if current >= 0 else (capacity := capacity + 2.0 / 3600)
        rows.append(f"{t},{3.7 + 0.01 * current},{sign * current},1,{step},{k},25.0,"
                    f"{1_700_000_000 + t},0,{discharged},0,{discharged * 3.7}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("header", [BDF_HEADER, MR_HEADER])
def test_bdf_csv_maps_every_named_column(write_file, header: str) -> None:
    reading = read_evidence(write_file("run.csv", bdf_csv(header=header)))
    assert reading.format == "bdf-csv"
    assert reading.table.column_names == [
        "time_s", "voltage_v", "current_a", "cycle", "step", "temperature_c",
        "charge_capacity_ah", "discharge_capacity_ah", "charge_energy_wh", "discharge_energy_wh"]
    time = _floats(reading.table, "time_s")
    assert time[0] == 0.0 and time[-1] == 40.0
    assert reading.table.column("step").type == pa.int64()
    assert reading.started_at == "2023-11-14T22:13:30+00:00"
    assert any("no sign change" in note for note in english(reading.notes))
    assert reading.metadata["unmapped_columns"] == [header.split(",")[5]]


def test_bdf_csv_with_discharge_logged_positive_is_flipped(write_file) -> None:
    normal = read_evidence(write_file("a.csv", bdf_csv()))
    other = read_evidence(write_file("b.csv", bdf_csv(sign=-1.0)))
    np.testing.assert_array_equal(_floats(other.table, "current_a"),
                                  _floats(normal.table, "current_a"))
    assert any("flipped" in note for note in english(other.notes))


def test_bdf_csv_needs_time_voltage_and_current_to_be_recognised(write_file) -> None:
    reader = BdfCsvReader()
    path = write_file("x.csv", "Test Time / s,Voltage / V\n0,3.7\n")
    assert not reader.can_read(path.read_bytes(), path)
    with pytest.raises(EvidenceError, match="not a recognised"):
        read_evidence(path, kind="cycler")


def test_bdf_csv_rows_without_values_are_left_out_and_reported(write_file) -> None:
    text = "Test Time / s,Voltage / V,Current / A\n0,3.7,0\n1,,0\n2,3.6,-1\n"
    reading = read_evidence(write_file("gaps.csv", text))
    assert reading.rows == 2
    assert [problem.path for problem in reading.problems] == ["lines 3"]


def test_bdf_csv_with_text_in_a_number_column_is_an_evidence_error(write_file) -> None:
    text = "Test Time / s,Voltage / V,Current / A\n0,3.7,0\n1,three,0\n"
    with pytest.raises(EvidenceError, match="could not be read"):
        read_evidence(write_file("bad.csv", text))


# --- BioLogic .mpr ----------------------------------------------------------------------------

MPR_HEAD = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + bytes(4) + bytes(200)


def test_biologic_mpr_is_detected_by_content_under_any_name(write_file) -> None:
    path = write_file("cell.mpr", MPR_HEAD)
    assert detect(path, MPR_HEAD).name == "biologic-mpr"
    renamed = write_file("cell.bin", MPR_HEAD)
    assert detect(renamed, MPR_HEAD, kind="cycler").name == "biologic-mpr"
