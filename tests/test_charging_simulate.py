"""The station simulator against a central system built on the same ``ocpp`` library, over
real WebSockets on loopback: every injected fault's frames arrive, every other frame validates,
the report says what the server saw, and the seed decides what is injected."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ocpp.messages import Call, CallResult, validate_payload
from typer.testing import CliRunner

from ocpp_central import CentralSystem, Connection
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.charging.simulate import FAULT_KINDS, Config, make_config, plan_network
from solidcheck.charging.simulate.plan import ONLY_16
from solidcheck.charging.simulate.profile import profile
from solidcheck.charging.simulate.run import simulate
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError

PASSWORD = "correct horse battery staple"
SPEED = 600.0  # an hour of station life in six seconds


@pytest.fixture(autouse=True)
def _quiet_library() -> None:
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)


def _run(url: str, version: str, *, seed: int, faults: str = "all", stations: int = 3,
         password: str | None = PASSWORD) -> dict[str, Any]:
    config = make_config(stations=stations, url=url, version=version, faults=faults,
                         seed=seed, duration_s=3600, speed=SPEED, password=password)
    return asyncio.run(simulate(config)).to_json()


@pytest.fixture(scope="module", params=["1.6", "2.0.1"])
def network(request: pytest.FixtureRequest) -> Iterator[tuple[str, CentralSystem, dict[str, Any]]]:
    with CentralSystem(password=PASSWORD) as cs:
        report = _run(cs.url, request.param, seed=7)
        yield request.param, cs, report


def _calls(conn: Connection, action: str) -> list[dict[str, Any]]:
    return [f.frame[3] for f in conn.frames if f.direction == "in" and f.frame[0] == 2
            and f.frame[2] == action]


def _seen(cs: CentralSystem, version: str) -> set[tuple[str, str, str | None]]:
    """The faults the server's frames show, found without the report: (kind, station, port)."""
    n_boots = profile().count("reboot_loop_boots")
    n_starts = profile().count("silent_start_attempts")
    n_errors = profile().count("callerror_burst_frames")
    by_station: dict[str, list[Connection]] = defaultdict(list)
    for conn in cs.connections:
        by_station[conn.station].append(conn)
    seen: set[tuple[str, str, str | None]] = set()
    for station, conns in by_station.items():
        later = conns[1:]
        firsts = [next(f.frame[2] for f in c.frames if f.frame[0] == 2) for c in later]
        if "StatusNotification" in firsts:
            seen.add(("disconnect", station, None))
        boots = [p for c in later for p in _calls(c, "BootNotification")]
        if version == "2.0.1":
            boots = [p for p in boots if p["reason"] == "Watchdog"]
        if len(boots) >= n_boots:
            seen.add(("reboot_loop", station, None))
        errors = [f for c in conns for f in c.frames if f.direction == "out" and f.frame[0] == 4]
        if len(errors) >= n_errors:
            seen.add(("callerror_burst", station, None))
        frames = [f.frame for c in conns for f in c.frames]
        seen |= _faulted(station, frames, version)
        seen |= _transactions(station, frames, version, n_starts=n_starts)
        seen |= _derated(station, frames, version)
    return seen


def _derated(station: str, frames: list[list[Any]], version: str
             ) -> set[tuple[str, str, str | None]]:
    """Ports whose power fell below the rule set's fraction of the session's peak while above
    its derating temperature (cn-alliance-wp-2026's temperature alert, read here)."""
    rule = charging_ruleset_by_id("cn-alliance-wp-2026").alert_rules().temperature
    assert rule is not None and rule.derating_fraction is not None
    assert rule.derating_limit_c is not None
    seen: set[tuple[str, str, str | None]] = set()
    peak: dict[str, float] = defaultdict(float)
    for frame in frames:
        if frame[0] != 2 or frame[2] not in ("MeterValues", "TransactionEvent"):
            continue
        p = frame[3]
        port = (f"{station}:{p['connectorId']}" if version == "1.6"
                else f"{station}:{p['evse']['id']}:1" if "evse" in p else None)
        for value in p.get("meterValue", []):
            read = {v.get("measurand"): float(v["value"]) for v in value["sampledValue"]}
            watts, celsius = read.get("Power.Active.Import"), read.get("Temperature")
            if port is None or watts is None or celsius is None:
                continue
            if watts < rule.derating_fraction * peak[port] and celsius > rule.derating_limit_c:
                seen.add(("derating", station, port))
            peak[port] = max(peak[port], watts)
    return seen


def _faulted(station: str, frames: list[list[Any]], version: str
             ) -> set[tuple[str, str, str | None]]:
    """Faulted ports: 1.6 a Faulted status with an error code, 2.0.1 an Alerting NotifyEvent."""
    seen: set[tuple[str, str, str | None]] = set()
    raised: dict[str, str] = {}
    for frame in frames:
        if frame[0] != 2:
            continue
        action, p = frame[2], frame[3]
        if version == "1.6" and action == "StatusNotification" and p["status"] == "Faulted":
            assert p["errorCode"] != "NoError"
            seen.add(("faulted", station, f"{station}:{p['connectorId']}"))
        if action == "NotifyEvent":
            for e in p["eventData"]:
                assert e["trigger"] == "Alerting" and e["techCode"]
                port = f"{station}:{e['component']['evse']['id']}:1"
                if not e["cleared"]:
                    seen.add(("faulted", station, port))
                    raised[port] = e["techCode"]
                else:  # cleared later with the code it was raised with
                    assert raised.pop(port) == e["techCode"]
    return seen


def _transactions(station: str, frames: list[list[Any]], version: str, *, n_starts: int
                  ) -> set[tuple[str, str, str | None]]:
    """Per port: each transaction's registers, whether it went Charging; then the faults."""
    seen: set[tuple[str, str, str | None]] = set()
    open_tx: dict[int, dict[str, Any]] = {}
    done: dict[int, list[dict[str, Any]]] = defaultdict(list)
    started: dict[str, int] = {}  # 1.6: StartTransaction message id → port
    tx_port: dict[int, int] = {}  # 1.6: the server's transaction id → port
    for frame in frames:
        if frame[0] == 3 and frame[1] in started:
            tx_port[frame[2]["transactionId"]] = started.pop(frame[1])
        if frame[0] != 2:
            continue
        action, p = frame[2], frame[3]
        if version == "1.6":
            port = p.get("connectorId")
            if action == "StartTransaction":
                started[frame[1]] = port
                open_tx[port] = {"wh": [p["meterStart"]], "charging": False}
            elif action == "StatusNotification" and port in open_tx:
                open_tx[port]["charging"] |= p["status"] == "Charging"
            elif action == "MeterValues" and port in open_tx:
                open_tx[port]["wh"].append(int(p["meterValue"][0]["sampledValue"][0]["value"]))
            elif action == "StopTransaction":
                port = tx_port[p["transactionId"]]
                tx = open_tx.pop(port)
                tx["wh"].append(p["meterStop"])
                done[port].append(tx)
        elif action == "TransactionEvent":
            port = p["evse"]["id"]
            tx = open_tx.setdefault(port, {"wh": [], "charging": False})
            tx["wh"] += [v["sampledValue"][0]["value"] for v in p.get("meterValue", [])]
            tx["charging"] |= p["transactionInfo"].get("chargingState") == "Charging"
            if p["eventType"] == "Ended":
                done[port].append(open_tx.pop(port))
    for port, txs in done.items():
        name = f"{station}:{port}" if version == "1.6" else f"{station}:{port}:1"
        run = 0
        for tx in txs:
            empty = len(set(tx["wh"])) == 1
            run = run + 1 if empty and not tx["charging"] else 0
            if run >= n_starts:
                seen.add(("silent_start", station, name))
            if tx["charging"] and empty and len(tx["wh"]) >= 3:  # start, meter value(s), stop
                seen.add(("no_energy", station, name))
    return seen


# ------------------------------------------------------------------------------ the tests


def test_every_injected_fault_reaches_the_server_as_the_report_says(
        network: tuple[str, CentralSystem, dict[str, Any]]) -> None:
    version, cs, report = network
    assert report["errors"] == []
    injected = {(i["kind"], i["station"], i["port"]) for i in report["injections"]}
    kinds = [k for k in FAULT_KINDS if version == "1.6" or k not in ONLY_16]
    assert sorted(i["kind"] for i in report["injections"]) == sorted(kinds)
    assert _seen(cs, version) == injected


def _first_frame_of(kind: str, action: str, p: dict[str, Any]) -> bool:
    """Whether a CALL can be the first frame of a fault of ``kind``."""
    status = p.get("status", p.get("connectorStatus"))
    return {
        "faulted": action == "StatusNotification" and status == "Faulted",
        "disconnect": action == "StatusNotification",  # back, saying where its ports are
        "reboot_loop": action == "BootNotification",
        "silent_start": action == "Authorize",
        "no_energy": (action == "StatusNotification" and status == "Charging")
        or (action == "TransactionEvent"
            and p.get("triggerReason") == "ChargingStateChanged"),
        "callerror_burst": action == "StatusNotification" and status == "Exploded",
        "derating": action == "MeterValues",
    }[kind]


def test_the_report_times_each_fault_before_the_server_receives_it(
        network: tuple[str, CentralSystem, dict[str, Any]]) -> None:
    _, cs, report = network
    for injection in report["injections"]:
        at = datetime.fromisoformat(injection["at"]).timestamp()
        received = [f.at for f in cs.frames(injection["station"]) if f.frame[0] == 2
                    and _first_frame_of(injection["kind"], f.frame[2], f.frame[3])]
        assert any(at <= r for r in received), injection
        assert injection["sent_s"] >= injection["planned_s"]


def test_every_frame_validates_but_the_burst_and_each_gets_its_answer(
        network: tuple[str, CentralSystem, dict[str, Any]]) -> None:
    version, cs, report = network
    burst = sum(int(i["detail"]["frames"]) for i in report["injections"]
                if i["kind"] == "callerror_burst")
    invalid = 0
    for conn in cs.connections:
        assert conn.subprotocol == f"ocpp{version}"
        calls = {f.frame[1]: f.frame for f in conn.frames if f.direction == "in"}
        for f in conn.frames:
            if f.direction == "in" and f.frame[0] == 2:
                try:
                    asyncio.run(validate_payload(Call(*f.frame[1:]), version))
                except Exception:
                    invalid += 1
            elif f.direction == "out" and f.frame[0] == 3:
                answer = CallResult(f.frame[1], f.frame[2], action=calls[f.frame[1]][2])
                asyncio.run(validate_payload(answer, version))
        answered = {f.frame[1] for f in conn.frames if f.direction == "out"}
        assert set(calls) <= answered  # nothing the station sent went unanswered
    errors = [f for c in cs.connections for f in c.frames if f.frame[0] == 4]
    assert invalid == burst == len(errors)
    assert {f.frame[2] for f in errors} == {"FormatViolation"}


def test_boots_heartbeats_and_sessions_happen(
        network: tuple[str, CentralSystem, dict[str, Any]]) -> None:
    version, cs, _ = network
    for station in {c.station for c in cs.connections}:
        assert any(_calls(c, "Heartbeat") for c in cs.connections if c.station == station)
    first = {c.station: c for c in reversed(cs.connections)}
    for conn in first.values():
        assert conn.frames[0].frame[2] == "BootNotification"
        if version == "2.0.1":
            assert conn.frames[0].frame[3]["reason"] == "PowerUp"
    stops = [p for c in cs.connections for p in _calls(c, "StopTransaction")]
    ended = [p for c in cs.connections for p in _calls(c, "TransactionEvent")
             if p["eventType"] == "Ended"]
    assert stops or ended


def test_the_seed_decides_what_is_injected() -> None:
    def plan(seed: int) -> list[Any]:
        config = make_config(stations=5, url="ws://127.0.0.1:1/ocpp", version="1.6",
                             faults="all", seed=seed, duration_s=3600, speed=1)
        return [s for p in plan_network(config) for s in p.steps]
    assert plan(3) == plan(3)
    assert plan(3) != plan(4)
    def config(url: str) -> Config:
        return make_config(stations=2, url=url, version="1.6", faults="faulted=2,silent_start",
                           seed=11, duration_s=3600, speed=SPEED, password=PASSWORD)

    async def both(one: str, two: str) -> list[dict[str, Any]]:
        reports = await asyncio.gather(simulate(config(one)), simulate(config(two)))
        return [r.to_json() for r in reports]

    with CentralSystem(password=PASSWORD) as one, CentralSystem(password=PASSWORD) as two:
        a, b = asyncio.run(both(one.url, two.url))  # two networks at once, on one seed
    keep = ("station", "port", "kind", "planned_s", "detail")
    assert [{k: i[k] for k in keep} for i in a["injections"]] == \
        [{k: i[k] for k in keep} for i in b["injections"]]
    assert _seen(one, "1.6") == _seen(two, "1.6")


def test_stations_come_back_after_the_central_system_restarts() -> None:
    with CentralSystem(password=PASSWORD) as cs:
        restart = threading.Timer(2.0, cs.restart, kwargs={"down_s": 0.5})
        restart.start()  # a third of the way through the run
        report = _run(cs.url, "1.6", seed=2, stations=3, faults="none")
        restart.join()
    assert report["errors"] == []
    assert report["reconnects"] >= 3
    for station in ("SIM00001", "SIM00002", "SIM00003"):
        conns = [c for c in cs.connections if c.station == station]
        assert len(conns) >= 2
        assert conns[0].frames[0].frame[2] == "BootNotification"
        # back without rebooting: it says where its ports are, then heartbeats on
        assert conns[1].frames[0].frame[2] == "StatusNotification"
        assert _calls(conns[-1], "Heartbeat")


def test_a_wrong_password_is_refused_at_the_handshake_and_reported() -> None:
    with CentralSystem(password=PASSWORD) as cs:
        report = _run(cs.url, "1.6", seed=1, stations=2, faults="none", password="wrong")
    assert sorted(e["station"] for e in report["errors"]) == sorted(cs.refused)
    assert len(cs.refused) == 2 and "401" in report["errors"][0]["error"]
    assert cs.connections == []


def test_the_command_writes_the_report(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    out = tmp_path / "injected.json"
    with CentralSystem(password=PASSWORD) as cs:
        result = CliRunner().invoke(app, [
            "charging", "simulate", "--stations", "2", "--url", cs.url, "--version", "2.0.1",
            "--faults", "faulted,disconnect", "--seed", "5", "--duration", "1800",
            "--speed", str(SPEED), "--password-file", str(secret), "--report", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {i["kind"] for i in data["injections"]} == {"faulted", "disconnect"}
    assert _seen(cs, "2.0.1") == {(i["kind"], i["station"], i["port"])
                                  for i in data["injections"]}


def test_each_station_can_have_its_own_password(tmp_path: Path) -> None:
    own = {"SIM00001": "first-secret", "SIM00002": "second:secret"}  # ':' is fine in a password
    listed = tmp_path / "passwords"
    listed.write_text("# ID PASSWORD, as `charging stations add` printed them\n"
                      + "".join(f"{k} {v}\n" for k, v in own.items()), encoding="utf-8")
    with CentralSystem(password=own) as cs:
        result = CliRunner().invoke(app, [
            "charging", "simulate", "--stations", "2", "--url", cs.url, "--duration", "300",
            "--speed", str(SPEED), "--password-file", str(listed)])
        assert result.exit_code == 0, result.output
        assert cs.refused == [] and {c.station for c in cs.connections} == set(own)
        result = CliRunner().invoke(app, [
            "charging", "simulate", "--stations", "3", "--url", cs.url, "--password-file",
            str(listed)])
    assert result.exit_code == 2 and "SIM00003" in result.output


def test_bad_arguments_are_one_error_listing_each() -> None:
    result = CliRunner().invoke(app, [
        "charging", "simulate", "--url", "http://x", "--stations", "0", "--version", "2.1",
        "--faults", "melted,faulted=-1", "--speed", "0", "--password-file", "/nonexistent"])
    assert result.exit_code == 2
    for option in ("--url", "--stations", "--version", "--speed", "--password-file"):
        assert option in result.output
    assert "melted" in result.output and "-1" in result.output
    with pytest.raises(ChargingInputError, match="no room"):
        plan_network(make_config(stations=1, url="ws://h/ocpp", version="1.6",
                                 faults="reboot_loop=50", seed=0, duration_s=600, speed=1))
