"""Evidence in a real browser (issue 20, items 4 and 8): a cell typed into the classify form
with a decimal comma ("48,2311") is classified, and with the oven log added the result shows
the log's curves with the qualifying hold shaded. Debian's Chromium, driven by Playwright,
against the app on uvicorn (the fixtures of test_browser_web.py); waits are Playwright's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser_support import axe_violations
from solidcheck.plotting import HOLD
from test_browser_web import (  # noqa: F401
    EXAMPLES,
    Site,
    page,
    site,
)

pytestmark = pytest.mark.browser


def test_classify_with_a_decimal_comma_then_see_the_oven_curve(
        page: Page, site: Site, artifacts: Path) -> None:  # noqa: F811
    page.goto(f"{site.url}/classify")
    page.fill("#id", "BROWSER-COMMA-1")
    page.check("#phase_solid")
    page.select_option("#solid_type", "oxide")
    page.select_option("#conducting_ion", "lithium")
    page.select_option("#application", "high_energy")
    page.fill("#wl_temperature_c", "120,0")
    page.fill("#wl_duration_h", "6")
    page.fill("#wl_pressure_pa", "50")
    page.select_option("#wl_visible_liquid", "no")
    page.fill("#wl_balance_resolution_mg", "0,1")
    page.fill("#specimen_1_before", "48,2311")
    page.fill("#specimen_1_after", "48,2102")
    page.get_by_role("button", name="Classify", exact=True).click()

    expect(page.get_by_role("heading", name="Result: BROWSER-COMMA-1")).to_be_visible()
    expect(page.locator(".verdict .term")).to_have_text("solid-state battery")
    wl_table = page.locator("table", has=page.get_by_role("columnheader", name="Specimen"))
    expect(wl_table.get_by_role("cell", name="48.2311", exact=True)).to_be_visible()
    oven = page.locator("section.oven-evidence")
    expect(oven).to_contain_text("No oven log")

    # the form below the result keeps what was typed: add the oven log and classify again
    expect(page.locator("#specimen_1_before")).to_have_value("48,2311")
    page.set_input_files("#oven_log", EXAMPLES / "lab" / "oven-log-s1.csv")
    page.get_by_role("button", name="Classify", exact=True).click()

    expect(page.get_by_role("heading", name="Result: BROWSER-COMMA-1")).to_be_visible()
    expect(page.locator(".verdict .term")).to_have_text("solid-state battery")
    figure = page.locator("section.oven-evidence figure svg.plot")
    expect(figure).to_be_visible()
    expect(figure.locator("title")).to_contain_text("qualifying hold")
    assert figure.locator(f"path[style*='{HOLD}']").count() >= 2  # shaded in every panel
    box = figure.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200  # drawn, not empty
    page.screenshot(path=str(artifacts / "classify-oven-curve.png"), full_page=True)
    assert not axe_violations(page)  # the figure and its caption pass WCAG 2 A/AA
