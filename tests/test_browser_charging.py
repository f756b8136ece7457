"""The live monitoring page in a real Chromium against the app on a real uvicorn, a station on a
real WebSocket: what the station says reaches the already-open page without a reload (the
page's event stream and its script), in English and Chinese, at phone width, and axe finds no
WCAG A/AA violation. Every wait is Playwright's own (a hang guard, never a measure)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import axe_violations
from ocpp_station import ask, connect, running_server
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from test_charging_endpoint import add_station

pytestmark = pytest.mark.browser

BOOT = [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]


def status(message_id: str, connector: int, state: str, error: str = "NoError") -> list[object]:
    return [2, message_id, "StatusNotification", {"connectorId": connector, "errorCode": error,
                                                  "status": state}]


@pytest.fixture
def live_site(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The served app (http base, ws base) and the password of station CP-B."""
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    password = add_station(database, "CP-B")
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames",
                                  secret_key="browser-test-secret"), registry=registry)
        with running_server(app) as base:
            yield base.replace("ws://", "http://"), base, password


def open_page(browser: Browser, url: str, *, locale: str = "en-GB",
              width: int = 1200) -> Page:
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".live[data-live='on']")).to_be_attached()  # the stream is open
    return page


def no_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_a_fault_and_a_closed_socket_reach_the_open_page(
        browser: Browser, live_site: tuple[str, str, str], artifacts: Path) -> None:
    http, ws_base, password = live_site
    page = open_page(browser, f"{http}/charging")
    card = page.locator(".station[data-station='CP-B']")
    expect(card.locator(".connection-word")).to_have_text("offline")
    expect(page.locator(".no-alerts")).to_be_visible()

    ws = connect(ws_base, "CP-B", password)
    ask(ws, BOOT)
    ask(ws, status("2", 1, "Available"))
    port = card.locator(".port[data-port='CP-B:1']")
    expect(port).to_have_class("port st-available")
    expect(card.locator(".connection-word")).to_have_text("connected")

    ask(ws, status("3", 1, "Faulted", "GroundFailure"))
    expect(port).to_have_class("port st-faulted")
    expect(port.locator(".port-state")).to_have_text("faulted")
    row = page.locator("tr.alert", has_text="fault at CP-B:1")
    expect(row).to_be_visible()
    expect(row).to_contain_text("to acknowledge")
    expect(page.locator(".no-alerts")).to_be_hidden()
    assert not axe_violations(page)
    page.screenshot(path=artifacts / "web-charging-live.png", full_page=True)

    ws.close()
    expect(card.locator(".connection-word")).to_have_text("offline")
    expect(port).to_have_class("port st-offline")
    expect(page.locator("tr.alert", has_text="CP-B offline")).to_be_visible()
    page.context.close()


def test_chinese_phone_width_and_the_station_page(
        browser: Browser, live_site: tuple[str, str, str], artifacts: Path) -> None:
    http, ws_base, password = live_site
    ws = connect(ws_base, "CP-B", password)
    ask(ws, BOOT)
    ask(ws, status("2", 1, "Available"))
    ask(ws, status("3", 2, "Faulted", "GroundFailure"))
    page = open_page(browser, f"{http}/charging", locale="zh-CN", width=390)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("充电桩实时监控")
    expect(page.locator(".port[data-port='CP-B:2'] .port-state")).to_have_text("故障")
    expect(page.locator("tr.alert", has_text="CP-B:2 故障")).to_be_visible()
    assert no_horizontal_overflow(page)
    assert not axe_violations(page)
    page.screenshot(path=artifacts / "web-charging-live-zh-390.png", full_page=True)

    page.get_by_role("link", name="CP-B").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("充电桩 CP-B")
    expect(page.locator("svg.timeline")).to_have_count(2)
    expect(page.locator(".live[data-live='on']")).to_be_attached()
    assert no_horizontal_overflow(page)
    assert not axe_violations(page)
    page.screenshot(path=artifacts / "web-charging-station-zh-390.png", full_page=True)

    ask(ws, status("4", 2, "Available"))  # the fault clears: its row leaves the open page
    expect(page.locator("tr.alert")).to_have_count(0)
    expect(page.locator(".port[data-port='CP-B:2'] .port-state")).to_have_text("空闲")
    ws.close()
    page.context.close()
