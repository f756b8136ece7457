"""What ``--help`` shows as each value's type: the conventional words (FILE, PATH, TEXT,
INTEGER, ``[text|json]``, nothing for a flag) rather than Typer's annotations (``<bool>``,
``<list[Path]>``, ``<str>``).

Typer builds its parameter objects itself and offers no hook for their class, so the app
gives each one, once, a subclass whose only change is the type it displays
(:func:`use_conventional_types`). The mapping itself is the pure :func:`conventional_type`.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperOption

__all__ = ["conventional_type", "use_conventional_types"]

#: Typer's label → the word click and most command-line tools use
_CONVENTIONAL = {
    "str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN", "path": "PATH",
    "Path": "PATH", "file": "FILE", "dir": "DIRECTORY", "datetime": "DATETIME",
    "int range": "INTEGER RANGE", "float range": "FLOAT RANGE",
}


def conventional_type(typer_label: str, *, is_flag: bool = False) -> str:
    """The type a person reads in the help for Typer's label of it.

    >>> conventional_type("<list[Path]>"), conventional_type("<str>")
    ('PATH', 'TEXT')
    >>> conventional_type("<text|json>"), conventional_type("<bool>", is_flag=True)
    ('[text|json]', '')
    """
    if is_flag:
        return ""  # a flag takes no value
    label = typer_label.removeprefix("<").removesuffix(">")
    if label.startswith("list[") and label.endswith("]"):
        label = label.removeprefix("list[").removesuffix("]")  # repeating is the option's help
    if label in _CONVENTIONAL:
        return _CONVENTIONAL[label]
    if "|" in label:
        return f"[{label}]"  # the choices, as click writes them
    return label.upper()


class _ConventionalOption(TyperOption):
    def display_type(self, ctx: Any) -> str:
        return conventional_type(super().display_type(ctx), is_flag=self.is_flag)


class _ConventionalArgument(TyperArgument):
    def display_type(self, ctx: Any) -> str:
        return conventional_type(super().display_type(ctx))


def use_conventional_types(command: Any) -> None:
    """Every parameter of ``command`` and of its subcommands, ``--help`` included, shows its
    conventional type in the help."""
    help_option = command.get_help_option(typer.Context(command))  # made once, then kept
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if type(param) is TyperOption:
            param.__class__ = _ConventionalOption
        elif type(param) is TyperArgument:
            param.__class__ = _ConventionalArgument
    for subcommand in getattr(command, "commands", {}).values():
        use_conventional_types(subcommand)
