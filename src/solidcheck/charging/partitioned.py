"""The metrics of a network larger than memory: its port events split once into port-hash
buckets on disk, each bucket's port parts computed alone (parts.py), the parts concatenated
and assembled into the ChargingMetrics ``compute_metrics`` gives on the whole.

Ports are independent (a port's figures read only its own events, its station's station-wide
statuses and station events, and its tickets), so a bucket holds every own status of its
ports and the small station-level tables whole. The figures that do not add up — percentiles
of charge start times and of ticket closure times — are computed after the concatenation, on
the pooled per-attempt and per-ticket rows of the whole network (exact quantiles, not a
combination of the buckets' ones). The buckets are computed one after another (``map``: the
builtin) or on a Dask cluster (dask_engine.py).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..i18n import Display
from .intervals import Period, port_table
from .metrics import assemble, resolve_period
from .model import PORT_EVENTS
from .parts import PortParts, concat_parts, port_parts
from .results import ChargingMetrics, InputFile
from .rules import ChargingRuleset

__all__ = ["BUCKET_EVENTS", "Buckets", "Mapper", "Span", "bucket_count", "bucket_of",
           "bucket_parts", "compact", "partitioned_metrics", "partitioned_parts", "source_rows",
           "split_port_events", "split_rows"]

#: status events per bucket: a bucket's computation peaks near 0.6 kB an event (measured:
#: bench/charging.py), so a bucket stays well under 1 GB
BUCKET_EVENTS = 1_000_000
#: rows read at a time while splitting, and held back before the buckets are written
_BATCH_ROWS = 200_000
_PENDING_ROWS = 2_000_000
_TS = pl.Datetime("ms", "UTC")

#: how buckets are computed: ``map(function, buckets)`` → their results (parts), in any order
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]


@dataclass(frozen=True, slots=True)
class Buckets:
    """Port events split by port: ``files[k]`` (a folder of Parquet parts) holds the own
    statuses of the ports whose hash is k modulo len(files); ``wide`` the station-wide ones
    (every bucket reads them); ``first``/``last``: the events' time span (None without a
    timed event)."""

    files: tuple[Path, ...]
    wide: pa.Table
    events: int
    first: datetime | None
    last: datetime | None


def bucket_count(events: int) -> int:
    """How many buckets keep each near :data:`BUCKET_EVENTS` events."""
    return max(1, math.ceil(events / BUCKET_EVENTS))


def bucket_of(key: pl.Expr, buckets: int) -> pl.Expr:
    """The bucket of each key: its hash modulo ``buckets``."""
    return (key.hash(seed=16) % buckets).cast(pl.Int64)


def source_rows(sources: Sequence[Path | pa.Table]) -> int:
    """How many rows the sources (Parquet files or tables) hold, read from the files' footers."""
    return sum(pq.ParquetFile(s).metadata.num_rows if isinstance(s, Path) else s.num_rows
               for s in sources)


def split_rows(sources: Sequence[Path | pa.Table], files: Sequence[Path], *,
               schema: pa.Schema, route: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    """Read the sources once, in batches of ``schema``'s columns, writing the rows ``route``
    keeps to the folder ``files[k]`` of their ``_bucket`` column k (the folders are made)."""
    for bucket in files:
        bucket.mkdir()
    # rows held back until there are _PENDING_ROWS of them, then each bucket's written as a
    # file of its own: an open writer keeps every row group's metadata until it closes (one
    # writer per bucket grew past 2 GB on 300 M events)
    pending: dict[int, list[pa.Table]] = {}
    held = 0
    flushes = 0

    def flush() -> None:
        for k, tables in pending.items():
            pq.write_table(pa.concat_tables(tables), files[k] / f"part-{flushes:05d}.parquet",
                           compression="zstd", write_statistics=False)
        pending.clear()

    try:
        for batch in _batches(sources, schema):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            kept = route(frame)
            for (k,), part in kept.group_by("_bucket"):
                assert isinstance(k, int)
                pending.setdefault(k, []).append(part.drop("_bucket").to_arrow().cast(schema))
            held += kept.height
            if held >= _PENDING_ROWS:
                flush()
                held, flushes = 0, flushes + 1
        flush()
    finally:
        pending.clear()


@dataclass(slots=True)
class Span:
    """The first and last ``ts`` of the batches seen (None before a timed one)."""

    first: datetime | None = None
    last: datetime | None = None

    def see(self, frame: pl.DataFrame, column: str = "ts") -> None:
        """Widen the span to the column's times in ``frame``."""
        low, high = frame.select(pl.col(column).min().alias("a"),
                                 pl.col(column).max().alias("b")).row(0)
        if low is not None:
            self.first = low if self.first is None else min(self.first, low)
            self.last = high if self.last is None else max(self.last, high)


def split_port_events(sources: Sequence[Path | pa.Table], folder: Path, *,
                      buckets: int | None = None) -> Buckets:
    """Read the port events (canonical Parquet files or tables) once, in batches, writing
    each port's own statuses to its bucket's file in ``folder``; K from the number of events
    when not given."""
    total = source_rows(sources)
    count = buckets or bucket_count(total)
    files = tuple(folder / f"port-events-{k:04d}" for k in range(count))
    wide: list[pa.Table] = []
    span = Span()

    def route(frame: pl.DataFrame) -> pl.DataFrame:
        span.see(frame)
        station_wide = frame.filter(pl.col("station_wide"))
        if station_wide.height:
            wide.append(station_wide.to_arrow().cast(PORT_EVENTS))
        return frame.filter(~pl.col("station_wide")).with_columns(
            bucket_of(pl.col("port_id"), count).alias("_bucket"))

    split_rows(sources, files, schema=PORT_EVENTS, route=route)
    return Buckets(files, pa.concat_tables(wide) if wide else PORT_EVENTS.empty_table(),
                   total, span.first, span.last)


def _batches(sources: Sequence[Path | pa.Table], schema: pa.Schema) -> Iterable[pa.Table]:
    for source in sources:
        if isinstance(source, pa.Table):
            yield from (pa.Table.from_batches([b]) for b in
                        source.select(schema.names).cast(schema).to_batches(_BATCH_ROWS))
        else:
            # without pre-buffering: the reader would keep every byte it read
            reader = pq.ParquetFile(source, pre_buffer=False)
            for batch in reader.iter_batches(batch_size=_BATCH_ROWS, columns=schema.names):
                yield pa.Table.from_batches([batch]).cast(schema)


def bucket_parts(file: Path, k: int, buckets: int, small: Mapping[str, pa.Table],
                 rulesets: Sequence[ChargingRuleset], period: Period) -> PortParts:
    """The parts of the ports of bucket ``k``: its events, and the small tables whole (the
    ports they name that hash to another bucket are that bucket's)."""
    parts = [pq.read_table(f) for f in sorted(file.glob("*.parquet"))]
    # one chunk: a hundred small parts as a hundred chunks multiply the engine's memory
    events = pa.concat_tables([*parts, small["port_events"]]).combine_chunks()
    tables = {**small, "port_events": events}
    ports = port_table(tables).filter(bucket_of(pl.col("port_id"), buckets) == k)
    return port_parts(tables, rulesets, period, ports=ports)


def _period(small: Mapping[str, pa.Table], split: Buckets, period_from: datetime | None,
            period_to: datetime | None) -> Period:
    """resolve_period over the small tables and the split events' span."""
    times = [t for t in (split.first, split.last) if t is not None]
    spanned = {**small, "port_events": pa.concat_tables([
        small["port_events"].select(["ts"]),
        pa.table({"ts": pa.array(times, PORT_EVENTS.field("ts").type)})])}
    return resolve_period(spanned, period_from=period_from, period_to=period_to)


def _compact_frame(frame: pl.DataFrame) -> pl.DataFrame:
    table = frame.to_arrow()
    schema = pa.schema([field.with_type(pa.large_string())
                        if pa.types.is_string_view(field.type) else field
                        for field in table.schema])
    out = pl.from_arrow(table.cast(schema))
    assert isinstance(out, pl.DataFrame)
    return out


def compact(parts: PortParts) -> PortParts:
    """The parts with their strings copied out: a Polars string column filtered or grouped
    from a bucket's events still holds all the events' string bytes, and the parts of every
    bucket are kept until the end (300 buckets' parts held gigabytes so)."""
    return PortParts(
        ports=_compact_frame(parts.ports), by_state=_compact_frame(parts.by_state),
        totals={rid: _compact_frame(f) for rid, f in parts.totals.items()},
        first_daily=None if parts.first_daily is None else _compact_frame(parts.first_daily),
        outages=_compact_frame(parts.outages), stability=_compact_frame(parts.stability),
        flagged=_compact_frame(parts.flagged), unparsed=parts.unparsed,
        consistency=_compact_frame(parts.consistency))


def partitioned_parts(port_events: Sequence[Path | pa.Table], small: Mapping[str, pa.Table],
                      rulesets: Sequence[ChargingRuleset], *, scratch: Path,
                      period_from: datetime | None = None, period_to: datetime | None = None,
                      buckets: int | None = None, mapper: Mapper | None = None,
                      on_bucket: Callable[[int], None] | None = None,
                      ) -> tuple[PortParts, Period, dict[str, pa.Table]]:
    """The parts of every port, bucket by bucket, the period, and the tables ``assemble``
    reads (the small ones with the station-wide statuses as port events). ``on_bucket`` is
    told of the number of buckets, then called with 1 as each is done."""
    split = split_port_events(port_events, scratch, buckets=buckets)
    tables = {**small, "port_events": split.wide}
    period = _period(tables, split, period_from, period_to)
    count = len(split.files)
    if on_bucket is not None:
        on_bucket(-count)

    def one(k: int) -> PortParts:
        return bucket_parts(split.files[k], k, count, tables, rulesets, period)

    parts = []
    for part in (mapper or map)(one, list(range(count))):
        parts.append(compact(part))
        if on_bucket is not None:
            on_bucket(1)
    return concat_parts(parts), period, tables


def partitioned_metrics(port_events: Sequence[Path | pa.Table], small: Mapping[str, pa.Table],
                        rulesets: Sequence[ChargingRuleset], *,
                        period_from: datetime | None = None,
                        period_to: datetime | None = None, buckets: int | None = None,
                        scratch: Path | None = None, mapper: Mapper | None = None,
                        on_bucket: Callable[[int], None] | None = None,
                        inputs: Sequence[InputFile] = (), lang: Display = "en"
                        ) -> ChargingMetrics:
    """``compute_metrics`` of the small tables with these port events, computed in port-hash
    buckets (``scratch``: where the buckets are written; a temporary folder by default)."""
    with tempfile.TemporaryDirectory(prefix="solidcheck-buckets-",
                                     dir=scratch) as folder:
        parts, period, tables = partitioned_parts(
            port_events, small, rulesets, scratch=Path(folder), period_from=period_from,
            period_to=period_to, buckets=buckets, mapper=mapper, on_bucket=on_bucket)
    return assemble(tables, parts, rulesets, period=period, inputs=inputs, lang=lang)
