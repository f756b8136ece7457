"""A whole dossier table through ``classify_table``, chunk by chunk: the local engine of
``solidcheck batch`` and what both engines share (the results file, the invalid rows; the
summary is ``summary.py``).

Input is streamed (``table.iter_batches``), so a table larger than memory needs only a
chunk's worth at a time; output is written to a temporary file beside the target and put in
place only when every row is classified. Invalid rows stop the classification but not the
reading: the rest of the table is still checked, so one error lists every invalid row
(the first :data:`~solidcheck.batch.table.MAX_REPORTED_ROWS` of them), and nothing is
written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import DossierError, InvalidInputError, Problem
from ..i18n import Display
from ..rules import Ruleset
from .summary import BatchSummary, result_column
from .table import (
    MAX_REPORTED_ROWS,
    TableFormat,
    counts_unlisted_rows,
    iter_batches,
    list_positions,
    row_of,
    specimens_csv_path,
    table_format,
)
from .vector import FINDING_TEXT_TYPE, FINDING_TYPE, classify_table, results_schema, table_problems

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "FindingsMode",
    "Problems",
    "ResultWriter",
    "classify_file",
    "count_rows",
    "findings_csv_path",
]

DEFAULT_CHUNK_ROWS = 131_072
"""Rows classified at once: about 200 MB of working memory with findings, and large enough
that the per-chunk overhead is a few percent."""

FindingsMode = Literal["text", "ids", "none"]
"""What the results hold of the findings: ids and parameters with their text in a language
(``text``), ids and parameters only (``ids``), or nothing (``none``)."""

_FINDINGS_CSV_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("ruleset", pa.string(), nullable=False),
    pa.field("index", pa.int64(), nullable=False),
    pa.field("severity", pa.string()),
    pa.field("rule", pa.string()),
    pa.field("message_id", pa.string()),
    pa.field("params", pa.string()),
    pa.field("source", pa.string()),
    pa.field("clause", pa.string()),
])
_FINDINGS_TEXT_CSV_SCHEMA = _FINDINGS_CSV_SCHEMA.append(pa.field("message", pa.string()))


def findings_mode(findings: FindingsMode | bool) -> FindingsMode:
    """``findings`` as a mode (``True``: ids, ``False``: none, as before the modes)."""
    if isinstance(findings, bool):
        return "ids" if findings else "none"
    return findings


def findings_csv_path(path: str | Path) -> Path:
    """The companion CSV holding the findings of a CSV results file."""
    path = Path(path)
    return path.with_name(path.stem + ".findings.csv")


class ResultWriter:
    """Writes results chunk by chunk: Parquet (the columns of ``results_schema``, findings
    as a list column), CSV (findings in a companion ``<name>.findings.csv``, one row per
    finding) or JSON Lines (one object per row, the same dotted keys as the Parquet
    columns). With ``findings="text"`` every finding has its ``message`` (the results
    written must have it: ``render.with_messages``). Use as a context manager."""

    def __init__(self, path: str | Path, ruleset_ids: Sequence[str], *,
                 findings: FindingsMode | bool = "ids", format: TableFormat | None = None,
                 findings_path: str | Path | None = None) -> None:
        self.path = Path(path)
        self.format = table_format(path, format=format)
        self.ruleset_ids = tuple(ruleset_ids)
        self.mode = findings_mode(findings)
        self.findings = self.mode != "none"
        self.schema = results_schema(self.ruleset_ids, findings=self.findings)
        if self.mode == "text":
            names = set(self._finding_columns())
            self.schema = pa.schema([pa.field(f.name, pa.large_list(FINDING_TEXT_TYPE))
                                     if f.name in names else f for f in self.schema])
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pa_csv.CSVWriter | None = None
        self._csv_findings: pa_csv.CSVWriter | None = None
        self._jsonl: IO[bytes] | None = None
        if self.format == "parquet":
            # Dictionary pages only for the repeating strings (a category, a code, a
            # finding's rule), statistics only for the plain flat columns (id, numbers,
            # flags): for the parameters (mostly distinct) a dictionary page overflows and
            # falls back (time lost, a larger file), and statistics of dictionary columns
            # mean decoding them.
            dictionaries = [f.name for f in self.schema if pa.types.is_dictionary(f.type)]
            plain = [f.name for f in self.schema if f.name not in dictionaries
                     and not pa.types.is_large_list(f.type)]
            # Values and levels are encoded 64k at a time rather than 1k: the nested
            # findings write 5–7 % faster (bench/README.md), the file is the same.
            self._parquet = pq.ParquetWriter(self.path, self.schema, compression="zstd",
                                             write_batch_size=65_536,
                                             # in the findings, the few-valued words
                                             # (severity, rule, id, source, clause)
                                             use_dictionary=dictionaries + [
                                                 f"{name}.list.element.{word.name}"
                                                 for name in self._finding_columns()
                                                 for word in FINDING_TYPE
                                                 if pa.types.is_dictionary(word.type)],
                                             write_statistics=plain)
        elif self.format == "csv":
            self._csv = pa_csv.CSVWriter(self.path, _plain(self._main_schema()))
            if self.findings:
                self._csv_findings = pa_csv.CSVWriter(
                    findings_path or findings_csv_path(self.path), self._findings_schema())
        else:
            self._jsonl = self.path.open("wb")

    def _finding_columns(self) -> list[str]:
        return [result_column(rid, self.ruleset_ids, "findings") for rid in self.ruleset_ids
                ] if self.findings else []

    def _findings_schema(self) -> pa.Schema:
        return _FINDINGS_TEXT_CSV_SCHEMA if self.mode == "text" else _FINDINGS_CSV_SCHEMA

    def _main_schema(self) -> pa.Schema:
        columns = set(self._finding_columns())
        return pa.schema([f for f in self.schema if f.name not in columns])

    def write(self, results: pa.Table) -> None:
        if self._parquet is not None:
            self._parquet.write_table(results)
        elif self._csv is not None:
            main = results.drop_columns(self._finding_columns())
            self._csv.write_table(main.cast(_plain(main.schema)))
            if self._csv_findings is not None:
                self._csv_findings.write_table(self._findings_rows(results))
        elif self._jsonl is not None:
            import polars as pl

            pl.from_arrow(results).write_ndjson(self._jsonl)  # type: ignore[union-attr]

    def _findings_rows(self, results: pa.Table) -> pa.Table:
        """One row per finding: the dossier id, the rule set, its place in the list."""
        parts = []
        schema = self._findings_schema()
        for rid, name in zip(self.ruleset_ids, self._finding_columns(), strict=True):
            lists = results.column(name).combine_chunks()
            parents, index = list_positions(lists)
            flat = pc.list_flatten(lists)
            fields = dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
            parts.append(pa.table({
                "id": results.column("id").take(parents),
                "ruleset": pa.array([rid] * len(parents), pa.string()),
                "index": pa.array(index, pa.int64()),
                **{f.name: fields[f.name].cast(pa.string()) for f in schema
                   if f.name in fields},
            }, schema=schema))
        return pa.concat_tables(parts)

    def close(self) -> None:
        for writer in (self._parquet, self._csv, self._csv_findings, self._jsonl):
            if writer is not None:
                writer.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _plain(schema: pa.Schema) -> pa.Schema:
    """Dictionary-encoded strings as plain strings (CSV has no dictionaries)."""
    return pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type)
                      else f for f in schema])


def count_rows(path: str | Path, *, format: TableFormat | None = None) -> int | None:
    """Rows in a table if its metadata says so without reading it (Parquet), else None
    (also for what cannot be read: the run itself will say why)."""
    import pyarrow.dataset as pa_ds

    try:
        if table_format(path, format=format) != "parquet":
            return None
        return int(pa_ds.dataset(str(path), format="parquet").count_rows())
    except (OSError, pa.ArrowInvalid, InvalidInputError):
        return None


class Problems:
    """Invalid rows gathered across chunks, the first MAX_REPORTED_ROWS rows listed."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.rows: set[int] = set()
        self.unlisted = False

    def add(self, problems: Sequence[Problem]) -> None:
        for problem in problems:
            row = row_of(problem)
            if counts_unlisted_rows(problem):
                self.unlisted = True  # a chunk's own count of rows it did not list
            elif row in self.rows or len(self.rows) < MAX_REPORTED_ROWS:
                self.rows.add(row)
                self.listed.append(problem)
            else:
                self.unlisted = True

    def __bool__(self) -> bool:
        return bool(self.listed) or self.unlisted

    def error(self, source: str) -> DossierError:
        problems = sorted(self.listed, key=row_of)
        if self.unlisted:
            problems.append(Problem("", "… and more invalid rows not listed",
                                    "fix the rows listed and check again"))
        return DossierError(problems, source=source)


@contextlib.contextmanager
def _replacing(path: Path, *companions: Path) -> Iterator[tuple[Path, ...]]:
    """Temporary paths beside ``path`` (and its companions) that replace them on success
    and are removed on failure, so a failed run leaves any earlier output as it was."""
    temporary: list[Path] = []
    try:
        for target in (path, *companions):
            temporary.append(target.with_name(f".{target.name}.{secrets.token_hex(4)}"
                                              ".partial"))
        yield tuple(temporary)
    except BaseException:
        for name in temporary:
            name.unlink(missing_ok=True)
        raise
    for name, target in zip(temporary, (path, *companions), strict=True):
        os.replace(name, target)


@contextlib.contextmanager
def _behind(writer: ResultWriter) -> Iterator[Callable[[pa.Table], None]]:
    """``write`` that returns at once and writes on a thread while the next chunk is
    classified (Arrow writes without holding the GIL); one chunk in flight, so memory stays
    bounded, and a write error surfaces at the next write or at the end."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="solidcheck-writer") as pool:
        pending: list[Future[None]] = []

        def write(results: pa.Table) -> None:
            if pending:
                pending.pop().result()
            pending.append(pool.submit(writer.write, results))

        yield write
        if pending:
            pending.pop().result()


def classify_file(source: str | Path, output: str | Path, rulesets: Sequence[Ruleset], *,
                  findings: FindingsMode | bool = "ids", lang: Display = "en",
                  chunk_rows: int = DEFAULT_CHUNK_ROWS,
                  jobs: int | None = None, input_format: TableFormat | None = None,
                  output_format: TableFormat | None = None,
                  on_rows: Callable[[int], None] | None = None) -> BatchSummary:
    """Classify every row of a dossier table file under every rule set and write the results
    (one row per dossier, rule sets side by side); ``on_rows`` is told of each chunk done.
    ``findings``: as ids and parameters (``ids``), also their text in ``lang`` (``text``),
    or left out (``none``).

    ``jobs`` chunks are classified at once on threads (default: one per core; the work is
    in NumPy, Arrow and Polars, which run without the GIL), each using a chunk's memory.
    Raises DossierError listing every invalid row of the table (nothing is written then),
    InvalidInputError if the output is the input, FileNotFoundError if its folder is missing.
    """
    rules = list(rulesets)
    ids = tuple(r.id for r in rules)
    mode = findings_mode(findings)
    output = Path(output)
    kind = table_format(output, format=output_format)
    companions = [findings_csv_path(output)] if kind == "csv" and mode != "none" else []
    _check_output(source, [output, *companions], input_format=input_format)
    started = time.perf_counter()
    summary = BatchSummary(ids)
    problems = Problems()

    def classified(table: pa.Table, first_row: int) -> tuple[pa.Table | None, list[Problem]]:
        if problems:  # the run has failed: only find the rest of the invalid rows
            return None, table_problems(table, first_row=first_row)
        try:
            results = classify_table(table, rules, findings=mode != "none",
                                     first_row=first_row)
        except DossierError as exc:
            return None, list(exc.problems)
        if mode == "text":
            from .render import with_messages

            results = with_messages(results, ids, lang)
        return results, []

    with _replacing(output, *companions) as temporary:
        with ResultWriter(temporary[0], ids, findings=mode, format=kind,
                          findings_path=temporary[-1]) as writer, _behind(writer) as write:
            chunks = iter_batches(source, format=input_format, batch_rows=chunk_rows)
            for rows, results, found in _in_order(chunks, classified, jobs=jobs or
                                                  os.cpu_count() or 1, problems=problems):
                problems.add(found)
                if results is not None and not problems:
                    write(results)
                    summary.add(BatchSummary.of(results, ids))
                if on_rows is not None:
                    on_rows(rows)
        if problems:
            raise problems.error(str(source))
    summary.seconds = time.perf_counter() - started
    return summary


def _check_output(source: str | Path, targets: list[Path], *,
                  input_format: TableFormat | None) -> None:
    """The results must not replace the input (they would, at the end of the run) and
    need a folder to go to."""
    if "://" not in str(source):
        inputs = {Path(source).resolve()}
        if table_format(source, format=input_format) == "csv":
            inputs.add(specimens_csv_path(source).resolve())
        clash = [str(t) for t in targets if t.resolve() in inputs]
        if clash:
            raise InvalidInputError([Problem(
                "--output", f"{', '.join(clash)} is the input table, which the results would "
                "replace", "write the results to another file")])
    for target in targets:
        if not target.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, f"there is no folder {target.parent}",
                                    str(target))


_Classified = tuple[pa.Table | None, list[Problem]]


def _in_order(batches: Iterator[pa.RecordBatch],
              work: Callable[[pa.Table, int], _Classified], *, jobs: int,
              problems: Problems) -> Iterator[tuple[int, pa.Table | None, list[Problem]]]:
    """``work(chunk, first_row)`` on up to ``jobs`` chunks at once, results in input order.
    A chunk that cannot be read ends the reading; its problems are added to ``problems``."""
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="solidcheck-chunk") as pool:
        pending: deque[tuple[int, Future[_Classified]]] = deque()
        first_row = 1
        try:
            for batch in batches:
                table = pa.Table.from_batches([batch])
                pending.append((table.num_rows, pool.submit(work, table, first_row)))
                first_row += table.num_rows
                if len(pending) > jobs:
                    rows, future = pending.popleft()
                    yield rows, *future.result()
        except DossierError as exc:  # the reading itself failed: no further rows
            problems.add(exc.problems)
        while pending:
            rows, future = pending.popleft()
            yield rows, *future.result()
