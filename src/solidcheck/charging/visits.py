"""Visits: a driver's attempts at one station, grouped, for the first-attempt visit success
(docs/charging.md, "First-attempt visit success").

A visit is the attempts of one token at one station, each starting at most the rule set's
``visit_grouping.max_gap_s`` after the previous one ended (a failed authorisation ends where it
starts); an attempt without a token (an IRVE session, an anonymous start) is a visit of its own.
A visit succeeded when its first attempt did: a refused authorisation or remote start failed; a
session is judged by the session-success rule of the first rule set given that has one. A visit
whose first session that rule cannot judge is in neither count (unknown is unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from .rules import ChargingRuleset, GapRule, SuccessRule
from .usage import success_column

__all__ = ["VISIT_COLUMNS", "visit_counts", "visit_gap_s", "visit_success_ruleset", "visits"]

_METRIC: Final = "first_attempt_visit_success"
#: the columns of :func:`visits`
VISIT_COLUMNS: Final[dict[str, pl.DataType | type[pl.DataType]]] = {
    "station_id": pl.String, "port_id": pl.String, "start": pl.Datetime("ms", "UTC"),
    "attempts": pl.UInt32, "first_succeeded": pl.Boolean}


def visit_gap_s(rulesets: Sequence[ChargingRuleset]) -> float | None:
    """The visit gap of the first rule set that sets one, when some rule set given defines
    the first-attempt visit success (else None: the figure is not asked for)."""
    if not any(_METRIC in r.defined_metrics() for r in rulesets):
        return None
    rule = next((r.rules.visit_grouping for r in rulesets
                 if isinstance(r.rules.visit_grouping, GapRule)), None)
    return rule.max_gap_s if rule is not None else None


def visit_success_ruleset(rulesets: Sequence[ChargingRuleset]) -> str | None:
    """The id of the rule set whose session success judges a visit's first session."""
    return next((r.id for r in rulesets
                 if isinstance(r.rules.session_success, SuccessRule)), None)


def _sited(attempts: pl.DataFrame, ports: pl.DataFrame) -> pl.DataFrame:
    """Each attempt at its port's station (the inventory's), a portless one at the station
    its charge point belongs to: two charge points of one site are one station to a driver."""
    by_port = ports.select("port_id", pl.col("station_id").alias("_by_port"))
    by_source = ports.group_by("source_station").agg(
        pl.col("station_id").min().alias("_by_source"))
    return (attempts.join(by_port, on="port_id", how="left")
            .join(by_source, left_on="station_id", right_on="source_station", how="left")
            .with_columns(pl.coalesce("_by_port", "_by_source", "station_id")
                          .alias("station_id"))
            .drop("_by_port", "_by_source"))


def visits(attempts: pl.DataFrame, rulesets: Sequence[ChargingRuleset], *,
           ports: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per visit (:data:`VISIT_COLUMNS`): its station, the port of its first attempt
    that names one (null: none does), its start, its attempts and whether its first attempt
    succeeded (null: not judged). Empty when the rule sets do not ask for visits. With
    ``ports`` (intervals.port_table's) the station is the inventory's, else the attempt's own."""
    gap_s = visit_gap_s(rulesets)
    judge = visit_success_ruleset(rulesets)
    empty = pl.DataFrame(schema=VISIT_COLUMNS)
    if gap_s is None or judge is None or attempts.is_empty():
        return empty
    if ports is not None:
        attempts = _sited(attempts, ports)
    column = success_column(judge)
    success = (pl.col(column) if column in attempts.columns else pl.lit(None, pl.Boolean))
    who = ["station_id", "_who"]
    rows = attempts.with_row_index("_row").with_columns(
        pl.coalesce("station_id", "port_id").alias("station_id"),
        pl.coalesce("id_token_sha256", pl.format("anonymous {}", "_row")).alias("_who"),
        pl.coalesce("end", "start").dt.epoch("ms").alias("_end_ms"),
        pl.col("start").dt.epoch("ms").alias("_start_ms"),
        pl.when(pl.col("is_session")).then(success).otherwise(pl.lit(False))
        .alias("_succeeded"),
    ).sort(*who, "start", "_row")
    # the latest end so far of the token's attempts at the station, before this attempt
    ended = pl.col("_end_ms").cum_max().shift(1).over(who)
    rows = rows.with_columns(
        (ended.is_null() | (pl.col("_start_ms") - ended > gap_s * 1000)).alias("_new"))
    rows = rows.with_columns(pl.col("_new").cum_sum().alias("_visit"))
    out = rows.group_by("_visit", maintain_order=True).agg(
        pl.col("station_id").first(), pl.col("port_id").drop_nulls().first(),
        pl.col("start").first(), pl.len().alias("attempts"),
        pl.col("_succeeded").first().alias("first_succeeded"))
    return out.select([pl.col(c).cast(t) for c, t in VISIT_COLUMNS.items()]).sort("start")


def visit_counts(visit_rows: pl.DataFrame, ports: pl.DataFrame) -> pl.DataFrame:
    """Per port: visits judged and visits whose first attempt succeeded. A visit counts at the
    port of its first attempt that names one; a visit none of whose attempts names a port (an
    authorisation refused before a connector was chosen) counts at its station's first port,
    so stations and the network count every visit (``ports``: intervals.port_table's)."""
    first_port = pl.concat([
        ports.select(pl.col("source_station").alias("station_id"), "port_id"),
        ports.select("station_id", "port_id"),
    ]).group_by("station_id").agg(pl.col("port_id").min().alias("_first_port"))
    placed = visit_rows.join(first_port, on="station_id", how="left").with_columns(
        pl.coalesce("port_id", "_first_port").alias("port_id"))
    judged = placed.filter(pl.col("port_id").is_not_null()
                           & pl.col("first_succeeded").is_not_null())
    return judged.group_by("port_id").agg(
        pl.len().cast(pl.Int64).alias("visits"),
        pl.col("first_succeeded").sum().cast(pl.Int64).alias("first_succeeded"))
