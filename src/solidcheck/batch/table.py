"""The dossier table: one row per dossier, so millions of dossiers are read, written and
classified as columns instead of files (layout in docs/batch.md).

Columns are named by the dossier's own field paths (``weight_loss_test.temperature_c``), so a
problem found in a row names its column. Parquet keeps the Arrow types; CSV (specimens in a
companion ``<name>.specimens.csv``) and JSON Lines (one dossier per line, in the dossier
format) are converted on read. Types are checked on read; the dossier rules (bounds, phases
and solid type, …) are checked by :func:`table_to_dossiers`, one Dossier per row, because the
Dossier model is the one definition of a valid dossier.

Row numbers in problems count dossiers from 1 (the first data row of a CSV is row 1).
"""

from __future__ import annotations

import difflib
import gc
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq
from pydantic import ValidationError

from .._validation import problems_from
from ..dossier import RepeatedKeyError, reject_repeated_keys
from ..errors import DossierError, Problem
from ..model import Dossier

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DOSSIER_TABLE_SCHEMA",
    "SPECIMENS_CSV_SCHEMA",
    "TableFormat",
    "TableWriter",
    "conform",
    "dossier_mappings",
    "dossiers_to_table",
    "iter_batches",
    "read_table",
    "specimens_csv_path",
    "table_format",
    "table_to_dossiers",
    "write_table",
]

TableFormat = Literal["parquet", "csv", "jsonl"]

SPECIMEN_TYPE = pa.struct([pa.field("mass_before_g", pa.float64()),
                           pa.field("mass_after_g", pa.float64())])

DOSSIER_TABLE_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("manufacturer", pa.string()),
    pa.field("model", pa.string()),
    pa.field("electrolyte.phases", pa.list_(pa.string()), nullable=False),
    pa.field("electrolyte.solid_type", pa.string()),
    pa.field("electrolyte.liquid_fraction_wt_percent", pa.float64()),
    pa.field("conducting_ion", pa.string(), nullable=False),
    pa.field("application", pa.string()),
    pa.field("ratings.max_power_w", pa.float64()),
    pa.field("ratings.energy_1c_wh", pa.float64()),
    pa.field("weight_loss_test.temperature_c", pa.float64()),
    pa.field("weight_loss_test.duration_h", pa.float64()),
    pa.field("weight_loss_test.pressure_pa", pa.float64()),
    pa.field("weight_loss_test.visible_liquid", pa.bool_()),
    pa.field("weight_loss_test.balance_resolution_mg", pa.float64()),
    pa.field("weight_loss_test.specimens", pa.list_(SPECIMEN_TYPE)),
    pa.field("evidence", pa.string()),
], metadata={b"solidcheck.table": b"dossier/1"})
"""The dossier table's Arrow schema (docs/batch.md); Parquet files keep it as written."""

SPECIMENS_CSV_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("index", pa.int64(), nullable=False),
    pa.field("mass_before_g", pa.float64()),
    pa.field("mass_after_g", pa.float64()),
])
"""The companion CSV of a CSV dossier table: one row per specimen, ``index`` from 1."""

DEFAULT_BATCH_ROWS = 65_536
"""Rows per streamed batch: small enough for bounded memory, large enough for vector speed."""
DEFAULT_ROW_GROUP_ROWS = 262_144
"""Rows per Parquet row group written: the unit a streaming reader loads at once."""
MAX_REPORTED_ROWS = 30
"""Invalid rows listed in one error; beyond it they are counted, so the message stays
readable (and in memory) for a table of millions of bad rows. Few enough that their problems
and the count fit in the problems an error lists (``errors.MAX_PROBLEMS_LISTED``)."""

_SPECIMENS = "weight_loss_test.specimens"
_PHASES = "electrolyte.phases"
_REQUIRED = tuple(f.name for f in DOSSIER_TABLE_SCHEMA if not f.nullable)
_CSV_COLUMNS = tuple(name for name in DOSSIER_TABLE_SCHEMA.names if name != _SPECIMENS)
_SUFFIXES: dict[str, TableFormat] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv",
                                     ".jsonl": "jsonl", ".ndjson": "jsonl"}
# A decimal number as people and pyarrow write it; nan and inf are not numbers in a dossier.
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_KEEP_VALIDATED_ROWS = 200_000  # table_to_dossiers keeps at most this many, else validates twice


# --- dossiers ↔ table ------------------------------------------------------------------------

def dossiers_to_table(dossiers: Iterable[Dossier]) -> pa.Table:
    """The dossiers as one table in :data:`DOSSIER_TABLE_SCHEMA`, in the order given."""
    columns: dict[str, list[Any]] = {name: [] for name in DOSSIER_TABLE_SCHEMA.names}
    with _without_gc():
        for dossier in dossiers:
            for name, value in _dossier_row(dossier).items():
                columns[name].append(value)
        return pa.Table.from_pydict(columns, schema=DOSSIER_TABLE_SCHEMA)


def _dossier_row(dossier: Dossier) -> dict[str, Any]:
    electrolyte, ratings, test = dossier.electrolyte, dossier.ratings, dossier.weight_loss_test
    evidence = None
    if dossier.evidence:
        evidence = json.dumps([item.model_dump(mode="json", exclude_none=True)
                               for item in dossier.evidence], ensure_ascii=False)
    return {
        "id": dossier.id,
        "manufacturer": dossier.manufacturer,
        "model": dossier.model,
        _PHASES: list(electrolyte.phases),
        "electrolyte.solid_type": electrolyte.solid_type,
        "electrolyte.liquid_fraction_wt_percent": electrolyte.liquid_fraction_wt_percent,
        "conducting_ion": dossier.conducting_ion,
        "application": dossier.application,
        "ratings.max_power_w": ratings.max_power_w if ratings else None,
        "ratings.energy_1c_wh": ratings.energy_1c_wh if ratings else None,
        "weight_loss_test.temperature_c": test.temperature_c if test else None,
        "weight_loss_test.duration_h": test.duration_h if test else None,
        "weight_loss_test.pressure_pa": test.pressure_pa if test else None,
        "weight_loss_test.visible_liquid": test.visible_liquid if test else None,
        "weight_loss_test.balance_resolution_mg": test.balance_resolution_mg if test else None,
        _SPECIMENS: [{"mass_before_g": s.mass_before_g, "mass_after_g": s.mass_after_g}
                     for s in test.specimens] if test else None,
        "evidence": evidence,
    }


def table_to_dossiers(table: pa.Table | pa.RecordBatch, *, first_row: int = 1,
                      ) -> Iterator[Dossier]:
    """Every row as a validated Dossier, in order.

    The whole table is checked before the first dossier is returned, so a caller never acts
    on part of a bad table: if any row is invalid, one DossierError ("invalid dossier table:
    …") lists every invalid row's problems (path ``row N: field``; the first
    :data:`MAX_REPORTED_ROWS` rows, the rest counted). ``first_row`` numbers the first row
    (for a batch in the middle of a stream).
    """
    table = _as_table(table)
    keep = table.num_rows <= _KEEP_VALIDATED_ROWS
    kept: list[Dossier] = []
    problems: list[Problem] = []
    invalid_rows = 0
    for start, mappings in _mapping_chunks(table, first_row):
        with _without_gc():
            for offset, (mapping, row_problems) in enumerate(mappings):
                if not row_problems:
                    try:
                        dossier = Dossier.model_validate(mapping)
                    except ValidationError as exc:
                        row_problems = _at_row(start + offset, problems_from(exc, Dossier))
                    else:
                        if keep:
                            kept.append(dossier)
                if row_problems:
                    invalid_rows += 1
                    if invalid_rows <= MAX_REPORTED_ROWS:
                        problems.extend(row_problems)
    if invalid_rows:
        raise DossierError(capped(problems, invalid_rows), source="table")
    if keep:
        return iter(kept)
    return _validated_again(table, first_row)


def _validated_again(table: pa.Table, first_row: int) -> Iterator[Dossier]:
    # Already checked: every row is valid, so this only rebuilds the models.
    for _, mappings in _mapping_chunks(table, first_row):
        with _without_gc():
            dossiers = [Dossier.model_validate(mapping) for mapping, _ in mappings]
        yield from dossiers


@contextmanager
def _without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk conversion: the rows and dossiers
    made are acyclic, but their number triggers a collection every few hundred objects,
    each walking everything kept so far — three to six times the conversion's own time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_UNLISTED = "… and "  # how the count of the rows not listed begins


def capped(problems: list[Problem], invalid_rows: int | None = None) -> list[Problem]:
    """The problems of the first :data:`MAX_REPORTED_ROWS` rows, and a count of the rest
    (``invalid_rows``: the whole count, when the problems of the rest were not kept)."""
    rows = sorted({row_of(p) for p in problems} - {0})
    total = len(rows) if invalid_rows is None else invalid_rows
    if total <= MAX_REPORTED_ROWS:
        return problems
    if len(rows) > MAX_REPORTED_ROWS:
        last = rows[MAX_REPORTED_ROWS - 1]
        problems = [p for p in problems if row_of(p) <= last]
    return [*problems, Problem("", f"{_UNLISTED}{total - MAX_REPORTED_ROWS} more invalid rows "
                               f"({total} in all)", "fix the rows listed and check again")]


def counts_unlisted_rows(problem: Problem) -> bool:
    """Whether ``problem`` is the count :func:`capped` adds for the rows it does not list."""
    return not problem.path and problem.message.startswith(_UNLISTED)


def _at_row(row: int, problems: Iterable[Problem]) -> list[Problem]:
    return [Problem(f"row {row}: {p.path}" if p.path else f"row {row}", p.message, p.fix)
            for p in problems]


def _as_table(data: pa.Table | pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data


def _mapping_chunks(table: pa.Table, first_row: int,
                    ) -> Iterator[tuple[int, list[tuple[dict[str, Any], list[Problem]]]]]:
    """(first row number, [(dossier mapping, problems)]) per chunk of the table."""
    start = first_row
    for batch in table.to_batches(max_chunksize=DEFAULT_BATCH_ROWS):
        with _without_gc():
            mappings = _batch_mappings(batch, start)
        yield start, mappings
        start += batch.num_rows


def _batch_mappings(batch: pa.RecordBatch, start: int,
                    ) -> list[tuple[dict[str, Any], list[Problem]]]:
    """Each row as a dossier mapping (nested, nulls left out), and what stops it being one
    (evidence that is not JSON). Column by column into Python, then row by row."""
    plan = []
    for name in batch.schema.names:
        head, dot, tail = name.partition(".")
        plan.append((name, head, tail if dot else None, batch.column(name).to_pylist()))
    out = []
    for i in range(batch.num_rows):
        mapping: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, head, tail, values in plan:
            value = values[i]
            if value is None:
                continue
            if name == "evidence":
                try:
                    value = json.loads(value, object_pairs_hook=reject_repeated_keys)
                except (json.JSONDecodeError, RepeatedKeyError) as exc:
                    problems.append(Problem(
                        f"row {start + i}: evidence", f"not valid JSON: {exc}",
                        "write the evidence list as JSON, e.g. [{\"kind\": \"weighings\", …}], "
                        "or leave it empty"))
                    continue
            elif name == _SPECIMENS:
                value = [{k: v for k, v in s.items() if v is not None} if s is not None
                         else None for s in value]
            if tail is None:
                mapping[head] = value
            else:
                mapping.setdefault(head, {})[tail] = value
        out.append((mapping, problems))
    return out


def dossier_mappings(table: pa.Table | pa.RecordBatch) -> Iterator[dict[str, Any]]:
    """Every row in the dossier format (nested, nulls left out), unvalidated: what JSON Lines
    and dossier files are written from."""
    for _, mappings in _mapping_chunks(_as_table(table), 1):
        for mapping, problems in mappings:
            yield _checked(mapping, problems)


def _checked(mapping: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    if problems:
        raise DossierError(problems, source="table")
    return mapping


# --- a table from elsewhere, in the schema ---------------------------------------------------

def conform(table: pa.Table | pa.RecordBatch, *, source: str | None = None,
            first_row: int = 1) -> pa.Table:
    """The table in :data:`DOSSIER_TABLE_SCHEMA`: columns in order and cast (a Parquet file
    written by Polars or pandas has other string and integer types), absent optional
    columns as nulls. Unknown or missing required columns, values that do not cast, and
    empty required values are one DossierError."""
    out, problems = _conformed(_as_table(table), first_row=first_row)
    if problems:
        raise DossierError(problems, source=source)
    assert out is not None
    return out


def _conformed(table: pa.Table, *, first_row: int) -> tuple[pa.Table | None, list[Problem]]:
    problems = _column_problems(table.column_names, expected=DOSSIER_TABLE_SCHEMA.names,
                                required=_REQUIRED)
    columns: list[pa.ChunkedArray | pa.Array] = []
    for field in DOSSIER_TABLE_SCHEMA:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            problems.append(Problem(field.name, f"column of type {column.type} cannot be read "
                                    f"as {field.type}: {exc}",
                                    "write it with the type in docs/batch.md"))
    if problems:
        return None, problems
    out = pa.Table.from_arrays(columns, schema=DOSSIER_TABLE_SCHEMA)
    empty = {name: out.column(name).is_null().to_numpy(zero_copy_only=False)
             for name in _REQUIRED if out.column(name).null_count}
    if not empty:
        return out, []
    rows = np.flatnonzero(np.logical_or.reduce(list(empty.values())))
    for i in rows[:MAX_REPORTED_ROWS]:
        problems += [Problem(f"row {first_row + int(i)}: {name}", "is empty",
                             "every dossier needs it (see docs/batch.md)")
                     for name, mask in empty.items() if mask[i]]
    return None, capped(problems, len(rows))


def row_of(problem: Problem) -> int:
    """The row number of a ``row N: …`` problem (0 for a problem of the whole table)."""
    match = re.match(r"row ([0-9]+)", problem.path)
    return int(match.group(1)) if match else 0


def _column_problems(names: Sequence[str], *, expected: Sequence[str],
                     required: Sequence[str]) -> list[Problem]:
    problems = []
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(name, "column appears more than once",
                                "keep one column of each name"))
    for name in names:
        if name not in expected:
            close = difflib.get_close_matches(name, expected, n=1, cutoff=0.6)
            fix = (f"did you mean {close[0]!r}?" if close else
                   "remove it; the columns are listed in docs/batch.md")
            problems.append(Problem(name, "unknown column", fix))
    for name in required:
        if name not in names:
            problems.append(Problem(name, "required column is missing", "add this column"))
    return problems


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
            table = pa_ds.dataset(_dataset_path(path), format="parquet").to_table()
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


def _dataset_path(path: str | Path) -> str:
    return str(path) if "://" in str(path) else str(Path(path))


def _unreadable(source: str, exc: BaseException) -> DossierError:
    message = getattr(exc, "strerror", None) or str(exc)
    return DossierError([Problem("", f"cannot read the table: {message}",
                                 "check the path and that it is a dossier table")],
                        source=source)


def _parquet_batches(path: str | Path, *, batch_rows: int) -> Iterator[pa.RecordBatch]:
    source = str(path)
    try:
        dataset = pa_ds.dataset(_dataset_path(path), format="parquet")
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
    problems = _column_problems(reader.schema.names, expected=_CSV_COLUMNS, required=_REQUIRED)
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
            typed, batch_problems = _conformed(
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


def _read_all(reader: pa_csv.CSVStreamingReader, source: str) -> Iterator[pa.RecordBatch]:
    table = pa.Table.from_batches(list(_batches_of(reader, source)), schema=reader.schema)
    yield from table.combine_chunks().to_batches()


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
        elif name == _PHASES:
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
            problems = _column_problems(reader.schema.names, expected=SPECIMENS_CSV_SCHEMA.names,
                                        required=SPECIMENS_CSV_SCHEMA.names)
            if problems:
                raise DossierError(problems, source=self.source)
            self.reader = _batches_of(reader, self.source)

    def take(self, ids: pa.Array) -> pa.Table:
        """The companion rows of these dossiers: the run of rows whose ids are among them."""
        empty = pa.table({"id": pa.array([], pa.string()), "index": pa.array([], pa.int64()),
                          "mass_before_g": pa.array([], pa.float64()),
                          "mass_after_g": pa.array([], pa.float64())})
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
        return pa.table({"id": batch.column("id"), "index": pc.cast(index_text, pa.int64()),
                         **masses})

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
        problems.append(Problem(f"row {row}: {_SPECIMENS}", "specimen indices do not run 1, 2, "
                                f"3 … (got {sorted(index[position == position[i]].tolist())})",
                                f"number the specimens of {ids[int(position[i])].as_py()!r} "
                                f"in {stream.path.name} from 1, without gaps or repeats"))
    if problems:
        raise DossierError(problems, source=stream.source)
    values = pa.StructArray.from_arrays(
        [rows.column("mass_before_g").combine_chunks().take(order),
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
    return table.append_column(_SPECIMENS, specimens)


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
            with _without_gc():
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
        return None, _at_row(row, problems_from(exc, Dossier))


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
            for _, mappings in _mapping_chunks(table, self.rows_written + 1):
                with _without_gc():
                    lines = [json.dumps(_checked(mapping, problems), ensure_ascii=False) + "\n"
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
    return pa.schema([pa.field(_PHASES, pa.string(), nullable=False) if f.name == _PHASES
                      else f for f in fields])


def _csv_tables(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """A table → the CSV main table (phases joined by ';') and the specimens table."""
    main = table.drop_columns([_SPECIMENS]).set_column(
        table.schema.get_field_index(_PHASES), pa.field(_PHASES, pa.string(), nullable=False),
        pc.binary_join(table.column(_PHASES), ";"))
    specimens = table.column(_SPECIMENS).combine_chunks()
    parents, index = list_positions(specimens)
    flat = pc.list_flatten(specimens)
    companion = pa.table({
        "id": table.column("id").take(parents),
        "index": pa.array(index, pa.int64()),
        "mass_before_g": flat.field("mass_before_g"),
        "mass_after_g": flat.field("mass_after_g"),
    }, schema=SPECIMENS_CSV_SCHEMA)
    return main.cast(_csv_schema()), companion

