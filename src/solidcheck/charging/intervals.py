"""Per-port state intervals: when each port was in which canonical state over a period.

Every step is a Polars expression grouped or joined by port (or by station, then joined onto
its ports), never a Python loop over events, so the same code runs on any subset of ports —
one port-hash partition of a large network at a time.

The definitions (docs/charging.md, "Definitions"):

* a state holds from its event until the port's next event, or the period's end;
* before a port's first event the port is ``unknown``;
* the period is half-open [from, to); states are cut at its bounds;
* a 1.6 connector-0 (``station_wide``) status applies to every port of its station: a
  station-wide ``faulted`` or ``unavailable`` overrides the port's own state while it holds;
  any other station-wide status fills in only while the port has reported nothing itself;
* offline (OCPP only): a station silent for more than k × its heartbeat interval (the
  BootNotification result's ``interval``; without one, ``fallback_s`` is the silence allowed)
  is offline from its last message until its next one (the offline rule of the first rule
  set that has one); a ``disconnected`` event starts offline at once, under any rule set;
  offline overrides every other state. Ports with no frames or station
  events (IRVE) are never offline by silence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
import pyarrow as pa

from .model import TABLES
from .rules import ChargingRuleset, OfflineRule

__all__ = [
    "Period",
    "data_span",
    "offline_intervals",
    "offline_rule",
    "own_intervals",
    "port_table",
    "state_intervals",
    "to_polars",
]

_TS = pl.Datetime("ms", "UTC")
#: the port events' columns the intervals read
_STATUS_COLUMNS = ("ts", "station_id", "port_id", "station_wide", "state", "source", "line")
#: station-wide states that override a port's own state
_OVERRIDING = ("faulted", "unavailable")


@dataclass(frozen=True, slots=True)
class Period:
    """The half-open period [start, end), both UTC-aware."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def to_polars(tables: Mapping[str, pa.Table], name: str, *,
              columns: Sequence[str] | None = None) -> pl.DataFrame:
    """One canonical table as a Polars frame (empty with its schema when absent); only
    ``columns`` when given (the others are not converted)."""
    table = tables.get(name)
    table = table if table is not None else TABLES[name].empty_table()
    frame = pl.from_arrow(table.select(list(columns)) if columns is not None else table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def data_span(tables: Mapping[str, pa.Table]) -> Period | None:
    """The data's own span: the first to the last timestamp of frames, port events, station
    events, transaction events and sessions (None when they are all empty). The last instant is
    included by ending the period one millisecond after it."""
    times = pl.concat([
        to_polars(tables, "frames").select(pl.col("ts")),
        to_polars(tables, "port_events").select(pl.col("ts")),
        to_polars(tables, "station_events").select(pl.col("ts")),
        to_polars(tables, "transaction_events").select(pl.col("ts")),
        to_polars(tables, "sessions").select(pl.col("start").alias("ts")),
        to_polars(tables, "sessions").select(pl.col("end").alias("ts")),
    ]).drop_nulls()
    if times.is_empty():
        return None
    first, last = times["ts"].min(), times["ts"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    return Period(first, last + timedelta(milliseconds=1))


def port_table(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """Every port: port_id, station_id (the inventory's, else the events'), source_station
    (the station the port's events name: how station-wide statuses and offline reach it),
    operator, power_kw, opening_hours, commissioned. A 1.6 connector 0 is not a port."""
    events = to_polars(tables, "port_events", columns=("port_id", "station_id", "station_wide")
                       ).filter(~pl.col("station_wide"))
    seen = pl.concat([
        events.select("port_id", pl.col("station_id").alias("source_station")),
        to_polars(tables, "transaction_events").drop_nulls("port_id")
        .select("port_id", pl.col("station_id").alias("source_station")),
        to_polars(tables, "sessions").select("port_id", pl.lit(None, pl.String)
                                              .alias("source_station")),
    ]).group_by("port_id").agg(pl.col("source_station").drop_nulls().first())
    inventory = to_polars(tables, "inventory").unique("port_id", keep="last").select(
        "port_id", "station_id", "operator", "power_kw", "opening_hours", "commissioned")
    ports = seen.join(inventory, on="port_id", how="full", coalesce=True)
    return ports.with_columns(
        pl.coalesce("station_id", "source_station", "port_id").alias("station_id"),
        pl.coalesce("source_station", "station_id", "port_id").alias("source_station"),
    ).select("port_id", "station_id", "source_station", "operator", "power_kw",
             "opening_hours", "commissioned").sort("port_id")


def _heartbeat_s(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """station_id → the heartbeat interval (s) its last BootNotification result gave."""
    frames = to_polars(tables, "frames")
    return frames.filter(
        (pl.col("action") == "BootNotification") & (pl.col("message_type") == "result")
    ).sort("ts").select(
        pl.col("charge_point_id").alias("station_id"),
        pl.col("payload").str.json_path_match("$.interval").cast(pl.Float64, strict=False)
        .alias("heartbeat_s"),
    ).filter(pl.col("heartbeat_s") > 0).group_by("station_id").agg(
        pl.col("heartbeat_s").last())


def offline_rule(rulesets: Sequence[ChargingRuleset]) -> OfflineRule | None:
    """The offline rule of the first rule set that has one: offline is a fact about the
    station, so every rule set maps the same offline minutes."""
    return next((r.rules.offline_detection for r in rulesets
                 if r.rules.offline_detection is not None), None)


def offline_intervals(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset],
                      period: Period) -> pl.DataFrame:
    """Offline intervals per OCPP station (station_id, start, end), cut to the period. A
    message is any frame from the station and any station event (boot, heartbeat,
    connected); ``disconnected`` starts offline at once and the next message ends it. With no
    offline rule in the rule sets, only disconnections are offline."""
    rule = offline_rule(rulesets)
    empty = pl.DataFrame(schema={"station_id": pl.String, "start": _TS, "end": _TS})
    frames = to_polars(tables, "frames").filter(pl.col("direction") == "in").select(
        pl.col("charge_point_id").alias("station_id"), "ts", pl.lit(False).alias("drop"))
    events = to_polars(tables, "station_events").select(
        "station_id", "ts", (pl.col("kind") == "disconnected").alias("drop"))
    heard = pl.concat([frames, events]).drop_nulls("ts").filter(pl.col("ts") < period.end)
    if heard.is_empty():
        return empty
    end = pl.lit(period.end).cast(_TS)
    allowed = (pl.col("heartbeat_s") * rule.heartbeat_multiple).fill_null(rule.fallback_s) \
        if rule is not None else pl.lit(None, pl.Float64)
    silence = heard.join(_heartbeat_s(tables), on="station_id", how="left").with_columns(
        allowed.alias("allowed_s"))
    # a disconnection sorts after a message of the same instant, so it is the one that holds
    silence = silence.sort("station_id", "ts", "drop").with_columns(
        pl.col("ts").shift(-1).over("station_id").fill_null(end).alias("next"))
    offline = silence.filter(
        pl.col("drop") | ((pl.col("next") - pl.col("ts")).dt.total_milliseconds()
                          > pl.col("allowed_s") * 1000).fill_null(False)
    ).select("station_id", pl.max_horizontal("ts", pl.lit(period.start).cast(_TS))
             .alias("start"), pl.min_horizontal("next", end).alias("end"))
    return offline.filter(pl.col("end") > pl.col("start"))


def state_intervals(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset],
                    period: Period, *, ports: pl.DataFrame | None = None) -> pl.DataFrame:
    """The intervals of every port: port_id, station_id, start, end, state, duration_s,
    contiguous within each port, covering the period exactly (:func:`offline_rule` says which
    rule set's offline rule applies). ``ports``: :func:`port_table`'s, or a subset of it."""
    ports = port_table(tables) if ports is None else ports
    events = to_polars(tables, "port_events", columns=_STATUS_COLUMNS).drop_nulls("ts").filter(
        pl.col("ts") < period.end)
    # the last of several statuses of one instant (in the file's order) is the one that holds
    wide = events.filter(pl.col("station_wide")).sort("ts", "source", "line")
    off = offline_intervals(tables, rulesets, period).join(
        ports.select("port_id", pl.col("source_station").alias("station_id")), on="station_id")
    if off.is_empty() and wide.join(ports.select(pl.col("source_station").alias("station_id")),
                                    on="station_id", how="semi").is_empty():
        return own_intervals(events.filter(~pl.col("station_wide")), period, ports=ports)
    return _layered(events, off, period, ports)


def _layered(events: pl.DataFrame, off: pl.DataFrame, period: Period,
             ports: pl.DataFrame) -> pl.DataFrame:
    """:func:`state_intervals` with station-wide statuses and offline spells: each layer
    joined as of every instant any of them changes."""
    start, end = pl.lit(period.start).cast(_TS), pl.lit(period.end).cast(_TS)
    events = events.sort("ts", "source", "line")
    own = events.filter(~pl.col("station_wide")).unique(
        ["port_id", "ts"], keep="last", maintain_order=True).select(
        "port_id", "ts", pl.col("state").alias("own"))
    own = own.join(ports.select("port_id"), on="port_id", how="semi")
    wide = events.filter(pl.col("station_wide")).unique(
        ["station_id", "ts"], keep="last", maintain_order=True).select(
        pl.col("station_id").alias("source_station"), "ts", pl.col("state").alias("wide"))
    wide = wide.join(ports.select("port_id", "source_station"), on="source_station").select(
        "port_id", "ts", "wide")
    marks = pl.concat([off.select("port_id", pl.col("start").alias("ts"),
                                  pl.lit(True).alias("offline")),
                       off.select("port_id", pl.col("end").alias("ts"),
                                  pl.lit(False).alias("offline"))])
    # of two marks at one instant (one offline spell ending as the next begins) offline wins
    marks = marks.group_by("port_id", "ts").agg(pl.col("offline").max())
    points = pl.concat([
        ports.select("port_id", start.alias("ts")), own.select("port_id", "ts"),
        wide.select("port_id", "ts"), marks.select("port_id", "ts")]).unique().sort("ts")
    for layer in (own.sort("ts"), wide.sort("ts"), marks.sort("ts")):
        points = points.join_asof(layer, on="ts", by="port_id", strategy="backward",
                                 check_sortedness=False)  # sorted just above
    state = (pl.when(pl.col("offline").fill_null(False)).then(pl.lit("offline"))
             .when(pl.col("wide").is_in(_OVERRIDING)).then(pl.col("wide"))
             .otherwise(pl.coalesce("own", "wide", pl.lit("unknown"))))
    out = points.with_columns(state.alias("state")).sort("port_id", "ts").with_columns(
        pl.col("ts").shift(-1).over("port_id").fill_null(end).alias("end"))
    out = out.select("port_id", pl.max_horizontal("ts", start).alias("start"), "end", "state")
    out = out.filter(pl.col("end") > pl.col("start"))
    return out.join(ports.select("port_id", "station_id"), on="port_id").select(
        "port_id", "station_id", "start", "end", "state",
        ((pl.col("end") - pl.col("start")).dt.total_milliseconds() / 1000).alias("duration_s"),
    ).sort("port_id", "start")


def own_intervals(events: pl.DataFrame, period: Period, *,
                  ports: pl.DataFrame) -> pl.DataFrame:
    """:func:`state_intervals` when no station-wide status and no offline spell reaches the
    ports (IRVE, most OCPP 2.x logs): the same intervals from one numeric sort and row shifts,
    no per-port grouping. ``events``: the ports' own port_events (port_id, ts, state, source,
    line). Several statuses of one instant sort in the file's order and all but the last
    last zero minutes, so they drop out with the other empty intervals."""
    start, end = pl.lit(period.start).cast(_TS), pl.lit(period.end).cast(_TS)
    codes = ports.select("port_id", "station_id").sort("port_id").with_row_index("code")
    sources = events["source"].unique().sort()
    marks = codes.select("code", start.alias("ts"), pl.lit(None, pl.String).alias("own"),
                         pl.lit(-1, pl.Int64).alias("order"))
    # the file's order: the source's rank in the high bits, the line in the low 40
    order = pl.col("source").replace_strict(sources, pl.int_range(len(sources), eager=True),
                                            return_dtype=pl.Int64) * (1 << 40) + pl.col("line")
    if sources.is_empty():  # no event at all (tickets alone): an empty map keeps the text type
        order = pl.col("line").cast(pl.Int64)
    own = events.join(codes.select("port_id", "code"), on="port_id").select(
        "code", "ts", pl.col("state").fill_null("unknown").alias("own"), order.alias("order"))
    points = pl.concat([marks, own]).sort("code", "ts", "order")
    same_next = pl.col("code").shift(-1) == pl.col("code")
    same_prev = pl.col("code").shift(1) == pl.col("code")
    # a port's row at the period's start takes the state of the port's event before it
    state = pl.when(pl.col("own").is_not_null()).then(pl.col("own")).when(same_prev.fill_null(
        False)).then(pl.col("own").shift(1)).otherwise(pl.lit("unknown"))
    out = points.select(
        "code", pl.max_horizontal("ts", start).alias("start"),
        pl.when(same_next.fill_null(False)).then(pl.col("ts").shift(-1)).otherwise(end)
        .alias("end"), state.alias("state"),
    ).filter(pl.col("end") > pl.col("start"))
    index = out["code"]
    return out.select(
        codes["port_id"].gather(index), codes["station_id"].gather(index),
        "start", "end", "state",
        ((pl.col("end") - pl.col("start")).dt.total_milliseconds() / 1000).alias("duration_s"))
