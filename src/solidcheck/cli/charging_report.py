"""``solidcheck charging report`` (ch-report): the open report of a charging network (HTML or
PDF) or its open data, from the inputs or from a metrics JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from ..errors import ChargingInputError, Problem
from .charging_compute import computed
from .charging_options import (
    ChargePointOption,
    InputsArgument,
    InventoryOption,
    RulesetOption,
    TicketsOption,
    VersionOption,
)
from .common import LangOption, language, say

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pyarrow as pa

    from ..charging.results import ChargingMetrics
    from ..charging.risk.listing import RiskList
    from ..i18n import Display

__all__ = ["add_report", "write_report"]

#: what ``charging report`` writes: a page, its PDF, or the open-data folder
ReportKind = Literal["html", "pdf", "open-data"]


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


def add_report(app: typer.Typer) -> None:
    """Add ``report`` to the ``charging`` group."""
    app.command("report")(report)
