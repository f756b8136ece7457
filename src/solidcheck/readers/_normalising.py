"""Normalising table columns (text and spreadsheet alike) into the canonical channels.

The chosen raw columns are converted column-wise in C++ (``pyarrow.compute``) into the
canonical units of :data:`CHANNELS`: numbers by their header's unit, time axes from numbers,
ISO 8601 date-times or ``H:MM:SS``. Rows that cannot be read are left out, each named by its
line in the file; only those rows ever become Python objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import MAX_PROBLEMS_LISTED, EvidenceError, Problem
from ..i18n.said import Said, said
from ._base import CHANNELS
from ._headers import Column, Field
from ._units import accepted_units, is_clock_unit

__all__ = [
    "MAX_LISTED_ROWS",
    "BadRow",
    "TableResult",
    "line_mapper",
    "normalise_columns",
]

#: How many unreadable rows are listed one by one; the rest are counted in one summary.
MAX_LISTED_ROWS = 20


@dataclass(frozen=True)
class TableResult:
    """Canonical columns plus everything a Reading records about how they were obtained."""

    table: pa.Table
    origins: dict[str, str]
    notes: tuple[Said, ...]
    problems: tuple[Problem, ...]
    started_at: str | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class BadRow:
    """A row the CSV parser left out (a wrong number of fields), by its line in the file."""

    line: int
    message: str


def line_mapper(first: int, invalid_lines: Sequence[int]) -> Callable[[np.ndarray], np.ndarray]:
    """Data-row index → line in the file, skipping the lines pyarrow left out as invalid."""
    skipped = np.sort(np.asarray(invalid_lines, dtype=np.int64))
    # the j-th skipped line has (line - first - j) data rows before it
    before = skipped - first - np.arange(len(skipped))

    def line_of(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return first + rows + np.searchsorted(before, rows, side="right")

    return line_of


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
    note: Said | None = None
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
    if dimension == "time" and (column.unit is None or is_clock_unit(column.unit_text)):
        return _convert_clock_or_timestamp(column, array, date=date)
    assert column.unit is not None
    values, bad, empty, text = _numbers(array, decimal=decimal)
    unit = column.unit
    note = None
    if not unit.is_canonical:
        values = pc.add(pc.multiply(values, unit.scale), unit.offset)
        note = said("reader.unit_converted", channel=column.channel, column=header,
                    conversion=unit.describe(), unit_from=unit.symbol,
                    unit_to=CHANNELS[column.channel])
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
                          note=said("reader.elapsed_clock", column=header), text=text)
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
    extra_bad: Sequence[BadRow] = (),
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
    notes: list[Said] = []
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
            notes.append(said("reader.channel_empty", channel=channel,
                              column=repr(origins.pop(channel))))
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
            notes.append(said("reader.channel_preferred", channel=other.channel,
                              chosen=repr(origins[other.channel]), other=repr(other.header)))
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
    extra_bad: Sequence[BadRow],
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


def _relative_time(values: Any, result: _Converted, header: str
                   ) -> tuple[Any, str | None, Said | None]:
    """Seconds since the first kept row, the ISO start time when known, and a note."""
    first = values[0].as_py()
    if result.kind == "timestamp":
        seconds = pc.divide(pc.cast(pc.subtract(values, first), pa.float64()), 1e6)
        return (seconds, _iso(first, zone=result.zone),
                said("reader.time_from_datetimes", column=repr(header)))
    seconds = pc.subtract(values, first) if first else values
    note = said("reader.time_relative", first=float(first)) if first else None
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


def _fill_specimen(values: Any, notes: list[Said]) -> Any:
    """A specimen without an id is named by its 1-based position, as when there is no column."""
    empty = _mask(pc.equal(values, ""))
    if not empty.any():
        return values
    numbers = pa.array([str(i + 1) for i in range(len(values))])
    notes.append(said("reader.specimens_numbered", count=int(empty.sum())))
    return pc.if_else(pa.array(empty), numbers, values)
