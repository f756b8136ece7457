"""Header lines of the tabular readers: which column is which channel, and in what unit.

A header is recognised by its name and unit (:func:`match_header`) against the fields of
``spellings.toml``; :func:`find_layout` finds the header line among a file's leading rows and
:func:`choose_columns` picks one column per channel, refusing unknown units and ties before
any data row is read.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import EvidenceError, Problem
from ._spellings import load_spellings, name_key
from ._units import Unit, accepted_units, is_clock_unit, parse_unit

__all__ = [
    "MAX_HEADER_LINE",
    "OVEN_FIELDS",
    "OVEN_REQUIRED",
    "WEIGHING_FIELDS",
    "WEIGHING_REQUIRED",
    "Column",
    "Field",
    "Layout",
    "choose_columns",
    "find_layout",
    "match_header",
    "missing_problems",
]

#: How many leading lines may precede the header (instrument name, operator, …).
MAX_HEADER_LINE = 64


@dataclass(frozen=True)
class Field:
    """A column a reader looks for: its canonical channel and the header names it goes by.

    ``dimension`` is None for text columns (a specimen id, a date). ``names`` are in their
    comparison form (NFKC, case-folded, ``_``/``-``/runs of spaces as one space; the grammar
    of ``spellings.toml``); their order is the preference when a file has two columns for the
    same channel.
    """

    channel: str
    label: str
    dimension: str | None
    names: tuple[str, ...]
    example: str


def _table(kind: str) -> tuple[tuple[Field, ...], tuple[str, ...]]:
    spellings = load_spellings()
    channels, required = spellings.tables[kind]
    fields = tuple(Field(f.channel, f.label, f.dimension, f.names, f.example)
                   for f in (spellings.fields[channel] for channel in channels))
    return fields, required


#: Columns of an oven or thermobalance log, and which of them a log must have.
OVEN_FIELDS, OVEN_REQUIRED = _table("oven_log")
#: Columns of a weighings table (one row per specimen).
WEIGHING_FIELDS, WEIGHING_REQUIRED = _table("weighings")


_HEADER_FORMS = (
    re.compile(r"^(?P<name>.*?)\s*[\(\[]\s*(?P<unit>[^\)\]]*?)\s*[\)\]]\s*$"),  # Time (s), T [K]
    re.compile(r"^(?P<name>[^/]+?)\s*/\s*(?P<unit>[^/]+?)\s*$"),  # t/min, 温度/°C
    re.compile(r"^(?P<name>.+)_(?P<unit>[^_]+)$"),  # time_s, mass_before_g
)


@dataclass(frozen=True)
class Column:
    """A header recognised as a field; ``unit`` is None when missing or unknown."""

    index: int
    header: str
    field: Field
    unit: Unit | None
    unit_text: str
    rank: int

    @property
    def channel(self) -> str:
        return self.field.channel


def match_header(index: int, header: str, fields: Sequence[Field]) -> Column | None:
    """Recognise one header, or None when it names none of ``fields``.

    >>> column = match_header(0, "Pressure [kPa]", OVEN_FIELDS)
    >>> column.channel, column.unit.symbol
    ('pressure_pa', 'kPa')
    >>> match_header(1, "T/K", OVEN_FIELDS).channel
    'temperature_c'
    >>> match_header(2, "Set temperature (°C)", OVEN_FIELDS) is None
    True
    """
    text = unicodedata.normalize("NFKC", header).strip()
    whole = name_key(text)
    candidates = [(f, f.names.index(whole)) for f in fields if whole in f.names]
    if len(candidates) == 1:
        found, rank = candidates[0]
        return Column(index, header, found, None, "", 1000 + rank)
    for form in _HEADER_FORMS:
        matched = form.match(text)
        if not matched:
            continue
        name, unit_text = name_key(matched["name"]), matched["unit"].strip()
        candidates = [(f, f.names.index(name)) for f in fields if name in f.names]
        if not candidates:
            continue
        for found, rank in candidates:  # "t" is time in t/min and temperature in T/K
            if found.dimension is not None and (unit := parse_unit(found.dimension, unit_text)):
                return Column(index, header, found, unit, unit_text, rank)
        found, rank = candidates[0]
        if found.dimension is None:
            return Column(index, header, found, None, "", rank)
        return Column(index, header, found, None, unit_text, rank)
    return None


@dataclass(frozen=True)
class Layout:
    """Where the header is and what it says; ``delimiter`` is None for a spreadsheet."""

    header_row: int  # 0-based index of the header line or sheet row
    headers: tuple[str, ...]
    columns: tuple[Column, ...]
    delimiter: str | None = None
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing


_NUMERIC_CELL = re.compile(r"[-+]?[\d.,]+(?:[eE][-+]?\d+)?")  # a data cell is never a header


def find_layout(
    rows: Iterable[Sequence[str]],
    fields: Sequence[Field],
    required: Sequence[str],
    *,
    delimiter: str | None = None,
) -> Layout | None:
    """The best header among ``rows``: the first holding every required field, else the one
    holding most of them (so the error can say what is missing), else None."""
    best: Layout | None = None
    for row_index, row in enumerate(itertools.islice(rows, MAX_HEADER_LINE)):
        headers = tuple((cell or "").strip() for cell in row)
        if sum(1 for cell in headers if cell) < 2:
            continue
        columns = tuple(
            column for i, cell in enumerate(headers)
            if cell and not _NUMERIC_CELL.fullmatch(cell)
            and (column := match_header(i, cell, fields)) is not None
        )
        channels = {column.channel for column in columns}
        missing = tuple(channel for channel in required if channel not in channels)
        layout = Layout(row_index, headers, columns, delimiter, missing)
        if not missing:
            return layout
        if best is None or (len(missing), -len(columns)) < (len(best.missing), -len(best.columns)):
            best = layout
    return best


def choose_columns(layout: Layout, path: Path) -> list[Column]:
    """One column per channel, the best-ranked, in file order; then any unit-less second time
    column (it may still date the log). Bad units and two equally good columns for one
    channel are errors, raised before any data row is read."""
    by_channel: dict[str, list[Column]] = {}
    for column in layout.columns:
        by_channel.setdefault(column.channel, []).append(column)
    chosen: list[Column] = []
    extra: list[Column] = []
    problems: list[Problem] = []
    for channel, candidates in by_channel.items():
        candidates.sort(key=lambda c: (c.unit is None and bool(c.field.dimension), c.rank))
        if len(candidates) > 1 and candidates[0].rank == candidates[1].rank and (
            (candidates[0].unit is None) == (candidates[1].unit is None)
        ):
            names = " and ".join(repr(c.header) for c in candidates)
            problems.append(Problem(
                "columns", f"two {candidates[0].field.label} columns: {names}",
                f"keep one {candidates[0].field.label} column, or rename the other so "
                "solidcheck does not take it for this channel",
            ))
        chosen.append(candidates[0])
        if channel == "time_s":
            extra += [c for c in candidates[1:] if c.unit is None and not c.unit_text]
    problems += _unit_problems(chosen)
    if problems:
        raise EvidenceError(problems, source=str(path))
    return sorted(chosen, key=lambda c: c.index) + extra


def _unit_problems(columns: Sequence[Column]) -> list[Problem]:
    problems = []
    for column in columns:
        dimension = column.field.dimension
        if dimension is None or column.unit is not None:
            continue
        if column.unit_text and not (dimension == "time"
                                     and is_clock_unit(column.unit_text)):
            problems.append(Problem(
                "columns", f"column {column.header!r} has the unit {column.unit_text!r}, which "
                f"is not a {dimension} unit solidcheck knows",
                f"give the unit as one of: {accepted_units(dimension)} "
                f"(e.g. {column.field.example}), or convert the column",
            ))
        elif not column.unit_text and dimension != "time":
            problems.append(Problem(
                "columns", f"column {column.header!r} gives no unit",
                f"add the unit to the header, e.g. {column.field.example} (accepted: "
                f"{accepted_units(dimension)})",
            ))
    return problems


def missing_problems(layout: Layout, fields: Sequence[Field], what: str) -> list[Problem]:
    """One problem per required column the best header line lacks."""
    found = ", ".join(repr(h) for h in layout.headers if h)
    by_channel = {f.channel: f for f in fields}
    problems = []
    for channel in layout.missing:
        wanted = by_channel[channel]
        problems.append(Problem(
            "columns",
            f"no {wanted.label} column; found columns: {found}",
            f"name the {wanted.label} column of the {what} like {wanted.example}; accepted "
            f"names: {', '.join(repr(n) for n in wanted.names if len(n) > 1)}",
        ))
    return problems

