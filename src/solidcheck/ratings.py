"""Rated power and 1C energy derived from a battery-cycler log, for the application ratio.

Pure analysis over a :class:`~solidcheck.readers.Reading` (canonical columns, current
positive = charge): no file I/O. Every number of the method (the 1C window, the power
duration, the constant-current tolerance, the counter cross-check) comes from the rule
``ratings_from_cycler`` of the rule set, and every result line says how it was obtained.
Everything is vectorised with numpy, so a log of millions of rows takes seconds.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import EvidenceError, InvalidInputError, Problem
from .i18n import Display, load_catalogue
from .model import FindingParam, Ratings
from .readers import Reading
from .readers._cycler import discharge_label_mask
from .rules import Ruleset

__all__ = ["DischargeStep", "RatingsAnalysis", "RatingsLine", "derive_ratings",
           "max_held_power_w"]

RULE_ID: Literal["ratings_from_cycler"] = "ratings_from_cycler"
NominalBasis = Literal["given", "largest constant-current discharge capacity"]

Floats = npt.NDArray[np.float64]

#: A window's span may fall short of the duration by this relative amount (float rounding of
#: sample times such as 0.1 s steps), so a pulse logged for exactly the duration counts.
_SPAN_RTOL = 1e-9
#: Without step labels, a discharge is current below this fraction of the largest |current|
#: (keeps rest-period noise of a few µA from forming discharge "steps").
_NOISE_FRACTION = 1e-3


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DischargeStep(_Output):
    """One discharge step (or run of discharge current) and what was measured over it."""

    cycle: int | None
    step: int | None
    step_type: str | None
    start_s: float
    duration_s: float
    samples: int
    mean_current_a: float = Field(description="time-weighted mean; negative = discharge")
    c_rate: float | None = Field(description="|mean current| / nominal capacity; null "
                                 "without a nominal capacity")
    constant_current: bool
    end_voltage_v: float
    capacity_ah: float = Field(description="trapezoidal ∫|I| dt")
    energy_integrated_wh: float = Field(description="trapezoidal ∫V·|I| dt")
    energy_counter_wh: float | None = Field(
        description="increase of the file's own discharge-energy counter over the step "
        "(its value at the step end when the counter restarts each step); null if absent")
    counter_difference_percent: float | None = Field(
        description="(integrated − counter) / counter × 100")


class RatingsLine(_Output):
    """One line of how the ratings were obtained, as data: a catalogue message and its
    parameters (``i18n/evidence.toml``), written in the reader's language by :meth:`text`."""

    part: Literal["method", "warning", "note"]
    message_id: str
    params: dict[str, FindingParam] = Field(default_factory=dict)

    def text(self, lang: Display = "en") -> str:
        return load_catalogue().render(self.message_id, self.params, lang)


class RatingsAnalysis(_Output):
    """Rated power and 1C energy from a cycler log, with how each was obtained."""

    ruleset: str
    rule: Literal["ratings_from_cycler"] = RULE_ID
    rows: int
    discharge_steps: list[DischargeStep]
    nominal_capacity_ah: float | None
    nominal_capacity_basis: NominalBasis | None
    energy_1c_wh: float | None
    energy_1c_c_rate: float | None
    power_duration_s: float
    max_power_w: float | None = Field(description="highest discharge power held for at least "
                                      "power_duration_s")
    max_power_start_s: float | None
    power_energy_ratio_w_per_wh: float | None
    ratings: dict[str, float] | None = Field(
        description="the dossier's `ratings` block {max_power_w, energy_1c_wh}, or null")
    method: list[str] = Field(description="how each number was obtained, in English")
    notes: list[str] = Field(description="the reader's notes and skipped rows, in English")
    warnings: list[str] = Field(description="what could not be derived and why, in English")
    said: list[RatingsLine] = Field(description="method, warnings and notes as message ids "
                                    "and parameters, to show in any language")


def _column(reading: Reading, name: str) -> Floats:
    return np.asarray(
        reading.table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64
    )


def _check_inputs(reading: Reading, nominal_capacity_ah: float | None,
                  power_duration_s: float) -> None:
    problems = []
    if nominal_capacity_ah is not None and not (math.isfinite(nominal_capacity_ah)
                                                and nominal_capacity_ah > 0):
        problems.append(Problem("nominal_capacity_ah", f"{nominal_capacity_ah} is not a "
                                "positive number", "give the rated capacity in Ah, e.g. 5.0"))
    if not (math.isfinite(power_duration_s) and power_duration_s > 0):
        problems.append(Problem("power_duration_s", f"{power_duration_s} is not a positive "
                                "number", "give the pulse length in seconds, e.g. 10"))
    if problems:
        raise InvalidInputError(problems)
    if reading.kind != "cycler":
        raise EvidenceError(
            [Problem("", f"this is {reading.kind.replace('_', ' ')} data ({reading.format}), "
                     "not a battery-cycler log",
                     "give a cycler file: Neware .nda/.ndax, Battery Data Format CSV or "
                     "BioLogic .mpr (docs/readers.md)")], source=reading.source)
    missing = [c for c in ("time_s", "voltage_v", "current_a") if not reading.has(c)]
    if missing:
        raise EvidenceError([Problem(c, "channel missing", "export time, voltage and current")
                             for c in missing], source=reading.source)


def _finite_and_ordered(reading: Reading, t: Floats, v: Floats, i: Floats) -> None:
    problems = []
    for name, values in (("time_s", t), ("voltage_v", v), ("current_a", i)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            problems.append(Problem(name, f"{bad.size} empty or non-numeric value(s), first "
                                    f"at row {bad[0] + 1}", "export the log again"))
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        problems.append(Problem("time_s", f"time goes backwards {back.size} time(s), first "
                                f"after row {back[0] + 1}",
                                "export a log whose time only increases (one test per file)"))
    if problems:
        raise EvidenceError(problems, source=reading.source)


def _segments(reading: Reading, i: Floats
              ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], list[RatingsLine]]:
    """Start rows of every segment, whether each is a discharge, and how they were found."""
    n = i.size
    labelled = reading.has("step_type")
    discharge_row = discharge_label_mask(reading.table.column("step_type")) if labelled else None
    if discharge_row is not None and discharge_row.any():
        how = [_line("method", "ratings.steps_labelled")]
    else:
        scale = float(np.max(np.abs(i))) if n else 0.0
        discharge_row = i < -_NOISE_FRACTION * scale
        how = [_line("method", "ratings.steps_by_current_split" if reading.has("step")
                     else "ratings.steps_by_current", noise=_NOISE_FRACTION * 100)]
        if labelled:
            how.append(_line("method", "ratings.no_discharge_label"))
    change = np.diff(discharge_row.astype(np.int8)) != 0
    if reading.has("step"):
        change |= np.diff(_column(reading, "step")) != 0
    starts = np.concatenate(([0], np.flatnonzero(change) + 1)).astype(np.intp)
    return starts, discharge_row[starts], how


def _segment_medians(values: Floats, starts: npt.NDArray[np.intp],
                     counts: npt.NDArray[np.intp]) -> Floats:
    segment = np.repeat(np.arange(starts.size), counts)
    ordered = values[np.lexsort((values, segment))]
    middle: Floats = 0.5 * (ordered[starts + (counts - 1) // 2] + ordered[starts + counts // 2])
    return middle


def max_held_power_w(time_s: Floats, power_w: Floats, duration_s: float
                     ) -> tuple[float, float] | None:
    """The highest power held for ``duration_s``, and when the first such window starts.

    A level is held when every sample of a run of consecutive samples spanning at least
    ``duration_s`` (in time, whatever the sampling) is at or above it; the answer is the
    largest such level, which is always one of the sampled values. Found by bisection over
    the sorted sample values, each test a vectorised pass over the run boundaries.
    """
    levels = np.unique(power_w[power_w > 0])
    if levels.size == 0:
        return None
    needed = duration_s * (1 - _SPAN_RTOL)

    def first_window(level: float) -> float | None:
        above = np.concatenate(([0], (power_w >= level).astype(np.int8), [0]))
        edges = np.diff(above)
        run_start = np.flatnonzero(edges == 1)
        run_end = np.flatnonzero(edges == -1) - 1
        long_enough = np.flatnonzero(time_s[run_end] - time_s[run_start] >= needed)
        return float(time_s[run_start[long_enough[0]]]) if long_enough.size else None

    if first_window(float(levels[0])) is None:
        return None
    low, high = 0, levels.size - 1  # invariant: levels[low] is held
    while low < high:
        middle = (low + high + 1) // 2
        if first_window(float(levels[middle])) is None:
            high = middle - 1
        else:
            low = middle
    start = first_window(float(levels[low]))
    assert start is not None
    return float(levels[low]), start


def _sig(value: float, digits: int = 6) -> float:
    """``value`` to ``digits`` significant digits: what the method lines show."""
    return float(f"{value:.{digits}g}")


def _line(part: Literal["method", "warning", "note"], message_id: str,
          **params: FindingParam) -> RatingsLine:
    line = RatingsLine(part=part, message_id=message_id, params=params)
    line.text("en")  # a wrong id or parameter fails here, where it is made
    return line


def derive_ratings(
    reading: Reading,
    *,
    ruleset: Ruleset,
    nominal_capacity_ah: float | None = None,
    power_duration_s: float | None = None,
) -> RatingsAnalysis:
    """Max power (held for the rule's duration) and 1C energy from a cycler reading.

    Raises ``EvidenceError`` for a reading that is not a cycler log or lacks time, voltage or
    current, and ``InvalidInputError`` for a non-positive capacity or duration.
    """
    rule = ruleset.rules.ratings_from_cycler
    duration_s = rule.power_duration_s if power_duration_s is None else float(power_duration_s)
    _check_inputs(reading, nominal_capacity_ah, duration_s)
    cite: dict[str, FindingParam] = {"rule": RULE_ID, "ruleset": ruleset.id}
    t, v, i = (_column(reading, c) for c in ("time_s", "voltage_v", "current_a"))
    _finite_and_ordered(reading, t, v, i)
    n = t.size
    said: list[RatingsLine] = [*(_line("note", note.message_id, **note.params)
                                 for note in reading.notes),
                               *(_line("note", "ratings.skipped_row", row=str(problem))
                                 for problem in reading.problems)]

    if n < 2:
        raise EvidenceError([Problem("", f"{n} row(s): too few to integrate",
                                     "give the whole test log")], source=reading.source)
    starts, is_discharge, how = _segments(reading, i)
    said += how
    counts = np.diff(np.append(starts, n))
    ends = starts + counts - 1  # last row of each segment

    # Trapezoids between consecutive rows, zeroed where they straddle two segments.
    power = v * np.abs(i)
    dt = np.diff(t)
    energy_j = np.append(0.5 * (power[1:] + power[:-1]) * dt, 0.0)
    charge_c = np.append(0.5 * (np.abs(i[1:]) + np.abs(i[:-1])) * dt, 0.0)
    energy_j[ends] = 0.0
    charge_c[ends] = 0.0
    energy_wh = np.add.reduceat(energy_j, starts) / 3600.0
    capacity_ah = np.add.reduceat(charge_c, starts) / 3600.0
    duration = t[ends] - t[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_current = np.where(duration > 0, -capacity_ah * 3600.0 / duration,
                                np.add.reduceat(i, starts) / counts)
    median = _segment_medians(i, starts, counts)
    deviation = np.maximum.reduceat(np.abs(i - np.repeat(median, counts)), starts)
    tolerance = rule.constant_current_tolerance_percent / 100.0
    constant = (median < 0) & (deviation <= tolerance * np.abs(median)) & (counts >= 2)
    counter: Floats | None = None
    if reading.has("discharge_energy_wh"):
        values = _column(reading, "discharge_energy_wh")
        counter = values[ends] - values[starts]

    chosen = [int(k) for k in np.flatnonzero(is_discharge & (counts >= 2))]
    cc = [k for k in chosen if constant[k]]
    basis: NominalBasis | None = None
    if nominal_capacity_ah is not None:
        nominal: float | None = float(nominal_capacity_ah)
        basis = "given"
        said.append(_line("method", "ratings.nominal_given", capacity=_sig(nominal_capacity_ah),
                          **cite))
    elif cc:
        largest = max(cc, key=lambda k: capacity_ah[k])
        nominal, basis = float(capacity_ah[largest]), "largest constant-current discharge capacity"
        said.append(_line("method", "ratings.nominal_inferred", capacity=_sig(nominal),
                          current=_sig(-mean_current[largest]),
                          start=_sig(t[starts[largest]]), **cite))
    else:
        nominal = None
        said.append(_line("warning", "ratings.no_constant_current"))

    steps: list[DischargeStep] = []
    cycles = _column(reading, "cycle") if reading.has("cycle") else None
    step_ids = _column(reading, "step") if reading.has("step") else None
    labels = reading.table.column("step_type") if reading.has("step_type") else None
    c_rates: dict[int, float] = {}
    disagree: list[tuple[int, float]] = []
    counter_tolerance = rule.energy_counter_tolerance_percent
    for number, k in enumerate(chosen):
        row = int(starts[k])
        c_rate = None if nominal is None else float(abs(mean_current[k]) / nominal)
        if c_rate is not None:
            c_rates[k] = c_rate
        energy_counter = None if counter is None or not np.isfinite(counter[k]) else float(
            counter[k])
        difference = None
        if energy_counter is not None and energy_counter > 0:
            difference = float((energy_wh[k] - energy_counter) / energy_counter * 100.0)
            if abs(difference) > counter_tolerance:
                disagree.append((number, difference))
        steps.append(DischargeStep(
            cycle=None if cycles is None else int(cycles[row]),
            step=None if step_ids is None else int(step_ids[row]),
            step_type=None if labels is None else labels[row].as_py(),
            start_s=float(t[row]), duration_s=float(duration[k]), samples=int(counts[k]),
            mean_current_a=float(mean_current[k]), c_rate=c_rate,
            constant_current=bool(constant[k]), end_voltage_v=float(v[ends[k]]),
            capacity_ah=float(capacity_ah[k]), energy_integrated_wh=float(energy_wh[k]),
            energy_counter_wh=energy_counter, counter_difference_percent=difference,
        ))
    if disagree:
        worst = max(disagree, key=lambda item: abs(item[1]))
        said.append(_line("warning", "ratings.counter_differs",
                          tolerance=_sig(counter_tolerance), count=len(disagree),
                          steps=len(steps), largest=_sig(worst[1], 3),
                          **_described(steps[worst[0]]), **cite))
    not_a_cell = [step for step in steps if step.end_voltage_v <= 0]
    if not_a_cell:
        said.append(_line("warning", "ratings.not_a_cell", count=len(not_a_cell),
                          **_described(not_a_cell[0])))

    # 1C energy: the constant-current discharge closest to 1C inside the rule's window.
    energy_1c = c_rate_1c = None
    window = (rule.one_c_min_c_rate, rule.one_c_max_c_rate)
    inside = [k for k in cc if k in c_rates and window[0] <= c_rates[k] <= window[1]]
    if inside:
        best = min(inside, key=lambda k: abs(c_rates[k] - 1.0))
        energy_1c, c_rate_1c = float(energy_wh[best]), c_rates[best]
        position = chosen.index(best)
        said.append(_line("method", "ratings.energy_1c", energy=_sig(energy_1c),
                          low=_sig(window[0]), high=_sig(window[1]),
                          **_described(steps[position]), c_rate=_sig(c_rate_1c, 3),
                          tolerance=_sig(rule.constant_current_tolerance_percent), **cite))
    elif nominal is not None:
        found = sorted({round(c_rates[k], 3) for k in cc if k in c_rates})
        said.append(_line("warning", "ratings.no_1c", low=_sig(window[0]),
                          high=_sig(window[1]), nominal=_sig(nominal),
                          rates=[f"{rate:g}C" for rate in found] or ["—"], **cite))

    discharge_power = np.where(i < 0, v * -i, 0.0)
    held = max_held_power_w(t, discharge_power, duration_s)
    max_power = max_power_start = None
    if held is None:
        said.append(_line("warning", "ratings.no_power", duration=_sig(duration_s)))
    else:
        max_power, max_power_start = held
        held_for: dict[str, FindingParam] = {
            "power": _sig(max_power), "duration": _sig(duration_s),
            "start": _sig(max_power_start), **cite}
        if power_duration_s is None:
            said.append(_line("method", "ratings.max_power", **held_for))
        else:
            said.append(_line("method", "ratings.max_power_override", **held_for,
                              rule_duration=_sig(rule.power_duration_s)))

    ratio = None if max_power is None or not energy_1c else max_power / energy_1c
    ratings: dict[str, float] | None = None
    if ratio is not None and max_power is not None and energy_1c is not None:
        threshold = ruleset.rules.application_ratio.high_power_min_ratio_w_per_wh
        said.append(_line("method", "ratings.ratio", ratio=_sig(ratio, 4), threshold=threshold))
        try:
            ratings = Ratings(max_power_w=max_power, energy_1c_wh=energy_1c).model_dump()
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                for e in exc.errors())
            said.append(_line("warning", "ratings.not_ratings", reasons=reasons))
    return RatingsAnalysis(
        ruleset=ruleset.id, rows=n, discharge_steps=steps, nominal_capacity_ah=nominal,
        nominal_capacity_basis=basis, energy_1c_wh=energy_1c, energy_1c_c_rate=c_rate_1c,
        power_duration_s=duration_s, max_power_w=max_power, max_power_start_s=max_power_start,
        power_energy_ratio_w_per_wh=ratio, ratings=ratings,
        method=[line.text() for line in said if line.part == "method"],
        notes=[line.text() for line in said if line.part == "note"],
        warnings=[line.text() for line in said if line.part == "warning"], said=said,
    )


def _described(step: DischargeStep) -> dict[str, FindingParam]:
    """A step as the messages name it: its number as the file writes it, start, duration."""
    return {"step": "—" if step.step is None else str(step.step),
            "start": _sig(step.start_s), "duration": _sig(step.duration_s)}
