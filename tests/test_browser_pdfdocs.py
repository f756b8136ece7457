"""Issue 20 in a real browser (Debian's Chromium driven by Playwright, the app on uvicorn on a
loopback port): ``/docs`` draws the API's operations with every request to another host
refused, and the cell page's "Report (PDF)" link answers a PDF — or, when the server lacks
WeasyPrint, the site's page saying what to install, not the API's JSON.

Every wait is one of Playwright's, never a fixed sleep.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from browser_support import axe_violations, served
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).parents[1] / "examples"
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


@dataclass(frozen=True)
class Site:
    url: str
    registry: Registry


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on uvicorn, in a thread, over a registry holding two examples."""
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    registry = Registry.open(url, create=True)
    for name in ("semi-solid-marketed.yaml", "sulfide-high-energy.yaml"):
        registry.submit(load_dossier(EXAMPLES / name), actor="test")
    app = create_app(Settings(database_url=url, secret_key="browser-test-secret"),
                     registry=registry)
    try:
        with served(app) as base:
            yield Site(base, registry)
    finally:
        registry.close()


@dataclass
class Offline:
    """The requests the page made to any host but this machine's loopback (each aborted)."""

    refused: list[str]


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[tuple[Page, Offline]]:
    context = browser.new_context(accept_downloads=True, locale="en-GB",
                                  viewport={"width": 1200, "height": 900})
    context.set_default_timeout(30_000)
    offline = Offline([])

    def only_loopback(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            offline.refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    yield context.new_page(), offline
    context.close()


def test_docs_draws_every_operation_without_the_network(
        offline_page: tuple[Page, Offline], site: Site) -> None:
    page, offline = offline_page
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.goto(f"{site.url}/docs")
    expect(page.get_by_role("heading", name="REST API", level=1)).to_be_visible()
    classify = page.locator(".opblock-summary", has_text="/v1/classify").first
    expect(classify).to_be_visible()
    documented = page.evaluate("fetch('/openapi.json').then(r => r.json()).then(d => "
                               "Object.values(d.paths).reduce((n, p) => n + "
                               "Object.keys(p).length, 0))")
    expect(page.locator(".opblock")).to_have_count(documented)
    classify.click()  # an operation opens: its parameters and answers are drawn
    expect(page.locator(".opblock.is-open .responses-wrapper").first).to_be_visible()
    # in the site's frame: its header and menu, and the footer's link here
    expect(page.locator("header.site-header nav a[aria-current=page]")).to_have_text("API")
    expect(page.locator("footer.site-footer a", has_text="interactive documentation")
           ).to_have_attribute("href", "/docs")
    assert offline.refused == [], f"requests to other hosts: {offline.refused}"
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_docs_in_chinese_keeps_its_frame(offline_page: tuple[Page, Offline],
                                         site: Site) -> None:
    page, offline = offline_page
    page.goto(f"{site.url}/docs?lang=zh")
    expect(page.get_by_role("heading", name="REST API 接口文档", level=1)).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert offline.refused == []


def test_the_pdf_link_without_weasyprint_shows_what_to_install(
        offline_page: tuple[Page, Offline], site: Site,
        monkeypatch: pytest.MonkeyPatch) -> None:
    page, _ = offline_page
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # the server's import fails
    page.goto(f"{site.url}/cells/EX-HSL-10")
    link = page.get_by_role("link", name="Report (PDF)", exact=True).first
    with page.expect_response(lambda r: "/v1/results/" in r.url) as answer:
        link.click()
    assert answer.value.status == 501
    assert answer.value.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("The server cannot make this yet")
    expect(page.locator("pre.command")).to_have_text("pip install 'solidcheck[pdf]'")
    expect(page.locator("main")).to_contain_text("weasyprint")
    page.get_by_role("link", name="Back to the page you came from").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("EX-HSL-10")


def test_the_pdf_link_answers_a_pdf(offline_page: tuple[Page, Offline], site: Site,
                                    tmp_path: Path) -> None:
    page, _ = offline_page
    page.goto(f"{site.url}/cells/EX-SUL-HE-01")
    link = page.get_by_role("link", name="Report (PDF)", exact=True).first
    answer = page.request.get(site.url + str(link.get_attribute("href")),
                              headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "report.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")




def test_the_new_pages_pass_axe(offline_page: tuple[Page, Offline], site: Site,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    page, _ = offline_page
    checked = {}
    for lang in ("en", "zh"):
        page.goto(f"{site.url}/docs?lang={lang}")
        expect(page.locator(".opblock").first).to_be_visible()
        checked[f"/docs?lang={lang}"] = axe_violations(page)
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    for lang in ("en", "zh"):
        page.goto(f"{site.url}/cells/EX-HSL-10?lang={lang}")
        page.locator("a[href*='format=pdf']").first.click()
        expect(page.locator("pre.command")).to_be_visible()
        checked[f"missing extra ({lang})"] = axe_violations(page)
    assert not {name: found for name, found in checked.items() if found}, checked
