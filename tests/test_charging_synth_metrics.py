"""The metrics of a synthetic network equal its injected truth, exactly: minutes by state,
availability under every rule set, outages, flaps, reboots, drops, sessions and their
success, charge starts and the ticket funnel (docs/charging.md, "Synthetic networks")."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from solidcheck.charging.ingest import ingest
from solidcheck.charging.metrics import compute_metrics
from solidcheck.charging.results import ChargingMetrics
from solidcheck.charging.rules import available_charging_rulesets, charging_ruleset_by_id
from solidcheck.charging.synth import make_spec, simulate, write_network

BASE = "cn-alliance-wp-2026"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ChargingMetrics]:
    folder = tmp_path_factory.mktemp("network")
    network = simulate(make_spec(stations=12, days=6, seed=20260316,
                                 start="2026-03-27T00:00:00+01:00"))
    write_network(network, folder)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    assert any(s["opening_hours"] != "24/7" for s in truth["stations"])  # hours matter too
    tables = ingest(sorted(p for p in folder.iterdir() if p.name != "truth.json")).tables
    rulesets = [charging_ruleset_by_id(BASE)] + [r for r in available_charging_rulesets()
                                                 if r.id != BASE]
    metrics = compute_metrics(tables, rulesets,
                              period_from=datetime.fromisoformat(truth["period"]["from"]),
                              period_to=datetime.fromisoformat(truth["period"]["to"]))
    return truth, metrics


def test_each_ports_minutes_by_state_are_the_truths(run: tuple[dict[str, Any],
                                                            ChargingMetrics]) -> None:
    truth, metrics = run
    ports = {port.port_id: port for port in metrics.ports}
    assert set(ports) == {port["port_id"] for port in truth["ports"]}
    for port in truth["ports"]:
        found = {k: v for k, v in ports[port["port_id"]].minutes_by_state.items() if v}
        assert found == pytest.approx(port["minutes_by_state"]), port["port_id"]


def test_availability_under_every_rule_set_is_the_truths(
        run: tuple[dict[str, Any], ChargingMetrics]) -> None:
    """Each rule set's state mapping over the true minutes, its excluded causes and closed
    hours given back (NEVI), and — the UK — ports under its power floor not measured."""
    truth, metrics = run
    ports = {port.port_id: port for port in metrics.ports}
    checked = 0
    for ruleset in available_charging_rulesets():
        mapping = ruleset.rules.state_mapping
        if mapping is None:
            continue
        target = ruleset.rules.reliability_target
        floor_kw = target.min_power_kw if target is not None else None
        for port in truth["ports"]:
            minutes = port["minutes_by_state"]
            excluded = port["excluded_seconds"].get(ruleset.id, 0) / 60
            if floor_kw is not None and port["power_kw"] < floor_kw:
                expected = (0.0, 0.0, 0.0, sum(minutes.values()))
            else:
                expected = (sum(minutes.get(s, 0.0) for s in mapping.available),
                            sum(minutes.get(s, 0.0) for s in mapping.unavailable) - excluded,
                            excluded, sum(minutes.get(s, 0.0) for s in mapping.ineligible))
            found = ports[port["port_id"]].availability[ruleset.id]
            assert (found.available_minutes, found.unavailable_minutes, found.excluded_minutes,
                    found.ineligible_minutes) == pytest.approx(expected), (ruleset.id, port)
            checked += 1
    assert checked > len(truth["ports"])
    assert truth["network"]["excluded_seconds"]["us-nevi-2023"] > 0


def test_outages_flaps_reboots_and_drops_are_the_truths(
        run: tuple[dict[str, Any], ChargingMetrics]) -> None:
    truth, metrics = run
    ports = {port.port_id: port for port in metrics.ports}
    for port in truth["ports"]:
        found = ports[port["port_id"]]
        assert (found.outage_episodes, found.status_flaps, found.connection_drops,
                found.reboots) == (port["merged_outage_episodes"], port["status_flaps"],
                                   port["connection_drops"], port["reboots"]), port["port_id"]
    network = metrics.network
    # a station's boots and drops are counted once however many ports it has
    assert network.reboots == truth["network"]["reboots"]
    assert network.connection_drops == truth["network"]["connection_drops"] > 0
    reboots: Counter[str] = Counter()
    for port in truth["ports"]:
        reboots.update(port["reboots"])
    assert network.reboots_per_port_day == pytest.approx(
        sum(reboots.values()) / network.port_days)
    assert network.outage_episodes == truth["network"]["merged_outage_episodes"]
    assert network.status_flaps == truth["network"]["status_flaps"] > 0


def test_sessions_and_their_success_are_the_truths(
        run: tuple[dict[str, Any], ChargingMetrics]) -> None:
    """Sessions judged and successful under each rule set; ChargeX's attempts add the
    authorisations no transaction followed (its authorize_binding)."""
    truth, metrics = run
    network, expected = metrics.network, truth["network"]
    assert network.sessions == expected["sessions"]
    for ruleset_id in truth["rules"]["session_success_rulesets"]:
        bound = charging_ruleset_by_id(ruleset_id).rules.authorize_binding is not None
        found = network.session_success[ruleset_id]
        assert (found.attempts, found.successful) == (
            expected["session_judged"][ruleset_id]
            + (expected["silent_failures"] if bound else 0),
            expected["session_success"][ruleset_id]), ruleset_id
    ocpp = [port for port in truth["ports"] if port["protocol"] != "irve"]
    start = network.charge_start_success
    assert start is not None
    assert (start.attempts, start.successful) == (
        sum(p["sessions"] + p["silent_failures"] for p in ocpp),
        sum(p["sessions"] - p["failed_starts"] for p in ocpp))


def test_the_ticket_funnel_is_the_truths(run: tuple[dict[str, Any], ChargingMetrics]) -> None:
    truth, metrics = run
    closure = metrics.network.closure
    assert closure is not None
    tickets = truth["network"]["tickets"]
    for key in ("opened", "acknowledged", "resolved", "closed", "verified", "within_sla",
                "reopened", "remote", "first_time_fix"):
        assert getattr(closure, key) == tickets[key], key
    assert (closure.covered_outages, closure.coverable_outages) == (
        truth["network"]["covered_outages"], truth["network"]["coverable_outages"])


def test_chargex_per_start_mode_weighs_up_to_the_network(
        run: tuple[dict[str, Any], ChargingMetrics]) -> None:
    """ChargeX's KPIs per start mode; the network's are their weighted whole (Σ/Σ)."""
    _, metrics = run
    modes = metrics.network.by_start_mode
    assert modes  # the synthetic drivers all authorise first (charging synth)
    start = metrics.network.charge_start_success
    assert start is not None
    counted = [m.charge_start_success for m in modes.values() if m.charge_start_success]
    assert sum(c.attempts for c in counted) == start.attempts
    assert sum(c.successful for c in counted) == start.successful
