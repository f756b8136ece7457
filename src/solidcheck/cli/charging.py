"""``solidcheck charging``: charging-station service quality — ``ingest`` (the inputs to the
canonical tables, docs/charging-inputs.md), ``metrics`` (docs/charging.md), ``report`` (the
open report and open data), ``synth`` (a synthetic network with its truth)."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer

from ..errors import ChargingInputError, MissingDependencyError, Problem
from .common import LangOption, language, say

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from datetime import datetime

    import pyarrow as pa

    from ..charging.ingest import Ingested
    from ..charging.metrics_inputs import MetricsInputs
    from ..charging.partitioned import Mapper
    from ..charging.results import ChargingMetrics
    from ..charging.risk.listing import RiskList
    from ..charging.rules import ChargingRuleset
    from ..i18n import Display

Level = Literal["port", "station", "operator"]

__all__ = ["AUTO_EVENTS", "ENGINES", "bucket_engine", "engine_problems", "register"]

charging_app = typer.Typer(help="Charging-station service quality: the white paper's and the "
                           "regulators' metrics from OCPP logs, IRVE, OCPI, T/CEC 102 and "
                           "ticket files, the open report and synthetic networks.",
                           no_args_is_help=True)

#: how many rejected lines and schema-invalid frames the summary lists (all are in the tables)
_LISTED = 20


@charging_app.command("ingest")
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="OCPP logs (JSON Lines, CSV or the OCA "
                                                 "test tool's log), IRVE files (dynamique, "
                                                 "sessions, statique), OCPI exports, T/CEC 102 "
                                                 "messages, maintenance tickets or an "
                                                 "inventory, gzip or not; or a folder of "
                                                 "them, e.g. one `charging synth` wrote.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the tables, one "
                                         "Parquet file each (made if missing).")],
    charge_point: Annotated[str | None, typer.Option(
        "--charge-point", help="The charge point id, for logs that do not name it.")] = None,
    ocpp_version: Annotated[str | None, typer.Option(
        "--ocpp-version", metavar="1.6|2.0.1|2.1", help="The OCPP version, for logs that do "
        "not name it (default: the log's header, else what its actions show).")] = None,
    lang: LangOption = None,
) -> None:
    """Read OCPP frame logs and IRVE files into the canonical tables (frames, port_events,
    transaction_events, station_events, sessions, inventory, rejected) and print what was
    read."""
    from ..charging.ingest import ingest as run
    from ..charging.ingest import write_tables
    from ..charging.metrics_inputs import input_files

    display = language(lang)
    result = run(input_files(inputs), charge_point_id=charge_point, ocpp_version=ocpp_version)
    write_tables(result.tables, output)
    for line in summary(result, display):  # plain lines: a long path or hash is not wrapped
        typer.echo(line)
    typer.echo(say("charging.ingest.written", display, output=str(output)))


def summary(result: Ingested, lang: Display) -> list[str]:
    """The summary's lines: each input, rejections, schema failures, counts by action and
    by state."""
    lines: list[str] = []
    for item in result.inputs:
        if item.ocpp_version is None:  # an IRVE file
            lines.append(say("charging.ingest.input_irve", lang, source=item.source,
                             format=item.format, sha256=item.sha256))
            lines.append(say("charging.ingest.counts_irve", lang, rows=item.rows,
                             rejected=item.rejected, other=item.other_lines))
            continue
        lines.append(say("charging.ingest.input", lang, source=item.source, format=item.format,
                         version=item.ocpp_version, sha256=item.sha256))
        lines.append(say("charging.ingest.counts", lang, frames=item.frames,
                         rejected=item.rejected, other=item.other_lines))
    for row in result.tables["rejected"].to_pylist()[:_LISTED]:
        reason = say(row["reason"], lang, detail=row["detail"] or "")
        lines.append(say("charging.ingest.rejected_line", lang, source=row["source"],
                         line=row["line"], reason=reason))
    frames = result.tables["frames"].to_pylist()
    invalid = [row for row in frames if row["valid"] is False]
    if invalid:
        lines.append(say("charging.ingest.invalid_frames", lang, count=len(invalid)))
        lines += [say("charging.ingest.invalid_frame", lang, source=row["source"],
                      line=row["line"], action=row["action"] or "?", problem=row["problem"])
                  for row in invalid[:_LISTED]]
    lines.append(say("charging.ingest.by_action", lang))
    unmatched = say("charging.ingest.unmatched", lang)
    counts = Counter((row["action"] or unmatched, row["message_type"]) for row in frames)
    for action in sorted({action for action, _ in counts}):
        lines.append(say("charging.ingest.action_row", lang, action=action,
                         calls=counts[action, "call"], results=counts[action, "result"],
                         errors=counts[action, "error"]))
    lines.append(say("charging.ingest.by_state", lang))
    states = Counter(result.tables["port_events"].column("state").to_pylist())
    lines += [say("charging.ingest.state_row", lang, state=state, count=count)
              for state, count in sorted(states.items())]
    lines.append(say("charging.ingest.other_tables", lang,
                     transactions=result.tables["transaction_events"].num_rows,
                     stations=result.tables["station_events"].num_rows))
    lines.append(say("charging.ingest.irve_tables", lang,
                     sessions=result.tables["sessions"].num_rows,
                     inventory=result.tables["inventory"].num_rows))
    # ch-readers: maintenance tickets (OCPI, T/CEC 102 and the inventory fill the tables above)
    lines.append(say("charging.ingest.ticket_table", lang,
                     tickets=result.tables["tickets"].num_rows))
    return lines


# ------------------------------------------------------------ charging metrics

#: the formats of ``charging metrics --format``: the summary, the published JSON, or one row
#: per ``--by`` as a table
METRICS_FORMATS = ("text", "json", "csv", "parquet")

# the options ``metrics`` and ``report`` share: both compute the result from the same inputs
InputsArgument = Annotated[list[Path], typer.Argument(
    metavar="INPUT...", help="OCPP logs, IRVE, OCPI, T/CEC 102, inventory and ticket files, or "
    "folders written by `charging ingest`.")]
InventoryOption = Annotated[list[Path] | None, typer.Option(
    "--inventory", help="The inventory of ports (IRVE statique, the project's YAML or CSV).")]
TicketsOption = Annotated[list[Path] | None, typer.Option(
    "--tickets", help="Maintenance tickets (CSV or JSON).")]
FromOption = Annotated[str | None, typer.Option(
    "--from", help="Start of the period, ISO 8601 with its offset (default: the data's first "
    "message or event).")]
ToOption = Annotated[str | None, typer.Option(
    "--to", help="End of the period, excluded, ISO 8601 with its offset (default: just after "
    "the data's last message or event).")]
RulesetOption = Annotated[list[str] | None, typer.Option(
    "--ruleset", "-r", help="A charging rule set id or .toml file, repeatable (default: every "
    "installed one, cn-alliance-wp-2026 first).")]
ChargePointOption = Annotated[str | None, typer.Option(
    "--charge-point", help="The charge point id, for logs that do not name it.")]
VersionOption = Annotated[str | None, typer.Option(
    "--ocpp-version", metavar="1.6|2.0.1|2.1", help="The OCPP version, for logs that do not "
    "name it.")]


def computed(inputs: Sequence[Path], *, inventory: Sequence[Path] = (),
             tickets: Sequence[Path] = (), period_from: str | None = None,
             period_to: str | None = None, rulesets: Sequence[str] = (),
             charge_point: str | None = None, ocpp_version: str | None = None,
             lang: Display = "en", problems: list[Problem] | None = None,
             engine: str = "local", scheduler: str | None = None,
             scratch: Path | None = None,
             ) -> tuple[ChargingMetrics, dict[str, pa.Table]]:
    """The metrics of the inputs and the canonical tables they came from; every problem of
    the options (``problems``, gathered by the caller) and of every input in one error.
    ``engine``: see :func:`engine_run` (the tables returned then hold no port events of the
    folders, which stay on disk)."""
    try:
        import polars  # noqa: F401  (the metrics' engine; say so before any work)
    except ImportError as exc:
        raise MissingDependencyError("The charging metrics", extra="charging",
                                     package=exc.name or "polars") from exc
    from ..charging.metrics import compute_metrics
    from ..charging.metrics_inputs import parse_bound, read_metrics_inputs, rulesets_named

    problems = [] if problems is None else problems
    start = parse_bound("--from", period_from, problems)
    end = parse_bound("--to", period_to, problems)
    chosen = rulesets_named(rulesets, problems)
    engine_problems(engine, scheduler, problems)
    try:
        read = read_metrics_inputs([*inputs, *inventory, *tickets],
                                   charge_point_id=charge_point, ocpp_version=ocpp_version,
                                   port_events_on_disk=engine != "local")
    except ChargingInputError as exc:
        raise ChargingInputError([*problems, *exc.problems]) from None
    if problems:
        raise ChargingInputError(problems)
    if engine == "local" or (engine == "auto" and read.port_events <= AUTO_EVENTS
                             and not read.port_event_files):
        result = compute_metrics(read.tables, chosen, period_from=start, period_to=end,
                                 inputs=read.inputs, lang=lang)
        return result, read.tables
    import pyarrow as pa

    if engine == "auto" and read.port_events <= AUTO_EVENTS:
        import pyarrow.parquet as pq

        tables = {**read.tables, "port_events": pa.concat_tables(
            [read.tables["port_events"], *(pq.read_table(f) for f in read.port_event_files)])}
        return compute_metrics(tables, chosen, period_from=start, period_to=end,
                               inputs=read.inputs, lang=lang), tables
    return engine_run(read, chosen, engine=engine, scheduler=scheduler, scratch=scratch,
                      period_from=start, period_to=end, lang=lang), read.tables


#: ``--engine``: local (in memory), partitioned (port-hash buckets on disk, one at a time),
#: dask (the buckets on a Dask cluster), auto (partitioned above AUTO_EVENTS port events)
ENGINES = ("auto", "local", "partitioned", "dask")
AUTO_EVENTS = 20_000_000


def engine_problems(engine: str, scheduler: str | None, problems: list[Problem]) -> None:
    """The problems of ``--engine`` and ``--scheduler`` (``charging metrics`` and ``charging
    risk`` say them alike)."""
    if engine not in ENGINES:
        problems.append(Problem("--engine", f"unknown engine {engine!r}",
                                "use " + ", ".join(ENGINES)))
    if scheduler is not None and engine != "dask":
        problems.append(Problem("--scheduler", "a scheduler is for --engine dask",
                                "add --engine dask, or leave --scheduler out"))


@contextmanager
def bucket_engine(engine: str, scheduler: str | None, lang: Display, *,
                  label: str = "charging.metrics.buckets"
                  ) -> Iterator[tuple[Mapper | None, Callable[[int], None]]]:
    """The mapper of ``engine`` (None: the buckets one after another; dask: on a Dask
    client) and an ``on_bucket`` showing a progress bar (``label``) on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if engine == "dask":
        try:
            from ..charging.dask_engine import dask_mapper
            from ..daskclient import dask_client
        except ImportError as exc:
            raise MissingDependencyError("The Dask engine", extra="dask",
                                         package=exc.name or "dask") from exc
        context: Any = dask_client(scheduler)
    else:
        context = nullcontext()
    console = Console(stderr=True)
    shown = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=console, transient=True,
                     disable=not console.is_terminal)
    with context as client, shown as progress:
        task = progress.add_task(say(label, lang), total=None)

        def on_bucket(step: int) -> None:
            if step < 0:
                progress.update(task, total=-step)
            else:
                progress.advance(task, step)

        yield dask_mapper(client) if client is not None else None, on_bucket


def engine_run(read: MetricsInputs, rulesets: Sequence[ChargingRuleset], *, engine: str,
               scheduler: str | None, scratch: Path | None, period_from: datetime | None,
               period_to: datetime | None, lang: Display) -> ChargingMetrics:
    """The metrics in port-hash buckets (charging/partitioned.py), one after another or on
    Dask, with a progress bar on a terminal."""
    from ..charging.partitioned import partitioned_metrics

    sources: list[Path | pa.Table] = [*read.port_event_files]
    if read.tables["port_events"].num_rows:
        sources.append(read.tables["port_events"])
    with bucket_engine(engine, scheduler, lang) as (mapper, on_bucket):
        return partitioned_metrics(
            sources, read.tables, rulesets, period_from=period_from, period_to=period_to,
            scratch=scratch, mapper=mapper, on_bucket=on_bucket, inputs=read.inputs, lang=lang)


@charging_app.command("metrics")
def metrics(
    inputs: InputsArgument,
    inventory: InventoryOption = None,
    tickets: TicketsOption = None,
    period_from: FromOption = None,
    period_to: ToOption = None,
    ruleset: RulesetOption = None,
    by: Annotated[str, typer.Option("--by", metavar="port|station|operator",
                                    help="What the text summary ranks, and the rows of a csv "
                                    "or parquet table.")] = "station",
    output_format: Annotated[str, typer.Option(
        "--format", metavar="|".join(METRICS_FORMATS),
        help="text (a summary), json (the published result: `solidcheck schema "
        "charging-metrics`), csv or parquet (one row per --by; needs -o).")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file "
                                                "rather than the screen.")] = None,
    charge_point: ChargePointOption = None,
    ocpp_version: VersionOption = None,
    lang: LangOption = None,
    engine: Annotated[str, typer.Option(
        "--engine", metavar="|".join(ENGINES),
        help="local: in memory; partitioned: the port events split into port-hash buckets "
        "on disk, computed one at a time (bounded memory); dask: the buckets on a Dask "
        f"cluster; auto: partitioned above {AUTO_EVENTS:,} port events.")] = "auto",
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="With --engine dask: the scheduler's address (tcp://host:8786); "
        "default a local cluster, a worker per core.")] = None,
    scratch: Annotated[Path | None, typer.Option(
        "--scratch", help="Where the buckets are written (a temporary folder inside it, "
        "removed after; the workers must see it).")] = None,
) -> None:
    """Service availability, uptime, reliability, outages, stability, charge success, ticket
    closure and findings of every port, station, operator and the network, under each
    charging rule set."""
    from ..charging.metrics_text import metrics_text

    display = language(lang)
    problems: list[Problem] = []
    if output_format not in METRICS_FORMATS:
        problems.append(Problem("--format", f"unknown format {output_format!r}",
                                "use " + ", ".join(METRICS_FORMATS)))
    if by not in ("port", "station", "operator"):
        problems.append(Problem("--by", f"unknown grouping {by!r}",
                                "use port, station or operator"))
    if output_format in ("csv", "parquet") and output is None:
        problems.append(Problem("--output", f"a {output_format} table goes to a file",
                                "give -o FILE"))
    result, _ = computed(inputs, inventory=inventory or [], tickets=tickets or [],
                         period_from=period_from, period_to=period_to, rulesets=ruleset or [],
                         charge_point=charge_point, ocpp_version=ocpp_version, lang=display,
                         problems=problems, engine=engine, scheduler=scheduler,
                         scratch=scratch)
    if output_format in ("csv", "parquet"):
        from ..charging.report import write_metrics_table

        assert output is not None
        write_metrics_table(result, output, by=cast("Level", by),
                            format=cast("Literal['csv', 'parquet']", output_format))
        typer.echo(say("charging.metrics.written", display, output=str(output)))
        return
    if output_format == "json":
        text = json.dumps(result.model_dump(mode="json", by_alias=True), ensure_ascii=False,
                          indent=2)
    else:
        text = "\n".join(metrics_text(result, display, by=cast("Level", by)))
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    typer.echo(say("charging.metrics.written", display, output=str(output)))

# ------------------------------------------------------------ charging synth (ch-synth)

#: each file ``charging synth`` may write, and the catalogue message that says what it is
_SYNTH_FILES = {"ocpp16.jsonl.gz": "charging.synth.file.ocpp16",
                "ocpp201.jsonl.gz": "charging.synth.file.ocpp201",
                "irve_dynamique.csv": "charging.synth.file.irve_dynamique",
                "irve_sessions.csv": "charging.synth.file.irve_sessions",
                "irve_statique.csv": "charging.synth.file.irve_statique",
                "tickets.csv": "charging.synth.file.tickets",
                "truth.json": "charging.synth.file.truth"}


@charging_app.command("synth")
def synth(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the network's "
                                         "files (made if missing; its earlier synth files are "
                                         "replaced).")],
    stations: Annotated[int, typer.Option("--stations", help="How many stations (at least "
                                          "1).")] = 20,
    days: Annotated[int, typer.Option("--days", help="How many days (at least 1).")] = 7,
    seed: Annotated[int, typer.Option("--seed", help="The random seed: the same seed gives "
                                      "byte-identical files.")] = 0,
    start: Annotated[str | None, typer.Option(
        "--start", metavar="ISO", help="When the period starts, ISO 8601 with an offset "
        "(default 2026-03-16T00:00:00+00:00).")] = None,
    precursors: Annotated[bool, typer.Option(
        "--precursors", help="Before most faults, degradation over the 48–72 h before them "
        "(failed starts, temperature creeping up, Watchdog reboots), listed in truth.json; "
        "for risk prediction.")] = False,
    lang: LangOption = None,
) -> None:
    """Write a synthetic charging network with known truth: OCPP 1.6J and 2.0.1 logs, IRVE
    status, session and inventory tables, tickets, and truth.json with the figures the
    metrics must find."""
    from ..charging.synth import make_spec, simulate, write_network

    display = language(lang)
    network = simulate(make_spec(stations=stations, days=days, seed=seed, start=start))
    if precursors:
        from ..charging.synth.precursors import add_precursors

        add_precursors(network)
    for path in write_network(network, output):
        typer.echo(say("charging.synth.wrote", display, file=str(path),
                       what=say(_SYNTH_FILES[path.name], display)))
    truth = json.loads((output / "truth.json").read_text(encoding="utf-8"))
    totals = truth["network"]
    typer.echo(say("charging.synth.summary", display, stations=totals["stations"],
                   ports=totals["ports"], days=days, start=truth["period"]["from"],
                   sessions=totals["sessions"], outages=totals["outage_episodes"],
                   tickets=totals["tickets"]["opened"]))
    if precursors:
        faults = truth["precursors"]
        typer.echo(say("charging.synth.precursors", display, faults=len(faults),
                       warned=sum(1 for f in faults if f["from"] is not None)))


def register(app: typer.Typer) -> None:
    from .charging_simulate import add_simulate
    from .charging_stations import stations_app

    charging_app.add_typer(stations_app, name="stations")
    add_simulate(charging_app)
    from .charging_webhooks import webhooks_app  # ch18-hooks

    charging_app.add_typer(webhooks_app, name="webhooks")
    from .charging_tickets import tickets_app  # ch18-tickets

    charging_app.add_typer(tickets_app, name="tickets")
    from .charging_risk import risk_app  # issue 18: risk prediction

    charging_app.add_typer(risk_app, name="risk")
    app.add_typer(charging_app, name="charging")


# --- charging report (ch-report) -----------------------------------------------------------

#: what ``charging report`` writes: a page, its PDF, or the open-data folder
ReportKind = Literal["html", "pdf", "open-data"]


@charging_app.command("report")
def report(
    inputs: InputsArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="The report (.html or .pdf), "
                                         "or with --to open-data the folder for the files.")],
    to: Annotated[ReportKind | None, typer.Option(
        "--to", help="What to write (default: by the output's suffix).")] = None,
    inventory: InventoryOption = None,
    tickets: TicketsOption = None,
    period_from: Annotated[str | None, typer.Option(
        "--period-from", help="As `charging metrics --from` (--to names what to write).")
    ] = None,
    period_to: Annotated[str | None, typer.Option(
        "--period-to", help="As `charging metrics --to`.")] = None,
    ruleset: RulesetOption = None,
    tables: Annotated[Path | None, typer.Option(
        "--tables", help="With a metrics JSON as INPUT: the folder `solidcheck charging ingest "
        "-o` wrote, whose statuses, sessions, inventory and tickets the open data "
        "publishes.")] = None,
    charge_point: ChargePointOption = None,
    ocpp_version: VersionOption = None,
    lang: LangOption = None,
    risk: Annotated[Path | None, typer.Option(
        "--risk", metavar="SCORES.json", help="Add the ports at risk: the file `solidcheck "
        "charging risk score MODEL INPUT... --format json` wrote.")] = None,
) -> None:
    """Write the open report of a charging network (HTML or PDF) or its open data (the
    result, its schema, IRVE files, tickets and a README with every file's SHA-256), from the
    inputs themselves or from a metrics JSON `charging metrics --format json` wrote."""
    from ..charging.ingest import read_tables
    from ..charging.report import read_metrics_json
    from ..charging.risk.listing import read_risk_json

    display = language(lang)
    scores = read_risk_json(risk) if risk is not None else None  # before any long work
    if len(inputs) == 1 and _is_metrics_json(inputs[0]):
        kind = _report_kind(to, output, has_tables=tables is not None)
        result = read_metrics_json(inputs[0])
        loaded = read_tables(tables) if tables is not None else None
    else:
        kind = _report_kind(to, output, has_tables=True)
        result, loaded = computed(inputs, inventory=inventory or [], tickets=tickets or [],
                                  period_from=period_from, period_to=period_to,
                                  rulesets=ruleset or [], charge_point=charge_point,
                                  ocpp_version=ocpp_version, lang=display)
    files = [p for p in ruleset or [] if p.endswith(".toml")]
    for path in write_report(result, loaded, output=output, kind=kind, lang=display,
                             ruleset_files=[Path(p) for p in files], risk=scores):
        typer.echo(say("charging.report.cli.written", display, path=str(path)))


def _is_metrics_json(path: Path) -> bool:
    """A result `charging metrics --format json` wrote (``.json``, maybe gzipped), rather than
    an input: its first bytes open an object with one of the result's own keys."""
    if not path.is_file() or not path.name.lower().endswith((".json", ".json.gz")):
        return False
    import gzip

    try:
        with path.open("rb") as raw:
            head = raw.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as handle:
            start = handle.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    except (OSError, EOFError):
        return True  # read_metrics_json names the problem
    if not start.startswith("{"):
        return False
    if not start[1:].lstrip().startswith(('"', "}")):
        return True  # not JSON at all: read_metrics_json says where
    return any(f'"{key}"' in start for key in _METRICS_KEYS)


#: top-level keys of a metrics JSON that no input format has
_METRICS_KEYS = ("schema_version", "period", "network", "rulesets")


def _report_kind(to: str | None, output: Path, *, has_tables: bool) -> ReportKind:
    """html, pdf or open-data: --to, else the output's suffix; exit 2 naming the choices."""
    kind = to or {".html": "html", ".htm": "html", ".pdf": "pdf"}.get(output.suffix.lower())
    problems = []
    if kind not in ("html", "pdf", "open-data"):
        problems.append(Problem("--to", f"cannot tell what to write from {to or output.name!r}",
                                "name the output .html or .pdf, or give --to html|pdf|"
                                "open-data"))
    if kind == "open-data" and not has_tables:
        problems.append(Problem("--tables", "the open data publishes the canonical tables",
                                "give --tables DIR, the folder `solidcheck charging ingest "
                                "-o DIR` wrote"))
    if problems:
        raise ChargingInputError(problems)
    return cast("ReportKind", kind)


def write_report(metrics: ChargingMetrics, tables: Mapping[str, pa.Table] | None, *,
                 output: Path, kind: ReportKind, lang: Display,
                 ruleset_files: Sequence[Path] = (), risk: RiskList | None = None
                 ) -> list[Path]:
    """The command's body, a function of (metrics, tables and the risk list): the paths
    written."""
    from ..charging.report import render_charging_html, render_charging_pdf, write_open_data
    from ..charging.rules import charging_ruleset_by_id, read_charging_ruleset_file

    if kind == "open-data":
        assert tables is not None
        return write_open_data(metrics, tables, output, risk=risk)
    given = {r.id: r for r in (read_charging_ruleset_file(p) for p in ruleset_files)}
    rulesets = [given.get(ref.id) or charging_ruleset_by_id(ref.id) for ref in metrics.rulesets]
    if kind == "pdf":
        output.write_bytes(render_charging_pdf(metrics, rulesets, lang=lang, risk=risk))
    else:
        output.write_text(render_charging_html(metrics, rulesets, lang=lang, risk=risk),
                          encoding="utf-8")
    return [output]
