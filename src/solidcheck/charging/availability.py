"""Availability: the minutes of each port's state intervals, per UTC day, mapped by each rule
set into available / unavailable / excluded / ineligible minutes.

rate = (available + excluded) / (available + unavailable + excluded); null with no
denominator. Excluded minutes are unavailable minutes given back as up: those covered by a
ticket of one of the rule set's excluded causes (a ticket covers its port, or every port of
its station when it names no port, from opened to closed — else resolved, else the period's
end), and, when the rule set says so, those outside the port's opening hours (charging/hours.py).
A rule set whose target applies from a minimum power (the UK's 50 kW) makes every minute of a
port below it, or of unknown power, ineligible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa

from .hours import closed_windows
from .intervals import Period, to_polars
from .results import Availability
from .rules import ChargingRuleset, TargetRule

__all__ = ["CATEGORIES", "availability", "availability_minutes", "day_states",
           "exclusion_windows", "in_minutes",
           "min_power_kw", "overlap", "split_days", "ticket_windows", "union_windows"]

CATEGORIES = ("available", "unavailable", "excluded", "ineligible")
_TS = pl.Datetime("ms", "UTC")
_WINDOWS: dict[str, pl.DataType] = {"port_id": pl.String(), "start": _TS, "end": _TS}


def ticket_windows(tables: Mapping[str, pa.Table], ports: pl.DataFrame,
                   period: Period) -> pl.DataFrame:
    """Each ticket on each port it covers: port_id, ticket_id, cause, opened, start, end
    (cut to the period)."""
    tickets = to_polars(tables, "tickets").with_columns(
        pl.coalesce("closed", "resolved", pl.lit(period.end).cast(_TS)).alias("until"))
    on_port = tickets.filter(pl.col("port_id").is_not_null()).join(
        ports.select("port_id"), on="port_id")
    by_station = tickets.filter(pl.col("port_id").is_null()).drop("port_id")
    on_station = pl.concat([
        by_station.join(ports.select("port_id", "station_id"), on="station_id"),
        by_station.join(ports.select("port_id", pl.col("source_station").alias("station_id")),
                        on="station_id"),
    ]).unique(["ticket_id", "port_id"])
    columns = ["port_id", "ticket_id", "cause", "opened",
               pl.max_horizontal("opened", pl.lit(period.start).cast(_TS)).alias("start"),
               pl.min_horizontal("until", pl.lit(period.end).cast(_TS)).alias("end")]
    both = pl.concat([on_port.select(columns), on_station.select(columns)])
    return both.filter(pl.col("end") > pl.col("start"))


def union_windows(windows: pl.DataFrame) -> pl.DataFrame:
    """Windows merged per port into disjoint ones (port_id, start, end)."""
    if windows.is_empty():
        return pl.DataFrame(schema=_WINDOWS)
    ordered = windows.select("port_id", "start", "end").sort("port_id", "start")
    reach = pl.col("end").cum_max().shift(1).over("port_id")
    grouped = ordered.with_columns(
        (reach.is_null() | (pl.col("start") > reach)).cast(pl.Int64).cum_sum().over("port_id")
        .alias("run"))
    return grouped.group_by("port_id", "run").agg(pl.col("start").min(), pl.col("end").max()
                                                  ).select("port_id", "start", "end")


def overlap(intervals: pl.DataFrame, windows: pl.DataFrame, *,
            on: Sequence[str] = ("port_id",)) -> pl.DataFrame:
    """The parts of ``intervals`` inside ``windows`` (disjoint within each ``on`` group): the
    intervals' columns with start and end cut. Joining on port and day keeps the pairs few."""
    joined = intervals.join(windows.select(*on, pl.col("start").alias("w_start"),
                                           pl.col("end").alias("w_end")), on=list(on))
    return joined.with_columns(
        pl.max_horizontal("start", "w_start").alias("start"),
        pl.min_horizontal("end", "w_end").alias("end"),
    ).filter(pl.col("end") > pl.col("start")).drop("w_start", "w_end")


def exclusion_windows(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset,
                      period: Period, ports: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The windows in which the rule set gives outage minutes back (disjoint per port), and
    the opening-hours forms it could not read."""
    rule = ruleset.rules.excluded_causes
    if rule is None:
        return pl.DataFrame(schema=_WINDOWS), []
    causes = [str(cause) for cause in rule.causes]
    windows = [ticket_windows(tables, ports, period).filter(pl.col("cause").is_in(causes))
               .select("port_id", "start", "end")]
    unparsed: list[str] = []
    if rule.outside_opening_hours:
        hours = ports.drop_nulls("opening_hours")
        closed, unparsed = closed_windows(hours["opening_hours"].unique().sort().to_list(),
                                          start=period.start, end=period.end)
        windows.append(closed.join(hours.select("port_id", "opening_hours"),
                                   on="opening_hours").select("port_id", "start", "end"))
    clipped = pl.concat(windows).with_columns(
        pl.max_horizontal("start", pl.lit(period.start).cast(_TS)).alias("start"),
        pl.min_horizontal("end", pl.lit(period.end).cast(_TS)).alias("end"))
    return union_windows(clipped.filter(pl.col("end") > pl.col("start"))), unparsed


def split_days(frame: pl.DataFrame) -> pl.DataFrame:
    """Intervals cut at UTC midnight, with their ``day``, ``ms`` and ``minutes``. Only the
    intervals that cross a midnight are exploded into days (most last minutes or hours).
    Sums are taken of the whole milliseconds: exact, so in any order (buckets) the same."""
    first = pl.col("start").dt.truncate("1d")
    crosses = first != (pl.col("end") - pl.duration(milliseconds=1)).dt.truncate("1d")
    flagged = frame.with_columns(crosses.alias("_crosses"))
    within = flagged.filter(~pl.col("_crosses")).drop("_crosses").with_columns(
        first.alias("day"))
    across = flagged.filter(pl.col("_crosses")).drop("_crosses")
    if not across.is_empty():
        across = across.with_columns(pl.datetime_ranges(
            first, (pl.col("end") - pl.duration(milliseconds=1)).dt.truncate("1d"),
            interval="1d").alias("day")).explode("day").with_columns(
            pl.max_horizontal("start", "day").alias("start"),
            pl.min_horizontal("end", pl.col("day") + pl.duration(days=1)).alias("end"),
        ).filter(pl.col("end") > pl.col("start"))
        days = pl.concat([within, across.select(within.columns)])
    else:
        days = within
    ms = (pl.col("end") - pl.col("start")).dt.total_milliseconds()
    return days.with_columns(pl.col("day").dt.date(), ms.alias("ms"),
                             (ms / 60_000).alias("minutes"))


def min_power_kw(ruleset: ChargingRuleset) -> float | None:
    """The power from which the rule set's targets apply (the UK: 50 kW), if any."""
    powers = [rule.min_power_kw for rule in ruleset.defined_rules().values()
              if isinstance(rule, TargetRule) and rule.min_power_kw is not None]
    return max(powers) if powers else None


def day_states(days: pl.DataFrame) -> pl.DataFrame:
    """Time per port, day and state (port_id, day, state, ms, minutes): what every rule set's
    mapping is applied to, a few rows per port-day however many events there were."""
    return days.group_by("port_id", "day", "state").agg(pl.col("ms").sum()).with_columns(
        (pl.col("ms") / 60_000).alias("minutes"))


def availability_minutes(days: pl.DataFrame, ruleset: ChargingRuleset, *,
                         exclusions: pl.DataFrame, ports: pl.DataFrame,
                         states: pl.DataFrame | None = None) -> pl.DataFrame:
    """Minutes per port and day in each category: port_id, day, available_minutes,
    unavailable_minutes, excluded_minutes, ineligible_minutes (and each as whole ``_ms``).
    ``days`` are the intervals cut by day (:func:`split_days`), ``exclusions``
    :func:`exclusion_windows`, ``states`` :func:`day_states` of ``days`` (computed when not
    given: pass it for several rule sets)."""
    mapping = ruleset.rules.state_mapping
    assert mapping is not None
    states = day_states(days) if states is None else states
    category = (pl.when(pl.col("state").is_in(list(mapping.available))).then(pl.lit("available"))
                .when(pl.col("state").is_in(list(mapping.unavailable)))
                .then(pl.lit("unavailable"))
                .when(pl.col("state").is_in(list(mapping.excluded))).then(pl.lit("excluded"))
                .otherwise(pl.lit("ineligible")))
    floor = min_power_kw(ruleset)
    if floor is not None:
        eligible = ports.filter(pl.col("power_kw") >= floor).select("port_id")
        category = (pl.when(pl.col("port_id").is_in(eligible["port_id"].implode()))
                    .then(category).otherwise(pl.lit("ineligible")))
    counted = states.with_columns(category.alias("category")).select(
        "port_id", "day", "ms", "category")
    if not exclusions.is_empty():
        tagged = days.with_columns(category.alias("category"))
        given_back = split_days(overlap(
            tagged.filter(pl.col("category") == "unavailable").select("port_id", "day",
                                                                       "start", "end"),
            split_days(exclusions), on=("port_id", "day")).drop("day")).select(
            "port_id", "day", "ms", pl.lit("given_back").alias("category"))
        counted = pl.concat([counted, given_back])
    wide = counted.group_by("port_id", "day").agg(
        *[pl.col("ms").filter(pl.col("category") == name).sum().alias(name)
          for name in (*CATEGORIES, "given_back")])
    ms = wide.select(
        "port_id", "day", pl.col("available").alias("available_ms"),
        (pl.col("unavailable") - pl.col("given_back")).clip(0).alias("unavailable_ms"),
        (pl.col("excluded") + pl.col("given_back")).alias("excluded_ms"),
        pl.col("ineligible").alias("ineligible_ms"))
    return ms.with_columns(in_minutes(f"{c}_ms") for c in CATEGORIES)


def in_minutes(column: str) -> pl.Expr:
    """``<category>_ms`` → ``<category>_minutes``."""
    return (pl.col(column) / 60_000).alias(column.removesuffix("_ms") + "_minutes")


def availability(row: Mapping[str, float]) -> Availability:
    """The published availability of summed minutes (Σ numerators / Σ denominators)."""
    up = row["available_minutes"] + row["excluded_minutes"]
    denominator = up + row["unavailable_minutes"]
    return Availability(
        available_minutes=round(row["available_minutes"], 6),
        unavailable_minutes=round(row["unavailable_minutes"], 6),
        excluded_minutes=round(row["excluded_minutes"], 6),
        ineligible_minutes=round(row["ineligible_minutes"], 6),
        rate_percent=None if denominator <= 0 else min(100.0, 100 * up / denominator))
