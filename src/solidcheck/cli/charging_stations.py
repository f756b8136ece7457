"""``solidcheck charging stations``: the charging stations allowed to connect to the live OCPP
endpoint (``solidcheck serve``, ``ws://HOST:PORT/ocpp/{id}``) — add (prints the password
once), list, remove. Only the password's SHA-256 is kept in the registry."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated

import typer

from .common import LangOption, language, say
from .registry_access import DatabaseOption, opened_registry

if TYPE_CHECKING:
    pass

__all__ = ["stations_app"]

stations_app = typer.Typer(help="Charging stations allowed to connect to the live OCPP "
                           "endpoint: add, list, remove.", no_args_is_help=True)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@stations_app.command("add")
def add(
    charge_point_id: Annotated[str, typer.Argument(
        metavar="ID", help="The identity the station connects with (ws://…/ocpp/ID).")],
    name: Annotated[str, typer.Option(help="A name for people; default the id.")] = "",
    station: Annotated[str | None, typer.Option(
        help="The station (site) it is part of, as the metrics name it.")] = None,
    database: DatabaseOption = None,
    lang: LangOption = None,
) -> None:
    """Register a station. Its password is printed once, alone on the last line; only its
    hash is kept, so a lost password means remove and add again."""
    display = language(lang)
    with opened_registry(database, create=True) as registry:
        record, password = registry.add_station(charge_point_id, name=name, station=station,
                                                actor=_actor())
    typer.echo(say("charging.stations.added", display, id=record.charge_point_id,
                   name=record.name), err=True)
    typer.echo(password)


@stations_app.command("list")
def list_(database: DatabaseOption = None, lang: LangOption = None) -> None:
    """The registered stations (never their passwords)."""
    display = language(lang)
    with opened_registry(database, create=True) as registry:
        stations = registry.list_stations()
    if not stations:
        typer.echo(say("charging.stations.none", display))
    for record in stations:
        typer.echo(say("charging.stations.row", display, id=record.charge_point_id,
                       name=record.name, station=record.station or "—",
                       date=f"{record.created_at:%Y-%m-%d}"))


@stations_app.command("remove")
def remove(
    charge_point_id: Annotated[str, typer.Argument(metavar="ID")],
    database: DatabaseOption = None,
    lang: LangOption = None,
) -> None:
    """Remove a station: it can no longer connect (a connection it has stays until it
    closes)."""
    display = language(lang)
    with opened_registry(database, create=True) as registry:
        record = registry.remove_station(charge_point_id, actor=_actor())
    typer.echo(say("charging.stations.removed", display, id=record.charge_point_id))
