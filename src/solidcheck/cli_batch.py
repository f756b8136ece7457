"""Dossier tables at the command line: ``synth`` (a synthetic population), ``dossier table``
(dossier files → one table) and ``dossier files`` (a table → dossier files). Argument handling
and output only; the work is in ``batch/``, imported when a command runs so the rest of the
command line starts as fast as before."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ._cliutil import fail
from .dossier import load_dossier
from .errors import InvalidInputError

if TYPE_CHECKING:
    from .batch.table import TableFormat
    from .model import Dossier

__all__ = ["dossier_files", "dossier_table", "synth"]

_DOSSIER_SUFFIXES = (".yaml", ".yml", ".json")
_PROGRESS_ROWS = 1_000_000  # a bar for runs of seconds or more
_COUNT = re.compile(r"^([0-9][0-9_]*)(\.[0-9]+)?([kKmM]?)$")


class TableFormatOption(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class DossierFormat(StrEnum):
    yaml = "yaml"
    json = "json"


FormatOption = Annotated[TableFormatOption | None, typer.Option(
    "--format", "-f", help="Table format; default: by the file's extension (.parquet, .csv, "
    ".jsonl; a directory is a Parquet dataset).")]


def _count(text: str) -> int:
    """``1000``, ``1_000``, ``100k``, ``1M``, ``2.5M`` → a number of rows."""
    match = _COUNT.match(text.strip())
    if match is None:
        fail(f"N: {text!r} is not a number of rows — write e.g. 1000, 100k or 10M")
    whole, fraction, unit = match.groups()
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[unit.lower()]
    rows = float(whole.replace("_", "") + (fraction or "")) * scale
    if rows != int(rows):
        fail(f"N: {text!r} is not a whole number of rows")
    return int(rows)


def _progress(*, shown: bool) -> Progress:
    """A progress bar on stderr, for long runs (``shown``) in a terminal only: in a log it
    would be a line of noise."""
    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                    transient=True, disable=not (shown and console.is_terminal))


def synth(
    count: Annotated[str, typer.Argument(metavar="N", help="Number of dossiers: 1000, 100k, "
                                         "10M.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Table file to write "
                                         "(.parquet, .csv + .specimens.csv, .jsonl).")],
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Random seed: the same "
                                      "seed gives the same table.")] = 0,
    table_format: FormatOption = None,
) -> None:
    """Write a realistic, seeded population of N valid dossiers for benchmarks and demos:
    liquid, hybrid and solid cells, rates crowding both limits (exact boundaries too) and a
    share of invalid tests (distributions in docs/batch.md)."""
    from .batch.synth import MAX_ROWS, synthesize_batches
    from .batch.table import TableWriter

    rows = _count(count)
    if rows > MAX_ROWS:
        fail(f"N: at most {MAX_ROWS} rows (ids have 10 digits), got {rows}")
    try:
        with TableWriter(output, format=_format(table_format)) as writer, \
                _progress(shown=rows >= _PROGRESS_ROWS) as progress:
            task = progress.add_task("synthesising", total=rows)
            for batch in synthesize_batches(rows, seed=seed):
                writer.write(batch)
                progress.advance(task, batch.num_rows)
    except InvalidInputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc} — check the folder exists and "
             "is writable")
    typer.echo(f"wrote {rows} synthetic dossiers (seed {seed}) to {output}", err=True)


def _format(option: TableFormatOption | None) -> TableFormat | None:
    return None if option is None else option.value


def _dossier_paths(inputs: list[Path]) -> tuple[list[Path], list[str]]:
    """Files as given; a folder stands for its dossier files (.yaml, .yml, .json), sorted."""
    paths: list[Path] = []
    errors: list[str] = []
    for item in inputs:
        if item.is_dir():
            found = sorted(p for p in item.iterdir()
                           if p.suffix.lower() in _DOSSIER_SUFFIXES and p.is_file())
            if not found:
                errors.append(f"{item}: no dossier files (.yaml, .yml, .json) in this folder")
            paths += found
        else:
            paths.append(item)
    seen: set[Path] = set()
    unique = []
    for path in paths:  # a file named twice (or also through its folder) is read once
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique, errors


def dossier_table(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON), or "
                                                "folders of them.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Table file to write "
                                         "(.parquet, .csv + .specimens.csv, .jsonl).")],
    table_format: FormatOption = None,
) -> None:
    """Gather dossier files into one dossier table (one row per dossier, docs/batch.md).
    Every file is checked first: any invalid file, or an id given twice, is exit 2 with
    every problem, and nothing is written."""
    from .batch.table import dossiers_to_table, write_table

    paths, errors = _dossier_paths(files)
    dossiers: list[Dossier] = []
    where: defaultdict[str, list[Path]] = defaultdict(list)
    with _progress(shown=len(paths) > 1000) as progress:
        task = progress.add_task("reading dossiers", total=len(paths))
        for path in paths:
            try:
                dossier = load_dossier(path)
            except InvalidInputError as exc:
                errors.append(str(exc))
            else:
                dossiers.append(dossier)
                where[dossier.id].append(path)
            progress.advance(task)
    for cell, found_in in where.items():
        if len(found_in) > 1:
            errors.append(f"id {cell!r} is given by {len(found_in)} files ("
                          f"{', '.join(map(str, found_in))}) — a table has one row per "
                          "dossier; give every dossier its own id")
    if errors:
        fail("\n".join(errors))
    try:
        write_table(dossiers_to_table(dossiers), output, format=_format(table_format))
    except InvalidInputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc} — check the folder exists and "
             "is writable")
    typer.echo(f"wrote {len(dossiers)} dossier(s) to {output}", err=True)


def _file_stem(cell: str) -> str:
    """A dossier id as a safe file name (letters, digits, ``.-_``; others become ``_``)."""
    stem = re.sub(r"[^0-9A-Za-z._-]", "_", cell).strip(".") or "dossier"
    return stem[:150]


def dossier_files(
    table: Annotated[Path, typer.Argument(help="Dossier table (.parquet or a Parquet "
                                          "folder, .csv, .jsonl).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the "
                                         "dossier files into (made if missing).")],
    dossier_format: Annotated[DossierFormat, typer.Option(
        "--to", help="Dossier file format.")] = DossierFormat.yaml,
    table_format: FormatOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace dossier files "
                                            "that exist.")] = False,
) -> None:
    """Write one dossier file per row of a dossier table, named after its id. The whole
    table is checked first: any invalid row is exit 2 with every problem (by row), and
    nothing is written."""
    from .batch.table import read_table, table_to_dossiers

    try:
        dossiers = list(table_to_dossiers(read_table(table, format=_format(table_format))))
    except InvalidInputError as exc:
        fail(str(exc))
    names: dict[str, int] = {}
    targets: list[Path] = []
    suffix = ".json" if dossier_format is DossierFormat.json else ".yaml"
    for row, dossier in enumerate(dossiers, start=1):
        stem = _file_stem(dossier.id)
        if stem.lower() in names:  # two ids with one file name (also on case-blind disks)
            stem = f"{stem}-row{row}"
        names[stem.lower()] = row
        targets.append(output / f"{stem}{suffix}")
    existing = [str(path) for path in targets if path.exists()]
    if existing and not overwrite:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more"
                                           if len(existing) > 5 else "")
        fail(f"{len(existing)} dossier file(s) exist already: {shown} — pass --overwrite to "
             "replace them, or choose another folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
        for dossier, path in zip(dossiers, targets, strict=True):
            path.write_text(_dossier_text(dossier, dossier_format), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write into {output}: {exc.strerror or exc} — check the folder is "
             "writable")
    typer.echo(f"wrote {len(dossiers)} dossier file(s) to {output}", err=True)


def _dossier_text(dossier: Dossier, dossier_format: DossierFormat) -> str:
    data = dossier.model_dump(mode="json", exclude_none=True)
    if not data.get("evidence"):
        data.pop("evidence", None)
    if dossier_format is DossierFormat.json:
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
