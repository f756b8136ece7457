"""Live alerts: the power half of temperature derating and accepted
remote starts that never become a transaction (toward silent failure). Frames built and
schema-checked with the real ``ocpp`` library, as in test_charging_alerts.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from ocpp.messages import CallResult, validate_payload

from solidcheck.charging.live import Alert, AlertEngine, LiveFrame
from solidcheck.charging.rules import parse_charging_ruleset
from solidcheck.errors import RulesetError
from test_charging_alerts import OPERATOR_RULESET, RULES, RULESET, Station, at, call, only


# ------------------------------------------------------------ temperature: derating
def hot_meter(station: Station, when: float, *, watts: float, celsius: float,
              measurand: str = "Power.Active.Import", unit: str = "W") -> list[Alert]:
    """A 1.6 MeterValues with power and temperature, as a derating charger reports them."""
    value = watts / 1000 if unit == "kW" else watts
    samples = [{"value": str(value), "measurand": measurand, "unit": unit},
               {"value": str(celsius), "measurand": "Temperature", "unit": "Celsius"}]
    return station.send("MeterValues", {"connectorId": 1, "transactionId": 7, "meterValue": [
        {"timestamp": at(when).isoformat(), "sampledValue": samples}]}, when, {})


def test_power_derated_while_hot_is_a_temperature_alert_until_the_power_is_back() -> None:
    rule = RULES.temperature
    assert rule is not None and rule.derating_fraction is not None
    assert rule.derating_limit_c is not None and rule.derating_limit_c < rule.limit_c
    hot = (rule.derating_limit_c + rule.limit_c) / 2  # too cool for the over-limit half
    station = Station(AlertEngine(RULESET))
    station.status("Charging", 0)
    assert hot_meter(station, 10, watts=60_000, celsius=30) == []  # the session's peak
    at_fraction = 60_000 * rule.derating_fraction
    assert hot_meter(station, 20, watts=at_fraction, celsius=hot) == []  # not below it
    [raised] = hot_meter(station, 30, watts=at_fraction - 1, celsius=hot)
    assert (raised.kind, raised.port_id, raised.code) == ("temperature", "CP1:1", "derated")
    peak_frame, low_frame = raised.evidence
    assert peak_frame["frame"][3]["meterValue"][0]["sampledValue"][0]["value"] == "60000"
    assert low_frame["ts"] == at(30).isoformat()
    [resolved] = hot_meter(station, 40, watts=55_000, celsius=hot)
    assert resolved.id == raised.id and resolved.resolved_at == at(40)


def test_a_power_drop_while_cool_or_not_charging_is_no_derating() -> None:
    rule = RULES.temperature
    assert rule is not None and rule.derating_limit_c is not None
    station = Station(AlertEngine(RULESET))
    station.status("Charging", 0)
    hot_meter(station, 10, watts=50_000, celsius=25, measurand="Power.Offered", unit="kW")
    assert hot_meter(station, 20, watts=5_000, celsius=rule.derating_limit_c,
                     measurand="Power.Offered", unit="kW") == []  # the charge curve's taper
    [raised] = hot_meter(station, 30, watts=5_000, celsius=rule.derating_limit_c + 1,
                         measurand="Power.Offered", unit="kW")
    assert raised.code == "derated"
    [resolved] = station.status("Finishing", 40)  # the session is over: so is its derating
    assert resolved.id == raised.id
    station.status("Charging", 50)  # a new session: a new peak
    assert hot_meter(station, 60, watts=5_000, celsius=rule.derating_limit_c + 1) == []


def test_derating_keys_go_together() -> None:
    text = OPERATOR_RULESET + """[rules.alerts.temperature]
provenance = "assumption"
certainty = "assumed"
why = "w"
why_zh = "w"
severity = "minor"
summary = "s"
summary_zh = "s"
limit_c = 50.0
derating_fraction = 0.5
"""
    with pytest.raises(RulesetError, match="derating_fraction and derating_limit_c"):
        parse_charging_ruleset(text, source="op.toml")


# ------------------------------------------------- remote starts that never start
def remote_start(engine: AlertEngine, when: float, *, connector: int | None = 1) -> None:
    """The central system's RemoteStartTransaction, accepted by the station (1.6)."""
    request: dict[str, Any] = {"idTag": "APP-1"}
    if connector is not None:
        request["connectorId"] = connector
    frame, message_id = call("RemoteStartTransaction", request)
    asked = LiveFrame("CP1", "out", frame.message)  # sent by the central system
    assert only("silent_failure", engine.feed(asked, received_at=at(when))) == []
    accepted = CallResult(message_id, {"status": "Accepted"}, "RemoteStartTransaction")
    asyncio.run(validate_payload(accepted, "1.6"))
    assert only("silent_failure", engine.feed(LiveFrame(
        "CP1", "in", json.loads(accepted.to_json())), received_at=at(when))) == []


def test_accepted_remote_starts_that_never_start_are_a_silent_failure() -> None:
    rule = RULES.silent_failure
    assert rule is not None and rule.remote_start_timeout_s is not None
    timeout_s = rule.remote_start_timeout_s
    engine = AlertEngine(RULESET)
    station = Station(engine)
    station.status("Available", 0)
    t = 10.0
    for n in range(rule.count):
        remote_start(engine, t)
        assert engine.next_due() == at(t + timeout_s)
        assert engine.tick(at(t + timeout_s - 0.001)) == []
        raised = engine.tick(at(t + timeout_s))
        assert only("silent_failure", raised) == ([] if n < rule.count - 1 else raised)
        t += timeout_s + 10
    [alert] = raised
    assert (alert.kind, alert.port_id) == ("silent_failure", "CP1:1")
    assert [e["frame"][2] for e in alert.evidence] == [{"status": "Accepted"}] * rule.count


def test_a_remote_start_that_becomes_a_transaction_in_time_is_no_failure() -> None:
    rule = RULES.silent_failure
    assert rule is not None and rule.remote_start_timeout_s is not None
    engine = AlertEngine(RULESET)
    station = Station(engine)
    station.status("Available", 0)
    for n in range(rule.count):
        start = 10.0 + n * 1000
        remote_start(engine, start, connector=None if n == 0 else 1)
        station.send("StartTransaction", {"connectorId": 1, "idTag": "APP-1", "meterStart": 0,
                                          "timestamp": at(start + 5).isoformat()},
                     start + 5, {"transactionId": n + 1, "idTagInfo": {"status": "Accepted"}})
        assert engine.next_due() != at(start + rule.remote_start_timeout_s)
        assert only("silent_failure", engine.tick(at(start + 999))) == []
