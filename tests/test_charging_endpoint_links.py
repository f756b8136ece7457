"""A station's connections (issue 17 items 1–2): a second connection of
the same station replaces the first without the station ever looking offline, and every
connection's opening and closing is in the frame log, where ingest and the alerts after the
fact see a real disconnect. Real uvicorn on loopback, real WebSockets."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import websocket

from ocpp_station import ask, connect, running_server
from solidcheck.charging.frame_log import day_file
from solidcheck.charging.ingest import ingest
from solidcheck.charging.live import replay_alerts
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.live import AlertChange
from test_charging_endpoint import add_station

#: a hang guard while waiting for the server, never a measure of speed
WAIT_LIMIT_S = 20.0
BOOT = [2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]


def eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


@dataclass
class Live:
    base: str
    database: str
    app: Any
    log_dir: Path
    changes: list[AlertChange]
    links: list[tuple[str, str]]

    def lines(self) -> list[dict[str, Any]]:
        path = day_file(self.log_dir, datetime.now(UTC))
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with Registry.open(database, create=True) as registry:
        log_dir = tmp_path / "frames"
        app = create_app(Settings(database_url=database, ocpp_log_dir=log_dir),
                         registry=registry)
        changes: list[AlertChange] = []
        links: list[tuple[str, str]] = []
        app.state.live.sinks.append(changes.append)
        app.state.ocpp.link_hooks.append(lambda *link: links.append(link))
        with running_server(app) as base:
            yield Live(base, database, app, log_dir, changes, links)


def close_code(ws: websocket.WebSocket) -> int:
    """The code of the close frame the server sends (the next frame must be one)."""
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    return int.from_bytes(data[:2], "big")


def test_a_second_connection_replaces_the_first_and_the_station_stays_online(
        live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="solidcheck.ocpp")
    password = add_station(live.database, "CP-TWICE")
    old = connect(live.base, "CP-TWICE", password)
    assert ask(old, BOOT)[0] == 3
    new = connect(live.base, "CP-TWICE", password)  # the station reconnects, the old is open
    assert close_code(old) == 1000
    old.shutdown()  # the close handshake is done: only the socket is left
    eventually(lambda: "a replaced connection closed" in caplog.text)
    assert ask(new, [2, "h1", "Heartbeat", {}])[0] == 3
    assert live.app.state.ocpp.connected == {"CP-TWICE": "ocpp1.6"}
    assert live.app.state.live.engine.state.stations["CP-TWICE"].connected
    assert [c.alert.kind for c in live.changes if c.alert.kind == "offline"] == []
    assert live.links == [("CP-TWICE", "connected"), ("CP-TWICE", "connected")]
    new.close()
    eventually(lambda: live.links[-1] == ("CP-TWICE", "disconnected"))
    assert live.app.state.ocpp.connected == {}
    eventually(lambda: any(c.alert.kind == "offline" for c in live.changes))
    events = [(row["event"], row.get("replaced", False)) for row in live.lines()
              if "event" in row]
    assert events == [("connected", False), ("connected", True), ("disconnected", False)]


def test_a_closed_connection_is_in_the_log_and_ingests_as_a_disconnect(live: Live) -> None:
    password = add_station(live.database, "CP-GONE")
    ws = connect(live.base, "CP-GONE", password)
    assert ask(ws, BOOT)[0] == 3
    ws.close()
    eventually(lambda: ("CP-GONE", "disconnected") in live.links)
    lines = live.lines()
    assert [row.get("event") or row["direction"] for row in lines] == [
        "connected", "in", "out", "disconnected"]
    assert {row["ocpp_version"] for row in lines} == {"1.6"}
    tables = ingest([day_file(live.log_dir, datetime.now(UTC))]).tables
    assert tables["rejected"].num_rows == 0 and tables["frames"].num_rows == 2
    kinds = [row["kind"] for row in tables["station_events"].to_pylist()
             if row["station_id"] == "CP-GONE"]
    assert sorted(kinds) == ["boot", "connected", "disconnected"]
    alerts = replay_alerts(tables["frames"], charging_ruleset_by_id("cn-alliance-wp-2026"),
                           station_events=tables["station_events"])
    offline = [alert for alert in alerts if alert.kind == "offline"]
    assert [alert.station_id for alert in offline] == ["CP-GONE"]
    assert offline[0].resolved_at is None


def test_a_connection_event_the_reader_does_not_know_is_rejected_with_its_line(
        tmp_path: Path) -> None:
    log = tmp_path / "frames.jsonl"
    log.write_text(json.dumps({"ts": "2026-01-01T00:00:00Z", "charge_point_id": "CP",
                               "event": "exploded"}) + "\n", encoding="utf-8")
    tables = ingest([log], ocpp_version="1.6").tables
    rejected = tables["rejected"].to_pylist()
    assert [(row["line"], row["reason"]) for row in rejected] == [
        (1, "charging.rejected.link_event")]
    assert tables["station_events"].num_rows == 0
