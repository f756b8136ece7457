"""The text of the findings: every finding of every row in ``classify``'s order, each message
character for character as ``classify`` writes it. Messages are built with Polars string
expressions from the numbers formatted the way ``fmt`` formats them (``_format``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from ...model import APPLICATIONS
from ...weightloss import fmt
from .._exact import Bools, Floats, Ints
from .._format import format_g6
from .decision import (
    BY_HYBRID,
    BY_LIQUID,
    CONFIRMED,
    INVALID_TEST,
    NO_TEST,
    NO_VISUAL,
    OVER_LIMIT,
    SEEN_LIQUID,
    SOLID,
    Decision,
)
from .inputs import Rows, list_offsets
from .results import FINDING_TYPE, words
from .shared import Shared

__all__ = ["assemble_findings", "finding_slots", "mass_gains", "text_columns"]

_GAIN_ADVICE = ("check the weighing and that the specimen did not take up moisture after "
                "drying")


class _Text:
    """The columns messages are written from: per-row values, and numbers to be written as
    ``fmt`` writes them — each formatted once, on the rows that show it, when a message
    first asks for it; a number with few distinct values (an oven's set point) once per
    distinct value. A message's frame holds just its columns, at just its rows."""

    def __init__(self) -> None:
        self.values: dict[str, np.ndarray | pa.Array] = {}
        self.numbers: dict[str, tuple[Floats, Bools]] = {}
        # name → (distinct texts, each shown row's text index, row → shown-row index)
        self.formatted: dict[str, tuple[pl.Series, Ints, Ints]] = {}

    def number(self, name: str, values: Floats, shown: Bools) -> None:
        self.numbers[name] = (values, shown)

    def _format(self, name: str) -> tuple[pl.Series, Ints, Ints]:
        if name not in self.formatted:
            values, shown = self.numbers[name]
            domain = np.flatnonzero(shown)
            place = np.full(shown.size, -1, dtype=np.int64)
            place[domain] = np.arange(domain.size)
            shown_values = values[domain]
            sample = shown_values[:: max(1, shown_values.size // 1024)]
            if shown_values.size > 4096 and np.unique(sample).size < sample.size // 4:
                # by bit pattern, so that -0.0 ("-0") stays apart from 0.0 ("0")
                bits, index = np.unique(shown_values.view(np.int64), return_inverse=True)
                self.formatted[name] = (format_g6(bits.view(np.float64)),
                                        index.astype(np.int64), place)
            else:
                self.formatted[name] = (format_g6(shown_values),
                                        np.arange(domain.size), place)
        return self.formatted[name]

    def distinct(self, names: Sequence[str], rows: Ints) -> tuple[pl.DataFrame, Ints] | None:
        """For a message of one number with few distinct values: the frame of its distinct
        texts and, per row, which one it shows (so the message is written once per value);
        None otherwise."""
        if len(names) != 1 or names[0] not in self.numbers:
            return None
        texts, index, place = self._format(names[0])
        if texts.len() * 4 > rows.size:
            return None
        return pl.DataFrame({names[0]: texts}), index[place[rows]]

    def frame(self, names: Sequence[str], rows: Ints) -> pl.DataFrame:
        columns: dict[str, pl.Series] = {}
        for name in names:
            if name in self.numbers:
                texts, index, place = self._format(name)
                columns[name] = texts.gather(index[place[rows]])
            else:
                value = self.values[name]
                columns[name] = pl.Series(name, value.take(pa.array(rows)) if isinstance(
                    value, pa.Array) else value[rows])
        return pl.DataFrame(columns)


@dataclass(frozen=True)
class _Alternative:
    """A finding that rows matching ``where`` get at one place of their list; its message is
    a constant or a Polars expression over the text frame."""

    where: Bools
    severity: str
    rule: str
    message: pl.Expr | str


@dataclass(frozen=True)
class _Repeated:
    """Findings a row may have several of at one place (one per specimen), in row order."""

    rows: Ints
    severity: str
    rule: str
    messages: pa.Array


_Slot = list[_Alternative] | _Repeated


def mass_gains(rows: Rows, shared: Shared) -> _Repeated:
    """The mass-gain warnings, one per specimen that gained mass (any rule set)."""
    index = np.flatnonzero(rows.m1 > rows.m0)  # the decimals compare as the floats do
    messages = pl.DataFrame({
        "place": rows.place[index] + 1,
        "percent": format_g6(shared.rate_float[index]),
    }).select(_text("specimen ", pl.col("place").cast(pl.String), " gained mass (",
                    pl.col("percent"), f" %): {_GAIN_ADVICE}")).to_series()
    return _Repeated(rows.parent[index], "warning", "mass_gain", messages.to_arrow())


def text_columns(rows: Rows, shared: Shared, decisions: list[Decision]) -> _Text:
    """The columns messages are written from, shared and per rule set (``<j>:name``)."""
    tested = rows.tested
    text = _Text()
    text.values |= {"application": rows.application, "count": rows.count}
    text.number("f_fraction", rows.fraction, rows.just_solid & (rows.fraction > 0))
    text.number("f_temperature", rows.temperature, tested)
    text.number("f_duration", rows.duration, tested)
    text.number("f_pressure", rows.pressure, tested)
    text.number("f_resolution", rows.resolution, rows.resolved)
    text.number("f_ratio", shared.ratio_float, rows.rated)
    for j, d in enumerate(decisions):
        text.values |= {f"{j}:above": d.above, f"{j}:worst": d.worst,
                        f"{j}:failing": d.failing, f"{j}:high_power": d.derived_high_power}
        text.number(f"{j}:f_distance", d.distance, tested & ~d.temperature_ok)
        text.number(f"{j}:f_short", d.short, tested & ~d.duration_ok)
        text.number(f"{j}:f_excess", d.excess, tested & ~d.pressure_ok)
        text.number(f"{j}:f_allowed", d.allowed, d.coarse)
        text.number(f"f_percent_{'mean' if d.constants.mean else 'max'}", d.percent, tested)
        text.number(f"{j}:f_margin", d.margin, d.doubtful)
        text.number(f"{j}:f_uncertainty", d.uncertainty, d.doubtful)
    return text


def _text(*parts: pl.Expr | str) -> pl.Expr:
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts])


def finding_slots(j: int, rows: Rows, d: Decision, gains: _Repeated) -> list[_Slot]:
    """The findings of rule set ``j`` in classify's order: the places of a row's list, each
    with its mutually exclusive alternatives."""
    c = d.constants
    r = c.ruleset.rules

    def col(name: str) -> pl.Expr:
        return pl.col(f"{j}:{name}")

    tested, solid = rows.tested, d.category == SOLID
    set_c, tol_c = fmt(r.test_temperature.temperature_c), fmt(
        r.test_temperature_tolerance.tolerance_c)
    min_h, max_pa = fmt(r.test_duration.min_duration_h), fmt(r.test_pressure.max_pressure_pa)
    limit = fmt(r.weight_loss_limit.limit_percent)
    relation = "at most" if r.weight_loss_limit.comparison == "at_most" else "below"
    res = r.balance_resolution
    threshold = fmt(r.application_ratio.high_power_min_ratio_w_per_wh)
    conditions = f"{set_c} °C, at least {min_h} h, at most {max_pa} Pa absolute"
    derived = pl.when(col("high_power")).then(pl.lit("high-power")).otherwise(
        pl.lit("high-energy"))
    declared = pl.col("application").replace_strict(
        {i: a.replace("_", "-") for i, a in enumerate(APPLICATIONS)}, default=None,
        return_dtype=pl.String)
    percent = f"f_percent_{'mean' if c.mean else 'max'}"  # the same in every such rule set
    if c.mean:
        what = _text("mean rate of ", pl.col("count").cast(pl.String), " specimens")
    else:
        what = _text("largest specimen rate (specimen ", col("worst").cast(pl.String), ")")
    failing = col("failing").list.eval(pl.element().cast(pl.String)).list.join(", ")
    detail = pl.when(col("failing").list.len() > 0).then(
        _text("; specimen(s) ", failing, " fail")).otherwise(pl.lit(""))
    branch = d.branch
    solid_declared = solid & (rows.application >= 0)
    return [
        [_Alternative(rows.just_solid & (rows.fraction > 0), "warning",
                      "declared_liquid_fraction", _text(
            "the dossier declares only solid phases but a liquid fraction of ",
            pl.col("f_fraction"), " wt %; the weight-loss test decides, and the declaration "
            "should be corrected"))],
        [_Alternative(d.temperature_ok, "info", "test_temperature", _text(
            "test temperature ", pl.col("f_temperature"), f" °C is within {set_c} ± {tol_c} °C")),
         _Alternative(tested & ~d.temperature_ok, "error", "test_temperature_tolerance", _text(
            "test invalid: temperature ", pl.col("f_temperature"),
            f" °C is outside {set_c} ± {tol_c} °C, ", col("f_distance"), " °C ",
            pl.when(col("above")).then(pl.lit("above the upper")).otherwise(
                pl.lit("below the lower")),
            f" bound; repeat the test at {set_c} °C"))],
        [_Alternative(d.duration_ok, "info", "test_duration", _text(
            "test duration ", pl.col("f_duration"), f" h meets the minimum of {min_h} h")),
         _Alternative(tested & ~d.duration_ok, "error", "test_duration", _text(
            "test invalid: duration ", pl.col("f_duration"), " h is ", col("f_short"),
            f" h short of the required {min_h} h"))],
        [_Alternative(d.pressure_ok, "info", "test_pressure", _text(
            "absolute pressure ", pl.col("f_pressure"), f" Pa is within the {max_pa} Pa limit")),
         _Alternative(tested & ~d.pressure_ok, "error", "test_pressure", _text(
            "test invalid: absolute pressure ", pl.col("f_pressure"),
            f" Pa exceeds the {max_pa} Pa vacuum limit by ", col("f_excess"), " Pa"))],
        [_Alternative(tested & ~d.count_ok, "error", "specimen_aggregation", _text(
            "test invalid: ", pl.col("count").cast(pl.String), " specimen(s) weighed, at "
            f"least {c.min_specimens} required"))],
        [_Alternative(tested & ~rows.resolved, "info", "measurement_uncertainty",
            "balance resolution not given, so the measurement uncertainty is not assessed; "
            "add weight_loss_test.balance_resolution_mg"),
         _Alternative(d.coarse, "warning", "balance_resolution", _text(
            "balance resolution ", pl.col("f_resolution"), " mg is coarser than ",
            col("f_allowed"), f" mg (the larger of {fmt(res.max_resolution_mg)} mg and "
            f"{fmt(res.max_resolution_percent_of_mass)} % of the lightest specimen); weigh "
            "with a finer balance"))],
        gains,
        [_Alternative(tested & d.passed, "info", "weight_loss_limit", _text(
            what, " ", pl.col(percent), f" % is {relation} the {limit} % limit")),
         _Alternative(tested & ~d.passed, "info", "weight_loss_limit", _text(
            what, " ", pl.col(percent), f" % is not {relation} the {limit} % limit", detail))],
        [_Alternative(d.doubtful, "warning", "measurement_uncertainty", _text(
            "the margin to the limit (", col("f_margin"), " %) is within the measurement "
            "uncertainty (± ", col("f_uncertainty"), " %): the outcome is not certain; weigh "
            "more specimens or use a finer balance"))],
        [_Alternative(solid & rows.not_inspected, "warning", "visual_check",
            "the opened cell was not inspected for visible liquid; the check is recommended "
            "because a non-volatile liquid (e.g. an ionic liquid) barely evaporates at "
            f"{fmt(r.test_temperature.temperature_c)} °C; set weight_loss_test.visible_liquid")],
        [_Alternative(branch == BY_LIQUID, "info", "classification_by_phases",
            "ions move only through liquid electrolyte (declared phases: liquid) → liquid "
            "battery"),
         _Alternative(branch == BY_HYBRID, "info", "classification_by_phases",
            "ions move through solid and liquid electrolyte (declared phases: solid, liquid) "
            "→ hybrid solid-liquid battery; calling it 'solid-state' or 'semi-solid' is a "
            "misclassification"),
         _Alternative(branch == NO_TEST, "error", "solid_state_requires_test",
            "declared all-solid, but there is no weight-loss test: solid-state cannot be "
            f"confirmed; run the vacuum weight-loss test ({conditions}) and add "
            "weight_loss_test to the dossier"),
         _Alternative(branch == SEEN_LIQUID, "error", "visual_check",
            "liquid was seen in the opened cell: ions can move through liquid electrolyte → "
            "hybrid solid-liquid battery, not solid-state"),
         _Alternative(branch == INVALID_TEST, "error", "solid_state_requires_test",
            "declared all-solid, but the weight-loss test is not valid (see the errors "
            "above): solid-state cannot be confirmed; repeat the test at " + conditions),
         _Alternative(branch == OVER_LIMIT, "error", "weight_loss_limit",
            f"the weight-loss rate exceeds the {limit} % limit, which shows volatile liquid "
            "electrolyte → hybrid solid-liquid battery, not solid-state"),
         _Alternative(branch == NO_VISUAL, "error", "visual_check",
            "the visual check of the opened cell is required by this rule set but was not "
            "recorded; inspect the opened cell and set weight_loss_test.visible_liquid"),
         _Alternative(branch == CONFIRMED, "info", "solid_state_requires_test",
            f"declared all-solid and the weight-loss test meets the {limit} % limit under "
            "valid conditions → solid-state battery")],
        [_Alternative(solid_declared, "info", "sub_classification",
                      _text("application ", declared, " as declared")),
         _Alternative(solid & ~solid_declared & rows.rated, "info", "application_ratio", _text(
            "application not declared; power/energy ratio ", pl.col("f_ratio"), " W/Wh is ",
            pl.when(col("high_power")).then(pl.lit("at or above")).otherwise(pl.lit("below")),
            f" {threshold} W/Wh → ", derived)),
         _Alternative(solid & ~solid_declared & ~rows.rated, "info", "sub_classification",
            "application not declared and no ratings given: the application axis stays open; "
            "declare application or add ratings (max_power_w, energy_1c_wh)")],
        [_Alternative(d.mismatch, "warning", "application_ratio", _text(
            "declared ", declared, ", but the power/energy ratio ", pl.col("f_ratio"),
            " W/Wh points to ", derived, f" (threshold {threshold} W/Wh); check the ratings "
            "or the declaration"))],
    ]


def assemble_findings(n: int, slots: list[_Slot], text: _Text) -> pa.Array:
    """The list<struct<severity, rule, message>> column from the slots.

    Each message is written once into a pool, for the rows that have it (a constant once
    in all). A matrix holds, per row and column, the pool index of the row's message there
    (-1: none); read row by row it is every row's findings in order, as dictionary indices.
    A repeated slot takes as many columns as a row has findings there at most.
    """
    widths = [1 if isinstance(slot, list) else max(1, int(np.bincount(
        slot.rows).max(initial=0))) for slot in slots]
    columns = np.cumsum([0, *widths])
    source = np.full((int(columns[-1]), n), -1, dtype=np.int32)  # column by column
    label = np.zeros((int(columns[-1]), n), dtype=np.int8)
    labels: dict[tuple[str, str], int] = {}
    pool: list[pl.Series | int] = []           # an int: the result of queries[int]
    queries: list[pl.LazyFrame] = []
    pooled = 0
    for k, slot in enumerate(slots):
        alternatives = [(np.flatnonzero(a.where), a.severity, a.rule, a.message)
                        for a in slot] if isinstance(slot, list) else [
            (slot.rows, slot.severity, slot.rule, slot.messages)]
        for where, severity, rule, message in alternatives:
            if not where.size:
                continue
            column = np.full(where.size, columns[k])
            if isinstance(slot, _Repeated):  # the j-th of a row goes to the slot's j-th column
                column += np.arange(where.size) - list_offsets(np.bincount(where, minlength=n))[
                    :-1][where]
            label[column, where] = labels.setdefault((severity, rule), len(labels))
            if isinstance(message, str):
                pool.append(pl.Series([message], dtype=pl.String))
                source[column, where] = pooled
                pooled += 1
                continue
            if isinstance(message, pl.Expr):
                names = message.meta.root_names()
                distinct = text.distinct(names, where)
                frame = distinct[0] if distinct else text.frame(names, where)
                queries.append(frame.lazy().select(message))
                pool.append(len(queries) - 1)
                if distinct:
                    source[column, where] = pooled + distinct[1]
                    pooled += distinct[0].height
                    continue
            else:
                pool.append(pl.Series(message).cast(pl.String))
            source[column, where] = pooled + np.arange(where.size)
            pooled += where.size
    by_row, label = np.ascontiguousarray(source.T), np.ascontiguousarray(label.T)
    present = by_row >= 0
    per_row = np.count_nonzero(present, axis=1).astype(np.int64)
    sequence, labelled = by_row[present], label[present]  # row by row, slot by slot

    written = pl.collect_all(queries)
    parts = [written[p].to_series() if isinstance(p, int) else p for p in pool]
    messages = (pl.concat(parts, rechunk=True).to_arrow().cast(pa.large_string()) if parts
                else pa.array([], pa.large_string()))
    pairs = list(labels) or [("", "")]
    label_index = pa.array(labelled.astype(np.int32))  # severity and rule share it
    findings = pa.StructArray.from_arrays([
        words([s for s, _ in pairs], label_index),
        words([r for _, r in pairs], label_index),
        pa.DictionaryArray.from_arrays(pa.array(sequence), messages),
    ], fields=list(FINDING_TYPE))
    return pa.LargeListArray.from_arrays(pa.array(list_offsets(per_row)), findings)
