"""Dossier tables at the command line: ``batch`` (classify a table, locally or on Dask),
``synth`` (a synthetic population), ``dossier table`` (dossier files → one table),
``dossier files`` (a table → dossier files) and ``dossier convert``. Argument handling and
output only; the work is in ``batch/``, imported when a command runs (it needs polars and
pyarrow)."""

from __future__ import annotations

import contextlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias, cast

import typer

from .. import formats
from ..errors import InvalidInputError, MissingDependencyError
from ..i18n import Display, message
from .common import dossier_app, fail, output_name_problems, print_json, stdout

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.progress import Progress

    from ..batch.run import FindingsMode
    from ..batch.summary import BatchSummary
    from ..batch.table import TableFormat
    from ..model import Dossier
    from ..rules import Ruleset

    SynthFormat: TypeAlias = str
    TableInFormat: TypeAlias = str
    FilesTableFormat: TypeAlias = str
    ConvertFormat: TypeAlias = str
    BatchFormat: TypeAlias = str
    DossierFormat: TypeAlias = str
    SummaryFormat: TypeAlias = str
else:
    SynthFormat = formats.choice_type("synth --format")
    TableInFormat = formats.choice_type("dossier table --format")
    FilesTableFormat = formats.choice_type("dossier files --format")
    ConvertFormat = formats.choice_type("dossier convert --format")
    BatchFormat = formats.choice_type("batch --format")
    DossierFormat = formats.choice_type("dossier files --to")
    SummaryFormat = formats.choice_type("batch --summary")

__all__ = ["register"]

Engine = Literal["local", "dask"]
FindingsOption = Literal["text", "ids", "none"]

_DOSSIER_SUFFIXES = (".yaml", ".yml", ".json")
_PROGRESS_ROWS = 1_000_000  # a bar for runs of seconds or more
_COUNT = re.compile(r"^([0-9][0-9_]*)(\.[0-9]+)?([kKmM]?)$")


_TABLE_FORMAT_HELP = ("Table format; default: by the file's extension (.parquet, .csv, "
                      ".jsonl; a directory is a Parquet dataset).")


@contextlib.contextmanager
def _cleanly(output: object) -> Iterator[None]:
    """An output that cannot be written as one message, exit 2."""
    try:
        yield
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc} — check the folder exists and "
             "is writable")


def _missing_extra(exc: ImportError, what: str, *, extra: str,
                   package: str) -> MissingDependencyError:
    return MissingDependencyError(f"{what} ({exc.name})", extra=extra,
                                  package=exc.name or package)


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
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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
    table_format: Annotated[SynthFormat | None, typer.Option(
        "--format", "-f", help=_TABLE_FORMAT_HELP)] = None,
) -> None:
    """Write a realistic, seeded population of N valid dossiers for benchmarks and demos:
    liquid, hybrid and solid cells, rates crowding both limits (exact boundaries too) and a
    share of invalid tests (distributions in docs/batch.md)."""
    from ..batch.synth import MAX_ROWS, synthesize_batches
    from ..batch.table import TableWriter

    rows = _count(count)
    if rows > MAX_ROWS:
        fail(f"N: at most {MAX_ROWS} rows (ids have 10 digits), got {rows}")
    with _cleanly(output), TableWriter(output, format=_format(table_format)) as writer, \
            _progress(shown=rows >= _PROGRESS_ROWS) as progress:
        task = progress.add_task("synthesising", total=rows)
        for batch in synthesize_batches(rows, seed=seed):
            writer.write(batch)
            progress.advance(task, batch.num_rows)
    typer.echo(f"wrote {rows} synthetic dossiers (seed {seed}) to {output}", err=True)


def _format(option: str | None) -> TableFormat | None:
    return cast("TableFormat | None", option)


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
    table_format: Annotated[TableInFormat | None, typer.Option(
        "--format", "-f", help=_TABLE_FORMAT_HELP)] = None,
) -> None:
    """Gather dossier files into one dossier table (one row per dossier, docs/batch.md).
    Every file is checked first: any invalid file, or an id given twice, is exit 2 with
    every problem, and nothing is written."""
    from ..batch.table import dossiers_to_table, write_table
    from ..dossier import load_dossier

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
    with _cleanly(output):
        write_table(dossiers_to_table(dossiers), output, format=_format(table_format))
    typer.echo(f"wrote {len(dossiers)} dossier(s) to {output}", err=True)


def dossier_convert(
    table: Annotated[str, typer.Argument(help="Dossier table (.parquet or a Parquet "
                                         "folder or URL, .csv, .jsonl).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Table file to write "
                                         "(.parquet, .csv + .specimens.csv, .jsonl).")],
    table_format: Annotated[ConvertFormat | None, typer.Option(
        "--format", "-f", help="The input's format; default: by its extension. The "
        "output's format is by its extension.")] = None,
) -> None:
    """Convert a dossier table to another format (CSV to Parquet for the Dask engine, say),
    streaming, so a table larger than memory can be converted. Every row is checked as it
    is read; an invalid row is exit 2 and the output is not left behind."""
    from ..batch.table import TableWriter, iter_batches, specimens_csv_path

    for problem in output_name_problems(output):
        fail(problem)
    if Path(table).resolve() == output.resolve() or specimens_csv_path(
            table).resolve() == output.resolve():
        fail(f"--output: {output} is the input table — write to another file")
    with _cleanly(output), TableWriter(output) as writer:
        for batch in iter_batches(table, format=_format(table_format)):
            writer.write(batch)
    typer.echo(f"wrote {writer.rows_written} dossier(s) to {output}", err=True)


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
        "--to", help="Dossier file format.")] = "yaml",
    table_format: Annotated[FilesTableFormat | None, typer.Option(
        "--format", "-f", help=_TABLE_FORMAT_HELP)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace dossier files "
                                            "that exist.")] = False,
) -> None:
    """Write one dossier file per row of a dossier table, named after its id. The whole
    table is checked first: any invalid row is exit 2 with every problem (by row), and
    nothing is written."""
    from ..batch.table import read_table, table_to_dossiers

    dossiers = list(table_to_dossiers(read_table(table, format=_format(table_format))))
    names: dict[str, int] = {}
    targets: list[Path] = []
    suffix = formats.get(dossier_format).suffix
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
    import yaml

    data = dossier.model_dump(mode="json", exclude_none=True)
    if not data.get("evidence"):
        data.pop("evidence", None)
    if dossier_format == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def batch(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="Dossier table: .parquet or "
                                          "a Parquet folder, .csv (+ .specimens.csv), "
                                          ".jsonl; with --engine dask a Parquet path or "
                                          "URL (s3://, gs://, abfs://).")],
    output: Annotated[str, typer.Option("--output", "-o", help="Results to write: .parquet, "
                                        ".csv (+ .findings.csv), .jsonl; with --engine dask "
                                        "a new Parquet folder or URL.")],
    ruleset_ids: Annotated[list[str] | None, typer.Option(
        "--ruleset", "-r", help="Rule-set id or .toml file; repeat to compare rule sets side "
        "by side (the first is the reference). Default: the national standard.")] = None,
    engine: Annotated[Engine, typer.Option("--engine", "-e", help="local: this machine, "
                                           "streaming; dask: a Dask cluster.")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local "
        "cluster with a worker per core.")] = None,
    findings: Annotated[FindingsOption, typer.Option(
        "--findings", help="ids: every finding as a message id with its parameters, source "
        "and clause; text: also its message in --lang (slower); none: the outcome only.",
        case_sensitive=False)] = "ids",
    no_findings: Annotated[bool, typer.Option(
        "--no-findings", help="The same as --findings none.")] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", metavar="en|zh|zh-Hant|both", help="Language of the summary, the plot and "
        "--findings text: en, zh, zh-Hant or both; default: SOLIDCHECK_LANG, else en.")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Local engine: chunks classified at once (default: one "
        "per core).")] = None,
    table_format: Annotated[BatchFormat | None, typer.Option(
        "--format", "-f", help="The input table's format; default: by its extension. The "
        "results' format is always by the output's extension.")] = None,
    summary_format: Annotated[SummaryFormat, typer.Option(
        "--summary", help="Summary on stdout: a table, or JSON.")] = "text",
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also draw the summary (categories per rule set, the weight-loss "
        "rates against each limit) to this .svg, .png or .pdf file.")] = None,
) -> None:
    """Classify every dossier of a table under one or more rule sets, in one pass, and write
    category, sub-axes, weight-loss rate, code and findings per row (docs/batch.md). Any
    invalid row is exit 2 with every invalid row listed, and nothing is written."""
    try:
        import polars  # noqa: F401  (the vectorised classifier's; say so before any work)
    except ImportError as exc:
        raise _missing_extra(exc, "solidcheck batch", extra="batch", package="polars") from exc

    from ..i18n import display_language

    try:
        language = display_language(lang)
    except InvalidInputError as exc:
        fail(str(exc))
    mode: FindingsMode = "none" if no_findings else findings
    if no_findings and findings != "ids":
        fail("--no-findings is --findings none — give one of them")
    rulesets, errors = _rulesets(ruleset_ids or [])
    if engine == "local":
        errors += output_name_problems(output)
    if engine == "local" and scheduler is not None:
        errors.append("--scheduler is for --engine dask — add --engine dask, or leave out "
                      "--scheduler")
    if engine == "dask" and (jobs is not None or table_format is not None):
        errors.append("--jobs and --format are for the local engine (a Dask cluster has its "
                      "workers and reads Parquet) — leave them out with --engine dask")
    if plot is not None:
        errors += _plot_problems(plot)
    if errors:
        fail("\n".join(errors))
    with _cleanly(output):
        if engine == "dask":
            summary = _batch_dask(source, output, rulesets, findings=mode, lang=language,
                                  scheduler=scheduler)
        else:
            summary = _batch_local(source, output, rulesets, findings=mode, lang=language,
                                   jobs=jobs, table_format=table_format)
    if summary_format == "json":
        print_json(summary.as_dict())
    else:
        _print_summary(summary, language)
    if plot is not None:
        from ..report.batch import write_batch_plot

        with _cleanly(plot):
            write_batch_plot(summary, rulesets, plot, lang=language)
        typer.echo(message("batch.plot.written", {"plot": str(plot)}, language), err=True)
    typer.echo(message("batch.summary.done", {"rows": summary.rows, "seconds": round(
        summary.seconds, 1), "output": output}, language), err=True)


def _rulesets(ids: list[str]) -> tuple[list[Ruleset], list[str]]:
    """The rule sets, and a message for each that cannot be loaded or is given twice."""
    from ..errors import UnknownRulesetError
    from ..rules import load_ruleset

    rulesets: list[Ruleset] = []
    errors: list[str] = []
    given: list[str | None] = list(ids) or [None]
    for rid in given:
        try:
            rulesets.append(load_ruleset(rid))
        except (InvalidInputError, UnknownRulesetError) as exc:
            errors.append(str(exc))
    seen = [r.id for r in rulesets]
    twice = sorted({rid for rid in seen if seen.count(rid) > 1})
    if twice:
        errors.append(f"--ruleset: {', '.join(twice)} given twice — name each rule set once")
    return rulesets, errors


def _plot_problems(plot: Path) -> list[str]:
    from ..report.batch import plot_format

    try:
        plot_format(plot)
    except InvalidInputError as exc:
        return [str(problem) for problem in exc.problems]
    if not plot.parent.is_dir():
        return [f"--plot: there is no folder {plot.parent} — create it first"]
    return []


def _batch_local(source: str, output: str, rulesets: list[Ruleset], *,
                 findings: FindingsMode, lang: Display, jobs: int | None,
                 table_format: str | None) -> BatchSummary:
    from ..batch.run import classify_file, count_rows

    total = count_rows(source, format=_format(table_format))
    with _progress(shown=total is None or total >= _PROGRESS_ROWS) as progress:
        task = progress.add_task("classifying", total=total)
        return classify_file(source, output, rulesets, findings=findings, lang=lang, jobs=jobs,
                             input_format=_format(table_format),
                             on_rows=lambda rows: progress.advance(task, rows))


def _batch_dask(source: str, output: str, rulesets: list[Ruleset], *,
                findings: FindingsMode, lang: Display, scheduler: str | None) -> BatchSummary:
    try:
        from ..batch.dask_engine import classify_on_dask
    except ImportError as exc:
        raise _missing_extra(exc, "the Dask engine", extra="dask", package="dask") from exc
    from ..batch.run import count_rows

    with _progress(shown=True) as progress:
        task = progress.add_task("classifying on Dask", total=count_rows(source))
        return classify_on_dask(source, output, rulesets, findings=findings, lang=lang,
                                scheduler=scheduler,
                                on_rows=lambda rows: progress.advance(task, rows))


def _print_summary(summary: BatchSummary, lang: Display) -> None:
    """Categories per rule set side by side, and for each further rule set the rows that
    change category against the first."""
    from rich.table import Table

    from ..model import CATEGORIES

    def category(name: str) -> str:
        return message(f"batch.category.{name}", {}, lang)

    console = stdout()
    table = Table(title=message("batch.summary.title", {"rows": summary.rows}, lang),
                  title_justify="left")
    table.add_column(message("batch.summary.category", {}, lang))
    for rid in summary.ruleset_ids:
        table.add_column(rid, justify="right")
    for name in CATEGORIES:
        table.add_row(category(name), *(str(summary.categories[rid][name])
                                        for rid in summary.ruleset_ids))
    console.print(table)
    first = summary.ruleset_ids[0]
    colon = "：" if lang in ("zh", "zh-Hant") else ":"
    for rid in summary.ruleset_ids[1:]:
        moves = sorted(((a, b, n) for (a, b), n in summary.moves.get(rid, {}).items()
                        if a != b), key=lambda move: -move[2])
        console.print(message("batch.summary.changed", {
            "changed": summary.changed(rid), "reference": first, "other": rid}, lang)
            + (colon if moves else ""), markup=False)
        for a, b, n in moves:
            console.print(f"  {category(a)} → {category(b)}{colon}{n}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
    app.command("synth")(synth)
    dossier_app.command("table")(dossier_table)
    dossier_app.command("files")(dossier_files)
    dossier_app.command("convert")(dossier_convert)
