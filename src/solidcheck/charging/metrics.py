"""``compute_metrics``: the canonical tables and the rule sets in, one ChargingMetrics out.

The steps, each a module: the ports and their state intervals (intervals.py), minutes per
port and day under each rule set (availability.py), outage episodes and stability
(outages.py), sessions and charge success (usage.py) and ticket closure (closure.py), then
port figures summed into stations, operators and the network (aggregate.py) and the breaches
of the rule sets' targets (findings.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa

from ..errors import ChargingInputError, Problem
from ..i18n import Display
from . import closure, usage
from .aggregate import Sums, figures, total
from .availability import CATEGORIES, in_minutes
from .findings import charging_findings
from .intervals import Period, data_span, port_table, to_polars
from .more_sums import more_sums
from .parts import PortParts, port_parts
from .results import (
    ChargingMetrics,
    Closure,
    Day,
    InputFile,
    NetworkFigures,
    OperatorFigures,
    Outage,
    PortFigures,
    RulesetRef,
    StartMode,
    StationFigures,
)
from .results import Period as PeriodOut
from .rules import ChargingRuleset

__all__ = ["assemble", "by_level", "compute_metrics", "resolve_period"]

T = TypeVar("T")

#: the levels figures are given at, and the port column that groups them
_LEVELS: dict[str, str | None] = {"port": "port_id", "station": "station_id",
                                  "operator": "operator", "network": None}


def resolve_period(tables: Mapping[str, pa.Table], *, period_from: datetime | None,
                   period_to: datetime | None) -> Period:
    """[from, to): the given bounds, else the data's own span; bad bounds are invalid input."""
    span = data_span(tables)
    problems = [Problem(name, "a time without a UTC offset", "write it with its offset, "
                        "e.g. 2026-06-01T00:00:00+08:00")
                for name, value in (("--from", period_from), ("--to", period_to))
                if value is not None and value.utcoffset() is None]
    if problems:
        raise ChargingInputError(problems)
    start = period_from or (span.start if span else None)
    end = period_to or (span.end if span else None)
    if start is None or end is None:
        raise ChargingInputError([Problem("inputs", "no timed event in the inputs, so the "
                                          "period is not known", "give --from and --to")])
    if end <= start:
        raise ChargingInputError([Problem("--to", f"the period ends ({end.isoformat()}) "
                                          f"before it starts ({start.isoformat()})",
                                          "give a --to after --from")])
    return Period(start.astimezone(UTC), end.astimezone(UTC))


def by_level(rows: pl.DataFrame, ports: pl.DataFrame,
             figures_by: Callable[[pl.DataFrame, str | None], dict[str | None, T]]
             ) -> dict[str, dict[str | None, T]]:
    """``figures_by(rows, column)`` at each level — port, station, operator, network
    (column None) — after giving ``rows`` (one per attempt, ticket …, with a ``port_id``) their
    port's station and operator, so they group as the port figures do; a row of no known port
    keeps its own station and operator."""
    own = [pl.col(c) if c in rows.columns else pl.lit(None, pl.String) for c in
           ("station_id", "operator")]
    placed = rows.join(ports.select("port_id", pl.col("station_id").alias("_station"),
                                    pl.col("operator").alias("_operator")),
                       on="port_id", how="left")
    placed = placed.with_columns(pl.coalesce("_station", own[0]).alias("station_id"),
                                 pl.coalesce("_operator", own[1]).alias("operator")
                                 ).drop("_station", "_operator")
    return {level: figures_by(placed, column) for level, column in _LEVELS.items()}


def _usage(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset],
           period: Period, ports: pl.DataFrame) -> tuple[
               pl.DataFrame, dict[str, dict[str | None, usage.UsageFigures]]]:
    """Sessions and charge success per level (usage.py)."""
    rows = usage.attempts(tables, rulesets, period_from=period.start, period_to=period.end)
    return rows, by_level(rows, ports, lambda a, by: usage.usage_figures(a, rulesets, by=by))


def _by_start_mode(attempts: pl.DataFrame, rulesets: Sequence[ChargingRuleset]
                   ) -> dict[str, StartMode]:
    """ChargeX's figures per start mode, when a rule set defines charge start success."""
    if not any("charge_start_success" in r.defined_metrics() for r in rulesets):
        return {}
    modes = usage.usage_figures(attempts, rulesets, by="start_mode")
    return {mode: StartMode(sessions=f.sessions, session_success=f.session_success,
                            charge_start_success=f.charge_start_success,
                            charge_end_success=f.charge_end_success,
                            charge_start_time_s=f.charge_start_time_s)
            for mode, f in sorted(modes.items(), key=lambda item: str(item[0]))
            if mode is not None}


def _closure(tables: Mapping[str, pa.Table], outages: pl.DataFrame,
             rulesets: Sequence[ChargingRuleset], period: Period,
             ports: pl.DataFrame) -> dict[str, dict[str | None, Closure]]:
    """Ticket closure per level (closure.py); none without a ticket in the period."""
    rows = closure.ticket_rows(tables, outages, rulesets, period_from=period.start,
                               period_to=period.end)
    if rows.is_empty():
        return {}
    return by_level(rows, ports, lambda r, by: closure.closure_figures(r, outages, rulesets,
                                                                       by=by))


def _daily_sessions(attempts: pl.DataFrame, rulesets: Sequence[ChargingRuleset]
                    ) -> dict[date, tuple[int, int]]:
    """Sessions started on each UTC day, and those successful under the first rule set that
    defines session success."""
    sessions = attempts.filter(pl.col("is_session"))
    column = next((c for c in (usage.success_column(r.id) for r in rulesets)
                   if c in sessions.columns), None)
    good = pl.col(column).fill_null(False).sum() if column else pl.lit(0)
    daily = sessions.group_by(pl.col("start").dt.date().alias("day")).agg(
        pl.len().alias("sessions"), good.alias("successful"))
    return {row["day"]: (row["sessions"], int(row["successful"]))
            for row in daily.iter_rows(named=True)}


def _sums(ports: pl.DataFrame, by_state: pl.DataFrame, minutes: dict[str, pl.DataFrame],
          stability: pl.DataFrame) -> dict[str, Sums]:
    """The additive parts of every port (a loop over ports, not over events); ``minutes``:
    each rule set's minutes per port (PortParts.totals)."""
    sums = {port: Sums(ports=1) for port in ports["port_id"].to_list()}
    for row in by_state.iter_rows(named=True):
        sums[row["port_id"]].minutes_by_state[row["state"]] += row["minutes"]
    for rid, frame in minutes.items():
        for port in sums.values():
            port.minutes[rid] = Counter(dict.fromkeys(CATEGORIES, 0.0))
        for row in frame.iter_rows(named=True):
            sums[row["port_id"]].minutes[rid] = Counter(
                {c: row[f"{c}_minutes"] for c in CATEGORIES})
    for row in stability.iter_rows(named=True):
        part = sums[row["port_id"]]
        part.port_days = row["port_days"]
        for name in ("outage_episodes", "fault_episodes", "outage_minutes", "connection_drops",
                     "status_flaps"):
            setattr(part, name, row[name])
        part.reboots = Counter({r["reason"]: r["count"] for r in row["reboots"] or []})
    for row in ports.iter_rows(named=True):
        part = sums[row["port_id"]]
        station = row["source_station"] or row["station_id"]
        part.station_events = {station: (part.reboots, part.connection_drops)}
    return sums


def _daily(frame: pl.DataFrame | None, by: list[str]) -> dict[Any, dict[date, float | None]]:
    """Service availability per day, keyed by the ``by`` columns' value (or None); the rate
    as :func:`~.availability.availability` gives it, computed column-wise."""
    out: dict[Any, dict[date, float | None]] = defaultdict(dict)
    if frame is None:
        return out
    summed = frame.group_by([*by, "day"]).agg(pl.col(f"{c}_ms").sum() for c in CATEGORIES
                                              ).with_columns(in_minutes(f"{c}_ms")
                                                             for c in CATEGORIES)
    up = pl.col("available_minutes") + pl.col("excluded_minutes")
    denominator = up + pl.col("unavailable_minutes")
    rates = summed.sort("day").select(
        pl.col(by[0]) if by else pl.lit(None).alias("key"), "day",
        pl.when(denominator > 0).then(pl.min_horizontal(pl.lit(100.0), 100 * up / denominator))
        .alias("rate"))
    for key, day, rate in rates.iter_rows():
        out[key][day] = rate
    return out


def compute_metrics(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset], *,
                    period_from: datetime | None = None, period_to: datetime | None = None,
                    inputs: Sequence[InputFile] = (), lang: Display = "en") -> ChargingMetrics:
    """Every figure of every port, station, operator and the network over [from, to) (default:
    the data's own span) under each rule set, the first one's availability on top; findings
    rendered in ``lang``."""
    if not rulesets:
        raise ChargingInputError([Problem("--ruleset", "no rule set given",
                                          "name at least one charging rule set")])
    period = resolve_period(tables, period_from=period_from, period_to=period_to)
    parts = port_parts(tables, rulesets, period, ports=port_table(tables))
    return assemble(tables, parts, rulesets, period=period, inputs=inputs, lang=lang)


def assemble(tables: Mapping[str, pa.Table], parts: PortParts,
             rulesets: Sequence[ChargingRuleset], *, period: Period,
             inputs: Sequence[InputFile] = (), lang: Display = "en") -> ChargingMetrics:
    """The ChargingMetrics of the ports' parts (parts.py) and the tables' sessions,
    transactions, tickets and station-level events; ``tables``' port events are read only
    for their station-wide statuses (the ports' own come flagged in the parts)."""
    ports, outages = parts.ports, parts.outages
    mapped = [r for r in rulesets if r.rules.state_mapping is not None]
    first = mapped[0].id if mapped else None
    wide = to_polars(tables, "port_events").filter(pl.col("station_wide"))
    # every port event read from here on: the parts' flagged ones and the station-wide ones
    checked = {**tables, "port_events": pl.concat([parts.flagged, wide]).to_arrow()}
    attempts, used_by = _usage(checked, rulesets, period, ports)
    closed_by = _closure(checked, outages, rulesets, period, ports)
    sums = _sums(ports, parts.by_state, parts.totals, parts.stability)
    for port, more in more_sums(list(sums), rulesets, consistency=parts.consistency,
                                by_state=parts.by_state, attempts=attempts,
                                ports=ports).items():
        sums[port].more = more  # visits, utilisation, statuses against sessions
    info = {row["port_id"]: row for row in ports.iter_rows(named=True)}
    first_minutes = parts.first_daily
    port_days = _daily(first_minutes, ["port_id"])
    episodes: dict[str, list[Outage]] = defaultdict(list)
    for row in outages.iter_rows(named=True):
        episodes[row["port_id"]].append(Outage(
            start=row["start"], end=row["end"], minutes=round(row["minutes"], 6),
            state=row["state"], cause=row["cause"], ticket_id=row["ticket_id"],
            excluded=row["excluded"]))

    members: dict[tuple[str, str | None], list[Sums]] = defaultdict(list)
    for p, part in sums.items():
        members["network", None].append(part)
        for name in ("station", "operator"):
            members[name, info[p][_LEVELS[name] or ""]].append(part)

    def level(name: str, key: str | None) -> dict[str, Any]:
        return figures(total(members[name, key]), first=first,
                       usage=used_by.get(name, {}).get(key),
                       closure=closed_by.get(name, {}).get(key))

    port_out = [PortFigures(port_id=p, station_id=info[p]["station_id"],
                            power_kw=info[p]["power_kw"], outages=episodes[p],
                            daily_availability_percent=port_days.get(p, {}),
                            **figures(sums[p], first=first, usage=used_by.get("port", {}).get(p),
                                      closure=closed_by.get("port", {}).get(p)))
                for p in sums]
    station_ids = sorted({info[p]["station_id"] for p in sums})
    operator_of = {info[p]["station_id"]: info[p]["operator"] for p in sums}
    stations = [StationFigures(station_id=s, operator=operator_of[s], **level("station", s))
                for s in station_ids]
    operators = [OperatorFigures(operator=o, stations=sum(1 for s in station_ids
                                                          if operator_of[s] == o),
                                 **level("operator", o))
                 for o in sorted({info[p]["operator"] for p in sums} - {None})]
    network_days = _daily(first_minutes, []).get(None, {})
    used = _daily_sessions(attempts, rulesets)
    daily = [Day(date=day, service_availability_percent=rate,
                 sessions=used.get(day, (0, 0))[0], successful_sessions=used.get(day, (0, 0))[1])
             for day, rate in network_days.items()]
    network = NetworkFigures(stations=len(station_ids), daily=daily,
                             by_start_mode=_by_start_mode(attempts, rulesets),
                             **level("network", None))
    refs = [RulesetRef(id=r.id, title=r.ruleset.title, title_zh=r.ruleset.title_zh,
                       document=r.ruleset.document) for r in rulesets]
    findings = charging_findings(checked, rulesets, period=period, network=network,
                                 stations=stations, ports=port_out, port_table=ports,
                                 unparsed_hours=list(parts.unparsed), lang=lang)
    return ChargingMetrics(period=PeriodOut.model_validate({"from": period.start,
                                                            "to": period.end}),
                           rulesets=refs, inputs=list(inputs), network=network,
                           operators=operators, stations=stations, ports=port_out,
                           findings=findings)
