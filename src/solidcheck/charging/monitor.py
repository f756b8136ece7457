"""What the live monitoring page shows besides the live state: today's figures of each station
and the last 24 hours of each port, computed by part I's engine (``ingest`` →
``compute_metrics`` / ``state_intervals``) over the live endpoint's own frame logs — so the
page and ``solidcheck charging metrics`` over the same files give the same numbers — and an
open alert's age against its severity's SLA tier.

Functions of files and a clock: the web page calls them in a worker thread and caches them
(they read and parse a day of frames, which is too slow for the event loop). Reading a day's
log is most of the work, so :class:`LogTables` keeps each file's canonical tables until the file
changes: yesterday's is read once, today's once per refresh for both the figures and the
timelines.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from .frame_log import day_file
from .rules import ChargingRuleset, SlaTier

__all__ = ["LogTables", "Segment", "SlaStanding", "StationToday", "day_start", "port_timelines",
           "sla_standing", "today_figures"]


@dataclass(frozen=True, slots=True)
class StationToday:
    """A station's figures over [today 00:00 UTC, now); None is "not measurable yet" (part I
    gives null when nothing counts towards the rate), never 0."""

    station_id: str
    availability_percent: float | None
    success_percent: float | None
    sessions: int


@dataclass(frozen=True, slots=True)
class Segment:
    """One state interval of a port, [start, end)."""

    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True, slots=True)
class SlaStanding:
    """An open alert's age against its tier: ``used`` is age / the time allowed (1 = due)."""

    tier: SlaTier
    allowed_s: float
    used: float
    #: what the time allowed is for: acknowledging (not yet acknowledged) or resolving
    step: str

    @property
    def overdue(self) -> bool:
        return self.used >= 1.0


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC day: the frame logs and part I's daily figures are UTC days."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _logs(folder: Path, since: datetime, now: datetime) -> list[Path]:
    """The day files covering [since, now) that exist and hold something."""
    days, day = [], day_start(since)
    while day <= now:
        path = day_file(folder, day)
        if path.is_file() and path.stat().st_size > 0:
            days.append(path)
        day += timedelta(days=1)
    return days


class LogTables:
    """The canonical tables of frame-log files, each file read by part I's ``ingest`` once per
    version (size and modification time); thread-safe. Files are read one by one and their
    tables joined: a port's states and a station's silences are per frame, so this gives the
    intervals one read of all the files would (a session across midnight is cut in two, which
    only the day figures would see, and those read one day)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: dict[Path, tuple[tuple[int, int], dict[str, pa.Table]]] = {}

    def tables(self, files: Sequence[Path]) -> dict[str, pa.Table]:
        from .ingest import ingest

        with self._lock:
            parts = []
            for path in files:
                stat = path.stat()
                version = (stat.st_size, stat.st_mtime_ns)
                known = self._read.get(path)
                if known is None or known[0] != version:
                    known = self._read[path] = (version, ingest([path]).tables)
                parts.append(known[1])
            for path in set(self._read) - set(files):  # a day that left the window
                del self._read[path]
        if len(parts) == 1:
            return parts[0]
        return {name: pa.concat_tables([p[name] for p in parts], promote_options="default")
                for name in parts[0]}


def today_figures(folder: Path, ruleset: ChargingRuleset, *, now: datetime,
                  logs: LogTables | None = None) -> dict[str, StationToday]:
    """Service availability and session success of every station in today's frame log,
    under ``ruleset`` (part I's definitions); empty when the log has no port yet."""
    from .metrics import compute_metrics

    start = day_start(now)
    files = _logs(folder, start, now)
    if not files or now <= start:
        return {}
    tables = (logs or LogTables()).tables(files)
    if tables["port_events"].num_rows == 0:
        return {}
    result = compute_metrics(tables, [ruleset], period_from=start, period_to=now)
    out = {}
    for station in result.stations:
        success = station.session_success.get(ruleset.id)
        out[station.station_id] = StationToday(
            station.station_id, station.service_availability_percent,
            success.rate_percent if success is not None else None, station.sessions)
    return out


def port_timelines(folder: Path, ruleset: ChargingRuleset, *, now: datetime,
                   hours: float = 24.0, logs: LogTables | None = None
                   ) -> dict[str, list[Segment]]:
    """Each port's state intervals over the last ``hours`` (from the frame logs of every UTC
    day they reach), by part I's interval builder: port id → segments in order."""
    from .intervals import Period, state_intervals

    since = now - timedelta(hours=hours)
    files = _logs(folder, since, now)
    if not files:
        return {}
    tables = (logs or LogTables()).tables(files)
    if tables["port_events"].num_rows == 0:
        return {}
    rows = state_intervals(tables, [ruleset], Period(since, now))
    out: dict[str, list[Segment]] = {}
    for row in rows.iter_rows(named=True):
        out.setdefault(row["port_id"], []).append(
            Segment(row["start"], row["end"], row["state"]))
    return out


def sla_standing(severity: str, tiers: Sequence[SlaTier], *, age_s: float,
                 acknowledged: bool) -> SlaStanding | None:
    """An open alert against its severity's tier: the time to acknowledge until it is
    acknowledged, then the time to resolve; None when the rule set has no such tier."""
    tier = next((t for t in tiers if t.severity == severity), None)
    if tier is None:
        return None
    hours = tier.resolve_h if acknowledged else tier.acknowledge_h
    allowed_s = hours * 3600.0
    return SlaStanding(tier, allowed_s, max(age_s, 0.0) / allowed_s,
                       "resolve" if acknowledged else "acknowledge")
