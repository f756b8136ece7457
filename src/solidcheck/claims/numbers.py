"""Numbers as product text writes them, and the folding that lets one pattern read them all.

The text is *folded* one character for one character (full-width forms to ASCII, traditional
to simplified Chinese for the characters matched here, the many minus signs and spaces to one
each), so an offset in the folded text is an offset in the original. A number's value is read
from the matched characters only (``1.2万``, ``一点五万``, ``５万``); the text is never rewritten.
The Chinese numerals are data (``numerals.toml``).
"""

from __future__ import annotations

import re

from .numerals import load_numerals

__all__ = ["NUMBER_TOKEN", "fold_for_matching", "number_value", "parse_number"]

# --- folding -------------------------------------------------------------------------------

# Traditional → simplified for the characters of the words matched here (one for one, so
# offsets are kept). Not a general converter: only what the patterns below need.
_TRADITIONAL = (
    "萬万 億亿 兩两 負负 電电 時时 鐘钟 環环 態态 溫温 攝摄 體体 質质 級级 統统 組组 單单 "
    "論论 極极 儲储 貯贮 試试 驗验 測测 熱热 續续 滿满 脈脉 衝冲 連连 運运 輸输 膠胶 鋰锂 "
    "準准 壽寿 數数 週周 閃闪 點点 針针 類类 領领 業业 場场 產产 費费 碼码 氣气 車车 複复 "
    "鹵卤 離离 裡里"
)
_FOLD: dict[int, str] = {}
for _pair in _TRADITIONAL.split():
    if _pair[0] != _pair[1]:
        _FOLD[ord(_pair[0])] = _pair[1]
for _code in range(0xFF01, 0xFF5F):  # full-width ASCII; the full-width comma is punctuation
    if _code != 0xFF0C:
        _FOLD[_code] = chr(_code - 0xFEE0)
for _char in "\u3000\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\t":
    _FOLD[ord(_char)] = " "
for _char in "\u2212\ufe63\u2010\u2011":  # minus signs and non-breaking hyphens
    _FOLD[ord(_char)] = "-"
for _char in "\u301c\u223c\u2053":  # wave dashes, tilde operator
    _FOLD[ord(_char)] = "~"
for _char in "\u00ba\u02da":  # masculine ordinal, ring above: both typed for the degree sign
    _FOLD[ord(_char)] = "°"
for _char in "\u22c5\u2219":
    _FOLD[ord(_char)] = "·"
for _char in "\u2044\u2215":
    _FOLD[ord(_char)] = "/"
_FULL_WIDTH_GROUPING = re.compile(r"(?<=[０-９])，(?=[０-９]{3})")


def fold_for_matching(text: str) -> str:
    """The text with one character for each character, folded for matching (same length)."""
    folded = text.translate(_FOLD)
    if "，" in text:  # full-width digits grouped with a full-width comma: １２，０００
        chars = list(folded)
        for match in _FULL_WIDTH_GROUPING.finditer(text):
            chars[match.start()] = ","
        folded = "".join(chars)
    return folded


# --- numbers -------------------------------------------------------------------------------

_NUMERALS = load_numerals()
_ZH_DIGITS = dict(_NUMERALS.digits)
_ZH_SMALL = dict(_NUMERALS.small_units)
_ZH_BIG = dict(_NUMERALS.big_units)
_ZH_POINT = _NUMERALS.decimal_point
_ZH_CHARS = "".join([*_ZH_DIGITS, *_ZH_SMALL, *_ZH_BIG])
_ZH_DIGIT_CHARS = "".join(_ZH_DIGITS)
_ZH_BIG_CHARS = "".join(_ZH_BIG)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")

# A multiplier may follow the digits after one space (5 万次, as typeset Chinese often has it).
_ARABIC = (
    r"(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,3}(?: \d{3}){1,4}|\d{1,15})(?!\d)(?:\.\d{1,10}(?!\d))?"
    r"(?: ?[×xX*] ?10(?:(?:\^|\*\*)[-+]?\d{1,2}(?!\d)|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}))?"
    rf"(?: ?(?i:thousand|million)(?![A-Za-z])|[kK](?![A-Za-z0-9])|(?: ?[{_ZH_BIG_CHARS}])"
    r"| ?千(?![克米瓦卡焦帕伏]))?"
)
# Chinese numerals, with the decimal point only between digits: 一点五万 (一点 alone is "a bit").
_CHINESE = (
    rf"(?<![{_ZH_CHARS}])(?<![{_ZH_CHARS}]{_ZH_POINT})[{_ZH_CHARS}]{{1,16}}"
    rf"(?:{_ZH_POINT}[{_ZH_DIGIT_CHARS}]{{1,{_NUMERALS.max_fraction_digits}}}"
    rf"[{_ZH_BIG_CHARS}]?)?(?![{_ZH_CHARS}])"
)
_NUMBER = re.compile(rf"{_ARABIC}|{_CHINESE}")
_NUMBER_PARTS = re.compile(
    r"(?P<mantissa>[\d, ]+(?:\.\d+)?)"
    r"(?: ?[×xX*] ?10(?:\^|\*\*)?(?P<exp>[-+⁻⁺]?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]+))?"
    rf" ?(?P<mult>thousand|million|[kK]|[{_ZH_BIG_CHARS}]|千)?", re.IGNORECASE)
_MULTIPLIERS: dict[str, float] = {"thousand": 1e3, "million": 1e6, "k": 1e3, "千": 1e3,
                                  **{char: float(value) for char, value in _ZH_BIG.items()}}

# A number token: an optional sign or Chinese/English sign word, then the number. A sign
# right after a letter, digit or closing mark is a hyphen (EV-5C, 10-80 %), not a minus.
NUMBER_TOKEN = re.compile(
    r"(?:(?P<neg>零下|负|(?i:minus) )|(?P<celsius>摄氏(?P<celsius_neg>零下)?)"
    r"|(?<![A-Za-z0-9_.%°℃)\]])(?P<sign>[-+–])(?=\d))?"
    rf"(?<![A-Za-z0-9_.])(?P<num>{_ARABIC}|{_CHINESE})"
)


def _parse_chinese(text: str) -> float | None:
    """十万 → 100000, 两万五千 → 25000, 二〇二六 → 2026, 一点五万 → 15000; None when it is
    not a number. Read from the matched characters only: the text itself is never rewritten."""
    whole, point, fraction = text.partition(_ZH_POINT)
    if not point:
        return _parse_chinese_integer(text)
    big = _ZH_BIG.get(fraction[-1], 1) if fraction else 1
    digits = fraction[:-1] if big > 1 else fraction
    integer = _parse_chinese_integer(whole)
    if integer is None or not digits or any(ch not in _ZH_DIGITS for ch in digits):
        return None
    decimals = "".join(str(_ZH_DIGITS[ch]) for ch in digits)
    return (integer + float("0." + decimals)) * big


def _parse_chinese_integer(text: str) -> float | None:
    """An integer in Chinese numerals (no decimal point)."""
    if not text:
        return None
    if all(ch in _ZH_DIGITS for ch in text):
        if len(text) == 1:
            return float(_ZH_DIGITS[text])
        return float("".join(str(_ZH_DIGITS[ch]) for ch in text))
    total = section = 0
    digit: int | None = None
    last_unit = 0
    for ch in text:
        if ch in _ZH_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row outside a digit-by-digit number
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_SMALL:
            section += (1 if digit is None else digit) * _ZH_SMALL[ch]
            digit, last_unit = None, _ZH_SMALL[ch]
        else:
            section += digit or 0
            if section == 0 and total == 0:
                return None  # 万 or 亿 with nothing before it
            big = _ZH_BIG[ch]
            total = (total + section) * big if big > 10_000 else total + section * big
            section, digit, last_unit = 0, None, big
    if digit:
        # 两万五 = 25000: a digit right after a unit counts in the next smaller unit
        abbreviated = len(text) >= 2 and text[-2] not in _ZH_DIGITS and last_unit >= 100
        section += digit * (last_unit // 10 if abbreviated else 1)
    return float(total + section)


def parse_number(text: str) -> float | None:
    """The value of one unsigned number as written: ``1,000``, ``1 000``, ``1.5``, ``10k``,
    ``1.2万``, ``十万``, ``2×10^4``; full-width digits are accepted. None when it is not one
    number (``1,2``, ``abc``).

    >>> [parse_number(s) for s in ["1,000", "1 000", "10k", "1.2万", "十万", "１２０"]]
    [1000.0, 1000.0, 10000.0, 12000.0, 100000.0, 120.0]
    """
    folded = fold_for_matching(text).strip()
    return number_value(folded) if _NUMBER.fullmatch(folded) else None


def number_value(folded: str) -> float | None:
    """:func:`parse_number` of text already folded (a token's ``num`` group)."""
    if not folded or len(folded) > 64:
        return None
    if all(ch in _ZH_CHARS or ch == _ZH_POINT for ch in folded):
        return _parse_chinese(folded)
    parts = _NUMBER_PARTS.fullmatch(folded)
    if parts is None:
        return None
    mantissa = parts["mantissa"].replace(",", "").replace(" ", "")
    if not mantissa or not mantissa[0].isdigit():
        return None
    value = float(mantissa)
    if parts["exp"]:
        value *= 10.0 ** int(parts["exp"].translate(_SUPERSCRIPTS))
    if parts["mult"]:
        value *= _MULTIPLIERS[parts["mult"].lower()]
    return value
