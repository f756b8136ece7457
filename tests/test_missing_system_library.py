"""WeasyPrint installed without Pango (its import raises OSError): the command line and the
web say that the system libraries are missing and how to install them — never pip, which
cannot help — exit 4 and 501 as for a missing extra. The failure is made by an import that
raises OSError as cffi's loader does; everything else is real."""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app as cli_app
from solidcheck.dossier import load_dossier
from solidcheck.errors import MissingDependencyError, MissingSystemLibraryError
from solidcheck.registry import Registry
from solidcheck.report.pdf import render_pdf
from solidcheck.web import Settings, create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
LOADER = ("cannot load library 'libgobject-2.0-0': libgobject-2.0-0: cannot open shared "
          "object file: No such file or directory")
COMMAND = "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


@pytest.fixture
def pango_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_pango(monkeypatch)


def _without_pango(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import weasyprint`` raises OSError, as it does where Pango is not installed."""
    real_import = builtins.__import__

    def importing(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError(LOADER)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", importing)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    registry = Registry.open(database_url, create=True)
    registry.submit(load_dossier(EXAMPLES / "liquid-lfp.yaml"), actor="test")
    application = create_app(Settings(database_url=database_url, secret_key="pango-test"),
                             registry=registry)
    with TestClient(application) as test_client:
        yield test_client
    registry.close()


def _pdf_link(client: TestClient) -> str:
    result_id = client.get("/v1/cells/EX-LIQ-11").json()["results"][0]["id"]
    return f"/v1/results/{result_id}?format=pdf"


def _says_the_system_libraries(text: str) -> None:
    assert "Pango, HarfBuzz" in text
    assert COMMAND in text and "make pdf-deps" in text
    assert LOADER in text  # the loader's own words
    assert "pip install" not in text  # the package is installed: pip cannot help


@pytest.mark.usefixtures("pango_missing")
def test_the_renderer_raises_a_missing_system_library_error() -> None:
    with pytest.raises(MissingSystemLibraryError) as raised:
        render_pdf("<p>x</p>")
    assert isinstance(raised.value, MissingDependencyError)  # answered as a missing extra
    assert raised.value.package == "weasyprint" and raised.value.extra == "pdf"
    _says_the_system_libraries(str(raised.value))


@pytest.mark.usefixtures("pango_missing")
def test_report_pdf_says_what_to_install_and_exits_4(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(cli_app, ["report", str(EXAMPLES / "liquid-lfp.yaml"),
                                          "--format", "pdf", "-o", str(out)])
    assert result.exit_code == 4, result.output
    _says_the_system_libraries(result.stderr)
    assert "unexpected error" not in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_charging_report_pdf_says_the_same(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    made = runner.invoke(cli_app, ["charging", "synth", "-o", str(tmp_path / "net"),
                                   "--stations", "2", "--days", "1"])
    assert made.exit_code == 0, made.output
    _without_pango(monkeypatch)  # after synth: only the report's import fails
    out = tmp_path / "open.pdf"
    result = runner.invoke(cli_app, ["charging", "report", str(tmp_path / "net"),
                                     "-o", str(out)])
    assert result.exit_code == 4, result.output
    _says_the_system_libraries(result.stderr)
    assert not out.exists()


@pytest.mark.usefixtures("pango_missing")
def test_a_browser_gets_the_system_command_in_its_language(client: TestClient) -> None:
    link = _pdf_link(client)
    for lang, install in (("en", "pip cannot install them"), ("zh", "pip 无法安装")):
        answer = client.get(f"{link}&lang={lang}", headers={"Accept": BROWSER})
        assert answer.status_code == 501
        assert answer.headers["content-type"].startswith("text/html")
        page = unescape(answer.text)
        assert install in page
        assert f"<code>{COMMAND}</code>" in page and "<code>make pdf-deps</code>" in page
        assert "pip install" not in page
        assert LOADER in page  # the technical line quotes the loader


@pytest.mark.usefixtures("pango_missing")
def test_an_api_client_gets_the_json_problem_501(client: TestClient) -> None:
    answer = client.get(_pdf_link(client), headers={"Accept": "application/json"})
    assert answer.status_code == 501
    assert answer.headers["content-type"] == "application/json"
    _says_the_system_libraries(answer.json()["message"])
