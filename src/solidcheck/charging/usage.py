"""How the network is used: charge attempts and sessions, and their success under each rule
set (docs/charging.md, "Charge success").

:func:`attempts` gives one row per attempt or session started in the period, from OCPP logs
(charging/ocpp_attempts.py) and from the ``sessions`` table (IRVE, OCPI CDRs, T/CEC 102
orders); :func:`usage_figures` sums them per port, station, operator or for the network,
Σ over Σ, with the start-time percentiles pooled over the group's attempts.

A success rule is applied in three-valued logic: a session is judged only when its data decide
it. Below a floor, or with a stop reason outside the completion list, it failed; above the
floors and with a completion reason it succeeded; with a value the rule needs missing (no
energy register in the log, no stop reason in an IRVE file) and nothing else failing, it is not
judged and is in neither the numerator nor the denominator (unknown is unknown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, TypeVar

import polars as pl
import pyarrow as pa

from .ocpp_attempts import START_MODES, ocpp_attempts
from .results import SuccessCount
from .rules import ChargingRuleset, SuccessRule, WindowRule, charging_ruleset_by_id

__all__ = ["COLUMNS", "START_MODES", "UsageFigures", "attempts", "success_column",
           "usage_figures"]

#: the ruleset whose ChargeX completion rule and binding window apply when none given has them
_CHARGEX: Final = "chargex-2024"
_SUCCESS_PREFIX: Final = "success__"
_TS: Final = pl.Datetime("ms", "UTC")
_T = TypeVar("_T")

#: the columns of :func:`attempts` (then one ``success__{ruleset id}`` per success rule)
COLUMNS: Final[dict[str, pl.DataType | type[pl.DataType]]] = {
    "kind": pl.String,                 # 'ocpp' | 'sessions'
    "station_id": pl.String,
    "port_id": pl.String,              # null: an authorisation that names no port
    "session_id": pl.String,           # transaction id, or the source's session id
    "start": _TS,
    "plug_in_ts": _TS,
    "authorised_ts": _TS,
    "power_delivered_ts": _TS,
    "end": _TS,
    "duration_s": pl.Float64,
    "energy_kwh": pl.Float64,
    "stop_reason": pl.String,
    "start_mode": pl.String,           # START_MODES, null for a reported session
    "charge_start_time_s": pl.Float64,
    "power_delivered": pl.Boolean,     # null when the source cannot say (sessions tables)
    "completed": pl.Boolean,           # ChargeX completion; null when not decidable
    "is_session": pl.Boolean,          # False: a failed authorisation or remote start
    "source": pl.String,
    "line": pl.Int64,
    "id_token_sha256": pl.String,      # the driver's token hash (OCPP); null: anonymous
}


def success_column(ruleset_id: str) -> str:
    """The name of a rule set's success column in :func:`attempts`."""
    return f"{_SUCCESS_PREFIX}{ruleset_id}"


@dataclass(frozen=True)
class UsageFigures:
    """The usage side of :class:`~solidcheck.charging.results.Figures` for one group."""

    sessions: int
    energy_kwh: float
    session_success: dict[str, SuccessCount] = field(default_factory=dict)
    charge_start_success: SuccessCount | None = None
    charge_end_success: SuccessCount | None = None
    charge_start_time_s: dict[str, float] = field(default_factory=dict)


def _first_rule(rulesets: Sequence[ChargingRuleset], rule_id: str, kind: type[_T],
                *, fallback: str | None = None) -> _T | None:
    for ruleset in rulesets:
        found = ruleset.defined_rules().get(rule_id)
        if isinstance(found, kind):
            return found
    if fallback is None:
        return None
    found = charging_ruleset_by_id(fallback).defined_rules().get(rule_id)
    return found if isinstance(found, kind) else None


def _completion_rule(rulesets: Sequence[ChargingRuleset]) -> SuccessRule | None:
    """ChargeX's completion: the success rule of the first rule set that defines the ChargeX
    KPIs, else the installed chargex-2024's."""
    for ruleset in rulesets:
        metrics = ruleset.defined_metrics()
        rule = ruleset.defined_rules().get("session_success")
        if isinstance(rule, SuccessRule) and ("charge_end_success" in metrics
                                              or "charge_start_success" in metrics):
            return rule
    return _first_rule([], "session_success", SuccessRule, fallback=_CHARGEX)


def _judge(rule: SuccessRule) -> pl.Expr:
    """The rule in three-valued logic (null: the data do not decide)."""
    parts: list[pl.Expr] = []
    for column, floor in (("duration_s", rule.min_duration_s),
                          ("energy_kwh", rule.min_energy_kwh)):
        if floor is not None:
            parts.append(pl.col(column) > floor if rule.comparison == "above"
                         else pl.col(column) >= floor)
    if rule.stop_reasons:
        parts.append(pl.col("stop_reason").is_in(rule.stop_reasons))
    judged = parts[0]
    for part in parts[1:]:
        judged = judged & part
    return judged


def _session_rows(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    table = tables.get("sessions")
    if table is None or table.num_rows == 0:
        return pl.DataFrame()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df.select(
        pl.lit("sessions").alias("kind"), pl.col("port_id").alias("station_id"), "port_id",
        "session_id", "start", pl.col("start").alias("plug_in_ts"), "end", "duration_s",
        (pl.col("energy_wh") / 1000).alias("energy_kwh"), "stop_reason",
        pl.lit(True).alias("is_session"), "source", "line")


def _stations(df: pl.DataFrame, inventory: pa.Table | None) -> pl.DataFrame:
    """A reported session's station from the inventory (else its port stands for it)."""
    if inventory is None or inventory.num_rows == 0 or df.is_empty():
        return df
    inv = pl.from_arrow(inventory.select(["port_id", "station_id"]))
    assert isinstance(inv, pl.DataFrame)
    inv = inv.unique("port_id", keep="last").rename({"station_id": "_inv_station"})
    return (df.join(inv, on="port_id", how="left")
            .with_columns(pl.when(pl.col("kind") == "sessions")
                          .then(pl.coalesce("_inv_station", "station_id"))
                          .otherwise(pl.col("station_id")).alias("station_id"))
            .drop("_inv_station"))


def attempts(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset], *,
             period_from: datetime, period_to: datetime) -> pl.DataFrame:
    """One row per attempt or session started in [period_from, period_to) (columns
    :data:`COLUMNS`, then ``success__{id}`` for each rule set with a session-success rule:
    null where that rule set does not judge the row)."""
    binding = _first_rule(rulesets, "authorize_binding", WindowRule, fallback=_CHARGEX)
    window_s = binding.window_s if binding is not None else 0.0
    parts = [part for part in (ocpp_attempts(tables, window_s=window_s),
                               _session_rows(tables)) if not part.is_empty()]
    schema = pl.Schema(COLUMNS)
    frame = pl.concat([pl.DataFrame(schema=schema), *parts], how="diagonal_relaxed")
    frame = frame.select([pl.col(name).cast(kind) for name, kind in COLUMNS.items()])
    frame = _stations(frame, tables.get("inventory"))
    frame = frame.filter((pl.col("start") >= period_from) & (pl.col("start") < period_to))
    completion = _completion_rule(rulesets)
    if completion is not None:
        frame = frame.with_columns(
            pl.when(pl.col("is_session")).then(_judge(completion))
            .otherwise(pl.lit(False)).alias("completed"))
    for ruleset in rulesets:
        rule = ruleset.defined_rules().get("session_success")
        if not isinstance(rule, SuccessRule):
            continue
        # ChargeX-like rule sets (with an Authorize binding) count a failed authorisation as
        # a failed attempt; the others judge sessions only
        counts_failed = "authorize_binding" in ruleset.defined_rules()
        frame = frame.with_columns(
            pl.when(pl.col("is_session")).then(_judge(rule))
            .when(pl.lit(counts_failed)).then(pl.lit(False))
            .otherwise(pl.lit(None, pl.Boolean)).alias(success_column(ruleset.id)))
    return frame.sort("start", "station_id", "port_id", nulls_last=True)


def _count(rows: pl.DataFrame, judged: pl.Expr, success: pl.Expr) -> SuccessCount:
    picked = rows.filter(judged)
    total = picked.height
    good = int(picked.select(success.fill_null(False).sum()).item()) if total else 0
    return SuccessCount(attempts=total, successful=good,
                        rate_percent=100.0 * good / total if total else None)


def _percentile_name(value: float) -> str:
    return f"p{value:g}"


def _figures(rows: pl.DataFrame, rulesets: Sequence[ChargingRuleset]) -> UsageFigures:
    defined = {k for ruleset in rulesets for k in ruleset.defined_metrics()}
    sessions = rows.filter(pl.col("is_session"))
    success: dict[str, SuccessCount] = {}
    for ruleset in rulesets:
        column = success_column(ruleset.id)
        if column in rows.columns:
            success[ruleset.id] = _count(rows, pl.col(column).is_not_null(), pl.col(column))
    start = end = None
    if "charge_start_success" in defined:
        start = _count(rows, pl.col("power_delivered").is_not_null(), pl.col("power_delivered"))
    if "charge_end_success" in defined:
        end = _count(rows, pl.col("power_delivered").fill_null(False)
                     & pl.col("completed").is_not_null(), pl.col("completed"))
    times: dict[str, float] = {}
    metric = next((r.defined_metrics()["charge_start_time"] for r in rulesets
                   if "charge_start_time" in r.defined_metrics()), None)
    values = rows["charge_start_time_s"].drop_nulls()
    if metric is not None and metric.percentiles and values.len():
        for p in metric.percentiles:
            # linear interpolation between closest ranks, as numpy's default
            found = values.quantile(p / 100, interpolation="linear")
            if found is not None:
                times[_percentile_name(p)] = float(found)
    energy = sessions["energy_kwh"].drop_nulls().sum()
    return UsageFigures(sessions=sessions.height, energy_kwh=float(energy),
                        session_success=success, charge_start_success=start,
                        charge_end_success=end, charge_start_time_s=times)


def usage_figures(attempts: pl.DataFrame, rulesets: Sequence[ChargingRuleset], *,
                  by: str | None) -> dict[str | None, UsageFigures]:
    """The figures of each value of ``by`` (a column of ``attempts``: port_id, station_id,
    operator), or of the network under the key None; rows with no value of ``by`` (an
    authorisation that names no port) count for the network only."""
    if by is None:
        return {None: _figures(attempts, rulesets)}
    out: dict[str | None, UsageFigures] = {}
    for key, rows in attempts.filter(pl.col(by).is_not_null()).group_by(by):
        out[str(key[0])] = _figures(rows, rulesets)
    return dict(sorted(out.items(), key=lambda item: str(item[0])))
