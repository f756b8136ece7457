"""The dossier table's files: the format by name, reading a whole table or streaming it in
batches (a Parquet file, folder or URL; a CSV with its companion specimens CSV; JSON Lines,
one dossier per line in the dossier format) and writing one (:class:`TableWriter`).

Parquet keeps the Arrow types; CSV and JSON Lines are converted on read, and their types
checked as they are. What a row must be to be a dossier is ``model.py``'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from pydantic import ValidationError

from ..._collector import collector_paused
from ..._validation import problems_from
from ...dossier import RepeatedKeyError, reject_repeated_keys
from ...errors import DossierError, Problem
from ...model import Dossier
from .model import (
    DEFAULT_BATCH_ROWS,
    DOSSIER_TABLE_SCHEMA,
    MAX_REPORTED_ROWS,
    PHASES_COLUMN,
    REQUIRED_COLUMNS,
    SPECIMEN_TYPE,
    SPECIMENS_COLUMN,
    SPECIMENS_CSV_SCHEMA,
    at_row,
    capped,
    checked,
    column_problems,
    conform,
    conformed,
    dossiers_to_table,
    mapping_chunks,
    row_of,
)

__all__ = [
    "DEFAULT_ROW_GROUP_ROWS",
    "TableFormat",
    "TableWriter",
    "iter_batches",
    "list_positions",
    "read_table",
    "specimens_csv_path",
    "table_format",
    "write_table",
]

TableFormat = Literal["parquet", "csv", "jsonl"]

DEFAULT_ROW_GROUP_ROWS = 262_144
"""Rows per Parquet row group written: the unit a streaming reader loads at once."""

_CSV_COLUMNS = tuple(name for name in DOSSIER_TABLE_SCHEMA.names if name != SPECIMENS_COLUMN)
_SPECIMENS_CSV_REQUIRED = tuple(name for name in SPECIMENS_CSV_SCHEMA.names
                                if name != "specimen_id")  # companions written before ids
_SUFFIXES: dict[str, TableFormat] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv",
                                     ".jsonl": "jsonl", ".ndjson": "jsonl"}
# A decimal number as people and pyarrow write it; nan and inf are not numbers in a dossier.
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


# --- files -----------------------------------------------------------------------------------

def table_format(path: str | Path, *, format: TableFormat | None = None) -> TableFormat:
    """The table format of ``path``: ``format`` if given, else by extension (a directory is
    a Parquet dataset)."""
    if format is not None:
        if format not in ("parquet", "csv", "jsonl"):
            raise DossierError([Problem("", f"unknown table format {format!r}",
                                        "use parquet, csv or jsonl")], source=str(path))
        return format
    text = str(path)
    if "://" not in text and Path(text).is_dir():
        return "parquet"
    suffix = Path(text).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise DossierError([Problem("", f"cannot tell the table format from {suffix or 'no'} "
                                "extension", "name it .parquet, .csv or .jsonl, or give the "
                                "format")], source=text)


def specimens_csv_path(path: str | Path) -> Path:
    """The companion specimens CSV of a CSV dossier table: ``cells.csv`` →
    ``cells.specimens.csv``."""
    path = Path(path)
    stem = path.name[:-4] if path.name.lower().endswith(".csv") else path.name
    return path.with_name(stem + ".specimens.csv")


def read_table(path: str | Path, *, format: TableFormat | None = None) -> pa.Table:
    """A dossier table file (Parquet file or dataset directory, CSV + companion, JSON
    Lines) in :data:`DOSSIER_TABLE_SCHEMA`. Every problem of the file is one DossierError."""
    kind = table_format(path, format=format)
    source = str(path)
    if kind == "parquet":
        try:
            table = _parquet_dataset(path).to_table()
        except (OSError, pa.ArrowInvalid) as exc:
            raise _unreadable(source, exc) from None
        return conform(table, source=source)
    if kind == "csv":
        batches = list(_csv_batches(Path(path), batch_rows=None))
        return pa.Table.from_batches(batches, schema=DOSSIER_TABLE_SCHEMA)
    return _jsonl_table(Path(path), batch_rows=None)


def iter_batches(path: str | Path, *, format: TableFormat | None = None,
                 batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The table in batches of at most ``batch_rows`` rows, reading only a batch's worth at a
    time, for inputs larger than memory. Parquet is read by row groups; a CSV's companion is
    read alongside it and must list specimens in the table's order (as :func:`write_table`
    writes them). A bad batch raises a DossierError with every problem of that batch; rows
    are numbered across the whole file."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    kind = table_format(path, format=format)
    if kind == "parquet":
        yield from _parquet_batches(path, batch_rows=batch_rows)
    elif kind == "csv":
        yield from _csv_batches(Path(path), batch_rows=batch_rows)
    else:
        for table in _jsonl_tables(Path(path), batch_rows=batch_rows):
            yield from table.to_batches(max_chunksize=batch_rows)


def _parquet_dataset(path: str | Path) -> Any:
    # Imported when a Parquet table is read: pyarrow.dataset loads pandas (a third of a
    # second), which what only writes tables or draws a summary never needs.
    import pyarrow.dataset as pa_ds

    return pa_ds.dataset(str(path) if "://" in str(path) else str(Path(path)),
                         format="parquet")


def _unreadable(source: str, exc: BaseException) -> DossierError:
    message = getattr(exc, "strerror", None) or str(exc)
    return DossierError([Problem("", f"cannot read the table: {message}",
                                 "check the path and that it is a dossier table")],
                        source=source)


def _parquet_batches(path: str | Path, *, batch_rows: int) -> Iterator[pa.RecordBatch]:
    source = str(path)
    try:
        dataset = _parquet_dataset(path)
        # File by file, row group by row group: a dataset scanner reads ahead of a slow
        # consumer until most of the file is in memory.
        batches = (batch for fragment in dataset.get_fragments()
                   for batch in pq.ParquetFile(fragment.path, filesystem=dataset.filesystem)
                   .iter_batches(batch_size=batch_rows))
        first_row = 1
        for batch in _rebatch(batches, batch_rows):
            table = conform(batch, source=source, first_row=first_row)
            first_row += table.num_rows
            yield from table.to_batches()
    except (OSError, pa.ArrowInvalid) as exc:
        raise _unreadable(source, exc) from None


def _rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last may be shorter), skipping empty ones."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        while batch.num_rows:
            take = min(rows - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == rows:
                yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
                pending, count = [], 0
    if count:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


# --- CSV -------------------------------------------------------------------------------------

def _csv_reader(path: Path, columns: Sequence[str], *, block_bytes: int | None,
                ) -> pa_csv.CSVStreamingReader:
    # Only an empty, unquoted field is null: "NA" or "null" may be a model's name.
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()),
                                    null_values=[""], strings_can_be_null=True,
                                    quoted_strings_can_be_null=False)
    read = pa_csv.ReadOptions(block_size=block_bytes) if block_bytes else pa_csv.ReadOptions()
    try:
        return pa_csv.open_csv(path, read_options=read, convert_options=convert)
    except (OSError, pa.ArrowInvalid) as exc:
        raise _unreadable(str(path), exc) from None


def _csv_batches(path: Path, *, batch_rows: int | None) -> Iterator[pa.RecordBatch]:
    """The CSV table (and its companion's specimens), typed. Streaming (``batch_rows``
    given) stops at the first batch with a problem; ``None`` reads the whole file and
    reports every problem in it at once."""
    source = str(path)
    reader = _csv_reader(path, _CSV_COLUMNS, block_bytes=1 << 22)
    problems = column_problems(reader.schema.names, expected=_CSV_COLUMNS,
                               required=REQUIRED_COLUMNS)
    if problems:
        raise DossierError(problems, source=source)
    specimens = _SpecimenStream(specimens_csv_path(path))
    raw = _batches_of(reader, source)
    if batch_rows is not None:
        raw = _rebatch(raw, batch_rows)
    first_row = 1
    tables: list[pa.Table] = []
    for batch in raw:
        typed, batch_problems = _typed_csv_batch(batch, first_row=first_row)
        if not batch_problems:
            typed, batch_problems = conformed(
                _with_specimens(typed, specimens, first_row=first_row), first_row=first_row)
        if batch_problems and batch_rows is not None:
            raise DossierError(capped(batch_problems), source=source)
        problems += batch_problems
        if typed is not None and not problems:
            if batch_rows is None:
                tables.append(typed)
            else:
                yield from typed.to_batches()
        first_row += batch.num_rows
        if len({row_of(p) for p in problems}) > MAX_REPORTED_ROWS:
            problems = [*capped(problems), Problem(
                "", f"only rows 1–{first_row - 1} were checked, to keep this message short",
                "fix the rows listed and read the file again")]
            break
    if problems:
        raise DossierError(capped(problems), source=source)
    specimens.finish()
    for table in tables:
        yield from table.to_batches()


def _batches_of(reader: pa_csv.CSVStreamingReader, source: str) -> Iterator[pa.RecordBatch]:
    try:
        yield from reader
    except (OSError, pa.ArrowInvalid) as exc:
        raise _unreadable(source, exc) from None


def _typed_csv_batch(batch: pa.RecordBatch, *, first_row: int,
                     ) -> tuple[pa.Table, list[Problem]]:
    """CSV text columns → the schema's types; a value that is not of its column's type is a
    problem at its row."""
    problems: list[Problem] = []
    columns: dict[str, pa.Array] = {}
    for name in batch.schema.names:
        text = batch.column(name)
        target = DOSSIER_TABLE_SCHEMA.field(name).type
        if target == pa.float64():
            columns[name] = _parse_numbers(text, name, first_row, problems)
        elif target == pa.bool_():
            columns[name] = _parse_bools(text, name, first_row, problems)
        elif name == PHASES_COLUMN:
            columns[name] = pc.split_pattern(text, ";")
        else:
            columns[name] = text
    problems.sort(key=row_of)
    return pa.table(columns), problems


def _bad_rows(mask: pa.Array) -> np.ndarray[Any, np.dtype[np.intp]]:
    return np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False))


def _parse_numbers(text: pa.Array, name: str, first_row: int,
                   problems: list[Problem]) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(text)
    ok = pc.match_substring_regex(trimmed, _NUMBER)
    for i in _bad_rows(pc.invert(ok)):
        problems.append(Problem(f"row {first_row + int(i)}: {name}",
                                f"not a number (got {text[int(i)].as_py()!r})",
                                "write a number such as 120 or 0.5, or leave it empty"))
    return pc.cast(pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), pa.float64())


def _parse_bools(text: pa.Array, name: str, first_row: int,
                 problems: list[Problem]) -> pa.Array:
    lower = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    is_true, is_false = pc.equal(lower, "true"), pc.equal(lower, "false")
    for i in _bad_rows(pc.invert(pc.or_(is_true, is_false))):
        problems.append(Problem(f"row {first_row + int(i)}: {name}",
                                f"not true or false (got {text[int(i)].as_py()!r})",
                                "write true or false, or leave it empty (not inspected)"))
    return pc.if_else(pc.or_(is_true, is_false), is_true, pa.scalar(None, pa.bool_()))


class _SpecimenStream:
    """The companion specimens CSV, read alongside the table in the table's order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        self.row = 1  # the number of the next companion row
        self.pending: pa.Table | None = None
        self.reader: Iterator[pa.RecordBatch] | None = None
        if path.is_file():
            reader = _csv_reader(path, SPECIMENS_CSV_SCHEMA.names, block_bytes=1 << 22)
            problems = column_problems(reader.schema.names, expected=SPECIMENS_CSV_SCHEMA.names,
                                        required=_SPECIMENS_CSV_REQUIRED)
            if problems:
                raise DossierError(problems, source=self.source)
            self.reader = _batches_of(reader, self.source)

    def take(self, ids: pa.Array) -> pa.Table:
        """The companion rows of these dossiers: the run of rows whose ids are among them."""
        empty = pa.table({"id": pa.array([], pa.string()), "index": pa.array([], pa.int64()),
                          "mass_before_g": pa.array([], pa.float64()),
                          "mass_after_g": pa.array([], pa.float64()),
                          "specimen_id": pa.array([], pa.string())})
        if self.reader is None:
            return empty
        taken: list[pa.Table] = []
        while True:
            if self.pending is None or self.pending.num_rows == 0:
                batch = next(self.reader, None)
                if batch is None:
                    break
                self.pending = self._typed(batch)
            inside = pc.is_in(self.pending.column("id"), value_set=ids).to_numpy(
                zero_copy_only=False)
            stop = int(np.argmin(inside)) if not inside.all() else len(inside)
            taken.append(self.pending.slice(0, stop))
            self.pending = self.pending.slice(stop)
            self.row += stop
            if self.pending.num_rows:
                break
        return pa.concat_tables(taken) if taken else empty

    def _typed(self, batch: pa.RecordBatch) -> pa.Table:
        problems: list[Problem] = []
        index_text = pc.utf8_trim_whitespace(batch.column("index"))
        ok = pc.match_substring_regex(index_text, r"^[0-9]{1,6}$")
        for i in _bad_rows(pc.invert(ok)):
            problems.append(Problem(f"row {self.row + int(i)}: index",
                                    f"not a specimen number (got {index_text[int(i)].as_py()!r})",
                                    "number each dossier's specimens 1, 2, 3 …"))
        for i in _bad_rows(batch.column("index").is_null()):
            problems.append(Problem(f"row {self.row + int(i)}: index", "is empty",
                                    "number each dossier's specimens 1, 2, 3 …"))
        for i in _bad_rows(batch.column("id").is_null()):
            problems.append(Problem(f"row {self.row + int(i)}: id", "is empty",
                                    "give the id of the dossier the specimen belongs to"))
        masses = {name: _parse_numbers(batch.column(name), name, self.row, problems)
                  for name in ("mass_before_g", "mass_after_g")}
        if problems:
            raise DossierError(problems, source=self.source)
        specimen_ids = (batch.column("specimen_id") if "specimen_id" in batch.schema.names
                        else pa.nulls(batch.num_rows, pa.string()))  # a companion without ids
        return pa.table({"id": batch.column("id"), "index": pc.cast(index_text, pa.int64()),
                         **masses, "specimen_id": specimen_ids})

    def finish(self) -> None:
        """Companion rows no dossier took: an unknown id, or rows out of the table's order."""
        left = self.pending if self.pending is not None and self.pending.num_rows else None
        if left is None and self.reader is not None:
            batch = next(self.reader, None)
            left = self._typed(batch) if batch is not None else None
        if left is None:
            return
        first = left.column("id")[0].as_py()
        raise DossierError([Problem(
            f"row {self.row}: id", f"the specimens from here on (id {first!r}) belong to no "
            "dossier read before them: the id is not in the table, or the specimens are not "
            "in the table's order",
            "list each dossier's specimens in the order of the table's rows (as "
            "`solidcheck dossier table` writes them), or use Parquet")], source=self.source)


def _with_specimens(table: pa.Table, stream: _SpecimenStream, *, first_row: int) -> pa.Table:
    """The table with its ``weight_loss_test.specimens`` column from the companion CSV."""
    ids = table.column("id").combine_chunks()
    rows = stream.take(ids)
    problems: list[Problem] = []
    if len(pc.unique(ids)) != len(ids) and rows.num_rows:
        counts = pc.value_counts(ids)
        repeated = [v["values"].as_py() for v in counts if v["counts"].as_py() > 1]
        problems.append(Problem("id", f"ids repeat ({', '.join(map(repr, repeated[:5]))}): the "
                                "specimens CSV cannot tell their specimens apart",
                                "give every dossier its own id"))
    position = pc.index_in(rows.column("id"), value_set=ids).to_numpy(zero_copy_only=False)
    order = np.lexsort((rows.column("index").to_numpy(), position))
    position = position[order]
    index = rows.column("index").to_numpy()[order]
    n = table.num_rows
    counts = np.bincount(position, minlength=n).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    expected = np.arange(len(position)) - offsets[position] + 1
    for i in np.flatnonzero(index != expected)[:MAX_REPORTED_ROWS]:
        row = first_row + int(position[i])
        got = sorted(index[position == position[i]].tolist())
        problems.append(Problem(f"row {row}: {SPECIMENS_COLUMN}", "specimen indices do not run "
                                f"1, 2, 3 … (got {got})",
                                f"number the specimens of {ids[int(position[i])].as_py()!r} "
                                f"in {stream.path.name} from 1, without gaps or repeats"))
    if problems:
        raise DossierError(problems, source=stream.source)
    values = pa.StructArray.from_arrays(
        [rows.column("specimen_id").combine_chunks().take(order),
         rows.column("mass_before_g").combine_chunks().take(order),
         rows.column("mass_after_g").combine_chunks().take(order)],
        fields=list(SPECIMEN_TYPE))
    test_columns = [name for name in table.column_names
                    if name.startswith("weight_loss_test.")]
    has_test = np.zeros(n, dtype=bool)
    for name in test_columns:
        has_test |= table.column(name).is_valid().to_numpy(zero_copy_only=False)
    absent = (counts == 0) & ~has_test  # no test at all: null, not an empty list
    specimens = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values,
                                         mask=pa.array(absent))
    return table.append_column(SPECIMENS_COLUMN, specimens)


# --- JSON Lines ------------------------------------------------------------------------------

def _jsonl_table(path: Path, *, batch_rows: int | None) -> pa.Table:
    tables = list(_jsonl_tables(path, batch_rows=batch_rows))
    return pa.concat_tables(tables) if tables else DOSSIER_TABLE_SCHEMA.empty_table()


def _jsonl_tables(path: Path, *, batch_rows: int | None) -> Iterator[pa.Table]:
    """JSON Lines in tables of ``batch_rows`` lines. Every line is a dossier in the dossier
    format, validated as one (the format has no types of its own); blank lines are skipped.
    Streaming stops at the first batch with a problem; ``batch_rows=None`` reports every
    problem of the file, then gives one table."""
    source = str(path)
    chunk = batch_rows or DEFAULT_BATCH_ROWS
    problems: list[Problem] = []
    invalid_rows = row = 0
    tables: list[pa.Table] = []
    try:
        stream: IO[bytes] = path.open("rb")
    except OSError as exc:
        raise _unreadable(source, exc) from None
    with stream:
        while True:
            lines = [line for line in islice(stream, chunk) if line.strip()]
            if not lines:
                break
            if row == 0:
                lines[0] = lines[0].removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
            dossiers: list[Dossier] = []
            with collector_paused():
                for line in lines:
                    row += 1
                    dossier, row_problems = _jsonl_dossier(line, row)
                    if dossier is not None:
                        dossiers.append(dossier)
                    elif row_problems:
                        invalid_rows += 1
                        if invalid_rows <= MAX_REPORTED_ROWS:
                            problems += row_problems
            if problems and batch_rows is not None:
                raise DossierError(capped(problems, invalid_rows), source=source)
            if not problems and dossiers:
                table = dossiers_to_table(dossiers)
                if batch_rows is None:
                    tables.append(table)
                else:
                    yield table
    if problems:
        raise DossierError(capped(problems, invalid_rows), source=source)
    yield from tables


def _jsonl_dossier(line: bytes, row: int) -> tuple[Dossier | None, list[Problem]]:
    try:
        data = json.loads(line.decode("utf-8"), object_pairs_hook=reject_repeated_keys)
    except UnicodeDecodeError as exc:
        return None, [Problem(f"row {row}", f"not UTF-8 text (byte {exc.start + 1} of the "
                              "line)", "save the file as UTF-8")]
    except json.JSONDecodeError as exc:
        return None, [Problem(f"row {row}", f"not valid JSON at column {exc.colno}: {exc.msg}",
                              "write one dossier object per line")]
    except RepeatedKeyError as exc:
        return None, [Problem(f"row {row}", str(exc), "remove the repeated key")]
    except RecursionError:
        return None, [Problem(f"row {row}", "nested too deeply to read",
                              "a dossier is a few levels deep")]
    except ValueError as exc:  # e.g. an integer with thousands of digits
        return None, [Problem(f"row {row}", f"cannot be read: {exc}",
                              "check the values on this line")]
    if not isinstance(data, dict):
        return None, [Problem(f"row {row}", f"a dossier is a JSON object, got "
                              f"{type(data).__name__}", "write one dossier object per line")]
    try:
        return Dossier.model_validate(data), []
    except ValidationError as exc:
        return None, at_row(row, problems_from(exc, Dossier))


# --- writing ---------------------------------------------------------------------------------

class TableWriter:
    """Writes a dossier table batch by batch (Parquet row groups, CSV + companion, JSON
    Lines), so a table larger than memory can be written as it is made.

    Use as a context manager; batches are conformed to :data:`DOSSIER_TABLE_SCHEMA`. If an
    exception ends the ``with`` block, the files written so far are removed.
    """

    def __init__(self, path: str | Path, *, format: TableFormat | None = None,
                 row_group_rows: int = DEFAULT_ROW_GROUP_ROWS) -> None:
        self.path = Path(path)
        self.format = table_format(path, format=format)
        self.row_group_rows = row_group_rows
        self.rows_written = 0
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pa_csv.CSVWriter | None = None
        self._csv_specimens: pa_csv.CSVWriter | None = None
        self._jsonl: IO[str] | None = None
        if self.format == "parquet":
            self._parquet = pq.ParquetWriter(self.path, DOSSIER_TABLE_SCHEMA, compression="zstd")
        elif self.format == "csv":
            options = pa_csv.WriteOptions(quoting_style="needed")
            self._csv = pa_csv.CSVWriter(self.path, _csv_schema(), write_options=options)
            self._csv_specimens = pa_csv.CSVWriter(specimens_csv_path(self.path),
                                                   SPECIMENS_CSV_SCHEMA, write_options=options)
        else:
            self._jsonl = self.path.open("w", encoding="utf-8", newline="\n")

    def write(self, data: pa.Table | pa.RecordBatch) -> None:
        """Append rows."""
        table = conform(data, source=str(self.path))
        if self._parquet is not None:
            self._parquet.write_table(table, row_group_size=self.row_group_rows)
        elif self._csv is not None and self._csv_specimens is not None:
            main, specimens = _csv_tables(table)
            self._csv.write_table(main)
            self._csv_specimens.write_table(specimens)
        elif self._jsonl is not None:
            for _, mappings in mapping_chunks(table, self.rows_written + 1):
                with collector_paused():
                    lines = [json.dumps(checked(mapping, problems), ensure_ascii=False) + "\n"
                             for mapping, problems in mappings]
                self._jsonl.writelines(lines)
        self.rows_written += table.num_rows

    def close(self) -> None:
        for writer in (self._parquet, self._csv, self._csv_specimens, self._jsonl):
            if writer is not None:
                writer.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
        if error is not None:  # a table cut short is not left behind as if it were whole
            self.path.unlink(missing_ok=True)
            if self.format == "csv":
                specimens_csv_path(self.path).unlink(missing_ok=True)


def write_table(table: pa.Table | pa.RecordBatch, path: str | Path, *,
                format: TableFormat | None = None) -> None:
    """Write a dossier table: Parquet (zstd, row groups of
    :data:`DEFAULT_ROW_GROUP_ROWS`), CSV + companion specimens CSV, or JSON Lines."""
    with TableWriter(path, format=format) as writer:
        writer.write(table)


def list_positions(lists: pa.Array) -> tuple[pa.Array, np.ndarray[Any, np.dtype[np.intp]]]:
    """For each item of a list column's flattened values: the row it belongs to and its
    place in that row's list, from 1 (a companion CSV's ``index``)."""
    parents = pc.list_parent_indices(lists).to_numpy()
    # parents run in order, so an item's place is its distance from its row's first item
    index = np.arange(len(parents)) - np.searchsorted(parents, parents) + 1
    return pa.array(parents), index


def _csv_schema() -> pa.Schema:
    fields = [DOSSIER_TABLE_SCHEMA.field(name) for name in _CSV_COLUMNS]
    return pa.schema([pa.field(PHASES_COLUMN, pa.string(), nullable=False)
                      if f.name == PHASES_COLUMN else f for f in fields])


def _csv_tables(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """A table → the CSV main table (phases joined by ';') and the specimens table."""
    main = table.drop_columns([SPECIMENS_COLUMN]).set_column(
        table.schema.get_field_index(PHASES_COLUMN),
        pa.field(PHASES_COLUMN, pa.string(), nullable=False),
        pc.binary_join(table.column(PHASES_COLUMN), ";"))
    specimens = table.column(SPECIMENS_COLUMN).combine_chunks()
    parents, index = list_positions(specimens)
    flat = pc.list_flatten(specimens)
    companion = pa.table({
        "id": table.column("id").take(parents),
        "index": pa.array(index, pa.int64()),
        "mass_before_g": flat.field("mass_before_g"),
        "mass_after_g": flat.field("mass_after_g"),
        "specimen_id": flat.field("id"),
    }, schema=SPECIMENS_CSV_SCHEMA)
    return main.cast(_csv_schema()), companion
