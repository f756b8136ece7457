"""Numbers as a person reads them: the digits the measurement supports, its unit, in English
or Chinese.

A rate of 0.149291 % against a 0.5 % limit reads "0.15 %": more digits than that claim a
precision no balance has, and fewer could hide which side of the limit it is on — so a
number compared with a bound keeps the fewest decimals that still show the same side
(:func:`decisive_decimals`). Durations read "6 h 11 min" (六小时十一分 is not used: Chinese
technical text writes "6 小时 11 分钟"). Every kind below is named in the message catalogue's
grammar (``messages.toml``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Literal

__all__ = ["KINDS", "Language", "QuantityKind", "decisive_decimals", "format_quantity"]

Language = Literal["en", "zh", "zh-Hant"]
QuantityKind = Literal["temperature_c", "duration_h", "pressure_pa", "mass_g", "mass_mg",
                       "percent", "ratio_w_per_wh", "count", "number"]

#: kind → (unit in English, unit in Chinese, the most decimals shown)
_UNITS: dict[str, tuple[str, str, int]] = {
    "temperature_c": ("°C", "°C", 2),
    "pressure_pa": ("Pa", "Pa", 1),
    "mass_g": ("g", "g", 4),
    "mass_mg": ("mg", "mg", 3),
    "percent": ("%", "%", 4),
    "ratio_w_per_wh": ("W/Wh", "W/Wh", 3),
    "number": ("", "", 4),
}
KINDS: tuple[str, ...] = (*_UNITS, "duration_h", "count")

_CLOCK = {"en": ("h", "min", "s"), "zh": ("小时", "分钟", "秒"), "zh-Hant": ("小時", "分鐘", "秒")}


def _decimal(value: float | Fraction | int) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _written_decimals(value: float | Fraction | int) -> int:
    """How many decimals the value was written with (a Fraction: as many as it needs)."""
    exponent = _decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _rounded(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def decisive_decimals(value: float | Fraction, bound: float | Fraction, *, at_least: int = 0,
                      at_most: int = 12) -> int:
    """The fewest decimals (from ``at_least``) at which ``value`` rounded still lies on the
    same side of ``bound`` as ``value`` itself (or equal to it when they are equal)."""
    exact_value, exact_bound = _decimal(value), _decimal(bound)
    side = (exact_value > exact_bound) - (exact_value < exact_bound)
    for decimals in range(at_least, at_most + 1):
        shown = _rounded(exact_value, decimals)
        if (shown > exact_bound) - (shown < exact_bound) == side:
            return decimals
    return at_most


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _duration(hours: float | Fraction, lang: Language) -> str:
    seconds_total = int(_rounded(_decimal(hours) * 3600, 0))
    sign = "-" if seconds_total < 0 else ""
    h, rest = divmod(abs(seconds_total), 3600)
    m, s = divmod(rest, 60)
    hour, minute, second = _CLOCK[lang]
    parts = [f"{h} {hour}"] if h else []
    if m or (h and s):
        parts.append(f"{m} {minute}")
    if s or not parts:
        parts.append(f"{s} {second}")
    return sign + " ".join(parts)


def format_quantity(value: float | Fraction | int, kind: QuantityKind, lang: Language = "en",
                    *, against: float | Fraction | None = None,
                    resolution: float | None = None, with_unit: bool = True) -> str:
    """``value`` with its unit, in ``lang``, to the digits it supports.

    ``against``: a bound the value is compared with; enough decimals are kept to show on
    which side it lies. ``resolution``: the instrument's resolution in the value's unit
    (a balance's 0.1 mg for a mass in mg); no more decimals than it resolves.
    ``with_unit=False``: the number alone, for a column whose heading names the unit.
    """
    if kind == "duration_h":
        return _duration(value, lang)
    if kind == "count":
        return str(int(value))
    english_unit, chinese_unit, most = _UNITS[kind]
    decimals = min(_written_decimals(value), most)
    if resolution is not None:
        decimals = min(decimals, _written_decimals(resolution))
    if against is not None:
        shown = decimals if resolution is not None else min(decimals, 2)
        decimals = decisive_decimals(value, against, at_least=shown)
    text = _plain(_rounded(_decimal(value), decimals))
    unit = english_unit if lang == "en" else chinese_unit
    return f"{text} {unit}" if unit and with_unit else text
