"""The figures the metrics must find in a synthetic network: ``truth.json``.

Made from the simulation's record, not from the files, and by docs/charging.md's definitions:
a state holds until the port's next status or the period's end; before a port's first status
it is unknown; an OCPP station is offline from its last message before a silence longer than
k × its heartbeat interval until its next message, and every port of it is offline then; an
outage is a run of a state the base rule set maps to unavailable; session success is each rule
set's own ``session_success`` rule. The schema is documented in docs/charging.md ("Synthetic
networks").
"""

from __future__ import annotations

import calendar
import itertools
import operator
import time
from collections import Counter
from typing import Any, Final

from ..rules import ExcludedCausesRule, SuccessRule, available_charging_rulesets
from .network import BASE_RULESET
from .ocpp import iso_utc
from .record import (
    DAY_S,
    LIMITED_HOURS,
    OPEN_S,
    OPEN_WEEKDAYS,
    Network,
    Port,
    Session,
    Station,
    Thresholds,
    Ticket,
)

__all__ = ["TRUTH_FORMAT", "successful", "truth"]

TRUTH_FORMAT: Final = 1
#: the key of a boot without a reason (OCPP 1.6's BootNotification has none)
NO_REASON: Final = "unknown"


def successful(session: Session, rule: SuccessRule) -> bool | None:
    """Whether a session succeeds under a rule, in three values: it fails below a floor (by
    the rule's ``comparison``) or with a stop reason outside the rule's list; it succeeds
    above the floors with a listed reason; with a value the rule needs missing — an IRVE
    session's stop reason — and nothing failing, it is not judged (None): unknown is unknown."""
    beats = operator.gt if rule.comparison == "above" else operator.ge
    if rule.min_duration_s is not None and not beats(session.duration_s, rule.min_duration_s):
        return False
    if rule.min_energy_kwh is not None and \
            not beats(session.energy_wh / 1000, rule.min_energy_kwh):
        return False
    if rule.stop_reasons is None:
        return True
    if session.stop_reason is None:
        return None
    return session.stop_reason in rule.stop_reasons


def truth(network: Network) -> dict[str, Any]:
    """``truth.json``'s content."""
    spec, limits = network.spec, network.thresholds
    rules = {ruleset.id: rule for ruleset in available_charging_rulesets()
             if (rule := ruleset.rules.session_success) is not None}
    exclusions = {ruleset.id: excluded for ruleset in available_charging_rulesets()
                  if (excluded := ruleset.rules.excluded_causes) is not None}
    ports: list[dict[str, Any]] = []
    stations: list[dict[str, Any]] = []
    tickets: dict[str, tuple[Ticket, ...]] = {}  # by port, and by station for its own
    for ticket in network.tickets:
        key = ticket.port_id or ticket.station_id
        tickets[key] = (*tickets.get(key, ()), ticket)
    for station in network.stations:
        for port in station.ports:
            ports.append(_port(network, station, port, rules, tickets, exclusions))
        boots = Counter(reason or NO_REASON for _, reason in station.boots)
        stations.append({
            "station_id": station.station_id, "protocol": station.protocol,
            "power_kw": station.power_kw, "operator": station.operator,
            "opening_hours": station.opening_hours,
            "heartbeat_interval_s": station.heartbeat_s if station.protocol != "irve" else None,
            "ports": [port.port_id for port in station.ports],
            "reboots": dict(sorted(boots.items())),
            "connection_drops": len(station.offline),
            "offline_episodes": [{"start": iso_utc(went), "end": iso_utc(back),
                                  "minutes": (back - went) / 60}
                                 for went, back in station.offline]})
    out: dict[str, Any] = {
        "format": TRUTH_FORMAT,
        "generator": {"stations": spec.stations, "days": spec.days, "seed": spec.seed},
        "period": {"from": iso_utc(spec.start_s), "to": iso_utc(spec.end_s)},
        "rules": {"ruleset": BASE_RULESET,
                  "offline_heartbeat_multiple": limits.heartbeat_multiple,
                  "outage_merging_gap_s": limits.merging_gap_s,
                  "fault_coverage_min_outage_s": limits.fault_coverage_s,
                  "unavailable_states": list(limits.unavailable_states),
                  "session_success_rulesets": sorted(rules)},
        "network": _network(network, stations, ports, sorted(rules)),
        "stations": stations,
        "ports": ports,
    }
    if network.precursors is not None:
        out["precursors"] = [
            {"port_id": p.port_id, "station_id": p.station_id, "fault_at": iso_utc(p.fault_s),
             "from": iso_utc(p.from_s) if p.from_s is not None else None,
             "kinds": list(p.kinds)} for p in network.precursors]
    return out


def _port(network: Network, station: Station, port: Port, rules: dict[str, SuccessRule],
          tickets: dict[str, tuple[Ticket, ...]],
          exclusions: dict[str, ExcludedCausesRule]) -> dict[str, Any]:
    spec, unavailable = network.spec, network.thresholds.unavailable_states
    timeline: list[tuple[int, str]] = [(when, state) for when, state, _ in port.statuses]
    timeline += [(went, "offline") for went, _ in station.offline]
    timeline.sort(key=lambda item: item[0])  # stable: no status shares a time with a silence
    seconds: Counter[str] = Counter({"unknown": timeline[0][0] - spec.start_s})
    runs: list[list[Any]] = []  # [start, end, state] of the same state, back to back
    for number, (when, state) in enumerate(timeline):
        until = timeline[number + 1][0] if number + 1 < len(timeline) else spec.end_s
        seconds[state] += until - when
        if runs and runs[-1][2] == state and runs[-1][1] == when:
            runs[-1][1] = until
        else:
            runs.append([when, until, state])
    outages = [run for run in runs if run[2] in unavailable]
    found = [_outage(network, tickets, station, port, start, end, state)
             for start, end, state in outages]
    gap = network.thresholds.merging_gap_s
    merged = sum(1 for number, run in enumerate(outages)
                 if number == 0 or run[0] - outages[number - 1][1] >= gap)
    states = [state for _, state, _ in port.statuses]
    sessions = port.sessions
    return {
        "port_id": port.port_id, "station_id": station.station_id,
        "protocol": station.protocol, "power_kw": station.power_kw,
        "first_event": iso_utc(timeline[0][0]),
        "seconds_by_state": {state: value for state, value in sorted(seconds.items()) if value},
        "minutes_by_state": {state: value / 60 for state, value in sorted(seconds.items())
                             if value},
        "unknown_before_first_event_minutes": (timeline[0][0] - spec.start_s) / 60,
        "status_events": len(port.statuses),
        "state_changes": sum(1 for a, b in itertools.pairwise(states) if a != b),
        "outages": found,
        "excluded_seconds": {ruleset: sum(_excluded_s(outage, station, rule)
                                          for outage in found)
                             for ruleset, rule in sorted(exclusions.items())},
        "merged_outage_episodes": merged,
        "status_flaps": sum(1 for start, end, state in outages
                            if state == "faulted" and end - start < gap),
        "reboots": dict(sorted(Counter(reason or NO_REASON
                                       for _, reason in station.boots).items())),
        "connection_drops": len(station.offline),
        "sessions": len(sessions),
        "failed_starts": sum(1 for session in sessions if session.charging_s is None),
        "silent_failures": len(port.silent_failures),
        "attempts": len(sessions) + len(port.silent_failures),
        "energy_wh": sum(session.energy_wh for session in sessions),
        "charge_start_times_s": sorted(session.charging_s - session.auth_s
                                       for session in sessions
                                       if session.charging_s is not None
                                       and station.protocol != "irve"),
        "session_success": {ruleset: sum(1 for session in sessions
                                         if successful(session, rule) is True)
                            for ruleset, rule in sorted(rules.items())},
        "session_judged": {ruleset: sum(1 for session in sessions
                                        if successful(session, rule) is not None)
                           for ruleset, rule in sorted(rules.items())},
    }


def _excluded_s(outage: dict[str, Any], station: Station, rule: ExcludedCausesRule) -> int:
    """The seconds of an outage a rule set gives back: all of it with a ticket of one of its
    causes (opened as the outage starts), else — if the rule says so — its closed hours."""
    if outage["cause"] in rule.causes:
        return int(outage["seconds"])
    if not rule.outside_opening_hours or station.opening_hours != LIMITED_HOURS:
        return 0
    return _closed_s(_seconds(outage["start"]), _seconds(outage["end"]))


def _closed_s(start: int, end: int) -> int:
    """Seconds of [start, end) outside the limited opening hours (UTC days)."""
    closed, cursor = 0, start
    while cursor < end:
        day = cursor - cursor % DAY_S
        until = min(end, day + DAY_S)
        closed += until - cursor
        if (day // DAY_S + 3) % 7 in OPEN_WEEKDAYS:  # 1 January 1970 was a Thursday
            closed -= max(0, min(until, day + OPEN_S[1]) - max(cursor, day + OPEN_S[0]))
        cursor = until
    return closed


def _outage(network: Network, tickets: dict[str, tuple[Ticket, ...]], station: Station,
            port: Port, start: int, end: int, state: str) -> dict[str, Any]:
    """An outage with the ticket opened during it on its port or its station (the simulation
    opens each ticket inside the outage it is for), and whether NEVI gives it back."""
    ticket = next((t for t in tickets.get(port.port_id, ()) + tickets.get(station.station_id, ())
                   if start <= t.opened_s < end), None)
    cause = ticket.cause if ticket is not None else None
    return {"start": iso_utc(start), "end": iso_utc(end), "state": state,
            "seconds": end - start, "minutes": (end - start) / 60,
            "ticket_id": ticket.ticket_id if ticket is not None else None, "cause": cause,
            "excluded_cause": cause in network.thresholds.excluded_causes}


_SUMMED: Final = ("status_events", "state_changes", "merged_outage_episodes", "status_flaps",
                  "sessions", "failed_starts", "silent_failures", "attempts", "energy_wh")


def _network(network: Network, stations: list[dict[str, Any]], ports: list[dict[str, Any]],
             rulesets: list[str]) -> dict[str, Any]:
    seconds: Counter[str] = Counter()
    reboots: Counter[str] = Counter()
    for port in ports:
        seconds.update(port["seconds_by_state"])
    for station in stations:
        reboots.update(station["reboots"])
    tickets, limits = network.tickets, network.thresholds
    excluded = set(limits.excluded_causes)
    return {
        "stations": len(stations), "ports": len(ports),
        "port_days": len(ports) * network.spec.days,
        "seconds_by_state": dict(sorted(seconds.items())),
        "minutes_by_state": {state: value / 60 for state, value in sorted(seconds.items())},
        **{key: sum(port[key] for port in ports) for key in _SUMMED},
        "outage_episodes": sum(len(port["outages"]) for port in ports),
        **{key: {ruleset: sum(port[key][ruleset] for port in ports) for ruleset in rulesets}
           for key in ("session_success", "session_judged")},
        "excluded_seconds": {ruleset: sum(port["excluded_seconds"][ruleset] for port in ports)
                             for ruleset in sorted(ports[0]["excluded_seconds"])}
        if ports else {},
        "coverable_outages": sum(1 for port in ports for outage in port["outages"]
                                 if outage["seconds"] > limits.fault_coverage_s),
        "covered_outages": sum(1 for port in ports for outage in port["outages"]
                               if outage["seconds"] > limits.fault_coverage_s
                               and outage["ticket_id"] is not None),
        "reboots": dict(sorted(reboots.items())),
        "connection_drops": sum(station["connection_drops"] for station in stations),
        "tickets": {
            "opened": len(tickets),
            "acknowledged": sum(1 for t in tickets if t.acknowledged_s is not None),
            "resolved": sum(1 for t in tickets if t.resolved_s is not None),
            "closed": sum(1 for t in tickets if t.closed_s is not None),
            "reopened": sum(1 for t in tickets if t.reopened),
            "remote": sum(1 for t in tickets if t.resolution == "remote"),
            "station_level": sum(1 for t in tickets if t.port_id is None),
            "excluded_cause": sum(1 for t in tickets if t.cause in excluded),
            "within_sla": sum(1 for t in tickets if _within_sla(t, limits)),
            "first_time_fix": sum(1 for t in tickets
                                  if t.resolved_s is not None and not t.reopened),
            "verified": _verified(network, ports),
            "by_cause": dict(sorted(Counter(t.cause or "" for t in tickets).items())),
        },
    }


def _verified(network: Network, ports: list[dict[str, Any]]) -> int:
    """Closed tickets with no fault (a faulted outage) starting on their port — any port of
    the station, for a station ticket — within the window after closing."""
    faults: dict[str, list[int]] = {}
    for port in ports:
        starts = [_seconds(o["start"]) for o in port["outages"] if o["state"] == "faulted"]
        faults.setdefault(port["port_id"], []).extend(starts)
        faults.setdefault(port["station_id"], []).extend(starts)
    window = network.thresholds.verified_window_s
    return sum(1 for t in network.tickets if t.closed_s is not None
               and not any(t.closed_s < start <= t.closed_s + window
                           for start in faults.get(t.port_id or t.station_id, ())))


def _seconds(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _within_sla(ticket: Ticket, limits: Thresholds) -> bool:
    """Acknowledged and resolved, each within its severity tier's time."""
    return ticket.acknowledged_s is not None and ticket.resolved_s is not None \
        and ticket.acknowledged_s - ticket.opened_s <= limits.acknowledge_s[ticket.severity] \
        and ticket.resolved_s - ticket.opened_s <= limits.resolve_s[ticket.severity]
