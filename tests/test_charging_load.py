"""Load and several server processes (issue 17 item 7): the simulator's disjoint station ranges
and fixed meter interval, and alert changes relayed between two real server processes on one
PostgreSQL through LISTEN/NOTIFY."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from attack_server import SOLIDCHECK_CLI, free_port
from conftest import wait_until_healthy
from ocpp_station import ask, connect, running_server
from solidcheck.charging.live import Alert
from solidcheck.charging.simulate import make_config, plan_network
from solidcheck.cli import app as cli_app
from solidcheck.registry.store.live import NumberedChange
from solidcheck.web import Settings, create_app
from solidcheck.web.live.relay import (
    MAX_PAYLOAD_BYTES,
    decode_change,
    encode_change,
    relay_conninfo,
)
from test_charging_endpoint import add_station

#: hang guards, never measures of speed
WAIT_LIMIT_S = 30.0


def test_processes_play_disjoint_station_ranges_with_the_meter_interval_asked() -> None:
    config = make_config(stations=3, url="ws://127.0.0.1:1/ocpp", version="1.6",
                         faults="none", seed=4, duration_s=3600, speed=1, first=101,
                         meter_interval_s=30)
    plans = plan_network(config)
    assert [p.station for p in plans] == ["SIM00101", "SIM00102", "SIM00103"]
    gaps = set()
    for plan in plans:
        meters = [s for s in plan.steps if s.kind == "meter"]
        gaps |= {b.at_s - a.at_s for a, b in pairwise(meters)
                 if a.tx == b.tx and a.connector == b.connector}
    assert gaps == {30}
    # the same station numbers plan the same whichever process plays them
    alone = plan_network(make_config(stations=1, url="ws://127.0.0.1:1/ocpp", version="1.6",
                                     faults="none", seed=4, duration_s=3600, speed=1,
                                     first=102, meter_interval_s=30))
    assert alone[0] == plans[1]


def test_a_bad_station_range_and_interval_are_one_error() -> None:
    result = CliRunner().invoke(cli_app, [
        "charging", "simulate", "--url", "ws://127.0.0.1:1/ocpp", "--stations", "10",
        "--first-station", "99995", "--meter-interval", "0"])
    assert result.exit_code == 2, result.output
    assert "--first-station" in result.output and "--meter-interval" in result.output
    assert "Traceback" not in result.output


def _alert(evidence: list[dict[str, Any]]) -> Alert:
    return Alert(id="a1", kind="fault", severity="critical", station_id="CP", port_id="CP:1",
                 raised_at=datetime(2026, 12, 6, tzinfo=UTC), evidence=evidence,
                 code="GroundFailure")


def test_a_change_fits_a_notify_and_comes_back_the_same() -> None:
    small = NumberedChange(7, "raised", _alert([{"frame": [2, "1", "StatusNotification", {}]}]))
    origin, back = decode_change(encode_change(small, origin="p1"))
    assert origin == "p1" and back == small
    # a day of meter values as evidence does not fit PostgreSQL's 8,000 bytes: trimmed
    big = [{"frame": [2, str(n), "MeterValues", {"v": "x" * 3000}]} for n in range(5)]
    payload = encode_change(NumberedChange(8, "resolved", _alert(big)), origin="p1")
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    data = json.loads(payload)
    assert data["evidence_dropped"] == 3 and data["alert"]["evidence"] == big[:2]


def test_sqlite_has_no_relay(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    assert relay_conninfo(database) is None
    app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames"))
    with running_server(app):
        assert app.state.live_relay is None


@contextmanager
def server_process(database: str, folder: Path) -> Iterator[str]:
    """``solidcheck serve`` as its own process; yields its http:// base URL."""
    port = free_port()
    env = {**os.environ, "SOLIDCHECK_DATABASE_URL": database,
           "SOLIDCHECK_OCPP_LOG_DIR": str(folder), "SOLIDCHECK_RATE_LIMIT": "0"}
    process = subprocess.Popen([SOLIDCHECK_CLI, "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_healthy(base, lambda: process.poll() is None, limit_s=WAIT_LIMIT_S)
        yield base
    finally:
        process.terminate()
        process.wait(WAIT_LIMIT_S)


@contextmanager
def alert_changes(base: str) -> Iterator[queue.Queue[dict[str, Any]]]:
    """The server's alert stream (Server-Sent Events) as it arrives: each event's id, name
    and alert. Without Last-Event-ID, so only live changes (not the table's) come: the
    server subscribes before it answers, so nothing is missed once the answer has begun."""
    got: queue.Queue[dict[str, Any]] = queue.Queue()
    client = httpx.Client(base_url=base, timeout=httpx.Timeout(5, read=None))
    opened = threading.Event()

    def read() -> None:
        event: dict[str, Any] = {}
        try:
            with client.stream("GET", "/v1/charging/alerts/stream") as response:
                opened.set()
                for line in response.iter_lines():
                    if line.startswith(("id: ", "event: ")):
                        name, _, value = line.partition(": ")
                        event[name] = value
                    elif line.startswith("data: "):
                        got.put({**event, "alert": json.loads(line.removeprefix("data: "))})
                        event = {}
        except httpx.HTTPError:
            pass  # the client was closed at the end of the test

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert opened.wait(WAIT_LIMIT_S)
    try:
        yield got
    finally:
        client.close()


def test_an_alert_raised_in_one_process_reaches_the_listeners_of_the_other(
        postgres_url: str, tmp_path: Path) -> None:
    password = add_station(postgres_url, "CP-RELAY")
    with server_process(postgres_url, tmp_path / "frames-a") as a, \
            server_process(postgres_url, tmp_path / "frames-b") as b, \
            alert_changes(a) as on_a, alert_changes(b) as on_b:
        ws = connect(a.replace("http", "ws"), "CP-RELAY", password)
        ask(ws, [2, "1", "BootNotification", {"chargePointVendor": "V",
                                              "chargePointModel": "M"}])
        ask(ws, [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                                "status": "Faulted"}])
        fault = on_b.get(timeout=WAIT_LIMIT_S)
        assert (fault["event"], fault["alert"]["kind"]) == ("raised", "fault")
        assert fault["alert"]["port_id"] == "CP-RELAY:1"
        assert fault["alert"]["code"] == "GroundFailure"
        ws.close()
        offline = on_b.get(timeout=WAIT_LIMIT_S)
        assert (offline["event"], offline["alert"]["kind"]) == ("raised", "offline")
        # process A hears its own changes once: from its writer, not back from the relay;
        # both processes number them alike (the shared table's event numbers)
        seen_on_a = [on_a.get(timeout=WAIT_LIMIT_S) for _ in range(2)]
        assert [(c["id"], c["event"], c["alert"]["id"]) for c in seen_on_a] == [
            (fault["id"], "raised", fault["alert"]["id"]),
            (offline["id"], "raised", offline["alert"]["id"])]
        ws = connect(a.replace("http", "ws"), "CP-RELAY", password)
        ask(ws, [2, "3", "Heartbeat", {}])
        back = on_a.get(timeout=WAIT_LIMIT_S)
        assert (back["event"], back["alert"]["id"]) == ("resolved", offline["alert"]["id"])
        assert on_b.get(timeout=WAIT_LIMIT_S)["event"] == "resolved"
        ws.close()
        assert on_a.empty() and on_b.empty()  # nothing echoed back and forth
