"""The options the ``charging`` commands share (``metrics``, ``report``, ``risk …``): one
definition each, so a name, default or help is the same wherever it is offered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["ChargePointOption", "FromOption", "InputsArgument", "InventoryOption",
           "RulesetOption", "Scheduler", "Scratch", "TicketsOption", "ToOption",
           "VersionOption"]

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

Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", help="With --engine dask: the scheduler's address (tcp://host:8786); "
    "default a local cluster, a worker per core.")]
Scratch = Annotated[Path | None, typer.Option(
    "--scratch", help="Where the buckets are written (a temporary folder inside it, removed "
    "after; the workers must see it).")]
