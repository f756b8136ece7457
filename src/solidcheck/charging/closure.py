"""How the network's issues are closed (问题闭环): the ticket funnel, closure times and fault
coverage (docs/charging.md, "Issue-resolution closure").

:func:`ticket_rows` judges each ticket opened in the period; :func:`closure_figures` sums them
per port, station, operator or for the network, with fault coverage from the engine's outages.
The closure rules (verified-closure window, SLA tiers, coverage threshold) come from the first
given rule set that has each, else from the installed cn-alliance-wp-2026.

The period cuts what has happened: an acknowledgement, resolution or closing after the period's
end has not happened yet in that period's figures, so a month's report does not change when
next month's data arrive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, TypeVar

import polars as pl
import pyarrow as pa

from .results import Closure
from .rules import (
    ChargingRuleset,
    FaultCoverageRule,
    Metric,
    SlaRule,
    WindowRule,
    charging_ruleset_by_id,
)

__all__ = ["closure_figures", "ticket_rows"]

_DEFAULT: Final = "cn-alliance-wp-2026"
_TS: Final = pl.Datetime("ms", "UTC")
_HOUR_US: Final = 3_600_000_000
_T = TypeVar("_T")


def _rule(rulesets: Sequence[ChargingRuleset], rule_id: str, kind: type[_T]) -> _T:
    for ruleset in [*rulesets, charging_ruleset_by_id(_DEFAULT)]:
        found = ruleset.defined_rules().get(rule_id)
        if isinstance(found, kind):
            return found
    raise KeyError(f"{_DEFAULT} has no rule {rule_id!r}")  # the installed file has all three


def _metric(rulesets: Sequence[ChargingRuleset], metric_id: str) -> Metric | None:
    for ruleset in [*rulesets, charging_ruleset_by_id(_DEFAULT)]:
        found = ruleset.defined_metrics().get(metric_id)
        if found is not None:
            return found
    return None


def _frame(table: pa.Table | None) -> pl.DataFrame:
    if table is None or table.num_rows == 0:
        return pl.DataFrame()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df


def _inventory(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    inv = _frame(tables.get("inventory"))
    if inv.is_empty():
        return pl.DataFrame(schema={"port_id": pl.String, "_station": pl.String,
                                    "operator": pl.String})
    return (inv.select("port_id", pl.col("station_id").alias("_station"), "operator")
            .unique("port_id", keep="last"))


def _faults(tables: Mapping[str, pa.Table], inventory: pl.DataFrame) -> pl.DataFrame:
    """Faulted statuses with the station they belong to (a station-wide one covers all)."""
    events = _frame(tables.get("port_events"))
    if events.is_empty():
        return pl.DataFrame(schema={"f_port": pl.String, "f_station": pl.String,
                                    "f_wide": pl.Boolean, "f_ts": _TS})
    faulted = events.filter(pl.col("state") == "faulted").join(
        inventory.select("port_id", "_station"), on="port_id", how="left")
    return faulted.select(pl.col("port_id").alias("f_port"),
                          pl.coalesce("_station", "station_id").alias("f_station"),
                          pl.col("station_wide").alias("f_wide"),
                          pl.col("ts").fill_null(pl.col("logged_ts")).alias("f_ts"))


def _hours(end: str, start: str) -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / _HOUR_US


def ticket_rows(tables: Mapping[str, pa.Table], outages: pl.DataFrame,
                rulesets: Sequence[ChargingRuleset], *, period_from: datetime,
                period_to: datetime) -> pl.DataFrame:
    """One row per ticket opened in [period_from, period_to), judged (see the module).

    A ticket with no severity, or one no SLA tier names, is held to the strictest tier's
    times (the shortest to acknowledge and the shortest to resolve): the operator has not
    shown it deserved more. ``outages`` is accepted for symmetry with the engine; the fault
    check reads the ``faulted`` statuses of ``tables['port_events']``.
    """
    del outages  # verification reads the statuses, not the merged outage episodes
    tickets = _frame(tables.get("tickets"))
    if tickets.is_empty():
        return pl.DataFrame()
    inventory = _inventory(tables)
    window = _rule(rulesets, "verified_closure", WindowRule)
    tiers = _rule(rulesets, "sla_tiers", SlaRule).tiers
    ack_h = {t.severity: t.acknowledge_h for t in tiers}
    fix_h = {t.severity: t.resolve_h for t in tiers}
    strict_ack, strict_fix = min(ack_h.values()), min(fix_h.values())

    def happened(column: str) -> pl.Expr:
        return pl.when(pl.col(column) < period_to).then(pl.col(column))

    df = (tickets.filter((pl.col("opened") >= period_from) & (pl.col("opened") < period_to))
          .join(inventory, on="port_id", how="left")
          .with_columns(pl.coalesce("station_id", "_station").alias("station_id"),
                        happened("acknowledged").alias("acknowledged_ts"),
                        happened("resolved").alias("resolved_ts"),
                        happened("closed").alias("closed_ts"))
          .with_columns(
              pl.col("acknowledged_ts").is_not_null().alias("acknowledged"),
              pl.col("resolved_ts").is_not_null().alias("resolved"),
              pl.col("closed_ts").is_not_null().alias("closed"),
              _hours("acknowledged_ts", "opened").alias("time_to_acknowledge_h"),
              _hours("resolved_ts", "opened").alias("time_to_repair_h"),
              pl.col("severity").fill_null("").replace_strict(ack_h, default=strict_ack,
                                                return_dtype=pl.Float64).alias("_ack_h"),
              pl.col("severity").fill_null("").replace_strict(fix_h, default=strict_fix,
                                                return_dtype=pl.Float64).alias("_fix_h")))
    df = df.with_columns(
        (pl.col("acknowledged") & pl.col("resolved")
         & (pl.col("time_to_acknowledge_h") <= pl.col("_ack_h"))
         & (pl.col("time_to_repair_h") <= pl.col("_fix_h"))).fill_null(False)
        .alias("within_sla"),
        (pl.col("reopened") > 0).alias("was_reopened"),
        (pl.col("resolved") & (pl.col("resolution") == "remote")).fill_null(False)
        .alias("remote"),
        (pl.col("resolved") & (pl.col("reopened") == 0)).alias("first_time_fix"))
    return _verify(df, _faults(tables, inventory), window.window_s).select(
        "ticket_id", "port_id", "station_id", "operator", "severity", "cause", "resolution",
        "opened", "acknowledged_ts", "resolved_ts", "closed_ts", "acknowledged", "resolved",
        "closed", "verified", "within_sla", pl.col("reopened").alias("reopen_count"),
        "was_reopened", "remote", "first_time_fix", "time_to_acknowledge_h",
        "time_to_repair_h", "source", "line")


def _verify(df: pl.DataFrame, faults: pl.DataFrame, window_s: float) -> pl.DataFrame:
    """verified = closed, and no fault on its port (a station ticket: on any port of its
    station; a station-wide status: on every port) in (closed, closed + window]."""
    window_us = round(window_s * 1_000_000)
    closed = df.filter(pl.col("closed")).select("ticket_id", "port_id", "station_id",
                                                "closed_ts")
    # every fault that can touch a ticket is on a port of the ticket's station
    hits = closed.join(faults, left_on="station_id", right_on="f_station").filter(
        (pl.col("f_ts") > pl.col("closed_ts"))
        & ((pl.col("f_ts") - pl.col("closed_ts")).dt.total_microseconds() <= window_us)
        & (pl.col("port_id").is_null() | (pl.col("f_port") == pl.col("port_id"))
           | pl.col("f_wide")).fill_null(False))
    faulted = set(hits["ticket_id"].to_list()) if not hits.is_empty() else set()
    return df.with_columns(
        (pl.col("closed") & ~pl.col("ticket_id").is_in(list(faulted))).alias("verified"))


def _rate(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _percentiles(values: pl.Series, metric: Metric | None) -> dict[str, float]:
    values = values.drop_nulls()
    if metric is None or not metric.percentiles or values.is_empty():
        return {}
    out: dict[str, float] = {}
    for p in metric.percentiles:
        found = values.quantile(p / 100, interpolation="linear")
        if found is not None:
            out[f"p{p:g}"] = float(found)
    return out


def _closure(rows: pl.DataFrame, outages: pl.DataFrame, min_outage_s: float,
             rulesets: Sequence[ChargingRuleset]) -> Closure:
    def count(column: str) -> int:
        return int(rows[column].sum()) if rows.height else 0

    resolved, closed = count("resolved"), count("closed")
    ever_closed = int((rows["closed"] | rows["was_reopened"]).sum()) if rows.height else 0
    coverable = (outages.filter(pl.col("minutes") * 60 > min_outage_s)
                 if outages.height else outages)
    covered = int(coverable["ticket_id"].is_not_null().sum()) if coverable.height else 0
    return Closure(
        opened=rows.height, acknowledged=count("acknowledged"), resolved=resolved,
        closed=closed, verified=count("verified"), within_sla=count("within_sla"),
        reopened=count("was_reopened"), remote=count("remote"),
        first_time_fix=count("first_time_fix"),
        closure_rate_percent=_rate(count("verified"), rows.height),
        within_sla_percent=_rate(count("within_sla"), rows.height),
        first_time_fix_percent=_rate(count("first_time_fix"), resolved),
        remote_resolution_percent=_rate(count("remote"), resolved),
        reopen_percent=_rate(count("was_reopened"), ever_closed),
        time_to_acknowledge_h=_percentiles(rows["time_to_acknowledge_h"]
                                           if rows.height else pl.Series([], dtype=pl.Float64),
                                           _metric(rulesets, "time_to_acknowledge")),
        time_to_repair_h=_percentiles(rows["time_to_repair_h"]
                                      if rows.height else pl.Series([], dtype=pl.Float64),
                                      _metric(rulesets, "time_to_repair")),
        covered_outages=covered, coverable_outages=coverable.height,
        fault_coverage_percent=_rate(covered, coverable.height))


def closure_figures(ticket_rows: pl.DataFrame, outages: pl.DataFrame,
                    rulesets: Sequence[ChargingRuleset], *,
                    by: str | None) -> dict[str | None, Closure]:
    """The closure of each value of ``by`` (port_id, station_id, operator; a group with
    outages but no ticket has opened = 0), or of the network under the key None; {} when no
    ticket was opened in the period (the metrics then leave closure null)."""
    if ticket_rows.is_empty():
        return {}
    min_outage_s = _rule(rulesets, "fault_coverage", FaultCoverageRule).min_outage_s
    if by is None:
        return {None: _closure(ticket_rows, outages, min_outage_s, rulesets)}
    keys = set(ticket_rows[by].drop_nulls().to_list())
    if outages.height and by in outages.columns:
        keys |= set(outages[by].drop_nulls().to_list())
    out: dict[str | None, Closure] = {}
    for key in sorted(keys):
        rows = ticket_rows.filter(pl.col(by) == key)
        mine = outages.filter(pl.col(by) == key) if outages.height else outages
        out[key] = _closure(rows, mine, min_outage_s, rulesets)
    return out
