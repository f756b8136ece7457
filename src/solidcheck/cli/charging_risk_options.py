"""The options every ``charging risk`` command shares — how the inputs are read: ``--lang``,
``--engine``, ``--scheduler``, ``--scratch``, ``--charge-point``, ``--ocpp-version`` — defined
once and given to a command as one :class:`RiskReading` by :func:`reading_options`.

No import of charging_risk.py here: it imports this module.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .charging_compute import engine_problems
from .charging_options import ChargePointOption, Scheduler, Scratch, VersionOption
from .charging_risk_scale import Engine
from .common import LangOption

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..errors import Problem

__all__ = ["RiskReading", "reading_options"]


@dataclass(frozen=True, slots=True)
class RiskReading:
    """The shared options' values, as the command line gave them."""

    lang: str | None
    engine: str
    scheduler: str | None
    scratch: Path | None
    charge_point: str | None
    ocpp_version: str | None

    def add_problems(self, problems: list[Problem]) -> None:
        """The problems of ``--engine`` and ``--scheduler``, added to ``problems``."""
        engine_problems(self.engine, self.scheduler, problems)


#: the shared options (name, Annotated type, default), in the order each command's help
#: lists them, after its own
_SHARED: tuple[tuple[str, Any, Any], ...] = (
    ("lang", LangOption, None),
    ("engine", Engine, "auto"),
    ("scheduler", Scheduler, None),
    ("scratch", Scratch, None),
    ("charge_point", ChargePointOption, None),
    ("ocpp_version", VersionOption, None),
)


def reading_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` (which takes ``reading: RiskReading``) with the shared options appended to
    the signature Typer reads, and handed to it as one ``reading``."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name != "reading"]
    shared = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                default=default, annotation=annotation)
              for name, annotation, default in _SHARED]

    @functools.wraps(command)
    def with_reading(**options: Any) -> None:
        given = {name: options.pop(name) for name, _, _ in _SHARED}
        command(**options, reading=RiskReading(**given))

    parameters = [*own, *shared]
    with_reading.__dict__["__signature__"] = inspect.Signature(parameters,
                                                               return_annotation=None)
    with_reading.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_reading
