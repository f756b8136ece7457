"""The search desk in a real browser (Debian's Chromium driven by Playwright, the app on
uvicorn): sorting by a header, downloading the export of the search, and no page of the menu
(nor a cell's page, nor a station's) wider than a 390 px phone, in English and Chinese. Every
wait is one of Playwright's own."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import axe_violations, served
from solidcheck.dossier import load_dossier, parse_dossier
from solidcheck.registry import Registry, SearchQuery
from solidcheck.web import Settings, create_app
from solidcheck.web.pages.navigation import menu
from test_browser_web import EXAMPLES
from test_charging_endpoint import add_station

pytestmark = pytest.mark.browser

BULK = 24  # with the examples, more rows than one page shows


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Registry]]:
    """The app on uvicorn over a registry of every example, more cells, and a station."""
    folder = tmp_path_factory.mktemp("desk")
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    add_station(url, "CP-B")
    registry = Registry.open(url, create=True)
    for example in sorted(EXAMPLES.glob("*.yaml")):
        registry.submit(load_dossier(example), actor="test")
    for number in range(BULK):
        registry.submit(parse_dossier(f"id: BULK-{number:02d}\nelectrolyte: {{phases: [liquid]}}"
                                      "\nconducting_ion: lithium\n"), actor="test")
    app = create_app(Settings(database_url=url, secret_key="desk-test-secret",
                              ocpp_log_dir=folder / "frames"), registry=registry)
    try:
        with served(app) as base:
            yield base, registry
    finally:
        registry.close()


def new_page(browser: Browser, *, width: int, locale: str = "en-GB") -> Page:
    context = browser.new_context(accept_downloads=True, locale=locale,
                                  viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    return context.new_page()


def rate_column(page: Page) -> list[str]:
    return page.locator("table.desk tbody td[data-label='Deciding rate (%)']").all_inner_texts()


def test_sorting_by_a_header(browser: Browser, desk: tuple[str, Registry],
                             artifacts: Path) -> None:
    base, registry = desk
    page = new_page(browser, width=1200)
    page.goto(base + "/")
    header = page.locator("table.desk thead th", has_text="Deciding rate (%)")
    expect(header).not_to_have_attribute("aria-sort", "ascending")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    highest = registry.search_cells(SearchQuery(sort="rate", descending=True), limit=1)
    expect(page.locator("table.desk tbody tr").first).to_contain_text(highest.rows[0].cell_id)
    shown = [float(t.replace("\u2212", "-")) for t in rate_column(page) if t != "—"]
    assert shown == sorted(shown, reverse=True) and shown
    page.screenshot(path=artifacts / "web-desk-sorted.png", full_page=True)
    page.context.close()


def test_export_download_is_the_whole_search(browser: Browser,
                                             desk: tuple[str, Registry]) -> None:
    base, registry = desk
    page = new_page(browser, width=1200)
    page.goto(base + "/?sort=cell&dir=desc")
    expect(page.locator(".desk-place")).to_contain_text("rows 1–20 of")
    query = SearchQuery(sort="cell", descending=True)
    wanted = [row.cell_id for part in registry.search_all(query) for row in part]
    assert len(wanted) > 20
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert csv_download.value.suggested_filename.endswith(".csv")
    text = Path(csv_download.value.path()).read_text(encoding="utf-8")
    assert [row["cell_id"] for row in csv.DictReader(io.StringIO(text))] == wanted
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    content = Path(xlsx_download.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == wanted
    page.context.close()


def every_page() -> list[str]:
    """Every page of the menu, and the pages reached from them: a cell, a rule set's search
    with rows not classified, a charging station."""
    return [*(entry.path for entry in menu()), "/cells/EX-HSL-10", "/cells/EX-SUL-HE-01",
            "/?ruleset=csae-434-2025", "/charging/stations/CP-B"]


@pytest.mark.parametrize(("locale", "width"), [("en-GB", 390), ("zh-CN", 390), ("en-GB", 1024)])
def test_no_page_is_wider_than_the_screen(browser: Browser, desk: tuple[str, Registry],
                                          locale: str, width: int,
                                          artifacts: Path) -> None:
    """At a phone's 390 px (and a small laptop's 1024), no page scrolls sideways."""
    base, _ = desk
    page = new_page(browser, width=width, locale=locale)
    paths = every_page()
    assert len(paths) >= 10
    wider = {}
    for path in paths:
        page.goto(base + path)
        expect(page.locator("h1").first).to_be_visible()  # /docs: Swagger UI adds its own
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            wider[path] = widths
    assert not wider, f"wider than the screen at {width} px: {wider}"
    page.goto(base + "/")
    row = page.locator("table.desk tbody tr").first
    shown_as = row.evaluate("r => getComputedStyle(r).display")
    assert shown_as == ("block" if width < 600 else "table-row")  # a card on a phone
    page.screenshot(path=artifacts / f"web-desk-{width}-{locale}.png", full_page=True)
    page.context.close()


@pytest.mark.parametrize("width", [1200, 390])
def test_the_desk_passes_axe(browser: Browser, desk: tuple[str, Registry], width: int) -> None:
    base, registry = desk
    registry.reclassify("EX-HSL-10", ruleset="csae-434-2025", actor="test")
    page = new_page(browser, width=width)
    checked = {}
    for path in ("/?sort=rate&dir=desc", "/?ruleset=csae-434-2025&lang=zh"):
        page.goto(base + path)
        checked[path] = axe_violations(page)
    assert not {path: found for path, found in checked.items() if found}
    page.context.close()
