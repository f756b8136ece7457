"""The monitoring page's "Ports at risk" in a real Chromium against the app on a real uvicorn,
with a model trained here on a small synthetic network (tests/risk_network.py): English and
Chinese, at phone width without horizontal overflow, and axe finds no WCAG A/AA violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import axe_violations
from ocpp_station import running_server
from risk_network import build
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from test_browser_charging import no_horizontal_overflow, open_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def risk_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The served app's http base and the top station's id."""
    folder = tmp_path_factory.mktemp("risk-browser")
    network = build(folder)
    with Registry.open(f"sqlite:///{folder / 'registry.sqlite3'}", create=True) as registry:
        for station in network.stations:
            registry.add_station(station, actor="test")
        app = create_app(Settings(database_url=registry.url, ocpp_log_dir=network.frames,
                                  secret_key="browser-test-secret", risk_model=network.model),
                         registry=registry)
        # scored before serving, so the first view has the list (the server scores again)
        app.state.risk.state = app.state.risk.compute(datetime.now(UTC))
        assert app.state.risk.state.status == "ready"
        top = app.state.risk.state.listing["ports"][0]["station_id"]
        with running_server(app) as base:
            yield base.replace("ws://", "http://"), top


@pytest.mark.parametrize(("locale", "width", "heading"),
                         [("en-GB", 1200, "Ports at risk"), ("zh-CN", 390, "故障风险端口")])
def test_the_section_renders_in_both_languages_without_overflow(
        browser: Browser, risk_site: tuple[str, str], artifacts: Path,
        locale: str, width: int, heading: str) -> None:
    http, top = risk_site
    page = open_page(browser, f"{http}/charging", locale=locale, width=width)
    expect(page.locator("#risk-h")).to_have_text(heading)
    rows = page.locator("table.risk-list tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == 10  # the rule set's crew_ports_per_day
    assert no_horizontal_overflow(page)
    assert not axe_violations(page)
    page.locator("section.risk").screenshot(path=artifacts / f"web-charging-risk-{locale}.png")
    page.locator("table.risk-list a", has_text=top).first.click()
    expect(page.locator(".live[data-live='on']")).to_be_attached()
    expect(page.locator("table.risk-list tbody tr").first).to_be_visible()
    assert no_horizontal_overflow(page)
    assert not axe_violations(page)
    page.context.close()
