"""Text and spreadsheet tables → canonical columns, shared by the CSV and Excel readers.

Lab software writes the same log in many dialects: UTF-8 with or without BOM or GBK, `,` `;`
or tab between fields, a decimal comma, headers such as ``Temp [℃]``, ``温度/°C`` or
``temperature_c``, and units from mbar to Torr. This module recognises each column by its
header (:data:`OVEN_FIELDS`, :data:`WEIGHING_FIELDS`), converts it into the canonical unit of
:data:`CHANNELS`, and leaves out rows that cannot be read, naming each by its line in the file.

The data rows are parsed and converted column-wise in C++ (``pyarrow.csv`` and
``pyarrow.compute``): only the first few kilobytes (to find the header) and the rows reported
as bad ever become Python objects, so a log of a million rows reads in about a second. A file
of more lines than MAX_READING_ROWS is refused before it is parsed (its line ends are counted).
"""

from __future__ import annotations

import codecs
import csv
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import MAX_PROBLEMS_LISTED, EvidenceError, Problem
from ._base import CHANNELS, check_text_rows

__all__ = [
    "MAX_LISTED_ROWS",
    "OVEN_FIELDS",
    "UNITS",
    "WEIGHING_FIELDS",
    "Column",
    "Field",
    "Layout",
    "TableResult",
    "Unit",
    "choose_columns",
    "decode_text",
    "find_layout",
    "line_mapper",
    "match_header",
    "missing_problems",
    "normalise_columns",
    "parse_unit",
    "read_text_table",
    "sniff_text_layout",
]

#: How many unreadable rows are listed one by one; the rest are counted in one summary.
MAX_LISTED_ROWS = 20
#: How much of a text file is looked at to find the header, delimiter and decimal separator.
SNIFF_BYTES = 1 << 16
#: How many leading lines may precede the header (instrument name, operator, …).
MAX_HEADER_LINE = 64


# --- units -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A unit of one dimension: canonical value = value × scale + offset."""

    symbol: str
    scale: float = 1.0
    offset: float = 0.0

    @property
    def is_canonical(self) -> bool:
        return self.scale == 1.0 and self.offset == 0.0

    def describe(self) -> str:
        """How a value was converted, for the notes (``× 1000``, ``− 273.15``)."""
        if self.symbol == "°F":
            return "(x − 32) × 5/9"
        if self.scale != 1.0 and self.offset == 0.0:
            return f"× {self.scale:g}"
        if self.scale == 1.0 and self.offset != 0.0:
            return f"{'−' if self.offset < 0 else '+'} {abs(self.offset):g}"
        return f"× {self.scale:g} + {self.offset:g}"


_TORR_PA = 101325.0 / 760.0


def _units(*entries: tuple[Unit, tuple[str, ...]]) -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for unit, spellings in entries:
        for spelling in (unit.symbol, *spellings):
            table[_unit_key(spelling)] = unit
    return table


def _unit_key(text: str) -> str:
    """A unit as written, made comparable: NFKC (℃ → °C, µ → μ), no spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


#: dimension → accepted spelling (normalised) → unit. The first spelling of each unit is the
#: one shown in error messages.
UNITS: dict[str, dict[str, Unit]] = {
    "time": _units(
        (Unit("s"), ("sec", "secs", "second", "seconds", "秒")),
        (Unit("ms", 1e-3), ("millisecond", "milliseconds", "毫秒")),
        (Unit("min", 60.0), ("mins", "minute", "minutes", "分", "分钟")),
        (Unit("h", 3600.0), ("hr", "hrs", "hour", "hours", "小时", "时")),
    ),
    "temperature": _units(
        (Unit("°C"), ("℃", "c", "degc", "deg c", "°c", "celsius", "摄氏度")),
        (Unit("K", 1.0, -273.15), ("kelvin",)),
        (Unit("°F", 5.0 / 9.0, -32.0 * 5.0 / 9.0), ("f", "degf", "deg f", "℉", "fahrenheit")),
    ),
    "pressure": _units(
        (Unit("Pa"), ("pascal",)),
        (Unit("kPa", 1e3), ()),
        (Unit("MPa", 1e6), ()),
        (Unit("hPa", 1e2), ()),
        (Unit("mbar", 1e2), ("millibar",)),
        (Unit("bar", 1e5), ()),
        (Unit("Torr", _TORR_PA), ("mmHg",)),
        (Unit("mTorr", _TORR_PA / 1000.0), ("millitorr",)),
        (Unit("psi", 6894.757293168361), ("psia",)),
        (Unit("atm", 101325.0), ()),
    ),
    "mass": _units(
        (Unit("g"), ("gram", "grams", "克")),
        (Unit("mg", 1e-3), ("毫克",)),
        (Unit("kg", 1e3), ("千克", "公斤")),
        (Unit("µg", 1e-6), ("ug", "μg", "微克")),
    ),
}

#: Spellings of a time column holding elapsed ``H:MM:SS`` rather than a number.
_CLOCK_UNITS = frozenset({"h:m:s", "hh:mm:ss", "h:mm:ss", "hms", "时:分:秒"})


def parse_unit(dimension: str, text: str) -> Unit | None:
    """The unit ``text`` names in ``dimension``, or None when solidcheck does not know it.

    >>> parse_unit("pressure", "kPa").scale
    1000.0
    >>> parse_unit("temperature", "℃").symbol
    '°C'
    >>> parse_unit("pressure", "psig") is None
    True
    """
    return UNITS[dimension].get(_unit_key(text))


def accepted_units(dimension: str) -> str:
    return ", ".join(dict.fromkeys(unit.symbol for unit in UNITS[dimension].values()))


# --- headers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A column a reader looks for: its canonical channel and the header names it goes by.

    ``dimension`` is None for text columns (a specimen id, a date). Names are compared after
    NFKC, case folding and turning ``_``/``-``/runs of spaces into one space; their order is
    the preference when a file has two columns for the same channel.
    """

    channel: str
    label: str
    dimension: str | None
    names: tuple[str, ...]
    example: str


_TIME = Field(
    "time_s", "time", "time",
    ("time", "t", "elapsed time", "elapsed", "test time", "run time", "runtime",
     "relative time", "time elapsed", "时间", "运行时间", "测试时间", "累计时间", "试验时间",
     "相对时间", "timestamp", "date/time", "datetime", "date time", "time stamp",
     "absolute time", "时间戳", "日期时间", "日期/时间", "记录时间", "采样时间"),
    "'Time (s)', 'time_min', '时间(s)' or 'Timestamp' with ISO 8601 date-times",
)
_DATE = Field("date", "date", None, ("date", "日期"), "'Date'")
_TEMPERATURE = Field(
    "temperature_c", "temperature", "temperature",
    ("temperature", "temp", "t", "sample temperature", "specimen temperature",
     "oven temperature", "chamber temperature", "actual temperature", "measured temperature",
     "furnace temperature", "温度", "样品温度", "试样温度", "实际温度", "测量温度", "箱内温度",
     "箱体温度", "炉温", "炉膛温度"),
    "'Temperature (°C)', 'temperature_c', 'T/K' or '温度(℃)'",
)
_PRESSURE = Field(
    "pressure_pa", "pressure", "pressure",
    ("pressure", "p", "vacuum", "absolute pressure", "chamber pressure", "vacuum pressure",
     "压力", "真空度", "压强", "绝对压力", "真空压力", "箱内压力"),
    "'Pressure (kPa)', 'pressure_pa', 'P/Torr' or '真空度(kPa)'",
)
_MASS = Field(
    "mass_g", "mass", "mass",
    ("mass", "weight", "m", "sample mass", "specimen mass", "质量", "重量", "样品质量",
     "试样质量"),
    "'Mass (mg)', 'mass_g' or '质量(g)'",
)
_SPECIMEN = Field(
    "specimen", "specimen", None,
    ("specimen", "sample", "specimen id", "sample id", "id", "name", "no", "no.", "试样",
     "样品", "编号", "试样编号", "样品编号", "序号"),
    "'specimen' or '试样'",
)
_MASS_BEFORE = Field(
    "mass_before_g", "mass before the test", "mass",
    ("mass before", "m0", "initial mass", "weight before", "mass before test", "mass initial",
     "试验前质量", "试验前重量", "初始质量", "测试前质量", "加热前质量"),
    "'mass_before_g', 'Mass before (g)', 'm0 (mg)' or '试验前质量(g)'",
)
_MASS_AFTER = Field(
    "mass_after_g", "mass after the test", "mass",
    ("mass after", "m1", "final mass", "weight after", "mass after test", "mass final",
     "试验后质量", "试验后重量", "最终质量", "测试后质量", "加热后质量"),
    "'mass_after_g', 'Mass after (g)', 'm1 (mg)' or '试验后质量(g)'",
)

#: Columns of an oven or thermobalance log, and which of them a log must have.
OVEN_FIELDS: tuple[Field, ...] = (_TIME, _DATE, _TEMPERATURE, _PRESSURE, _MASS)
OVEN_REQUIRED: tuple[str, ...] = ("time_s", "temperature_c")
#: Columns of a weighings table (one row per specimen).
WEIGHING_FIELDS: tuple[Field, ...] = (_SPECIMEN, _MASS_BEFORE, _MASS_AFTER)
WEIGHING_REQUIRED: tuple[str, ...] = ("mass_before_g", "mass_after_g")


@functools.lru_cache(maxsize=4096)
def _name_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"[\s_\-]+", " ", text).strip()


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
    whole = _name_key(text)
    candidates = [(f, f.names.index(whole)) for f in fields if whole in f.names]
    if len(candidates) == 1:
        found, rank = candidates[0]
        return Column(index, header, found, None, "", 1000 + rank)
    for form in _HEADER_FORMS:
        matched = form.match(text)
        if not matched:
            continue
        name, unit_text = _name_key(matched["name"]), matched["unit"].strip()
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


# --- layout: encoding, header line, delimiter, decimal separator --------------------------


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


SNIFF_CONTROL_CHARS = 4096
#: Unicode category Cc (C0 and C1 controls) except tab, line feed and carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> tuple[str, str] | None:
    """The text of a file's leading bytes and its encoding, or None for a binary file.

    UTF-8 (with or without BOM) is tried first, then GB18030, the superset of the GBK that
    Chinese lab software writes. A character cut by the end of ``data`` is not an error.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=False)
        except UnicodeDecodeError:
            continue
        start = text[:SNIFF_CONTROL_CHARS]  # a binary file shows itself at once
        controls = len(_CONTROL.findall(start))
        if "\x00" in start or controls > len(start) // 100:
            return None
        return text, encoding
    return None


_NEWLINE = re.compile(r"\r\n|\n|\r")
_DELIMITERS = (",", ";", "\t")
_NUMERIC_CELL = re.compile(r"[-+]?[\d.,]+(?:[eE][-+]?\d+)?")  # a data cell is never a header


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


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


def _text_lines(text: str, *, truncated: bool, limit: int) -> list[str]:
    """The first ``limit`` complete lines (only these are ever looked at)."""
    parts = _NEWLINE.split(text, maxsplit=limit)
    if len(parts) > limit:
        return parts[:limit]  # the remainder is dropped, every line kept is whole
    if truncated and len(parts) > 1:
        parts = parts[:-1]  # the last line was cut by the end of the sniffed bytes
    return parts


def sniff_text_layout(
    data: bytes, fields: Sequence[Field], required: Sequence[str], *, truncated: bool
) -> tuple[Layout | None, str, list[str]] | None:
    """Header layout (None if no line splits into cells), encoding and leading lines of a
    text table, or None if ``data`` is not text.

    Every delimiter is tried on every leading line; a header must split into at least two
    cells, so ``120,5`` in a ``;`` file is never mistaken for two columns.
    """
    decoded = decode_text(data)
    if decoded is None:
        return None
    text, encoding = decoded
    lines = _text_lines(text, truncated=truncated, limit=MAX_HEADER_LINE + 8)
    best: Layout | None = None
    sample = "\n".join(lines[:MAX_HEADER_LINE])
    for delimiter in (d for d in _DELIMITERS if d in sample):
        # split lazily: the header is nearly always the first line
        rows = (_split(line, delimiter) for line in lines[:MAX_HEADER_LINE])
        layout = find_layout(rows, fields, required, delimiter=delimiter)
        if layout is not None and (best is None or _rank(layout) < _rank(best)):
            best = layout
    return best, encoding, lines


def _rank(layout: Layout) -> tuple[int, int, int]:
    """Complete headers first, the earliest line first, then the most columns recognised."""
    return (len(layout.missing), layout.header_row if layout.complete else 0,
            -len(layout.columns))


_DECIMAL_COMMA_CELL = re.compile(r"^\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*$")


def _decimal_point(layout: Layout, lines: Sequence[str]) -> str:
    """``,`` when the data cells of a ``;``/tab file are written like ``120,5``."""
    if layout.delimiter == ",":
        return "."
    numeric = [column.index for column in layout.columns if column.field.dimension]
    for line in lines[layout.header_row + 1:layout.header_row + 40]:
        cells = _split(line, layout.delimiter or ",")
        for index in numeric:
            if index < len(cells) and _DECIMAL_COMMA_CELL.match(cells[index]):
                return ","
    return "."


# --- reading a text table ----------------------------------------------------------------


@dataclass(frozen=True)
class TableResult:
    """Canonical columns plus everything a Reading records about how they were obtained."""

    table: pa.Table
    origins: dict[str, str]
    notes: tuple[str, ...]
    problems: tuple[Problem, ...]
    started_at: str | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class _BadRow:
    line: int
    message: str


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
            f"names: {', '.join(repr(n) for n in wanted.names if n not in ('t', 'm', 'p'))}",
        ))
    return problems


def read_text_table(
    path: Path,
    *,
    fields: Sequence[Field],
    required: Sequence[str],
    what: str,
    bad_rows_fatal: bool = False,
) -> TableResult:
    """Read a delimited text table into canonical columns (see the module docstring)."""
    with path.open("rb") as handle:
        data = handle.read(SNIFF_BYTES)
    sniffed = sniff_text_layout(data, fields, required, truncated=len(data) == SNIFF_BYTES)
    if sniffed is None:
        raise EvidenceError(
            [Problem("", f"not a text table (binary content where a {what} was expected)",
                     "export the log as CSV text (UTF-8 or GBK)")],
            source=str(path),
        )
    layout, encoding, lines = sniffed
    if layout is None:
        raise EvidenceError(
            [Problem("", f"no header line found: no line of the first {MAX_HEADER_LINE} splits "
                     "into columns at ',', ';' or tab",
                     f"export the {what} as a table with one header line, e.g. "
                     f"{fields[0].example}, …")],
            source=str(path),
        )
    if not layout.complete:
        raise EvidenceError(missing_problems(layout, fields, what), source=str(path))
    decimal = _decimal_point(layout, lines)
    columns = choose_columns(layout, path)
    check_text_rows(path, header_lines=layout.header_row + 1, what=what)
    raw, invalid = _read_csv_columns(path, layout, columns, encoding=encoding, decimal=decimal)
    first_line = layout.header_row + 2  # 1-based line of the first data row
    line_of = line_mapper(first_line, [bad.line for bad in invalid])
    # Where "," cannot separate fields it can only be a decimal comma, even in a file whose
    # first lines held no decimals: cells the fast path could not parse accept both.
    cell_decimal = "," if layout.delimiter != "," else decimal
    result = normalise_columns(
        raw, columns, line_of=line_of, extra_bad=invalid, decimal=cell_decimal, fields=fields,
        required=required, bad_rows_fatal=bad_rows_fatal, path=path,
        passed_over=[c for c in layout.columns if c not in columns],
    )
    preamble = [line for line in lines[:layout.header_row] if line.strip()][:20]
    metadata: dict[str, Any] = {
        "encoding": {"utf-8-sig": "utf-8", "gb18030": "gb18030"}[encoding]
        + (" (BOM)" if data.startswith(codecs.BOM_UTF8) else ""),
        "delimiter": {"\t": "tab"}.get(layout.delimiter or ",", layout.delimiter),
        "decimal_separator": decimal,
        "header_line": layout.header_row + 1,
        "columns": list(layout.headers),
        **result.metadata,
    }
    if preamble:
        metadata["preamble"] = preamble
    return TableResult(result.table, result.origins, result.notes, result.problems,
                       result.started_at, metadata)


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
                                     and column.unit_text.casefold() in _CLOCK_UNITS):
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


def _read_csv_columns(
    path: Path, layout: Layout, columns: Sequence[Column], *, encoding: str, decimal: str
) -> tuple[dict[int, pa.ChunkedArray], list[_BadRow]]:
    """The chosen columns as arrow arrays (numbers as float64 when every cell parses, text
    otherwise) and the rows with the wrong number of fields, by line."""
    names = [f"c{i}" for i in range(len(layout.headers))]
    numeric = {f"c{c.index}" for c in columns if c.field.dimension and c.unit is not None}
    include = [f"c{c.index}" for c in columns]

    def attempt(*, typed: bool, threads: bool) -> tuple[pa.Table, list[_BadRow], bool]:
        invalid: list[_BadRow] = []
        unnumbered = False

        def on_invalid(row: Any) -> str:
            nonlocal unnumbered
            if row.number is None:
                unnumbered = True
            if row.text.strip() or row.number is None:
                invalid.append(_BadRow(
                    int(row.number or 0),
                    f"has {row.actual_columns} fields where the header has "
                    f"{row.expected_columns}",
                ))
            return "skip"

        types = {name: (pa.float64() if typed and name in numeric else pa.string())
                 for name in include}
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                skip_rows=layout.header_row + 1, column_names=names, use_threads=threads,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=layout.delimiter or ",", invalid_row_handler=on_invalid,
                ignore_empty_lines=False,  # keeps one table row per line, for line numbers
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=include, column_types=types, decimal_point=decimal,
                null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid, unnumbered

    typed = True
    try:  # fast path: every number parses in C++; else read text and sort out the bad cells
        table, invalid, unnumbered = attempt(typed=True, threads=True)
    except pa.ArrowInvalid as exc:
        if "conversion error" not in str(exc).casefold():
            raise
        typed = False
        table, invalid, unnumbered = attempt(typed=False, threads=True)
    if unnumbered:  # only the serial parser knows line numbers: re-read to name bad rows
        table, invalid, _ = attempt(typed=typed, threads=False)
    return {c.index: table.column(f"c{c.index}") for c in columns}, invalid


def line_mapper(first: int, invalid_lines: Sequence[int]) -> Callable[[np.ndarray], np.ndarray]:
    """Data-row index → line in the file, skipping the lines pyarrow left out as invalid."""
    skipped = np.sort(np.asarray(invalid_lines, dtype=np.int64))
    # the j-th skipped line has (line - first - j) data rows before it
    before = skipped - first - np.arange(len(skipped))

    def line_of(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return first + rows + np.searchsorted(before, rows, side="right")

    return line_of


# --- normalising columns (text and spreadsheet alike) --------------------------------------

_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_TIMESTAMP = (r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
              r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$")
_CLOCK = r"^(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)$"


@dataclass
class _Converted:
    """One column after conversion: values (float64, int64 µs for timestamps, or text),
    which cells are bad, which are empty, and a message per bad cell kind."""

    values: Any
    bad: np.ndarray
    empty: np.ndarray
    reason: str
    kind: str = "number"  # number | timestamp | text
    zone: bool = False
    note: str | None = None
    nonpositive: np.ndarray | None = None
    text: Any = None  # the cells as written, to quote a bad one


def _mask(array: Any) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _text(array: Any) -> Any:
    return pc.utf8_trim_whitespace(pc.cast(array, pa.string()))


def _numbers(array: Any, *, decimal: str) -> tuple[Any, np.ndarray, np.ndarray, Any]:
    """float64 values, bad-cell and empty-cell masks, and the cells as text (None when the
    column was already numeric) of a column of any type."""
    kind = array.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        values = pc.cast(array, pa.float64())
        if values.null_count == 0:  # the usual case, kept in numpy: no mask arrays built
            empty = np.zeros(len(values), dtype=bool)
            bad = ~np.isfinite(values.to_numpy(zero_copy_only=False))
            return values, bad, empty, None
        empty = _mask(pc.is_null(values))
        bad = empty | ~_mask(pc.is_finite(values))
        return values, bad, empty, None
    text = _text(array)
    empty = _mask(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
    if decimal == ",":
        text = pc.replace_substring(text, ",", ".")
    good = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    values = pc.cast(pc.if_else(good, text, pa.scalar(None, pa.string())), pa.float64())
    return values, ~_mask(good), empty, text


def _convert(
    column: Column, array: Any, *, decimal: str, date: Any | None
) -> _Converted:
    header = repr(column.header)
    dimension = column.field.dimension
    if dimension is None:
        text = _text(array)
        empty = _mask(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
        return _Converted(text, np.zeros(len(empty), dtype=bool), empty, "", kind="text")
    if dimension == "time" and (column.unit is None or column.unit_text.casefold() in _CLOCK_UNITS):
        return _convert_clock_or_timestamp(column, array, date=date)
    assert column.unit is not None
    values, bad, empty, text = _numbers(array, decimal=decimal)
    unit = column.unit
    note = None
    if not unit.is_canonical:
        values = pc.add(pc.multiply(values, unit.scale), unit.offset)
        note = f"{column.channel} from {header} {unit.describe()} ({unit.symbol} → " \
               f"{CHANNELS[column.channel]})"
    return _Converted(values, bad, empty, f"{header} is not a number", note=note,
                      text=text if text is not None else array)


def _convert_clock_or_timestamp(column: Column, array: Any, *, date: Any | None) -> _Converted:
    """A unit-less time column: ISO 8601 date-times, ``H:MM:SS`` elapsed times, or — with a
    Date column beside it — clock times of that date."""
    header = repr(column.header)
    kind = array.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        stamps = pc.cast(pc.cast(array, pa.timestamp("us", tz=getattr(kind, "tz", None))),
                         pa.int64())
        empty = _mask(pc.is_null(stamps))
        return _Converted(stamps, empty, empty, f"{header} is not a date-time",
                          kind="timestamp", zone=getattr(kind, "tz", None) is not None)
    if pa.types.is_duration(kind):
        seconds = pc.divide(pc.cast(pc.cast(array, pa.duration("us")), pa.float64()), 1e6)
        empty = _mask(pc.is_null(seconds))
        return _Converted(seconds, empty, empty, f"{header} is not a time")
    text = _text(array)
    empty = _mask(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
    text = pc.replace_substring(text, "/", "-")
    is_clock = pc.fill_null(pc.match_substring_regex(text, _CLOCK), False)
    clock = bool(pc.any(is_clock).as_py())
    if clock and date is not None:  # Date + Time columns: clock times of that date
        text = pc.binary_join_element_wise(
            pc.replace_substring(_text(date), "/", "-"), text, " ")
        clock = False
    if clock:
        parts = pc.extract_regex(pc.if_else(is_clock, text, pa.scalar(None, pa.string())),
                                 _CLOCK)
        seconds = pc.add(pc.add(
            pc.multiply(pc.cast(pc.struct_field(parts, "h"), pa.float64()), 3600.0),
            pc.multiply(pc.cast(pc.struct_field(parts, "m"), pa.float64()), 60.0)),
            pc.cast(pc.struct_field(parts, "s"), pa.float64()))
        return _Converted(seconds, ~_mask(is_clock), empty,
                          f"{header} is not an elapsed time H:MM:SS",
                          note=f"time_s from {header} (elapsed H:MM:SS)", text=text)
    is_stamp = pc.fill_null(pc.match_substring_regex(text, _TIMESTAMP), False)
    if not pc.any(is_stamp).as_py():
        numbers = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
        if pc.any(numbers).as_py():
            raise EvidenceError([Problem(
                "columns", f"the time column {header} holds numbers but its header gives no "
                "unit", f"add the unit to the header, e.g. 'Time (s)', 'time_min' or '时间(h)' "
                f"(accepted: {accepted_units('time')})")])
        return _Converted(pa.nulls(len(text), pa.int64()), np.ones(len(text), dtype=bool),
                          empty, f"{header} is not a date-time (ISO 8601) or time",
                          kind="timestamp", text=text)
    zoned = pc.fill_null(pc.match_substring_regex(
        text, r"(Z|[+-]\d{2}:?\d{2})$"), False)
    zone = bool(pc.any(pc.and_(is_stamp, zoned)).as_py())
    good = pc.and_(is_stamp, zoned if zone else pc.invert(zoned))
    try:
        stamps = pc.cast(pc.cast(pc.if_else(good, text, pa.scalar(None, pa.string())),
                                 pa.timestamp("us", tz="UTC" if zone else None)), pa.int64())
    except pa.ArrowInvalid as exc:
        raise EvidenceError([Problem(
            "columns", f"the time column {header} has a date-time that does not exist: "
            f"{str(exc).splitlines()[0]}", "write date-times as ISO 8601, "
            "e.g. 2025-03-01T08:00:00")]) from exc
    return _Converted(stamps, ~_mask(good), empty,
                      f"{header} is not a date-time like 2025-03-01T08:00:00"
                      + (" with a zone offset (other rows have one)" if zone else ""),
                      kind="timestamp", zone=zone, text=text)


def normalise_columns(
    raw: dict[int, Any],
    columns: Sequence[Column],
    *,
    line_of: Callable[[np.ndarray], np.ndarray],
    extra_bad: Sequence[_BadRow] = (),
    decimal: str = ".",
    fields: Sequence[Field],
    required: Sequence[str],
    bad_rows_fatal: bool = False,
    path: Path,
    row_word: str = "row",
    passed_over: Sequence[Column] = (),
) -> TableResult:
    """Convert the chosen raw columns into canonical ones and leave out unreadable rows.

    A row is left out when any used cell is not a number (or date-time) or is empty; rows
    whose used cells are all empty (blank lines) are dropped without a word. Problems name
    the row by ``row_word`` and the 1-based number ``line_of`` gives it. ``passed_over`` are
    recognised columns :func:`choose_columns` did not choose; a note names each.
    """
    source = str(path)
    date_column = next((c for c in columns if c.channel == "date"), None)
    date = raw.get(date_column.index) if date_column else None
    converted: dict[str, _Converted] = {}
    origins: dict[str, str] = {}
    notes: list[str] = []
    stamp_source: tuple[Column, _Converted] | None = None
    problems: list[Problem] = []
    for column in columns:
        if column.channel == "date":
            continue
        try:
            result = _convert(column, raw[column.index], decimal=decimal,
                              date=date if column.channel == "time_s" else None)
        except EvidenceError as exc:
            problems += exc.problems
            continue
        if column.channel in converted:  # a second time column: only for started_at
            if result.kind == "timestamp" and stamp_source is None:
                stamp_source = (column, result)
            continue
        converted[column.channel] = result
        origins[column.channel] = column.header
        if date_column is not None and column.channel == "time_s" and result.kind == "timestamp":
            origins["time_s"] = f"{date_column.header} + {column.header}"
    if problems:
        raise EvidenceError(problems, source=source)

    n_rows = len(next(iter(raw.values()))) if raw else 0
    empty_all = np.ones(n_rows, dtype=bool)
    for result in converted.values():
        empty_all &= result.empty
    optional = [channel for channel in converted if channel not in required]
    for channel in optional:  # an optional column with nothing in it is left out, not fatal
        result = converted[channel]
        if result.kind != "text" and bool(np.all(result.bad | empty_all)):
            del converted[channel]
            notes.append(f"{channel} left out: column {origins.pop(channel)!r} holds no values")
    bad = np.zeros(n_rows, dtype=bool)
    for result in converted.values():
        bad |= result.bad
    bad &= ~empty_all
    for channel in ("mass_before_g", "mass_after_g"):  # a weighing ≤ 0 is a typing error
        if channel in converted:
            result = converted[channel]
            result.nonpositive = ~_mask(pc.greater(result.values, 0.0)) & ~result.bad
            result.bad = result.bad | result.nonpositive
            bad |= result.bad & ~empty_all

    bad_rows = _row_problems(bad, converted, origins, line_of, row_word, extra_bad,
                             list_all=bad_rows_fatal)
    keep = ~(bad | empty_all)
    kept = int(keep.sum())
    bad_count = int(bad.sum()) + len(extra_bad)
    if bad_count and (bad_rows_fatal or kept == 0):
        summary = ([] if kept else [Problem(
            "rows", f"no readable data row ({bad_count} rows left out)",
            "check the file is the complete export of the log")])
        # every bad row is an error here, but only the first are listed: count the rest
        raise EvidenceError(bad_rows + summary, source=source,
                            unlisted=bad_count - len(bad_rows) if bad_rows_fatal else 0)
    if kept == 0:
        raise EvidenceError([Problem("rows", "the table has a header but no data rows",
                                     "export the log again; it holds no readings")],
                            source=source)
    if bad_count:
        shown = len(bad_rows)
        bad_rows.append(Problem(
            "rows", f"{bad_count} of {bad_count + kept} data rows left out as unreadable"
            + (f" ({bad_count - shown} not listed)" if bad_count > shown else ""),
            "the reading uses the other rows; repair the file to use these",
        ))
    keep_array = pa.array(keep)
    kept_index = np.flatnonzero(keep)
    columns_out: dict[str, Any] = {}
    started_at: str | None = None
    metadata: dict[str, Any] = {}
    for channel, result in converted.items():
        values = pc.filter(result.values, keep_array)
        if channel == "time_s":
            values, started_at, note = _relative_time(values, result, origins["time_s"])
            if note:
                notes.append(note)
            _check_sorted(values, kept_index, line_of, row_word, source)
        elif channel == "specimen":
            values = _fill_specimen(values, notes)
        if result.note:
            notes.append(result.note)
        columns_out[channel] = values
    if stamp_source is not None and started_at is None:
        column, result = stamp_source
        first = pc.filter(result.values, keep_array)[0].as_py()
        if first is not None:
            started_at = _iso(first, zone=result.zone)
            metadata["started_at_from"] = column.header
    if "specimen" in [f.channel for f in fields] and "specimen" not in columns_out:
        columns_out = {"specimen": pa.array([str(i + 1) for i in range(kept)]), **columns_out}
        origins["specimen"] = "row order (1, 2, …): the file has no specimen column"
    if "pressure_pa" in columns_out:
        _check_absolute(columns_out["pressure_pa"], kept_index, line_of, row_word,
                        origins["pressure_pa"], source)
    order = [f.channel for f in fields if f.channel in columns_out]
    table = pa.table({channel: _chunk(columns_out[channel]) for channel in order})
    for other in passed_over:
        if other.channel in origins:
            notes.append(f"{other.channel} from {origins[other.channel]!r}, not from "
                         f"{other.header!r}, which names the same channel less precisely")
    ignored = [c.header for c in columns if c.channel not in columns_out and c.channel != "date"]
    ignored += [c.header for c in passed_over]
    if ignored:
        metadata["ignored_columns"] = ignored
    return TableResult(table, origins, tuple(notes), tuple(bad_rows), started_at, metadata)


def _chunk(values: Any) -> Any:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _row_problems(
    bad: np.ndarray,
    converted: dict[str, _Converted],
    origins: dict[str, str],
    line_of: Callable[[np.ndarray], np.ndarray],
    row_word: str,
    extra_bad: Sequence[_BadRow],
    *,
    list_all: bool,
) -> list[Problem]:
    """One problem per unreadable row, in file order: at most MAX_LISTED_ROWS, or when all
    are wanted as many as an error lists (one place left for a summary); the error counts
    the rest."""
    limit = MAX_PROBLEMS_LISTED - 1 if list_all else MAX_LISTED_ROWS
    indices = np.flatnonzero(bad)[:limit]
    lines = line_of(indices) if len(indices) else np.zeros(0, dtype=np.int64)
    listed: list[tuple[int, str]] = [(bad_row.line, bad_row.message) for bad_row in extra_bad]
    for index, line in zip(indices.tolist(), lines.tolist(), strict=True):
        reasons = []
        for channel, result in converted.items():
            if result.bad[index]:
                header = origins[channel]
                if result.empty[index]:
                    reasons.append(f"{header!r} is empty")
                elif result.nonpositive is not None and result.nonpositive[index]:
                    reasons.append(f"{header!r} is not a positive mass")
                elif result.text is not None:
                    reasons.append(f"{result.reason}: {_cell(result.text, index)!r}")
                else:
                    reasons.append(result.reason)
        listed.append((int(line), "; ".join(reasons)))
    listed.sort()
    listed = listed[:limit]
    fix = ("correct or delete the row; every specimen counts" if list_all
           else "the row is left out; repair it in the file to use it")
    return [Problem(f"{row_word} {line}" if line else row_word, message, fix)
            for line, message in listed]


def _cell(column: Any, index: int) -> str:
    value = column[index].as_py()
    text = str(value) if value is not None else ""
    return text if len(text) <= 40 else text[:37] + "..."


def _relative_time(values: Any, result: _Converted, header: str) -> tuple[Any, str | None, str]:
    """Seconds since the first kept row, the ISO start time when known, and a note."""
    first = values[0].as_py()
    if result.kind == "timestamp":
        seconds = pc.divide(pc.cast(pc.subtract(values, first), pa.float64()), 1e6)
        return (seconds, _iso(first, zone=result.zone),
                f"time_s from {header!r} (date-times), seconds since the first row")
    seconds = pc.subtract(values, first) if first else values
    note = f"time_s made relative to the first row, which was at {first:g} s" if first else ""
    return seconds, None, note


def _iso(microseconds: int, *, zone: bool) -> str:
    stamp = np.datetime64(int(microseconds), "us").astype("datetime64[s]" if microseconds
                                                          % 1_000_000 == 0 else "datetime64[us]")
    return str(stamp) + ("Z" if zone else "")


def _check_sorted(
    seconds: Any, kept: np.ndarray, line_of: Callable[[np.ndarray], np.ndarray],
    row_word: str, source: str,
) -> None:
    values = np.asarray(seconds.to_numpy(zero_copy_only=False), dtype=np.float64)
    backwards = np.flatnonzero(np.diff(values) < 0)
    if len(backwards):
        at = int(backwards[0]) + 1
        line = int(line_of(kept[[at - 1, at]])[1])
        raise EvidenceError([Problem(
            f"{row_word} {line}",
            f"time goes backwards: {values[at]:g} s after {values[at - 1]:g} s on the row "
            f"before ({len(backwards)} such place{'s' if len(backwards) > 1 else ''} in all)",
            "sort the rows by time, or split the file where the logger's clock was reset: "
            "one file must hold one run",
        )], source=source)


def _check_absolute(
    pressure_pa: Any, kept: np.ndarray, line_of: Callable[[np.ndarray], np.ndarray],
    row_word: str, header: str, source: str,
) -> None:
    """Vacuum ovens often show gauge pressure (−0.1 MPa); solidcheck needs absolute."""
    values = np.asarray(pressure_pa.to_numpy(zero_copy_only=False), dtype=np.float64)
    negative = np.flatnonzero(values < 0)
    if len(negative):
        line = int(line_of(kept[negative[:1]])[0])
        raise EvidenceError([Problem(
            f"{row_word} {line}",
            f"negative pressure in {header!r} ({values[negative[0]]:g} Pa): this is gauge "
            "(relative) pressure, and solidcheck needs absolute pressure",
            "convert the column to absolute pressure (absolute = atmospheric + gauge, e.g. "
            "101.3 kPa − 0.098 MPa ≈ 3.3 kPa) and keep the unit in the header",
        )], source=source)


def _fill_specimen(values: Any, notes: list[str]) -> Any:
    """A specimen without an id is named by its 1-based position, as when there is no column."""
    empty = _mask(pc.equal(values, ""))
    if not empty.any():
        return values
    numbers = pa.array([str(i + 1) for i in range(len(values))])
    notes.append(f"{int(empty.sum())} specimen(s) without an id named by their row order")
    return pc.if_else(pa.array(empty), numbers, values)
