"""What every command-line module shares: exit codes, failing cleanly, printing."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

__all__ = ["EXIT_INVALID", "EXIT_MISSING_EXTRA", "EXIT_NEGATIVE", "fail", "print_json",
           "stdout"]

EXIT_INVALID = 2
EXIT_NEGATIVE = 3
EXIT_MISSING_EXTRA = 4


def stdout() -> Console:
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
