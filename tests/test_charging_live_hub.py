"""The live hub (issue 17 item 3): the endpoint's frames and connections reach the alert
engine, and its timer raises what silence alone shows. Real uvicorn, real WebSockets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ocpp_station import ask, connect, running_server
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.live import AlertChange, StateChange
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


def eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def station_connected(states: list[StateChange]) -> bool | None:
    shown = [change.connected for change in states if change.port_id is None]
    return shown[-1] if shown else None


@pytest.fixture
def hub_server(tmp_path: Path) -> Iterator[tuple[str, str, list[AlertChange],
                                                 list[StateChange]]]:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames"),
                         registry=registry)
        changes: list[AlertChange] = []
        states: list[StateChange] = []
        app.state.live.sinks.append(changes.append)
        app.state.live.state_sinks.append(states.append)
        with running_server(app) as base:
            yield base, database, changes, states


def test_a_faulted_port_and_a_closed_socket_are_alerted_live(
        hub_server: tuple[str, str, list[AlertChange], list[StateChange]]) -> None:
    base, database, changes, states = hub_server
    password = add_station(database, "CP-LIVE")
    ws = connect(base, "CP-LIVE", password)
    ask(ws, [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
    ask(ws, [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                            "status": "Faulted"}])
    fault = wait_for(changes, "fault", "raised")
    assert fault.alert.port_id == "CP-LIVE:1" and fault.alert.code == "GroundFailure"
    assert fault.alert.evidence[0]["frame"][2] == "StatusNotification"
    port_states = [(c.state, c.error_code) for c in states if c.port_id == "CP-LIVE:1"]
    assert port_states[-1] == ("faulted", "GroundFailure")
    heartbeats_before = len(states)
    ask(ws, [2, "3", "Heartbeat", {}])
    assert len(states) == heartbeats_before  # published on change only
    ws.close()
    offline = wait_for(changes, "offline", "raised")
    assert offline.alert.station_id == "CP-LIVE"
    eventually(lambda: station_connected(states) is False)
    ws = connect(base, "CP-LIVE", password)
    assert wait_for(changes, "offline", "resolved").alert.id == offline.alert.id
    eventually(lambda: station_connected(states) is True)
    ws.close()
