"""The data file of header names and unit spellings (``spellings.toml``): loading and checks.

The file's grammar is stated in its own header comment; this module holds it to that grammar
once per process, so a spelling added wrongly is an error naming its key and line at the first
read, never a header that silently stops matching. It also owns the two comparison keys the
grammar describes (:func:`unit_key`, :func:`name_key`), so the file and the matching agree.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import Problem, RulesetError
from ._base import CHANNELS

__all__ = ["Spellings", "load_spellings", "name_key", "parse_spellings", "unit_key"]

SPELLINGS_FILE = "spellings.toml"
#: The one field channel that is not a canonical channel: a date column beside clock times.
DATE_CHANNEL = "date"
_DIMENSIONS = ("time", "temperature", "pressure", "mass")
_CANONICAL_UNIT = {"time": CHANNELS["time_s"], "temperature": CHANNELS["temperature_c"],
                   "pressure": CHANNELS["pressure_pa"], "mass": CHANNELS["mass_g"]}


def unit_key(text: str) -> str:
    """A unit as written, made comparable: NFKC (℃ → °C, µ → μ), no spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@functools.lru_cache(maxsize=4096)
def name_key(text: str) -> str:
    """A header name made comparable: NFKC, case-folded, runs of spaces/``_``/``-`` as one space."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"[\s_\-]+", " ", text).strip()


@dataclass(frozen=True)
class UnitSpelling:
    symbol: str
    scale: float
    offset: float
    conversion: str | None
    spellings: tuple[str, ...]


@dataclass(frozen=True)
class FieldSpelling:
    channel: str
    label: str
    dimension: str | None
    example: str
    names: tuple[str, ...]  # in their comparison form (name_key)


@dataclass(frozen=True)
class Spellings:
    """The checked content of the data file."""

    units: dict[str, tuple[UnitSpelling, ...]]
    clock: frozenset[str]
    fields: dict[str, FieldSpelling]
    tables: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # kind → (fields, required)


@functools.cache
def load_spellings() -> Spellings:
    """The installed data file, read and checked once."""
    text = resources.files(__package__).joinpath(SPELLINGS_FILE).read_text(encoding="utf-8")
    return parse_spellings(text, source=SPELLINGS_FILE)


def parse_spellings(text: str, *, source: str = "<string>") -> Spellings:
    """Parse the data file; raise RulesetError naming every key that breaks the grammar."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError([Problem("", f"not valid TOML: {exc}", "fix the TOML syntax")],
                           source=source) from None
    checker = _Checker(text)
    spellings = checker.spellings(data)
    if checker.problems:
        raise RulesetError(checker.problems, source=source)
    return spellings


class _Checker:
    """Collects every problem of the file (not only the first), each with its key and line."""

    def __init__(self, text: str) -> None:
        self.problems: list[Problem] = []
        self._lines: dict[str, list[int]] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if header:
                self._lines.setdefault(header[1], []).append(number)

    def where(self, table: str, index: int | None = None, key: str = "") -> str:
        lines = self._lines.get(table, [])
        line = lines[index or 0] if len(lines) > (index or 0) else None
        path = table + (f"[{index}]" if index is not None else "") + (f".{key}" if key else "")
        return path + (f" (line {line})" if line else "")

    def fail(self, path: str, message: str, fix: str) -> None:
        self.problems.append(Problem(path, message, fix))

    def strings(self, value: Any, path: str, *, empty: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.fail(path, "must be a list of non-empty strings", 'write ["…", "…"]')
            return ()
        if not value and not empty:
            self.fail(path, "is empty", "list at least one")
        return tuple(value)

    def text(self, entry: dict[str, Any], key: str, path: str, *, blank: bool = False) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or (not blank and not value.strip()):
            self.fail(path, f"{key} must be a{'' if blank else ' non-empty'} string",
                      f'write {key} = "…"')
            return ""
        return value

    def unknown_keys(self, entry: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in entry.keys() - allowed:
            self.fail(path, f"unknown key {key!r}", f"use only {', '.join(sorted(allowed))}")

    def spellings(self, data: dict[str, Any]) -> Spellings:
        self.unknown_keys(data, {"unit", "clock", "field", "table"}, "(top level)")
        units = {dimension: self.dimension(data.get("unit", {}), dimension)
                 for dimension in _DIMENSIONS}
        for dimension in data.get("unit", {}).keys() - set(_DIMENSIONS):
            self.fail(self.where(f"unit.{dimension}", 0), f"unknown dimension {dimension!r}",
                      f"use one of: {', '.join(_DIMENSIONS)}")
        clock = data.get("clock", {})
        self.unknown_keys(clock, {"spellings"}, self.where("clock"))
        clock_spellings = frozenset(s.casefold() for s in self.strings(
            clock.get("spellings"), self.where("clock", key="spellings")))
        fields = self.fields(data.get("field"))
        tables = {kind: self.table(entry, kind, fields)
                  for kind, entry in dict(data.get("table", {})).items()}
        if not tables:
            self.fail("table", "no [table.KIND] is defined", "define [table.oven_log] and "
                      "[table.weighings]")
        return Spellings(units, clock_spellings, fields, tables)

    def dimension(self, all_units: dict[str, Any], dimension: str) -> tuple[UnitSpelling, ...]:
        table = f"unit.{dimension}"
        entries = all_units.get(dimension)
        if not isinstance(entries, list) or not entries:
            self.fail(table, f"no [[{table}]] entry", f"add the {dimension} units, the "
                      f"canonical {_CANONICAL_UNIT[dimension]} first")
            return ()
        units: list[UnitSpelling] = []
        owner: dict[str, str] = {}
        for index, entry in enumerate(entries):
            path = self.where(table, index)
            self.unknown_keys(entry, {"symbol", "scale", "offset", "conversion", "spellings"},
                              path)
            symbol = self.text(entry, "symbol", path)
            numbers = []
            for key, default in (("scale", 1.0), ("offset", 0.0)):
                value = entry.get(key, default)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    self.fail(self.where(table, index, key), "must be a number",
                              f"write {key} = 1000.0")
                    value = default
                numbers.append(float(value))
            scale, offset = numbers
            if scale == 0.0:
                self.fail(self.where(table, index, "scale"), "is 0", "give the factor to "
                          f"{_CANONICAL_UNIT[dimension]}")
            conversion = entry.get("conversion")
            if conversion is not None and not (isinstance(conversion, str) and conversion):
                self.fail(self.where(table, index, "conversion"), "must be a non-empty string",
                          'write conversion = "(x − 32) × 5/9"')
                conversion = None
            spellings = self.strings(entry.get("spellings", []),
                                     self.where(table, index, "spellings"), empty=True)
            for spelling in (symbol, *spellings):
                key = unit_key(spelling)
                if key in owner and owner[key] != symbol:
                    self.fail(self.where(table, index, "spellings"),
                              f"{spelling!r} is also a spelling of {owner[key]!r} (units are "
                              "compared case-folded and without spaces)",
                              "remove one of the two")
                owner.setdefault(key, symbol)
            units.append(UnitSpelling(symbol, scale, offset, conversion, spellings))
        first = units[0]
        if (first.symbol, first.scale, first.offset) != (_CANONICAL_UNIT[dimension], 1.0, 0.0):
            self.fail(self.where(table, 0), f"the first {dimension} unit must be the canonical "
                      f"{_CANONICAL_UNIT[dimension]!r} (scale 1, offset 0)",
                      f"move the {_CANONICAL_UNIT[dimension]} entry to the top")
        return tuple(units)

    def fields(self, entries: Any) -> dict[str, FieldSpelling]:
        if not isinstance(entries, list) or not entries:
            self.fail("field", "no [[field]] entry", "add the columns the readers look for")
            return {}
        fields: dict[str, FieldSpelling] = {}
        for index, entry in enumerate(entries):
            path = self.where("field", index)
            self.unknown_keys(entry, {"channel", "label", "dimension", "example", "names"},
                              path)
            channel = self.text(entry, "channel", path)
            if channel and channel not in CHANNELS and channel != DATE_CHANNEL:
                self.fail(self.where("field", index, "channel"),
                          f"{channel!r} is not a canonical channel",
                          f"use one of: {', '.join(CHANNELS)}, or {DATE_CHANNEL!r}")
            if channel in fields:
                self.fail(self.where("field", index, "channel"), f"{channel!r} is defined "
                          "twice", "merge the two entries' names")
            dimension = self.text(entry, "dimension", path, blank=True)
            if dimension and dimension not in _DIMENSIONS:
                self.fail(self.where("field", index, "dimension"), f"unknown dimension "
                          f"{dimension!r}", f"use one of: {', '.join(_DIMENSIONS)}, or \"\"")
            names: list[str] = []
            for name in self.strings(entry.get("names"), self.where("field", index, "names")):
                if name_key(name) in names:
                    self.fail(self.where("field", index, "names"), f"{name!r} is listed "
                              f"twice (as {name_key(name)!r}: names are compared case-folded, "
                              "with '_', '-' and spaces alike)", "remove one of the two")
                    continue
                names.append(name_key(name))
            fields[channel] = FieldSpelling(
                channel, self.text(entry, "label", path), dimension or None,
                self.text(entry, "example", path), tuple(names))
        return fields

    def table(self, entry: Any, kind: str, fields: dict[str, FieldSpelling]
              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        table = f"table.{kind}"
        if not isinstance(entry, dict):
            self.fail(table, "must be a table", f"write [{table}]")
            return (), ()
        self.unknown_keys(entry, {"fields", "required"}, self.where(table))
        chosen = self.strings(entry.get("fields"), self.where(table, key="fields"))
        required = self.strings(entry.get("required"), self.where(table, key="required"))
        for channel in chosen:
            if channel not in fields:
                self.fail(self.where(table, key="fields"), f"no [[field]] has channel "
                          f"{channel!r}", "define the field, or remove it here")
        for channel in required:
            if channel not in chosen:
                self.fail(self.where(table, key="required"), f"{channel!r} is not one of "
                          "this table's fields", "add it to fields, or remove it here")
        return chosen, required
