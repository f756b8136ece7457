"""What the figures need of the port events, per port: the part of ``compute_metrics`` that
grows with the status events. Ports are independent, so the parts of disjoint sets of ports
(port-hash buckets of a network larger than memory) concatenate into the parts of their
union, and ``metrics.assemble`` turns either into the same ChargingMetrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from .availability import (
    CATEGORIES,
    availability_minutes,
    day_states,
    exclusion_windows,
    in_minutes,
    split_days,
)
from .consistency import CONSISTENCY_COLUMNS, status_session_minutes
from .intervals import Period, state_intervals, to_polars
from .model import TABLES
from .more_sums import consistency_defined
from .outages import outage_frame, stability_frame
from .rules import ChargingRuleset
from .usage import attempts

__all__ = ["Minutes", "PortParts", "concat_parts", "flagged_events", "port_minutes",
           "port_parts"]

_TS = pl.Datetime("ms", "UTC")
#: the port events' columns flagged_events reads
_FLAG_COLUMNS = ("ts", "logged_ts", "port_id", "state", "raw_status")


@dataclass(frozen=True, slots=True)
class PortParts:
    """Per-port frames, each with a ``port_id`` column.

    ports: intervals.port_table's rows of these ports; by_state: port_id, state, minutes;
    totals: rule set id → port_id and the ``<category>_minutes``; first_daily: the first
    mapped rule set's minutes per port and day (the daily rates); outages, stability:
    outages.py's frames; flagged: the port events the data-quality findings read (all of
    them, and only them); unparsed: opening-hours forms not understood."""

    ports: pl.DataFrame
    by_state: pl.DataFrame
    totals: dict[str, pl.DataFrame]
    first_daily: pl.DataFrame | None
    outages: pl.DataFrame
    stability: pl.DataFrame
    flagged: pl.DataFrame
    unparsed: tuple[str, ...]
    #: statuses against sessions (consistency.CONSISTENCY_COLUMNS), when a rule set asks
    consistency: pl.DataFrame


def flagged_events(events: pl.DataFrame, tables: Mapping[str, pa.Table],
                   rulesets: Sequence[ChargingRuleset], period: Period) -> pl.DataFrame:
    """The port events read beyond the intervals: by a data-quality finding of any rule set
    (those of port-days above the lowest status-rate limit, statuses later than the lowest
    freshness limit, IRVE ``hors_service/occupe`` rows), by the tickets' fault check
    (``faulted`` statuses, when there are tickets) and by OCPP 1.6 charge starts (``Charging``
    statuses, when there are transactions). Each reader computed on these alone gives what
    it gives on every event: each filters its rows by a condition kept here (each rule's own
    limit is at least the lowest one)."""
    rules = [r.rules for r in rulesets]
    keep = pl.lit(False)
    if _rows(tables, "tickets"):
        keep = keep | (pl.col("state") == "faulted").fill_null(False)
    if _rows(tables, "transaction_events"):
        keep = keep | (pl.col("raw_status") == "Charging").fill_null(False)
    rates = [rule.status_rate.limit for rule in rules if rule.status_rate is not None]
    if rates:
        inside = (pl.col("ts") >= pl.lit(period.start).cast(_TS)) & (
            pl.col("ts") < pl.lit(period.end).cast(_TS))
        per_day = inside.cast(pl.Int64).sum().over("port_id", pl.col("ts").dt.date())
        keep = keep | (inside & (per_day > min(rates))).fill_null(False)
    late = [rule.status_freshness.limit for rule in rules if rule.status_freshness is not None]
    if late:
        late_s = (pl.col("logged_ts") - pl.col("ts")).dt.total_milliseconds() / 1000
        keep = keep | (late_s > min(late)).fill_null(False)
    if any(rule.out_of_service_occupied is not None and rule.out_of_service_occupied.enforced
           for rule in rules):
        keep = keep | (pl.col("raw_status") == "hors_service/occupe").fill_null(False)
    return events.filter(keep)


def _rows(tables: Mapping[str, pa.Table], name: str) -> int:
    table = tables.get(name)
    return 0 if table is None else table.num_rows


@dataclass(frozen=True, slots=True)
class Minutes:
    """:func:`port_minutes`' answer."""

    intervals: pl.DataFrame
    states: pl.DataFrame
    totals: dict[str, pl.DataFrame]
    first_daily: pl.DataFrame | None
    unparsed: tuple[str, ...]


def port_minutes(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset],
                 period: Period, *, ports: pl.DataFrame) -> Minutes:
    """Availability: the ports' state intervals, their time per day and state, and each
    mapped rule set's minutes per port (the first one's also per day)."""
    intervals = state_intervals(tables, rulesets, period, ports=ports)
    days = split_days(intervals)
    states = day_states(days)
    totals: dict[str, pl.DataFrame] = {}
    first_daily = None
    unparsed: set[str] = set()
    for ruleset in (r for r in rulesets if r.rules.state_mapping is not None):
        windows, not_read = exclusion_windows(tables, ruleset, period, ports)
        unparsed.update(not_read)
        minutes = availability_minutes(days, ruleset, exclusions=windows, ports=ports,
                                       states=states)
        if first_daily is None:
            first_daily = minutes
        totals[ruleset.id] = minutes.group_by("port_id").agg(
            pl.col(f"{c}_ms").sum() for c in CATEGORIES).select(
            "port_id", *[in_minutes(f"{c}_ms") for c in CATEGORIES]).sort("port_id")
    return Minutes(intervals, states, totals, first_daily, tuple(sorted(unparsed)))


def port_parts(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset],
               period: Period, *, ports: pl.DataFrame) -> PortParts:
    """The parts of ``ports`` (intervals.port_table's, or a subset) over the period."""
    found = port_minutes(tables, rulesets, period, ports=ports)
    outages = outage_frame(found.intervals, tables, rulesets, period=period, ports=ports)
    stability = stability_frame(found.intervals, outages, tables, rulesets[0], period=period,
                                ports=ports)
    # only the rows kept are converted whole (the flag reads five columns)
    table = tables.get("port_events")
    if table is None:
        table = TABLES["port_events"].empty_table()
    looked = to_polars(tables, "port_events", columns=_FLAG_COLUMNS).with_columns(
        pl.col("port_id").is_in(ports["port_id"].implode()).alias("_mine"))
    mask = flagged_events(looked.with_row_index("_row").filter(pl.col("_mine")), tables,
                          rulesets, period)["_row"]
    events = pl.from_arrow(table.take(mask.to_arrow()))
    assert isinstance(events, pl.DataFrame)
    return PortParts(
        ports=ports,
        by_state=found.states.group_by("port_id", "state").agg(pl.col("ms").sum()).select(
            "port_id", "state", (pl.col("ms") / 60_000).alias("minutes")).sort("port_id",
                                                                                "state"),
        totals=found.totals, first_daily=found.first_daily, outages=outages,
        stability=stability, flagged=events,
        unparsed=found.unparsed,
        consistency=_consistency(tables, rulesets, period, found.intervals, ports))


def _consistency(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset],
                 period: Period, intervals: pl.DataFrame, ports: pl.DataFrame
                 ) -> pl.DataFrame:
    """The statuses of these ports against their own sessions: the sessions and the
    transactions that touch one of them (a transaction whole, whichever of its events names
    the port), so a bucket reads its share of the small tables, not all of it."""
    if not consistency_defined(rulesets):
        return pl.DataFrame(schema=CONSISTENCY_COLUMNS)
    mine = ports["port_id"].implode()
    events = to_polars(tables, "transaction_events")
    touched = events.filter(pl.col("port_id").is_in(mine))["transaction_id"].unique()
    own = {**tables, "frames": TABLES["frames"].empty_table(),
           "transaction_events": events.filter(
               pl.col("transaction_id").is_in(touched.implode())).to_arrow(),
           "sessions": to_polars(tables, "sessions").filter(
               pl.col("port_id").is_in(mine)).to_arrow()}
    found = attempts(own, rulesets, period_from=period.start, period_to=period.end)
    return status_session_minutes(intervals, found, period)


def concat_parts(parts: Sequence[PortParts]) -> PortParts:
    """The parts of the union of disjoint sets of ports, ports in port_id order."""
    def cat(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
        return pl.concat(frames, how="vertical_relaxed")

    firsts = [p.first_daily for p in parts if p.first_daily is not None]
    return PortParts(
        ports=cat([p.ports for p in parts]).sort("port_id"),
        by_state=cat([p.by_state for p in parts]).sort("port_id", "state"),
        totals={rid: cat([p.totals[rid] for p in parts]).sort("port_id")
                for rid in parts[0].totals},
        first_daily=cat(firsts) if firsts else None,
        outages=cat([p.outages for p in parts]).sort("port_id", "start"),
        stability=cat([p.stability for p in parts]).sort("port_id"),
        flagged=cat([p.flagged for p in parts]),
        unparsed=tuple(sorted({form for p in parts for form in p.unparsed})),
        consistency=cat([p.consistency for p in parts]).sort("port_id"))
