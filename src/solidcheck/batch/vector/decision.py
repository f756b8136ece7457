"""One rule set's numbers and decision: its constants computed once, exactly; the conditions,
the limit and the category of every row (``classify._decide``, branch by branch), and the
application axis. The findings (ids and parameters) are ``findings.py``'s."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pyarrow as pa

from ...decision import DECISION_TABLE
from ...model import APPLICATIONS, CATEGORIES
from ...rules import Ruleset
from ...weightloss import exact
from .._exact import (
    REL,
    Bools,
    Floats,
    Ints,
    closest_double_at_least,
    closest_double_at_most,
    dd_add,
    dd_mul,
    decimal_lo,
    decimal_quantum,
    granule,
    rounded,
)
from .inputs import Rows, list_offsets
from .shared import Const, Exact, Granularity, Shared, compare

__all__ = ["BRANCHES", "BRANCH_NAMES", "HYBRID", "LIQUID", "SOLID", "Constants", "Decision"]

LIQUID, HYBRID, SOLID, UNDETERMINED = (CATEGORIES.index(c) for c in (
    "liquid", "hybrid_solid_liquid", "solid_state", "undetermined"))


BRANCHES = DECISION_TABLE  # classify's own table: one order for both engines
BRANCH_NAMES = tuple(b.name for b in BRANCHES)
_BRANCH_CATEGORIES = np.array([CATEGORIES.index(b.category) for b in BRANCHES])


@dataclass(frozen=True)
class Constants:
    """Everything a rule set contributes, computed once, exactly, in Python."""

    ruleset: Ruleset
    temperature_low: float     # the smallest float written ≥ set − tolerance
    temperature_high: float    # the largest float written ≤ set + tolerance
    temperature_set: float     # the largest float written ≤ the set point
    bound_low: Const
    bound_high: Const
    duration_min: float
    min_duration: Const
    pressure_max: float
    max_pressure: Const
    min_specimens: int
    resolution_max: float      # a float that writes the rule's decimal exactly
    per_gram: Const           # max_resolution_percent_of_mass / 100 × 1000 (mg per g)
    meets_below: Const        # a rate meets the limit below this, …
    meets_at: bool             # … and at it when this is true
    limit: Const
    threshold: Const
    coverage: float
    mean: bool
    mandatory: bool

    @classmethod
    def of(cls, ruleset: Ruleset) -> Constants:
        r = ruleset.rules
        set_c, tol_c = exact(r.test_temperature.temperature_c), exact(
            r.test_temperature_tolerance.tolerance_c)
        below, at = _meets_region(ruleset)
        return cls(
            ruleset=ruleset,
            temperature_low=closest_double_at_least(set_c - tol_c),
            temperature_high=closest_double_at_most(set_c + tol_c),
            temperature_set=closest_double_at_most(set_c),
            bound_low=Const.of(set_c - tol_c), bound_high=Const.of(set_c + tol_c),
            duration_min=closest_double_at_least(exact(r.test_duration.min_duration_h)),
            min_duration=Const.of(exact(r.test_duration.min_duration_h)),
            pressure_max=closest_double_at_most(exact(r.test_pressure.max_pressure_pa)),
            max_pressure=Const.of(exact(r.test_pressure.max_pressure_pa)),
            min_specimens=r.specimen_aggregation.min_specimens,
            resolution_max=float(exact(r.balance_resolution.max_resolution_mg)),
            per_gram=Const.of(exact(r.balance_resolution.max_resolution_percent_of_mass) * 10),
            meets_below=Const.of(below), meets_at=at,
            limit=Const.of(exact(r.weight_loss_limit.limit_percent)),
            threshold=Const.of(exact(r.application_ratio.high_power_min_ratio_w_per_wh)),
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
class Decision:
    """One rule set's outcome per row (numbers and flags; the text comes later)."""

    constants: Constants
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
    def compute(cls, rows: Rows, shared: Shared, c: Constants) -> Decision:
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
        sign, proved = compare(shared.rate, c.meets_below,
                                lambda index: shared.rate_granularity(index, c.meets_below))
        meets = (sign < 0) | ((sign == 0) & c.meets_at)
        unproved[rows.parent[~proved]] = True
        failing = pa.LargeListArray.from_arrays(
            pa.array(list_offsets(np.bincount(rows.parent[~meets], minlength=n))),
            pa.array(rows.place[~meets] + 1, pa.int64()))

        # the deciding rate against the limit
        has = rows.count > 0
        agg = shared.aggregate(c.mean)
        unproved |= agg.unsure
        if c.mean:
            sign, proved = compare(agg.deciding, c.meets_below, None)
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

        # the decision (the table's branches in order), first that holds wins
        holds = {"liquid_by_phases": rows.liquid_only, "hybrid_by_phases": ~rows.solid_only,
                 "no_test": ~tested, "liquid_seen": rows.seen_liquid,
                 "invalid_test": ~conditions_valid, "over_limit": ~passed,
                 "visual_check_missing": rows.not_inspected & c.mandatory}
        branch = np.select([holds[b.name] for b in BRANCHES[:-1]],
                           list(range(len(BRANCHES) - 1)), len(BRANCHES) - 1)
        category = _BRANCH_CATEGORIES[branch]

        # the application axis (solid-state only)
        solid = category == SOLID
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


def _coarse_balance(rows: Rows, shared: Shared, c: Constants,
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
    share = Exact(lh, ll, REL * np.abs(lh))
    share_q = lightest_q + c.per_gram.quantum
    r_max = Const.of(exact(c.resolution_max))
    g_max = granule(np.minimum(share_q, r_max.quantum))
    sign, proved_max = compare(share, r_max, lambda near: g_max[near])
    share_wins = sign > 0
    allowed_share, ok = rounded(lh, ll, share.err)
    allowed[index] = np.where(share_wins, allowed_share, c.resolution_max)
    r = rows.resolution[index]
    r_lo, r_q = decimal_lo(r), decimal_quantum(r)
    minus_share = Exact(*dd_add(r, r_lo, -share.hi, -share.lo), REL * r + share.err)
    g_share = granule(np.minimum(r_q, share_q))
    sign_share, proved = compare(minus_share, Const.of(Fraction(0)),
                                  lambda near: g_share[near])
    coarse[index] = sign_share > 0
    unsure[index] = ~proved | ~proved_max | (share_wins & ~ok)
    return coarse, allowed, unsure


def _margin(deciding: Exact, c: Constants, granularity: Granularity | None,
            ) -> tuple[Floats, Bools]:
    """limit − deciding rate as Result has it (``float(Fraction)``), and rows not proved."""
    sign, proved = compare(deciding, c.limit, granularity)
    n = deciding.hi.size
    mh, ml = dd_add(np.full(n, c.limit.hi), np.full(n, c.limit.lo), -deciding.hi, -deciding.lo)
    margin, ok = rounded(mh, ml, deciding.err + REL * (abs(c.limit.hi) + np.abs(deciding.hi)))
    exact_zero = proved & (sign == 0)
    return np.where(exact_zero, 0.0, margin), ~proved | (~ok & ~exact_zero)


def _high_power(shared: Shared, threshold: Const, solid: Bools) -> tuple[Bools, Bools]:
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

        sign, proved = compare(shared.ratio.take(index), threshold, granularity)
        high[index] = sign >= 0
        unsure[index] = ~proved
    return high, unsure
