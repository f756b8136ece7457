"""The dossier table: one row per dossier, so millions of dossiers are read, written and
classified as columns instead of files (layout in docs/batch.md). This module owns the table
itself: its Arrow schema, dossiers ↔ table, a foreign table conformed to the schema, and
problems numbered by row; its files are ``files.py``.

Columns are named by the dossier's own field paths (``weight_loss_test.temperature_c``), so a
problem found in a row names its column. The dossier rules (bounds, phases and solid type,
…) are checked by :func:`table_to_dossiers`, one Dossier per row, because the Dossier model
is the one definition of a valid dossier.

Row numbers in problems count dossiers from 1 (the first data row of a CSV is row 1).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import ValidationError

from ..._collector import collector_paused
from ..._validation import problems_from
from ...dossier import RepeatedKeyError, reject_repeated_keys
from ...errors import DossierError, Problem
from ...model import Dossier

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DOSSIER_TABLE_SCHEMA",
    "MAX_REPORTED_ROWS",
    "SPECIMENS_CSV_SCHEMA",
    "SPECIMEN_TYPE",
    "capped",
    "conform",
    "counts_unlisted_rows",
    "dossier_mappings",
    "dossiers_to_table",
    "row_of",
    "table_to_dossiers",
]

SPECIMEN_TYPE = pa.struct([pa.field("id", pa.string()),
                           pa.field("mass_before_g", pa.float64()),
                           pa.field("mass_after_g", pa.float64())])
"""A specimen: its id as the lab wrote it (null: none given; tables written before ids
were kept have no ``id`` field and read as null ids), then its masses."""

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
    pa.field("specimen_id", pa.string()),
])
"""The companion CSV of a CSV dossier table: one row per specimen, ``index`` from 1;
``specimen_id`` (the lab's name for it) may be left out or empty."""

DEFAULT_BATCH_ROWS = 65_536
"""Rows per streamed batch: small enough for bounded memory, large enough for vector speed."""
MAX_REPORTED_ROWS = 30
"""Invalid rows listed in one error; beyond it they are counted, so the message stays
readable (and in memory) for a table of millions of bad rows. Few enough that their problems
and the count fit in the problems an error lists (``errors.MAX_PROBLEMS_LISTED``)."""

SPECIMENS_COLUMN = "weight_loss_test.specimens"
PHASES_COLUMN = "electrolyte.phases"
REQUIRED_COLUMNS = tuple(f.name for f in DOSSIER_TABLE_SCHEMA if not f.nullable)
_KEEP_VALIDATED_ROWS = 200_000  # table_to_dossiers keeps at most this many, else validates twice


# --- dossiers ↔ table ------------------------------------------------------------------------

def dossiers_to_table(dossiers: Iterable[Dossier]) -> pa.Table:
    """The dossiers as one table in :data:`DOSSIER_TABLE_SCHEMA`, in the order given."""
    columns: dict[str, list[Any]] = {name: [] for name in DOSSIER_TABLE_SCHEMA.names}
    with collector_paused():
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
        PHASES_COLUMN: list(electrolyte.phases),
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
        SPECIMENS_COLUMN: [{"id": s.id, "mass_before_g": s.mass_before_g,
                            "mass_after_g": s.mass_after_g}
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
    for start, mappings in mapping_chunks(table, first_row):
        with collector_paused():
            for offset, (mapping, row_problems) in enumerate(mappings):
                if not row_problems:
                    try:
                        dossier = Dossier.model_validate(mapping)
                    except ValidationError as exc:
                        row_problems = at_row(start + offset, problems_from(exc, Dossier))
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
    for _, mappings in mapping_chunks(table, first_row):
        with collector_paused():
            dossiers = [Dossier.model_validate(mapping) for mapping, _ in mappings]
        yield from dossiers


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


def at_row(row: int, problems: Iterable[Problem]) -> list[Problem]:
    return [Problem(f"row {row}: {p.path}" if p.path else f"row {row}", p.message, p.fix)
            for p in problems]


def _as_table(data: pa.Table | pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data


def mapping_chunks(table: pa.Table, first_row: int,
                    ) -> Iterator[tuple[int, list[tuple[dict[str, Any], list[Problem]]]]]:
    """(first row number, [(dossier mapping, problems)]) per chunk of the table."""
    start = first_row
    for batch in table.to_batches(max_chunksize=DEFAULT_BATCH_ROWS):
        with collector_paused():
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
            elif name == SPECIMENS_COLUMN:
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
    for _, mappings in mapping_chunks(_as_table(table), 1):
        for mapping, problems in mappings:
            yield checked(mapping, problems)


def checked(mapping: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
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
    out, problems = conformed(_as_table(table), first_row=first_row)
    if problems:
        raise DossierError(problems, source=source)
    assert out is not None
    return out


def conformed(table: pa.Table, *, first_row: int) -> tuple[pa.Table | None, list[Problem]]:
    problems = column_problems(table.column_names, expected=DOSSIER_TABLE_SCHEMA.names,
                                required=REQUIRED_COLUMNS)
    columns: list[pa.ChunkedArray | pa.Array] = []
    for field in DOSSIER_TABLE_SCHEMA:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if field.name == SPECIMENS_COLUMN:
            column = _specimens_with_ids(column)
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
             for name in REQUIRED_COLUMNS if out.column(name).null_count}
    if not empty:
        return out, []
    rows = np.flatnonzero(np.logical_or.reduce(list(empty.values())))
    for i in rows[:MAX_REPORTED_ROWS]:
        problems += [Problem(f"row {first_row + int(i)}: {name}", "is empty",
                             "every dossier needs it (see docs/batch.md)")
                     for name, mask in empty.items() if mask[i]]
    return None, capped(problems, len(rows))


def _specimens_with_ids(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A specimens column written before specimens had ids (structs of masses only) with a
    null ``id`` field, so old tables still read; any other column as it is."""
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) \
            or not pa.types.is_struct(kind.value_type) \
            or kind.value_type.get_field_index("id") >= 0:
        return column
    return pa.chunked_array([_list_with_null_ids(chunk) for chunk in column.chunks],
                            type=pa.list_(_with_id_field(kind.value_type))
                            if pa.types.is_list(kind)
                            else pa.large_list(_with_id_field(kind.value_type)))


def _with_id_field(struct: pa.StructType) -> pa.StructType:
    return pa.struct([pa.field("id", pa.string()), *struct])


def _list_with_null_ids(chunk: pa.Array) -> pa.Array:
    offsets = np.asarray(chunk.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    values = chunk.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))  # a slice's own
    offsets = offsets - offsets[0]
    fields = [values.field(i) for i in range(values.type.num_fields)]
    structs = pa.StructArray.from_arrays(
        [pa.nulls(len(values), pa.string()), *fields],
        fields=list(_with_id_field(values.type)), mask=values.is_null())
    list_class = pa.ListArray if pa.types.is_list(chunk.type) else pa.LargeListArray
    offset_type = pa.int32() if list_class is pa.ListArray else pa.int64()
    return list_class.from_arrays(pa.array(offsets, offset_type), structs,
                                  mask=chunk.is_null())


def row_of(problem: Problem) -> int:
    """The row number of a ``row N: …`` problem (0 for a problem of the whole table)."""
    match = re.match(r"row ([0-9]+)", problem.path)
    return int(match.group(1)) if match else 0


def column_problems(names: Sequence[str], *, expected: Sequence[str],
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
