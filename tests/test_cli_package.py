"""The command line as a package: it starts without the heavy libraries, every error goes
through one handler (the same for the console script and `CliRunner`), and the output
formats offered are the format registry's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from solidcheck import formats
from solidcheck.cli import app

EXAMPLE = Path(__file__).parents[1] / "examples" / "sulfide-high-energy.yaml"
HEAVY = ("matplotlib", "polars", "pyarrow.dataset", "fastapi", "sqlalchemy", "weasyprint",
         "jinja2", "cryptography")

runner = CliRunner()


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env})


def _modules_after(code: str) -> list[str]:
    done = _run("import atexit, json, sys\n"
                "atexit.register(lambda: print(json.dumps(sorted(sys.modules))))\n" + code)
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_command_line_imports_nothing_heavy() -> None:
    loaded = _modules_after("import solidcheck.cli")
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_version_imports_nothing_heavy() -> None:
    loaded = _modules_after("sys.argv = ['solidcheck', '--version']\n"
                            "from solidcheck.cli import main\nmain()")
    assert [m for m in loaded if m.startswith(HEAVY)] == []
    assert "pydantic" not in loaded  # not even the core: the version is all it needs


# --------------------------------------------------------------------- the error handler

def _broken_classify(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("a state the code never expected\nsecond line")


def test_an_unexpected_error_is_exit_1_with_a_short_report(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["solidcheck.classify"], "classify", _broken_classify)
    monkeypatch.delenv("SOLIDCHECK_DEBUG", raising=False)
    outcome = runner.invoke(app, ["classify", str(EXAMPLE)])
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    assert "unexpected error RuntimeError: a state the code never expected" in outcome.stderr
    assert "please report it" in outcome.stderr and "SOLIDCHECK_DEBUG=1" in outcome.stderr
    assert "Traceback" not in outcome.stderr and "second line" not in outcome.stderr


def test_solidcheck_debug_lets_the_exception_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["solidcheck.classify"], "classify", _broken_classify)
    monkeypatch.setenv("SOLIDCHECK_DEBUG", "1")
    outcome = runner.invoke(app, ["classify", str(EXAMPLE)])
    assert outcome.exit_code == 1
    assert isinstance(outcome.exception, RuntimeError)


def test_the_console_script_reports_the_same_way() -> None:
    code = ("import sys, solidcheck.classify\n"
            "def broken(*args, **kwargs):\n    raise KeyError('lost')\n"
            "sys.modules['solidcheck.classify'].classify = broken\n"
            f"sys.argv = ['solidcheck', 'classify', {str(EXAMPLE)!r}]\n"
            "from solidcheck.cli import main\nmain()\n")
    done = _run(code, SOLIDCHECK_DEBUG="")
    assert done.returncode == 1
    assert "unexpected error KeyError: 'lost'" in done.stderr
    assert "please report it" in done.stderr and "Traceback" not in done.stderr


def test_invalid_input_usage_and_negative_answers_keep_their_statuses(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: X\nelectrolyte: {phases: [plasma]}\n", encoding="utf-8")
    invalid = runner.invoke(app, ["classify", str(bad)])
    assert invalid.exit_code == 2 and "bad.yaml" in invalid.stderr
    unknown = runner.invoke(app, ["classify", str(EXAMPLE), "-r", "no-such-ruleset"])
    assert unknown.exit_code == 2 and "no-such-ruleset" in unknown.stderr
    usage = runner.invoke(app, ["classify", str(EXAMPLE), "--format", "xml"])
    assert usage.exit_code == 2 and "'xml' is not one of" in " ".join(usage.stderr.split())
    negative = runner.invoke(app, ["terms", "zzz-no-such-term"])
    assert negative.exit_code == 3 and "no term matches" in negative.stderr


# --------------------------------------------------------------------- the format registry

def _option_choices(offered_by: str) -> tuple[str, ...]:
    words = offered_by.split()
    command: Any = get_command(app)
    for word in words[:-1]:
        command = command.commands[word]
    (param,) = [p for p in command.params if words[-1] in p.opts]
    return tuple(param.type_descriptor.choices)


COMMAND_OPTIONS = sorted({where for f in formats.FORMATS for where in f.offered_by
                          if not where.startswith(("GET ", "POST "))})


@pytest.mark.parametrize("offered_by", COMMAND_OPTIONS)
def test_the_command_line_offers_the_registrys_formats(offered_by: str) -> None:
    assert _option_choices(offered_by) == formats.choices(offered_by)


def test_the_choices_are_those_offered_before() -> None:
    assert formats.choices("classify --format") == ("text", "json")
    assert formats.choices("report --format") == ("html", "pdf", "json")
    assert formats.choices("audit --format") == ("text", "json", "html")
    assert formats.choices("export --to") == ("jsonld", "passport")
    assert formats.choices("rulesets show --format") == ("toml", "json")
    assert formats.choices("batch --format") == ("parquet", "csv", "jsonl")
    assert formats.choices("dossier files --to") == ("yaml", "json")


def test_a_new_format_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = formats.OutputFormat("svg", "image/svg+xml", ".svg",
                                 "solidcheck.report.html:render_html", ("report --format",))
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, extra))
    monkeypatch.setitem(formats._ORDER, "report --format", ("html", "pdf", "json", "svg"))
    assert formats.choices("report --format") == ("html", "pdf", "json", "svg")
    assert "svg" in formats.choice_type("report --format").__args__


def test_every_renderer_reference_resolves() -> None:
    for output_format in formats.FORMATS:
        if output_format.name in ("parquet", "csv", "jsonl"):
            pytest.importorskip("pyarrow")
        assert callable(formats.renderer(output_format.name)), output_format.name


def test_the_web_api_negotiates_the_registrys_formats() -> None:
    pytest.importorskip("fastapi")
    from typing import get_args

    from solidcheck.web import api
    from solidcheck.web.api import results

    offered = formats.choices("GET /v1/results")
    assert get_args(api.ResultFormat) == offered == ("json", "html", "pdf")
    assert set(results._FORMAT_OF_MEDIA.values()) == set(offered)
    assert api.negotiate("application/pdf") == "pdf"
    assert api.negotiate("text/html;q=0.9, application/json;q=0.5") == "html"
    assert formats.get("html").content_type == "text/html; charset=utf-8"


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    """`solidcheck … | head -1`: no "unexpected error", the shell's status for a closed pipe."""
    command = [sys.executable, "-c", "from solidcheck.cli import main; main()", "charging",
               "synth", "--stations", "3", "--days", "2", "-o", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
                          ) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        first = writer.stdout.readline()
        writer.stdout.close()
        errors = writer.stderr.read().decode()
        status = writer.wait(timeout=120)
    assert first.startswith(b"wrote ")
    assert status == 141 and "unexpected error" not in errors
