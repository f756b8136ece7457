"""The live hub (issue 17 item 3): the endpoint's frames and connections reach the alert
engine, and its timer raises what silence alone shows. Real uvicorn, real WebSockets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocpp_station import ask, connect, running_server
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.live import AlertChange
from test_charging_endpoint import add_station

#: a hang guard while waiting for an alert, never a measure of speed
WAIT_LIMIT_S = 20.0


def wait_for(changes: list[AlertChange], kind: str, event: str) -> AlertChange:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while time.monotonic() < deadline:
        for change in changes:
            if change.alert.kind == kind and change.event == event:
                return change
        time.sleep(0.02)
    raise AssertionError(f"no {event} {kind} alert among {changes}")


@pytest.fixture
def hub_server(tmp_path: Path) -> Iterator[tuple[str, str, list[AlertChange]]]:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames"),
                         registry=registry)
        changes: list[AlertChange] = []
        app.state.live.sinks.append(changes.append)
        with running_server(app) as base:
            yield base, database, changes


def test_a_faulted_port_and_a_closed_socket_are_alerted_live(
        hub_server: tuple[str, str, list[AlertChange]]) -> None:
    base, database, changes = hub_server
    password = add_station(database, "CP-LIVE")
    ws = connect(base, "CP-LIVE", password)
    ask(ws, [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
    ask(ws, [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                            "status": "Faulted"}])
    fault = wait_for(changes, "fault", "raised")
    assert fault.alert.port_id == "CP-LIVE:1" and fault.alert.code == "GroundFailure"
    assert fault.alert.evidence[0]["frame"][2] == "StatusNotification"
    ws.close()
    offline = wait_for(changes, "offline", "raised")
    assert offline.alert.station_id == "CP-LIVE"
    ws = connect(base, "CP-LIVE", password)
    assert wait_for(changes, "offline", "resolved").alert.id == offline.alert.id
    ws.close()
