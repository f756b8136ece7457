"""``solidcheck charging metrics`` (docs/charging.md): the figures of every port, station,
operator and the network, as a summary, the published JSON or a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from ..errors import Problem
from .charging_compute import AUTO_EVENTS, ENGINES, computed
from .charging_options import (
    ChargePointOption,
    FromOption,
    InputsArgument,
    InventoryOption,
    RulesetOption,
    Scheduler,
    Scratch,
    TicketsOption,
    ToOption,
    VersionOption,
)
from .common import LangOption, language, say

__all__ = ["add_metrics"]

Level = Literal["port", "station", "operator"]

#: the formats of ``charging metrics --format``: the summary, the published JSON, or one row
#: per ``--by`` as a table
METRICS_FORMATS = ("text", "json", "csv", "parquet")


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
    scheduler: Scheduler = None,
    scratch: Scratch = None,
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


def add_metrics(app: typer.Typer) -> None:
    """Add ``metrics`` to the ``charging`` group."""
    app.command("metrics")(metrics)
