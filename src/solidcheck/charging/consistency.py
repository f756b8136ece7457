"""Statuses against sessions, and utilisation (fr-qualicharge; docs/charging.md, "Statuses
against sessions").

* false free: minutes a port announced ``available`` while a session ran on it, over the
  session minutes;
* false occupied: minutes a port announced ``occupied`` while no session ran on it, over the
  minutes it announced ``occupied``;
* utilisation: minutes ``occupied`` over minutes in service (the states the rule set's state
  mapping counts as available).

Only ports with both statuses (a state other than unknown or offline) and sessions with an end
in the period are compared: without one of them a port cannot show a disagreement. The sessions
of a port are first merged into their union (overlapping sessions are one busy spell), then the
period is cut at every status change and every busy-spell bound and each piece gets its status
and whether a session runs, by two as-of joins per port: no loop over sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from .intervals import Period
from .rules import ChargingRuleset

__all__ = ["CONSISTENCY_COLUMNS", "busy_spells", "in_service_states", "status_session_minutes",
           "utilisation_minutes"]

_TS: Final = pl.Datetime("ms", "UTC")
_FREE: Final = "available"
_OCCUPIED: Final = "occupied"
#: states that say nothing about the port's own status
_SILENT: Final = ("unknown", "offline")
#: the columns of :func:`status_session_minutes`
CONSISTENCY_COLUMNS: Final[dict[str, pl.DataType | type[pl.DataType]]] = {
    "port_id": pl.String, "false_free_minutes": pl.Float64, "session_minutes": pl.Float64,
    "false_occupied_minutes": pl.Float64, "announced_occupied_minutes": pl.Float64}


def busy_spells(attempts: pl.DataFrame, period: Period) -> pl.DataFrame:
    """port_id, start, end: the union of each port's sessions, cut to the period (sessions
    without an end or a port are left out; touching sessions are one spell)."""
    start, end = pl.lit(period.start).cast(_TS), pl.lit(period.end).cast(_TS)
    sessions = attempts.filter(pl.col("is_session") & pl.col("port_id").is_not_null()
                               & pl.col("end").is_not_null()).select(
        "port_id", pl.max_horizontal(pl.col("start").cast(_TS), start).alias("start"),
        pl.min_horizontal(pl.col("end").cast(_TS), end).alias("end"),
    ).filter(pl.col("end") > pl.col("start")).sort("port_id", "start")
    reached = pl.col("end").dt.epoch("ms").cum_max().shift(1).over("port_id")
    spells = sessions.with_columns(
        (reached.is_null() | (pl.col("start").dt.epoch("ms") > reached)).cum_sum()
        .alias("_spell"))
    return spells.group_by("port_id", "_spell").agg(
        pl.col("start").min(), pl.col("end").max()).drop("_spell").sort("port_id", "start")


def status_session_minutes(intervals: pl.DataFrame, attempts: pl.DataFrame,
                           period: Period) -> pl.DataFrame:
    """Per compared port (:data:`CONSISTENCY_COLUMNS`): false-free and session minutes,
    false-occupied and announced-occupied minutes. ``intervals``: intervals.state_intervals';
    ``attempts``: usage.attempts'."""
    spells = busy_spells(attempts, period)
    heard = intervals.filter(~pl.col("state").is_in(_SILENT)).select("port_id").unique()
    compared = spells.select("port_id").unique().join(heard, on="port_id")
    if compared.is_empty():
        return pl.DataFrame(schema=CONSISTENCY_COLUMNS)
    states = intervals.join(compared, on="port_id").select(
        "port_id", pl.col("start").cast(_TS).alias("ts"), "state").sort("ts")
    spells = spells.join(compared, on="port_id")
    marks = pl.concat([spells.select("port_id", pl.col("start").alias("ts"),
                                     pl.lit(True).alias("busy")),
                       spells.select("port_id", pl.col("end").alias("ts"),
                                     pl.lit(False).alias("busy"))]).sort("ts")
    cuts = pl.concat([states.select("port_id", "ts"), marks.select("port_id", "ts")]
                     ).unique().sort("ts")
    pieces = (cuts.join_asof(states, on="ts", by="port_id", strategy="backward",
                             check_sortedness=False)
              .join_asof(marks, on="ts", by="port_id", strategy="backward",
                         check_sortedness=False)
              .sort("port_id", "ts").with_columns(
                  pl.col("ts").shift(-1).over("port_id")
                  .fill_null(pl.lit(period.end).cast(_TS)).alias("end")))
    pieces = pieces.with_columns(
        ((pl.col("end") - pl.col("ts")).dt.total_milliseconds() / 60_000).alias("minutes"),
        pl.col("busy").fill_null(False))
    minutes = pl.col("minutes")
    occupied = pl.col("state") == _OCCUPIED
    return pieces.group_by("port_id").agg(
        minutes.filter((pl.col("state") == _FREE) & pl.col("busy")).sum()
        .alias("false_free_minutes"),
        minutes.filter(pl.col("busy")).sum().alias("session_minutes"),
        minutes.filter(occupied & ~pl.col("busy")).sum().alias("false_occupied_minutes"),
        minutes.filter(occupied).sum().alias("announced_occupied_minutes"),
    ).select([pl.col(c).cast(t) for c, t in CONSISTENCY_COLUMNS.items()]).sort("port_id")


def in_service_states(rulesets: Sequence[ChargingRuleset]) -> list[str] | None:
    """The states in service for utilisation: the available states of the first rule set
    that defines utilisation and maps states (None: no rule set asks for it)."""
    return next((list[str](r.rules.state_mapping.available) for r in rulesets
                 if "utilisation" in r.defined_metrics() and r.rules.state_mapping is not None),
                None)


def utilisation_minutes(by_state: pl.DataFrame, in_service: Sequence[str]) -> pl.DataFrame:
    """port_id, occupied_minutes, in_service_minutes from the minutes by state
    (port_id, state, minutes)."""
    return by_state.group_by("port_id").agg(
        pl.col("minutes").filter((pl.col("state") == _OCCUPIED)
                                 & pl.col("state").is_in(list(in_service))).sum()
        .alias("occupied_minutes"),
        pl.col("minutes").filter(pl.col("state").is_in(list(in_service))).sum()
        .alias("in_service_minutes"))
