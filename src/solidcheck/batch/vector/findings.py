"""The findings as data: every finding of every row in ``classify``'s order, each a message id
of the catalogue (``solidcheck.i18n``), its parameters as a JSON object, and the rule's
source and clause — no text is written here; ``batch.render`` writes it when asked.

A parameter's number is written as the shortest text that reads back as the same float
(Polars' float → string cast), so the parameters are exactly ``classify``'s floats."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from ...model import APPLICATIONS, Severity
from ...rules import Ruleset
from ...weightloss import exact
from .._exact import Bools, Floats, Ints
from .decision import BRANCHES, SOLID, Decision
from .inputs import Rows, list_offsets
from .results import FINDING_TYPE, words
from .shared import Shared

__all__ = ["assemble_findings", "branch_params", "finding_slots", "mass_gains",
           "param_columns"]

Params = pl.Expr | str  # a JSON object: an expression over the parameter frame, or constant


def _numbers(values: Floats) -> pl.Series:
    """Floats as JSON numbers that read back as the same floats."""
    return pl.Series(values, dtype=pl.Float64).cast(pl.String)


class _Columns:
    """The columns parameters are written from: per-row values, and numbers written as JSON
    — each written once, on the rows that show it, when a finding first asks for it; a number
    with few distinct values (an oven's set point) once per distinct value. A finding's frame
    holds just its columns, at just its rows."""

    def __init__(self) -> None:
        self.values: dict[str, np.ndarray | pa.Array] = {}
        self.numbers: dict[str, tuple[Floats, Bools]] = {}
        # name → (distinct texts, each shown row's text index, row → shown-row index)
        self.written: dict[str, tuple[pl.Series, Ints, Ints]] = {}

    def number(self, name: str, values: Floats, shown: Bools) -> None:
        self.numbers[name] = (values, shown)

    def _write(self, name: str) -> tuple[pl.Series, Ints, Ints]:
        if name not in self.written:
            values, shown = self.numbers[name]
            domain = np.flatnonzero(shown)
            place = np.full(shown.size, -1, dtype=np.int64)
            place[domain] = np.arange(domain.size)
            shown_values = values[domain]
            sample = shown_values[:: max(1, shown_values.size // 1024)]
            if shown_values.size > 4096 and np.unique(sample).size < sample.size // 4:
                # by bit pattern, so that -0.0 stays apart from 0.0
                bits, index = np.unique(shown_values.view(np.int64), return_inverse=True)
                self.written[name] = (_numbers(bits.view(np.float64)),
                                      index.astype(np.int64), place)
            else:
                self.written[name] = (_numbers(shown_values), np.arange(domain.size), place)
        return self.written[name]

    def distinct(self, names: Sequence[str], rows: Ints) -> tuple[pl.DataFrame, Ints] | None:
        """For parameters of one number with few distinct values: the frame of its distinct
        texts and, per row, which one it shows (so the JSON is written once per value);
        None otherwise."""
        if len(names) != 1 or names[0] not in self.numbers:
            return None
        texts, index, place = self._write(names[0])
        if texts.len() * 4 > rows.size:
            return None
        return pl.DataFrame({names[0]: texts}), index[place[rows]]

    def frame(self, names: Sequence[str], rows: Ints) -> pl.DataFrame:
        columns: dict[str, pl.Series] = {}
        for name in names:
            if name in self.numbers:
                texts, index, place = self._write(name)
                columns[name] = texts.gather(index[place[rows]])
            else:
                value = self.values[name]
                columns[name] = pl.Series(name, value.take(pa.array(rows)) if isinstance(
                    value, pa.Array) else value[rows])
        return pl.DataFrame(columns)


def _json(**fields: pl.Expr | float | int | str) -> Params:
    """A JSON object of these fields: an expression yields its value's JSON text; a Python
    value is a constant."""
    parts: list[pl.Expr | str] = []
    for number, (name, value) in enumerate(fields.items()):
        parts.append(("{" if number == 0 else ",") + json.dumps(name) + ":")
        parts.append(value if isinstance(value, pl.Expr) else json.dumps(value))
    parts.append("}" if fields else "{}")
    if all(isinstance(p, str) for p in parts):
        return "".join(str(p) for p in parts)
    joined: list[pl.Expr] = []
    for part in parts:  # adjacent constants as one literal
        joined.append(pl.lit(part) if isinstance(part, str) else part)
    return pl.concat_str(joined)


def _quoted(expr: pl.Expr) -> pl.Expr:
    """A string column as JSON strings (the words here need no escaping)."""
    return pl.concat_str([pl.lit('"'), expr, pl.lit('"')])


@dataclass(frozen=True)
class _Alternative:
    """A finding that rows matching ``where`` get at one place of their list."""

    where: Bools
    severity: Severity
    rule: str
    message_id: str
    params: Params


@dataclass(frozen=True)
class _Repeated:
    """Findings a row may have several of at one place (one per specimen), in row order."""

    rows: Ints
    severity: Severity
    rule: str
    message_id: str
    params: pa.Array


_Slot = list[_Alternative] | _Repeated


def mass_gains(rows: Rows, shared: Shared) -> _Repeated:
    """The mass-gain warnings, one per specimen that gained mass (any rule set)."""
    index = np.flatnonzero(rows.m1 > rows.m0)  # the decimals compare as the floats do
    params = pl.DataFrame({
        "place": rows.place[index] + 1,
        "rate": _numbers(shared.rate_float[index]),
    }).select(_json(specimen=pl.col("place").cast(pl.String), rate=pl.col("rate"))).to_series()
    return _Repeated(rows.parent[index], "warning", "mass_gain", "weight_loss.mass_gain",
                     params.to_arrow())


def param_columns(rows: Rows, shared: Shared, decisions: list[Decision]) -> _Columns:
    """The columns parameters are written from, shared and per rule set (``<j>:name``)."""
    tested = rows.tested
    columns = _Columns()
    columns.values |= {"application": rows.application, "count": rows.count}
    columns.number("f_fraction", rows.fraction, rows.just_solid & (rows.fraction > 0))
    columns.number("f_temperature", rows.temperature, tested)
    columns.number("f_duration", rows.duration, tested)
    columns.number("f_pressure", rows.pressure, tested)
    columns.number("f_resolution", rows.resolution, rows.resolved)
    columns.number("f_ratio", shared.ratio_float, rows.rated)
    for j, d in enumerate(decisions):
        columns.values |= {f"{j}:above": d.above, f"{j}:worst": d.worst,
                           f"{j}:failing": d.failing, f"{j}:high_power": d.derived_high_power}
        columns.number(f"{j}:f_distance", d.distance, tested & ~d.temperature_ok)
        columns.number(f"{j}:f_short", d.short, tested & ~d.duration_ok)
        columns.number(f"{j}:f_excess", d.excess, tested & ~d.pressure_ok)
        columns.number(f"{j}:f_allowed", d.allowed, d.coarse)
        columns.number(f"f_percent_{'mean' if d.constants.mean else 'max'}", d.percent, tested)
        columns.number(f"{j}:f_margin", d.margin, d.doubtful)
        columns.number(f"{j}:f_uncertainty", d.uncertainty, d.doubtful)
    return columns


def branch_params(name: str, ruleset: Ruleset) -> dict[str, float]:
    """The parameters of a decision branch's message: constants of the rule set."""
    r = ruleset.rules
    if name in ("no_test", "invalid_test"):
        return {"temperature": float(r.test_temperature.temperature_c),
                "duration": float(r.test_duration.min_duration_h),
                "pressure": float(r.test_pressure.max_pressure_pa)}
    if name in ("over_limit", "solid_state"):
        return {"limit": float(r.weight_loss_limit.limit_percent)}
    return {}


def finding_slots(j: int, rows: Rows, d: Decision, gains: _Repeated) -> list[_Slot]:
    """The findings of rule set ``j`` in classify's order: the places of a row's list, each
    with its mutually exclusive alternatives."""
    c = d.constants
    r = c.ruleset.rules

    def col(name: str) -> pl.Expr:
        return pl.col(f"{j}:{name}")

    tested, solid = rows.tested, d.category == SOLID
    set_c, tol_c = r.test_temperature.temperature_c, r.test_temperature_tolerance.tolerance_c
    set_point, tolerance = float(set_c), float(tol_c)
    min_h, max_pa = float(r.test_duration.min_duration_h), float(r.test_pressure.max_pressure_pa)
    limit = float(r.weight_loss_limit.limit_percent)
    relation = r.weight_loss_limit.comparison
    res = r.balance_resolution
    threshold = float(r.application_ratio.high_power_min_ratio_w_per_wh)
    derived = pl.when(col("high_power")).then(pl.lit('"high_power"')).otherwise(
        pl.lit('"high_energy"'))
    declared = _quoted(pl.col("application").replace_strict(
        dict(enumerate(APPLICATIONS)), default=None, return_dtype=pl.String))
    rate = pl.col(f"f_percent_{'mean' if c.mean else 'max'}")  # the same in every such set
    failing = pl.concat_str([pl.lit("["), col("failing").list.eval(pl.concat_str([
        pl.lit('"'), pl.element().cast(pl.String), pl.lit('"')])).list.join(","), pl.lit("]")])
    which: dict[str, pl.Expr | float | int | str] = (
        {"specimens": pl.col("count").cast(pl.String)} if c.mean
        else {"specimen": col("worst").cast(pl.String)})
    outcome: dict[str, pl.Expr | float | int | str] = dict(which, rate=rate, limit=limit,
                                                           relation=relation)
    kind = "mean" if c.mean else "largest"
    bound_above, bound_below = (float(exact(set_c) + exact(tol_c)),
                                float(exact(set_c) - exact(tol_c)))
    outside: dict[str, pl.Expr | float | int | str] = {
        "temperature": pl.col("f_temperature"), "set_point": set_point,
        "tolerance": tolerance, "excess": col("f_distance")}
    fails: list[_Alternative]
    if c.mean:
        fails = [_Alternative(tested & ~d.passed & (_lengths(d.failing) == 0), "info",
                              "weight_loss_limit", "weight_loss.mean_fails", _json(**outcome)),
                 _Alternative(tested & ~d.passed & (_lengths(d.failing) > 0), "info",
                              "weight_loss_limit", "weight_loss.mean_fails_with_specimens",
                              _json(**outcome, failing=failing))]
    else:
        fails = [_Alternative(tested & ~d.passed, "info", "weight_loss_limit",
                              "weight_loss.largest_fails", _json(**outcome, failing=failing))]
    solid_declared = solid & (rows.application >= 0)
    ratio = pl.col("f_ratio")
    decision = [_Alternative(d.branch == number, b.severity, b.rule, b.message_id,
                             _json(**branch_params(b.name, c.ruleset)))
                for number, b in enumerate(BRANCHES)]
    return [
        [_Alternative(rows.just_solid & (rows.fraction > 0), "warning",
                      "declared_liquid_fraction", "decision.declared_liquid_fraction",
                      _json(fraction=pl.col("f_fraction")))],
        [_Alternative(d.temperature_ok, "info", "test_temperature",
                      "weight_loss.temperature_within", _json(
                          temperature=pl.col("f_temperature"), set_point=set_point,
                          tolerance=tolerance)),
         _Alternative(tested & ~d.temperature_ok & d.above, "error",
                      "test_temperature_tolerance", "weight_loss.temperature_above",
                      _json(**outside, bound=bound_above)),
         _Alternative(tested & ~d.temperature_ok & ~d.above, "error",
                      "test_temperature_tolerance", "weight_loss.temperature_below",
                      _json(**outside, bound=bound_below))],
        [_Alternative(d.duration_ok, "info", "test_duration", "weight_loss.duration_met",
                      _json(duration=pl.col("f_duration"), minimum=min_h)),
         _Alternative(tested & ~d.duration_ok, "error", "test_duration",
                      "weight_loss.duration_short", _json(
                          duration=pl.col("f_duration"), shortfall=col("f_short"),
                          minimum=min_h))],
        [_Alternative(d.pressure_ok, "info", "test_pressure", "weight_loss.pressure_within",
                      _json(pressure=pl.col("f_pressure"), limit=max_pa)),
         _Alternative(tested & ~d.pressure_ok, "error", "test_pressure",
                      "weight_loss.pressure_over", _json(
                          pressure=pl.col("f_pressure"), limit=max_pa,
                          excess=col("f_excess")))],
        [_Alternative(tested & ~d.count_ok, "error", "specimen_aggregation",
                      "weight_loss.too_few_specimens", _json(
                          weighed=pl.col("count").cast(pl.String),
                          required=c.min_specimens))],
        [_Alternative(tested & ~rows.resolved, "info", "measurement_uncertainty",
                      "weight_loss.resolution_unknown", _json()),
         _Alternative(d.coarse, "warning", "balance_resolution",
                      "weight_loss.resolution_coarse", _json(
                          resolution=pl.col("f_resolution"), allowed=col("f_allowed"),
                          floor=float(res.max_resolution_mg),
                          share=float(res.max_resolution_percent_of_mass)))],
        gains,
        [_Alternative(tested & d.passed, "info", "weight_loss_limit",
                      f"weight_loss.{kind}_meets", _json(**outcome)), *fails],
        [_Alternative(d.doubtful, "warning", "measurement_uncertainty",
                      "weight_loss.margin_uncertain", _json(
                          margin=col("f_margin"), uncertainty=col("f_uncertainty")))],
        [_Alternative(solid & rows.not_inspected, "warning", "visual_check",
                      "decision.visual_check_recommended", _json(temperature=set_point))],
        decision,
        [_Alternative(solid_declared, "info", "sub_classification", "application.declared",
                      _json(application=declared)),
         _Alternative(solid & ~solid_declared & rows.rated & ~d.derived_high_power, "info",
                      "application_ratio", "application.by_ratio_below", _json(
                          ratio=ratio, threshold=threshold, derived=derived)),
         _Alternative(solid & ~solid_declared & rows.rated & d.derived_high_power, "info",
                      "application_ratio", "application.by_ratio_at_least", _json(
                          ratio=ratio, threshold=threshold, derived=derived)),
         _Alternative(solid & ~solid_declared & ~rows.rated, "info", "sub_classification",
                      "application.open", _json())],
        [_Alternative(d.mismatch, "warning", "application_ratio",
                      "application.ratio_disagrees", _json(
                          declared=declared, ratio=ratio, derived=derived,
                          threshold=threshold))],
    ]


def _lengths(lists: pa.Array) -> Ints:
    offsets = np.asarray(lists.offsets)
    return np.diff(offsets)


@dataclass(frozen=True)
class _Label:
    severity: str
    rule: str
    message_id: str
    source: str
    clause: str | None


def assemble_findings(n: int, slots: list[_Slot], columns: _Columns,
                      ruleset: Ruleset) -> pa.Array:
    """The list<struct<severity, rule, message_id, params, source, clause>> column, built
    from flat arrays: no per-row work in Python and no row × slot matrix.

    Each row's count of findings gives the list offsets; walking the slots in classify's
    order, every finding's place is its row's offset plus the findings the row already has.
    Each parameter object is written once into a pool, for the rows that have it (a constant
    or a value with few distinct texts once in all), and the flat ``params`` is the pool
    taken at those places. Severity, rule, id, source and clause share one index per finding.
    """
    alternatives: list[tuple[Ints, bool, Severity, str, str, Params | pa.Array]] = []
    per_row = np.zeros(n, dtype=np.int64)
    for slot in slots:
        if isinstance(slot, _Repeated):
            if slot.rows.size:
                alternatives.append((slot.rows, True, slot.severity, slot.rule,
                                     slot.message_id, slot.params))
                per_row += np.bincount(slot.rows, minlength=n)
            continue
        for a in slot:
            where = np.flatnonzero(a.where)
            if where.size:
                alternatives.append((where, False, a.severity, a.rule, a.message_id,
                                     a.params))
                per_row[where] += 1
    offsets = list_offsets(per_row)
    total = int(offsets[-1])
    filled = offsets[:-1].copy()                  # the next free place of each row
    label = np.empty(total, dtype=np.int32)       # place → label index
    pool_index = np.empty(total, dtype=np.int64)  # place → pool entry
    labels: dict[_Label, int] = {}
    pool: list[pl.Series | int] = []              # an int: the result of queries[int]
    queries: list[pl.LazyFrame] = []
    pooled = 0
    for where, repeated, severity, rule, message_id, params in alternatives:
        if repeated:  # several at one row (rows ascending): the j-th of a row goes j-th
            counts = np.bincount(where, minlength=n)
            places = filled[where] + np.arange(where.size) - list_offsets(counts)[where]
            filled += counts
        else:
            places = filled[where]
            filled[where] += 1
        cited = ruleset.rule(rule)
        key = _Label(severity, rule, message_id, cited.provenance, cited.reference)
        label[places] = labels.setdefault(key, len(labels))
        if isinstance(params, str):
            pool.append(pl.Series([params], dtype=pl.String))
            pool_index[places] = pooled
            pooled += 1
            continue
        if isinstance(params, pl.Expr):
            names = params.meta.root_names()
            distinct = columns.distinct(names, where)
            frame = distinct[0] if distinct else columns.frame(names, where)
            queries.append(frame.lazy().select(params))
            pool.append(len(queries) - 1)
            if distinct:
                pool_index[places] = pooled + distinct[1]
                pooled += distinct[0].height
                continue
        else:
            pool.append(pl.Series(params).cast(pl.String))
        pool_index[places] = pooled + np.arange(where.size)
        pooled += where.size

    written = pl.collect_all(queries)
    parts = [written[p].to_series() if isinstance(p, int) else p for p in pool]
    params_text = (pl.concat(parts, rechunk=True).to_arrow().cast(pa.large_string()) if parts
                   else pa.array([], pa.large_string()))
    keys = list(labels) or [_Label("", "", "", "", None)]
    clauses = [k.clause or "" for k in keys]
    has_clause = np.array([k.clause is not None for k in keys])[label]
    findings = pa.StructArray.from_arrays([
        words([k.severity for k in keys], label),
        words([k.rule for k in keys], label),
        words([k.message_id for k in keys], label),
        params_text.take(pa.array(pool_index)),  # plain: most differ, and Parquet writes
                                                 # plain strings faster than a dictionary
        words([k.source for k in keys], label),
        words(clauses, label, has_clause),
    ], fields=list(FINDING_TYPE))
    return pa.LargeListArray.from_arrays(pa.array(offsets), findings)
