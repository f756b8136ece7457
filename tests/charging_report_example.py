"""A realistic ChargingMetrics built by hand for the report's tests: three stations of two
operators, eight ports, fourteen days, outages with tickets, findings — every station and
network figure the Σ of its ports' (numerators and denominators summed, rates recomputed), as
the result's contract says, and validated by the pydantic model itself.

    example_metrics() -> ChargingMetrics
    example_tables() -> dict[str, pa.Table]      canonical tables for the open-data export
    RULESETS                                     the rule-set ids the example is computed under
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from solidcheck.charging.model import STATES, TABLES
from solidcheck.charging.results import ChargingMetrics
from solidcheck.charging.rules import charging_ruleset_by_id

__all__ = ["AVAILABILITY_RULESETS", "RULESETS", "START", "example_metrics", "example_tables"]

START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 14
RULESETS = ("us-nevi-2023", "uk-pcpr-2023", "chargex-2024", "fr-afirev", "cn-alliance-wp-2026")
AVAILABILITY_RULESETS = ("us-nevi-2023", "uk-pcpr-2023", "cn-alliance-wp-2026")
SUCCESS_RULESETS = ("chargex-2024", "fr-afirev")
STATIONS = {"FRABCS001": ("Op One", 3), "FRABCS002": ("Op One", 3), "FRXYZS003": ("Op Two", 2)}
_MINUTES = DAYS * 1440.0


def _rate(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else 100 * numerator / denominator


def _port(station: str, number: int, rng: random.Random) -> dict[str, Any]:
    port_id = f"{station}P{number}"
    outages = []
    down = 0.0
    for _ in range(rng.randint(0, 3)):
        start = START + timedelta(days=rng.randint(0, DAYS - 1), hours=rng.randint(0, 20))
        minutes = float(rng.choice([35, 90, 240, 600, 1500]))
        cause = rng.choice([None, "utility_outage", "connector_broken", "vandalism"])
        outages.append({"start": start, "end": start + timedelta(minutes=minutes),
                        "minutes": minutes, "state": rng.choice(["faulted", "offline",
                                                                  "unavailable"]),
                        "cause": cause, "ticket_id": None if cause is None else
                        f"T-{port_id}-{len(outages)}", "excluded": cause == "utility_outage"})
        down += minutes
    excluded = sum(o["minutes"] for o in outages if o["excluded"])
    unknown = float(rng.choice([0, 0, 120]))
    available = _MINUTES - down - unknown
    availability = {}
    for rid in AVAILABILITY_RULESETS:
        given_back = excluded if rid == "us-nevi-2023" else 0.0
        unavailable = down - given_back
        availability[rid] = {
            "available_minutes": available, "unavailable_minutes": unavailable,
            "excluded_minutes": given_back, "ineligible_minutes": unknown,
            "rate_percent": _rate(available + given_back, available + unavailable + given_back)}
    sessions = rng.randint(40, 120)
    success = {}
    for rid in SUCCESS_RULESETS:
        ok = sessions - rng.randint(1, 9)
        success[rid] = {"attempts": sessions, "successful": ok, "rate_percent": _rate(ok,
                                                                                       sessions)}
    daily: dict[date, float | None] = {}
    for day in range(DAYS):
        first = START + timedelta(days=day)
        lost = sum(max(0.0, (min(o["end"], first + timedelta(days=1)) - max(o["start"], first))
                       .total_seconds() / 60) for o in outages)
        daily[first.date()] = None if day == 0 and unknown else 100 * (1 - lost / 1440)
    faults = sum(o["state"] == "faulted" for o in outages)
    reboots = rng.randint(0, 4)
    flaps = rng.randint(0, 30)
    starts = sessions - rng.randint(0, 4)
    ends = starts - rng.randint(0, 3)
    return {
        "port_id": port_id, "station_id": station, "power_kw": rng.choice([22.0, 50.0, 150.0]),
        "ports": 1, "port_days": float(DAYS), "available_minutes": available,
        "unavailable_minutes": down - excluded, "excluded_minutes": excluded,
        "unknown_minutes": unknown,
        "service_availability_percent": availability["cn-alliance-wp-2026"]["rate_percent"],
        "minutes_by_state": {"available": available - 600, "occupied": 600.0,
                             "faulted": down, "unknown": unknown},
        "availability": availability, "sessions": sessions,
        "energy_kwh": round(sessions * rng.uniform(15, 40), 3), "session_success": success,
        "charge_start_success": {"attempts": sessions, "successful": starts,
                                 "rate_percent": _rate(starts, sessions)},
        "charge_end_success": {"attempts": starts, "successful": ends,
                               "rate_percent": _rate(ends, starts)},
        "outage_episodes": len(outages), "fault_episodes": faults, "outage_minutes": down,
        "mtbf_h": available / 60 / len(outages) if outages else None,
        "faults_per_1000_sessions": 1000 * faults / sessions,
        "reboots": {"PowerUp": reboots} if reboots else {},
        "reboots_per_port_day": reboots / DAYS, "connection_drops": rng.randint(0, 5),
        "status_flaps": flaps, "status_flaps_per_port_day": flaps / DAYS,
        "outages": outages, "daily_availability_percent": daily,
    }


def _closure(opened: int) -> dict[str, Any]:
    acknowledged, resolved = opened - 1, opened - 2
    closed, verified = resolved - 1, resolved - 3
    return {"opened": opened, "acknowledged": acknowledged, "resolved": resolved,
            "closed": closed, "verified": verified, "within_sla": closed - 2, "reopened": 1,
            "remote": 4, "first_time_fix": closed - 3,
            "closure_rate_percent": _rate(closed, opened),
            "within_sla_percent": _rate(closed - 2, closed),
            "first_time_fix_percent": _rate(closed - 3, closed),
            "remote_resolution_percent": _rate(4, resolved),
            "reopen_percent": _rate(1, closed), "time_to_acknowledge_h": {"p50": 1.5, "p90": 6.25},
            "time_to_repair_h": {"p50": 9.0, "p90": 47.5}, "covered_outages": 9,
            "coverable_outages": 11, "fault_coverage_percent": _rate(9, 11)}


def _sum(ports: list[dict[str, Any]]) -> dict[str, Any]:
    """Σ of the ports' figures, rates recomputed from the sums (never a mean of rates)."""
    total: dict[str, Any] = {}
    for name in ("ports", "port_days", "available_minutes", "unavailable_minutes",
                 "excluded_minutes", "unknown_minutes", "sessions", "energy_kwh",
                 "outage_episodes", "fault_episodes", "outage_minutes", "connection_drops",
                 "status_flaps"):
        total[name] = sum(p[name] for p in ports)
    states = {s for p in ports for s in p["minutes_by_state"]}
    total["minutes_by_state"] = {s: sum(p["minutes_by_state"].get(s, 0.0) for p in ports)
                                 for s in states}
    total["availability"] = {}
    for rid in AVAILABILITY_RULESETS:
        parts = {k: sum(p["availability"][rid][k] for p in ports) for k in (
            "available_minutes", "unavailable_minutes", "excluded_minutes",
            "ineligible_minutes")}
        parts["rate_percent"] = _rate(parts["available_minutes"] + parts["excluded_minutes"],
                                      parts["available_minutes"] + parts["unavailable_minutes"]
                                      + parts["excluded_minutes"])
        total["availability"][rid] = parts
    total["service_availability_percent"] = total["availability"]["cn-alliance-wp-2026"][
        "rate_percent"]
    total["session_success"] = {}
    for rid in SUCCESS_RULESETS:
        attempts = sum(p["session_success"][rid]["attempts"] for p in ports)
        ok = sum(p["session_success"][rid]["successful"] for p in ports)
        total["session_success"][rid] = {"attempts": attempts, "successful": ok,
                                         "rate_percent": _rate(ok, attempts)}
    for name in ("charge_start_success", "charge_end_success"):
        attempts = sum(p[name]["attempts"] for p in ports)
        ok = sum(p[name]["successful"] for p in ports)
        total[name] = {"attempts": attempts, "successful": ok, "rate_percent": _rate(ok,
                                                                                    attempts)}
    reboots = sum(sum(p["reboots"].values()) for p in ports)
    total["reboots"] = {"PowerUp": reboots} if reboots else {}
    total["reboots_per_port_day"] = reboots / total["port_days"]
    total["status_flaps_per_port_day"] = total["status_flaps"] / total["port_days"]
    total["mtbf_h"] = (total["available_minutes"] / 60 / total["outage_episodes"]
                       if total["outage_episodes"] else None)
    total["faults_per_1000_sessions"] = 1000 * total["fault_episodes"] / total["sessions"]
    return total


def example_metrics(*, seed: int = 16) -> ChargingMetrics:
    rng = random.Random(seed)
    ports = [_port(station, n, rng) for station, (_, count) in STATIONS.items()
             for n in range(1, count + 1)]
    stations = [{"station_id": s, "operator": op, **_sum([p for p in ports
                                                          if p["station_id"] == s])}
                for s, (op, _) in STATIONS.items()]
    operators = []
    for op in sorted({op for op, _ in STATIONS.values()}):
        mine = [p for p in ports if STATIONS[p["station_id"]][0] == op]
        operators.append({"operator": op, "stations": sum(o == op for o, _ in STATIONS.values()),
                          **_sum(mine)})
    network = {"stations": len(STATIONS), **_sum(ports), "closure": _closure(14)}
    daily = []
    for day in range(DAYS):
        when = (START + timedelta(days=day)).date()
        values = [p["daily_availability_percent"][when] for p in ports
                  if p["daily_availability_percent"][when] is not None]
        sessions = rng.randint(30, 60)
        daily.append({"date": when, "service_availability_percent": sum(values) / len(values),
                      "sessions": sessions, "successful_sessions": sessions - rng.randint(0, 6)})
    network["daily"] = daily
    worst = min(ports, key=lambda p: p["availability"]["us-nevi-2023"]["rate_percent"])
    findings = [
        {"severity": "error", "rule": "uptime_target", "message": "port below the uptime "
         "target", "message_id": None, "params": {}, "source": "standard",
         "clause": "23 CFR 680.116(b)", "ruleset": "us-nevi-2023", "metric": "uptime",
         "scope": "port", "subject": worst["port_id"],
         "value": worst["availability"]["us-nevi-2023"]["rate_percent"], "target": 97.0},
        {"severity": "warning", "rule": "status_rate", "message": "too many statuses",
         "message_id": None, "params": {}, "source": "assumption", "clause": None,
         "ruleset": "cn-alliance-wp-2026", "metric": None, "scope": "input",
         "subject": "dynamique.csv", "value": None, "target": None},
    ]
    return ChargingMetrics.model_validate({
        "period": {"from": START, "to": START + timedelta(days=DAYS)},
        "rulesets": [{"id": r.id, "title": r.ruleset.title, "title_zh": r.ruleset.title_zh,
                      "document": r.ruleset.document}
                     for r in map(charging_ruleset_by_id, RULESETS)],
        "inputs": [{"file": "dynamique.csv.gz", "sha256": "ab" * 32, "format": "irve-dynamique",
                    "rows": 1840, "rejected": 3,
                    "rejected_reasons": {"charging.rejected.time": 3}},
                   {"file": "sessions.csv", "sha256": "cd" * 32, "format": "irve-sessions",
                    "rows": 610, "rejected": 0}],
        "network": network, "operators": operators, "stations": stations, "ports": ports,
        "findings": findings})


def example_tables(*, seed: int = 16) -> dict[str, pa.Table]:
    """Canonical tables with every state, millisecond times and sessions with and without a
    stop reason (the open data's inputs)."""
    rng = random.Random(seed)
    ports = [f"{s}P{n}" for s, (_, count) in STATIONS.items() for n in range(1, count + 1)]
    events, sessions = [], []
    for index, port in enumerate(ports):
        when = START + timedelta(milliseconds=137 * index)
        for state in STATES:
            when += timedelta(minutes=rng.randint(5, 300), milliseconds=rng.randint(0, 999))
            events.append({"ts": when, "logged_ts": when, "station_id": port[:9],
                           "port_id": port, "evse_id": None, "connector_id": None,
                           "station_wide": False, "state": state, "raw_status": state,
                           "error_code": None, "source": "x", "line": len(events) + 1})
        for number in range(3):
            start = START + timedelta(hours=5 * number + index, seconds=rng.randint(0, 59))
            end = start + timedelta(minutes=rng.randint(1, 90))
            sessions.append({"port_id": port, "start": start, "end": end,
                             "duration_s": (end - start).total_seconds(),
                             "energy_wh": rng.choice([250.0, 12345.6, 40000.0]),
                             "stop_reason": rng.choice([None, "EVDisconnected"]),
                             "session_id": f"S{index}-{number}", "source": "x",
                             "line": len(sessions) + 1})
    inventory = [{"port_id": port, "station_id": port[:9], "power_kw": 50.0,
                  "opening_hours": "24/7", "commissioned": date(2024, 5, 1),
                  "operator": STATIONS[port[:9]][0], "source": "x", "line": n + 1}
                 for n, port in enumerate(ports)]
    tickets = [{"ticket_id": "T-1", "port_id": ports[0], "station_id": None,
                "severity": "critical", "opened": START, "acknowledged": START
                + timedelta(hours=1), "resolved": None, "closed": None,
                "cause": "utility_outage", "resolution": None, "reopened": 0, "source": "x",
                "line": 1}]
    rows = {"port_events": events, "sessions": sessions, "inventory": inventory,
            "tickets": tickets}
    return {name: pa.Table.from_pylist(rows.get(name, []), schema=schema)
            for name, schema in TABLES.items()}
