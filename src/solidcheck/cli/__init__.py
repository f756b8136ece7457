"""The command line: argument handling and output only; every decision is in the core.

One module per command group (``classification``, ``evidence``, ``signing``,
``publishing``, ``registry``, ``batch``, ``charging``), each with a ``register(app)``; a
new group is a new module listed in :data:`COMMAND_MODULES`. They import the core and its
libraries inside the commands, so ``solidcheck --version`` starts in a blink.

Exit status, set in one place (:func:`common.reported_errors`): 0 a result was produced
(whatever the category), 2 invalid input (one message on stderr listing every problem), 3 a
negative answer to a question (no term found, a certificate that does not verify — with
every reason), 4 an optional extra is missing for this file (the message gives the pip
command; or, for an installed package without a system library it loads, the system's),
1 only for a bug (a short message asking for a report; $SOLIDCHECK_DEBUG=1 shows the
traceback).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .._version import __version__
from . import batch, charging, classification, evidence, publishing, registry, signing
from .common import reported_errors, set_app_language
from .help_types import use_conventional_types

__all__ = ["COMMAND_MODULES", "app", "main"]

#: the command groups, in the order their commands are listed in the help
COMMAND_MODULES = (classification, evidence, signing, publishing, registry, batch, charging)


class _ReportingGroup(TyperGroup):
    """The top-level group: every command runs inside the one error handler, whether the
    app is run as the console script or by a test's ``CliRunner.invoke(app, …)``; every
    command's help shows conventional value types (``help_types``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_conventional_types(self)

    def invoke(self, ctx: Any) -> Any:
        with reported_errors():
            return super().invoke(ctx)


app = typer.Typer(
    name="solidcheck",
    cls=_ReportingGroup,
    help="Classify battery cells as liquid, hybrid solid-liquid or solid-state under China's "
    "solid-state battery standard, with reasons that cite the rule.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"solidcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", metavar="en|zh|zh-Hant|both", help="Language of every command's text output "
        "(a command's own --lang wins); default: $SOLIDCHECK_LANG, else en.")] = None,
) -> None:
    set_app_language(lang)  # an unknown language is refused before any command runs


for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    app()
