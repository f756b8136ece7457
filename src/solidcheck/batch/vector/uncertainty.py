"""The measurement uncertainty of a specimen's rate as ``weightloss.py`` computes it: the same
float operations in the same order (``math.hypot`` reproduced operation for operation,
``x**2`` as libm's ``pow``), so it is the same float."""

from __future__ import annotations

import functools
import math

import numpy as np

from .._exact import Floats, two_prod

__all__ = ["rate_uncertainty", "square"]


@functools.cache
def _pow_is_libm() -> bool:
    """Whether numpy's power with an array exponent gives what Python's ``x**2`` gives
    (libm's pow, which is not always x*x); checked once on values where the two differ."""
    sample = np.array([46892.78043447317, 14686.9225750816, 8523.445315277637, 3.3, 7.1])
    twos = np.full(sample.size, 2.0)
    return bool(np.all(np.power(sample, twos) == np.array([v**2 for v in sample.tolist()])))


def square(x: Floats) -> Floats:
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


def rate_uncertainty(m0: Floats, m1: Floats, u_g: Floats) -> Floats:
    """``weightloss._rate_uncertainty``, the same float operations in the same order."""
    a, b = 1 / m0, m1 / square(m0)
    if _hypot_is_python():
        h = _hypot(a, b)
    else:
        h = np.array([math.hypot(p, q) for p, q in zip(a.tolist(), b.tolist(), strict=True)])
    return np.asarray(100 * u_g * h, dtype=np.float64)
