"""Opening the registry from a command: the ``--database`` option every registry command
takes, and the registry itself, with the ``server`` extra's install hint when it is missing
(looked for only when a command runs, so the CLI stays light)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import MissingDependencyError

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["DatabaseOption", "missing_server_extra", "opened_registry"]

DatabaseOption = Annotated[str | None, typer.Option(
    "--database", metavar="URL", help="SQLAlchemy URL; default $SOLIDCHECK_DATABASE_URL, "
    "else SQLite in the data folder ($SOLIDCHECK_DATA_DIR or the platform's user data "
    "folder).")]


def missing_server_extra(exc: ImportError) -> MissingDependencyError:
    return MissingDependencyError(f"the registry and web service ({exc.name})",
                                  extra="server", package=exc.name or "sqlalchemy")


@contextmanager
def opened_registry(url: str | None, *, create: bool = False) -> Iterator[Registry]:
    """The registry at ``url``; ``create``: make it when it does not exist yet."""
    try:
        from ..registry import Registry
    except ImportError as exc:
        raise missing_server_extra(exc) from exc
    with Registry.open(url, create=create) as registry:
        yield registry
