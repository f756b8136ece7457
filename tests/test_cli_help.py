"""The help of every command: conventional value types (FILE, PATH, TEXT, INTEGER, the
choices, nothing for a flag), never Typer's annotations, and words true to the behaviour."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from solidcheck.cli import app
from solidcheck.cli.help_types import conventional_type

EXAMPLE = Path(__file__).parents[1] / "examples" / "sulfide-high-energy.yaml"
runner = CliRunner()
#: Typer's own type labels: <bool>, <str>, <list[Path]>, <int range>, <text|json> …
TYPER_LABEL = re.compile(r"<(?:[a-z]+ range|[A-Za-z_][\w.|-]*(?:\[[^\]\s]*\])?)>")


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(get_command(app), [])
    return paths


COMMANDS = _command_paths()


def _help(path: list[str]) -> str:
    done = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "160", "SOLIDCHECK_LANG": None})
    assert done.exit_code == 0, done.output
    return done.stdout


def test_every_command_is_covered() -> None:
    assert len(COMMANDS) > 40 and ["keys", "generate"] in COMMANDS and ["classify"] in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "solidcheck")
def test_no_help_shows_typers_type_annotations(path: list[str]) -> None:
    text = _help(path)
    assert TYPER_LABEL.findall(text) == [], TYPER_LABEL.search(text)


def test_flags_show_no_type_and_values_show_conventional_ones() -> None:
    lines = {line.split()[1]: line for line in _help(["classify"]).splitlines()
             if line.startswith("│ ") and len(line.split()) > 2}
    assert lines["--help"].split()[2] == "Show"  # no type between the flag and its help
    assert "[text|json]" in lines["--format"]
    assert "PATH" in _help(["classify"]).split("Arguments")[1].split("Options")[0]
    generate = _help(["keys", "generate"])
    assert re.search(r"--output\s+-o\s+PATH", generate)
    assert re.search(r"--force\s+Replace", generate)
    assert re.search(r"--seed\s+-s\s+INTEGER RANGE", _help(["synth"]))


@pytest.mark.parametrize(("label", "flag", "shown"), [
    ("<bool>", True, ""), ("<bool>", False, "BOOLEAN"), ("<str>", False, "TEXT"),
    ("<list[Path]>", False, "PATH"), ("<path>", False, "PATH"), ("<file>", False, "FILE"),
    ("<dir>", False, "DIRECTORY"), ("<int>", False, "INTEGER"), ("<float>", False, "FLOAT"),
    ("<int range>", False, "INTEGER RANGE"), ("<text|json>", False, "[text|json]"),
    ("<list[a|b]>", False, "[a|b]"),
])
def test_conventional_type(label: str, flag: bool, shown: str) -> None:
    assert conventional_type(label, is_flag=flag) == shown


def test_classify_help_says_what_the_default_output_is() -> None:
    help_text = " ".join(_help(["classify"]).split())
    assert "One file prints one JSON object" not in help_text
    assert "Text by default" in help_text and "with --format json" in help_text
    default = runner.invoke(app, ["classify", str(EXAMPLE)], env={"SOLIDCHECK_LANG": None})
    assert default.exit_code == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(default.stdout)  # text, as the help says
    as_json = runner.invoke(app, ["classify", str(EXAMPLE), "-f", "json"])
    assert json.loads(as_json.stdout)["dossier_id"]
