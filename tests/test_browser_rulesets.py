"""The cell page's rule sets side by side, in a real browser (issue 20): Debian's Chromium
driven by Playwright against the app on uvicorn. A cell shows its category under every
installed rule set; one not classified under a rule set says so, and a lab's key
reclassifies it from the page. Every wait is Playwright's own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from browser_support import served
from conftest import only_rulesets_installed
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).parents[1]
EXAMPLES = REPO / "examples"
NATIONAL, CSAE = "gbt-ssb-1-2026", "csae-434-2025"


@dataclass(frozen=True)
class Site:
    url: str
    registry: Registry
    lab_key: str
    reader_key: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on uvicorn over a registry of the lab's cells: EX-SUL-07 under both rule sets,
    EX-HSL-10 and EX-CMP-05 stored as if CSAE's rule set were installed only afterwards."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'registry.sqlite3'}"
    registry = Registry.open(url, create=True)
    lab, lab_key = registry.create_api_key(role="lab", name="browser lab", actor="test")
    _, reader_key = registry.create_api_key(role="reader", name="browser reader", actor="test")
    registry.submit(load_dossier(EXAMPLES / "between-the-limits.yaml"), actor="test",
                    lab=lab.organisation)
    with only_rulesets_installed(NATIONAL):
        for name in ("semi-solid-marketed.yaml", "composite-no-visual-check.yaml"):
            registry.submit(load_dossier(EXAMPLES / name), actor="test", lab=lab.organisation)
    app = create_app(Settings(database_url=url, secret_key="browser-test-secret"),
                     registry=registry)
    try:
        with served(app) as base:
            yield Site(base, registry, lab_key, reader_key)
    finally:
        registry.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def _cell(page: Page, ruleset_id: str) -> Locator:
    return page.locator(f"#rulesets td[data-ruleset='{ruleset_id}']")


def test_a_cell_shows_its_category_under_each_rule_set(page: Page, site: Site,
                                                       artifacts: Path) -> None:
    page.goto(f"{site.url}/cells/EX-SUL-07")
    table = page.get_by_role("table", name="Under each rule set")
    expect(table.get_by_role("columnheader", name=NATIONAL)).to_be_visible()
    expect(table.get_by_role("columnheader", name=CSAE)).to_be_visible()
    expect(_cell(page, NATIONAL)).to_have_text("hybrid solid-liquid battery")
    expect(_cell(page, CSAE)).to_have_text("solid-state battery")
    expect(table.get_by_role("row", name="margin to the limit")).to_contain_text("-0.3 %")
    expect(page.locator("#reclassify-form")).to_have_count(0)  # nothing is missing
    page.screenshot(path=artifacts / "web-cell-rulesets.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table fits
    assert table.evaluate("t => t.getBoundingClientRect().right <= window.innerWidth")
    page.screenshot(path=artifacts / "web-cell-rulesets-390.png")


def test_a_lab_key_reclassifies_a_cell_from_its_page(page: Page, site: Site,
                                                     artifacts: Path) -> None:
    page.goto(f"{site.url}/cells/EX-HSL-10")
    missing = _cell(page, CSAE)
    expect(missing).to_have_text(f"Not classified under {CSAE} yet.")
    button = page.get_by_role("button", name=f"Reclassify under {CSAE}")

    page.fill("#api_key", site.reader_key)  # a key that may only read: refused, at its field
    button.click()
    expect(page.get_by_role("alert")).to_contain_text("This key may only read")
    expect(page.locator("#api_key")).to_have_attribute("aria-invalid", "true")
    assert {r.ruleset for r in site.registry.get_cell("EX-HSL-10").results} == {NATIONAL}

    page.fill("#api_key", site.lab_key)
    page.get_by_role("button", name=f"Reclassify under {CSAE}").click()
    expect(_cell(page, CSAE)).to_have_text("hybrid solid-liquid battery")
    expect(page.locator("#reclassify-form")).to_have_count(0)
    page.screenshot(path=artifacts / "web-cell-reclassified.png", full_page=True)
    assert {r.ruleset for r in site.registry.get_cell("EX-HSL-10").results} == {NATIONAL, CSAE}
    assert site.registry.verify_chain().valid


def test_the_side_by_side_view_in_chinese(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/cells/EX-CMP-05?lang=zh")
    expect(page.get_by_role("heading", name="各规则集下的分类")).to_be_visible()
    expect(_cell(page, CSAE)).to_have_text(f"尚未按 {CSAE} 分类。")
    expect(page.get_by_role("button", name=f"按 {CSAE} 重新分类")).to_be_visible()
