"""A report that needs a missing extra (issue 20 item 2): a browser gets the site's problem
page saying what to install, in its language; an API client keeps the JSON problem; the
command line says the same in one message (exit 4). WeasyPrint's absence is simulated by
making its import fail; the real path renders with real WeasyPrint. ``/docs`` (item 5)
without the package that ships Swagger UI says what to install the same way."""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app as cli_app
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.pages import api_docs
from solidcheck.web.pages.missing_extra import wants_html

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
INSTALL = "pip install 'solidcheck[pdf]'"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    registry = Registry.open(database_url, create=True)
    registry.submit(load_dossier(EXAMPLES / "liquid-lfp.yaml"), actor="test")
    application = create_app(Settings(database_url=database_url, secret_key="extra-test"),
                             registry=registry)
    with TestClient(application) as test_client:
        yield test_client
    registry.close()


@pytest.fixture
def no_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails


def _pdf_link(client: TestClient) -> str:
    result_id = client.get("/v1/cells/EX-LIQ-11").json()["results"][0]["id"]
    return f"/v1/results/{result_id}?format=pdf"


@pytest.mark.usefixtures("no_weasyprint")
def test_a_browser_gets_a_page_that_says_what_to_install(client: TestClient) -> None:
    link = _pdf_link(client)
    for lang, title in (("en", "The server cannot make this yet"),
                        ("zh", "服务器暂时无法生成此内容")):
        answer = client.get(f"{link}&lang={lang}", headers={"Accept": BROWSER,
                                                            "Referer": "http://testserver/"
                                                            "cells/EX-LIQ-11"})
        assert answer.status_code == 501
        assert answer.headers["content-type"].startswith("text/html")
        assert f"<h1>{title}</h1>" in answer.text
        assert f"<code>{INSTALL}</code>" in unescape(answer.text)
        assert "<code>weasyprint</code>" in answer.text
        assert 'href="/cells/EX-LIQ-11"' in answer.text  # back where the link was
        assert "<nav" in answer.text and "site-footer" in answer.text  # the site's frame


@pytest.mark.usefixtures("no_weasyprint")
def test_an_api_client_keeps_the_json_problem(client: TestClient) -> None:
    link = _pdf_link(client)
    for accept in ("application/json", "*/*", "application/pdf", "",
                   "application/json, text/html;q=0.5"):
        answer = client.get(link, headers={"Accept": accept})
        assert answer.status_code == 501, accept
        assert answer.headers["content-type"] == "application/json", accept
        message = answer.json()["message"]
        assert message == ("PDF reports: the optional package 'weasyprint' is needed and not "
                           f"installed — install it with: {INSTALL}")


def test_with_weasyprint_the_browser_gets_the_pdf(client: TestClient) -> None:
    answer = client.get(_pdf_link(client), headers={"Accept": BROWSER})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")


def test_a_referer_from_elsewhere_is_no_back_link(client: TestClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    answer = client.get(_pdf_link(client), headers={"Accept": BROWSER,
                                                    "Referer": "https://elsewhere.example/x"})
    assert answer.status_code == 501
    assert "elsewhere.example" not in answer.text


@pytest.mark.parametrize(("accept", "html"), [
    (BROWSER, True), ("text/html", True), ("*/*", False), ("", False),
    ("application/json", False), ("application/json;q=0.9, text/html", True),
    ("text/html;q=0", False), ("application/json, text/html;q=0.5", False)])
def test_which_requests_are_a_browsers(accept: str, html: bool) -> None:
    assert wants_html(accept) is html


def test_docs_without_swagger_ui_says_what_to_install(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi_offline", None)
    api_docs._asset.cache_clear()
    try:
        page = client.get("/docs", headers={"Accept": BROWSER})
        assert page.status_code == 501
        assert "<code>pip install 'solidcheck[server]'</code>" in unescape(page.text)
        assert "<code>fastapi-offline</code>" in page.text
        json = client.get("/docs", headers={"Accept": "application/json"})
        assert json.status_code == 501 and "solidcheck[server]" in json.json()["message"]
    finally:
        api_docs._asset.cache_clear()


def test_docs_and_its_assets_are_served_from_the_package(client: TestClient) -> None:
    page = client.get("/docs?lang=zh", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert "REST API 接口文档" in page.text
    sources = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/static/") for source in sources)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and asset.content, source
    assert client.get("/static/api-docs/../../pyproject.toml").status_code == 404
    assert client.get("/static/api-docs/index.html").status_code == 404


def test_report_pdf_without_weasyprint_is_one_message_and_exit_4(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(cli_app, ["report", str(EXAMPLES / "liquid-lfp.yaml"),
                                          "--format", "pdf", "-o", str(out)])
    assert result.exit_code == 4
    assert result.stderr.strip() == ("PDF reports: the optional package 'weasyprint' is needed "
                                     f"and not installed — install it with: {INSTALL}")
    assert "Traceback" not in result.output and not out.exists()
