"""The weight-loss conditions judged from a log: generated logs with known answers, real files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_file
from solidcheck import load_ruleset
from solidcheck.conditions import analyse_conditions
from solidcheck.errors import Problem
from solidcheck.i18n import load_catalogue, message
from solidcheck.readers import Reading, read_evidence

RULESET = load_ruleset()
LIMIT_PA = RULESET.rules.test_pressure.max_pressure_pa
MAX_GAP_S = RULESET.rules.log_sampling.max_gap_s


def reading(columns: dict[str, list[float] | np.ndarray]) -> Reading:
    return Reading(format="generated", kind="oven_log", table=pa.table(columns),
                   source="generated.csv", sha256="0" * 64, size_bytes=0)


@dataclass
class Log:
    """A generated oven run: ramp up, hold, cool down, with known hold indices."""

    time_s: list[float] = field(default_factory=list)
    temperature_c: list[float] = field(default_factory=list)
    pressure_pa: list[float] = field(default_factory=list)
    mass_g: list[float] = field(default_factory=list)

    def add(self, t: float, temperature: float, pressure: float, mass: float) -> int:
        self.time_s.append(t)
        self.temperature_c.append(temperature)
        self.pressure_pa.append(pressure)
        self.mass_g.append(mass)
        return len(self.time_s) - 1

    def reading(self, *, with_mass: bool = True, with_pressure: bool = True) -> Reading:
        columns: dict[str, list[float] | np.ndarray] = {
            "time_s": self.time_s, "temperature_c": self.temperature_c}
        if with_pressure:
            columns["pressure_pa"] = self.pressure_pa
        if with_mass:
            columns["mass_g"] = self.mass_g
        return reading(columns)


def oven_run(*, hold_samples: int, step_s: float, noise: np.ndarray, m0: float = 50.0,
             loss_g: float = 0.1) -> tuple[Log, int, int]:
    """Ramp (out of band) → hold (in band, noise within tolerance) → cool (out of band)."""
    log = Log()
    t = 0.0
    for temperature in (25.0, 60.0, 100.0, 117.9):
        log.add(t, temperature, 90_000.0 if temperature < 60 else 500.0, m0)
        t += step_s
    first = None
    for k in range(hold_samples):
        loss = loss_g * min(1.0, k / max(hold_samples * 0.5, 1))  # falls, then flat
        index = log.add(t, 120.0 + float(noise[k % noise.size]), 80.0, m0 - loss)
        first = index if first is None else first
        t += step_s
    last = len(log.time_s) - 1
    for temperature in (117.5, 80.0, 30.0):
        log.add(t, temperature, 500.0, m0 - loss_g)
        t += step_s
    assert first is not None
    return log, first, last


noise_values = st.lists(st.floats(min_value=-1.99, max_value=1.99, allow_nan=False),
                        min_size=1, max_size=20).map(np.array)
steps = st.sampled_from([0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0])


@settings(max_examples=60, deadline=None)
@given(hold_samples=st.integers(min_value=1, max_value=3000), step_s=steps, noise=noise_values)
def test_the_hold_is_exactly_the_in_band_stretch(hold_samples, step_s, noise):
    log, first, last = oven_run(hold_samples=hold_samples, step_s=step_s, noise=noise)
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    assert analysis.hold is not None
    expected_h = (log.time_s[last] - log.time_s[first]) / 3600
    assert analysis.hold.duration_h == pytest.approx(expected_h, rel=1e-12, abs=1e-12)
    assert analysis.hold.rows == last - first + 1
    assert analysis.hold.pressure_max_pa == 80.0
    assert analysis.meets_conditions == (expected_h >= 6)
    assert analysis.excursions == []
    assert analysis.mass is not None
    assert analysis.mass.mass_before_g == log.mass_g[first]
    assert analysis.mass.mass_after_g == log.mass_g[last]


def test_six_hours_at_one_hertz_meets_and_fills_the_dossier_block():
    log, _, _ = oven_run(hold_samples=6 * 3600 + 1, step_s=1.0, noise=np.array([0.3]))
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    assert analysis.meets_conditions
    assert analysis.hold is not None and analysis.hold.duration_h == 6.0
    block = analysis.weight_loss_test
    assert block is not None
    assert block["duration_h"] == 6.0
    assert block["temperature_c"] == 120.3
    assert block["pressure_pa"] == 80.0
    assert block["specimens"] == [{"mass_before_g": 50.0, "mass_after_g": 49.9}]
    assert analysis.mass is not None and analysis.mass.stable is True
    assert analysis.mass.percent == pytest.approx(0.2)


def test_one_second_short_of_six_hours_does_not_meet():
    log, _, _ = oven_run(hold_samples=6 * 3600, step_s=1.0, noise=np.array([0.0]))
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    assert not analysis.meets_conditions
    assert any(f.rule == "test_duration" and f.severity == "error" for f in analysis.findings)


@settings(max_examples=40, deadline=None)
@given(hold_samples=st.integers(min_value=20, max_value=2000), step_s=steps,
       at=st.floats(min_value=0.05, max_value=0.95), length=st.integers(1, 10),
       kind=st.sampled_from(["temperature_high", "temperature_low", "pressure_high"]))
def test_an_excursion_splits_the_hold_and_is_reported(hold_samples, step_s, at, length, kind):
    log, first, last = oven_run(hold_samples=hold_samples, step_s=step_s, noise=np.array([0.0]))
    start = first + max(1, int(at * (last - first)))
    end = min(start + length - 1, last - 1)
    for index in range(start, end + 1):
        if kind == "temperature_high":
            log.temperature_c[index] = 125.5
        elif kind == "temperature_low":
            log.temperature_c[index] = 110.0
        else:
            log.pressure_pa[index] = 5000.0
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    before_h = (log.time_s[start - 1] - log.time_s[first]) / 3600
    after_h = (log.time_s[last] - log.time_s[end + 1]) / 3600
    assert analysis.hold is not None
    assert analysis.hold.duration_h == pytest.approx(max(before_h, after_h), rel=1e-12, abs=1e-12)
    # the first of equally long holds is taken; it ends at the excursion or at the cooling
    assert analysis.hold.ended_by == ([kind] if before_h >= after_h else ["temperature_low"])
    (excursion,) = analysis.excursions
    assert excursion.causes == [kind]
    assert excursion.start_s == log.time_s[start - 1]
    assert excursion.end_s == log.time_s[end + 1]
    if kind == "pressure_high":
        assert excursion.pressure_max_pa == 5000.0


@settings(max_examples=40, deadline=None)
@given(hold_samples=st.integers(min_value=50, max_value=2000),
       step_s=st.sampled_from([1.0, 2.0, 5.0]), at=st.floats(min_value=0.1, max_value=0.9),
       gap_s=st.floats(min_value=1.0, max_value=600.0))
def test_a_silent_gap_longer_than_allowed_breaks_the_hold(hold_samples, step_s, at, gap_s):
    log, first, last = oven_run(hold_samples=hold_samples, step_s=step_s, noise=np.array([0.5]))
    cut = first + int(at * (last - first))
    log.time_s[cut + 1:] = [t + gap_s for t in log.time_s[cut + 1:]]
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    assert analysis.hold is not None
    whole_h = (log.time_s[last] - log.time_s[first]) / 3600
    if log.time_s[cut + 1] - log.time_s[cut] > MAX_GAP_S:
        parts = ((log.time_s[cut] - log.time_s[first]) / 3600,
                 (log.time_s[last] - log.time_s[cut + 1]) / 3600)
        assert analysis.hold.duration_h == pytest.approx(max(parts), rel=1e-12, abs=1e-12)
        assert [e.causes for e in analysis.excursions] == [["gap"]]
    else:
        assert analysis.hold.duration_h == pytest.approx(whole_h, rel=1e-12, abs=1e-12)
        assert analysis.excursions == []


def test_mass_still_falling_at_the_end_is_a_warning():
    log, first, last = oven_run(hold_samples=6 * 3600 + 1, step_s=1.0, noise=np.array([0.0]))
    for index in range(first, last + 1):  # a steady loss of 0.05 %/h through the whole hold
        log.mass_g[index] = 50.0 * (1 - 0.0005 * (log.time_s[index] - log.time_s[first]) / 3600)
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    assert analysis.mass is not None
    assert analysis.mass.final_loss_rate_percent_per_h == pytest.approx(0.05, rel=1e-6)
    assert analysis.mass.stable is False
    assert any(f.rule == "mass_stability" and f.severity == "warning" for f in analysis.findings)


def test_no_pressure_channel_means_the_vacuum_cannot_be_judged():
    log, _, _ = oven_run(hold_samples=6 * 3600 + 1, step_s=10.0, noise=np.array([0.0]))
    analysis = analyse_conditions(log.reading(with_pressure=False), ruleset=RULESET)
    assert not analysis.meets_conditions
    assert analysis.weight_loss_test is None
    assert any(f.rule == "test_pressure" and f.severity == "error" for f in analysis.findings)


def test_a_log_that_never_reaches_the_band_has_no_hold():
    analysis = analyse_conditions(
        reading({"time_s": [0.0, 60.0, 120.0], "temperature_c": [25.0, 80.0, 100.0],
                 "pressure_pa": [500.0, 400.0, 300.0]}), ruleset=RULESET)
    assert analysis.hold is None and not analysis.meets_conditions
    assert analysis.weight_loss_test == {"temperature_c": 100.0, "duration_h": 0.0,
                                         "pressure_pa": 300.0}
    assert any("highest temperature reached is 100 °C" in f.message for f in analysis.findings)


def test_empty_cells_never_count_as_in_condition():
    nan = float("nan")
    analysis = analyse_conditions(
        reading({"time_s": [0.0, 10.0, 20.0, 30.0], "temperature_c": [120.0, nan, 120.0, 120.0],
                 "pressure_pa": [10.0, 10.0, 10.0, 10.0]}), ruleset=RULESET)
    assert analysis.hold is not None and analysis.hold.start_s == 20.0


NETZSCH = [
    "tga-netzsch/Red_Oak_STA_10K_250731_R7.ngb-ss3",
    "tga-netzsch/DF_FILED_STA_21O2_10K_220222_R1.ngb-ss3",
    "tga-netzsch/Douglas_Fir_STA_Baseline_10K_250730_R13.ngb-bs3",
    "tga-netzsch/01_Messung_Probe_G_300_Grad_Ar.ngb-ds3",
]


@pytest.mark.parametrize("name", NETZSCH)
def test_real_thermobalance_ramps_are_read_and_do_not_meet_the_conditions(name):
    log = read_evidence(shared_file(name))
    assert log.format == "netzsch-ngb" and log.kind == "oven_log"
    assert log.rows > 5000 and log.has("temperature_c") and not log.has("pressure_pa")
    analysis = analyse_conditions(log, ruleset=RULESET)
    assert not analysis.meets_conditions
    assert analysis.hold is not None and analysis.hold.duration_h < 0.1  # a ramp crosses 120 °C
    rules = {(f.rule, f.severity) for f in analysis.findings}
    assert {("test_pressure", "error"), ("test_duration", "error")} <= rules
    if "Baseline" in name:  # a correction run has no sample, so no mass
        assert analysis.mass is None
    else:
        assert analysis.mass is not None
        assert 10 < analysis.mass.log_percent < 100  # wood and paper lose most of their mass
        assert analysis.mass.stable is None  # a hold shorter than the window says nothing


def test_netzsch_mass_is_the_initial_sample_mass_plus_the_recorded_change():
    path = shared_file("tga-netzsch/Red_Oak_STA_10K_250731_R7.ngb-ss3")
    log = read_evidence(path)
    assert log.metadata["sample_mass"] == pytest.approx(4.044)
    assert log.table.column("mass_g")[0].as_py() == pytest.approx(4.044e-3)
    assert log.started_at == "2025-07-31T15:58:37+00:00"
    assert log.table.column("time_s")[0].as_py() == 0.0




# ------------------------------------------------------------ the findings as data, in Chinese

def _conditions_ids(*analyses) -> set[str]:
    return {f.message_id for analysis in analyses for f in analysis.findings
            if f.message_id and f.message_id.startswith("conditions.")}


def test_every_conditions_finding_is_a_catalogue_message_with_its_numbers():
    good, _, _ = oven_run(hold_samples=6 * 360 + 1, step_s=10.0, noise=np.array([0.0]))
    short, _, _ = oven_run(hold_samples=360, step_s=10.0, noise=np.array([0.0]))
    falling, first, last = oven_run(hold_samples=6 * 3600 + 1, step_s=1.0, noise=np.array([0.0]))
    for index in range(first, last + 1):
        falling.mass_g[index] = 50.0 * (1 - 0.0005 * (falling.time_s[index]
                                                      - falling.time_s[first]) / 3600)
    cold = {"time_s": [0.0, 60.0, 120.0], "temperature_c": [25.0, 80.0, 100.0],
            "pressure_pa": [500.0, 400.0, 300.0]}
    nan = float("nan")
    unreadable = {"time_s": [0.0, 60.0], "temperature_c": [nan, nan]}
    massless = {"time_s": [0.0, 60.0], "temperature_c": [120.0, 120.0], "mass_g": [0.0, 0.0]}
    skipped = Reading(format="generated", kind="oven_log", source="generated.csv",
                      table=pa.table(dict(zip(("time_s", "temperature_c", "pressure_pa", "mass_g"),
                                              (good.time_s, good.temperature_c, good.pressure_pa,
                                               good.mass_g), strict=True))),
                      sha256="0" * 64, size_bytes=0,
                      problems=(Problem("row 7", "not a number", "fix the row"),))
    analyses = [analyse_conditions(r, ruleset=RULESET) for r in (
        good.reading(), good.reading(with_pressure=False, with_mass=False),
        short.reading(), short.reading(with_pressure=False), falling.reading(), reading(cold),
        reading({k: v for k, v in cold.items() if k != "pressure_pa"}), reading(unreadable),
        reading(massless), skipped)]
    every = {message_id for message_id in load_catalogue().ids()
             if message_id.startswith("conditions.")}
    assert _conditions_ids(*analyses) == every
    for analysis in analyses:
        for finding in analysis.findings:
            assert finding.message_id is not None  # no finding is English-only any more
            chinese = message(finding.message_id, finding.params, "zh")
            assert chinese != finding.message and re.search(r"[\u4e00-\u9fff]", chinese)


def test_a_short_hold_says_its_length_and_what_ended_it_in_chinese():
    log, _, _ = oven_run(hold_samples=4 * 360, step_s=10.0, noise=np.array([0.0]))
    analysis = analyse_conditions(log.reading(), ruleset=RULESET)
    short = next(f for f in analysis.findings if f.rule == "test_duration")
    assert short.severity == "error"
    assert short.params["duration"] == pytest.approx(analysis.hold.duration_h)  # a number
    chinese = message(short.message_id, short.params, "zh")
    assert "3 小时 59 分钟 50 秒" in chinese and "至少需要 6 小时" in chinese
    assert "因温度降至允许范围以下而结束" in chinese
    assert "3 h 59 min 50 s" in short.message and "the temperature falling below" in short.message
