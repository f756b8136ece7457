"""``solidcheck charging synth``: a synthetic charging network with its truth (ch-synth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .common import LangOption, language, say

__all__ = ["add_synth"]

#: each file ``charging synth`` may write, and the catalogue message that says what it is
_SYNTH_FILES = {"ocpp16.jsonl.gz": "charging.synth.file.ocpp16",
                "ocpp201.jsonl.gz": "charging.synth.file.ocpp201",
                "irve_dynamique.csv": "charging.synth.file.irve_dynamique",
                "irve_sessions.csv": "charging.synth.file.irve_sessions",
                "irve_statique.csv": "charging.synth.file.irve_statique",
                "tickets.csv": "charging.synth.file.tickets",
                "truth.json": "charging.synth.file.truth"}


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



def add_synth(app: typer.Typer) -> None:
    """Add ``synth`` to the ``charging`` group."""
    app.command("synth")(synth)
