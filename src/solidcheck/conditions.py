"""The weight-loss test's conditions, judged from an oven or thermobalance log.

A typed-in "6 h at 120 °C" proves nothing; the log does. :func:`analyse_conditions` finds
the *qualifying hold* — the longest stretch in which every sample is within the rule set's
temperature tolerance and pressure limit, with no gap longer than ``log_sampling.max_gap_s``
— and reports its length, what happened around it (excursions), and, when the log has mass,
m₀ and m₁ at the hold's ends and whether mass had stopped falling.

Pure: a :class:`~solidcheck.readers.Reading` and a rule set in, an analysis out; vectorised
with numpy so a ten-million-row log is analysed in a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from .errors import EvidenceError, Problem
from .model import Finding, FindingParam
from .readers import Reading
from .rules import Ruleset
from .weightloss import exact

__all__ = [
    "ConditionsAnalysis",
    "Excursion",
    "Hold",
    "MassChange",
    "analyse_conditions",
]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_SECONDS_PER_HOUR = 3600.0

#: what broke a condition: a sample out of the band or over the limit, or a silent gap
ExcursionCause = Literal["temperature_low", "temperature_high", "pressure_high", "gap"]
Cause = ExcursionCause | Literal["end_of_log"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Out):
    """The conditions the rule set asks for, as used in this analysis."""

    temperature_c: float
    tolerance_c: float
    max_pressure_pa: float
    min_duration_h: float
    max_gap_s: float


class Hold(_Out):
    """The longest stretch of the log that met every condition."""

    start_s: float
    end_s: float
    duration_h: float
    rows: int
    temperature_min_c: float
    temperature_max_c: float
    temperature_mean_c: float
    pressure_max_pa: float | None = Field(description="null when the log has no pressure")
    ended_by: list[Cause] = Field(
        description="what the first sample after the hold broke (or the log ended)")


class Excursion(_Out):
    """A stretch between the first and last in-condition sample where a condition failed."""

    start_s: float
    end_s: float
    duration_s: float
    causes: list[ExcursionCause]
    temperature_min_c: float | None
    temperature_max_c: float | None
    pressure_max_pa: float | None


class MassChange(_Out):
    """Masses at the hold's ends and the rate the standard's criterion uses."""

    mass_before_g: float = Field(description="m₀: mass at the start of the hold")
    mass_after_g: float = Field(description="m₁: mass at the end of the hold")
    percent: float = Field(description="(m₀ − m₁)/m₀ × 100 over the hold")
    final_loss_rate_percent_per_h: float | None = Field(
        description="least-squares loss rate over the last window of the hold, % of m₀ per h"
    )
    window_min: float
    stable: bool | None = Field(description="mass had stopped falling; null if not judged")
    log_start_g: float
    log_end_g: float
    log_percent: float = Field(description="loss from the first to the last sample of the log")


class ConditionsAnalysis(_Out):
    """Everything ``solidcheck weight-loss`` reports about one log."""

    source: dict[str, Any]
    ruleset: str
    target: Target
    meets_conditions: bool
    log_temperature_max_c: float | None = Field(description="the highest temperature logged")
    hold: Hold | None
    excursions: list[Excursion]
    mass: MassChange | None
    findings: list[Finding]
    weight_loss_test: dict[str, Any] | None = Field(
        description="the dossier's weight_loss_test block drawn from the log, when complete"
    )


@dataclass(frozen=True)
class _Channels:
    time_s: Floats
    temperature_c: Floats
    pressure_pa: Floats | None
    mass_g: Floats | None


def _column(reading: Reading, name: str) -> Floats | None:
    if not reading.has(name):
        return None
    column = reading.table.column(name).cast("float64")
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _channels(reading: Reading) -> _Channels:
    if reading.kind != "oven_log":
        raise EvidenceError(
            [Problem("", f"this is a {reading.kind.replace('_', ' ')} file ({reading.format}), "
                     "not an oven or thermobalance log",
                     "give the log of the vacuum oven or thermobalance run")],
            source=reading.source,
        )
    time_s, temperature_c = _column(reading, "time_s"), _column(reading, "temperature_c")
    if time_s is None or temperature_c is None or time_s.size == 0:
        raise EvidenceError(
            [Problem("", "the log has no time and temperature samples",
                     "export a log with time and temperature columns")],
            source=reading.source,
        )
    return _Channels(time_s, temperature_c, _column(reading, "pressure_pa"),
                     _column(reading, "mass_g"))


def _runs(mask: Bools, breaks: Bools) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """First and last index of each run of True in ``mask`` not crossing a break.

    ``breaks[i]`` is True when rows i and i+1 must not be in the same run.
    """
    joined = mask[:-1] & mask[1:] & ~breaks
    starts = np.flatnonzero(mask & ~np.concatenate(([False], joined)))
    ends = np.flatnonzero(mask & ~np.concatenate((joined, [False])))
    return starts, ends


def analyse_conditions(reading: Reading, *, ruleset: Ruleset) -> ConditionsAnalysis:
    """Judge a log against the rule set's weight-loss conditions."""
    rules = ruleset.rules
    target = Target(
        temperature_c=rules.test_temperature.temperature_c,
        tolerance_c=rules.test_temperature_tolerance.tolerance_c,
        max_pressure_pa=rules.test_pressure.max_pressure_pa,
        min_duration_h=rules.test_duration.min_duration_h,
        max_gap_s=rules.log_sampling.max_gap_s,
    )
    ch = _channels(reading)
    low, high = target.temperature_c - target.tolerance_c, target.temperature_c + target.tolerance_c
    # NaN (an empty cell) compares False everywhere: an unknown sample never qualifies.
    temperature_ok = (ch.temperature_c >= low) & (ch.temperature_c <= high)
    pressure_ok = (
        np.ones_like(temperature_ok) if ch.pressure_pa is None
        else ch.pressure_pa <= target.max_pressure_pa
    )
    ok = temperature_ok & pressure_ok
    gaps = np.diff(ch.time_s) > target.max_gap_s
    starts, ends = _runs(ok, gaps)

    findings: list[Finding] = []
    hold: Hold | None = None
    first = last = 0
    if starts.size:
        durations = ch.time_s[ends] - ch.time_s[starts]
        best = int(np.argmax(durations))  # the first of equally long holds
        first, last = int(starts[best]), int(ends[best])
        hold = _hold(ch, first, last, _causes_after(ch, last, gaps, low, high,
                                                    target.max_pressure_pa))
        excursions = _excursions(ch, ok, gaps, int(starts[0]), int(ends[-1]), low, high,
                                 target.max_pressure_pa)
    else:
        excursions = []

    meets = _judge(reading, ruleset, target, hold, ch, findings)
    mass = (_mass(ch, first, last, ruleset, findings)
            if ch.mass_g is not None and hold is not None else None)
    if ch.mass_g is None:
        findings.append(ruleset.finding("weight_loss_rate", "info",
                                        "conditions.no_mass_channel"))
    block = _weight_loss_block(ch, hold, mass)
    return ConditionsAnalysis(
        source={"file": reading.source, "format": reading.format, "sha256": reading.sha256,
                "rows": reading.rows, "skipped_rows": len(reading.problems)},
        ruleset=ruleset.id,
        target=target,
        meets_conditions=meets,
        log_temperature_max_c=_nanmax(ch.temperature_c),
        hold=hold,
        excursions=excursions,
        mass=mass,
        findings=findings,
        weight_loss_test=block,
    )


def _causes_after(
    ch: _Channels, last: int, gaps: Bools, low: float, high: float, max_pressure_pa: float
) -> list[Cause]:
    if last == ch.time_s.size - 1:
        return ["end_of_log"]
    if gaps[last]:
        return ["gap"]
    following = last + 1
    temperature = ch.temperature_c[following]
    causes: list[Cause] = []
    if temperature < low:
        causes.append("temperature_low")
    if temperature > high:
        causes.append("temperature_high")
    if ch.pressure_pa is not None and ch.pressure_pa[following] > max_pressure_pa:
        causes.append("pressure_high")
    return causes or ["gap"]  # an unreadable (empty) sample


def _hold(ch: _Channels, first: int, last: int, ended_by: list[Cause]) -> Hold:
    window = slice(first, last + 1)
    temperatures = ch.temperature_c[window]
    return Hold(
        start_s=float(ch.time_s[first]),
        end_s=float(ch.time_s[last]),
        duration_h=float(ch.time_s[last] - ch.time_s[first]) / _SECONDS_PER_HOUR,
        rows=last - first + 1,
        temperature_min_c=float(temperatures.min()),
        temperature_max_c=float(temperatures.max()),
        temperature_mean_c=float(temperatures.mean()),
        pressure_max_pa=None if ch.pressure_pa is None else float(ch.pressure_pa[window].max()),
        ended_by=ended_by,
    )


def _excursions(
    ch: _Channels, ok: Bools, gaps: Bools, first: int, last: int,
    low: float, high: float, max_pressure_pa: float,
) -> list[Excursion]:
    """Failed stretches and silent gaps between the first and the last good sample."""
    span = slice(first, last + 1)
    bad = ~ok[span]
    found: list[Excursion] = []
    if bad.any():
        bad_starts, bad_ends = _runs(bad, np.zeros(bad.size - 1, dtype=bool))
        for start, end in zip(bad_starts + first, bad_ends + first, strict=True):
            found.append(_excursion(ch, int(start), int(end), low, high, max_pressure_pa))
    for index in np.flatnonzero(gaps[first:last]) + first:
        if ok[index] and ok[index + 1]:  # a silent gap between two good samples
            found.append(Excursion(
                start_s=float(ch.time_s[index]), end_s=float(ch.time_s[index + 1]),
                duration_s=float(ch.time_s[index + 1] - ch.time_s[index]), causes=["gap"],
                temperature_min_c=None, temperature_max_c=None, pressure_max_pa=None,
            ))
    found.sort(key=lambda excursion: excursion.start_s)
    return found


def _excursion(
    ch: _Channels, start: int, end: int, low: float, high: float, max_pressure_pa: float
) -> Excursion:
    # The excursion lasts from the last good sample before it to the first good one after.
    before, after = max(start - 1, 0), min(end + 1, ch.time_s.size - 1)
    window = slice(start, end + 1)
    temperatures = ch.temperature_c[window]
    known = temperatures[~np.isnan(temperatures)]
    causes: list[ExcursionCause] = []
    if known.size and known.min() < low:
        causes.append("temperature_low")
    if known.size and known.max() > high:
        causes.append("temperature_high")
    pressure_max = None
    if ch.pressure_pa is not None:
        pressures = ch.pressure_pa[window]
        pressure_max = float(np.nanmax(pressures)) if (~np.isnan(pressures)).any() else None
        if pressure_max is not None and pressure_max > max_pressure_pa:
            causes.append("pressure_high")
    if not causes:
        causes.append("gap")  # unreadable samples
    return Excursion(
        start_s=float(ch.time_s[before]),
        end_s=float(ch.time_s[after]),
        duration_s=float(ch.time_s[after] - ch.time_s[before]),
        causes=causes,
        temperature_min_c=float(known.min()) if known.size else None,
        temperature_max_c=float(known.max()) if known.size else None,
        pressure_max_pa=pressure_max,
    )


def _ended_by(causes: list[Cause]) -> str:
    """The catalogue word (``hold_end.*``) for what ended a hold: one cause, or a temperature
    cause with the pressure rising at the same sample."""
    return "hold_end." + "+".join(causes)


def _judge(
    reading: Reading, ruleset: Ruleset, target: Target, hold: Hold | None, ch: _Channels,
    findings: list[Finding],
) -> bool:
    meets = True
    vacuum = ch.pressure_pa is not None
    band: dict[str, FindingParam] = {"temperature": target.temperature_c,
                                     "tolerance": target.tolerance_c}
    if vacuum:
        band["pressure"] = target.max_pressure_pa
    else:
        meets = False
        findings.append(ruleset.finding("test_pressure", "error",
                                        "conditions.no_pressure_channel",
                                        pressure=target.max_pressure_pa))
    if hold is None:
        reached = _nanmax(ch.temperature_c)
        if reached is None:
            findings.append(ruleset.finding("test_temperature", "error",
                                            "conditions.no_temperature",
                                            temperature=target.temperature_c,
                                            tolerance=target.tolerance_c))
        else:
            findings.append(ruleset.finding(
                "test_temperature", "error",
                "conditions.no_hold_vacuum" if vacuum else "conditions.no_hold",
                **band, reached=reached))
        return False
    hours = hold.duration_h
    span: dict[str, FindingParam] = {"duration": hours,
                                     "start": hold.start_s / _SECONDS_PER_HOUR,
                                     "end": hold.end_s / _SECONDS_PER_HOUR}
    if exact(hours) < exact(target.min_duration_h):
        meets = False
        findings.append(ruleset.finding(
            "test_duration", "error",
            "conditions.hold_short_vacuum" if vacuum else "conditions.hold_short",
            **band, **span, ended=_ended_by(hold.ended_by),
            min_duration=target.min_duration_h))
    elif hold.pressure_max_pa is None:
        findings.append(ruleset.finding(
            "test_duration", "info", "conditions.held", **span,
            low=hold.temperature_min_c, high=hold.temperature_max_c))
    else:
        findings.append(ruleset.finding(
            "test_duration", "info", "conditions.held_vacuum", **span,
            low=hold.temperature_min_c, high=hold.temperature_max_c,
            pressure=hold.pressure_max_pa))
    if reading.problems:
        findings.append(ruleset.finding(
            "log_sampling", "warning", "conditions.rows_skipped",
            count=len(reading.problems), max_gap=target.max_gap_s / _SECONDS_PER_HOUR))
    return meets


def _nanmax(values: Floats) -> float | None:
    finite = values[~np.isnan(values)]
    return float(finite.max()) if finite.size else None


def _slope_per_s(time_s: Floats, mass_g: Floats) -> float | None:
    if time_s.size < 2 or float(time_s[-1] - time_s[0]) <= 0:
        return None
    centred = time_s - time_s.mean()
    return float(np.dot(centred, mass_g - mass_g.mean()) / np.dot(centred, centred))


def _mass(
    ch: _Channels, first: int, last: int, ruleset: Ruleset, findings: list[Finding]
) -> MassChange | None:
    assert ch.mass_g is not None
    mass_g = ch.mass_g
    m0, m1 = float(mass_g[first]), float(mass_g[last])
    known = mass_g[~np.isnan(mass_g)]
    if np.isnan(m0) or np.isnan(m1) or m0 <= 0 or known.size == 0:
        findings.append(ruleset.finding("weight_loss_rate", "warning",
                                        "conditions.mass_missing"))
        return None
    stability = ruleset.rules.mass_stability
    window_s = stability.window_min * 60.0
    window_start = first + int(np.searchsorted(ch.time_s[first:last + 1],
                                               ch.time_s[last] - window_s))
    in_window = slice(window_start, last + 1)
    window_mass = mass_g[in_window]
    finite = ~np.isnan(window_mass)
    # A hold shorter than the window says nothing about the end of a 6 h test.
    long_enough = float(ch.time_s[last] - ch.time_s[first]) >= window_s
    slope = _slope_per_s(ch.time_s[in_window][finite], window_mass[finite]) \
        if long_enough else None
    rate = None if slope is None else -slope * _SECONDS_PER_HOUR / m0 * 100.0
    stable = None if rate is None else rate <= stability.max_loss_rate_percent_per_h
    if stable is False:
        assert rate is not None
        findings.append(ruleset.finding(
            "mass_stability", "warning", "conditions.mass_still_falling", rate=rate,
            window=stability.window_min / 60, limit=stability.max_loss_rate_percent_per_h))
    percent = float((exact(m0) - exact(m1)) / exact(m0) * 100)
    log_start, log_end = float(known[0]), float(known[-1])
    return MassChange(
        mass_before_g=m0,
        mass_after_g=m1,
        percent=percent,
        final_loss_rate_percent_per_h=rate,
        window_min=stability.window_min,
        stable=stable,
        log_start_g=log_start,
        log_end_g=log_end,
        log_percent=float((exact(log_start) - exact(log_end)) / exact(log_start) * 100)
        if log_start > 0 else 0.0,
    )


def _weight_loss_block(
    ch: _Channels, hold: Hold | None, mass: MassChange | None
) -> dict[str, Any] | None:
    """The dossier's conditions as the log shows them; ``None`` when the log cannot give them.

    Without a hold the duration is 0 h (so ``classify`` reports invalid conditions rather
    than a missing test) and the temperature is the highest the log reached.
    """
    if ch.pressure_pa is None:
        return None
    if hold is not None:
        temperature_c = round(hold.temperature_mean_c, 3)
        duration_h, pressure_pa = hold.duration_h, hold.pressure_max_pa
    else:
        reached_c = _nanmax(ch.temperature_c)
        finite_p = ch.pressure_pa[~np.isnan(ch.pressure_pa)]
        if reached_c is None or not finite_p.size:
            return None
        temperature_c, duration_h, pressure_pa = reached_c, 0.0, float(finite_p.min())
    block: dict[str, Any] = {
        "temperature_c": temperature_c,
        "duration_h": duration_h,
        "pressure_pa": pressure_pa,
    }
    if mass is not None:
        block["specimens"] = [{"mass_before_g": mass.mass_before_g,
                               "mass_after_g": mass.mass_after_g}]
    return block

