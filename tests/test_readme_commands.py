"""The README's commands that read files the repository ships (issue 20 item 6) are run as
written — in a scratch folder beside a copy of `examples/` — and do what the README says;
the way it gives to reach the demo's registry reaches a registry made as `make demo` makes
it; no command names a cycler file the repository does not ship."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"


def _console_commands() -> list[str]:
    """Every `$ …` command of the README's console blocks, continuation lines joined and the
    trailing comment kept (it may name the exit status)."""
    commands: list[str] = []
    in_console = False
    pending = ""
    for line in README.read_text("utf-8").splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if not in_console:
            continue
        if pending:
            pending += " " + line.strip()
        elif line.startswith("$ "):
            pending = line[2:].strip()
        else:
            continue
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
        else:
            commands.append(pending)
            pending = ""
    return commands


def _split(command: str) -> tuple[list[str], str]:
    """The words of a command (without its comment) and the comment."""
    words, _, comment = command.partition("  #")
    return shlex.split(words), comment


def _uses_shipped_files(command: str) -> bool:
    words, _ = _split(command)
    return "solidcheck" in words and any(word.startswith("examples/") for word in words)


def _run(words: list[str], runner: CliRunner) -> tuple[int, str]:
    """One `[NAME=VALUE …] solidcheck ARGS` command, globs expanded as a shell would."""
    env = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words.pop(0) == "solidcheck", words
    arguments = [expanded for word in words
                 for expanded in (sorted(glob.glob(word)) if "*" in word else [word])]
    result = runner.invoke(app, arguments, env=env)
    return result.exit_code, result.output


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding a copy of examples/, as the working directory, with its own data
    folder, so the README's `registry init` makes a registry there and nowhere else."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOLIDCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SOLIDCHECK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOLIDCHECK_LANG", raising=False)
    return tmp_path


def test_the_commands_on_shipped_files_do_what_the_readme_says(scratch: Path) -> None:
    runner = CliRunner()
    commands = [c for c in _console_commands() if _uses_shipped_files(c)]
    assert any(" ratings examples/cycler/" in c for c in commands)
    assert any("--cycler examples/cycler/" in c for c in commands)
    failures = []
    for command in commands:
        _, comment = _split(command)
        expected = int(found[1]) if (found := re.search(r"\bexit (\d)\b", comment)) else 0
        for part in command.partition("  #")[0].split("&&"):
            code, output = _run(_split(part.strip())[0], runner)
            if code != expected:
                failures.append(f"{part.strip()}: exit {code}, expected {expected}\n{output}")
    assert not failures, "\n\n".join(failures)
    built = (scratch / "dossier.yaml").read_text("utf-8")
    assert "energy_1c_wh" in built and "testcell-neware.ndax" in built  # ratings from it


def test_the_readme_way_to_the_demo_registry_reaches_it(scratch: Path) -> None:
    """The registry made where `make demo` makes it (SOLIDCHECK_DATA_DIR=out/demo-registry,
    `registry init` + `registry load`), then the README's command as written."""
    runner = CliRunner()
    demo = {"SOLIDCHECK_DATA_DIR": str(scratch / "out" / "demo-registry")}
    assert runner.invoke(app, ["registry", "init"], env=demo).exit_code == 0
    loaded = runner.invoke(app, ["registry", "load", *sorted(glob.glob("examples/*.yaml"))],
                           env=demo)
    assert loaded.exit_code == 0, loaded.output
    [command] = [c for c in _console_commands()
                 if c.startswith("SOLIDCHECK_DATA_DIR=out/demo-registry solidcheck")]
    code, output = _run(_split(command)[0], runner)
    assert code == 0 and "intact" in output, output

    # and the README's plain `registry verify` beside it, where there is no registry: it
    # says where it looked and how to point to the demo's, and creates nothing
    code, output = _run(["solidcheck", "registry", "verify"], runner)
    assert code == 2 and "out/demo-registry" in output
    assert not (scratch / "data").exists()


def test_every_cycler_file_the_readme_names_is_shipped() -> None:
    named = re.findall(r"[\w./-]+\.(?:ndax|nda|mpr)\b", README.read_text("utf-8"))
    files = [name for name in named if "/" in name]
    assert files, "the README names no cycler file"
    assert all((ROOT / name).is_file() for name in files), files
    assert not [name for name in named if "/" not in name and name != ".nda" and
                not name.startswith(".")], "a cycler file named without its folder"
