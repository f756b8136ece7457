"""Length-preserving text normalisation for the audit: one character in, one character out.

Why one-to-one: a finding's offsets are found in the normalised text and reported for the
original, so ``len(normalize(x)) == len(x)`` must hold and every offset must mean the same
character in both. NFKC and ``str.casefold`` change lengths (``ﬁ`` → ``fi``, ``ß`` → ``ss``),
so they are not used; instead a single table maps

- full-width ASCII (U+FF01–FF5E) to ASCII,
- every whitespace character (ideographic space, no-break space, tab, newline …) to " ",
- every dash or hyphen (Unicode category Pd, and U+2212 minus) to "-",
- upper case to lower case, wherever ``c.lower()`` is one character (İ is left as it is),
- the traditional forms of the Chinese characters the patterns use to their simplified form
  (found with OpenCC's s2t, s2tw and s2hk conversions of each pattern character), so 準固態電池
  is found by the pattern 准固态电池. Only pattern characters are folded: the audit needs no
  more, and a whole-script conversion is neither one-to-one nor fast.

Why two ways to apply the table: ``str.translate`` runs in C, and for pure-ASCII text it is
fast (a per-character cache). For any other text CPython looks every character up in the
table object through the generic mapping protocol — about 25–45 ns a character, 10–30 MB/s,
far below the audit's goal. So non-ASCII text goes through the same table held as a NumPy
array indexed by code point: UTF-16 code units against a 128 KiB table (it stays in cache)
when the text has no character beyond U+FFFF, UTF-32 against the full table otherwise —
about 350 MB/s. Both ways give the same result; ``tests/test_audit_terms.py`` checks it.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import opencc

__all__ = ["Normalizer", "normalize", "translation_table"]

_FULL_WIDTH = range(0xFF01, 0xFF5F)
_FULL_WIDTH_OFFSET = 0xFEE0
# No cased letter, space or dash lies above U+1EFFF (the last, Adlam capitals, end at
# U+1E921); scanning below it keeps building the table short. The tests check the full range.
_SCAN_LIMIT = 0x1F000
_EXTRA_DASHES = ("\u2212",)  # minus sign (category Sm), often typed for a hyphen
_OPENCC_CONFIGS = ("s2t", "s2tw", "s2hk")


def _single_char_map(pattern_characters: Iterable[str]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    for code in range(_SCAN_LIMIT):
        char = chr(code)
        lower = char.lower()
        if lower != char and len(lower) == 1:
            mapping[code] = ord(lower)
        elif char.isspace() and char != " ":
            mapping[code] = ord(" ")
        elif unicodedata.category(char) == "Pd" and char != "-":
            mapping[code] = ord("-")
    for char in _EXTRA_DASHES:
        mapping[ord(char)] = ord("-")
    for code in _FULL_WIDTH:
        ascii_char = chr(code - _FULL_WIDTH_OFFSET)
        mapping[code] = ord(ascii_char.lower())
    simplified = set(pattern_characters)
    converters = [opencc.OpenCC(config) for config in _OPENCC_CONFIGS]
    for char in sorted(simplified):
        for converter in converters:
            traditional = converter.convert(char)
            # a traditional form that is itself a pattern character keeps its own meaning
            if len(traditional) == 1 and traditional != char and traditional not in simplified:
                mapping.setdefault(ord(traditional), ord(char))
    return mapping


class Normalizer:
    """The one-to-one table for a set of simplified pattern characters, built once."""

    def __init__(self, pattern_characters: Iterable[str]) -> None:
        self.table: dict[int, int] = _single_char_map(pattern_characters)
        array = np.arange(0x110000, dtype=np.uint32)
        keys = np.fromiter(self.table.keys(), dtype=np.uint32, count=len(self.table))
        values = np.fromiter(self.table.values(), dtype=np.uint32, count=len(self.table))
        array[keys] = values
        self._array: npt.NDArray[np.uint32] = array
        # every character of the Basic Multilingual Plane maps into it (tests check)
        self._bmp_array: npt.NDArray[np.uint16] = array[:0x10000].astype(np.uint16)

    def __call__(self, text: str) -> str:
        if text.isascii():
            return text.translate(self.table)  # CPython's ASCII fast path
        # surrogatepass: lone surrogates (surrogateescape-decoded bytes) keep their place
        units = text.encode("utf-16-le", "surrogatepass")
        if len(units) == 2 * len(text):  # no character beyond U+FFFF
            folded16 = self._bmp_array[np.frombuffer(units, dtype=np.uint16)]
            result = str(folded16.data, "utf-16-le", "surrogatepass")
            if len(result) == len(text):  # a lone high + low surrogate would pair up
                return result
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return str(self._array[codes].data, "utf-32-le", "surrogatepass")


@functools.cache
def _default_normalizer() -> Normalizer:
    from ..terms import load_vocabulary
    from .patterns import chinese_characters

    return Normalizer(chinese_characters(load_vocabulary()))


def translation_table() -> dict[int, int]:
    """The installed vocabulary's table, for ``str.translate`` (code point → code point)."""
    return _default_normalizer().table


def normalize(text: str) -> str:
    """``text`` folded for matching, with exactly the same length (see the module docstring).

    >>> normalize("ＳＥＭＩ－ＳＯＬＩＤ　準固態電池")
    'semi-solid 准固态电池'
    """
    return _default_normalizer()(text)
