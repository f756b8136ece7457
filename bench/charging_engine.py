"""The engine's side of bench/charging.py (ch-perf): service availability of a canonical
``port_events`` Parquet file from solidcheck's charging engine, in memory (``parts.
port_minutes``: state intervals → minutes per port, day and rule set), in port-hash buckets
on disk (``partitioned.partitioned_parts``: bounded memory) and on a Dask LocalCluster.

Each returns the network's availability under the rule set (Σ available + excluded minutes /
Σ counted minutes over the ports, per cent), the figure pandas_availability gives.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from solidcheck.charging.intervals import Period, port_table
from solidcheck.charging.model import TABLES
from solidcheck.charging.partitioned import partitioned_parts
from solidcheck.charging.parts import PortParts, port_minutes
from solidcheck.charging.rules import charging_ruleset_by_id


def network_percent(totals: pl.DataFrame) -> float | None:
    """Σ/Σ over the ports' minutes (parts.PortParts.totals' frame of one rule set)."""
    sums = totals.select(pl.col("available_minutes", "unavailable_minutes",
                                "excluded_minutes").sum()).row(0, named=True)
    up = sums["available_minutes"] + sums["excluded_minutes"]
    counted = up + sums["unavailable_minutes"]
    return None if counted <= 0 else 100 * up / counted


def engine_availability(path: Path, period: tuple[datetime, datetime],
                        ruleset_id: str) -> float | None:
    """In memory: the file read whole, every port's minutes under the rule set."""
    table = pq.read_table(path)
    tables = {"port_events": table}
    found = port_minutes(tables, [charging_ruleset_by_id(ruleset_id)], Period(*period),
                         ports=port_table(tables))
    return network_percent(found.totals[ruleset_id])


def _lean(parts: Iterable[PortParts]) -> Iterable[PortParts]:
    """Each bucket's parts without the per port-day minutes, the outage episodes (their
    count and minutes per port stay, in ``stability``) nor the flagged events: the network's
    availability needs the per-port totals only (300 M events are ~9 M outage episodes)."""
    for part in parts:
        yield dataclasses.replace(part, first_daily=None, flagged=part.flagged.clear(),
                                  outages=part.outages.clear())


def partitioned_availability(path: Path, period: tuple[datetime, datetime], ruleset_id: str,
                             *, mapper: Callable[..., Iterable[PortParts]] | None = None
                             ) -> dict[str, Any]:
    """In port-hash buckets on disk (each computed alone): the network's availability, the
    number of buckets and the outage episodes (the per-port figures are all computed)."""
    def lean_map(function: Callable[[Any], PortParts], items: Sequence[Any]
                 ) -> Iterable[PortParts]:
        return _lean((mapper or map)(function, items))

    small = {name: schema.empty_table() for name, schema in TABLES.items()}
    counted: list[int] = []
    with tempfile.TemporaryDirectory(prefix="bench-buckets-", dir=path.parent) as folder:
        parts, _, _ = partitioned_parts([path], small, [charging_ruleset_by_id(ruleset_id)],
                                        scratch=Path(folder), period_from=period[0],
                                        period_to=period[1], mapper=lean_map,
                                        on_bucket=counted.append)
    return {"network_percent": network_percent(parts.totals[ruleset_id]),
            "buckets": -counted[0], "ports": parts.ports.height,
            "outage_episodes": int(parts.stability["outage_episodes"].sum())}


def dask_availability(path: Path, period: tuple[datetime, datetime], ruleset_id: str,
                      *, workers: int) -> dict[str, Any]:
    """The buckets on a LocalCluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    from solidcheck.charging.dask_engine import dask_mapper

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        return partitioned_availability(path, period, ruleset_id,
                                        mapper=dask_mapper(client))
