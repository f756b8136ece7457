"""Ratings from cycler logs: analytic cases, real Neware files, the CLI, and properties."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import shared_file
from solidcheck.cli import app
from solidcheck.errors import EvidenceError, InvalidInputError
from solidcheck.i18n.said import Said
from solidcheck.ratings import RatingsAnalysis, derive_ratings, max_held_power_w
from solidcheck.readers import Reading, read_evidence
from solidcheck.rules import Ruleset, load_ruleset

RULESET = load_ruleset("gbt-ssb-1-2026")
METHOD = RULESET.rules.ratings_from_cycler
NEWARE_FILES = [
    "test_2.ndax",
    "TESTCELL0001-B2-2025-M50T_NewareNDA_Investigation.ndax",
    "TestFile.nda",
    "new_nda_file.nda",
]
M50T = "TESTCELL0001-B2-2025-M50T_NewareNDA_Investigation.ndax"
#: Steps shorter than this are left out of the counter cross-check: test_2.ndax's counter runs
#: a fixed ~0.3 s ahead of its samples at every step start, which is > 0.5 % below ~60 s.
MIN_CROSS_CHECK_S = 120.0

runner = CliRunner()


def english(notes: tuple[Said, ...]) -> list[str]:
    """A reading's notes as English text."""
    return [note.text("en") for note in notes]



def synthetic(time_s: np.ndarray, voltage_v: np.ndarray, current_a: np.ndarray,
              **extra: np.ndarray) -> Reading:
    columns = {"time_s": time_s, "voltage_v": voltage_v, "current_a": current_a, **extra}
    return Reading(format="synthetic", kind="cycler", table=pa.table(columns),
                   source="synthetic", sha256="", size_bytes=0)


def with_method(**changes: float) -> Ruleset:
    rules = RULESET.rules.model_copy(
        update={"ratings_from_cycler": METHOD.model_copy(update=changes)})
    return RULESET.model_copy(update={"rules": rules})


# --- an analytic BDF log ----------------------------------------------------------------------
# rest 60 s; CC discharge −2 A for 1800 s, V falling linearly 4.0 → 3.5 V; rest 60 s; a pulse
# of −10 A at 3.6 V (36 W) for 30 s; rest. ∫V·I dt = 2·(4.0·1800 − 0.5·1800/2) J = 3.75 Wh.
ENERGY_WH = 3.75
PULSE_W = 36.0


def analytic_log(*, sign: float = 1.0) -> str:
    parts = []  # (time, voltage, current, step)
    t = 0.0
    for step, seconds, voltage, current in ((1, 60, None, 0.0), (2, 1800, None, -2.0),
                                            (3, 60, 3.6, 0.0), (4, 30, 3.6, -10.0),
                                            (5, 60, 3.6, 0.0)):
        start = t if step == 1 else t + 1
        for k in range(seconds + (1 if step in (2, 4) else 0)):
            v = voltage if voltage is not None else (4.0 - 0.5 * k / 1800 if step == 2 else 4.0)
            parts.append((start + k, v, current, step))
        t = parts[-1][0]
    lines = ["Test Time / s,Voltage / V,Current / A,Step Count / 1,Discharging Capacity / Ah"]
    capacity = 0.0
    for index, (time, voltage, current, step) in enumerate(parts):
        if index and current < 0:
            capacity += -current * (time - parts[index - 1][0]) / 3600
        lines.append(f"{time!r},{voltage!r},{sign * current!r},{step},{capacity!r}")
    return "\n".join(lines) + "\n"


def _bdf(tmp: Path, sign: float) -> Reading:
    path = tmp / f"analytic{'' if sign > 0 else '-flipped'}.csv"
    path.write_text(analytic_log(sign=sign), encoding="utf-8")
    return read_evidence(path)


def test_analytic_1c_energy_and_pulse_power(tmp_path: Path) -> None:
    reading = _bdf(tmp_path, 1.0)
    assert reading.format == "bdf-csv"
    analysis = derive_ratings(reading, ruleset=RULESET, nominal_capacity_ah=2.0)
    assert analysis.nominal_capacity_basis == "given"
    assert analysis.energy_1c_wh == pytest.approx(ENERGY_WH, rel=1e-12)
    assert analysis.energy_1c_c_rate == pytest.approx(1.0, rel=1e-12)
    assert analysis.max_power_w == PULSE_W
    assert analysis.power_energy_ratio_w_per_wh == pytest.approx(PULSE_W / ENERGY_WH, rel=1e-12)
    assert analysis.ratings == {"max_power_w": PULSE_W,
                                "energy_1c_wh": pytest.approx(ENERGY_WH, rel=1e-12)}
    assert [s.samples for s in analysis.discharge_steps] == [1801, 31]
    assert all(s.constant_current for s in analysis.discharge_steps)
    assert all("ratings_from_cycler" in line for line in analysis.method[1:4])
    assert analysis.warnings == []


def test_analytic_nominal_capacity_is_inferred_and_said_so(tmp_path: Path) -> None:
    analysis = derive_ratings(_bdf(tmp_path, 1.0), ruleset=RULESET)
    assert analysis.nominal_capacity_ah == pytest.approx(1.0, rel=1e-12)  # 2 A for half an hour
    assert analysis.nominal_capacity_basis == "largest constant-current discharge capacity"
    assert any("INFERRED" in line for line in analysis.method)
    # 2 A is then 2C, outside the 1C window: no 1C energy, and the C-rates found are listed
    assert analysis.energy_1c_wh is None and analysis.ratings is None
    assert any("2C, 10C" in warning for warning in analysis.warnings)
    assert analysis.max_power_w == PULSE_W


def test_analytic_log_with_the_other_sign_convention_gives_the_same_ratings(
    tmp_path: Path,
) -> None:
    flipped = _bdf(tmp_path, -1.0)
    assert any("flipped" in note for note in english(flipped.notes))
    assert (derive_ratings(flipped, ruleset=RULESET, nominal_capacity_ah=2.0).ratings
            == derive_ratings(_bdf(tmp_path, 1.0), ruleset=RULESET,
                              nominal_capacity_ah=2.0).ratings)


def test_power_duration_comes_from_the_rule_set(tmp_path: Path) -> None:
    # held 40 s, the 30 s pulse no longer counts: the best is the CC discharge's first 40 s
    analysis = derive_ratings(_bdf(tmp_path, 1.0), ruleset=with_method(power_duration_s=40.0))
    assert analysis.power_duration_s == 40.0
    assert analysis.max_power_w == pytest.approx(2.0 * (4.0 - 0.5 * 40 / 1800), rel=1e-12)
    overridden = derive_ratings(_bdf(tmp_path, 1.0), ruleset=RULESET, power_duration_s=40.0)
    assert overridden.max_power_w == analysis.max_power_w
    assert any("--power-duration-s" in line for line in overridden.method)


def test_one_c_window_comes_from_the_rule_set(tmp_path: Path) -> None:
    wide = with_method(one_c_max_c_rate=2.5)
    analysis = derive_ratings(_bdf(tmp_path, 1.0), ruleset=wide)  # inferred 1 Ah: 2 A is 2C
    assert analysis.energy_1c_wh == pytest.approx(ENERGY_WH, rel=1e-12)
    assert analysis.energy_1c_c_rate == pytest.approx(2.0, rel=1e-12)


def test_without_step_columns_discharges_are_runs_of_negative_current() -> None:
    t = np.arange(0.0, 100.0)
    current = np.where((t >= 10) & (t < 50), -1.0, np.where(t >= 70, -3.0, 0.0))
    analysis = derive_ratings(synthetic(t, np.full_like(t, 3.0), current), ruleset=RULESET,
                              nominal_capacity_ah=1.0)
    assert [(s.start_s, s.samples) for s in analysis.discharge_steps] == [(10.0, 40), (70.0, 30)]
    assert analysis.discharge_steps[0].step is None
    assert analysis.max_power_w == 9.0
    assert "runs of negative current" in analysis.method[0]


def test_a_reading_that_is_not_a_cycler_log_is_refused() -> None:
    t = np.arange(3.0)
    oven = Reading(format="oven-csv", kind="oven_log", source="oven.csv", sha256="",
                   size_bytes=0, table=pa.table({"time_s": t, "temperature_c": t}))
    with pytest.raises(EvidenceError) as caught:
        derive_ratings(oven, ruleset=RULESET)
    assert "not a battery-cycler log" in str(caught.value)
    assert "Neware" in str(caught.value)  # the fix names the formats


@pytest.mark.parametrize("nominal", [0.0, -1.0, math.nan, math.inf])
def test_a_capacity_that_is_not_positive_is_invalid_input(tmp_path: Path, nominal: float) -> None:
    with pytest.raises(InvalidInputError, match="nominal_capacity_ah"):
        derive_ratings(_bdf(tmp_path, 1.0), ruleset=RULESET, nominal_capacity_ah=nominal)


def test_time_going_backwards_is_an_evidence_error() -> None:
    reading = synthetic(np.array([0.0, 2.0, 1.0]), np.full(3, 3.0), np.full(3, -1.0))
    with pytest.raises(EvidenceError, match="time goes backwards"):
        derive_ratings(reading, ruleset=RULESET)


def test_max_held_power_uses_time_not_rows() -> None:
    # 11 fast samples spanning 1 s at 50 W, then 3 slow samples spanning 20 s at 20 W
    t = np.concatenate((np.linspace(0, 1, 11), [6.0, 16.0, 26.0]))
    p = np.concatenate((np.full(11, 50.0), np.full(3, 20.0)))
    assert max_held_power_w(t, p, 10.0) == (20.0, 0.0)  # 14 rows over 26 s hold 20 W
    assert max_held_power_w(t, p, 1.0) == (50.0, 0.0)
    assert max_held_power_w(t, p, 100.0) is None
    assert max_held_power_w(t, np.zeros_like(t), 1.0) is None


# --- real Neware files ------------------------------------------------------------------------


@functools.cache
def _analysis(name: str, nominal: float | None = None) -> RatingsAnalysis:
    reading = read_evidence(shared_file(f"cycler-neware/{name}"))
    return derive_ratings(reading, ruleset=RULESET, nominal_capacity_ah=nominal)


@pytest.mark.parametrize("name", NEWARE_FILES)
def test_integrated_energy_agrees_with_the_cyclers_counter(name: str) -> None:
    steps = _analysis(name).discharge_steps
    checked = [s for s in steps if s.constant_current and s.duration_s >= MIN_CROSS_CHECK_S
               and s.energy_integrated_wh > 0]
    for step in checked:
        assert step.counter_difference_percent is not None
        assert abs(step.counter_difference_percent) <= METHOD.energy_counter_tolerance_percent, step
    if name == "new_nda_file.nda":  # a channel without a cell: −0.1 V, 50 µA
        assert not checked
        assert any("voltage ≤ 0 V" in w for w in _analysis(name).warnings)
    else:
        assert len(checked) >= 2


def test_short_steps_that_disagree_with_the_counter_are_warned_about() -> None:
    analysis = _analysis("test_2.ndax")
    short = [s for s in analysis.discharge_steps if s.duration_s < 60]
    assert short and all(abs(s.counter_difference_percent or 0) > 0.5 for s in short)
    assert any("differ by more than 0.5 %" in w for w in analysis.warnings)


def test_m50t_ratings_at_its_rated_capacity() -> None:
    analysis = _analysis(M50T, 5.0)
    five_amp = [s for s in analysis.discharge_steps if abs(s.mean_current_a + 5.0) < 0.01]
    assert analysis.energy_1c_wh in [s.energy_integrated_wh for s in five_amp]
    assert analysis.energy_1c_c_rate == pytest.approx(1.0, abs=1e-4)
    assert analysis.max_power_w is not None and 19.0 < analysis.max_power_w < 21.0
    assert analysis.ratings == {"max_power_w": analysis.max_power_w,
                                "energy_1c_wh": analysis.energy_1c_wh}


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_ratings_json_on_a_real_file() -> None:
    path = shared_file(f"cycler-neware/{M50T}")
    result = runner.invoke(app, ["ratings", str(path), "--nominal-capacity-ah", "5",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source"]["file"] == str(path)
    assert data["source"]["format"] == "neware"
    assert len(data["source"]["sha256"]) == 64
    for key in ("discharge_steps", "nominal_capacity_ah", "energy_1c_wh", "max_power_w",
                "power_energy_ratio_w_per_wh", "ratings", "method", "notes", "warnings"):
        assert key in data
    assert data["power_energy_ratio_w_per_wh"] == pytest.approx(
        data["max_power_w"] / data["energy_1c_wh"], rel=1e-12)
    assert data["ratings"] == {"max_power_w": data["max_power_w"],
                               "energy_1c_wh": data["energy_1c_wh"]}


def test_cli_ratings_text_shows_steps_and_results() -> None:
    result = runner.invoke(app, ["ratings", str(shared_file("cycler-neware/TestFile.nda"))])
    assert result.exit_code == 0, result.output
    for text in ("discharge steps", "CC_DChg", "max power", "1C energy", "WARNING", "INFERRED"):
        assert text in result.stdout


@pytest.mark.parametrize("content", [None, b"NEWARE" + bytes(3000), b"\x8f\x03garbage" * 300])
def test_cli_ratings_bad_file_is_invalid_input(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "cell.nda"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["ratings", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr
    assert str(path) in result.stderr
    assert result.stdout == ""


# --- properties -------------------------------------------------------------------------------

WEIGHTS = st.lists(st.floats(0.1, 10.0), min_size=3, max_size=150)


def _irregular(weights: list[float], span: float) -> np.ndarray:
    steps = np.concatenate(([0.0], np.cumsum(weights)))
    times = steps / steps[-1] * span
    times[-1] = span
    return times


@settings(max_examples=50, deadline=None)
@given(current=st.floats(0.01, 100.0), duration=st.floats(20.0, 5000.0),
       start_v=st.floats(2.5, 4.5), drop_v=st.floats(0.0, 1.0), ramp=WEIGHTS, pulse=WEIGHTS,
       hold_s=st.floats(1.0, 60.0), extra_s=st.floats(0.0, 30.0), factor=st.floats(1.5, 5.0))
def test_integrated_energy_and_held_power_are_analytic(
    current: float, duration: float, start_v: float, drop_v: float, ramp: list[float],
    pulse: list[float], hold_s: float, extra_s: float, factor: float,
) -> None:
    # a CC discharge, V falling linearly (trapezoids are exact), irregularly sampled …
    tau = _irregular(ramp, duration)
    ramp_v = start_v - drop_v * tau / duration
    # … two rest samples, then a constant-power pulse longer than the duration asked for
    rest = duration + np.array([1.0, 2.0])
    pulse_t = duration + 3.0 + _irregular(pulse, hold_s + extra_s)
    t = np.concatenate((tau, rest, pulse_t))
    v = np.concatenate((ramp_v, np.full(2, start_v), np.full(pulse_t.size, start_v)))
    i = np.concatenate((np.full(tau.size, -current), np.zeros(2),
                        np.full(pulse_t.size, -current * factor)))
    analysis = derive_ratings(synthetic(t, v, i), ruleset=RULESET, power_duration_s=hold_s)
    analytic_wh = current * (start_v * duration - drop_v * duration / 2) / 3600
    assert analysis.discharge_steps[0].energy_integrated_wh == pytest.approx(analytic_wh,
                                                                            rel=1e-6)
    assert analysis.max_power_w == pytest.approx(start_v * current * factor, rel=1e-12)


def test_cli_ratings_without_the_extra_exits_4_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "galvani" else real(name, *args))
    path = tmp_path / "cell.mpr"
    path.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + bytes(100))
    result = runner.invoke(app, ["ratings", str(path)])
    assert result.exit_code == 4
    assert "pip install 'solidcheck[biologic]'" in result.stderr
    assert "Traceback" not in result.output + result.stderr
