"""``solidcheck charging stations``: the charging stations allowed to connect to the live OCPP
endpoint (``solidcheck serve``, ``ws://HOST:PORT/ocpp/{id}``) — add (prints the password
once), list, remove. Only the password's SHA-256 is kept in the registry."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import MissingDependencyError
from .common import LangOption, language, say

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["stations_app"]

stations_app = typer.Typer(help="Charging stations allowed to connect to the live OCPP "
                           "endpoint: add, list, remove.", no_args_is_help=True)

_Database = Annotated[str | None, typer.Option(
    "--database", help="SQLAlchemy URL; default $SOLIDCHECK_DATABASE_URL, else SQLite in the "
    "data folder.")]


@contextmanager
def _registry(url: str | None) -> Iterator[Registry]:
    try:
        from ..registry import Registry
    except ImportError as exc:
        raise MissingDependencyError(f"the registry and web service ({exc.name})",
                                     extra="server", package=exc.name or "sqlalchemy"
                                     ) from exc
    with Registry.open(url, create=True) as registry:
        yield registry


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
    database: _Database = None,
    lang: LangOption = None,
) -> None:
    """Register a station. Its password is printed once, alone on the last line; only its
    hash is kept, so a lost password means remove and add again."""
    display = language(lang)
    with _registry(database) as registry:
        record, password = registry.add_station(charge_point_id, name=name, station=station,
                                                actor=_actor())
    typer.echo(say("charging.stations.added", display, id=record.charge_point_id,
                   name=record.name), err=True)
    typer.echo(password)


@stations_app.command("list")
def list_(database: _Database = None, lang: LangOption = None) -> None:
    """The registered stations (never their passwords)."""
    display = language(lang)
    with _registry(database) as registry:
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
    database: _Database = None,
    lang: LangOption = None,
) -> None:
    """Remove a station: it can no longer connect (a connection it has stays until it
    closes)."""
    display = language(lang)
    with _registry(database) as registry:
        record = registry.remove_station(charge_point_id, actor=_actor())
    typer.echo(say("charging.stations.removed", display, id=record.charge_point_id))
