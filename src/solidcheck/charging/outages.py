"""Outages and stability: outage episodes per port, and the counts stability is judged by.

An outage is a run of states in the first rule set's ``unavailable`` list; runs closer than
``rules.outage_merging.max_gap_s`` are one episode (a reboot or a flap is one failure to a
driver). An episode's minutes are its unavailable minutes (the short gaps merged over are not
counted); its state is the state it spent longest in; its ticket is the earliest-opened ticket
covering the port that overlaps it; it is excluded when a ticket of one of the excluded causes
of a rule set given overlaps it (the minutes given back are counted in availability).

Stability: a station's boots and offline spells happen to every one of its ports, so a port
counts each of them and a station or network figure is Σ over its ports / Σ port-days, like
every other figure. A status flap is a faulted run shorter than the merging gap that the port
leaves within the period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa

from .availability import ticket_windows
from .intervals import Period, to_polars
from .rules import ChargingRuleset

__all__ = ["OUTAGE_COLUMNS", "outage_frame", "stability_frame"]

#: the outage frame's columns, the contract with closure.py
OUTAGE_COLUMNS = ("port_id", "station_id", "operator", "start", "end", "minutes", "state",
                  "ticket_id", "cause", "excluded")
_TS = pl.Datetime("ms", "UTC")


def _gap_s(ruleset: ChargingRuleset) -> float:
    rule = ruleset.rules.outage_merging
    return rule.max_gap_s if rule is not None else 0.0


def _runs(intervals: pl.DataFrame, states: Sequence[str], gap_s: float) -> pl.DataFrame:
    """Intervals in ``states`` numbered into runs per port (column ``run``): a new run when
    the gap from the previous one's end is at least ``gap_s``."""
    chosen = intervals.filter(pl.col("state").is_in(list(states))).sort("port_id", "start")
    gap = (pl.col("start") - pl.col("end").shift(1).over("port_id")).dt.total_milliseconds()
    new = gap.is_null() | (gap >= gap_s * 1000) if gap_s > 0 else \
        gap.is_null() | (gap > 0)
    return chosen.with_columns(new.cast(pl.Int64).cum_sum().over("port_id").alias("run"))


def outage_frame(intervals: pl.DataFrame, tables: Mapping[str, pa.Table],
                 rulesets: Sequence[ChargingRuleset], *, period: Period,
                 ports: pl.DataFrame) -> pl.DataFrame:
    """The outage episodes of every port under the first rule set: port_id, station_id,
    operator, start, end, minutes, state, ticket_id, cause, excluded, faulted (the episode
    holds a ``faulted`` minute)."""
    first = rulesets[0]
    unavailable = list(first.rules.state_mapping.unavailable) if first.rules.state_mapping \
        else ["faulted", "unavailable", "offline"]
    runs = _runs(intervals, unavailable, _gap_s(first))
    by_state = runs.group_by("port_id", "run", "state").agg(pl.col("duration_s").sum())
    longest = by_state.group_by("port_id", "run").agg(
        pl.col("state").sort_by("duration_s", "state", descending=[True, False]).first(),
        (pl.col("state") == "faulted").any().alias("faulted"))
    episodes = runs.group_by("port_id", "run").agg(
        pl.col("start").min(), pl.col("end").max(),
        (pl.col("duration_s").sum() / 60).alias("minutes")).join(
        longest, on=["port_id", "run"])
    tickets = ticket_windows(tables, ports, period)
    matched = episodes.join(tickets.select("port_id", "ticket_id", "cause", "opened",
                                           pl.col("start").alias("t_start"),
                                           pl.col("end").alias("t_end")), on="port_id",
                            how="left").filter(
        pl.col("ticket_id").is_null()
        | ((pl.col("t_start") < pl.col("end")) & (pl.col("t_end") > pl.col("start"))))
    causes = sorted({str(cause) for ruleset in rulesets if ruleset.rules.excluded_causes
                     for cause in ruleset.rules.excluded_causes.causes})
    matched = matched.group_by("port_id", "run").agg(
        *[pl.col(name).sort_by("opened", "ticket_id", nulls_last=True).first()
          for name in ("ticket_id", "cause")],
        pl.col("cause").is_in(causes).any().alias("excluded"))
    out = episodes.join(matched, on=["port_id", "run"], how="left").join(
        ports.select("port_id", "station_id", "operator"), on="port_id", how="left")
    return out.with_columns(pl.col("excluded").fill_null(False)).select(
        *OUTAGE_COLUMNS, "faulted").sort("port_id", "start")


def stability_frame(intervals: pl.DataFrame, outages: pl.DataFrame,
                    tables: Mapping[str, pa.Table], ruleset: ChargingRuleset, *,
                    period: Period, ports: pl.DataFrame) -> pl.DataFrame:
    """Per port: outage_episodes, fault_episodes, outage_minutes, connection_drops,
    status_flaps, reboots (a struct list of reason → count) and port_days."""
    counts = outages.group_by("port_id").agg(
        pl.len().alias("outage_episodes"), pl.col("faulted").sum().alias("fault_episodes"),
        pl.col("minutes").sum().alias("outage_minutes"))
    drops = _runs(intervals, ["offline"], 0).group_by("port_id").agg(
        pl.col("run").n_unique().alias("connection_drops"))
    gap = _gap_s(ruleset)
    faults = _runs(intervals, ["faulted"], 0).group_by("port_id", "run").agg(
        pl.col("duration_s").sum(), pl.col("end").max())
    flaps = faults.filter((pl.col("duration_s") < gap)
                          & (pl.col("end") < pl.lit(period.end).cast(_TS))).group_by(
        "port_id").agg(pl.len().alias("status_flaps"))
    boots = to_polars(tables, "station_events").filter(
        (pl.col("kind") == "boot") & (pl.col("ts") >= pl.lit(period.start).cast(_TS))
        & (pl.col("ts") < pl.lit(period.end).cast(_TS))).select(
        pl.col("station_id").alias("source_station"),
        pl.col("detail").fill_null("unknown").alias("reason"))
    reboots = boots.join(ports.select("port_id", "source_station"), on="source_station") \
        .group_by("port_id", "reason").agg(pl.len().alias("count"))
    out = ports.select("port_id")
    for part in (counts, drops, flaps):
        out = out.join(part, on="port_id", how="left")
    out = out.join(reboots.group_by("port_id").agg(pl.struct("reason", "count")
                                                   .alias("reboots")), on="port_id",
                   how="left")
    return out.with_columns(
        pl.col("outage_episodes", "fault_episodes", "connection_drops", "status_flaps")
        .fill_null(0).cast(pl.Int64), pl.col("outage_minutes").fill_null(0.0),
        pl.lit(period.minutes / 1440).alias("port_days"))
