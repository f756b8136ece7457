"""Degradation before failures (``charging synth --precursors``): what real chargers show in
the 48–72 h before some faults — failed starts rising, the temperature creeping up, Watchdog
reboots — injected into a simulated network, and recorded so truth.json says which faults had
precursors and from when. Other faults come without warning, so a model cannot be perfect.

A pass after :func:`.network.simulate`, on generators of its own (from the seed), so a network
without the flag is the same network, byte for byte. Every injected step goes where the port
(for a reboot, every port of the station) is idle and away from station incidents, so the
record stays whole and truth.json's figures stay the metrics' figures.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Final

import numpy as np

from ..rules import charging_ruleset_by_id
from .network import BASE_RULESET
from .record import Network, Port, Precursor, Session, Station

__all__ = ["PRECURSOR_SHARE", "add_precursors"]

#: the share of faults that get precursors: most, not all (a model must not be perfect)
PRECURSOR_SHARE: Final = 0.6
#: how long before its fault a degradation begins: the 48–72 h vendors report
_LEAD_S: Final = (48 * 3600, 72 * 3600)
#: failed starts and Watchdog reboots injected into one degradation (from, to inclusive)
_FAILED_STARTS: Final = (4, 8)
_REBOOTS: Final = (1, 3)
#: a Temperature sample of every OCPP port every 3 h; healthy 20–35 °C, creeping to 55–65 °C
_TEMPERATURE_EVERY_S: Final = 3 * 3600
_HEALTHY_C: Final = (20.0, 35.0)
_HOT_C: Final = (55.0, 65.0)
#: the quiet time an injected step needs on each side (more than the one-minute merging gap)
_QUIET_S: Final = 300
_FAILED_REASON: Final = {"1.6": "Other", "2.0.1": "Timeout"}
_PLACE_TRIES: Final = 40
#: the generators' stream tag: apart from the simulation's own
_STREAM: Final = 0x5052


def _faults(port: Port, min_s: float) -> list[int]:
    """When the port's faults of at least ``min_s`` began (a faulted status held that long)."""
    found = []
    for (when, state, _), (after, _, _) in zip(port.statuses, port.statuses[1:], strict=False):
        if state == "faulted" and after - when >= min_s:
            found.append(when)
    return found


def _idle(port: Port, begin: int, end: int) -> bool:
    """The port reports Available from before ``begin`` - quiet to after ``end`` + quiet."""
    times = [s[0] for s in port.statuses]
    before = bisect.bisect_right(times, begin - _QUIET_S) - 1
    if before < 0 or port.statuses[before][1] != "available":
        return False
    after = bisect.bisect_left(times, begin - _QUIET_S)
    return after >= len(times) or times[after] > end + _QUIET_S


def _clear(station: Station, begin: int, end: int) -> bool:
    return all(end + _QUIET_S <= lo or begin - _QUIET_S >= hi for lo, hi in station.blackouts)


def _failed_start(station: Station, port: Port, when: int) -> None:
    """An authorised start that never delivers power: the port's failed_start session."""
    plug, start = when + 5, when + 10
    end, available = start + 60, start + 90
    serial = station.next_serial()
    earlier = [s for s in port.sessions if s.start_s < start]
    register = earlier[-1].meter_start_wh + earlier[-1].energy_wh if earlier else (
        port.sessions[0].meter_start_wh if port.sessions else 0)
    session = Session(
        port_id=port.port_id, kind="failed_start", auth_s=when, start_s=start, end_s=end,
        charging_s=None, energy_wh=0, meter_start_wh=register,
        stop_reason=_FAILED_REASON[station.protocol],
        transaction_id=str(serial) if station.protocol == "1.6"
        else f"{station.station_id}-{serial:07d}",
        token=f"TAG{station.station_id[-5:]}{serial:07d}")
    port.sessions.append(session)
    port.sessions.sort(key=lambda s: s.start_s)
    occupied = "Preparing" if station.protocol == "1.6" else "Occupied"
    station.emit(when, "authorize", session.token)
    port.statuses += [(plug, "occupied", occupied), (available, "available", "Available")]
    station.emit(plug, "status", port.index, occupied,
                 "NoError" if station.protocol == "1.6" else None)
    station.emit(start, "tx_start", port.index, session)
    if station.protocol == "1.6":
        port.statuses.append((end, "occupied", "Finishing"))
        station.emit(end, "status", port.index, "Finishing", "NoError")
    station.emit(end, "tx_end", port.index, session)
    station.emit(available, "status", port.index, "Available",
                 "NoError" if station.protocol == "1.6" else None)
    port.statuses.sort(key=lambda s: s[0])


def _reboot(station: Station, when: int) -> None:
    """A Watchdog reset the station recovers from at once (a 1.6 boot names no reason)."""
    reason = "Watchdog" if station.protocol == "2.0.1" else None
    station.boots.append((when, reason))
    station.boots.sort(key=lambda b: b[0])
    station.emit(when, "boot", reason)
    for port in station.ports:
        port.statuses.append((when, "available", "Available"))
        port.statuses.sort(key=lambda s: s[0])
        station.emit(when, "status", port.index, "Available",
                     "NoError" if station.protocol == "1.6" else None)


def _place(rng: np.random.Generator, begin: int, end: int, length: int,
           fits: Callable[[int], bool]) -> int | None:
    """A time in [begin, end - length) where ``fits(t)`` holds, or None after a few tries."""
    if end - length <= begin:
        return None
    for _ in range(_PLACE_TRIES):
        when = int(rng.integers(begin, end - length))
        if fits(when):
            return when
    return None


def _degrade(station: Station, port: Port, rng: np.random.Generator, fault_s: int,
             from_s: int) -> tuple[str, ...]:
    """Failed starts and Watchdog reboots in [from_s, fault_s); the kinds injected."""
    kinds = []
    for _ in range(int(rng.integers(_FAILED_STARTS[0], _FAILED_STARTS[1] + 1))):
        when = _place(rng, from_s, fault_s - _QUIET_S, 120,
                      lambda t: _idle(port, t, t + 100) and _clear(station, t, t + 100))
        if when is not None:
            _failed_start(station, port, when)
            kinds.append("failed_starts")
    for _ in range(int(rng.integers(_REBOOTS[0], _REBOOTS[1] + 1))):
        when = _place(rng, from_s, fault_s - _QUIET_S, 1, lambda t: _clear(station, t, t) and all(
            _idle(other, t, t) for other in station.ports))
        if when is not None:
            _reboot(station, when)
            kinds.append("watchdog_reboots")
    # 2.0.1 has no Temperature measurand in MeterValues: its stations give no temperature
    hot = ("temperature",) if station.protocol == "1.6" else ()
    return (*hot, *sorted(set(kinds)))


def _temperatures(station: Station, start_s: int, end_s: int, rng: np.random.Generator,
                  hot: dict[str, list[tuple[int, int]]]) -> None:
    """A Temperature sample (1.6 MeterValues) of each port every 3 h: healthy, or creeping
    up from a degradation's start to its fault."""
    for port in station.ports:
        base = float(rng.uniform(*_HEALTHY_C))
        for when in range(start_s + _TEMPERATURE_EVERY_S, end_s, _TEMPERATURE_EVERY_S):
            if any(went <= when <= back for went, back in station.offline):
                continue  # an offline station is silent
            celsius = base + float(rng.normal(0.0, 1.5))
            for begin, fault in hot.get(port.port_id, []):
                if begin <= when < fault:
                    top = float(rng.uniform(*_HOT_C))
                    celsius = base + (top - base) * (when - begin) / (fault - begin)
            station.emit(when, "temperature", port.index, round(celsius, 1))


def add_precursors(network: Network, *, share: float = PRECURSOR_SHARE) -> list[Precursor]:
    """Degrade the network before ``share`` of its OCPP ports' faults (of at least the risk
    rule's outage); every such fault, with its precursors or without, in port order."""
    rule = charging_ruleset_by_id(BASE_RULESET).rules.risk
    if rule is None:
        raise LookupError(f"{BASE_RULESET} must define rules.risk")
    min_s = rule.failure_min_outage_minutes * 60
    spec = network.spec
    found: list[Precursor] = []
    for number, station in enumerate(network.stations, start=1):
        if station.protocol == "irve":
            continue
        rng = np.random.default_rng([spec.seed, _STREAM, number])
        hot: dict[str, list[tuple[int, int]]] = {}
        for port in station.ports:
            for fault_s in _faults(port, min_s):
                if rng.random() >= share:
                    found.append(Precursor(port.port_id, station.station_id, fault_s, None, ()))
                    continue
                from_s = max(spec.start_s, fault_s - int(rng.integers(*_LEAD_S)))
                kinds = _degrade(station, port, rng, fault_s, from_s)
                hot.setdefault(port.port_id, []).append((from_s, fault_s))
                found.append(Precursor(port.port_id, station.station_id, fault_s, from_s,
                                       kinds))
        if station.protocol == "1.6":
            _temperatures(station, spec.start_s, spec.end_s, rng, hot)
        station.events.sort(key=lambda event: (event[0], event[1]))
    network.precursors = found
    return found
