"""The live monitoring page as the server draws it (issue 17 item 5): stations with their ports
by state, open alerts against their SLA tier, today's figures by part I's engine over the
endpoint's frame log, a station's 24-hour timeline, both languages, 404 for an unknown
station. The hub is fed the frames the endpoint would hand it (the real-server path is in
tests/test_browser_charging.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from solidcheck.charging.frame_log import FrameLog, LoggedFrame
from solidcheck.charging.monitor import sla_standing, today_figures
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

with warnings.catch_warnings():
    # Starlette deprecates its httpx-based client in favour of httpx2, not installed here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, Any, Path]]:
    with Registry.open(database_url, create=True) as registry:
        registry.add_station("CP-A", actor="test", name="Depot north")
        registry.add_station("CP-B", actor="test")
        app = create_app(Settings(database_url=database_url, ocpp_log_dir=tmp_path / "frames"),
                         registry=registry)
        with TestClient(app) as client:
            yield client, app, tmp_path / "frames"


def log_a_fault(folder: Path, *, at: datetime) -> list[LoggedFrame]:
    """CP-A boots, port 1 available, then faulted, logged as the endpoint logs it."""
    log = FrameLog(folder)
    sent = [("in", [2, "1", "BootNotification", {"chargePointVendor": "V",
                                                  "chargePointModel": "M"}]),
            ("out", [3, "1", {"status": "Accepted", "currentTime": at.isoformat(),
                              "interval": 3600}]),
            ("in", [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                   "status": "Available"}]),
            ("out", [3, "2", {}]),
            ("in", [2, "3", "StatusNotification", {"connectorId": 1,
                                                   "errorCode": "GroundFailure",
                                                   "status": "Faulted"}]),
            ("out", [3, "3", {}])]
    logged = [LoggedFrame(at + timedelta(seconds=n), "CP-A", direction, frame, "1.6")
              for n, (direction, frame) in enumerate(sent)]
    for frame in logged:
        log.append(frame)
    log.close()
    return logged


def frames_of_a_fault(app: Any, folder: Path, *, at: datetime) -> None:
    """:func:`log_a_fault`, each frame also handed to the hub as the endpoint hands it."""
    app.state.ocpp.connected["CP-A"] = "ocpp1.6"
    app.state.live.on_link("CP-A", "connected")
    for frame in log_a_fault(folder, at=at):
        app.state.live.on_frame(frame)


def test_every_registered_station_is_listed_offline_before_it_connects(
        site: tuple[TestClient, Any, Path]) -> None:
    client, _, _ = site
    page = client.get("/charging")
    assert page.status_code == 200
    assert 'data-station="CP-A"' in page.text and 'data-station="CP-B"' in page.text
    assert "Depot north" in page.text
    assert page.text.count('class="connection off"') == 2
    assert "not measurable yet" in page.text and "No open alert." in page.text
    assert '<a href="/charging" aria-current="page">Charging live</a>' in page.text
    assert '<script src="/static/charging.js" defer></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_faulted_port_its_alert_and_todays_figures(
        site: tuple[TestClient, Any, Path]) -> None:
    client, app, folder = site
    frames_of_a_fault(app, folder, at=datetime.now(UTC) - timedelta(minutes=10))
    page = client.get("/charging").text
    assert 'class="port st-faulted" data-port="CP-A:1"' in page
    assert '<span class="port-state">faulted</span>' in page
    assert "<code class=\"port-code\">GroundFailure</code>" in page
    assert 'class="connection on"' in page and page.count('class="connection off"') == 1
    assert "fault at CP-A:1" in page
    assert "of the 1 h to acknowledge" in page  # the rule set's tier of a fault (major)
    assert "port down" in page
    # part I's figures over the same log: 2 s available of the 10 min since boot
    figures = today_figures(folder, RULESET, now=datetime.now(UTC))["CP-A"]
    assert figures.availability_percent is not None and figures.success_percent is None
    assert 0 < figures.availability_percent < 1
    assert f"<dd>{figures.availability_percent:.1f} %</dd>" in page
    assert page.count("not measurable yet") == 3  # CP-A's success, CP-B's two figures


def test_a_fault_opens_a_ticket_shown_with_its_sla_on_both_pages(
        site: tuple[TestClient, Any, Path]) -> None:
    client, app, folder = site
    assert "No open ticket" in client.get("/charging").text
    frames_of_a_fault(app, folder, at=datetime.now(UTC) - timedelta(minutes=10))
    (ticket,) = app.state.tickets.desk.live_tickets()
    assert ticket.port_id == "CP-A:1"
    for path in ("/charging", "/charging/stations/CP-A"):
        page = client.get(path).text
        row = page[page.index(f'data-ticket="{ticket.id}"'):]
        row = row[:row.index("</tr>")]
        assert "CP-A:1" in row and "opened" in row and "of the 1 h to acknowledge" in row
    assert 'data-ticket=' not in client.get("/charging/stations/CP-B").text
    zh = client.get("/charging?lang=zh").text
    assert "未完结工单" in zh and f'data-ticket="{ticket.id}"' in zh


def test_the_page_in_chinese(site: tuple[TestClient, Any, Path]) -> None:
    client, app, folder = site
    frames_of_a_fault(app, folder, at=datetime.now(UTC) - timedelta(minutes=10))
    page = client.get("/charging", headers={"Accept-Language": "zh-CN"}).text
    assert '<html lang="zh-CN">' in page
    for words in ("充电桩实时监控", "未关闭告警", "CP-A:1 故障", "故障", "在线", "离线",
                  "今日服务可用率", "尚无法计算", "单枪停运", "已用确认时限 1 小时"):
        assert words in page, words
    station = client.get("/charging/stations/CP-A?lang=zh").text
    assert "充电桩 CP-A" in station and "最近 24 小时各枪状态" in station
    assert "月" in station and "UTC" in station


def test_a_station_page_has_its_timeline_alerts_and_figures(
        site: tuple[TestClient, Any, Path]) -> None:
    client, app, folder = site
    frames_of_a_fault(app, folder, at=datetime.now(UTC) - timedelta(minutes=10))
    page = client.get("/charging/stations/CP-A")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Station CP-A</h1>" in text
    assert '<svg class="timeline"' in text and 'class="seg st-faulted"' in text
    assert 'class="seg st-available"' in text
    assert "States of port CP-A:1 over the last 24 hours" in text
    assert "fault at CP-A:1" in text
    other = client.get("/charging/stations/CP-B").text
    assert "fault at CP-A:1" not in other  # a station's page shows its own alerts only
    assert "No state recorded in the frame logs of the last 24 hours." in other


def test_an_unknown_station_is_a_404_page(site: tuple[TestClient, Any, Path]) -> None:
    client, _, _ = site
    page = client.get("/charging/stations/NO-SUCH")
    assert page.status_code == 404
    assert "No station NO-SUCH is registered here" in page.text
    assert "未找到充电桩" in client.get("/charging/stations/NO-SUCH?lang=zh").text


def test_sla_standing_takes_the_tier_of_the_severity() -> None:
    tiers = RULESET.rules.sla_tiers.tiers if RULESET.rules.sla_tiers else []
    due = sla_standing("critical", tiers, age_s=15 * 60, acknowledged=False)
    assert due is not None and due.step == "acknowledge" and due.overdue
    fixing = sla_standing("critical", tiers, age_s=15 * 60, acknowledged=True)
    assert fixing is not None and fixing.step == "resolve" and not fixing.overdue
    assert sla_standing("no-such", tiers, age_s=1, acknowledged=False) is None


def test_todays_figures_are_computed_once_per_refresh_in_a_worker_thread() -> None:
    import asyncio
    import threading

    from solidcheck.web.pages.charging_views import Fresh

    threads: list[int] = []

    def compute() -> dict[str, int]:
        threads.append(threading.get_ident())
        return {"calls": len(threads)}

    async def views() -> list[dict[str, int]]:
        fresh = Fresh(compute, {}, max_age_s=60.0)
        together = await asyncio.gather(fresh.get(), fresh.get(), fresh.get())
        return [*together, await fresh.get()]

    seen = asyncio.run(views())
    assert seen == [{"calls": 1}] * 4  # three views at once and one after share one run
    assert threads != [threading.get_ident()]  # not on the event loop's thread

    async def stale_views() -> list[dict[str, int]]:
        fresh = Fresh(compute, {}, max_age_s=0.0)  # always due again
        first = await fresh.get()
        meanwhile = await fresh.get()  # answered with the last value; a new run started
        running = fresh._running
        assert running is not None
        await running
        return [first, meanwhile, await fresh.get()]

    threads.clear()
    assert asyncio.run(stale_views()) == [{"calls": 1}, {"calls": 1}, {"calls": 2}]


def test_with_public_reads_off_the_stations_are_not_shown(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with Registry.open(database, create=True) as registry:
        registry.add_station("CP-A", actor="test")
        app = create_app(Settings(database_url=database, public_reads=False,
                                  ocpp_log_dir=tmp_path / "frames"), registry=registry)
        with TestClient(app) as client:
            for path in ("/charging", "/charging/stations/CP-A", "/charging/events"):
                answer = client.get(path)
                assert answer.status_code == 403, path
                assert "CP-A" not in answer.text or path.endswith("CP-A")


def test_the_event_stream_starts_with_the_state_and_lets_go_when_the_client_leaves(
        tmp_path: Path) -> None:
    """Real uvicorn: the stream's first events are the state as it is; a client that closes
    its connection leaves no subscription behind."""
    import json
    import time

    import httpx

    from ocpp_station import ask, connect, running_server

    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with Registry.open(database, create=True) as registry:
        _, password = registry.add_station("CP-A", actor="test")
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames"),
                         registry=registry)
        with running_server(app) as base:
            station = connect(base, "CP-A", password)
            ask(station, [2, "1", "BootNotification", {"chargePointVendor": "V",
                                                       "chargePointModel": "M"}])
            ask(station, [2, "2", "StatusNotification", {"connectorId": 1, "status": "Faulted",
                                                         "errorCode": "GroundFailure"}])
            url = base.replace("ws://", "http://") + "/charging/events?lang=zh"
            events: list[tuple[str, dict[str, Any]]] = []
            listening = []
            others = app.state.live.bus.subscribers, app.state.live.states.subscribers
            with httpx.stream("GET", url, timeout=30) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                name = ""
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        events.append((name, json.loads(line.removeprefix("data: "))))
                        listening.append(app.state.live.bus.subscribers)
                    if name == "alert" and events and events[-1][0] == "alert":
                        break  # closes the connection
            assert listening[-1] == others[0] + 1
            ports = [data for kind, data in events if kind == "state" and data["port_id"]]
            assert ports[-1]["port"]["state"] == "faulted"
            assert ports[-1]["port"]["label"] == "故障"
            open_ids = next(data["ids"] for kind, data in events if kind == "open_alerts")
            seen = next(data["stations"] for kind, data in events if kind == "seen")
            assert datetime.fromisoformat(seen["CP-A"]) > datetime.now(UTC) - timedelta(hours=1)
            raised = events[-1][1]
            assert raised["id"] in open_ids and "CP-A:1 故障" in raised["html"]
            deadline = time.monotonic() + 20  # a hang guard
            while (app.state.live.bus.subscribers, app.state.live.states.subscribers) != others:
                assert time.monotonic() < deadline, "the stream kept its subscriptions"
                time.sleep(0.02)
            station.close()


def test_a_log_read_once_is_read_again_when_it_grows(tmp_path: Path) -> None:
    from solidcheck.charging.monitor import LogTables, port_timelines

    folder, logs = tmp_path / "frames", LogTables()
    now = datetime.now(UTC)
    log = FrameLog(folder)
    log.append(LoggedFrame(now - timedelta(minutes=5), "CP-A", "in", [
        2, "1", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                       "status": "Faulted"}], "1.6"))
    log.sync()
    before = port_timelines(folder, RULESET, now=now, logs=logs)
    assert before["CP-A:1"][-1].state == "faulted"
    log.append(LoggedFrame(now - timedelta(minutes=1), "CP-A", "in", [
        2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                       "status": "Available"}], "1.6"))
    log.close()
    after = port_timelines(folder, RULESET, now=now, logs=logs)
    assert [s.state for s in after["CP-A:1"]][-2:] == ["faulted", "available"]


def test_todays_figures_are_those_of_the_metrics_command_over_the_same_log(
        tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from solidcheck.charging.frame_log import day_file
    from solidcheck.charging.monitor import day_start
    from solidcheck.cli import app as cli_app

    day = day_start(datetime.now(UTC))
    log_a_fault(tmp_path, at=day + timedelta(hours=1))
    now = day + timedelta(hours=1, minutes=30)
    shown = today_figures(tmp_path, RULESET, now=now)["CP-A"]
    result = CliRunner().invoke(cli_app, [
        "charging", "metrics", str(day_file(tmp_path, day)), "--from", day.isoformat(),
        "--to", now.isoformat(), "--ruleset", RULESET.id, "--format", "json"])
    assert result.exit_code == 0, result.output
    station = next(s for s in json.loads(result.output)["stations"] if s["station_id"] == "CP-A")
    assert shown.availability_percent == station["service_availability_percent"]
    assert shown.availability_percent is not None and shown.availability_percent > 0
    assert station["session_success"].get(RULESET.id, {}).get("rate_percent") is None
    assert shown.success_percent is None


def test_a_first_computation_that_takes_long_leaves_the_page_saying_so() -> None:
    import asyncio
    import threading

    from solidcheck.web.pages.charging_views import Fresh

    release = threading.Event()

    def slow() -> dict[str, int]:
        assert release.wait(30), "never released"  # a hang guard
        return {"done": 1}

    async def views() -> tuple[object, object]:
        fresh = Fresh(slow, {}, max_age_s=60.0)
        early = await fresh.get(wait_s=0)  # the computation has not finished: no value yet
        release.set()
        return early, await fresh.get()

    assert asyncio.run(views()) == (None, {"done": 1})


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_no_english_word_on_the_chinese_pages(site: tuple[TestClient, Any, Path],
                                              lang: str) -> None:
    """A scan of the rendered text (tests/language_scan.py): ids and codes (the cited command
    in <code>) aside, every word is Chinese."""
    from language_scan import english_words, visible_text

    client, app, folder = site
    frames_of_a_fault(app, folder, at=datetime.now(UTC) - timedelta(minutes=10))
    allowed = {"CP", "A", "B", "UTC", "solidcheck", "Depot", "north"}
    for path in ("/charging", "/charging/stations/CP-A", "/charging/stations/CP-B",
                 "/charging/stations/NO-SUCH"):
        page = client.get(f"{path}?lang={lang}").text
        found = english_words(visible_text(page), allowed | {"NO", "SUCH"})
        assert not found, (path, sorted(found))


def test_an_acknowledged_alert_is_measured_against_its_time_to_resolve(
        site: tuple[TestClient, Any, Path]) -> None:
    client, app, folder = site
    frames_of_a_fault(app, folder, at=datetime.now(UTC) - timedelta(minutes=10))
    before = client.get("/charging").text
    assert "to acknowledge" in before and "(acknowledged)" not in before
    fault = next(a for a in app.state.live.engine.open_alerts() if a.kind == "fault")
    app.state.live.acknowledge(fault.id, at=datetime.now(UTC))
    after = client.get("/charging").text
    row = after[after.index(f'data-alert="{fault.id}"'):]
    row = row[:row.index("</tr>")]
    assert "(acknowledged)" in row
    assert "of the 24 h to resolve" in row and "to acknowledge" not in row
