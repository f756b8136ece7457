"""The live OCPP-J endpoint (issue 17 items 1, 2, 8): stations registered at the command line,
refused at the handshake without their password, answered by the ``ocpp`` library's central
system in 1.6 and 2.0.1, every frame in the day's log that ``charging ingest`` reads, and bad
frames answered with the CALLERROR the protocol prescribes. Real parts throughout: uvicorn on
loopback, WebSocket clients, the ``ocpp`` library on the station's side too."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import websocket
from ocpp.v16 import ChargePoint as Station16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as Station201
from ocpp.v201 import call as call201
from typer.testing import CliRunner

from ocpp_station import as_station, ask, connect, running_server
from solidcheck.charging.frame_log import LoggedFrame, day_file
from solidcheck.charging.ingest import ingest
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.cli import app as cli_app
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

RULE = charging_ruleset_by_id("cn-alliance-wp-2026").rules.live_endpoint
assert RULE is not None


def add_station(database: str, charge_point_id: str, *more: str) -> str:
    """``solidcheck charging stations add``; its password, the last line of its output."""
    result = CliRunner().invoke(cli_app, ["charging", "stations", "add", charge_point_id,
                                          "--database", database, *more])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


class Server:
    def __init__(self, base: str, log_dir: Path, seen: list[LoggedFrame],
                 links: list[tuple[str, str]]) -> None:
        self.base = base
        self.log_dir = log_dir
        self.seen = seen
        self.links = links

    def logged(self) -> list[dict[str, Any]]:
        """The frames logged today (connection events left out)."""
        return [row for row in self.lines() if "frame" in row]

    def lines(self) -> list[dict[str, Any]]:
        path = day_file(self.log_dir, datetime.now(UTC))
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def serve(database: str, tmp_path: Path, **settings: Any) -> Iterator[Server]:
    seen: list[LoggedFrame] = []
    links: list[tuple[str, str]] = []
    log_dir = tmp_path / "frames"
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=log_dir, **settings),
                         registry=registry)
        app.state.ocpp.frame_hooks.append(seen.append)
        app.state.ocpp.link_hooks.append(lambda *link: links.append(link))
        with running_server(app) as base:
            yield Server(base, log_dir, seen, links)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[Server]:
    yield from serve(sqlite_url, tmp_path)


# ------------------------------------------------------------------ registration and handshake

def test_stations_add_prints_the_password_once_and_keeps_only_its_hash(database_url: str) -> None:
    password = add_station(database_url, "CP-1", "--name", "Bay 1", "--station", "S-01")
    listed = CliRunner().invoke(cli_app, ["charging", "stations", "list",
                                          "--database", database_url])
    assert listed.exit_code == 0
    assert "CP-1" in listed.output and "S-01" in listed.output
    assert password not in listed.output
    with Registry.open(database_url) as registry:
        assert registry.station_password_matches("CP-1", password)
        assert not registry.station_password_matches("CP-1", password + "x")
    again = CliRunner().invoke(cli_app, ["charging", "stations", "add", "CP-1",
                                         "--database", database_url])
    assert again.exit_code == 2 and "already registered" in again.output
    removed = CliRunner().invoke(cli_app, ["charging", "stations", "remove", "CP-1",
                                           "--database", database_url])
    assert removed.exit_code == 0
    with Registry.open(database_url) as registry:
        assert registry.list_stations() == []
        assert registry.verify_chain().valid


def test_a_bad_registration_lists_every_problem(sqlite_url: str) -> None:
    result = CliRunner().invoke(cli_app, ["charging", "stations", "add", "no/slash",
                                          "--name", "tab\there", "--database", sqlite_url])
    assert result.exit_code == 2
    assert "no/slash" in result.output and "--name" in result.output


def test_unknown_station_or_wrong_password_is_refused_at_the_handshake(
        database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    password = add_station(database_url, "CP-1")
    for server in serve(database_url, tmp_path):
        for charge_point_id, given in (("CP-1", "wrong"), ("CP-2", password), ("CP-1", None)):
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                connect(server.base, charge_point_id, given)
            assert refused.value.status_code == 401
        ws = connect(server.base, "CP-1", password)
        assert ws.getsubprotocol() == "ocpp1.6"
        ws.close()
    assert "CP-2" in caplog.text and "refused" in caplog.text


def test_the_newest_offered_version_is_chosen(sqlite_url: str, server: Server) -> None:
    password = add_station(sqlite_url, "CP-1")
    ws = connect(server.base, "CP-1", password, subprotocols=("ocpp1.6", "ocpp2.0.1"))
    assert ws.getsubprotocol() == "ocpp2.0.1"
    ws.close()


# ------------------------------------------------------------------ answers and the frame log

def test_a_1_6_station_is_answered_and_its_log_ingests(sqlite_url: str, server: Server) -> None:
    password = add_station(sqlite_url, "CP-16", "--station", "S-01")
    ws = connect(server.base, "CP-16", password)
    now = datetime.now(UTC).isoformat()
    boot, beat, _, started, _ = asyncio.run(as_station(Station16, ws, "CP-16", [
        call16.BootNotification(charge_point_model="M1", charge_point_vendor="V"),
        call16.Heartbeat(),
        call16.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"),
        call16.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=1000,
                                timestamp=now),
        call16.StatusNotification(connector_id=1, error_code="NoError", status="Charging"),
    ]))
    assert boot.status == "Accepted" and boot.interval == RULE.heartbeat_interval_s
    assert beat.current_time
    assert started.id_tag_info["status"] == "Accepted"
    ws = connect(server.base, "CP-16", password)
    asyncio.run(as_station(Station16, ws, "CP-16", [call16.StopTransaction(
        meter_stop=9000, timestamp=datetime.now(UTC).isoformat(),
        transaction_id=started.transaction_id, reason="Local")]))
    logged = server.logged()
    assert [row["direction"] for row in logged] == ["in", "out"] * 6
    result = ingest([day_file(server.log_dir, datetime.now(UTC))])
    tables = result.tables
    assert tables["frames"].num_rows == 12 and tables["rejected"].num_rows == 0
    assert tables["port_events"].num_rows == 2
    events = tables["transaction_events"].to_pylist()
    assert [event["event"] for event in events] == ["started", "ended"]
    assert {event["transaction_id"] for event in events} == {str(started.transaction_id)}
    assert [event["energy_wh"] for event in events] == [1000, 9000]
    assert [frame.direction for frame in server.seen] == ["in", "out"] * 6


def test_a_2_0_1_station_is_answered(sqlite_url: str, server: Server) -> None:
    password = add_station(sqlite_url, "CP-2")
    ws = connect(server.base, "CP-2", password, subprotocols=("ocpp2.0.1",))
    now = datetime.now(UTC).isoformat()
    boot, _, event, authorised, _ = asyncio.run(as_station(Station201, ws, "CP-2", [
        call201.BootNotification(charging_station={"model": "M", "vendor_name": "V"},
                                 reason="PowerUp"),
        call201.StatusNotification(timestamp=now, connector_status="Occupied", evse_id=1,
                                   connector_id=1),
        call201.TransactionEvent(event_type="Started", timestamp=now,
                                 trigger_reason="Authorized", seq_no=0,
                                 transaction_info={"transaction_id": "T1"},
                                 id_token={"id_token": "TAG1", "type": "ISO14443"}),
        call201.Authorize(id_token={"id_token": "TAG1", "type": "ISO14443"}),
        call201.NotifyEvent(generated_at=now, seq_no=0, event_data=[{
            "event_id": 1, "timestamp": now, "trigger": "Alerting", "actual_value": "1",
            "event_notification_type": "HardWiredNotification",
            "component": {"name": "Connector"}, "variable": {"name": "Problem"}}]),
    ]))
    assert boot.interval == RULE.heartbeat_interval_s
    assert event.id_token_info["status"] == "Accepted"
    assert authorised.id_token_info["status"] == "Accepted"
    assert {row["ocpp_version"] for row in server.logged()} == {"2.0.1"}
    deadline = time.monotonic() + 30  # a hang guard: the server sees the close by itself
    while len(server.links) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.links == [("CP-2", "connected"), ("CP-2", "disconnected")]


def test_authorize_checks_the_operators_id_token_list(sqlite_url: str, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("# the fleet's cards\nGOOD\n", encoding="utf-8")
    password = add_station(sqlite_url, "CP-1")
    for server in serve(sqlite_url, tmp_path, ocpp_id_tokens=tokens):
        ws = connect(server.base, "CP-1", password)
        good, bad = asyncio.run(as_station(Station16, ws, "CP-1", [
            call16.Authorize(id_tag="GOOD"), call16.Authorize(id_tag="BAD")]))
        assert good.id_tag_info["status"] == "Accepted"
        assert bad.id_tag_info["status"] == "Invalid"


def test_a_transaction_message_is_on_disk_when_answered_and_a_retransmission_once(
        sqlite_url: str, server: Server) -> None:
    password = add_station(sqlite_url, "CP-1")
    ws = connect(server.base, "CP-1", password)
    frame = [2, "m-1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0,
                                           "timestamp": datetime.now(UTC).isoformat()}]
    first = ask(ws, frame)
    assert first[:2] == [3, "m-1"]
    assert next(row["frame"] for row in server.logged()) == frame  # there before the answer
    second = ask(ws, frame)  # the station did not see the answer and sends it again
    assert second[:2] == [3, "m-1"]
    ws.close()
    calls = [row for row in server.logged() if row["direction"] == "in"]
    assert len(calls) == 1


# ------------------------------------------------------------------ bad frames (item 8)

@pytest.mark.parametrize(("version", "frame", "code"), [
    ("ocpp1.6", "{not json", "FormatViolation"),
    ("ocpp2.0.1", "{not json", "FormatViolation"),
    ("ocpp2.0.1", [9, "m-2", "Heartbeat", {}], "MessageTypeNotSupported"),
    ("ocpp1.6", [2, "m-3", "NoSuchAction", {}], "NotImplemented"),
    ("ocpp2.0.1", [2, "m-4", "StartTransaction", {}], "NotImplemented"),
    ("ocpp2.0.1", [2, "m-4b", "CostUpdated", {}], "NotSupported"),
    ("ocpp1.6", [2, "m-5", "BootNotification", {"chargePointModel": "M"}], "ProtocolError"),
    ("ocpp1.6", [2, "m-6", "StatusNotification", {"connectorId": "one", "errorCode":
                                                  "NoError", "status": "Available"}],
     "TypeConstraintViolation"),
])
def test_a_bad_frame_gets_the_prescribed_callerror_and_the_connection_lives(
        sqlite_url: str, server: Server, version: str, frame: Any, code: str) -> None:
    password = add_station(sqlite_url, "CP-1")
    ws = connect(server.base, "CP-1", password, subprotocols=(version,))
    answer = ask(ws, frame)
    assert answer[0] == 4 and answer[2] == code, answer
    assert answer[1] == (frame[1] if isinstance(frame, list) else "-1")
    assert ask(ws, [2, "after", "Heartbeat", {}])[:2] == [3, "after"]
    ws.close()


def test_a_binary_frame_is_answered_not_a_crash(sqlite_url: str, server: Server) -> None:
    password = add_station(sqlite_url, "CP-1")
    ws = connect(server.base, "CP-1", password)
    ws.send_binary(b"\xff\x00 not text")
    answer = json.loads(ws.recv())
    assert answer[:3] == [4, "-1", "FormatViolation"]
    assert ask(ws, [2, "after", "Heartbeat", {}])[:2] == [3, "after"]
    ws.close()


def test_an_oversized_frame_closes_the_connection(sqlite_url: str, server: Server) -> None:
    password = add_station(sqlite_url, "CP-1")
    ws = connect(server.base, "CP-1", password)
    ws.send(json.dumps([2, "big", "DataTransfer",
                        {"vendorId": "V", "data": "x" * (RULE.max_frame_bytes + 1)}]))
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 1009  # RFC 6455: message too big
    ws.shutdown()  # the server has closed it: only our socket is left
    ws = connect(server.base, "CP-1", password)  # the station may come back, with less
    assert ask(ws, [2, "after", "Heartbeat", {}])[:2] == [3, "after"]
    ws.close()


def test_a_flooding_station_is_refused_beyond_the_rate(sqlite_url: str, tmp_path: Path) -> None:
    rules = tmp_path / "strict.toml"
    text = (Path(__file__).parents[1] / "src/solidcheck/charging/rulesets/"
            "cn-alliance-wp-2026.toml").read_text(encoding="utf-8")
    rules.write_text(text.replace("max_frames_per_minute = 600", "max_frames_per_minute = 3")
                     .replace('id = "cn-alliance-wp-2026"', 'id = "strict-test"'),
                     encoding="utf-8")
    password = add_station(sqlite_url, "CP-1")
    for server in serve(sqlite_url, tmp_path, ocpp_ruleset=str(rules)):
        ws = connect(server.base, "CP-1", password)
        answers = [ask(ws, [2, f"h{n}", "Heartbeat", {}]) for n in range(5)]
        ws.close()
        assert [answer[0] for answer in answers] == [3, 3, 3, 4, 4]
        assert answers[3][2] == "GenericError"


# ------------------------------------------------------------------ a killed server (item 2)

def test_a_server_killed_mid_traffic_loses_no_acknowledged_frame(sqlite_url: str,
                                                                 tmp_path: Path) -> None:
    """``solidcheck serve`` as a real process, SIGKILLed while a station sends transaction
    messages: every message it answered is in the frame log, after a restart too."""
    from attack_server import start_server

    password = add_station(sqlite_url, "CP-1")
    log_dir = tmp_path / "frames"
    env = {"SOLIDCHECK_OCPP_LOG_DIR": str(log_dir)}
    process = start_server(sqlite_url, tmp_path / "run1", cli=True, env=env)
    base = process.base_url.replace("http://", "ws://")
    ws = connect(base, "CP-1", password)
    answered: list[str] = []
    try:
        for n in range(200):
            if n == 50:
                process.process.kill()  # SIGKILL: no shutdown, no flush on exit
            frame = [2, f"mv-{n}", "MeterValues", {"connectorId": 1, "transactionId": 7,
                     "meterValue": [{"timestamp": datetime.now(UTC).isoformat(),
                                     "sampledValue": [{"value": str(1000 + n)}]}]}]
            if ask(ws, frame)[:2] == [3, f"mv-{n}"]:
                answered.append(f"mv-{n}")
    except (websocket.WebSocketException, OSError, json.JSONDecodeError):
        pass
    finally:
        ws.shutdown()
        process.stop()
    assert len(answered) >= 50
    restarted = start_server(sqlite_url, tmp_path / "run2", cli=True, env=env)
    try:
        ws = connect(restarted.base_url.replace("http://", "ws://"), "CP-1", password)
        assert ask(ws, [2, "after", "Heartbeat", {}])[:2] == [3, "after"]
        ws.close()
    finally:
        restarted.stop()
    logged = [json.loads(line) for path in sorted(log_dir.glob("*.jsonl"))
              for line in path.read_text(encoding="utf-8").splitlines()]
    received = {row["frame"][1] for row in logged if row.get("direction") == "in"}
    assert set(answered) <= received


def test_a_server_killed_mid_traffic_keeps_the_rows_of_every_answered_transaction_frame(
        sqlite_url: str, tmp_path: Path) -> None:
    """ch18-alerts: before a MeterValues is answered, the alert and port-state rows of what
    came before it are committed. ``solidcheck serve`` SIGKILLed while a station reports a
    new fault and then a MeterValues, again and again: after a restart every answered fault
    is a row, none is raised twice, and one open before the restart is resolved after it."""
    from attack_server import start_server
    from solidcheck.registry.store.live import AlertFilter

    password = add_station(sqlite_url, "CP-K")
    env = {"SOLIDCHECK_OCPP_LOG_DIR": str(tmp_path / "frames")}
    process = start_server(sqlite_url, tmp_path / "run1", cli=True, env=env)
    ws = connect(process.base_url.replace("http://", "ws://"), "CP-K", password)
    answered: list[int] = []
    try:
        for n in range(1, 200):
            if n == 50:
                process.process.kill()  # SIGKILL: no shutdown, no flush on exit
            ask(ws, [2, f"st-{n}", "StatusNotification",
                     {"connectorId": n, "status": "Faulted", "errorCode": "GroundFailure"}])
            frame = [2, f"mv-{n}", "MeterValues", {"connectorId": n, "meterValue": [
                {"timestamp": datetime.now(UTC).isoformat(),
                 "sampledValue": [{"value": str(n)}]}]}]
            if ask(ws, frame)[:2] == [3, f"mv-{n}"]:
                answered.append(n)
    except (websocket.WebSocketException, OSError, json.JSONDecodeError):
        pass
    finally:
        ws.shutdown()
        process.stop()
    assert len(answered) >= 49
    restarted = start_server(sqlite_url, tmp_path / "run2", cli=True, env=env)
    try:
        ws = connect(restarted.base_url.replace("http://", "ws://"), "CP-K", password)
        ask(ws, [2, "ok-1", "StatusNotification",
                 {"connectorId": 1, "status": "Available", "errorCode": "NoError"}])
        assert ask(ws, [2, "after", "MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": datetime.now(UTC).isoformat(),
             "sampledValue": [{"value": "1"}]}]}])[:2] == [3, "after"]
        ws.close()
    finally:
        restarted.stop()
    with Registry.open(sqlite_url) as registry:
        faults, _, _ = registry.list_alerts(AlertFilter(station="CP-K", kind="fault"),
                                            limit=500)
        _, ports = registry.live_states()
    by_port = {alert.port_id: alert for alert in faults}
    assert len(by_port) == len(faults)  # none raised twice
    assert {f"CP-K:{n}" for n in answered} <= set(by_port)
    assert by_port["CP-K:1"].resolved_at is not None  # restored, then resolved
    states = {row["port_id"]: row["state"] for row in ports}
    assert states["CP-K:1"] == "available"
    assert all(states[f"CP-K:{n}"] == "faulted" for n in answered[1:])
