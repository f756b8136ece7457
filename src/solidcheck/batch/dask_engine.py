"""The Dask engine of ``solidcheck batch``: ``classify_table`` on every partition of a
Parquet dossier table, on a Dask cluster (``dask.dataframe`` + ``dask.distributed``).

The input is a Parquet file, folder or object-storage URL (``s3://``, ``gs://``, ``abfs://``
through fsspec), read where the workers are. The output is a Parquet folder, one part per
partition (``part-00000.parquet`` …, in the order of the input), each written by the worker
that classified it, which sends back only the partition's summary. A partition with invalid
rows stops the run: the output written so far is removed and every partition is then
checked, so the error lists every invalid row, numbered across the whole table as the local
engine numbers them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client, as_completed
from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs

from ..daskclient import dask_client
from ..errors import DossierError, InvalidInputError, Problem
from ..i18n import Display
from ..rules import Ruleset
from .run import FindingsMode, Problems, findings_mode
from .summary import BatchSummary
from .vector import classify_table, table_problems

__all__ = ["classify_on_dask"]


def classify_on_dask(source: str, output: str, rulesets: Sequence[Ruleset], *,
                     findings: FindingsMode | bool = "ids", lang: Display = "en",
                     scheduler: str | None = None,
                     client: Client | None = None,
                     storage_options: dict[str, Any] | None = None,
                     on_rows: Callable[[int], None] | None = None) -> BatchSummary:
    """Classify a Parquet dossier table on Dask and write a Parquet folder of results.

    ``client`` is used if given, else one is connected to ``scheduler``, else a local
    cluster is started with a worker process per core. ``on_rows`` is told of each
    partition done (in the order they finish). Raises DossierError for an
    unreadable input or invalid rows (every one listed), InvalidInputError for an
    output that exists. ``findings`` and ``lang`` as for ``run.classify_file``.
    """
    mode = findings_mode(findings)
    rules = list(rulesets)
    ids = tuple(r.id for r in rules)
    fs, folder = _filesystem(output, storage_options)
    frame = _read(source, storage_options)  # the metadata only: a bad input fails at once
    with dask_client(scheduler, client=client) as active:
        tasks = [dask.delayed(_classify_partition)(part, number, rules, mode, lang, fs,
                                                    folder)
                 for number, part in enumerate(frame.to_delayed())]
        summary = BatchSummary(ids)
        started = time.perf_counter()
        fs.makedirs(folder, exist_ok=True)
        futures = active.compute(tasks)
        for future in as_completed(futures):
            part_summary = future.result()
            if part_summary is None:
                active.cancel(futures)
                fs.rm(folder, recursive=True)
                raise _problems(frame, source)
            summary.add(part_summary)
            if on_rows is not None:
                on_rows(part_summary.rows)
        summary.seconds = time.perf_counter() - started
    return summary


def _classify_partition(frame: pd.DataFrame, number: int, rulesets: list[Ruleset],
                        mode: FindingsMode, lang: Display, fs: AbstractFileSystem,
                        folder: str) -> BatchSummary | None:
    """One partition classified and written as ``part-NNNNN.parquet``; its summary back, or
    None if it has invalid rows (not an exception: a worker would log it as a crash)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    try:
        results = classify_table(table, rulesets, findings=mode != "none")
    except DossierError:
        return None
    if mode == "text":
        from .render import with_messages

        results = with_messages(results, [r.id for r in rulesets], lang)
    with fs.open(f"{folder}/part-{number:05d}.parquet", "wb") as out:
        pq.write_table(results, out, compression="zstd")
    return BatchSummary.of(results, [r.id for r in rulesets])


def _partition_problems(frame: pd.DataFrame, first_row: int) -> list[Problem]:
    return table_problems(pa.Table.from_pandas(frame, preserve_index=False),
                          first_row=first_row)


def _problems(frame: dd.DataFrame, source: str) -> DossierError:
    """Every partition checked, rows numbered across the table."""
    lengths = frame.map_partitions(len).compute().tolist()
    first_rows = [1 + sum(lengths[:i]) for i in range(len(lengths))]
    checks = [dask.delayed(_partition_problems)(part, first_row)
              for part, first_row in zip(frame.to_delayed(), first_rows, strict=True)]
    problems = Problems()
    for found in dask.compute(*checks):
        problems.add(found)
    return problems.error(source)


def _read(source: str, storage_options: dict[str, Any] | None) -> dd.DataFrame:
    if source.lower().endswith((".csv", ".jsonl", ".ndjson")):
        raise DossierError([Problem("", "the Dask engine reads Parquet dossier tables only",
                                    "classify it with the local engine (leave out --engine "
                                    "dask), or convert it first: solidcheck batch reads it, "
                                    "TableWriter writes Parquet (docs/batch.md)")],
                           source=source)
    try:
        return dd.read_parquet(source, dtype_backend="pyarrow",
                               storage_options=storage_options)
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise DossierError([Problem("", f"cannot read the table: {exc}",
                                    "give a Parquet dossier table (file, folder or URL); "
                                    "the Dask engine reads Parquet only")],
                           source=source) from None


def _filesystem(output: str, storage_options: dict[str, Any] | None
                ) -> tuple[AbstractFileSystem, str]:
    """The output's filesystem and path; it must be a new folder (or an empty one): a run
    never deletes data it did not write."""
    fs, folder = url_to_fs(output, **(storage_options or {}))
    if fs.exists(folder) and (not fs.isdir(folder) or fs.ls(folder)):
        raise InvalidInputError([Problem("--output", f"{output} exists already",
                                         "the Dask engine writes a new Parquet folder: "
                                         "choose a new path, or remove the old results "
                                         "first")])
    return fs, folder
