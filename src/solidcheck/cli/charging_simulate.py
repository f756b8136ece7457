"""``solidcheck charging simulate``: the station simulator's command (issue 17 item 6).

Its own module so the live-charging commands of issue 17 do not grow cli/charging.py; it adds
itself to the ``charging`` group from there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ChargingInputError, MissingDependencyError, Problem
from ..i18n import message
from .common import LangOption, language, say

__all__ = ["add_simulate"]

#: a line of a per-station password file: the simulated station's id, white space, password
_STATION = re.compile(r"(SIM\d{5})\s+(\S.*)$")


def _password(path: Path | None) -> tuple[str | dict[str, str] | None, list[Problem]]:
    """The stations' passwords from their file: one line, one password for every station
    (white space and all); or ``SIMnnnnn PASSWORD`` lines, as ``charging stations add``
    printed each. Blank lines and lines starting with ``#`` are skipped."""
    if path is None:
        return None, []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem("--password-file", message(
            "charging.simulate.password_file", {"path": str(path), "why": str(exc.strerror)}))]
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) == 1 and not _STATION.match(lines[0][1]):
        return lines[0][1], []
    pairs = [(n, _STATION.match(line)) for n, line in lines]
    bad = [Problem(f"{path}:{n}", message("charging.simulate.password_line"))
           for n, match in pairs if match is None]
    return {m[1]: m[2] for _, m in pairs if m is not None}, bad


def _id_tags(path: Path | None, problems: list[Problem]) -> tuple[str, ...] | None:
    """The id tags of ``--id-tags``: one a line; blank lines and ``#`` comments skipped."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem("--id-tags", message(
            "charging.simulate.password_file", {"path": str(path), "why": str(exc)})))
        return None
    return tuple(line.strip() for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#"))


def simulate(
    url: Annotated[str, typer.Option("--url", help="The central system's OCPP base URL; each "
                                     "station connects to URL/ID.")],
    stations: Annotated[int, typer.Option("--stations", help="How many stations (at least "
                                          "1).")] = 10,
    version: Annotated[str, typer.Option("--version", help="OCPP 1.6 or 2.0.1.")] = "1.6",
    faults: Annotated[str | None, typer.Option(
        "--faults", metavar="SPEC", help="Faults to inject: kind=count,… (faulted, disconnect, "
        "reboot_loop, silent_start, no_energy, callerror_burst, derating — 1.6 only), 'all' "
        "(one of each) or "
        "'none'.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="The random seed: the same seed injects "
                                      "the same faults at the same simulated times.")] = 0,
    duration: Annotated[float, typer.Option("--duration", help="How long to run, in simulated "
                                            "seconds.")] = 3600.0,
    speed: Annotated[float, typer.Option("--speed", help="Simulated seconds per wall-clock "
                                         "second (60: an hour in a minute).")] = 1.0,
    password_file: Annotated[Path | None, typer.Option(
        "--password-file", help="The stations' passwords (OCPP security profile 1, HTTP "
        "Basic): one for all, or 'ID PASSWORD' lines.")] = None,
    first_station: Annotated[int, typer.Option(
        "--first-station", help="The first station's number (SIM00001 is 1): several "
        "simulator processes play disjoint ranges.")] = 1,
    meter_interval: Annotated[int | None, typer.Option(
        "--meter-interval", help="Send meter values every this many simulated seconds while "
        "charging (default: the profile's 15–60 s).")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write what was injected and when as JSON here.")] = None,
    ca_file: Annotated[Path | None, typer.Option(
        "--ca-file", help="CA certificates (PEM) to trust for a wss:// URL (OCPP security "
        "profile 2); default: the system's.")] = None,
    id_tags: Annotated[Path | None, typer.Option(
        "--id-tags", help="The id tags sessions present, one a line (the seed picks); "
        "default: random 8-hex-digit tags. A tag the central system does not accept is a "
        "refused start, reported.")] = None,
    lang: LangOption = None,
) -> None:
    """Connect simulated charging stations to a central system over real WebSockets: boot,
    heartbeats, status changes, sessions with meter values, and injected faults."""
    from ..charging.simulate import make_config, plan_network

    try:
        from ..charging.simulate.run import simulate as run
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("The station simulator", extra="charging",
                                     package=exc.name or "websockets") from exc

    display = language(lang)
    password, problems = _password(password_file)
    tags = _id_tags(id_tags, problems)
    try:
        config = make_config(stations=stations, url=url, version=version, faults=faults,
                             seed=seed, duration_s=duration, speed=speed, password=password,
                             ca_file=ca_file, id_tags=tags, first=first_station,
                             meter_interval_s=meter_interval)
    except ChargingInputError as exc:
        raise ChargingInputError([*problems, *exc.problems], unlisted=exc.unlisted) from None
    if problems:
        raise ChargingInputError(problems)
    plans = plan_network(config)  # a plan that does not fit is an error before any socket
    logging.getLogger("ocpp").setLevel(logging.ERROR)
    typer.echo(say("charging.simulate.start", display, stations=stations, version=version,
                   url=config.url, duration=f"{duration:g}", speed=f"{speed:g}"))
    result = asyncio.run(run(config, plans=plans))
    data = result.to_json()
    typer.echo(say("charging.simulate.done", display, injected=len(data["injections"]),
                   failed=len(data["errors"])))
    if data["refused_starts"]:
        typer.echo(say("charging.simulate.refused", display,
                       refused=len(data["refused_starts"])))
    for error in data["errors"]:
        typer.echo(say("charging.simulate.station_error", display, **error), err=True)
    if report is not None:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
        typer.echo(say("charging.simulate.written", display, output=str(report)))
    if data["errors"]:
        raise typer.Exit(1)


def add_simulate(app: typer.Typer) -> None:
    """Add ``simulate`` to the ``charging`` group."""
    app.command("simulate")(simulate)
