"""Tickets in the running server (issue 17 item 4): a station's fault opens a ticket through
the real endpoint and hub, an operator acts on it over the REST API, the timer verifies it
after the rule set's window, a recurrence opens a linked ticket, and a restarted server goes
on from the tables. Real uvicorn on loopback, real WebSockets, real SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ocpp_station import ask, connect, running_server
from solidcheck.cli import app as cli_app
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.live import AlertChange
from test_charging_endpoint import add_station

#: a hang guard while waiting for the server, never a measure of speed
WAIT_LIMIT_S = 30.0
INSTALLED = Path(__file__).parents[1] / "src/solidcheck/charging/rulesets/cn-alliance-wp-2026.toml"


def eventually(probe: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not (found := probe()):
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
    return found


@pytest.fixture
def short_window(tmp_path: Path) -> Path:
    """The installed rule set with a one-second verified-closure window, so a test sees the
    timer verify a ticket (the window's length is data, not code)."""
    text = INSTALLED.read_text(encoding="utf-8")
    text, count = re.subn(r"(\[rules\.verified_closure\][^\[]*?)window_s = 86400\.0",
                          r"\1window_s = 1.0", text)
    assert count == 1
    path = tmp_path / "short-window.toml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def serving(database: str, tmp_path: Path, ruleset: Path,
            seen: list[AlertChange]) -> Iterator[httpx.Client]:
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames",
                                  ocpp_ruleset=str(ruleset)), registry=registry)
        app.state.live.sinks.append(seen.append)
        with running_server(app) as base, httpx.Client(
                base_url=base.replace("ws://", "http://"), timeout=WAIT_LIMIT_S) as http:
            http.headers["x-ws-base"] = base
            yield http


def keys(database: str) -> dict[str, str]:
    with Registry.open(database, create=True) as registry:
        return {role: registry.create_api_key(role=role, name=f"{role} key",  # type: ignore[arg-type]
                                              actor="test")[1]
                for role in ("operator", "reader", "lab", "admin")}


def as_key(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def fault(ws: Any, message_id: str, status: str = "Faulted") -> None:
    error = "GroundFailure" if status == "Faulted" else "NoError"
    assert ask(ws, [2, message_id, "StatusNotification", {
        "connectorId": 1, "errorCode": error, "status": status}])[0] == 3


def tickets(http: httpx.Client, key: str, **query: Any) -> dict[str, Any]:
    answer = http.get("/v1/charging/tickets", params=query, headers=as_key(key))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_fault_becomes_a_ticket_acted_on_verified_and_linked(
        database_url: str, tmp_path: Path, short_window: Path) -> None:
    secret = keys(database_url)
    operator, reader = secret["operator"], secret["reader"]
    password = add_station(database_url, "CP-T")
    seen: list[AlertChange] = []
    with serving(database_url, tmp_path, short_window, seen) as http:
        ws = connect(http.headers["x-ws-base"], "CP-T", password)
        ask(ws, [2, "1", "BootNotification", {"chargePointVendor": "V",
                                              "chargePointModel": "M"}])
        fault(ws, "2")
        listed = eventually(lambda: tickets(http, reader, port="CP-T:1")["tickets"])
        ticket = listed[0]
        assert (ticket["status"], ticket["severity"]) == ("opened", "major")
        assert ticket["sla"]["sla_due_at"] == ticket["sla"]["acknowledge_due_at"]
        detail = http.get(f"/v1/charging/tickets/{ticket['id']}", headers=as_key(reader))
        assert [e["action"] for e in detail.json()["events"]] == ["opened"]
        assert detail.json()["alerts"][0]["open"] is True

        url = f"/v1/charging/tickets/{ticket['id']}"
        assert http.post(f"{url}/acknowledge").status_code == 401
        for role in ("reader", "lab"):
            assert http.post(f"{url}/acknowledge",
                             headers=as_key(secret[role])).status_code == 403
        acked = http.post(f"{url}/acknowledge", headers=as_key(operator))
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        assert any(c.event == "acknowledged" and c.alert.id == ticket["alert_ids"][0]
                   for c in seen)  # the ticket's alert is acknowledged in the engine
        again = http.post(f"{url}/acknowledge", headers=as_key(secret["admin"]),
                          params={"lang": "zh"})
        assert again.status_code == 409
        assert (again.json()["status"], again.json()["allowed"]) == (
            "acknowledged", ["resolve", "close"])
        assert "已确认" in again.json()["message"]
        bad = http.post(f"{url}/resolve", headers=as_key(operator),
                        json={"cause": "", "cause_code": "gremlins", "resolution": "magic"})
        assert bad.status_code == 422
        assert {p["path"] for p in bad.json()["problems"]} == {"cause", "cause_code",
                                                               "resolution"}
        fault(ws, "3a", status="Available")  # clears, and comes back before any repair:
        fault(ws, "3b")  # the new alert joins the acknowledged ticket, acknowledged with it
        joined = eventually(lambda: [c.alert.id for c in seen if c.event == "raised"
                                     and c.alert.id not in ticket["alert_ids"]])
        eventually(lambda: [c for c in seen if c.event == "acknowledged"
                            and c.alert.id == joined[0]])
        fault(ws, "3", status="Available")  # the fault clears at the station
        done = http.post(f"{url}/resolve", headers=as_key(operator), json={
            "cause": "ground fault relay", "cause_code": "hardware", "resolution": "remote"})
        assert done.status_code == 200 and done.json()["status"] == "resolved"

        verified = eventually(lambda: tickets(http, reader, status="verified")["tickets"])
        assert verified[0]["id"] == ticket["id"]
        trail = http.get(url, headers=as_key(reader)).json()["events"]
        assert [(e["action"], e["actor"].startswith("key:")) for e in trail] == [
            ("opened", False), ("acknowledged", True), ("alert_resolved", False),
            ("alert_joined", False), ("alert_resolved", False), ("resolved", True),
            ("verified", False)]

        fault(ws, "4")  # the fault is back after verification: a new, linked ticket
        second = eventually(lambda: tickets(http, reader, status="opened")["tickets"])
        assert second[0]["previous_ticket_id"] == ticket["id"]
        ws.close()

    # a restarted server rebuilds the desk: the open ticket takes the port's next alert
    with serving(database_url, tmp_path, short_window, []) as http:
        ws = connect(http.headers["x-ws-base"], "CP-T", password)
        fault(ws, "5", status="Available")
        fault(ws, "6")
        joined = eventually(lambda: [e for e in http.get(
            f"/v1/charging/tickets/{second[0]['id']}", headers=as_key(reader)
        ).json()["events"] if e["action"] == "alert_joined"])
        assert joined
        assert tickets(http, reader, port="CP-T:1")["total"] == 2  # no third for the port
        ws.close()


def test_operator_keys_are_made_at_the_command_line(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    Registry.open(database, create=True).close()
    made = CliRunner().invoke(cli_app, ["registry", "keys", "create", "--role", "operator",
                                        "--name", "night shift", "--database", database])
    assert made.exit_code == 0, made.output
    with Registry.open(database) as registry:
        assert [k.role for k in registry.list_api_keys()] == ["operator"]
    wrong = CliRunner().invoke(cli_app, ["registry", "keys", "create", "--role", "boss",
                                         "--database", database])
    assert wrong.exit_code == 2 and "operator" in wrong.output
