"""The pages in a real browser: Debian's Chromium driven by Playwright against the app served
by uvicorn on a loopback port. Submit a dossier through the form, see the category and the
reasons, open the cell's page, download its PDF report, verify a certificate, audit text.

Screenshots and the downloaded PDF are kept in ``out/test-artifacts/`` (or
``$SOLIDCHECK_TEST_ARTIFACTS``). Every wait is one of Playwright's: for an element, a text,
a download — never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import CHROMIUM, CHROMIUM_ARGS, axe_violations, served
from solidcheck.certificates import certificate_bytes, certify, generate_key, public_key_base64
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).parents[1]
EXAMPLES = REPO / "examples"


@dataclass(frozen=True)
class Site:
    url: str
    registry: Registry
    lab_key: str




@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on uvicorn, in a thread, over a registry holding two examples. The socket is
    listening before the server starts, so the first request simply waits for it."""
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    registry = Registry.open(url, create=True)
    for name in ("semi-solid-marketed.yaml", "sulfide-high-energy.yaml"):
        registry.submit(load_dossier(EXAMPLES / name), actor="test")
    _, lab_key = registry.create_api_key(role="lab", name="browser test", actor="test")
    app = create_app(Settings(database_url=url, secret_key="browser-test-secret"),
                     registry=registry)
    try:
        with served(app) as url:
            yield Site(url, registry, lab_key)
    finally:
        registry.close()




@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="en-GB",
                                  viewport={"width": 1200, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_submit_a_dossier_see_its_reasons_open_its_page_and_download_the_pdf(
        page: Page, site: Site, artifacts: Path) -> None:
    page.goto(f"{site.url}/classify")
    page.set_input_files("#dossier_file", EXAMPLES / "lab" / "cell-s1.yaml")
    page.set_input_files("#oven_log", EXAMPLES / "lab" / "oven-log-s1.csv")
    page.set_input_files("#weighings", EXAMPLES / "lab" / "weighings-s1.csv")
    page.fill("#api_key", site.lab_key)
    page.get_by_role("button", name="Classify", exact=True).click()

    expect(page.get_by_role("heading", name="Result: EX-LAB-S1")).to_be_visible()
    expect(page.locator(".verdict .term")).to_have_text("solid-state battery")
    reasons = page.locator("table", has=page.get_by_role("columnheader", name="Finding"))
    expect(reasons).to_contain_text("weight_loss_limit")
    expect(reasons).to_contain_text("project assumption")
    expect(page.get_by_role("img", name="Bar chart of the weight-loss rate")).to_be_visible()
    page.screenshot(path=artifacts / "web-classify-result.png", full_page=True)

    page.get_by_role("link", name="Open the cell's page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("EX-LAB-S1")
    expect(page.locator(".verdict .term")).to_have_text("solid-state battery")
    expect(page.get_by_role("link", name="oven-log-s1.csv")).to_be_visible()
    page.screenshot(path=artifacts / "web-cell-page.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Report (PDF)", exact=True).click()
    download = download_info.value
    saved = artifacts / "web-cell-report.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert site.registry.get_cell("EX-LAB-S1").evidence


def test_invalid_fields_are_shown_where_they_are_and_nothing_is_stored(
        page: Page, site: Site, artifacts: Path) -> None:
    page.goto(f"{site.url}/classify")
    page.fill("#id", "BROWSER-BAD-1")
    page.check("#phase_solid")
    page.select_option("#solid_type", "oxide")
    page.select_option("#conducting_ion", "lithium")
    page.fill("#wl_temperature_c", "hot")
    page.fill("#specimen_1_before", "50")
    page.fill("#api_key", site.lab_key)
    page.get_by_role("button", name="Classify", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Temperature (°C): not a number")
    expect(summary).to_contain_text("Duration (h): Field required")
    expect(page.locator("#wl_temperature_c")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#wl_temperature_c")).to_have_value("hot")
    page.screenshot(path=artifacts / "web-classify-errors.png", full_page=True)
    summary.get_by_role("link", name="S1 m₁ (g)").click()
    assert page.url.endswith("#specimen_1_after")
    with pytest.raises(LookupError):
        site.registry.get_cell("BROWSER-BAD-1")


def test_verify_a_certificate(page: Page, site: Site, artifacts: Path) -> None:
    key = generate_key()
    data = (EXAMPLES / "sulfide-high-energy.yaml").read_bytes()
    certificate = certificate_bytes(certify(data, key=key, issuer_name="Browser Lab"))
    page.goto(f"{site.url}/verify")
    page.set_input_files("#certificate_file", files=[
        {"name": "cell.cert.json", "mimeType": "application/json", "buffer": certificate}])
    page.fill("#public_key", public_key_base64(key.public_key()))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator(".verdict .term")).to_have_text("Valid: every check passed")
    expect(page.locator(".verdict")).to_contain_text("Browser Lab")
    page.screenshot(path=artifacts / "web-verify-valid.png", full_page=True)

    tampered = certificate.replace(b'"category":"solid_state"', b'"category":"liquid"')
    assert tampered != certificate
    page.fill("#certificate_text", tampered.decode())
    page.fill("#public_key", "")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator(".verdict .term")).to_have_text("NOT valid")
    expect(page.locator("ul.reasons li").first).to_be_visible()
    page.screenshot(path=artifacts / "web-verify-invalid.png", full_page=True)


def test_audit_text_marks_findings_in_place(page: Page, site: Site, artifacts: Path) -> None:
    page.goto(f"{site.url}/audit")
    page.fill("#text", (EXAMPLES / "text" / "press-release-s8.md").read_text("utf-8"))
    page.fill("#cell_id", "EX-HSL-10")
    page.get_by_role("button", name="Audit", exact=True).click()
    marked = page.locator(".audit-text")
    expect(marked.locator("mark.warning", has_text="semi-solid battery").first).to_be_visible()
    expect(marked.locator("mark.error").first).to_be_visible()
    expect(page.locator("#finding-1")).to_be_visible()
    page.screenshot(path=artifacts / "web-audit.png", full_page=True)




def axe_of_files(pages: dict[str, str], folder: Path, *, visible: str | None = None
                 ) -> dict[str, list[str]]:
    """Each self-contained HTML page (a report) written to ``folder``, opened in Chromium and
    checked with axe; ``visible``: a selector each page must show."""
    from playwright.sync_api import sync_playwright

    checked = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            for name, html in pages.items():
                path = folder / f"report-{name}.html"
                path.write_text(html, encoding="utf-8")
                page.goto(path.as_uri())
                if visible is not None:
                    assert page.locator(visible).is_visible(), (name, visible)
                checked[name] = axe_violations(page)
        finally:
            browser.close()
    return checked


def test_pages_pass_axe(page: Page, site: Site) -> None:
    checked = {}
    for path in ("/", "/cells/EX-HSL-10", "/cells/EX-SUL-HE-01?lang=zh", "/glossary?lang=zh",
                 "/classify", "/verify", "/audit"):
        page.goto(f"{site.url}{path}")
        checked[path] = axe_violations(page)
    page.goto(f"{site.url}/classify")
    page.fill("#wl_temperature_c", "hot")
    page.get_by_role("button", name="Classify", exact=True).click()
    expect(page.locator("#error-summary")).to_be_visible()
    checked["/classify with errors"] = axe_violations(page)
    page.goto(f"{site.url}/audit")
    page.fill("#text", "A semi-solid battery. 一款半固态电池，10万次循环。")
    page.get_by_role("button", name="Audit", exact=True).click()
    expect(page.locator(".audit-text mark").first).to_be_visible()
    checked["/audit with findings"] = axe_violations(page)
    assert not {path: found for path, found in checked.items() if found}


def test_the_browsers_language_chooses_chinese(browser: Browser, site: Site,
                                               artifacts: Path) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        chinese = context.new_page()
        chinese.goto(f"{site.url}/cells/EX-HSL-10")
        expect(chinese.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(chinese.locator(".verdict .term")).to_have_text("混合固液电池")
        chinese.screenshot(path=artifacts / "web-cell-page-zh.png", full_page=True)
        chinese.get_by_role("link", name="English").click()
        expect(chinese.locator("html")).to_have_attribute("lang", "en")
        expect(chinese.locator(".verdict .term")).to_have_text("hybrid solid-liquid battery")
    finally:
        context.close()
