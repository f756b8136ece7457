"""``f"{x:.6g}"`` for a whole column, the way ``weightloss.fmt`` writes numbers in messages.

Python rounds the float's exact binary value to six significant digits (half to even), then
writes fixed notation for exponents -4 … 5 and scientific otherwise, without trailing
zeros. Here the scaled value is formed exactly (a double-double product, or a quotient and
its exact remainder), so the rounding is Python's except within 1e-12 of a tie; those
values, and any outside 1e-17 … 1e22, are formatted by Python itself — one value at a time,
but only those.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from ._exact import Floats, two_prod

__all__ = ["format_g6"]

_POW10 = np.array([10.0**k for k in range(23)])
# A float product a * 10**s is within an ulp (< 1.2e-10 below 1e6) of the exact one, so
# outside this window around .5 it rounds to six digits exactly as the exact value does.
_FLOAT_WINDOW = 4e-10
# 10**s for s = -22 … 22 (inexact below 0: two roundings, still inside the window above)
_SCALE = np.array([10.0**k for k in range(-22, 23)])
_TIE_WINDOW = 1e-12


def _scaled_dd(a: Floats, s: npt.NDArray[np.int64]) -> tuple[Floats, Floats]:
    """``a * 10**s`` as a double-double: exact for ``s ≥ 0``, to ~2**-104 for ``s < 0``
    (the quotient plus its exact remainder's quotient)."""
    up = s >= 0
    p = _POW10[np.abs(s)]
    yh, yl = two_prod(a, np.where(up, p, 1.0))
    q = a / p
    ph, pl_ = two_prod(q, p)
    r = ((a - ph) - pl_) / p
    return np.where(up, yh, q), np.where(up, yl, r)


def format_g6(values: Floats) -> pl.Series:
    """Each value as ``f"{value:.6g}"`` (no nulls: callers mask what they do not need).

    A column with few distinct values (the oven's set point, a usual duration) is formatted
    once per distinct value.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    if x.size > 4096:
        sample = x[:: x.size // 1024]
        if np.unique(sample).size < sample.size // 4:
            series = pl.Series("v", x)
            distinct = series.unique()
            return series.replace_strict(distinct, _format_g6(distinct.to_numpy()),
                                         return_dtype=pl.String)
    return _format_g6(x)


def _format_g6(x: Floats) -> pl.Series:
    """The six-digit rounding is done here; the digits are then written by Polars' shortest
    round-trip formatting of the rounded float (which is exactly those digits)."""
    a = np.abs(x)
    usable = np.isfinite(a) & (a >= 1e-17) & (a < 1e22)
    a = np.where(usable, a, 1.0)
    s = np.clip((5 - np.floor(np.log10(a))).astype(np.int64), -22, 22)
    y = a * _SCALE[s + 22]
    # log10 may be one off near a power of ten; at the boundary itself either scale rounds
    # to the same six digits (99999.99… and 999999.9… both give 1 followed by zeros).
    s = s + (y < 1e5) - (y >= 1e6)
    usable &= (s >= -22) & (s <= 22)
    s = np.clip(s, -22, 22)
    y = a * _SCALE[s + 22]
    floor = np.floor(y)
    frac = y - floor
    near = np.flatnonzero(np.abs(frac - 0.5) <= _FLOAT_WINDOW)
    if near.size:  # decide these from the exact product
        yh, yl = _scaled_dd(a[near], s[near])
        floor[near] = np.floor(yh)
        frac[near] = (yh - floor[near]) + yl
        usable[near] &= np.abs(frac[near] - 0.5) > _TIE_WINDOW
    digits = floor + (frac > 0.5)
    exponent = 5 - s
    carry = digits == 1e6
    digits[carry] = 1e5
    exponent += carry
    sci = (exponent < -4) | (exponent >= 6)
    # The rounded value (in scientific notation its mantissa, in [1, 10)), correctly rounded
    # from its ≤ 6-digit decimal: digits < 2**53 and 10**k exact, k = 0 … 9.
    rounded = digits / _POW10[np.where(sci, 5, 5 - exponent)]
    negative = np.signbit(x) & usable
    rounded[negative] = -rounded[negative]
    text = pl.Series("v", rounded).cast(pl.String).str.strip_suffix(".0")
    where_sci = np.flatnonzero(sci & usable)
    if where_sci.size:
        power = exponent[where_sci]
        suffix = pl.Series(np.abs(power)).cast(pl.String).str.zfill(2)
        sign = pl.Series(power < 0).replace_strict({True: "e-", False: "e+"},
                                                   return_dtype=pl.String)
        text = text.scatter(where_sci, text.gather(where_sci) + sign + suffix)
    rest = np.flatnonzero(~usable)
    if rest.size:
        text = text.scatter(rest, [f"{v:.6g}" for v in x[rest].tolist()])
    return text
