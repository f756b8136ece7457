"""Daily facts per port, each from part I's own building blocks: what happened to a port on
one UTC day (faults, offline minutes, reboots, attempts, CALLERRORs, temperature) and the
timed samples (start delays, meter-value gaps) the rolling medians of features.py read.

Every frame here is keyed by ``port_id`` and ``day`` (pl.Date) or by ``port_id`` and ``ts``;
a day's value uses only what happened on that day, so a later day cannot change it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import pyarrow as pa

from ..intervals import Period, to_polars
from ..model import TABLES
from ..outages import outage_frame
from ..rules import ChargingRuleset
from ..usage import attempts

__all__ = ["REBOOT_REASONS", "Tables", "as_arrow", "attempt_days", "attempt_rows",
           "boot_days", "boots_seen", "callerror_days", "day_cut", "fault_days", "first_seen",
           "meter_gaps", "offline_days", "repairs", "start_delays", "temperature_days"]

_TS = pl.Datetime("ms", "UTC")
#: boot reasons kept as columns of their own; any other reason counts in the total only
REBOOT_REASONS = ("Watchdog", "PowerUp", "RemoteReset", "FirmwareUpdate", "Unknown")
#: the canonical tables as Arrow tables or as Polars frames
Tables = Mapping[str, pa.Table] | Mapping[str, pl.DataFrame]


def as_arrow(tables: Tables) -> dict[str, pa.Table]:
    """The canonical tables as Arrow, in their schemas (part I's building blocks read Arrow)."""
    out = {}
    for name, table in tables.items():
        if isinstance(table, pl.DataFrame):
            arrow = table.to_arrow()
            table = arrow.cast(TABLES[name]) if name in TABLES else arrow
        out[name] = table
    return out


def day_cut(intervals: pl.DataFrame) -> pl.DataFrame:
    """Intervals (port_id, start, end, state) split at UTC midnights: one row per day they
    touch, with ``minutes`` that day."""
    days = intervals.with_columns(
        pl.date_ranges(pl.col("start").dt.date(),
                       (pl.col("end") - pl.duration(milliseconds=1)).dt.date()).alias("day")
    ).explode("day")
    day_start = pl.col("day").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
    begin = pl.max_horizontal("start", day_start)
    end = pl.min_horizontal("end", day_start + pl.duration(days=1))
    return days.select("port_id", "day", "state",
                       ((end - begin).dt.total_milliseconds() / 60_000).alias("minutes"))


def offline_days(intervals: pl.DataFrame, ruleset: ChargingRuleset) -> pl.DataFrame:
    """port_id, day, offline_minutes, unavailable_minutes (the rule set's unavailable
    states: faulted, unavailable, offline by default)."""
    mapping = ruleset.rules.state_mapping
    unavailable = list(mapping.unavailable) if mapping else ["faulted", "unavailable",
                                                             "offline"]
    return day_cut(intervals).group_by("port_id", "day").agg(
        pl.col("minutes").filter(pl.col("state") == "offline").sum().alias("offline_minutes"),
        pl.col("minutes").filter(pl.col("state").is_in(unavailable)).sum()
        .alias("unavailable_minutes"))


def fault_days(intervals: pl.DataFrame, tables: Mapping[str, pa.Table],
               ruleset: ChargingRuleset, *, period: Period, ports: pl.DataFrame
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(port_id, day, faults, outages) by the episode's start day — an outage episode of
    outages.py, a fault one that holds a faulted minute — and the episodes themselves."""
    episodes = outage_frame(intervals, tables, [ruleset], period=period, ports=ports)
    daily = episodes.group_by("port_id", pl.col("start").dt.date().alias("day")).agg(
        pl.col("faulted").sum().cast(pl.Int64).alias("faults"),
        pl.len().cast(pl.Int64).alias("outages"))
    return daily, episodes


def boot_days(tables: Mapping[str, pa.Table], ports: pl.DataFrame) -> pl.DataFrame:
    """port_id, day, reboots and reboots_<reason> (a station's boot happens to each of its
    ports, as outages.py counts it; a 1.6 boot names no reason: Unknown)."""
    boots = to_polars(tables, "station_events").filter(pl.col("kind") == "boot").select(
        pl.col("station_id").alias("source_station"), pl.col("ts").dt.date().alias("day"),
        pl.col("detail").fill_null("Unknown").alias("reason"))
    boots = boots.join(ports.select("port_id", "source_station"), on="source_station")
    return boots.group_by("port_id", "day").agg(
        pl.len().cast(pl.Int64).alias("reboots"),
        *[(pl.col("reason") == reason).sum().cast(pl.Int64).alias(f"reboots_{reason.lower()}")
          for reason in REBOOT_REASONS])


def attempt_days(rows: pl.DataFrame) -> pl.DataFrame:
    """port_id, day, sessions, failed_starts (an attempt that never delivered power, or an
    authorisation or remote start that became no session), silent_failures (a session with no
    energy), energy_kwh (sessions' energy, for the trend)."""
    no_power = ~pl.col("is_session") | (pl.col("power_delivered") == False)  # noqa: E712
    silent = pl.col("is_session") & (pl.col("energy_kwh").fill_null(-1.0) == 0.0)
    return rows.group_by("port_id", pl.col("start").dt.date().alias("day")).agg(
        pl.col("is_session").sum().cast(pl.Int64).alias("sessions"),
        no_power.fill_null(False).sum().cast(pl.Int64).alias("failed_starts"),
        silent.fill_null(False).sum().cast(pl.Int64).alias("silent_failures"),
        pl.col("energy_kwh").filter(pl.col("is_session")).sum().alias("energy_kwh"))


def start_delays(rows: pl.DataFrame) -> pl.DataFrame:
    """port_id, ts, value: each session's charge start time (s), at the session's start."""
    return rows.filter(pl.col("charge_start_time_s").is_not_null()).select(
        "port_id", pl.col("start").alias("ts"), pl.col("charge_start_time_s").alias("value"))


def meter_gaps(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """port_id, ts, value: seconds since the previous meter value of the same transaction
    (the ``updated`` transaction events: 1.6 MeterValues and 2.x TransactionEvent)."""
    samples = to_polars(tables, "transaction_events",
                        columns=("ts", "port_id", "transaction_id", "event")).filter(
        pl.col("event") == "updated").drop_nulls(["ts", "port_id", "transaction_id"]).sort(
        "port_id", "transaction_id", "ts")
    gap = (pl.col("ts") - pl.col("ts").shift(1)).dt.total_milliseconds() / 1000
    return samples.with_columns(gap.over("port_id", "transaction_id").alias("value")) \
        .drop_nulls("value").select("port_id", "ts", "value")


def callerror_days(tables: Mapping[str, pa.Table], ports: pl.DataFrame) -> pl.DataFrame:
    """port_id, day, callerrors: CALLERROR frames with the port's station, either way."""
    frames = to_polars(tables, "frames", columns=("ts", "charge_point_id", "message_type"))
    errors = frames.filter(pl.col("message_type") == "error").select(
        pl.col("charge_point_id").alias("source_station"), pl.col("ts").dt.date().alias("day"))
    return errors.join(ports.select("port_id", "source_station"), on="source_station") \
        .group_by("port_id", "day").agg(pl.len().cast(pl.Int64).alias("callerrors"))


_SAMPLE = r'\{[^{}]*"measurand"\s*:\s*"Temperature"[^{}]*\}'
_VALUE = r'"value"\s*:\s*"?(-?[0-9]+(?:\.[0-9]+)?)'


def temperature_days(tables: Mapping[str, pa.Table], ports: pl.DataFrame, *,
                     hot_c: float | None) -> pl.DataFrame:
    """port_id, day, max_temperature_c, hot_samples (Temperature samples above ``hot_c``, the
    rule set's derating temperature) from MeterValues and TransactionEvent frames; a sample
    naming a connector (1.6) or an EVSE (2.x) goes to that port, one naming neither to every
    port of its station."""
    frames = to_polars(tables, "frames", columns=("ts", "charge_point_id", "message_type",
                                                  "action", "payload"))
    frames = frames.filter((pl.col("message_type") == "call") & pl.col("action").is_in(
        ["MeterValues", "TransactionEvent"]) & pl.col("payload").str.contains("Temperature"))
    path = pl.col("payload").str.json_path_match
    samples = frames.select(
        pl.col("charge_point_id").alias("source_station"), pl.col("ts").dt.date().alias("day"),
        path("$.connectorId").alias("connector"), path("$.evseId").alias("evse"),
        pl.col("payload").str.extract_all(_SAMPLE).alias("sample")).explode("sample")
    samples = samples.with_columns(pl.col("sample").str.extract(_VALUE).cast(pl.Float64)
                                   .alias("celsius")).drop_nulls("celsius")
    placed = samples.join(ports.select("port_id", "source_station"), on="source_station")
    station = pl.col("source_station")
    own = (pl.when(pl.col("connector").is_not_null())
           .then(pl.col("port_id") == pl.concat_str(station, pl.lit(":"), "connector"))
           .when(pl.col("evse").is_not_null())
           .then(pl.col("port_id").str.starts_with(
               pl.concat_str(station, pl.lit(":"), "evse", pl.lit(":"))))
           .otherwise(pl.lit(True)))
    hot = (pl.col("celsius") > hot_c) if hot_c is not None else pl.lit(None, pl.Boolean)
    return placed.filter(own).group_by("port_id", "day").agg(
        pl.col("celsius").max().alias("max_temperature_c"),
        hot.sum().cast(pl.Int64).alias("hot_samples"))


def boots_seen(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """source_station, ts, vendor, model, firmware of every BootNotification call (1.6 and
    2.x spellings), for an as-of join: the last boot before a day's end says what it runs."""
    frames = to_polars(tables, "frames", columns=("ts", "charge_point_id", "direction",
                                                  "message_type", "action", "payload"))
    boots = frames.filter((pl.col("action") == "BootNotification")
                          & (pl.col("message_type") == "call") & (pl.col("direction") == "in"))
    path = pl.col("payload").str.json_path_match
    return boots.select(
        pl.col("charge_point_id").alias("source_station"), "ts",
        pl.coalesce(path("$.chargePointVendor"), path("$.chargingStation.vendorName"))
        .alias("vendor"),
        pl.coalesce(path("$.chargePointModel"), path("$.chargingStation.model")).alias("model"),
        pl.coalesce(path("$.firmwareVersion"), path("$.chargingStation.firmwareVersion"))
        .alias("firmware")).drop_nulls("ts").sort("ts")


def attempt_rows(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset,
                 period: Period) -> pl.DataFrame:
    """usage.py's attempts of the period that name a port."""
    return attempts(tables, [ruleset], period_from=period.start, period_to=period.end
                    ).filter(pl.col("port_id").is_not_null())


def repairs(tables: Mapping[str, pa.Table], episodes: pl.DataFrame,
            ports: pl.DataFrame) -> pl.DataFrame:
    """port_id, ts of every repair: a ticket resolved (else closed; a station ticket repairs
    each of its ports) and an outage episode's end."""
    tickets = to_polars(tables, "tickets").select(
        "port_id", "station_id", pl.coalesce("resolved", "closed").alias("ts")).drop_nulls("ts")
    own = tickets.drop_nulls("port_id").select("port_id", "ts")
    wide = tickets.filter(pl.col("port_id").is_null()).join(
        ports.select("port_id", "station_id"), on="station_id").select("port_id", "ts")
    return pl.concat([own, wide, episodes.select("port_id", pl.col("end").alias("ts"))]) \
        .cast({"ts": _TS}).sort("ts")


def first_seen(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """port_id, first_ts: the first status, transaction event or session of each port."""
    return pl.concat([
        to_polars(tables, "port_events", columns=("port_id", "ts", "station_wide"))
        .filter(~pl.col("station_wide")).select("port_id", "ts"),
        to_polars(tables, "transaction_events", columns=("port_id", "ts")),
        to_polars(tables, "sessions", columns=("port_id", "start")).rename({"start": "ts"}),
    ]).drop_nulls().group_by("port_id").agg(pl.col("ts").min().alias("first_ts"))

