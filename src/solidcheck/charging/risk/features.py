"""Features per port and UTC day: what a risk model reads about a port at the end of a day.

One row per port and day. A day's row uses only what happened up to the end of that day (no
look-ahead): daily facts (risk/daily.py, from part I's intervals, outages and attempts) summed
over the last 1, 7 and 28 days, rolling medians of timed samples ending at the day's end, and
as-of joins (last boot, last repair) backward from the day's end. One caveat is part I's own:
offline starts at the station's last message, so the last minutes of a day can turn offline
once the silence outlasts the threshold (k × heartbeat) early the next day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Final

import polars as pl
import pyarrow as pa

from ...errors import ChargingInputError, Problem
from ..intervals import Period, data_span, port_table, state_intervals
from ..rules import ChargingRuleset
from . import daily

__all__ = ["CATEGORICAL", "FEATURES", "WINDOWS_DAYS", "port_day_features"]

#: the look-back windows of the counted features, in days
WINDOWS_DAYS: Final = (1, 7, 28)
_COUNTED: Final = ("faults", "outages", "offline_minutes", "unavailable_minutes", "reboots",
                   *(f"reboots_{r.lower()}" for r in daily.REBOOT_REASONS),
                   "sessions", "failed_starts", "silent_failures", "callerrors")
#: the numeric feature columns, in order
FEATURES: Final[tuple[str, ...]] = (
    *(f"{name}_{days}d" for name in _COUNTED for days in WINDOWS_DAYS),
    "start_delay_drift_s", "meter_gap_median_s_7d", "meter_gap_var_s2_7d",
    "energy_per_session_trend", "max_temperature_c_1d", "max_temperature_c_7d",
    "temperature_rise_c", "hot_samples_7d",
    "days_since_repair", "days_since_first_seen")
#: the categorical feature columns (from the station's last BootNotification)
CATEGORICAL: Final[tuple[str, ...]] = ("vendor", "model", "firmware")
_KEYS: Final = ("port_id", "station_id", "operator", "day")
_TS = pl.Datetime("ms", "UTC")
_DAY_MS = 86_400_000


def _day_end() -> pl.Expr:
    """The last millisecond of the row's day, UTC."""
    return (pl.col("day").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
            + pl.duration(milliseconds=_DAY_MS - 1))


def _days(span: Period, start_day: date | None, end_day: date | None) -> tuple[date, date]:
    first = span.start.date()
    last = (span.end - timedelta(milliseconds=1)).date()
    problems = [Problem(name, f"{value.isoformat()} is outside the data ({first.isoformat()} "
                        f"to {last.isoformat()})", "give a day within the data")
                for name, value in (("start_day", start_day), ("end_day", end_day))
                if value is not None and not first <= value <= last]
    if start_day is not None and end_day is not None and end_day < start_day:
        problems.append(Problem("end_day", f"{end_day.isoformat()} is before start_day "
                                f"{start_day.isoformat()}", "give an end_day after it"))
    if problems:
        raise ChargingInputError(problems)
    return first, last


def _rolling(samples: pl.DataFrame, grid: pl.DataFrame, *, period: str, offset: str,
             aggs: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """``aggs`` of the samples (port_id, ts, value) in the window (day end + offset, day end +
    offset + period] of every grid row: marker rows at each day's end, windows over both,
    the markers' rows kept."""
    markers = grid.select("port_id", _day_end().alias("ts"), pl.lit(None, pl.Float64)
                          .alias("value"), pl.lit(True).alias("marker"))
    rows = pl.concat([samples.select("port_id", pl.col("ts").cast(_TS), pl.col("value")
                                     .cast(pl.Float64), pl.lit(False).alias("marker")),
                      markers]).sort("port_id", "ts", "marker")
    out = rows.with_columns(
        expr.rolling(index_column="ts", period=period, offset=offset).over("port_id")
        .alias(name) for name, expr in aggs.items())
    return out.filter(pl.col("marker")).select(
        "port_id", pl.col("ts").dt.date().alias("day"), *aggs)


def port_day_features(given: daily.Tables, ruleset: ChargingRuleset, *,
                      start_day: date | None = None, end_day: date | None = None,
                      span: Period | None = None) -> pl.DataFrame:
    """One row per port and UTC day in [start_day, end_day] (default: the data's days):
    port_id, station_id, operator, day, then :data:`FEATURES` and :data:`CATEGORICAL`.
    Windows reach back before ``start_day`` when the data do. ``given``: the canonical tables,
    Arrow or Polars."""
    tables = daily.as_arrow(given)
    span = data_span(tables)
    if span is None:
        raise ChargingInputError([Problem("inputs", "no timed event in the inputs",
                                          "give the canonical tables of a network")])
    first, last = _days(span, start_day, end_day)
    period = Period(span.start, span.end)
    ports = port_table(tables)
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
    grid = ports.select("port_id", "station_id", "operator", "source_station",
                        "commissioned").join(days, how="cross").sort("port_id", "day")
    intervals = state_intervals(tables, [ruleset], period, ports=ports)
    faults, episodes = daily.fault_days(intervals, tables, ruleset, period=period, ports=ports)
    rows = daily.attempt_rows(tables, ruleset, period)
    alerts = ruleset.alert_rules().temperature
    hot_c = alerts.derating_limit_c if alerts is not None else None
    temperature = daily.temperature_days(tables, ports, hot_c=hot_c)
    out = grid
    for part in (faults, daily.offline_days(intervals, ruleset),
                 daily.boot_days(tables, ports), daily.attempt_days(rows),
                 daily.callerror_days(tables, ports)):
        out = out.join(part, on=["port_id", "day"], how="left")
    counted = [*_COUNTED, "energy_kwh"]
    out = out.with_columns(pl.col(c).fill_null(0) for c in counted).sort("port_id", "day")
    out = out.with_columns(
        pl.col(name).rolling_sum(days, min_samples=1).over("port_id").alias(f"{name}_{days}d")
        for name in counted for days in WINDOWS_DAYS)
    out = out.with_columns(
        pl.when((pl.col("sessions_7d") > 0) & (pl.col("energy_kwh_28d") > 0)).then(
            (pl.col("energy_kwh_7d") / pl.col("sessions_7d"))
            / (pl.col("energy_kwh_28d") / pl.col("sessions_28d"))).alias(
            "energy_per_session_trend"))
    out = _temperature(out, temperature)
    out = _medians(out, grid, daily.start_delays(rows), daily.meter_gaps(tables))
    out = _as_of(out, tables, episodes, ports)
    out = out.filter(pl.col("day").is_between(start_day or first, end_day or last))
    return out.select(*_KEYS, *[pl.col(f).cast(pl.Float64) for f in FEATURES],
                      *CATEGORICAL).sort("port_id", "day")


def _temperature(out: pl.DataFrame, temperature: pl.DataFrame) -> pl.DataFrame:
    """The day's and the week's highest Temperature, the rise of the day's over the port's
    own normal (median of the 28 days before: a creep shows against it, whatever the
    climate), hot samples in the week; null where the data have no Temperature."""
    names = ("max_temperature_c_1d", "max_temperature_c_7d", "temperature_rise_c",
             "hot_samples_7d")
    if temperature.is_empty():
        return out.with_columns(*(pl.lit(None, pl.Float64).alias(n) for n in names))
    out = out.join(temperature, on=["port_id", "day"], how="left").sort("port_id", "day")
    highest = pl.col("max_temperature_c")
    normal = highest.shift(1).rolling_median(28, min_samples=3).over("port_id")
    return out.with_columns(
        highest.alias("max_temperature_c_1d"),
        highest.rolling_max(7, min_samples=1).over("port_id").alias("max_temperature_c_7d"),
        (highest - normal).alias("temperature_rise_c"),
        pl.col("hot_samples").fill_null(0).rolling_sum(7, min_samples=1).over("port_id")
        .alias("hot_samples_7d"))


def _medians(out: pl.DataFrame, grid: pl.DataFrame, delays: pl.DataFrame,
             gaps: pl.DataFrame) -> pl.DataFrame:
    """Start-delay drift (median of the last 7 days − median of the 28 before them) and
    meter-value cadence (median gap and its variance over the last 7 days)."""
    value = pl.col("value")
    recent = _rolling(delays, grid, period="7d", offset="-7d", aggs={"_d7": value.median()})
    before = _rolling(delays, grid, period="28d", offset="-35d",
                      aggs={"_d28": value.median()})
    cadence = _rolling(gaps, grid, period="7d", offset="-7d",
                       aggs={"meter_gap_median_s_7d": value.median(),
                             "meter_gap_var_s2_7d": value.var()})
    for part in (recent, before, cadence):
        out = out.join(part, on=["port_id", "day"], how="left")
    return out.with_columns((pl.col("_d7") - pl.col("_d28")).alias("start_delay_drift_s"))


def _as_of(out: pl.DataFrame, tables: Mapping[str, pa.Table], episodes: pl.DataFrame,
           ports: pl.DataFrame) -> pl.DataFrame:
    """Days since the last repair and since first seen (commissioning when the inventory
    gives it), and the vendor, model and firmware of the last boot, as of each day's end."""
    out = out.with_columns(_day_end().alias("_end")).sort("_end")
    repairs = daily.repairs(tables, episodes, ports).rename({"ts": "_repair"})
    out = out.join_asof(repairs.sort("_repair"), left_on="_end", right_on="_repair",
                        by="port_id", strategy="backward", check_sortedness=False)
    boots = daily.boots_seen(tables).rename({"ts": "_boot"})
    out = out.join_asof(boots, left_on="_end", right_on="_boot", by="source_station",
                        strategy="backward", check_sortedness=False)
    out = out.join(daily.first_seen(tables), on="port_id", how="left")
    age_ms = pl.coalesce(
        (pl.col("_end") - pl.col("commissioned").cast(pl.Datetime("ms"))
         .dt.replace_time_zone("UTC")).dt.total_milliseconds(),
        pl.when(pl.col("first_ts") <= pl.col("_end"))
        .then((pl.col("_end") - pl.col("first_ts")).dt.total_milliseconds()))
    return out.with_columns(
        ((pl.col("_end") - pl.col("_repair")).dt.total_milliseconds() / _DAY_MS)
        .alias("days_since_repair"),
        (age_ms / _DAY_MS).alias("days_since_first_seen"))
