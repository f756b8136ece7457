"""The vectorised classifier: a dossier table in, the results of several rule sets out.

``classify_table(table, rulesets)`` gives, for every row and rule set, the same values as
``classify(dossier, ruleset)`` — category, sub-axes, application and its basis, the
power/energy ratio, the weight-loss rate, pass, validity, margin and uncertainty, the code
and every finding with its message, character for character. It is driven by the same
rule-set data (limits, comparison and rounding, aggregation, conditions, the visual check),
so a new rule-set file needs no code here.

How it stays exact (docs/architecture.md, "Principles that hold"):

- every input is taken as the decimal it was written as, in double-double arithmetic with an
  error bound (``_exact``); a float result is used only when it is proved to be the
  correctly rounded value ``float(Fraction)`` gives, and a comparison only when its sign is
  proved — or, for an exact tie such as a rate of exactly 0.5 %, when the difference is
  below the smallest nonzero difference the inputs' decimals allow;
- a comparison of an input with a rule-set constant is a float comparison with the float
  that separates the decimals (rounding to nearest is monotone), so it is exact outright;
- the uncertainty is computed with the same float operations as ``weightloss.py``, in the
  same order (``math.hypot`` is reproduced operation for operation, ``x**2`` is libm's
  ``pow``), so it is the same float;
- whatever is not proved — results within ~1e-30 of a midpoint or a limit, differences of
  17-digit decimals that cancel, numbers beyond 1e±250, a mean of rates that
  cancels exactly — is classified row by row with ``classify`` itself.

Messages are built with Polars string expressions from the numbers formatted the way
``fmt`` formats them (``_format``).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ..classify import classify
from ..code import CodeFields, encode_code
from ..errors import DossierError, Problem
from ..model import (
    APPLICATIONS,
    CATEGORIES,
    IONS,
    MAX_SPECIMENS,
    SOLID_TYPES,
    Application,
    Result,
)
from ..rules import Ruleset
from ..weightloss import exact, fmt
from ._exact import (
    HUGE,
    REL,
    TINY,
    Bools,
    Floats,
    Ints,
    closest_double_at_least,
    closest_double_at_most,
    dd_add,
    dd_const,
    dd_div,
    dd_mul,
    dd_mul_d,
    decimal_lo,
    decimal_quantum,
    fraction_quantum,
    granule,
    rounded,
    two_prod,
)
from ._format import format_g6
from .table import MAX_REPORTED_ROWS, capped, conform, table_to_dossiers

__all__ = ["FINDING_TYPE", "RESULT_FIELDS", "WORDS", "classify_table", "result_row",
           "results_schema", "rows_decided_one_by_one", "table_problems"]

WORDS = pa.dictionary(pa.int32(), pa.large_string())
"""Strings that repeat (a category, a code, a rule, most messages) are dictionary-encoded:
each distinct text is stored once per batch, which makes the output several times smaller
and spares copying every message into place."""
FINDING_TYPE = pa.struct([pa.field("severity", WORDS), pa.field("rule", WORDS),
                          pa.field("message", WORDS)])
RESULT_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("category", WORDS),
    ("electrolyte_type", WORDS),
    ("conducting_ion", WORDS),
    ("application", WORDS),
    ("application_basis", WORDS),
    ("power_energy_ratio_w_per_wh", pa.float64()),
    ("weight_loss.percent", pa.float64()),
    ("weight_loss.passed", pa.bool_()),
    ("weight_loss.conditions_valid", pa.bool_()),
    ("weight_loss.margin_percent", pa.float64()),
    ("weight_loss.uncertainty_percent", pa.float64()),
    ("code", WORDS),
    ("findings", pa.large_list(FINDING_TYPE)),
)
"""The result columns of one rule set (prefixed ``<rule-set id>.`` when there are several)."""

_LIQUID, _HYBRID, _SOLID, _UNDETERMINED = (CATEGORIES.index(c) for c in (
    "liquid", "hybrid_solid_liquid", "solid_state", "undetermined"))
# Which branch of classify._decide settled the category (one message each).
(_BY_LIQUID, _BY_HYBRID, _NO_TEST, _SEEN_LIQUID, _INVALID_TEST, _OVER_LIMIT, _NO_VISUAL,
 _CONFIRMED) = range(8)
_TWO_SQRT3 = 2 * math.sqrt(3)
_GAIN_ADVICE = ("check the weighing and that the specimen did not take up moisture after "
                "drying")


def results_schema(ruleset_ids: Sequence[str], *, findings: bool = True) -> pa.Schema:
    """The schema of ``classify_table``'s output for these rule sets, in this order."""
    prefix = len(ruleset_ids) > 1
    fields = [pa.field("id", pa.string())]
    for rid in ruleset_ids:
        fields += [pa.field(f"{rid}.{name}" if prefix else name, kind)
                   for name, kind in RESULT_FIELDS if findings or name != "findings"]
    return pa.schema(fields)


def classify_table(table: pa.Table | pa.RecordBatch, rulesets: Sequence[Ruleset], *,
                   findings: bool = True, first_row: int = 1) -> pa.Table:
    """Classify every row of a dossier table (docs/batch.md) under every rule set.

    One output row per input row, in order; the columns of :data:`RESULT_FIELDS` for each
    rule set side by side. ``findings=False`` leaves out the findings, which take most of
    the time (their messages), when only the outcome is wanted — what changes when one
    rule set replaces another.

    The table is read in the dossier table's schema (``table.conform``: Polars' or pandas'
    types are cast, absent optional columns are null). A row that is not a valid dossier
    raises one DossierError for all of them, rows numbered from ``first_row`` (a batch's
    place in a stream); nothing is classified then.
    """
    rules = list(rulesets)
    if not rules:
        raise ValueError("classify_table needs at least one rule set")
    table = conform(table, source="dossier table", first_row=first_row)
    schema = results_schema([r.id for r in rules], findings=findings)
    rows = _Rows.read(table)
    problems = _invalid_rows(table, rows, first_row)
    if problems:
        raise DossierError(problems, source="dossier table")
    shared = _Shared.compute(rows)
    decisions = [_Decision.compute(rows, shared, _Constants.of(r)) for r in rules]
    unproved = np.zeros(rows.n, dtype=bool)
    for decision in decisions:
        unproved |= decision.unproved
    columns: list[pa.Array] = [rows.ids]
    if findings:
        text = _columns(rows, shared, decisions)
        gains = _mass_gains(rows, shared)
    for j, decision in enumerate(decisions):
        columns += _result_columns(rows, shared, decision)
        if findings:
            columns.append(_assemble(rows.n, _slots(j, rows, decision, gains), text))
    out = pa.Table.from_arrays(columns, schema=schema)
    flagged = np.flatnonzero(unproved)
    if flagged.size:
        out = _with_exact_rows(out, table, flagged, rules, schema)
    return out


def rows_decided_one_by_one(table: pa.Table | pa.RecordBatch,
                            rulesets: Sequence[Ruleset]) -> Ints:
    """The rows ``classify_table`` hands to ``classify`` because their exact result is not
    proved in vectorised arithmetic (for benchmarks and tests: it should be almost none)."""
    rows = _Rows.read(conform(table))
    shared = _Shared.compute(rows)
    unproved = np.zeros(rows.n, dtype=bool)
    for ruleset in rulesets:
        unproved |= _Decision.compute(rows, shared, _Constants.of(ruleset)).unproved
    return np.flatnonzero(unproved)


# --- the input columns ---------------------------------------------------------------------

def _floats(column: pa.ChunkedArray | pa.Array) -> tuple[Floats, Bools]:
    """A float column as values (NaN where null) and validity."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    values = pc.fill_null(array.cast(pa.float64()), math.nan).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64), np.asarray(valid, dtype=bool)


def _codes(column: pa.ChunkedArray, values: Sequence[str]) -> Ints:
    """A string column as the index of each value in ``values``, -1 where null."""
    index = pc.index_in(column.combine_chunks(), value_set=pa.array(list(values)))
    return np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _offsets(lengths: Ints) -> Ints:
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


@dataclass(frozen=True)
class _Rows:
    """The columns the decision reads, as numpy arrays (one entry per row, or per specimen
    for ``m0``/``m1``, whose row is ``parent``)."""

    n: int
    ids: pa.Array
    solid_only: Bools          # phases == {solid}
    liquid_only: Bools
    just_solid: Bools          # phases == ["solid"], as classify's declaration check reads it
    phases_ok: Bools           # 1–2 phases, each solid or liquid, none twice
    solids: Ints               # how often "solid" is among the phases
    solid_type: Ints
    ion: Ints
    application: Ints          # index in APPLICATIONS, -1 when not declared
    fraction: Floats
    power: Floats
    energy: Floats
    rated: Bools
    tested: Bools
    temperature: Floats
    duration: Floats
    pressure: Floats
    seen_liquid: Bools         # visible_liquid is True
    not_inspected: Bools       # visible_liquid is null
    resolution: Floats
    resolved: Bools            # balance_resolution_mg given
    count: Ints
    offsets: Ints
    parent: Ints
    place: Ints                # 0-based place of the specimen in its row
    m0: Floats
    m1: Floats

    @classmethod
    def read(cls, table: pa.Table) -> _Rows:
        n = table.num_rows
        phases = table.column("electrolyte.phases").combine_chunks()
        lengths = np.asarray(pc.fill_null(pc.list_value_length(phases), 0)
                             .to_numpy(zero_copy_only=False), dtype=np.int64)
        flat = phases.flatten()
        phase_parent = np.repeat(np.arange(n), lengths)
        solids = np.bincount(phase_parent[_is(flat, "solid")], minlength=n)
        liquids = np.bincount(phase_parent[_is(flat, "liquid")], minlength=n)
        has_solid, has_liquid = solids > 0, liquids > 0

        fraction, _ = _floats(table.column("electrolyte.liquid_fraction_wt_percent"))
        power, rated = _floats(table.column("ratings.max_power_w"))
        energy, _ = _floats(table.column("ratings.energy_1c_wh"))
        temperature, tested = _floats(table.column("weight_loss_test.temperature_c"))
        duration, _ = _floats(table.column("weight_loss_test.duration_h"))
        pressure, _ = _floats(table.column("weight_loss_test.pressure_pa"))
        resolution, resolved = _floats(table.column("weight_loss_test.balance_resolution_mg"))
        visible = table.column("weight_loss_test.visible_liquid").combine_chunks()
        seen = np.asarray(pc.fill_null(visible, False).to_numpy(zero_copy_only=False), bool)
        not_inspected = np.asarray(visible.is_null().to_numpy(zero_copy_only=False), bool)

        specimens = table.column("weight_loss_test.specimens").combine_chunks()
        count = np.asarray(pc.fill_null(pc.list_value_length(specimens), 0)
                           .to_numpy(zero_copy_only=False), dtype=np.int64)
        offsets = _offsets(count)  # a valid row has specimens exactly when it has a test
        parent = np.repeat(np.arange(n), count)
        structs = specimens.flatten()
        m0, _ = _floats(structs.field("mass_before_g"))
        m1, _ = _floats(structs.field("mass_after_g"))
        return cls(
            n=n, ids=table.column("id").combine_chunks().cast(pa.string()),
            solid_only=has_solid & ~has_liquid, liquid_only=has_liquid & ~has_solid,
            just_solid=has_solid & ~has_liquid & (lengths == 1),
            phases_ok=(lengths >= 1) & (solids <= 1) & (liquids <= 1)
            & (solids + liquids == lengths), solids=solids,
            solid_type=_codes(table.column("electrolyte.solid_type"), SOLID_TYPES),
            ion=_codes(table.column("conducting_ion"), IONS),
            application=_codes(table.column("application"), APPLICATIONS),
            fraction=fraction, power=power, energy=energy, rated=rated, tested=tested,
            temperature=temperature, duration=duration, pressure=pressure,
            seen_liquid=seen & tested, not_inspected=not_inspected & tested,
            resolution=resolution, resolved=resolved & tested, count=count, offsets=offsets,
            parent=parent, place=np.arange(parent.size) - offsets[:-1][parent], m0=m0, m1=m1)


def _maybe_invalid(table: pa.Table, rows: _Rows) -> Bools:
    """Rows that may not be valid dossiers: every rule of the Dossier model checked on the
    columns, erring towards suspicion (such rows are then validated as dossiers). The
    evidence column is not read by the classification and not checked here."""
    def null(name: str) -> Bools:
        return np.asarray(table.column(name).is_null().to_numpy(zero_copy_only=False), bool)

    def outside(values: Floats, low: float, high: float, *, low_open: bool = False) -> Bools:
        with np.errstate(invalid="ignore"):
            too_low = values <= low if low_open else values < low
            return np.asarray(~np.isfinite(values) | too_low | (values > high), dtype=bool)

    ids = table.column("id").combine_chunks()
    id_length = np.asarray(pc.fill_null(pc.utf8_length(ids), 0).to_numpy(
        zero_copy_only=False), dtype=np.int64)
    blank = np.asarray(pc.fill_null(pc.match_substring_regex(  # what str.strip() removes
        ids, r"^[\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]*$"), True).to_numpy(
        zero_copy_only=False), bool)
    bad = (id_length < 1) | (id_length > 200) | blank

    bad |= ~rows.phases_ok
    has_solid_type = ~null("electrolyte.solid_type")
    bad |= (rows.solid_type < 0) & has_solid_type
    bad |= (rows.solids > 0) != has_solid_type
    bad |= outside(rows.fraction, 0.0, 100.0) & ~null("electrolyte.liquid_fraction_wt_percent")
    bad |= rows.ion < 0
    bad |= (rows.application < 0) & ~null("application")

    rated = rows.rated
    bad |= rated != ~null("ratings.energy_1c_wh")
    bad |= rated & (outside(rows.power, 0.0, 1e9, low_open=True)
                    | outside(rows.energy, 0.001, 1e9))
    tested = rows.tested
    bad |= tested != ~null("weight_loss_test.duration_h")
    bad |= tested != ~null("weight_loss_test.pressure_pa")
    bad |= tested & (outside(rows.temperature, -273.15, 2000.0)
                     | outside(rows.duration, 0.0, 10_000.0)
                     | outside(rows.pressure, 0.0, 10_000_000.0))
    bad |= rows.resolved & outside(rows.resolution, 0.0, 1e8, low_open=True)
    bad |= ~tested & (~null("weight_loss_test.balance_resolution_mg")
                      | ~null("weight_loss_test.visible_liquid"))
    bad |= tested != (rows.count > 0)
    bad |= rows.count > MAX_SPECIMENS
    bad |= ~tested & ~null("weight_loss_test.specimens")
    specimen_bad = outside(rows.m0, 0.001, 100_000.0) | outside(rows.m1, 0.0, 100_000.0)
    bad[rows.parent[specimen_bad]] = True
    return np.asarray(bad, dtype=bool)


def table_problems(table: pa.Table | pa.RecordBatch, *, first_row: int = 1) -> list[Problem]:
    """Every problem of the rows that are not valid dossiers (none if all are), numbered
    from ``first_row``: what ``classify_table`` would refuse, at a fraction of its cost."""
    try:
        table = conform(table, source="dossier table", first_row=first_row)
    except DossierError as exc:
        return list(exc.problems)
    return _invalid_rows(table, _Rows.read(table), first_row)


def _invalid_rows(table: pa.Table, rows: _Rows, first_row: int) -> list[Problem]:
    """The suspect rows validated as dossiers; the problems of the invalid ones."""
    problems: list[Problem] = []
    invalid = 0
    for row in np.flatnonzero(_maybe_invalid(table, rows)).tolist():
        try:
            list(table_to_dossiers(table.slice(row, 1), first_row=first_row + row))
        except DossierError as exc:
            invalid += 1
            if invalid <= MAX_REPORTED_ROWS:
                problems += exc.problems
    return capped(problems, invalid)


def _is(strings: pa.Array, value: str) -> Bools:
    return np.asarray(pc.fill_null(pc.equal(strings, value), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)


# --- what every rule set shares: exact rates, ratio, the deciding rate ----------------------

@dataclass(frozen=True)
class _Exact:
    """A quantity as a double-double with an absolute error bound."""

    hi: Floats
    lo: Floats
    err: Floats

    def take(self, index: Ints) -> _Exact:
        return _Exact(self.hi[index], self.lo[index], self.err[index])


# A lower bound on |x − c| where it is not zero, for the rows given: what proves a tie.
_Granularity = Callable[[Ints], Floats]


@dataclass(frozen=True)
class _Aggregate:
    """The deciding rate of each row (the largest specimen rate, or the mean), which does
    not depend on the rule set beyond its aggregation."""

    deciding: _Exact           # 0 where a row has no specimens
    percent: Floats            # float(deciding)
    u_std: Floats              # standard uncertainty before the coverage factor
    worst: Ints                # 1-based place of the largest rate (0 for the mean)
    unsure: Bools
    # the deciding specimen of each row, for the granularity of deciding − c (plain data,
    # not a closure over the _Shared holding this: a cycle would keep every batch's arrays
    # alive until the garbage collector ran); None: nothing proves a tie (a mean)
    specimens: Ints | None


@dataclass(frozen=True)
class _Shared:
    """What every rule set reads: exact specimen rates and power/energy ratio (with their
    floats and whether those are proved), the lightest specimen, and the deciding rate."""

    rows: _Rows
    m0_lo: Floats
    m1_lo: Floats
    rate: _Exact               # per specimen, percent
    rate_float: Floats
    rate_proved: Bools
    ratio: _Exact              # 1 where a row has no ratings
    ratio_float: Floats
    ratio_proved: Bools
    lightest: Floats           # smallest mass_before_g of each tested row
    tiny: Bools                # a number outside TINY … HUGE: decided by classify
    aggregates: dict[bool, _Aggregate]  # by "mean", computed when first asked

    @classmethod
    def compute(cls, rows: _Rows) -> _Shared:
        m0_lo, m1_lo = decimal_lo(rows.m0), decimal_lo(rows.m1)
        dh, dl = dd_add(rows.m0, m0_lo, -rows.m1, -m1_lo)
        qh, ql = dd_div(dh, dl, rows.m0, m0_lo)
        rh, rl = dd_mul_d(qh, ql, 100.0)
        same = rows.m0 == rows.m1  # the same decimal: a rate of exactly 0
        err = np.where(same, 0.0, REL * 100 * (rows.m0 + rows.m1) / rows.m0)
        rate = _Exact(rh, rl, err)
        rate_float, rate_proved = rounded(rh, rl, err)

        rated = rows.rated
        p = np.where(rated, rows.power, 1.0)
        e = np.where(rated, rows.energy, 1.0)
        rah, ral = dd_div(p, decimal_lo(p), e, decimal_lo(e))
        ratio = _Exact(rah, ral, REL * np.abs(rah))
        ratio_float, ratio_proved = rounded(rah, ral, ratio.err)

        lightest = np.full(rows.n, np.nan)
        has = np.flatnonzero(rows.count > 0)
        if has.size:
            lightest[has] = np.minimum.reduceat(rows.m0, rows.offsets[has])
        tiny = np.zeros(rows.n, dtype=bool)
        for values in (rows.power, rows.energy, rows.temperature, rows.duration,
                       rows.pressure, rows.resolution):
            tiny |= _is_tiny(values)
        tiny[rows.parent[_is_tiny(rows.m0) | _is_tiny(rows.m1)]] = True
        return cls(rows=rows, m0_lo=m0_lo, m1_lo=m1_lo, rate=rate, rate_float=rate_float,
                   rate_proved=rate_proved, ratio=ratio, ratio_float=ratio_float,
                   ratio_proved=ratio_proved | ~rated, lightest=lightest, tiny=tiny,
                   aggregates={})

    def rate_granularity(self, specimens: Ints, const: _Const) -> Floats:
        """Lower bound on |rate − c| when not zero, for these specimens: the numerator of
        100 (m0 − m1) / m0 − c is a whole multiple of 10**min(q0, q1, qc + q0)."""
        m0 = self.rows.m0[specimens]
        q0, q1 = decimal_quantum(m0), decimal_quantum(self.rows.m1[specimens])
        return granule(np.minimum(np.minimum(q0, q1), const.quantum + q0)) / m0

    def aggregate(self, mean: bool) -> _Aggregate:
        if mean not in self.aggregates:
            self.aggregates[mean] = _mean(self) if mean else _largest(self)
        return self.aggregates[mean]


def _is_tiny(values: Floats) -> Bools:
    with np.errstate(invalid="ignore"):
        return np.asarray((values != 0) & ((np.abs(values) < TINY) | (np.abs(values) >= HUGE)),
                          dtype=bool)


def _compare(value: _Exact, const: _Const, granularity: _Granularity | None,
             ) -> tuple[Ints, Bools]:
    """The sign of ``value − const`` and whether it is proved.

    Far from the constant the floats decide (``hi`` is within an ulp of the value); near it
    the double-double difference does, and within its error bound ``granularity`` (a lower
    bound on a nonzero difference, from the decimals' quanta) proves an exact zero."""
    d = value.hi - const.hi
    bound = 2.0**-50 * (np.abs(value.hi) + abs(const.hi)) + value.err
    sign = np.sign(d).astype(np.int64)
    proved = np.abs(d) > bound
    near = np.flatnonzero(~proved)
    if near.size:
        v = value.take(near)
        dh, dl = dd_add(v.hi, v.lo, np.full(near.size, -const.hi),
                        np.full(near.size, -const.lo))
        dd = dh + dl
        err = v.err + REL * (np.abs(v.hi) + abs(const.hi))
        positive, negative = dd > err, dd < -err
        zero = ~positive & ~negative
        tie = np.flatnonzero(zero)
        if tie.size and granularity is not None:
            zero[tie] = err[tie] < granularity(near[tie]) / 2
        else:
            zero[:] = False
        sign[near] = positive.astype(np.int64) - negative
        proved[near] = positive | negative | zero
    return sign, proved


def _largest(shared: _Shared) -> _Aggregate:
    """All specimens must pass: the largest rate decides (the first of equal ones)."""
    rows, rate = shared.rows, shared.rate
    has = rows.count > 0
    spec, unsure = _worst(shared)
    w = np.where(has, spec, rows.m0.size)  # rows without specimens: the padding

    def at(values: np.ndarray, pad: float | bool) -> np.ndarray:
        return np.append(values, pad)[w]

    deciding = _Exact(at(rate.hi, 0.0), at(rate.lo, 0.0), at(rate.err, 0.0))
    unsure |= has & ~at(shared.rate_proved, True)
    u_std = np.full(rows.n, np.nan)
    resolved = np.flatnonzero(rows.resolved & has)  # only there is there an uncertainty
    u_g = rows.resolution[resolved] / 1000 / _TWO_SQRT3
    u_std[resolved] = _rate_uncertainty(at(rows.m0, 1.0)[resolved], at(rows.m1, 1.0)[resolved],
                                        u_g)
    worst = np.where(has, rows.place[np.minimum(spec, max(rows.m0.size - 1, 0))] + 1, 0) \
        if rows.m0.size else np.zeros(rows.n, dtype=np.int64)

    return _Aggregate(deciding=deciding, percent=at(shared.rate_float, 0.0), u_std=u_std,
                      worst=worst, unsure=unsure, specimens=spec)


def _worst(shared: _Shared) -> tuple[Ints, Bools]:
    """Per row, the specimen ``max(range(n), key=rates.__getitem__)`` picks: the first of
    the largest exact rates. Rows where a rival is not proved equal or smaller are flagged."""
    rows, rate = shared.rows, shared.rate
    n, parent = rows.n, rows.parent
    has = rows.count > 0
    worst = np.zeros(n, dtype=np.int64)
    unsure = np.zeros(n, dtype=bool)
    if not has.any():
        return worst, unsure
    starts = rows.offsets[:-1][has]
    top_hi = np.full(n, -np.inf)
    top_hi[has] = np.maximum.reduceat(rate.hi, starts)
    on_top = rate.hi == top_hi[parent]
    top_lo = np.full(n, -np.inf)
    top_lo[has] = np.maximum.reduceat(np.where(on_top, rate.lo, -np.inf), starts)
    on_top &= rate.lo == top_lo[parent]
    big = np.iinfo(np.int64).max
    first = np.zeros(n, dtype=np.int64)
    first[has] = np.minimum.reduceat(np.where(on_top, np.arange(parent.size), big), starts)
    f = first[parent]
    slack = rate.err + rate.err[f] + REL * np.abs(rate.hi)
    close = (top_hi[parent] - rate.hi) + (top_lo[parent] - rate.lo) <= slack
    equal = close & (rows.m0 == rows.m0[f]) & (rows.m1 == rows.m1[f])
    rival = np.flatnonzero(close & ~equal)
    if rival.size:
        # r_j − r_f = 100 (m1_f m0_j − m1_j m0_f) / (m0_j m0_f): a multiple of this if not 0
        g = f[rival]
        q0j, q1j = decimal_quantum(rows.m0[rival]), decimal_quantum(rows.m1[rival])
        q0f, q1f = decimal_quantum(rows.m0[g]), decimal_quantum(rows.m1[g])
        granularity = 100 * granule(np.minimum(q1f + q0j, q1j + q0f)) / (
            rows.m0[rival] * rows.m0[g])
        proved_equal = slack[rival] < granularity / 2
        equal[rival] = proved_equal
        unsure[parent[rival[~proved_equal]]] = True
    worst[has] = np.minimum.reduceat(np.where(equal, np.arange(parent.size), big), starts)
    return worst, unsure


def _mean(shared: _Shared) -> _Aggregate:
    """The mean aggregation: exact mean rate, its float and uncertainty, as weightloss.py
    computes them (its sum of squares left to right)."""
    rows, rate = shared.rows, shared.rate
    n = rows.n
    sh, sl = np.zeros(n), np.zeros(n)
    err = np.zeros(n)
    magnitude = np.zeros(n)
    squares = np.full(rows.m0.size, np.nan)
    resolved = np.flatnonzero(rows.resolved[rows.parent])  # specimens with an uncertainty
    u_g = rows.resolution[rows.parent[resolved]] / 1000 / _TWO_SQRT3
    squares[resolved] = _square(_rate_uncertainty(rows.m0[resolved], rows.m1[resolved], u_g))
    total = np.zeros(n)
    for place in range(int(rows.count.max(initial=0))):  # sum() adds left to right
        where = np.flatnonzero(rows.count > place)
        spec = rows.offsets[where] + place
        sh[where], sl[where] = dd_add(sh[where], sl[where], rate.hi[spec], rate.lo[spec])
        err[where] += rate.err[spec]
        magnitude[where] += np.abs(rate.hi[spec])
        total[where] = total[where] + squares[spec] if place else squares[spec]
    count = np.maximum(rows.count, 1).astype(np.float64)
    mh, ml = dd_div(sh, sl, count, np.zeros(n))
    mean = _Exact(mh, ml, (err + REL * magnitude) / count + REL * np.abs(mh))
    percent, ok = rounded(mh, ml, mean.err)
    has = rows.count > 0
    unsure = has & ~ok
    if sys.version_info >= (3, 12):  # sum() of floats is compensated there: not reproduced
        unsure |= has & rows.resolved
    return _Aggregate(deciding=mean, percent=percent, u_std=np.sqrt(total) / count,
                      worst=np.zeros(n, dtype=np.int64), unsure=unsure, specimens=None)


# --- one rule set's numbers ---------------------------------------------------------------

@dataclass(frozen=True)
class _Const:
    """A decimal constant of a rule set: exact, as a double-double, and its quantum."""

    value: Fraction
    hi: float
    lo: float
    quantum: int

    @classmethod
    def of(cls, value: Fraction) -> _Const:
        hi, lo = dd_const(value)
        return cls(value, hi, lo, fraction_quantum(value))


@dataclass(frozen=True)
class _Constants:
    """Everything a rule set contributes, computed once, exactly, in Python."""

    ruleset: Ruleset
    temperature_low: float     # the smallest float written ≥ set − tolerance
    temperature_high: float    # the largest float written ≤ set + tolerance
    temperature_set: float     # the largest float written ≤ the set point
    bound_low: _Const
    bound_high: _Const
    duration_min: float
    min_duration: _Const
    pressure_max: float
    max_pressure: _Const
    min_specimens: int
    resolution_max: float      # a float that writes the rule's decimal exactly
    per_gram: _Const           # max_resolution_percent_of_mass / 100 × 1000 (mg per g)
    meets_below: _Const        # a rate meets the limit below this, …
    meets_at: bool             # … and at it when this is true
    limit: _Const
    threshold: _Const
    coverage: float
    mean: bool
    mandatory: bool

    @classmethod
    def of(cls, ruleset: Ruleset) -> _Constants:
        r = ruleset.rules
        set_c, tol_c = exact(r.test_temperature.temperature_c), exact(
            r.test_temperature_tolerance.tolerance_c)
        below, at = _meets_region(ruleset)
        return cls(
            ruleset=ruleset,
            temperature_low=closest_double_at_least(set_c - tol_c),
            temperature_high=closest_double_at_most(set_c + tol_c),
            temperature_set=closest_double_at_most(set_c),
            bound_low=_Const.of(set_c - tol_c), bound_high=_Const.of(set_c + tol_c),
            duration_min=closest_double_at_least(exact(r.test_duration.min_duration_h)),
            min_duration=_Const.of(exact(r.test_duration.min_duration_h)),
            pressure_max=closest_double_at_most(exact(r.test_pressure.max_pressure_pa)),
            max_pressure=_Const.of(exact(r.test_pressure.max_pressure_pa)),
            min_specimens=r.specimen_aggregation.min_specimens,
            resolution_max=float(exact(r.balance_resolution.max_resolution_mg)),
            per_gram=_Const.of(exact(r.balance_resolution.max_resolution_percent_of_mass) * 10),
            meets_below=_Const.of(below), meets_at=at,
            limit=_Const.of(exact(r.weight_loss_limit.limit_percent)),
            threshold=_Const.of(exact(r.application_ratio.high_power_min_ratio_w_per_wh)),
            coverage=r.measurement_uncertainty.coverage_factor,
            mean=r.specimen_aggregation.aggregation == "mean",
            mandatory=r.visual_check.mandatory)


def _meets_region(ruleset: Ruleset) -> tuple[Fraction, bool]:
    """(U, inclusive): a rate meets the limit exactly when it is below U, or equal to U and
    ``inclusive`` — ``weightloss._meets_limit`` as one comparison. With rounding to d places
    (half to even) U is the tie point above the largest admissible rounded value."""
    rule, comparison = ruleset.rules.weight_loss_limit, ruleset.rules.limit_comparison
    limit = exact(rule.limit_percent)
    if comparison.method != "rounded" or comparison.decimals is None:
        return limit, rule.comparison == "at_most"
    step = Fraction(1, 10**comparison.decimals)
    top = math.floor(limit / step)  # the largest rounded value (in steps) that meets it
    if rule.comparison == "below" and top * step == limit:
        top -= 1
    return (top + Fraction(1, 2)) * step, top % 2 == 0


@dataclass(frozen=True)
class _Decision:
    """One rule set's outcome per row (numbers and flags; the text comes later)."""

    constants: _Constants
    unproved: Bools
    category: Ints
    branch: Ints
    temperature_ok: Bools
    above: Bools
    distance: Floats           # |T − bound| when outside
    duration_ok: Bools
    short: Floats
    pressure_ok: Bools
    excess: Floats
    count_ok: Bools
    coarse: Bools
    allowed: Floats
    passed: Bools              # the limit is met (whatever the conditions)
    conditions_valid: Bools
    percent: Floats
    margin: Floats
    uncertainty: Floats
    doubtful: Bools            # |margin| ≤ uncertainty
    worst: Ints                # 1-based deciding specimen (largest rate)
    failing: pa.Array          # list<int64>: the specimens that do not meet the limit
    application: Ints          # index in APPLICATIONS, -1 none
    derived_high_power: Bools
    mismatch: Bools

    @classmethod
    def compute(cls, rows: _Rows, shared: _Shared, c: _Constants) -> _Decision:
        n, tested = rows.n, rows.tested
        unproved = shared.tiny.copy()

        # conditions: input against constant, exact as float comparisons; how far outside
        # (for the message) only where outside
        t = rows.temperature
        temperature_ok = tested & (t >= c.temperature_low) & (t <= c.temperature_high)
        above = t > c.temperature_set
        distance, unsure = _distance(t, tested & ~temperature_ok,
                                     np.where(above, c.bound_high.hi, c.bound_low.hi),
                                     np.where(above, c.bound_high.lo, c.bound_low.lo))
        unproved |= unsure
        duration_ok = tested & (rows.duration >= c.duration_min)
        short, unsure = _distance(rows.duration, tested & ~duration_ok, c.min_duration.hi,
                                  c.min_duration.lo)
        unproved |= unsure
        pressure_ok = tested & (rows.pressure <= c.pressure_max)
        excess, unsure = _distance(rows.pressure, tested & ~pressure_ok, c.max_pressure.hi,
                                   c.max_pressure.lo)
        unproved |= unsure

        count_ok = rows.count >= c.min_specimens
        conditions_valid = temperature_ok & duration_ok & pressure_ok & count_ok

        coarse, allowed, unsure = _coarse_balance(rows, shared, c)
        unproved |= unsure

        # each specimen against the limit (within_limit, and which fail)
        sign, proved = _compare(shared.rate, c.meets_below,
                                lambda index: shared.rate_granularity(index, c.meets_below))
        meets = (sign < 0) | ((sign == 0) & c.meets_at)
        unproved[rows.parent[~proved]] = True
        failing = pa.LargeListArray.from_arrays(
            pa.array(_offsets(np.bincount(rows.parent[~meets], minlength=n))),
            pa.array(rows.place[~meets] + 1, pa.int64()))

        # the deciding rate against the limit
        has = rows.count > 0
        agg = shared.aggregate(c.mean)
        unproved |= agg.unsure
        if c.mean:
            sign, proved = _compare(agg.deciding, c.meets_below, None)
            passed = (sign < 0) | ((sign == 0) & c.meets_at)
            unproved |= has & ~proved
        else:  # every specimen must meet it
            passed = np.ones(n, dtype=bool)
            if has.any():
                passed[has] = np.logical_and.reduceat(meets, rows.offsets[:-1][has])
        deciding_specimen = agg.specimens
        margin, unsure = _margin(agg.deciding, c, None if deciding_specimen is None else (
            lambda index: shared.rate_granularity(deciding_specimen[index], c.limit)))
        unproved |= has & unsure
        percent, worst = agg.percent, agg.worst
        uncertainty = c.coverage * agg.u_std
        doubtful = rows.resolved & (np.abs(margin) <= uncertainty)

        # the decision (classify._decide), first matching branch wins
        branch = np.select(
            [rows.liquid_only, ~rows.solid_only, ~tested, rows.seen_liquid, ~conditions_valid,
             ~passed, rows.not_inspected & c.mandatory],
            [_BY_LIQUID, _BY_HYBRID, _NO_TEST, _SEEN_LIQUID, _INVALID_TEST, _OVER_LIMIT,
             _NO_VISUAL], _CONFIRMED)
        category = np.array([_LIQUID, _HYBRID, _UNDETERMINED, _HYBRID, _UNDETERMINED, _HYBRID,
                             _UNDETERMINED, _SOLID])[branch]

        # the application axis (solid-state only)
        solid = category == _SOLID
        derived_high_power, unsure = _high_power(shared, c.threshold, solid)
        unproved |= unsure | (rows.rated & ~shared.ratio_proved)
        derived = np.where(derived_high_power, APPLICATIONS.index("high_power"),
                           APPLICATIONS.index("high_energy"))
        declared = rows.application >= 0
        application = np.where(declared, rows.application, np.where(rows.rated, derived, -1))
        application = np.where(solid, application, -1)
        mismatch = (solid & declared & rows.rated
                    & (rows.application != APPLICATIONS.index("other"))
                    & (rows.application != derived))
        return cls(
            constants=c, unproved=unproved, category=category, branch=branch,
            temperature_ok=temperature_ok, above=above, distance=distance,
            duration_ok=duration_ok, short=short, pressure_ok=pressure_ok, excess=excess,
            count_ok=count_ok, coarse=coarse, allowed=allowed, passed=passed,
            conditions_valid=conditions_valid, percent=percent, margin=margin,
            uncertainty=uncertainty, doubtful=doubtful, worst=worst, failing=failing,
            application=application, derived_high_power=derived_high_power,
            mismatch=mismatch)


def _distance(values: Floats, where: Bools, bound_hi: Floats | float,
              bound_lo: Floats | float) -> tuple[Floats, Bools]:
    """``float(abs(exact(value) - bound))`` where asked (0 elsewhere), and where unproved."""
    out = np.zeros(values.size)
    unsure = np.zeros(values.size, dtype=bool)
    index = np.flatnonzero(where)
    if index.size:
        v = values[index]
        bh = np.broadcast_to(bound_hi, values.shape)[index]
        bl = np.broadcast_to(bound_lo, values.shape)[index]
        dh, dl = dd_add(v, decimal_lo(v), -bh, -bl)
        flip = dh < 0
        dh[flip], dl[flip] = -dh[flip], -dl[flip]
        out[index], ok = rounded(dh, dl, REL * (np.abs(v) + np.abs(bh)))
        unsure[index] = ~ok
    return out, unsure


def _coarse_balance(rows: _Rows, shared: _Shared, c: _Constants,
                    ) -> tuple[Bools, Floats, Bools]:
    """Whether the resolution is coarser than the larger of the rule's resolution and its
    share of the lightest specimen; that larger value; and rows where it is not proved.

    r > max(r_max, share) ⟺ r > r_max (exact, as floats) and r > share, so the exact work
    is done only for resolutions above r_max."""
    n = rows.n
    coarse = np.zeros(n, dtype=bool)
    allowed = np.zeros(n)
    unsure = np.zeros(n, dtype=bool)
    index = np.flatnonzero(rows.resolved & (rows.resolution > c.resolution_max))
    if not index.size:
        return coarse, allowed, unsure
    lightest = shared.lightest[index]
    lightest_lo, lightest_q = decimal_lo(lightest), decimal_quantum(lightest)
    k = index.size
    lh, ll = dd_mul(lightest, lightest_lo, np.full(k, c.per_gram.hi), np.full(k, c.per_gram.lo))
    share = _Exact(lh, ll, REL * np.abs(lh))
    share_q = lightest_q + c.per_gram.quantum
    r_max = _Const.of(exact(c.resolution_max))
    g_max = granule(np.minimum(share_q, r_max.quantum))
    sign, proved_max = _compare(share, r_max, lambda near: g_max[near])
    share_wins = sign > 0
    allowed_share, ok = rounded(lh, ll, share.err)
    allowed[index] = np.where(share_wins, allowed_share, c.resolution_max)
    r = rows.resolution[index]
    r_lo, r_q = decimal_lo(r), decimal_quantum(r)
    minus_share = _Exact(*dd_add(r, r_lo, -share.hi, -share.lo), REL * r + share.err)
    g_share = granule(np.minimum(r_q, share_q))
    sign_share, proved = _compare(minus_share, _Const.of(Fraction(0)),
                                  lambda near: g_share[near])
    coarse[index] = sign_share > 0
    unsure[index] = ~proved | ~proved_max | (share_wins & ~ok)
    return coarse, allowed, unsure


def _margin(deciding: _Exact, c: _Constants, granularity: _Granularity | None,
            ) -> tuple[Floats, Bools]:
    """limit − deciding rate as Result has it (``float(Fraction)``), and rows not proved."""
    sign, proved = _compare(deciding, c.limit, granularity)
    n = deciding.hi.size
    mh, ml = dd_add(np.full(n, c.limit.hi), np.full(n, c.limit.lo), -deciding.hi, -deciding.lo)
    margin, ok = rounded(mh, ml, deciding.err + REL * (abs(c.limit.hi) + np.abs(deciding.hi)))
    exact_zero = proved & (sign == 0)
    return np.where(exact_zero, 0.0, margin), ~proved | (~ok & ~exact_zero)


def _high_power(shared: _Shared, threshold: _Const, solid: Bools) -> tuple[Bools, Bools]:
    """Whether the power/energy ratio is at or above the threshold (rated solid-state rows,
    where it decides the application), and where that is not proved."""
    rows = shared.rows
    high = np.zeros(rows.n, dtype=bool)
    unsure = np.zeros(rows.n, dtype=bool)
    index = np.flatnonzero(rows.rated & solid)
    if index.size:
        def granularity(near: Ints) -> Floats:
            # P/E − t = (P − t·E)/E, whose numerator is a multiple of 10**min(qP, qt + qE)
            p, e = rows.power[index[near]], rows.energy[index[near]]
            q = np.minimum(decimal_quantum(p), threshold.quantum + decimal_quantum(e))
            return granule(q) / e

        sign, proved = _compare(shared.ratio.take(index), threshold, granularity)
        high[index] = sign >= 0
        unsure[index] = ~proved
    return high, unsure


@functools.cache
def _pow_is_libm() -> bool:
    """Whether numpy's power with an array exponent gives what Python's ``x**2`` gives
    (libm's pow, which is not always x*x); checked once on values where the two differ."""
    sample = np.array([46892.78043447317, 14686.9225750816, 8523.445315277637, 3.3, 7.1])
    twos = np.full(sample.size, 2.0)
    return bool(np.all(np.power(sample, twos) == np.array([v**2 for v in sample.tolist()])))


def _square(x: Floats) -> Floats:
    """``x**2`` as Python computes it for floats (libm's ``pow(x, 2.0)``)."""
    if _pow_is_libm():
        return np.asarray(np.power(x, np.full(x.size, 2.0)), dtype=np.float64)
    return np.array([v**2 for v in x.tolist()], dtype=np.float64)


def _hypot(x: Floats, y: Floats) -> Floats:
    """``math.hypot(x, y)`` operation for operation (CPython's ``vector_norm``: scaled
    squares summed in extended precision, then one differential correction). Non-finite
    and all-zero inputs do not occur here (masses are bounded)."""
    x, y = np.abs(x), np.abs(y)
    biggest = np.maximum(x, y)
    _, e = np.frexp(biggest)
    scale = np.ldexp(1.0, -e)
    csum = np.ones_like(x)
    frac1 = np.zeros_like(x)
    frac2 = np.zeros_like(x)
    for v in (x, y):
        v = v * scale
        p_hi, p_lo = two_prod(v, v)
        s_hi = csum + p_hi
        s_lo = (csum - s_hi) + p_hi
        csum, frac1, frac2 = s_hi, frac1 + p_lo, frac2 + s_lo
    h = np.sqrt(csum - 1.0 + (frac1 + frac2))
    p_hi, p_lo = two_prod(-h, h)
    s_hi = csum + p_hi
    s_lo = (csum - s_hi) + p_hi
    csum, frac1, frac2 = s_hi, frac1 + p_lo, frac2 + s_lo
    correction = csum - 1.0 + (frac1 + frac2)
    h = h + correction / (2.0 * h)
    return np.asarray(h / scale, dtype=np.float64)


@functools.cache
def _hypot_is_python() -> bool:
    """Whether :func:`_hypot` is this Python's ``math.hypot`` (checked once on a sample)."""
    rng = np.random.default_rng(7)
    x, y = rng.uniform(1e-5, 1e3, 512), rng.uniform(1e-9, 1e2, 512)
    ours = _hypot(x, y)
    return all(a == math.hypot(p, q) for a, p, q in zip(ours.tolist(), x.tolist(), y.tolist(),
                                                        strict=True))


def _rate_uncertainty(m0: Floats, m1: Floats, u_g: Floats) -> Floats:
    """``weightloss._rate_uncertainty``, the same float operations in the same order."""
    a, b = 1 / m0, m1 / _square(m0)
    if _hypot_is_python():
        h = _hypot(a, b)
    else:
        h = np.array([math.hypot(p, q) for p, q in zip(a.tolist(), b.tolist(), strict=True)])
    return np.asarray(100 * u_g * h, dtype=np.float64)


# --- text -----------------------------------------------------------------------------------

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


def _mass_gains(rows: _Rows, shared: _Shared) -> _Repeated:
    """The mass-gain warnings, one per specimen that gained mass (any rule set)."""
    index = np.flatnonzero(rows.m1 > rows.m0)  # the decimals compare as the floats do
    messages = pl.DataFrame({
        "place": rows.place[index] + 1,
        "percent": format_g6(shared.rate_float[index]),
    }).select(_text("specimen ", pl.col("place").cast(pl.String), " gained mass (",
                    pl.col("percent"), f" %): {_GAIN_ADVICE}")).to_series()
    return _Repeated(rows.parent[index], "warning", "mass_gain", messages.to_arrow())


def _columns(rows: _Rows, shared: _Shared, decisions: list[_Decision]) -> _Text:
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


def _slots(j: int, rows: _Rows, d: _Decision, gains: _Repeated) -> list[_Slot]:
    """The findings of rule set ``j`` in classify's order: the places of a row's list, each
    with its mutually exclusive alternatives."""
    c = d.constants
    r = c.ruleset.rules

    def col(name: str) -> pl.Expr:
        return pl.col(f"{j}:{name}")

    tested, solid = rows.tested, d.category == _SOLID
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
        [_Alternative(branch == _BY_LIQUID, "info", "classification_by_phases",
            "ions move only through liquid electrolyte (declared phases: liquid) → liquid "
            "battery"),
         _Alternative(branch == _BY_HYBRID, "info", "classification_by_phases",
            "ions move through solid and liquid electrolyte (declared phases: solid, liquid) "
            "→ hybrid solid-liquid battery; calling it 'solid-state' or 'semi-solid' is a "
            "misclassification"),
         _Alternative(branch == _NO_TEST, "error", "solid_state_requires_test",
            "declared all-solid, but there is no weight-loss test: solid-state cannot be "
            f"confirmed; run the vacuum weight-loss test ({conditions}) and add "
            "weight_loss_test to the dossier"),
         _Alternative(branch == _SEEN_LIQUID, "error", "visual_check",
            "liquid was seen in the opened cell: ions can move through liquid electrolyte → "
            "hybrid solid-liquid battery, not solid-state"),
         _Alternative(branch == _INVALID_TEST, "error", "solid_state_requires_test",
            "declared all-solid, but the weight-loss test is not valid (see the errors "
            "above): solid-state cannot be confirmed; repeat the test at " + conditions),
         _Alternative(branch == _OVER_LIMIT, "error", "weight_loss_limit",
            f"the weight-loss rate exceeds the {limit} % limit, which shows volatile liquid "
            "electrolyte → hybrid solid-liquid battery, not solid-state"),
         _Alternative(branch == _NO_VISUAL, "error", "visual_check",
            "the visual check of the opened cell is required by this rule set but was not "
            "recorded; inspect the opened cell and set weight_loss_test.visible_liquid"),
         _Alternative(branch == _CONFIRMED, "info", "solid_state_requires_test",
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


def _assemble(n: int, slots: list[_Slot], text: _Text) -> pa.Array:
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
                column += np.arange(where.size) - _offsets(np.bincount(where, minlength=n))[
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
        _words([s for s, _ in pairs], label_index),
        _words([r for _, r in pairs], label_index),
        pa.DictionaryArray.from_arrays(pa.array(sequence), messages),
    ], fields=list(FINDING_TYPE))
    return pa.LargeListArray.from_arrays(pa.array(_offsets(per_row)), findings)


# --- the result columns ---------------------------------------------------------------------

@functools.cache
def _code_table(ruleset_id: str) -> tuple[str, ...]:
    """Every code of a rule set: categories 0–3 (not solid-state), then solid-state by
    (electrolyte, ion, application or none)."""
    codes = [encode_code(CodeFields(category=cat, ruleset=ruleset_id)) if cat != "solid_state"
             else "" for cat in CATEGORIES]
    apps: list[Application | None] = [*APPLICATIONS, None]
    for solid_type in SOLID_TYPES:
        for ion in IONS:
            for app in apps:
                codes.append(encode_code(CodeFields(
                    category="solid_state", electrolyte_type=solid_type, conducting_ion=ion,
                    application=app, ruleset=ruleset_id)))
    return tuple(codes)


def _words(values: Sequence[str], index: npt.NDArray[np.integer[Any]] | pa.Array,
           valid: Bools | None = None) -> pa.Array:
    """``values[index]`` as a dictionary array (:data:`WORDS`), null where not ``valid``."""
    indices = index if isinstance(index, pa.Array) else pa.array(
        index.astype(np.int32, copy=False), mask=None if valid is None else ~valid)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(values), pa.large_string()))


def _result_columns(rows: _Rows, shared: _Shared, d: _Decision) -> list[pa.Array]:
    """The result columns of one rule set but the findings."""
    c = d.constants
    solid = d.category == _SOLID
    tested = rows.tested
    apps = len(APPLICATIONS) + 1
    app_code = np.where(d.application >= 0, d.application, len(APPLICATIONS))
    code_index = np.where(solid, len(CATEGORIES) + (rows.solid_type * len(IONS) + rows.ion)
                          * apps + app_code, d.category)
    basis = np.where(rows.application >= 0, 0, 1)
    return [
        _words(CATEGORIES, d.category),
        _words(SOLID_TYPES, np.maximum(rows.solid_type, 0), solid),
        _words(IONS, np.maximum(rows.ion, 0), solid),
        _words(APPLICATIONS, np.maximum(d.application, 0), d.application >= 0),
        _words(("declared", "power_energy_ratio"), basis, d.application >= 0),
        pa.array(shared.ratio_float, pa.float64(), mask=~rows.rated),
        pa.array(d.percent, pa.float64(), mask=~tested),
        pa.array(d.passed, pa.bool_(), mask=~(tested & d.conditions_valid)),
        pa.array(d.conditions_valid, pa.bool_(), mask=~tested),
        pa.array(d.margin, pa.float64(), mask=~tested),
        pa.array(d.uncertainty, pa.float64(), mask=~rows.resolved),
        _words(_code_table(c.ruleset.id), code_index),
    ]


# --- rows decided one by one ---------------------------------------------------------------

def _with_exact_rows(out: pa.Table, table: pa.Table, flagged: Ints, rules: list[Ruleset],
                     schema: pa.Schema) -> pa.Table:
    """``out`` with the flagged rows replaced by ``classify`` of their dossiers."""
    dossiers = list(table_to_dossiers(table.take(pa.array(flagged))))
    exact_rows: dict[str, list[object]] = {name: [] for name in schema.names}
    prefix = len(rules) > 1
    for dossier in dossiers:
        exact_rows["id"].append(dossier.id)
        for ruleset in rules:
            result = classify(dossier, ruleset)
            for name, value in result_row(result).items():
                column = f"{ruleset.id}.{name}" if prefix else name
                if column in exact_rows:
                    exact_rows[column].append(value)
    replacement = pa.Table.from_pydict(exact_rows, schema=schema)
    pieces, start = [], 0
    for i, row in enumerate(flagged.tolist()):  # slices share the buffers: no copy
        pieces += [out.slice(start, row - start), replacement.slice(i, 1)]
        start = row + 1
    pieces.append(out.slice(start))
    return pa.concat_tables(pieces).combine_chunks() if len(pieces) > 64 else pa.concat_tables(
        pieces)


def result_row(result: Result) -> dict[str, Any]:
    """A Result as the values of :data:`RESULT_FIELDS` (one rule set's part of a row)."""
    wl = result.weight_loss
    return {
        "category": result.category,
        "electrolyte_type": result.electrolyte_type,
        "conducting_ion": result.conducting_ion,
        "application": result.application,
        "application_basis": result.application_basis,
        "power_energy_ratio_w_per_wh": result.power_energy_ratio_w_per_wh,
        "weight_loss.percent": wl.percent if wl else None,
        "weight_loss.passed": wl.passed if wl else None,
        "weight_loss.conditions_valid": wl.conditions_valid if wl else None,
        "weight_loss.margin_percent": wl.margin_percent if wl else None,
        "weight_loss.uncertainty_percent": wl.uncertainty_percent if wl else None,
        "code": result.code,
        "findings": [{"severity": f.severity, "rule": f.rule, "message": f.message}
                     for f in result.findings],
    }
