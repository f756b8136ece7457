"""The risk data of a network larger than memory: the station-level tables (frames, port,
transaction and station events) split once into station-hash buckets on disk, each bucket's
features and labels computed alone (features.py, labels.py), the frames concatenated.

A port's features and labels read only its station's frames and events, its own sessions and
inventory row, and its own and its station's tickets, so a bucket holds every station whose
id hashes to it with all of their rows, and the small tables (inventory, sessions, tickets)
filtered to its ports. Two things are the network's and are given to every bucket: the data's
span (the days every port has, and where the labels' horizons end) and which station each
port belongs to. The buckets are computed one after another (``map``) or on a Dask cluster
(charging/dask_engine.py), through the machinery of charging/partitioned.py.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import ChargingInputError, Problem
from ..intervals import Period, data_span, port_table
from ..model import TABLES
from ..partitioned import Mapper, Span, bucket_of, source_rows, split_rows
from ..rules import ChargingRuleset
from .features import _days, port_day_features
from .labels import port_day_labels

__all__ = ["BUCKET_ROWS", "SPLIT_TABLES", "RiskBuckets", "partitioned_risk", "split_stations"]

#: the tables split by station, and the column naming the station in each
SPLIT_TABLES: Final = {"frames": "charge_point_id", "port_events": "station_id",
                       "transaction_events": "station_id", "station_events": "station_id"}
#: rows (frames and events) per bucket: the in-memory path peaks near 0.6 kB a frame
#: (bench/charging_risk.py: 8.75 GB on 14.8 M frames), so a bucket stays near 0.6 GB
BUCKET_ROWS: Final = 1_000_000
_PAIRS: Final = ("port_events", "transaction_events")


@dataclass(frozen=True, slots=True)
class RiskBuckets:
    """Station-level tables split by station: ``folders[k][table]`` holds the rows of the
    stations whose hash is k modulo len(folders); ``ports``: every port with the station it
    belongs to (port_table's source_station) and its bucket; ``span``: the data's (None: no
    timed event)."""

    folders: tuple[dict[str, Path], ...]
    ports: pl.DataFrame
    span: Period | None
    rows: int


def split_stations(sources: Mapping[str, Sequence[Path | pa.Table]],
                   small: Mapping[str, pa.Table], folder: Path, *,
                   buckets: int | None = None) -> RiskBuckets:
    """Read each table of :data:`SPLIT_TABLES` (Parquet files or tables) once, in batches,
    writing each station's rows to its bucket's folder in ``folder``; K from the rows when
    not given. ``small``: the other tables, in memory."""
    rows = sum(source_rows(sources.get(name, ())) for name in SPLIT_TABLES)
    count = buckets or max(1, math.ceil(rows / BUCKET_ROWS))
    folders = tuple({name: folder / f"{name}-{k:04d}" for name in SPLIT_TABLES}
                    for k in range(count))
    span = Span()
    pairs: dict[str, list[pl.DataFrame]] = {name: [] for name in _PAIRS}
    for name, column in SPLIT_TABLES.items():
        def route(frame: pl.DataFrame, name: str = name, column: str = column) -> pl.DataFrame:
            span.see(frame)
            if name in pairs:  # which station each port's own rows name
                own = frame.filter(~pl.col("station_wide")) if name == "port_events" else frame
                pairs[name].append(own.select("port_id", "station_id").drop_nulls("port_id")
                                   .unique(maintain_order=True))
            return frame.with_columns(bucket_of(pl.col(column), count).alias("_bucket"))

        split_rows(sources.get(name, ()), [f[name] for f in folders], schema=TABLES[name],
                   route=route)
    seen = {name: pl.concat(found).unique(maintain_order=True).to_arrow() if found else
            pa.table({"port_id": pa.array([], pa.string()),
                      "station_id": pa.array([], pa.string())})
            for name, found in pairs.items()}
    ports = port_table({"port_events": _as_own(seen["port_events"]),
                        "transaction_events": seen["transaction_events"],
                        "sessions": small.get("sessions", TABLES["sessions"].empty_table()),
                        "inventory": small.get("inventory", TABLES["inventory"].empty_table())})
    # each port's bucket fixed here, where the rows were split: a worker's Polars may hash
    # otherwise
    ports = ports.select("port_id", "station_id", "source_station",
                         bucket_of(pl.col("source_station"), count).alias("bucket"))
    return RiskBuckets(folders, ports, _span(span, small), rows)


def _as_own(pairs: pa.Table) -> pa.Table:
    """(port_id, station_id) pairs as port events port_table reads: a port's own ones."""
    return pairs.append_column("station_wide", pa.array([False] * pairs.num_rows, pa.bool_()))


def _span(split: Span, small: Mapping[str, pa.Table]) -> Period | None:
    """The data's span: the split tables' and the small ones' (sessions)."""
    rest = data_span({name: table for name, table in small.items()
                      if name not in SPLIT_TABLES})
    times = [t for t in (split.first, split.last) if t is not None]
    if rest is not None:
        times += [rest.start, rest.end - timedelta(milliseconds=1)]
    if not times:
        return None
    return Period(min(times), max(times) + timedelta(milliseconds=1))


def bucket_tables(split: RiskBuckets, k: int, small: Mapping[str, pa.Table]
                  ) -> tuple[dict[str, pa.Table], pl.DataFrame]:
    """Bucket ``k``'s canonical tables (its stations' rows read from disk, the small tables
    filtered to its ports) and its ports."""
    ports = split.ports.filter(pl.col("bucket") == k)
    tables = {name: _read(folder, TABLES[name]) for name, folder in split.folders[k].items()}
    ids = ports.get_column("port_id")
    stations = ports.get_column("station_id").unique()
    for name, table in small.items():
        if name in SPLIT_TABLES or name not in ("inventory", "sessions", "tickets"):
            continue
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        keep = pl.col("port_id").is_in(ids.implode())
        if name == "tickets":  # a station's ticket: on each of its ports
            keep = keep | (pl.col("port_id").is_null()
                           & pl.col("station_id").is_in(stations.implode()))
        tables[name] = frame.filter(keep).to_arrow().cast(TABLES[name])
    return tables, ports


def _read(folder: Path, schema: pa.Schema) -> pa.Table:
    parts = [pq.read_table(f) for f in sorted(folder.glob("*.parquet"))]
    # one chunk: many small parts as many chunks multiply the engine's memory
    return pa.concat_tables(parts).combine_chunks() if parts else schema.empty_table()


def partitioned_risk(sources: Mapping[str, Sequence[Path | pa.Table]],
                     small: Mapping[str, pa.Table], ruleset: ChargingRuleset, *,
                     start_day: date | None = None, end_day: date | None = None,
                     horizons: Sequence[str] | None = None, buckets: int | None = None,
                     scratch: Path | None = None, mapper: Mapper | None = None,
                     on_bucket: Callable[[int], None] | None = None,
                     with_labels: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``port_day_features`` and ``port_day_labels`` of the whole network (``sources``: the files or
    tables of :data:`SPLIT_TABLES`; ``small``: the others), computed in station-hash
    buckets written under ``scratch`` (a temporary folder by default). ``on_bucket`` is told
    of the number of buckets (negated), then called with 1 as each is done. Without
    ``with_labels`` (scoring needs none) the labels are an empty frame."""
    with tempfile.TemporaryDirectory(prefix="solidcheck-risk-buckets-", dir=scratch) as folder:
        split = split_stations(sources, small, Path(folder), buckets=buckets)
        span = split.span
        if span is None:
            raise ChargingInputError([Problem("inputs", "no timed event in the inputs",
                                              "give the canonical tables of a network")])
        _days(span, start_day, end_day)
        count = len(split.folders)
        if on_bucket is not None:
            on_bucket(-count)

        def one(k: int) -> tuple[pl.DataFrame, pl.DataFrame]:
            tables, ports = bucket_tables(split, k, small)
            if ports.is_empty():
                return pl.DataFrame(), pl.DataFrame()
            mine = pl.col("port_id").is_in(ports.get_column("port_id").implode())
            labels = (port_day_labels(tables, ruleset, horizons=horizons, span=span).filter(mine)
                      if with_labels else pl.DataFrame())
            return (port_day_features(tables, ruleset, start_day=start_day, end_day=end_day,
                                      span=span).filter(mine), labels)

        features: list[pl.DataFrame] = []
        found: list[pl.DataFrame] = []
        for bucket_features, bucket_labels in (mapper or map)(one, list(range(count))):
            if bucket_features.width:
                features.append(bucket_features)
                found.append(bucket_labels)
            if on_bucket is not None:
                on_bucket(1)
    if not features:  # no port at all: the in-memory path's own empty frames
        empty = {name: TABLES[name].empty_table() for name in TABLES}
        return (port_day_features(empty, ruleset, span=span),
                port_day_labels(empty, ruleset, horizons=horizons, span=span))
    return (_temperature_seen(pl.concat(features)).sort("port_id", "day"),
            pl.concat(found).sort("port_id", "day") if with_labels else pl.DataFrame())


def _temperature_seen(features: pl.DataFrame) -> pl.DataFrame:
    """hot_samples_7d is null only when the whole network has no Temperature (features.py):
    a bucket without any is 0 when another bucket has some."""
    if features.get_column("hot_samples_7d").is_null().all():
        return features
    return features.with_columns(pl.col("hot_samples_7d").fill_null(0.0))
