"""Units of the tabular readers: what a header's unit means, and the factor to canonical.

The spellings and factors are data (``spellings.toml``); this module turns them into
:class:`Unit` look-ups by dimension, the form the header matching and conversion use.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._spellings import load_spellings, unit_key

__all__ = ["Unit", "accepted_units", "is_clock_unit", "parse_unit"]


@dataclass(frozen=True)
class Unit:
    """A unit of one dimension: canonical value = value × scale + offset."""

    symbol: str
    scale: float = 1.0
    offset: float = 0.0
    #: how a note describes the conversion when ``× scale + offset`` would mislead
    conversion: str | None = None

    @property
    def is_canonical(self) -> bool:
        return self.scale == 1.0 and self.offset == 0.0

    def describe(self) -> str:
        """How a value was converted, for the notes (``× 1000``, ``− 273.15``)."""
        if self.conversion is not None:
            return self.conversion
        if self.scale != 1.0 and self.offset == 0.0:
            return f"× {self.scale:g}"
        if self.scale == 1.0 and self.offset != 0.0:
            return f"{'−' if self.offset < 0 else '+'} {abs(self.offset):g}"
        return f"× {self.scale:g} + {self.offset:g}"


def _units_by_spelling() -> dict[str, dict[str, Unit]]:
    table: dict[str, dict[str, Unit]] = {}
    for dimension, entries in load_spellings().units.items():
        spelled = table[dimension] = {}
        for entry in entries:
            unit = Unit(entry.symbol, entry.scale, entry.offset, entry.conversion)
            for spelling in (entry.symbol, *entry.spellings):
                spelled[unit_key(spelling)] = unit
    return table


#: dimension → accepted spelling (normalised) → unit, in the data file's order: the first
#: unit is the canonical one, and error messages list them in this order.
UNITS: dict[str, dict[str, Unit]] = _units_by_spelling()

#: Spellings (case-folded) of a time column holding elapsed ``H:MM:SS`` rather than a number.
CLOCK_UNITS: frozenset[str] = load_spellings().clock


def parse_unit(dimension: str, text: str) -> Unit | None:
    """The unit ``text`` names in ``dimension``, or None when solidcheck does not know it.

    >>> parse_unit("pressure", "kPa").scale
    1000.0
    >>> parse_unit("temperature", "℃").symbol
    '°C'
    >>> parse_unit("pressure", "psig") is None
    True
    """
    return UNITS[dimension].get(unit_key(text))


def accepted_units(dimension: str) -> str:
    return ", ".join(dict.fromkeys(unit.symbol for unit in UNITS[dimension].values()))


def is_clock_unit(unit_text: str) -> bool:
    """Whether a time column's unit says it holds elapsed ``H:MM:SS`` text."""
    return unit_text.casefold() in CLOCK_UNITS
