"""The live alerts in the registry and over HTTP (issue 17 items 2 and 3): a fault sent over a
real WebSocket is a row, a list entry and a Server-Sent Event; a client that reconnects with
Last-Event-ID receives what it missed; an alert open before a restart is resolved after it,
not raised twice. Real uvicorn on loopback, real WebSockets, real httpx streams."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocpp_station import ask, connect, running_server
from solidcheck.charging.frame_log import day_file
from solidcheck.charging.live import Alert
from solidcheck.registry import Registry
from solidcheck.registry.store.live import LiveBatch
from solidcheck.web import Settings, create_app
from test_charging_endpoint import add_station

#: a hang guard for reading a stream, never a measure of speed
READ_LIMIT_S = 20.0
BOOT = {"chargePointVendor": "Vendor-X", "chargePointModel": "Model-Y",
        "firmwareVersion": "1.2.3"}


@contextmanager
def serving(database: str, tmp_path: Path, **settings: Any) -> Iterator[str]:
    """A server as ``solidcheck serve`` builds it; yields its ``http://`` base URL."""
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames",
                                  **settings), registry=registry)
        with running_server(app) as base:
            yield base.replace("ws://", "http://")


def events(response: httpx.Response) -> Iterator[dict[str, str]]:
    """The stream's events as field → value; a comment as ``{"comment": text}``."""
    event: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if event:
                yield event
            event = {}
        elif line.startswith(":"):
            yield {"comment": line[1:].strip()}
        else:
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


def next_event(stream: Iterator[dict[str, str]]) -> dict[str, str]:
    return next(event for event in stream if "comment" not in event)


def status(ws: Any, message_id: str, connector: int, state: str,
           error: str = "NoError") -> None:
    answer = ask(ws, [2, message_id, "StatusNotification",
                      {"connectorId": connector, "status": state, "errorCode": error}])
    assert answer[:2] == [3, message_id]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


def test_a_fault_is_streamed_stored_and_listed_in_both_languages(
        sqlite_url: str, tmp_path: Path) -> None:
    password = add_station(sqlite_url, "CP-A")
    with serving(sqlite_url, tmp_path) as base, httpx.Client(base_url=base) as client, \
            client.stream("GET", "/v1/charging/alerts/stream", params={"station": "CP-A"},
                          timeout=READ_LIMIT_S) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        ws = connect(base.replace("http://", "ws://"), "CP-A", password)
        ask(ws, [2, "b", "BootNotification", BOOT])
        status(ws, "s1", 1, "Faulted", "GroundFailure")
        raised = next_event(stream)
        assert raised["event"] == "raised" and raised["id"].isdigit()
        alert = httpx.Response(200, content=raised["data"]).json()
        assert (alert["kind"], alert["port_id"], alert["code"]) == ("fault", "CP-A:1",
                                                                    "GroundFailure")
        assert alert["status"] == "open"
        assert alert["title_en"] == "fault at CP-A:1" and "CP-A:1" in alert["title_zh"]
        assert alert["title_zh"] != alert["title_en"]
        page = client.get("/v1/charging/alerts", params={"status": "open",
                                                         "kind": "fault"}).json()
        assert page["total"] == 1 and page["items"][0]["id"] == alert["id"]
        assert page["items"][0]["evidence"][0]["frame"][2] == "StatusNotification"
        one = client.get(f"/v1/charging/alerts/{alert['id']}")
        assert one.status_code == 200 and one.json()["title_zh"] == alert["title_zh"]
        missing = client.get("/v1/charging/alerts/0123456789abcdef")
        assert missing.status_code == 404
        assert missing.json()["message"] == "no charging alert '0123456789abcdef'"
        status(ws, "s2", 1, "Available")
        resolved = next_event(stream)
        assert resolved["event"] == "resolved" and int(resolved["id"]) > int(raised["id"])
        assert httpx.Response(200, content=resolved["data"]).json()["status"] == "resolved"
        ws.close()


def test_a_client_reconnecting_with_last_event_id_receives_what_it_missed(
        sqlite_url: str, tmp_path: Path) -> None:
    password = add_station(sqlite_url, "CP-B")
    with serving(sqlite_url, tmp_path) as base, httpx.Client(base_url=base) as client:
        ws = connect(base.replace("http://", "ws://"), "CP-B", password)
        ask(ws, [2, "b", "BootNotification", BOOT])
        with client.stream("GET", "/v1/charging/alerts/stream",
                           timeout=READ_LIMIT_S) as response:
            stream = events(response)
            status(ws, "s1", 1, "Faulted", "GroundFailure")
            seen = next_event(stream)
        status(ws, "s2", 1, "Available")  # while no one listens
        status(ws, "s3", 2, "Faulted", "HighTemperature")
        for how in ({"headers": {"Last-Event-ID": seen["id"]}},
                    {"params": {"last_event_id": seen["id"]}}):
            with client.stream("GET", "/v1/charging/alerts/stream", timeout=READ_LIMIT_S,
                               **how) as response:  # type: ignore[arg-type]
                stream = events(response)
                missed = [next_event(stream), next_event(stream)]
            assert [e["event"] for e in missed] == ["resolved", "raised"]
            assert [httpx.Response(200, content=e["data"]).json()["port_id"]
                    for e in missed] == ["CP-B:1", "CP-B:2"]
            assert int(seen["id"]) < int(missed[0]["id"]) < int(missed[1]["id"])
        with client.stream("GET", "/v1/charging/alerts/stream", timeout=READ_LIMIT_S,
                           params={"port": "CP-B:2", "status": "open"},
                           headers={"Last-Event-ID": "0"}) as response:
            only = next_event(events(response))  # the filters apply to the replay too
        assert (only["event"], only["id"]) == ("raised", missed[1]["id"])
        ws.close()


def test_an_idle_stream_gets_comment_heartbeats(sqlite_url: str, tmp_path: Path) -> None:
    with serving(sqlite_url, tmp_path, sse_heartbeat_s=0.05) as base, \
            httpx.stream("GET", f"{base}/v1/charging/alerts/stream",
                         timeout=READ_LIMIT_S) as response:
        comments = (e["comment"] for e in events(response) if "comment" in e)
        assert next(comments) == "solidcheck alert stream"
        assert next(comments) == "keep-alive"


def test_bad_filters_are_one_422_listing_every_problem(sqlite_url: str,
                                                       tmp_path: Path) -> None:
    with serving(sqlite_url, tmp_path) as base, httpx.Client(base_url=base) as client:
        answer = client.get("/v1/charging/alerts", params={
            "kind": "smoke", "status": "closed", "severity": "dire", "station": "a/b",
            "since": "2026-06-02", "until": "2026-06-01", "limit": "501", "cursor": "!!"})
        assert answer.status_code == 422
        paths = [p["path"] for p in answer.json()["problems"]]
        assert paths == ["query.kind", "query.status", "query.severity", "query.station",
                         "query.since", "query.limit", "query.cursor"]
        assert all(p["fix"] for p in answer.json()["problems"])
        bad_time = client.get("/v1/charging/alerts", params={"until": "yesterday"})
        assert [p["path"] for p in bad_time.json()["problems"]] == ["query.until"]
        stream = client.get("/v1/charging/alerts/stream", params={"kind": "smoke"},
                            headers={"Last-Event-ID": "x"})
        assert stream.status_code == 422
        assert [p["path"] for p in stream.json()["problems"]] == ["query.kind",
                                                                  "header.Last-Event-ID"]


def _alert(n: int, *, station: str, kind: str = "fault", resolved: bool = False) -> Alert:
    raised = datetime(2026, 6, 1, 8, tzinfo=UTC) + timedelta(minutes=n // 2)  # pairs tie
    return Alert(id=f"{n:016x}", kind=kind, severity="major",  # type: ignore[arg-type]
                 station_id=station, port_id=f"{station}:1", raised_at=raised,
                 evidence=[{"n": n}], resolved_at=raised + timedelta(seconds=5)
                 if resolved else None)


def test_pages_follow_next_over_ties_and_filters_count_on_both_databases(
        database_url: str, tmp_path: Path) -> None:
    with Registry.open(database_url, create=True) as registry:
        alerts = [_alert(n, station="CP-P" if n % 3 else "CP-Q", resolved=n % 4 == 0)
                  for n in range(1, 12)]
        registry.write_live(LiveBatch(alerts=[("raised", a) for a in alerts]))
    with serving(database_url, tmp_path) as base, httpx.Client(base_url=base) as client:
        listed: list[str] = []
        params: dict[str, str] = {"limit": "2", "station": "CP-P"}
        while True:
            page = client.get("/v1/charging/alerts", params=params).json()
            assert page["total"] == 8
            listed += [item["id"] for item in page["items"]]
            if page["next"] is None:
                break
            params["cursor"] = page["next"]
        expected = sorted((a for a in alerts if a.station_id == "CP-P"),
                          key=lambda a: (a.raised_at, a.id), reverse=True)
        assert listed == [a.id for a in expected]
        window = client.get("/v1/charging/alerts", params={
            "since": "2026-06-01T08:02:00Z", "until": "2026-06-01T08:04:30",
            "status": "resolved"}).json()
        assert [item["id"] for item in window["items"]] == [f"{8:016x}", f"{4:016x}"]
        assert window["total"] == 2


def test_an_alert_open_before_a_restart_is_resolved_after_it_and_a_retransmission_logged_once(
        database_url: str, tmp_path: Path) -> None:
    password = add_station(database_url, "CP-R")
    meter = [2, "mv-1", "MeterValues", {"connectorId": 1, "meterValue": [{
        "timestamp": datetime.now(UTC).isoformat(), "sampledValue": [{"value": "10"}]}]}]
    with serving(database_url, tmp_path) as base:
        ws = connect(base.replace("http://", "ws://"), "CP-R", password)
        ask(ws, [2, "b", "BootNotification", BOOT])
        status(ws, "s1", 1, "Faulted", "GroundFailure")
        assert ask(ws, meter)[:2] == [3, "mv-1"]  # answered: the fault's row is committed
        ws.close()
    with Registry.open(database_url) as registry:
        opened = {alert.kind: alert for alert in registry.open_live_alerts()}
    assert set(opened) == {"fault", "offline"}  # the socket closed before the server did
    before = opened["fault"]
    with serving(database_url, tmp_path) as base, httpx.Client(base_url=base) as client:
        ws = connect(base.replace("http://", "ws://"), "CP-R", password)
        assert ask(ws, meter)[:2] == [3, "mv-1"]  # the station did not hear the answer
        status(ws, "s2", 1, "Faulted", "GroundFailure")  # still the same fault
        status(ws, "s3", 1, "Available")
        ask(ws, [2, "mv-2", "MeterValues", {**meter[3]}])  # a barrier: all committed
        ws.close()
        faults = client.get("/v1/charging/alerts", params={"kind": "fault"}).json()
        offline = client.get(f"/v1/charging/alerts/{opened['offline'].id}").json()
    assert [(a["id"], a["status"]) for a in faults["items"]] == [(before.id, "resolved")]
    assert offline["status"] == "resolved"  # by the reconnection after the restart
    logged = day_file(tmp_path / "frames", datetime.now(UTC)).read_text("utf-8")
    assert logged.count('"mv-1","MeterValues"') == 1
    with Registry.open(database_url) as registry:
        stations, ports = registry.live_states()
    assert [(s["station_id"], s["vendor"], s["model"], s["firmware"], s["connected"])
            for s in stations] == [("CP-R", "Vendor-X", "Model-Y", "1.2.3", False)]
    assert [(p["port_id"], p["state"], p["error_code"]) for p in ports] == [
        ("CP-R:1", "available", "NoError")]
