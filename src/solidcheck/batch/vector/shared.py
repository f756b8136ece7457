"""What every rule set shares: the exact specimen rates and power/energy ratio (double-doubles
with error bounds, their floats and whether those are proved), the deciding rate of each row
(the largest specimen rate, or the mean), and the exact comparison of a quantity with a
rule-set constant."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._exact import (
    HUGE,
    REL,
    TINY,
    Bools,
    Floats,
    Ints,
    dd_add,
    dd_const,
    dd_div,
    dd_mul_d,
    decimal_lo,
    decimal_quantum,
    fraction_quantum,
    granule,
    rounded,
)
from .inputs import Rows
from .uncertainty import rate_uncertainty, square

__all__ = ["Const", "Exact", "Granularity", "Shared", "compare"]

_TWO_SQRT3 = 2 * math.sqrt(3)


@dataclass(frozen=True)
class Const:
    """A decimal constant of a rule set: exact, as a double-double, and its quantum."""

    value: Fraction
    hi: float
    lo: float
    quantum: int

    @classmethod
    def of(cls, value: Fraction) -> Const:
        hi, lo = dd_const(value)
        return cls(value, hi, lo, fraction_quantum(value))


@dataclass(frozen=True)
class Exact:
    """A quantity as a double-double with an absolute error bound."""

    hi: Floats
    lo: Floats
    err: Floats

    def take(self, index: Ints) -> Exact:
        return Exact(self.hi[index], self.lo[index], self.err[index])


# A lower bound on |x − c| where it is not zero, for the rows given: what proves a tie.
Granularity = Callable[[Ints], Floats]


@dataclass(frozen=True)
class _Aggregate:
    """The deciding rate of each row (the largest specimen rate, or the mean), which does
    not depend on the rule set beyond its aggregation."""

    deciding: Exact           # 0 where a row has no specimens
    percent: Floats            # float(deciding)
    u_std: Floats              # standard uncertainty before the coverage factor
    worst: Ints                # 1-based place of the largest rate (0 for the mean)
    unsure: Bools
    # the deciding specimen of each row, for the granularity of deciding − c (plain data,
    # not a closure over the Shared holding this: a cycle would keep every batch's arrays
    # alive until the garbage collector ran); None: nothing proves a tie (a mean)
    specimens: Ints | None


@dataclass(frozen=True)
class Shared:
    """What every rule set reads: exact specimen rates and power/energy ratio (with their
    floats and whether those are proved), the lightest specimen, and the deciding rate."""

    rows: Rows
    m0_lo: Floats
    m1_lo: Floats
    rate: Exact               # per specimen, percent
    rate_float: Floats
    rate_proved: Bools
    ratio: Exact              # 1 where a row has no ratings
    ratio_float: Floats
    ratio_proved: Bools
    lightest: Floats           # smallest mass_before_g of each tested row
    tiny: Bools                # a number outside TINY … HUGE: decided by classify
    aggregates: dict[bool, _Aggregate]  # by "mean", computed when first asked

    @classmethod
    def compute(cls, rows: Rows) -> Shared:
        m0_lo, m1_lo = decimal_lo(rows.m0), decimal_lo(rows.m1)
        dh, dl = dd_add(rows.m0, m0_lo, -rows.m1, -m1_lo)
        qh, ql = dd_div(dh, dl, rows.m0, m0_lo)
        rh, rl = dd_mul_d(qh, ql, 100.0)
        same = rows.m0 == rows.m1  # the same decimal: a rate of exactly 0
        err = np.where(same, 0.0, REL * 100 * (rows.m0 + rows.m1) / rows.m0)
        rate = Exact(rh, rl, err)
        rate_float, rate_proved = rounded(rh, rl, err)

        rated = rows.rated
        p = np.where(rated, rows.power, 1.0)
        e = np.where(rated, rows.energy, 1.0)
        rah, ral = dd_div(p, decimal_lo(p), e, decimal_lo(e))
        ratio = Exact(rah, ral, REL * np.abs(rah))
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

    def rate_granularity(self, specimens: Ints, const: Const) -> Floats:
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


def compare(value: Exact, const: Const, granularity: Granularity | None,
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


def _largest(shared: Shared) -> _Aggregate:
    """All specimens must pass: the largest rate decides (the first of equal ones)."""
    rows, rate = shared.rows, shared.rate
    has = rows.count > 0
    spec, unsure = _worst(shared)
    w = np.where(has, spec, rows.m0.size)  # rows without specimens: the padding

    def at(values: np.ndarray, pad: float | bool) -> np.ndarray:
        return np.append(values, pad)[w]

    deciding = Exact(at(rate.hi, 0.0), at(rate.lo, 0.0), at(rate.err, 0.0))
    unsure |= has & ~at(shared.rate_proved, True)
    u_std = np.full(rows.n, np.nan)
    resolved = np.flatnonzero(rows.resolved & has)  # only there is there an uncertainty
    u_g = rows.resolution[resolved] / 1000 / _TWO_SQRT3
    u_std[resolved] = rate_uncertainty(at(rows.m0, 1.0)[resolved], at(rows.m1, 1.0)[resolved],
                                        u_g)
    worst = np.where(has, rows.place[np.minimum(spec, max(rows.m0.size - 1, 0))] + 1, 0) \
        if rows.m0.size else np.zeros(rows.n, dtype=np.int64)

    return _Aggregate(deciding=deciding, percent=at(shared.rate_float, 0.0), u_std=u_std,
                      worst=worst, unsure=unsure, specimens=spec)


def _worst(shared: Shared) -> tuple[Ints, Bools]:
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


def _mean(shared: Shared) -> _Aggregate:
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
    squares[resolved] = square(rate_uncertainty(rows.m0[resolved], rows.m1[resolved], u_g))
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
    mean = Exact(mh, ml, (err + REL * magnitude) / count + REL * np.abs(mh))
    percent, ok = rounded(mh, ml, mean.err)
    has = rows.count > 0
    unsure = has & ~ok
    if sys.version_info >= (3, 12):  # sum() of floats is compensated there: not reproduced
        unsure |= has & rows.resolved
    return _Aggregate(deciding=mean, percent=percent, u_std=np.sqrt(total) / count,
                      worst=np.zeros(n, dtype=np.int64), unsure=unsure, specimens=None)
