"""Labels per port and UTC day: did the port fail within a horizon after the day ended?

A failure (``[rules.risk]``) is an outage episode of outages.py longer than
``failure_min_outage_minutes``, or a ticket opened on the port (a station ticket: on each of
its ports), dated by its start. A port-day is positive when a failure starts in
[end of day, end of day + horizon); negative when none does; null (unlabeled) when the
horizon runs past the end of the data, since a failure there could not have been seen —
never negative for want of data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import polars as pl
import pyarrow as pa

from ...errors import ChargingInputError, Problem
from ..intervals import Period, data_span, port_table, state_intervals, to_polars
from ..outages import outage_frame
from ..rules import ChargingRuleset
from .daily import Tables, as_arrow
from .rules import RiskRule, horizon_hours

__all__ = ["failures", "port_day_labels", "risk_rule"]

_TS = pl.Datetime("ms", "UTC")


def risk_rule(ruleset: ChargingRuleset) -> RiskRule:
    """The rule set's ``[rules.risk]``; bad input when it has none."""
    rule = ruleset.rules.risk
    if rule is None:
        raise ChargingInputError([Problem(
            "--ruleset", f"rule set {ruleset.id!r} defines no [rules.risk]: what a failure is",
            "use cn-alliance-wp-2026, or add [rules.risk] to the rule set")])
    return rule


def failures(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset, *,
             period: Period, ports: pl.DataFrame) -> pl.DataFrame:
    """port_id, ts of every failure start (see the module), sorted by ts."""
    rule = risk_rule(ruleset)
    intervals = state_intervals(tables, [ruleset], period, ports=ports)
    episodes = outage_frame(intervals, tables, [ruleset], period=period, ports=ports)
    long = episodes.filter(pl.col("minutes") > rule.failure_min_outage_minutes).select(
        "port_id", pl.col("start").alias("ts"))
    tickets = to_polars(tables, "tickets", columns=("port_id", "station_id", "opened"))
    own = tickets.drop_nulls("port_id").select("port_id", pl.col("opened").alias("ts"))
    wide = tickets.filter(pl.col("port_id").is_null()).join(
        ports.select("port_id", "station_id"), on="station_id").select(
        "port_id", pl.col("opened").alias("ts"))
    return pl.concat([long.cast({"ts": _TS}), own.cast({"ts": _TS}),
                      wide.cast({"ts": _TS})]).sort("ts")


def port_day_labels(given: Tables, ruleset: ChargingRuleset, *,
           horizons: Sequence[str] | None = None, span: Period | None = None
           ) -> pl.DataFrame:
    """port_id, day, ``label_<horizon>`` (bool, null past the data) for each horizon (default:
    the rule set's, 24h and 7d), next_failure_at (the next failure start at or after the
    day's end; null when none is in the data). ``given``: the canonical tables, Arrow or
    Polars; ``span``: the data's span when they are a part of them (as in features.py)."""
    tables = as_arrow(given)
    rule = risk_rule(ruleset)
    chosen = list(horizons) if horizons is not None else list(rule.horizons)
    problems = []
    hours: dict[str, int] = {}
    for text in chosen:
        try:
            hours[text] = horizon_hours(text)
        except ValueError as exc:
            problems.append(Problem("--horizon", str(exc), "write e.g. 24h or 7d"))
    span = span or data_span(tables)
    if span is None:
        problems.append(Problem("inputs", "no timed event in the inputs",
                                "give the canonical tables of a network"))
    if problems or span is None:
        raise ChargingInputError(problems)
    ports = port_table(tables)
    found = failures(tables, ruleset, period=span, ports=ports)
    days = pl.date_range(span.start.date(), (span.end - timedelta(milliseconds=1)).date(),
                         "1d", eager=True).alias("day")
    grid = ports.select("port_id").join(days.to_frame(), how="cross").with_columns(
        (pl.col("day").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
         + pl.duration(days=1)).alias("_end")).sort("_end")
    grid = grid.join_asof(found.rename({"ts": "next_failure_at"}), left_on="_end",
                          right_on="next_failure_at", by="port_id", strategy="forward",
                          check_sortedness=False)
    data_end = pl.lit(span.end).cast(_TS)
    columns = []
    for text, count in hours.items():
        reach = pl.col("_end") + pl.duration(hours=count)
        columns.append(pl.when(reach > data_end).then(pl.lit(None, pl.Boolean))
                       .otherwise(pl.col("next_failure_at").is_not_null()
                                  & (pl.col("next_failure_at") < reach))
                       .alias(f"label_{text}"))
    return grid.select("port_id", "day", *columns, "next_failure_at").sort("port_id", "day")
