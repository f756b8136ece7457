"""Port figures summed into station, operator and network figures: every figure is Σ of the
ports' numerators over Σ of their denominators, never a mean of the ports' ratios.

A :class:`Sums` holds the additive parts of one port (minutes, counts); adding Sums and then
deriving the ratios is the whole of the aggregation. Percentile figures (charge start time,
closure times) cannot be summed: they come ready from usage.py and closure.py at each level.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .availability import CATEGORIES, availability
from .more_sums import MoreSums, more_figures
from .results import Closure
from .usage import UsageFigures

__all__ = ["Sums", "daily_rate", "figures", "total"]


@dataclass(slots=True)
class Sums:
    """The additive parts of the figures of one port, or of ports summed."""

    ports: int = 0
    port_days: float = 0.0
    minutes_by_state: Counter[str] = field(default_factory=Counter)
    #: rule set id → category ("available" …) → minutes
    minutes: dict[str, Counter[str]] = field(default_factory=dict)
    outage_episodes: int = 0
    fault_episodes: int = 0
    outage_minutes: float = 0.0
    connection_drops: int = 0
    status_flaps: int = 0
    reboots: Counter[str] = field(default_factory=Counter)
    #: the station events behind ``reboots`` and ``connection_drops``, once per station
    #: (source station → (reboots by reason, drops)): every port carries its station's, so a
    #: group counts each station's once while its per-port-day rates stay Σ/Σ over ports
    station_events: dict[str, tuple[Counter[str], int]] = field(default_factory=dict)
    #: visits, utilisation, statuses against sessions (more_sums.py)
    more: MoreSums = field(default_factory=MoreSums)

    def __add__(self, other: Sums) -> Sums:
        minutes = {rid: Counter(counts) for rid, counts in self.minutes.items()}
        for rid, counts in other.minutes.items():
            minutes.setdefault(rid, Counter()).update(counts)
        return Sums(
            ports=self.ports + other.ports, port_days=self.port_days + other.port_days,
            minutes_by_state=self.minutes_by_state + other.minutes_by_state, minutes=minutes,
            outage_episodes=self.outage_episodes + other.outage_episodes,
            fault_episodes=self.fault_episodes + other.fault_episodes,
            outage_minutes=self.outage_minutes + other.outage_minutes,
            connection_drops=self.connection_drops + other.connection_drops,
            status_flaps=self.status_flaps + other.status_flaps,
            reboots=self.reboots + other.reboots,
            station_events={**self.station_events, **other.station_events},
            more=self.more + other.more)


def total(parts: Iterable[Sums]) -> Sums:
    out = Sums()
    for part in parts:
        out = out + part
    return out


def _per(count: float, days: float) -> float | None:
    return None if days <= 0 else count / days


def figures(sums: Sums, *, first: str | None, usage: UsageFigures | None = None,
            closure: Closure | None = None) -> dict[str, Any]:
    """The fields of :class:`~solidcheck.charging.results.Figures` from summed parts;
    ``first`` is the id of the rule set whose availability is the top-level one."""
    by_ruleset = {rid: availability({f"{name}_minutes": counts[name] for name in CATEGORIES})
                  for rid, counts in sums.minutes.items()}
    top = by_ruleset.get(first) if first is not None else None
    sessions = usage.sessions if usage is not None else 0
    available_h = (top.available_minutes / 60) if top is not None else 0.0
    return {
        "ports": sums.ports,
        "port_days": round(sums.port_days, 6),
        "available_minutes": top.available_minutes if top else 0.0,
        "unavailable_minutes": top.unavailable_minutes if top else 0.0,
        "excluded_minutes": top.excluded_minutes if top else 0.0,
        "unknown_minutes": round(sums.minutes_by_state.get("unknown", 0.0), 6),
        "service_availability_percent": top.rate_percent if top else None,
        "minutes_by_state": {state: round(value, 6)
                             for state, value in sorted(sums.minutes_by_state.items())},
        "availability": by_ruleset,
        "sessions": sessions,
        "energy_kwh": usage.energy_kwh if usage is not None else 0.0,
        "session_success": dict(usage.session_success) if usage is not None else {},
        "charge_start_success": usage.charge_start_success if usage is not None else None,
        "charge_end_success": usage.charge_end_success if usage is not None else None,
        "charge_start_time_s": dict(usage.charge_start_time_s) if usage is not None else {},
        "outage_episodes": sums.outage_episodes,
        "fault_episodes": sums.fault_episodes,
        "outage_minutes": round(sums.outage_minutes, 6),
        "mtbf_h": available_h / sums.outage_episodes if sums.outage_episodes else None,
        "faults_per_1000_sessions": 1000 * sums.fault_episodes / sessions if sessions else None,
        "reboots": dict(sorted(sum((r for r, _ in sums.station_events.values()),
                                   Counter()).items())),
        "reboots_per_port_day": _per(sum(sums.reboots.values()), sums.port_days),
        "connection_drops": sum(drops for _, drops in sums.station_events.values()),
        "status_flaps": sums.status_flaps,
        "status_flaps_per_port_day": _per(sums.status_flaps, sums.port_days),
        "closure": closure,
        **more_figures(sums.more),
    }


def daily_rate(minutes: Mapping[str, float]) -> float | None:
    """Service availability of one day's summed minutes."""
    return availability(minutes).rate_percent
