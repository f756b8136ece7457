"""Alert webhooks (issue 17 item 3) end to end: real uvicorn on loopback, real WebSocket
stations, real HTTP receivers in threads, the delivery log in the registry."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from attack_server import free_port
from ocpp_station import ask, connect, running_server
from solidcheck.cli import app as cli_app
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from test_charging_endpoint import add_station
from webhook_receiver import receiver, silent_receiver

#: a hang guard, never a measure of speed
WAIT_LIMIT_S = 30.0
#: retries come quickly in tests; the attempts and the log are what is checked
FAST = {"webhook_backoff_base_s": 0.02, "webhook_backoff_cap_s": 0.1,
        "webhook_refresh_s": 0.2}


def eventually(condition: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not (value := condition()):
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)
    return value


class Server:
    def __init__(self, ws: str, database: str, admin: str) -> None:
        self.ws = ws
        self.http = ws.replace("ws://", "http://")
        self.database = database
        self.admin = admin

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.http, timeout=WAIT_LIMIT_S,
                            headers={"Authorization": f"Bearer {self.admin}"})

    def add_webhook(self, url: str, **more: Any) -> tuple[str, str]:
        with self.api() as client:
            answer = client.post("/v1/charging/webhooks", json={"url": url, **more})
        assert answer.status_code == 201, answer.text
        return answer.json()["webhook"]["id"], answer.json()["secret"]

    def log(self, webhook_id: str) -> list[dict[str, Any]]:
        with self.api() as client:
            answer = client.get(f"/v1/charging/webhooks/{webhook_id}/deliveries")
        assert answer.status_code == 200, answer.text
        return list(reversed(answer.json()))  # oldest first

    def fault(self, charge_point_id: str) -> None:
        """A station reports a faulted port over a real WebSocket: a fault alert."""
        password = add_station(self.database, charge_point_id)
        ws = connect(self.ws, charge_point_id, password)
        ask(ws, [2, "1", "BootNotification", {"chargePointVendor": "V",
                                              "chargePointModel": "M"}])
        ask(ws, [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                                "status": "Faulted"}])
        ws.close()


@contextmanager
def serving(database: str, tmp_path: Path, **settings: Any) -> Iterator[Server]:
    with Registry.open(database, create=True) as registry:
        _, admin = registry.create_api_key(role="admin", name="ops", actor="test")
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames",
                                  **{**FAST, **settings}), registry=registry)
        with running_server(app) as base:
            yield Server(base, database, admin)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[Server]:
    with serving(sqlite_url, tmp_path) as running:
        yield running


def attempts(log: list[dict[str, Any]]) -> list[tuple[int, str, int | None]]:
    return [(line["attempt"], line["outcome"], line["status_code"]) for line in log
            if line["attempt"] > 0]


# ---------------------------------------------------------------------------- delivery

def test_a_delivery_is_signed_with_the_targets_secret(server: Server) -> None:
    with receiver(200) as target:
        webhook_id, secret = server.add_webhook(target.url, kinds=["fault"])
        server.fault("CP-SIGN")
        got = eventually(lambda: target.got)[0]
    timestamp, body = got.headers["x-solidcheck-timestamp"], got.body
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-solidcheck-signature"], f"sha256={expected}")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-solidcheck-event"] == "raised"
    payload = json.loads(body)
    assert payload["delivery_id"] == got.headers["x-solidcheck-delivery"]
    assert payload["event"] == "raised" and payload["alert"]["kind"] == "fault"
    assert payload["alert"]["port_id"] == "CP-SIGN:1"
    assert abs(int(timestamp) - time.time()) < 3600  # a current time, for replay checks
    log = eventually(lambda: attempts(server.log(webhook_id)) and server.log(webhook_id))
    assert attempts(log) == [(1, "delivered", 200)]
    assert log[-1]["delivered_at"] is not None and log[-1]["next_attempt_at"] is None
    wrong = hmac.new(b"another secret", timestamp.encode() + b"." + body,
                     hashlib.sha256).hexdigest()
    assert got.headers["x-solidcheck-signature"] != f"sha256={wrong}"


def test_a_receiver_failing_twice_gets_three_attempts_in_the_log(server: Server) -> None:
    with receiver(503, 500, 200) as target:
        webhook_id, _ = server.add_webhook(target.url, kinds=["fault"])
        server.fault("CP-FLAKY")
        log = eventually(lambda: [line for line in server.log(webhook_id)
                                  if line["outcome"] == "delivered"] and server.log(webhook_id))
        assert len({got.headers["x-solidcheck-delivery"] for got in target.got}) == 1
        assert len(target.got) == 3
    assert attempts(log) == [(1, "retry", 503), (2, "retry", 500), (3, "delivered", 200)]
    assert {line["delivery_id"] for line in log} == {log[0]["delivery_id"]}


def test_a_400_is_not_tried_again(server: Server) -> None:
    with receiver(400) as target:
        webhook_id, _ = server.add_webhook(target.url, kinds=["fault"])
        server.fault("CP-REFUSED")
        log = eventually(lambda: attempts(server.log(webhook_id)) and server.log(webhook_id))
        assert attempts(log) == [(1, "rejected", 400)]
        assert all(line["next_attempt_at"] is None for line in log)
        with Registry.open(server.database) as registry:
            assert registry.pending_counts() == {}
        assert len(target.got) == 1


def test_a_dead_receiver_does_not_delay_a_live_one(sqlite_url: str, tmp_path: Path) -> None:
    # the dead receiver holds its attempt for the whole timeout, far beyond the test
    with serving(sqlite_url, tmp_path, webhook_timeout_s=600.0) as server, \
            silent_receiver() as dead_url, receiver(200) as live:
        dead_id, _ = server.add_webhook(dead_url)
        live_id, _ = server.add_webhook(live.url)
        server.fault("CP-BOTH")
        eventually(lambda: live.got)
        eventually(lambda: attempts(server.log(live_id)))
        dead_log = server.log(dead_id)
        assert dead_log and attempts(dead_log) == []  # still waiting on its first answer


def test_a_pending_delivery_survives_a_restart(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet: connection refused, tried again
    url = f"http://127.0.0.1:{port}/hook"
    with serving(sqlite_url, tmp_path, webhook_max_attempts=100) as server:
        webhook_id, _ = server.add_webhook(url, kinds=["fault"])
        server.fault("CP-RESTART")
        eventually(lambda: [a for a in attempts(server.log(webhook_id)) if a[1] == "retry"])
    with Registry.open(sqlite_url) as registry:
        assert registry.pending_counts() == {webhook_id: 1}
    with receiver(200, port=port) as target, serving(sqlite_url, tmp_path) as server:
        eventually(lambda: target.got)
        log = eventually(lambda: [line for line in server.log(webhook_id)
                                  if line["outcome"] == "delivered"] and server.log(webhook_id))
    assert {line["delivery_id"] for line in log} == {
        target.got[0].headers["x-solidcheck-delivery"]}
    assert attempts(log)[-1][1:] == ("delivered", 200)
    assert all(outcome == "retry" for _, outcome, _ in attempts(log)[:-1])


def test_a_full_queue_is_logged_dropped_not_silent(sqlite_url: str, tmp_path: Path) -> None:
    with serving(sqlite_url, tmp_path, webhook_queue_max=1, webhook_timeout_s=600.0) as server, \
            silent_receiver() as dead_url:
        webhook_id, _ = server.add_webhook(dead_url)
        server.fault("CP-FULL")  # a fault, then offline when the socket closes
        log = eventually(lambda: [line for line in server.log(webhook_id)
                                  if line["outcome"] == "dropped"] and server.log(webhook_id))
    dropped = [line for line in log if line["outcome"] == "dropped"]
    assert dropped[0]["error"] and dropped[0]["next_attempt_at"] is None


# ------------------------------------------------------------------------------ bad input

def test_the_api_lists_every_problem_of_a_registration(server: Server) -> None:
    with server.api() as client:
        answer = client.post("/v1/charging/webhooks", json={
            "url": "file:///etc/passwd", "kinds": ["fault", "meteor"], "min_severity": "dire"})
        assert answer.status_code == 422
        paths = sorted(problem["path"] for problem in answer.json()["problems"])
        assert paths == ["kinds", "min_severity", "url"]
        assert client.post("/v1/charging/webhooks", json={"url": "http://x", "colour": 1}
                           ).status_code == 422
        assert client.get("/v1/charging/webhooks/000000000000/deliveries").status_code == 404
        assert client.get("/v1/charging/webhooks") .json() == []
    anonymous = httpx.post(f"{server.http}/v1/charging/webhooks", json={"url": "http://x"})
    assert anonymous.status_code == 401


def test_the_cli_lists_every_problem_and_prints_the_secret_once(sqlite_url: str) -> None:
    bad = CliRunner().invoke(cli_app, ["charging", "webhooks", "add", "gopher://x", "--kind",
                                       "meteor", "--min-severity", "dire", "--database",
                                       sqlite_url])
    assert bad.exit_code == 2
    assert "gopher://x" in bad.output and "meteor" in bad.output and "dire" in bad.output
    assert "Traceback" not in bad.output
    added = CliRunner().invoke(cli_app, ["charging", "webhooks", "add",
                                         "http://10.0.0.7/hook", "--kind", "offline",
                                         "--database", sqlite_url])
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert len(secret) == 64
    listed = CliRunner().invoke(cli_app, ["charging", "webhooks", "list", "--database",
                                          sqlite_url])
    assert "http://10.0.0.7/hook" in listed.output and secret not in listed.output
    webhook_id = listed.output.split()[0]
    log = CliRunner().invoke(cli_app, ["charging", "webhooks", "deliveries", webhook_id,
                                       "--database", sqlite_url])
    assert log.exit_code == 0
    removed = CliRunner().invoke(cli_app, ["charging", "webhooks", "remove", webhook_id,
                                           "--database", sqlite_url])
    assert removed.exit_code == 0
    again = CliRunner().invoke(cli_app, ["charging", "webhooks", "remove", webhook_id,
                                         "--database", sqlite_url])
    assert again.exit_code != 0 and "Traceback" not in again.output
