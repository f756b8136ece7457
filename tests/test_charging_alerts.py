"""Live alerts (issue 17 item 3): each kind raised and resolved at its edge, offline by the
timer alone, the OCA tool's real log with its WebSocket closure, titles in English and Chinese.

Frames are built and schema-checked with the real ``ocpp`` library, as a station sends them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.messages import Call, CallError, CallResult, validate_payload

from solidcheck.charging.canonical import canonical_tables
from solidcheck.charging.live import Alert, AlertEngine, LiveFrame, alert_title, replay_alerts
from solidcheck.charging.ocpp_logs import read_log
from solidcheck.charging.rules import charging_ruleset_by_id, parse_charging_ruleset
from solidcheck.errors import RulesetError

OCA_LOG = Path("/work/shared/data/ocpp201-octt-inl/example_log.log")
RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")
RULES = RULESET.alert_rules()
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def call(action: str, payload: dict[str, Any], *, version: str = "1.6",
         cp: str = "CP1") -> tuple[LiveFrame, str]:
    """A station's CALL, checked against the official schema; its message id."""
    message = Call(str(next(_ids)), action, payload)
    asyncio.run(validate_payload(message, version))
    return LiveFrame(cp, "in", json.loads(message.to_json())), message.unique_id


def result(message_id: str, action: str, payload: dict[str, Any], *, version: str = "1.6",
           cp: str = "CP1") -> LiveFrame:
    message = CallResult(message_id, payload, action)
    asyncio.run(validate_payload(message, version))
    return LiveFrame(cp, "out", json.loads(message.to_json()))


class Station:
    """A 1.6 or 2.0.1 station talking to one engine."""

    def __init__(self, engine: AlertEngine, *, version: str = "1.6", cp: str = "CP1") -> None:
        self.engine, self.version, self.cp = engine, version, cp
        self.raised: list[Alert] = []

    def send(self, action: str, payload: dict[str, Any], when: float,
             answer: dict[str, Any] | None = None) -> list[Alert]:
        frame, message_id = call(action, payload, version=self.version, cp=self.cp)
        out = self.engine.feed(frame, received_at=at(when))
        if answer is not None:
            reply = result(message_id, action, answer, version=self.version, cp=self.cp)
            out += self.engine.feed(reply, received_at=at(when))
        return out

    def status(self, status: str, when: float, *, connector: int = 1,
               error: str = "NoError") -> list[Alert]:
        if self.version == "1.6":
            return self.send("StatusNotification",
                             {"connectorId": connector, "status": status, "errorCode": error},
                             when, {})
        return self.send("StatusNotification",
                         {"timestamp": at(when).isoformat(), "connectorStatus": status,
                          "evseId": 1, "connectorId": connector}, when, {})

    def boot(self, when: float, *, reason: str = "Watchdog", interval: int = 60) -> list[Alert]:
        answer = {"currentTime": at(when).isoformat(), "interval": interval,
                  "status": "Accepted"}
        if self.version == "1.6":
            return self.send("BootNotification",
                             {"chargePointVendor": "V", "chargePointModel": "M"}, when, answer)
        return self.send("BootNotification",
                         {"reason": reason, "chargingStation": {"model": "M", "vendorName": "V"}},
                         when, answer)

    def session(self, start: float, *, meter_start: int, meter_stop: int,
                transaction_id: int) -> list[Alert]:
        """A 1.6 session from StartTransaction to StopTransaction and back to Available."""
        out = self.status("Preparing", start)
        out += self.send("StartTransaction",
                         {"connectorId": 1, "idTag": "TAG", "meterStart": meter_start,
                          "timestamp": at(start).isoformat()}, start,
                         {"transactionId": transaction_id, "idTagInfo": {"status": "Accepted"}})
        out += self.send("StopTransaction",
                         {"transactionId": transaction_id, "meterStop": meter_stop,
                          "timestamp": at(start + 60).isoformat()}, start + 60,
                         {"idTagInfo": {"status": "Accepted"}})
        return out + self.status("Available", start + 61)


def only(kind: str, alerts: list[Alert]) -> list[Alert]:
    """The alerts of one kind (a long tick also finds the silent station offline)."""
    return [alert for alert in alerts if alert.kind == kind]


def kinds(alerts: list[Alert]) -> list[tuple[str, bool]]:
    """(kind, resolved) of each alert, in order."""
    return [(alert.kind, alert.resolved_at is not None) for alert in alerts]


def test_the_installed_rule_set_defines_every_kind_with_a_why_in_both_languages() -> None:
    for kind, rule in RULES:
        assert rule is not None, kind
        assert rule.provenance == "assumption" and rule.why and rule.why_zh, kind


# ------------------------------------------------------------------------------ fault
def test_faulted_is_raised_with_its_chargex_code_and_resolved_when_the_port_is_healthy() -> None:
    station = Station(AlertEngine(RULESET))
    assert station.status("Available", 0) == []
    [raised] = station.status("Faulted", 10, error="GroundFailure")
    assert (raised.kind, raised.port_id, raised.severity) == ("fault", "CP1:1", "major")
    assert (raised.code, raised.chargex_code) == ("GroundFailure", "CX002")
    assert raised.evidence[0]["frame"][2] == "StatusNotification"
    assert station.status("Faulted", 20, error="GroundFailure") == []  # still the same alert
    [resolved] = station.status("Available", 30)
    assert resolved.id == raised.id and resolved.resolved_at == at(30)


def test_an_error_code_on_an_available_port_is_a_fault_too() -> None:
    station = Station(AlertEngine(RULESET))
    [raised] = station.status("Available", 0, error="HighTemperature")
    assert (raised.kind, raised.chargex_code) == ("fault", "CX003")


def test_notify_event_alerting_raises_and_its_clearing_resolves() -> None:
    station = Station(AlertEngine(RULESET), version="2.0.1")

    def notify(when: float, *, cleared: bool) -> list[Alert]:
        event = {"eventId": int(when), "timestamp": at(when).isoformat(), "trigger": "Alerting",
                 "actualValue": "true", "techCode": "CX001", "cleared": cleared,
                 "eventNotificationType": "HardWiredMonitor",
                 "component": {"name": "ConnectorLock", "evse": {"id": 1, "connectorId": 1}},
                 "variable": {"name": "Fault"}}
        return station.send("NotifyEvent", {"generatedAt": at(when).isoformat(), "seqNo": 0,
                                            "eventData": [event]}, when, {})

    [raised] = notify(5, cleared=False)
    assert (raised.kind, raised.port_id, raised.code) == ("fault", "CP1:1:1", "CX001")
    [resolved] = notify(9, cleared=True)
    assert resolved.id == raised.id and resolved.resolved_at == at(9)


# ---------------------------------------------------------------------------- offline
def test_offline_is_raised_by_the_timer_alone_just_past_k_heartbeats() -> None:
    engine = AlertEngine(RULESET)
    Station(engine).boot(0, interval=60)
    limit = RULESET.rules.offline_detection.heartbeat_multiple * 60  # type: ignore[union-attr]
    assert engine.tick(at(limit)) == []  # silence of exactly k × heartbeat is not yet offline
    [raised] = engine.tick(at(limit + 0.001))
    assert (raised.kind, raised.station_id, raised.severity) == ("offline", "CP1", "critical")
    assert raised.evidence[0]["frame"][2] == "BootNotification"  # the last thing it said
    assert engine.tick(at(limit + 5)) == []  # raised once
    [resolved] = Station(engine).send("Heartbeat", {}, limit + 10,
                                      {"currentTime": at(limit + 10).isoformat()})
    assert resolved.id == raised.id and resolved.resolved_at == at(limit + 10)


def test_offline_without_a_known_heartbeat_waits_for_the_fallback() -> None:
    engine = AlertEngine(RULESET)
    Station(engine).status("Available", 0)
    fallback = RULESET.rules.offline_detection.fallback_s  # type: ignore[union-attr]
    assert engine.tick(at(fallback)) == []
    assert kinds(engine.tick(at(fallback + 1))) == [("offline", False)]


def test_a_closed_websocket_is_offline_at_once_and_a_new_connection_resolves_it() -> None:
    engine = AlertEngine(RULESET)
    Station(engine).boot(0)
    [raised] = engine.closed("CP1", at=at(3))
    assert raised.raised_at == at(3) and raised.evidence[0]["event"] == "closed"
    assert engine.tick(at(10_000)) == []  # the timer does not raise it again
    [resolved] = engine.opened("CP1", at=at(10_001))
    assert resolved.id == raised.id


# -------------------------------------------------------------------- reboot loop, bursts
def test_reboot_loop_needs_count_watchdog_boots_within_the_window() -> None:
    rule = RULES.reboot_loop
    assert rule is not None
    engine = AlertEngine(RULESET)
    station = Station(engine, version="2.0.1")
    station.boot(0, reason="PowerUp")  # not a watchdog reset: not counted
    for i in range(rule.count - 1):
        assert station.boot(1 + i, reason="Watchdog") == []
    late = 1 + rule.window_s + 0.001  # the first watchdog boot is now outside the window
    assert station.boot(late, reason="Watchdog") == []
    edge = (rule.count - 2) + rule.window_s  # exactly the window after the second one
    [raised] = station.boot(edge, reason="Watchdog")
    assert raised.kind == "reboot_loop" and len(raised.evidence) == rule.count
    assert only("reboot_loop", engine.tick(at(edge + rule.window_s))) == []
    [resolved] = only("reboot_loop", engine.tick(at(edge + rule.window_s + 0.001)))
    assert resolved.id == raised.id


def test_a_16_boot_has_no_reason_and_counts_as_unknown() -> None:
    rule = RULES.reboot_loop
    assert rule is not None and "Unknown" in (rule.reasons or [])
    station = Station(AlertEngine(RULESET))
    alerts = [a for i in range(rule.count) for a in station.boot(i)]
    assert kinds(alerts) == [("reboot_loop", False)]


def test_callerror_burst_at_count_within_the_window() -> None:
    rule = RULES.callerror_burst
    assert rule is not None
    engine = AlertEngine(RULESET)

    def error(when: float) -> list[Alert]:
        message = CallError(str(next(_ids)), "FormatViolation", "bad", {})
        return engine.feed(LiveFrame("CP1", "in", json.loads(message.to_json())),
                           received_at=at(when))

    for i in range(rule.count - 1):
        assert error(i * rule.window_s / (rule.count - 1)) == []
    [raised] = error(rule.window_s)  # the count-th, exactly the window after the first
    assert raised.kind == "callerror_burst" and len(raised.evidence) == rule.count
    [resolved] = engine.tick(at(2 * rule.window_s + 0.001))
    assert resolved.id == raised.id


# --------------------------------------------------------------- sessions and energy
def test_silent_failure_after_count_sessions_without_energy_on_an_available_port() -> None:
    rule = RULES.silent_failure
    assert rule is not None
    station = Station(AlertEngine(RULESET))
    station.status("Available", 0)
    for i in range(rule.count - 1):
        assert station.session(100 * (i + 1), meter_start=1000, meter_stop=1000,
                               transaction_id=i + 1) == []
    alerts = station.session(100 * rule.count, meter_start=1000, meter_stop=1000,
                             transaction_id=99)
    [raised] = alerts
    assert (raised.kind, raised.port_id) == ("silent_failure", "CP1:1")
    assert raised.raised_at == at(100 * rule.count + 61)  # when the port said Available
    assert [e["frame"][2] for e in raised.evidence] == ["StopTransaction"] * rule.count
    [resolved] = station.session(1000, meter_start=1000, meter_stop=5000, transaction_id=100)
    assert resolved.id == raised.id


def test_a_session_that_delivers_energy_breaks_the_run() -> None:
    rule = RULES.silent_failure
    assert rule is not None
    station = Station(AlertEngine(RULESET))
    alerts = []
    for i in range(2 * rule.count - 2):
        delivered = i == rule.count - 1
        alerts += station.session(100 * (i + 1), meter_start=0, meter_stop=500 * delivered,
                                  transaction_id=i + 1)
    assert alerts == []


def meter(station: Station, when: float, wh: float, *, celsius: float | None = None) -> list[Alert]:
    samples = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    if celsius is not None:
        samples.append({"value": str(celsius), "measurand": "Temperature", "unit": "Celsius"})
    return station.send("MeterValues", {"connectorId": 1, "transactionId": 7, "meterValue": [
        {"timestamp": at(when).isoformat(), "sampledValue": samples}]}, when, {})


def test_charging_without_an_energy_increase_for_the_duration() -> None:
    rule = RULES.no_energy
    assert rule is not None
    engine = AlertEngine(RULESET)
    station = Station(engine)
    station.status("Charging", 0)
    meter(station, 10, 1000)
    meter(station, 20, 1000)  # no rise: the clock still runs from the start of charging
    assert engine.tick(at(rule.duration_s - 0.001)) == []
    [raised] = engine.tick(at(rule.duration_s))
    assert (raised.kind, raised.port_id) == ("no_energy", "CP1:1")
    [resolved] = meter(station, rule.duration_s + 5, 1200)
    assert resolved.id == raised.id
    assert engine.tick(at(rule.duration_s + 5 + rule.duration_s - 1)) == []  # clock restarted


def test_a_port_that_stops_charging_has_no_energy_alert() -> None:
    rule = RULES.no_energy
    assert rule is not None
    engine = AlertEngine(RULESET)
    station = Station(engine)
    station.status("Charging", 0)
    station.status("Finishing", 10)
    assert only("no_energy", engine.tick(at(rule.duration_s * 2))) == []


def test_temperature_above_the_limit_and_back() -> None:
    rule = RULES.temperature
    assert rule is not None
    station = Station(AlertEngine(RULESET))
    station.status("Charging", 0)
    assert meter(station, 10, 1000, celsius=rule.limit_c) == []  # at the limit: fine
    [raised] = meter(station, 20, 1100, celsius=rule.limit_c + 0.5)
    assert (raised.kind, raised.port_id, raised.severity) == ("temperature", "CP1:1", "minor")
    [resolved] = meter(station, 30, 1200, celsius=rule.limit_c - 1)
    assert resolved.id == raised.id


# ------------------------------------------------------------ rule sets, replay, titles
#: the head of an operator's own rule-set file; each test adds its rules
OPERATOR_RULESET = """format = 1
[ruleset]
id = "op"
title = "Op"
title_zh = "运营方"
document = "own"
status = "own"
"""


def test_an_operator_rule_set_changes_the_numbers_and_omits_kinds() -> None:
    text = OPERATOR_RULESET + """[rules.alerts.callerror_burst]
provenance = "assumption"
certainty = "assumed"
why = "our chargers are chatty"
severity = "minor"
count = 2
window_s = 1.0
summary = "2 CALLERRORs within 1 s"
"""
    engine = AlertEngine(parse_charging_ruleset(text))
    station = Station(engine)
    assert station.status("Faulted", 0, error="GroundFailure") == []  # no fault rule here
    errors = [CallError(str(next(_ids)), "InternalError", "x", {}) for _ in range(2)]
    alerts = [a for i, e in enumerate(errors)
              for a in engine.feed(LiveFrame("CP1", "in", json.loads(e.to_json())),
                                   received_at=at(i))]
    assert kinds(alerts) == [("callerror_burst", False)]


def test_a_bad_alert_rule_is_refused_naming_it() -> None:
    text = OPERATOR_RULESET + """[rules.alerts.reboot_loop]
provenance = "assumption"
certainty = "assumed"
why = "ours"
severity = "major"
count = 1
window_s = -5
summary = "x"
"""
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text)
    said = str(caught.value)
    assert "count" in said and "window_s" in said


def test_the_real_oca_log_closure_is_an_offline_alert_resolved_on_reconnection() -> None:
    read = read_log(OCA_LOG, charge_point_id="CS1")
    tables = canonical_tables([(read, "2.0.1")])
    alerts = replay_alerts(tables["frames"], RULESET, station_events=tables["station_events"])
    [offline] = [a for a in alerts if a.kind == "offline"]
    assert offline.raised_at == datetime(2024, 5, 17, 9, 20, 44, 838000, tzinfo=UTC)
    assert offline.resolved_at == datetime(2024, 5, 17, 9, 21, 45, 73000, tzinfo=UTC)
    assert offline.evidence[0]["event"] == "closed"


def test_alert_titles_in_english_and_chinese() -> None:
    [raised] = AlertEngine(RULESET).closed("CP9", at=T0)
    assert alert_title(raised, "en") == "CP9 offline"
    assert alert_title(raised, "zh") == "CP9 离线"


def test_replay_of_a_frame_log_dates_offline_when_the_silence_became_too_long(
        tmp_path: Path) -> None:
    boot = [2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
    lines = [
        {"ts": "2026-06-01T08:00:00Z", "charge_point_id": "CP1", "direction": "in",
         "frame": boot},
        {"ts": "2026-06-01T08:00:00.100Z", "charge_point_id": "CP1", "direction": "out",
         "frame": [3, "b1", {"currentTime": "2026-06-01T08:00:00Z", "interval": 60,
                             "status": "Accepted"}]},
        {"ts": "2026-06-01T08:10:00Z", "charge_point_id": "CP1", "direction": "in",
         "frame": [2, "h1", "Heartbeat", {}]},
    ]
    log = tmp_path / "cp1.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    tables = canonical_tables([(read_log(log), "1.6")])
    [offline] = replay_alerts(tables["frames"], RULESET)
    k = RULESET.rules.offline_detection.heartbeat_multiple  # type: ignore[union-attr]
    assert offline.raised_at == T0 + timedelta(seconds=k * 60, milliseconds=1)
    assert offline.resolved_at == at(600)
    assert offline.evidence[0]["frame"][2] == "BootNotification"


# ------------------------------------------------------------------------- a restart
def test_restored_alerts_are_resolved_not_raised_again_after_a_restart() -> None:
    """The alerts open when a server stopped, given to a new engine (issue 17 item 2): a
    condition that persists raises nothing new, one that clears resolves the same alert."""
    before = AlertEngine(RULESET)
    station = Station(before)
    station.boot(0)
    [fault] = station.status("Faulted", 1, error="GroundFailure")
    notify = {"generatedAt": at(2).isoformat(), "seqNo": 0, "tbc": False, "eventData": [{
        "eventId": 7, "timestamp": at(2).isoformat(), "trigger": "Alerting",
        "actualValue": "true", "eventNotificationType": "HardWiredMonitor",
        "techCode": "CX001", "component": {"name": "RCD", "evse": {"id": 1}},
        "variable": {"name": "Tripped"}}]}
    [problem] = Station(before, version="2.0.1", cp="CP2").send("NotifyEvent", notify, 2, {})
    [offline] = before.closed("CP3", at=at(3))
    errors = [before.feed(LiveFrame("CP1", "in", json.loads(CallError(
        str(next(_ids)), "FormatViolation", "bad", {}).to_json())), received_at=at(4 + i))
        for i in range(RULES.callerror_burst.count)]  # type: ignore[union-attr]
    [burst] = [alert for alerts in errors for alert in alerts]
    after = AlertEngine(RULESET)
    after.restore(before.open_alerts())
    assert {a.id for a in after.open_alerts()} == {fault.id, problem.id, offline.id, burst.id}
    again = Station(after)
    assert again.status("Faulted", 10, error="GroundFailure") == []
    [resolved] = again.status("Available", 11)
    assert resolved.id == fault.id and resolved.resolved_at == at(11)
    cleared = {**notify, "eventData": [{**notify["eventData"][0], "actualValue": "false",  # type: ignore[index]
                                        "cleared": True}]}
    [resolved] = Station(after, version="2.0.1", cp="CP2").send("NotifyEvent", cleared, 12, {})
    assert resolved.id == problem.id
    [resolved] = after.opened("CP3", at=at(13))
    assert resolved.id == offline.id
    window = RULES.callerror_burst.window_s  # type: ignore[union-attr]
    [resolved] = only("callerror_burst", after.tick(at(4 + len(errors) - 1 + window + 0.001)))
    assert resolved.id == burst.id and after.open_alerts() == []
