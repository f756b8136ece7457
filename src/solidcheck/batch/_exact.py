"""Exact decimals in vectorised float64: double-double arithmetic with error bounds.

``classify`` takes every number as the decimal it was written as (``Fraction(repr(x))``) and
rounds exact rationals to float only at the end. Plain float64 arithmetic on whole columns
differs from that in the last bit for a sizeable share of rows, and at a limit it can flip a
decision. So the batch path works in double-double (about 106 bits): each input becomes
``x + lo`` where ``lo`` is the written decimal minus the float, every result carries an
absolute error bound, and a result is used only when the bound proves it is the exact
answer (the correctly rounded float, or the sign of a difference). Whatever cannot be proved
is *flagged*, and the caller decides those rows exactly, in Python.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "HUGE",
    "REL",
    "TINY",
    "Bools",
    "Floats",
    "Ints",
    "closest_double_at_least",
    "closest_double_at_most",
    "dd_add",
    "dd_const",
    "dd_div",
    "dd_mul",
    "dd_mul_d",
    "decimal_lo",
    "decimal_quantum",
    "fraction_quantum",
    "granule",
    "rounded",
    "two_prod",
]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

# The error bound charged, relative to the magnitudes involved, for a short chain of
# double-double operations. With u = 2**-53: a decimal recovered by decimal_lo is within
# 4u² of itself, an addition adds 4u², a product 8u², a quotient 16u² (relative to the
# result); the longest chain here (a rate: a difference, a quotient, a product by 100, of
# two recovered decimals) stays under 32u² of the inputs' magnitudes. 2**-100 = 64u² keeps a
# factor of two, and still proves all but results within ~1e-30 (relative) of a midpoint or
# a limit — in practice, exact ties, which the decimals' quanta prove instead.
REL = 2.0**-100
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitting constant
_POW10 = np.array([10.0**k for k in range(23)])  # exact doubles 1 … 1e22
_POW10_INT = np.array([10**k for k in range(18)], dtype=np.int64)


def two_sum(a: Floats, b: Floats) -> tuple[Floats, Floats]:
    """``a + b`` as ``s + e`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def _fast_two_sum(a: Floats, b: Floats) -> tuple[Floats, Floats]:
    s = a + b
    return s, b - (s - a)


def _split(a: Floats) -> tuple[Floats, Floats]:
    t = _SPLIT * a
    hi = t - (t - a)
    return hi, a - hi


_POW10_SPLIT = _split(_POW10)


def two_prod(a: Floats, b: Floats | float) -> tuple[Floats, Floats]:
    """``a * b`` as ``p + e`` exactly (Dekker), for magnitudes far from overflow."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(np.asarray(b, dtype=np.float64))
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def dd_add(ah: Floats, al: Floats, bh: Floats, bl: Floats) -> tuple[Floats, Floats]:
    """Double-double sum (the accurate variant: no loss under cancellation)."""
    s1, s2 = two_sum(ah, bh)
    t1, t2 = two_sum(al, bl)
    s2 = s2 + t1
    s1, s2 = _fast_two_sum(s1, s2)
    s2 = s2 + t2
    return _fast_two_sum(s1, s2)


def dd_mul(ah: Floats, al: Floats, bh: Floats, bl: Floats) -> tuple[Floats, Floats]:
    """Double-double product."""
    p1, p2 = two_prod(ah, bh)
    p2 = p2 + (ah * bl + al * bh)
    return _fast_two_sum(p1, p2)


def dd_mul_d(ah: Floats, al: Floats, b: float) -> tuple[Floats, Floats]:
    """Double-double times a double."""
    p1, p2 = two_prod(ah, b)
    p2 = p2 + al * b
    return _fast_two_sum(p1, p2)


def dd_div(ah: Floats, al: Floats, bh: Floats, bl: Floats) -> tuple[Floats, Floats]:
    """Double-double quotient (one correction step: about 2**-104 relative)."""
    q1 = ah / bh
    p1, p2 = two_prod(q1, bh)
    s, e = two_sum(ah, -p1)
    e = e - p2
    e = e + al
    e = e - q1 * bl
    q2 = (s + e) / bh
    return _fast_two_sum(q1, q2)


def dd_const(value: Fraction) -> tuple[float, float]:
    """An exact rational as a double-double (hi, lo), for constants of a rule set."""
    hi = float(value)
    return hi, float(value - Fraction(hi)) if math.isfinite(hi) else 0.0


TINY, HUGE = 1e-250, 1e250
"""Magnitudes outside these have no double-double decimal here."""
ZERO_QUANTUM = 400
"""The quantum exponent of 0, which is a multiple of every power of ten."""


def decimal_lo(x: Floats) -> Floats:
    """For each float, ``lo`` with ``x + lo`` = the decimal ``repr(x)`` writes (to ~2**-105
    relative).

    A float with a short decimal is recovered arithmetically: scaled to 15 digits, the
    nearest integer ``N`` is that decimal's digits, proved by ``N / 10**k == x`` (both exact,
    so the division is correctly rounded). The rest (16–17 digits, or outside 1e-8 … 1e15)
    go through Polars' shortest round-trip formatting, the same decimal Python's ``repr``
    writes. NaN (a null) and 0 give ``lo = 0``. Outside :data:`TINY` … :data:`HUGE` (far
    outside any dossier's bounds except near 0) ``lo`` is not representable: it is given as
    0, and callers decide rows with such numbers otherwise.
    """
    return _decimal(x, quantum=False)[0]


def decimal_quantum(x: Floats) -> Ints:
    """For each float, the exponent ``q`` of the largest power of ten its written decimal is
    a whole multiple of (:data:`ZERO_QUANTUM` for 0; ``-ZERO_QUANTUM``, which proves
    nothing, outside :data:`TINY` … :data:`HUGE`).

    The quantum bounds how close two different decimals can come, which is what proves an
    exact tie (a rate exactly at a limit) from a double-double difference below it. Only
    near-ties need it, so it is computed for those alone.
    """
    return _decimal(x, quantum=True)[1]


def _decimal(x: Floats, *, quantum: bool) -> tuple[Floats, Ints]:
    a = np.abs(x)
    finite = np.isfinite(a) & (a > 0)
    usable = finite & (a >= TINY) & (a < HUGE)
    a = np.where(usable, a, 1.0)
    k = (14.0 - np.floor(np.log10(a))).astype(np.int64)
    fast = usable & (k >= 0) & (k <= 22)
    k = np.clip(k, 0, 22)
    yh, yl = _times_pow10(a, k)
    off = np.flatnonzero(fast & ((yh >= 1e15) | (yh < 1e14)))
    if off.size:  # log10 was one off, near a power of ten
        k[off] += np.where(yh[off] >= 1e15, -1, 1)
        fast[off] &= (k[off] >= 0) & (k[off] <= 22)
        k[off] = np.clip(k[off], 0, 22)
        yh[off], yl[off] = _times_pow10(a[off], k[off])
    p10 = _POW10[k]
    n = np.rint(yh)
    ok = fast & (n / p10 == a)
    lo = np.where(ok, ((n - yh) - yl) / p10, 0.0)
    lo = np.where(x < 0, -lo, lo)
    q = np.zeros(0, dtype=np.int64)
    if quantum:
        q = np.where(ok, _trailing_zeros(np.where(ok, n, 1.0).astype(np.int64)) - k,
                     np.where(finite, -ZERO_QUANTUM, ZERO_QUANTUM))
    slow = np.flatnonzero(usable & ~ok)
    if slow.size:
        slow_lo, slow_q = _decimal_lo_from_text(x[slow])
        lo[slow] = slow_lo
        if quantum:
            q[slow] = slow_q
    return lo, q


def _times_pow10(a: Floats, k: Ints) -> tuple[Floats, Floats]:
    """``a * 10**k`` exactly, as ``p + e`` (Dekker, with the powers split in advance)."""
    p = a * _POW10[k]
    ah, al = _split(a)
    bh, bl = _POW10_SPLIT[0][k], _POW10_SPLIT[1][k]
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def granule(quantum: Ints) -> Floats:
    """``10**quantum`` as a float, a little below it (a safe lower bound), 0 for zero."""
    return np.where(quantum >= ZERO_QUANTUM, np.inf,
                    np.power(10.0, np.clip(quantum, -320, 300).astype(np.float64)) * 0.99)


_POW10_DD: dict[int, tuple[float, float]] = {}


def _pow10_dd(exponent: int) -> tuple[float, float]:
    if exponent not in _POW10_DD:
        _POW10_DD[exponent] = dd_const(Fraction(10) ** exponent)
    return _POW10_DD[exponent]


def _decimal_lo_from_text(x: Floats) -> tuple[Floats, Ints]:
    """``lo`` for floats whose decimal has 16–17 digits, from their shortest repr text."""
    text = pl.Series(np.abs(x)).cast(pl.String)
    frame = pl.DataFrame({"t": text}).select(
        mant=pl.col("t").str.split("e").list.get(0),
        exp=pl.col("t").str.split("e").list.get(1, null_on_oob=True).cast(pl.Int64).fill_null(0),
    ).select(
        digits=pl.col("mant").str.replace(".", "", literal=True).cast(pl.Int64),
        exp=pl.col("exp") - pl.col("mant").str.split(".").list.get(1, null_on_oob=True)
        .str.len_chars().fill_null(0).cast(pl.Int64),
    )
    digits = frame["digits"].to_numpy()
    exponents = frame["exp"].to_numpy()
    nh = digits.astype(np.float64)
    nl = (digits - nh.astype(np.int64)).astype(np.float64)  # exact: |N - float(N)| < 2**11
    ph = np.empty_like(nh)
    pl_ = np.empty_like(nh)
    for exponent in np.unique(exponents).tolist():
        where = exponents == exponent
        ph[where], pl_[where] = _pow10_dd(int(exponent))
    vh, vl = dd_mul(nh, nl, ph, pl_)
    lo = (vh - np.abs(x)) + vl
    return np.where(x < 0, -lo, lo), exponents.astype(np.int64) + _trailing_zeros(digits)


def _trailing_zeros(digits: Ints) -> Ints:
    """How many times 10 divides each (nonzero) integer, up to 17: binary search on the
    power, as 10**a | N implies 10**b | N for b < a."""
    zeros = np.zeros(digits.shape, dtype=np.int64)
    for step in (16, 8, 4, 2, 1):
        trial = zeros + step
        divides = (trial <= 17) & (digits % _POW10_INT[np.minimum(trial, 17)] == 0)
        zeros = np.where(divides, trial, zeros)
    return zeros


def rounded(hi: Floats, lo: Floats, err: Floats) -> tuple[Floats, Bools]:
    """The float nearest to the exact value ``hi + lo ± err``, and whether that is proved.

    Unproved: the exact value may lie on either side of a midpoint between two floats (an
    exact tie included), or it may be zero or nonzero (``hi == 0`` with ``err > 0``).
    """
    s, e = _fast_two_sum(hi, lo)
    up = np.nextafter(s, np.inf) - s
    down = s - np.nextafter(s, -np.inf)
    gap = np.where(e >= 0, up, down)
    with np.errstate(invalid="ignore"):
        ok = (np.abs(e) + err < gap / 2) & np.isfinite(s)
    ok &= s != 0
    ok |= (s == 0) & (e == 0) & (err == 0)  # exactly zero
    return s + 0.0, ok  # + 0.0: -0.0 → 0.0, as float(Fraction(0)) is


def closest_double_at_least(bound: Fraction) -> float:
    """The smallest float whose written decimal is ≥ ``bound``: for every float x,
    ``Fraction(repr(x)) >= bound`` exactly when ``x >= closest_double_at_least(bound)``
    (rounding to nearest is monotone, and a float's repr rounds back to it)."""
    x = float(bound)
    while Fraction(repr(x)) < bound:
        x = math.nextafter(x, math.inf)
    while Fraction(repr(math.nextafter(x, -math.inf))) >= bound:
        x = math.nextafter(x, -math.inf)
    return x


def closest_double_at_most(bound: Fraction) -> float:
    """The largest float whose written decimal is ≤ ``bound`` (see the function above)."""
    return -closest_double_at_least(-bound)


def fraction_quantum(value: Fraction) -> int:
    """The quantum exponent of a decimal constant: ``value`` is a multiple of ``10**q``."""
    if value == 0:
        return ZERO_QUANTUM
    for places in range(60):
        if (value * 10**places).denominator == 1:
            return -places
    raise ValueError(f"{value} is not a decimal with at most 60 places")
