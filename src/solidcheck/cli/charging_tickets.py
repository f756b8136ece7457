"""``solidcheck charging tickets export``: the live desk's tickets from the registry in part
I's ticket format, for ``charging metrics --tickets`` (charging/live/ticket_export.py says
how the two meet)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InvalidInputError, Problem
from ..i18n import Display
from .common import LangOption, language, say
from .registry_access import DatabaseOption, opened_registry

__all__ = ["tickets_app"]

tickets_app = typer.Typer(help="The live desk's tickets (issue 17): export them for the "
                          "closure metrics.", no_args_is_help=True)


def _bound(option: str, text: str | None, problems: list[Problem],
           lang: Display) -> datetime | None:
    """A date (midnight UTC) or a time with its offset (UTC when it has none)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        problems.append(Problem(option, say("charging.ticket.bad_time", lang, value=text),
                                say("charging.ticket.bad_time_fix", lang)))
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@tickets_app.command("export")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="tickets.csv or tickets.json")],
    period_from: Annotated[str | None, typer.Option(
        "--from", help="Only tickets opened at or after this (ISO 8601; a date is UTC "
        "midnight).")] = None,
    period_to: Annotated[str | None, typer.Option(
        "--to", help="Only tickets opened before this.")] = None,
    database: DatabaseOption = None,
    lang: LangOption = None,
) -> None:
    """Write the tickets in the format `charging metrics --tickets` reads: the same closure
    figures as the desk (a verified ticket's `closed` is its verification)."""
    from ..charging.live.ticket_export import tickets_csv, tickets_json

    display = language(lang)
    problems: list[Problem] = []
    start = _bound("--from", period_from, problems, display)
    end = _bound("--to", period_to, problems, display)
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".json"):
        problems.append(Problem("--output", say("charging.ticket.bad_output", display,
                                                path=str(output)),
                                say("charging.ticket.bad_output_fix", display)))
    if problems:
        raise InvalidInputError(problems)
    with opened_registry(database, create=True) as registry:
        found, after = [], None
        while True:
            page = registry.list_charging_tickets(now=datetime.now(UTC), opened_from=start,
                                                  opened_to=end, limit=500, after=after)
            found += page.tickets
            if page.next is None:
                break
            after = page.next
    text = tickets_csv(found) if suffix == ".csv" else tickets_json(found)
    output.write_text(text, encoding="utf-8")
    typer.echo(say("charging.ticket.exported", display, count=len(found), path=str(output)))
