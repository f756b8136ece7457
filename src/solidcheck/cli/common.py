"""What every command module shares: exit codes, the one error handler, the console, JSON
printing, the shared option types and the loading every command starts with.

Light to import: the core is imported inside the functions that use it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from .._version import __version__
from ..errors import InvalidInputError, MissingDependencyError, RegistryError, UnknownRulesetError

if TYPE_CHECKING:
    from rich.console import Console

    from ..i18n import Display
    from ..model import Dossier
    from ..readers import Reading, ReadingKind
    from ..rules import Ruleset

Item = TypeVar("Item")
Loaded = TypeVar("Loaded")

__all__ = [
    "LangOption",
    "NegativeAnswer",
    "ReaderOption",
    "RulesetOption",
    "collect",
    "dossier_app",
    "fail",
    "keys_app",
    "language",
    "load_dossiers",
    "load_each",
    "load_rules",
    "output_name_problems",
    "print_json",
    "read",
    "reported_errors",
    "said_error",
    "say",
    "set_app_language",
    "stdout",
]

EXIT_BUG = 1
EXIT_INVALID = 2
EXIT_NEGATIVE = 3
EXIT_MISSING_EXTRA = 4

#: 128 + SIGPIPE: what a shell reports for a writer whose reader went away
EXIT_BROKEN_PIPE = 141

#: set to 1 to see the traceback of an unexpected error instead of the short message
DEBUG_ENV = "SOLIDCHECK_DEBUG"


class NegativeAnswer(Exception):
    """The question had an answer, and it is no (exit 3): no term found, a certificate or an
    audit log that does not verify, a finding at ``--fail-on``. The message, if any, goes to
    stderr; what the command printed before stays."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


def _is_typers_own(exc: Exception) -> bool:
    """Typer's exits, aborts and usage errors, which Typer itself reports."""
    return isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith(
        ("typer.", "click."))


@contextmanager
def reported_errors() -> Iterator[None]:
    """The one place exceptions become messages and exit statuses (see the package's
    docstring): a user never sees a traceback unless $SOLIDCHECK_DEBUG asks for it."""
    try:
        yield
    except NegativeAnswer as exc:
        if exc.message:
            typer.echo(exc.message, err=True)
        raise typer.Exit(EXIT_NEGATIVE) from None
    except MissingDependencyError as exc:
        fail(str(exc), code=EXIT_MISSING_EXTRA)
    except InvalidInputError as exc:
        fail(said_error(exc))
    except (UnknownRulesetError, RegistryError) as exc:
        fail(str(exc))
    except BrokenPipeError:
        # the reader stopped reading (`| head`): end quietly, with the shell's status for a
        # pipe closed under a writer, and keep Python from failing again on the final flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except Exception as exc:
        if _is_typers_own(exc) or os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        message = str(exc).strip().splitlines()
        typer.echo(f"solidcheck {__version__}: unexpected error {type(exc).__name__}"
                   + (f": {message[0]}" if message else "") + "\n"
                   "This is a bug in solidcheck, not in your input: please report it to the "
                   "solidcheck developers with the command you ran and this message (set "
                   f"{DEBUG_ENV}=1 to include the traceback).", err=True)
        raise typer.Exit(EXIT_BUG) from None


def stdout() -> Console:
    from rich.console import Console

    # Piped output is read in files and logs, not an 80-column terminal.
    width = None if sys.stdout.isatty() else 110
    return Console(highlight=False, soft_wrap=False, width=width)


def fail(message: str, *, code: int = EXIT_INVALID) -> NoReturn:
    """Report a problem on stderr (never a traceback) and exit, 2 unless told otherwise."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def print_json(data: Any, *, pretty: bool = True) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2 if pretty else None)
    sys.stdout.write(text + "\n")


# --------------------------------------------------------------------- shared options

RulesetOption = Annotated[
    str | None,
    typer.Option("--ruleset", "-r", help="Rule-set id (see `solidcheck rulesets`) or a .toml "
                 "file; default: the national standard."),
]
ReaderOption = Annotated[
    str | None,
    typer.Option("--reader", help="Force a reader by name (see docs/readers.md); default: "
                 "recognise the file by its content."),
]

LangOption = Annotated[
    str | None,
    typer.Option("--lang", metavar="en|zh|zh-Hant|both", help="Language of the text output "
                 "(JSON keys stay English); default: `solidcheck --lang`, else "
                 "$SOLIDCHECK_LANG, else en."),
]


#: the ``--lang`` given before the command (``solidcheck --lang zh classify …``), set by the
#: app's callback on every run
_app_lang: ContextVar[str | None] = ContextVar("solidcheck_app_lang", default=None)
#: the command's own ``--lang``, once the command has asked for it: its errors speak it too
_command_lang: ContextVar[str | None] = ContextVar("solidcheck_command_lang", default=None)


def set_app_language(value: str | None) -> None:
    """Remember (and check) the ``--lang`` given before the command."""
    _app_lang.set(value)
    _command_lang.set(None)
    language(value)


def language(value: str | None = None) -> Display:
    """The language of a command's text: its own ``--lang``, else the one given before the
    command (``solidcheck --lang zh …``), else $SOLIDCHECK_LANG, else English. An unknown
    value is invalid input (exit 2) naming the choices."""
    from ..i18n import display_language

    shown = display_language(value if value is not None else _app_lang.get())
    if value is not None:
        _command_lang.set(value)
    return shown


def said_error(error: InvalidInputError) -> str:
    """An invalid input's message in the language of the command's text (``--lang``,
    ``solidcheck --lang``, $SOLIDCHECK_LANG): its problems the catalogue knows, said in it."""
    from ..i18n.problems import said_invalid_input

    try:
        lang = language(_command_lang.get())
    except InvalidInputError:
        lang = "en"
    return said_invalid_input(error, lang)


def say(message_id: str, lang: Display, **params: Any) -> str:
    """A message of the command line's catalogue (``i18n/cli.toml``) in ``lang``."""
    from ..i18n import message

    return message(message_id, params, lang)


# groups two command modules add to: dossier (evidence: build; batch: table, files,
# convert) and keys (signing: generate, fingerprint; registry: the deprecated API-key names)
dossier_app = typer.Typer(help="Build dossiers from a cell's declarations and instrument "
                          "evidence; gather them into dossier tables and back.",
                          no_args_is_help=True)
keys_app = typer.Typer(help="Keys: the Ed25519 keys that sign certificates (generate, "
                       "fingerprint) and the web service's API keys (create, list, revoke).",
                       no_args_is_help=True)


# --------------------------------------------------------------------- shared loading

def load_rules(ruleset_id: str | None) -> Ruleset:
    from ..rules import load_ruleset

    return load_ruleset(ruleset_id)


def collect(items: Iterable[Item], load: Callable[[Item], Loaded],
            errors: list[str]) -> list[Loaded]:
    """Each item loaded; the message of each invalid one added to ``errors``, so that one
    run names every problem of every file rather than the first."""
    loaded: list[Loaded] = []
    for item in items:
        try:
            loaded.append(load(item))
        except InvalidInputError as exc:
            errors.append(said_error(exc))
    return loaded


def load_each(items: Iterable[Item], load: Callable[[Item], Loaded]) -> list[Loaded]:
    """Every item loaded, or — if any is invalid — every problem of every item, exit 2."""
    errors: list[str] = []
    loaded = collect(items, load, errors)
    if errors:
        fail("\n".join(errors))
    return loaded


def load_dossiers(files: list[Path]) -> list[Dossier]:
    """Every dossier, or — if any is invalid — every problem of every file, exit 2."""
    from ..dossier import load_dossier

    return load_each(files, load_dossier)


def read(path: Path, *, reader: str | None = None, kind: ReadingKind | None = None) -> Reading:
    from ..readers import read_evidence

    return read_evidence(path, format=reader, kind=kind)


def output_name_problems(output: str | Path) -> list[str]:
    """The output's format is by its extension, whatever --format says of the input."""
    from ..batch.table import table_format

    try:
        table_format(output)
    except InvalidInputError:
        return [f"--output: cannot tell the format from {str(output)!r} — name it .parquet, "
                ".csv or .jsonl"]
    return []
