"""The simulated truth: a synthetic charging network as a deterministic event-level simulation.

Every station is simulated on its own generator (spawned from the seed), so the same seed
gives the same network, and a station's history does not depend on how many others there are.
Times are whole seconds since the epoch (UTC). The simulation records, beside the messages a
station sends, what really happened — each port's states, its sessions and failed attempts, the
station's offline periods and boots, the tickets — and :mod:`.truth` turns that record into the
figures the metrics must find. Every threshold it plays around (session floors, the offline
multiple, the merging gap, the excluded causes) is read from the installed rule sets.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Final

import numpy as np

from ...errors import ChargingInputError, Problem
from ...i18n import message
from ..model import port_state
from ..rules import available_charging_rulesets, charging_ruleset_by_id
from .activities import PortSim
from .record import (
    DAY_S,
    LIMITED_HOURS,
    Network,
    Port,
    Protocol,
    Station,
    SynthSpec,
    Thresholds,
    TicketBook,
)

__all__ = ["BASE_RULESET", "DEFAULT_START", "EXCLUSION_RULESET", "make_spec", "simulate",
           "thresholds"]


#: the protocols in the order stations take them: two fifths 1.6, two fifths 2.0.1, one IRVE
_PROTOCOLS: Final[tuple[Protocol, ...]] = ("1.6", "2.0.1", "irve", "1.6", "2.0.1")
_POWERS_KW: Final = (7.4, 22.0, 50.0, 150.0, 300.0)
_POWER_WEIGHTS: Final = (0.25, 0.3, 0.2, 0.15, 0.1)
_HEARTBEATS_S: Final = (900, 1800, 3600)
_OPERATORS: Final = ("Synthetic Charge Co", "Demo Energie SAS", "车企示例能源")
#: the reasons a 2.0.1 station reboots on its own (BootReasonEnumType), beside Watchdog
_REBOOT_REASONS: Final = ("RemoteReset", "FirmwareUpdate", "ScheduledReset", "LocalReset")
#: the rule set whose offline, merging and SLA rules the network is built around
BASE_RULESET: Final = "cn-alliance-wp-2026"
#: the rule set whose excluded causes the tickets use
EXCLUSION_RULESET: Final = "us-nevi-2023"
#: quiet time kept around a station incident, so no port activity touches it (longer than
#: any merging gap: an incident stays its own outage)
_INCIDENT_MARGIN_S: Final = 600
#: nothing is injected in the last hour, so every episode ends inside the period
_TAIL_S: Final = 3_600


def thresholds() -> Thresholds:
    """The rule-set numbers the simulation plays around, read from the installed rule sets."""
    base = charging_ruleset_by_id(BASE_RULESET)
    offline = base.rules.offline_detection
    merging = base.rules.outage_merging
    mapping = base.rules.state_mapping
    tiers = base.rules.sla_tiers
    coverage = base.rules.fault_coverage
    verified = base.rules.verified_closure
    excluded = charging_ruleset_by_id(EXCLUSION_RULESET).rules.excluded_causes
    if offline is None or merging is None or mapping is None or tiers is None \
            or excluded is None or coverage is None or verified is None:
        raise LookupError(f"{BASE_RULESET} and {EXCLUSION_RULESET} must define offline "
                          "detection, outage merging, the state mapping, SLA tiers, fault "
                          "coverage, verified closure and excluded causes")
    floors = []
    stop_reasons: set[str] = set()
    for ruleset in available_charging_rulesets():
        rule = ruleset.rules.session_success
        if rule is None:
            continue
        if rule.min_duration_s is not None:
            floors.append(("duration", rule.min_duration_s))
        if rule.min_energy_kwh is not None:
            floors.append(("energy", rule.min_energy_kwh))
        stop_reasons |= set(rule.stop_reasons or ())
    return Thresholds(
        heartbeat_multiple=offline.heartbeat_multiple, merging_gap_s=merging.max_gap_s,
        unavailable_states=tuple(mapping.unavailable),
        floors=tuple(sorted(set(floors))), completion_reasons=frozenset(stop_reasons),
        excluded_causes=tuple(excluded.causes),
        severities=tuple(tier.severity for tier in tiers.tiers),
        fault_coverage_s=coverage.min_outage_s,
        acknowledge_s={tier.severity: tier.acknowledge_h * 3600 for tier in tiers.tiers},
        resolve_s={tier.severity: tier.resolve_h * 3600 for tier in tiers.tiers},
        verified_window_s=verified.window_s)


def simulate(spec: SynthSpec) -> Network:
    """The network ``spec`` describes, simulated."""
    limits = thresholds()
    generators = [np.random.default_rng(child)
                  for child in np.random.SeedSequence(spec.seed).spawn(spec.stations)]
    stations: list[Station] = []
    book = TicketBook(spec.end_s)
    for number, rng in enumerate(generators, start=1):
        station = _station(number, rng, spec)
        _incidents(station, rng, spec, limits, book)
        for port in station.ports:
            PortSim(station, port, rng, start_s=spec.start_s, last_s=spec.end_s - _TAIL_S,
                    limits=limits, book=book).run()
        station.events.sort(key=lambda event: (event[0], event[1]))
        stations.append(station)
    return Network(spec, limits, stations, book.tickets())


def _station(number: int, rng: np.random.Generator, spec: SynthSpec) -> Station:
    protocol = _PROTOCOLS[(number - 1) % len(_PROTOCOLS)]
    station_id = f"FRSYNP{number:05d}" if protocol == "irve" else f"SYN{number:05d}"
    power = float(rng.choice(_POWERS_KW, p=_POWER_WEIGHTS))
    heartbeat = int(rng.choice(_HEARTBEATS_S))
    hours = LIMITED_HOURS if rng.random() < 0.15 else "24/7"
    commissioned = datetime.fromtimestamp(  # in UTC: not the machine's zone
        spec.start_s - int(rng.integers(30, 2000)) * DAY_S, UTC).date()
    station = Station(station_id, protocol, power, heartbeat,
                      _OPERATORS[int(rng.integers(0, len(_OPERATORS)))], hours, commissioned)
    station.borderline = int(rng.integers(0, 1_000))
    for index in range(1, int(rng.integers(1, 5)) + 1):
        if protocol == "1.6":
            port_id = f"{station_id}:{index}"
        elif protocol == "2.0.1":
            port_id = f"{station_id}:{index}:1"
        else:
            port_id = f"FRSYNE{number:05d}{index}"
        station.ports.append(Port(port_id, station_id, index))
    return station


def _incidents(station: Station, rng: np.random.Generator, spec: SynthSpec, limits: Thresholds,
               tickets: TicketBook) -> None:
    """Boot, heartbeats, offline periods and reboots of an OCPP station; the first status of
    every port (an IRVE port's first row comes at its own time, in :class:`PortSim`)."""
    if station.protocol == "irve":
        return
    boot = spec.start_s + int(rng.integers(0, 900))  # before it: unknown, not offline
    _boot(station, boot, "PowerUp", "Available")
    anchor = boot  # heartbeats come every interval after the last boot or reconnection
    cursor = boot + _INCIDENT_MARGIN_S
    last = spec.end_s - _TAIL_S
    beat = station.heartbeat_s
    while True:
        cursor += int(rng.exponential(2 * DAY_S))
        choice = rng.random()
        if choice < 0.5:  # offline: silent for longer than k × the heartbeat interval
            went = anchor + max(1, math.ceil((cursor - anchor) / beat)) * beat
            back = went + math.floor(limits.heartbeat_multiple * beat) \
                + int(rng.integers(60, 4 * beat))
            if back + _INCIDENT_MARGIN_S > last:
                break
            _beats(station, anchor, went + 1)  # the last message is a heartbeat at ``went``
            station.offline.append((went, back))
            station.emit(back, "heartbeat")
            for port in station.ports:
                _status(station, port, back, "Available")
            station.blackouts.append((went - _INCIDENT_MARGIN_S, back + _INCIDENT_MARGIN_S))
            if rng.random() < 0.4:
                _station_ticket(station, rng, limits, tickets, went, back)
            anchor, cursor = back, back + _INCIDENT_MARGIN_S
            continue
        loop = choice < 0.8  # a reboot loop (Watchdog); else one reboot of another reason
        count = int(rng.integers(2, 6)) if loop else 1
        times = [cursor]
        for _ in range(count - 1):
            times.append(times[-1] + int(rng.integers(30, 90)))
        # back in service well after the merging gap: a reboot is never a flap
        recovered = times[-1] + int(limits.merging_gap_s) + int(rng.integers(30, 240))
        if recovered + _INCIDENT_MARGIN_S > last:
            break
        _beats(station, anchor, times[0])
        reason = "Watchdog" if loop else str(rng.choice(_REBOOT_REASONS))
        for when in times:
            _boot(station, when, reason, "Unavailable")
        for port in station.ports:
            _status(station, port, recovered, "Available")
        station.blackouts.append((times[0] - _INCIDENT_MARGIN_S,
                                  recovered + _INCIDENT_MARGIN_S))
        anchor, cursor = times[-1], recovered + _INCIDENT_MARGIN_S
    _beats(station, anchor, spec.end_s)


def _boot(station: Station, when: int, reason: str, status: str) -> None:
    """A BootNotification (1.6 has no reason) and every port's status after it."""
    kept = reason if station.protocol == "2.0.1" else None
    station.boots.append((when, kept))
    station.emit(when, "boot", kept)
    for port in station.ports:
        _status(station, port, when, status)


def _status(station: Station, port: Port, when: int, raw: str) -> None:
    port.statuses.append((when, port_state(raw), raw))
    station.emit(when, "status", port.index, raw,
                 "NoError" if station.protocol == "1.6" else None)


def _beats(station: Station, anchor: int, until: int) -> None:
    """Heartbeats every interval after ``anchor``, before ``until``."""
    for when in range(anchor + station.heartbeat_s, until, station.heartbeat_s):
        station.emit(when, "heartbeat")


def _station_ticket(station: Station, rng: np.random.Generator, limits: Thresholds,
                    tickets: TicketBook, went: int,
                    back: int) -> None:
    """A station-level ticket (every port) for an offline period: the most severe tier."""
    excluded = rng.random() < 0.5
    cause = str(rng.choice(limits.excluded_causes)) if excluded else "communication"
    opened = went if excluded else went + int(rng.integers(60, 600))  # as for a port fault
    acknowledged = opened + int(rng.integers(60, 1800))
    resolved = max(back, acknowledged + 60)
    # closed before the ports may fail again: a ticket never spans two outages
    closed = min(resolved + int(rng.integers(600, 7200)), back + _INCIDENT_MARGIN_S)
    tickets.add(port_id=None, station_id=station.station_id, severity=limits.severities[0],
                opened_s=opened, acknowledged_s=acknowledged, resolved_s=resolved,
                closed_s=closed, cause=cause, resolution="remote", reopened=0)


#: the default start: a Monday, with France's change to summer time inside the first 30 days
DEFAULT_START: Final = "2026-03-16T00:00:00+00:00"


def make_spec(*, stations: int, days: int, seed: int, start: str | None = None) -> SynthSpec:
    """The spec of a command line's arguments; every bad one is listed in one
    :class:`ChargingInputError`."""
    problems = [Problem(f"--{name}", message("charging.synth.at_least_one",
                                             {"value": str(value)}))
                for name, value in (("stations", stations), ("days", days)) if value < 1]
    if seed < 0:
        problems.append(Problem("--seed", message("charging.synth.seed", {"value": str(seed)})))
    text = DEFAULT_START if start is None else start
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        problems.append(Problem("--start", message("charging.synth.start", {"value": text}),
                                message("charging.synth.start_fix")))
    if problems or when is None:
        raise ChargingInputError(problems)
    return SynthSpec(stations, days, seed, math.floor(when.timestamp()))
