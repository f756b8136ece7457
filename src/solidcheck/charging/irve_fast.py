"""The IRVE *dynamique* CSV read column-wise: pyarrow's CSV reader, then Arrow and NumPy.

A national network publishes millions of status rows a day; reading them row by row in Python
ran at a few per cent of pyarrow's own CSV speed. This path gives the same rows and the same
rejections (reason, line, detail, text) as the exact path in irve.py, and gives up (None: the
caller then reads the exact way) whenever it could not be sure of a line number: a quoted
field holding a line break, a quote inside an unquoted field, a lone carriage return, a header
that is not the file's first non-blank line as irve.py sees it.

How it stays exact: ``etat_pdc`` and ``occupation_pdc`` are read as dictionaries and each
distinct pair is judged once by irve.py's own row check; a block's ids are kept as read when
they hold no blank and nothing beyond ASCII, else stripped once per distinct id; times are read
by Arrow, whose ISO 8601 reading agrees with Python's wherever it
accepts a text — a block of rows with any time Arrow refuses is read by ``irve_time`` one by
one, so odd but valid times and every rejection reason stay Python's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .irve import _status, csv_header, irve_time
from .model import PORT_EVENTS, STATES
from .ocpp_logs import Rejection
from .rows import RowError as _Bad

__all__ = ["FastDynamique", "read_dynamique_csv"]

_TEXT_KEPT = 200
_BOM = b"\xef\xbb\xbf"
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")
_TS = pa.timestamp("ms", tz="UTC")
_PIECE = 1 << 18
_BLOCK_BYTES = 4 << 20  # pyarrow's blocks: fewer, larger ones judge faster (default 1 MiB)
_WORDS = pa.dictionary(pa.int32(), pa.string())
_WANTED = ("id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage",
           "id_station_itinerance")
#: a status pair judged by irve.py's ``_status``, with a time it always accepts
_ANY_TIME = "2026-01-01T00:00:00+00:00"


@dataclass(slots=True)
class FastDynamique:
    """The port_events of a dynamique file, its rejections and its other (blank, header)
    lines."""

    table: pa.Table
    rejected: list[Rejection]
    other_lines: int


def read_dynamique_csv(data: bytes, *, source: str, first: str) -> FastDynamique | None:
    """A dynamique CSV (decompressed) read column-wise, or None when only the exact path can
    number its lines, or judge it (not UTF-8). ``first`` is the file's first non-blank line as
    irve.py found it (its header)."""
    try:
        found = _header(data, len(_BOM) if data.startswith(_BOM) else 0, first)
    except UnicodeDecodeError:
        return None
    if found is None:
        return None
    header_line, offset = found  # from here on, ``offset`` is where the rows start
    delimiter, names, _ = csv_header(first)
    if data.find(b"\r", offset) >= 0 and not _crs_end_lines(data, offset):
        return None  # a lone CR ends a line for the csv module, not for the line scan
    column = {name: index for index, name in enumerate(names)}  # the last of a repeated name
    picked = {name: f"c{column[name]}" for name in _WANTED if name in column}
    skipped: list[int] = []

    def skip(_row: object) -> str:
        skipped.append(1)
        return "skip"

    part = np.frombuffer(data, np.uint8, offset=offset)
    if int(part.max(initial=0)) >= 0x80 and not _utf8(data):
        return None  # not UTF-8: the exact path says it is no IRVE file
    newlines = _newlines(part)
    table = None
    for time_type in (_TS, pa.string()):  # times read as text when some are not ISO 8601
        try:
            table = pacsv.read_csv(
                pa.py_buffer(data)[offset:],
                read_options=pacsv.ReadOptions(
                    column_names=[f"c{i}" for i in range(len(names))], block_size=_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=skip),
                convert_options=pacsv.ConvertOptions(
                    include_columns=sorted(picked.values()),
                    column_types={c: time_type if name == "horodatage" else pa.string()
                                  if name.startswith("id_") else _WORDS
                                  for name, c in picked.items()},
                    null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False))
            break
        except pa.ArrowInvalid:  # a time Arrow does not read, no rows at all …
            skipped.clear()
    if table is None:  # … or what pyarrow cannot split: the exact path
        return None
    rows = _Rows(data, offset, delimiter, len(names))
    lines_there = newlines + (0 if data.endswith(b"\n") else 1)
    if skipped or data.find(b'"', offset) >= 0 or lines_there != table.num_rows:
        lines = rows.scan()  # blank, short or quoted lines: number them one by one
        if lines is None or lines.emitted.size != table.num_rows:
            return None
    return _assemble(table, picked, rows, source=source, header_line=header_line)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _newlines(part: np.ndarray[Any, np.dtype[np.uint8]]) -> int:
    """Line feeds, counted a cache-sized piece at a time (a whole-file temporary costs more
    than the counting)."""
    count = 0
    seen = np.empty(_PIECE, np.bool_)
    for start in range(0, part.size, _PIECE):
        piece = part[start:start + _PIECE]
        count += int(np.count_nonzero(np.equal(piece, _LF, out=seen[:piece.size])))
    return count


def _crs_end_lines(data: bytes, offset: int) -> bool:
    """Every carriage return is followed by a line feed."""
    array = np.frombuffer(data, np.uint8, offset=offset)
    crs = np.flatnonzero(array == _CR)
    return bool(crs[-1] + 1 < array.size and np.all(array[crs + 1] == _LF))


def _header(data: bytes, offset: int, first: str) -> tuple[int, int] | None:
    """The header's line number and the byte just after it, when it is the line ``first``."""
    start, number = offset, 1
    while start < len(data):
        end = data.find(b"\n", start)
        stop = len(data) if end < 0 else end + 1
        line = data[start:stop].decode("utf-8")
        if line.strip():
            return (number, stop) if line.strip() == first else None
        start, number = stop, number + 1
    return None


@dataclass(slots=True)
class _Lines:
    """Where each line of the rows' part starts and ends (offsets into it), which of them
    pyarrow turned into a row (``emitted``: their indexes, in order) and the others (empty,
    or of another width: pyarrow skipped them)."""

    starts: np.ndarray[Any, np.dtype[np.int64]]
    ends: np.ndarray[Any, np.dtype[np.int64]]
    emitted: np.ndarray[Any, np.dtype[np.intp]]
    others: np.ndarray[Any, np.dtype[np.intp]]


@dataclass(slots=True)
class _Rows:
    """The rows' part of the file (``data[offset:]``) and, once asked, its lines."""

    data: bytes
    offset: int
    delimiter: str
    columns: int
    lines: _Lines | None = None
    scanned: bool = False

    def scan(self) -> _Lines | None:
        """The lines, or None when a quote makes csv's lines differ from the file's."""
        if not self.scanned:
            self.lines, self.scanned = self._scan(), True
        return self.lines

    def _scan(self) -> _Lines | None:
        array = np.frombuffer(self.data, np.uint8, offset=self.offset)
        size = array.size
        newlines = np.flatnonzero(array == _LF)
        starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
        ends = np.concatenate((newlines, [size])).astype(np.int64)
        if starts[-1] == size:  # the file ends with a line break
            starts, ends = starts[:-1], ends[:-1]
        ends = ends - ((ends > starts) & (array[np.maximum(ends - 1, 0)] == _CR))
        separators = np.flatnonzero(array == ord(self.delimiter))
        quotes = np.flatnonzero(array == _QUOTE)
        if quotes.size:
            if np.any(np.searchsorted(quotes, newlines) % 2):
                return None  # a line break inside quotes: csv's lines are not the file's
            if not _quotes_at_edges(array, quotes, self.delimiter):
                return None
            separators = separators[np.searchsorted(quotes, separators) % 2 == 0]
        line_of = np.searchsorted(starts, separators, side="right") - 1
        widths = np.bincount(line_of, minlength=starts.size) + 1
        full = (widths == self.columns) & (ends > starts)
        return _Lines(starts, ends, np.flatnonzero(full), np.flatnonzero(~full))

    def cells(self, at: int) -> list[str]:
        """Line ``at`` of the rows' part as csv reads it."""
        assert self.lines is not None  # only asked after a scan
        start = self.offset + int(self.lines.starts[at])
        text = self.data[start:self.offset + int(self.lines.ends[at])].decode("utf-8")
        return next(csv.reader([text], delimiter=self.delimiter), [])


def _quotes_at_edges(array: np.ndarray[Any, np.dtype[np.uint8]],
                     quotes: np.ndarray[Any, np.dtype[np.intp]], delimiter: str) -> bool:
    """Every quote opens a field (after a separator, a line break or a quote) or closes one
    (before them): then counting quotes tells what is inside a field, as csv reads it."""
    edges = np.array([ord(delimiter), _LF, _CR, _QUOTE], np.uint8)
    opening = (np.arange(quotes.size) % 2) == 0
    before = np.isin(array[np.maximum(quotes - 1, 0)], edges) | (quotes == 0)
    after = np.isin(array[np.minimum(quotes + 1, array.size - 1)], edges) \
        | (quotes == array.size - 1)
    return bool(np.all(np.where(opening, before, after)))


def _words(array: pa.Array) -> tuple[list[str], np.ndarray[Any, np.dtype[np.int32]]]:
    """A dictionary column's distinct values and each row's index into them."""
    return array.dictionary.to_pylist(), array.indices.to_numpy(zero_copy_only=False)


@dataclass(slots=True)
class _Batch:
    """One block of rows judged: the kept rows' columns and the refused rows."""

    ts: pa.Array
    port_id: pa.Array
    station_id: pa.Array | None
    state: pa.Array
    raw_status: pa.Array
    kept: np.ndarray[Any, np.dtype[np.intp]]  # the kept rows' positions in the block
    refused: list[tuple[int, str, str]]  # (position in the block, reason, detail)
    empty: list[int]  # refused rows empty in every column read: blank lines, perhaps


def _judged(batch: pa.RecordBatch, picked: dict[str, str]) -> _Batch:
    """Each row's canonical columns or its first reason to be refused, in irve.py's order:
    the port's id, then its status, then its time."""
    size = batch.num_rows
    port_id, missing = _ids(batch.column(picked["id_pdc_itinerance"]))
    etats, etat_at = _words(batch.column(picked["etat_pdc"]))
    occupations, occupation_at = _words(batch.column(picked["occupation_pdc"]))
    pairs = [_pair(etat, occupation) for etat, occupation in product(etats, occupations)]
    pair_at = etat_at * len(occupations) + occupation_at
    state_of_pair = np.array([STATES.index(p[0]) if p[0] else -1 for p in pairs] + [-1])
    states = state_of_pair[pair_at]
    times = batch.column(picked["horodatage"])
    late: dict[int, tuple[str, str]] = {}
    try:
        ts = times if times.type == _TS else times.cast(_TS)
    except pa.ArrowInvalid:  # some time Arrow does not read: Python's reading, row by row
        ts, late = _times_one_by_one(times)
    refused: list[tuple[int, str, str]] = []
    empty: list[int] = []
    for row in sorted({*np.flatnonzero(missing | (states < 0)).tolist(), *late}):
        if missing[row]:
            refused.append((row, "charging.rejected.irve_missing", "id_pdc_itinerance"))
        elif states[row] < 0:
            _, _, reason, detail = pairs[pair_at[row]]
            refused.append((row, reason, detail))
        elif row in late:
            refused.append((row, *late[row]))
            continue
        else:
            continue
        if missing[row] and _all_empty(batch, picked, row):
            empty.append(row)
    kept = np.flatnonzero(~missing & (states >= 0) & ~np.isin(np.arange(size), list(late)))
    station_id = None  # the port stands for its station
    if "id_station_itinerance" in picked:
        stations, no_station = _ids(batch.column(picked["id_station_itinerance"]))
        station_id = pc.if_else(pa.array(no_station), port_id.cast(pa.string()),
                                stations.cast(pa.string()))
    raw = pa.DictionaryArray.from_arrays(pa.array(pair_at, pa.int32()),
                                         pa.array([p[1] for p in pairs], pa.string()))
    state = pa.DictionaryArray.from_arrays(pa.array(np.maximum(states, 0), pa.int32()),
                                           pa.array(STATES, pa.string()))
    if kept.size < size:
        take = pa.array(kept)
        ts, port_id, state, raw = (c.take(take) for c in (ts, port_id, state, raw))
        station_id = None if station_id is None else station_id.take(take)
    return _Batch(ts, port_id, station_id, state, raw, kept, refused, empty)


def _ids(array: pa.Array) -> tuple[pa.Array, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Ids stripped, and which are empty: ids with no blank and no byte beyond ASCII are
    kept as they are; others are stripped once per distinct value."""
    if not pa.types.is_dictionary(array.type):
        offsets = np.frombuffer(array.buffers()[1], np.int32)[array.offset:][:len(array) + 1]
        text = np.frombuffer(array.buffers()[2] or b"", np.uint8)[offsets[0]:offsets[-1]]
        if text.size == 0 or (int(text.min()) > ord(" ") and int(text.max()) < 0x80):
            return array, np.diff(offsets) == 0
        array = pc.dictionary_encode(array)
    values, at = _words(array)
    values = [value.strip() for value in values]
    empty = np.array([not value for value in values] + [False])[at]
    return pa.DictionaryArray.from_arrays(pa.array(at), pa.array(values, pa.string())), empty


def _pair(etat: str, occupation: str) -> tuple[str | None, str, str, str]:
    """An (etat_pdc, occupation_pdc) pair as irve.py judges it: (state or None, raw_status,
    reason, detail)."""
    try:
        row = _status({"id_pdc_itinerance": "x", "etat_pdc": etat.strip(),
                       "occupation_pdc": occupation.strip(), "horodatage": _ANY_TIME})
    except _Bad as bad:
        return None, "", bad.reason, bad.detail
    return str(row["state"]), str(row["raw_status"]), "", ""


def _times_one_by_one(times: pa.Array) -> tuple[pa.Array, dict[int, tuple[str, str]]]:
    """Each time read by ``irve_time``; the refused ones by position, with reason and
    detail."""
    values: list[Any] = []
    late: dict[int, tuple[str, str]] = {}
    for row, text in enumerate(times.to_pylist()):
        try:
            values.append(irve_time(text))
        except _Bad as bad:
            values.append(None)
            late[row] = (bad.reason, bad.detail)
    return pa.array(values, _TS), late


def _all_empty(batch: pa.RecordBatch, picked: dict[str, str], row: int) -> bool:
    return not any(str(batch.column(c)[row].as_py()).strip() for c in picked.values())


def _assemble(table: pa.Table, picked: dict[str, str], rows: _Rows, *, source: str,
              header_line: int) -> FastDynamique:
    """The port_events table and the rejections, each with its line."""
    judged, start = [], 0
    for batch in table.to_batches():
        judged.append((start, _judged(batch, picked)))
        start += batch.num_rows
    rejected = [(start + row, reason, detail)
                for start, block in judged for row, reason, detail in block.refused]
    empty = {start + row for start, block in judged for row in block.empty}
    if rows.lines is None and rejected:
        rows.scan()  # no quote and nothing skipped here: pyarrow's rows are the file's lines
    lines = rows.lines
    emitted = np.arange(table.num_rows) if lines is None else lines.emitted
    others = header_line  # the header and the blank lines before it
    found: list[tuple[int, str, str]] = []
    for row, reason, detail in rejected:
        at = int(emitted[row])
        if row in empty and not any(cell.strip() for cell in rows.cells(at)):
            others += 1  # a blank line that had as many separators as the header
        else:
            found.append((at, reason, detail))
    if lines is not None:
        for at in lines.others.tolist():
            cells = rows.cells(at) if lines.ends[at] > lines.starts[at] else []
            if any(cell.strip() for cell in cells):
                found.append((at, "charging.rejected.irve_cells",
                              f"{len(cells)}/{rows.columns}"))
            else:
                others += 1
    rejections = [Rejection(source, header_line + 1 + at, reason, detail,
                            rows.delimiter.join(rows.cells(at))[:_TEXT_KEPT])
                  for at, reason, detail in sorted(found)]
    line = [pa.array(emitted[start + block.kept] + header_line + 1, pa.int64())
            for start, block in judged]
    return FastDynamique(_port_events([block for _, block in judged], line, source),
                         rejections, others)


def _port_events(blocks: list[_Batch], line: list[pa.Array], source: str) -> pa.Table:
    def joined(name: str) -> pa.ChunkedArray:  # blocks may differ: strings, dictionaries
        kind = PORT_EVENTS.field(name).type
        return pa.chunked_array([getattr(block, name).cast(kind) for block in blocks], kind)

    size = sum(len(block.kept) for block in blocks)
    ts = pa.chunked_array([block.ts for block in blocks], _TS)
    port_id = joined("port_id")
    station_id = port_id if blocks and blocks[0].station_id is None else joined("station_id")
    return pa.Table.from_arrays(
        [ts, ts, station_id, port_id, pa.nulls(size, pa.int64()),
         pa.nulls(size, pa.int64()), pa.repeat(False, size), joined("state"),
         joined("raw_status"), pa.nulls(size, pa.string()), pa.repeat(source, size),
         pa.chunked_array(line, pa.int64())], schema=PORT_EVENTS)
