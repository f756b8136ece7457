"""The metrics engine at scale: the fast paths give what the definitions give, and a network
split into port-hash buckets gives the figures of the whole."""

from __future__ import annotations

import random

import polars as pl
import pyarrow as pa
import pytest

from charging_tables import at, status, tables
from solidcheck.charging.intervals import Period, _layered, port_table, state_intervals, to_polars
from solidcheck.charging.model import STATES
from solidcheck.charging.rules import charging_ruleset_by_id

CN = charging_ruleset_by_id("cn-alliance-wp-2026")


def _random_events(seed: int) -> dict[str, pa.Table]:
    """Ports with statuses before, inside and after the period, several at one instant (in
    two files), and a port with none."""
    rng = random.Random(seed)
    rows = []
    for port in ("A:1", "A:2", "B:1", "C:7"):
        for _ in range(rng.randint(0, 40)):
            row = status(port, rng.choice([-30, -5, 0, 0, 12, 12, 59, 60, 61])
                         + rng.randint(0, 2000) / 100, rng.choice(sorted(STATES)),
                         line=rng.randint(1, 5))
            row["source"] = rng.choice(["a.csv", "b.csv"])
            rows.append(row)
    return tables(port_events=rows)


def test_ports_own_statuses_give_the_intervals_of_the_layered_definition() -> None:
    """The one-sort path (no station-wide status, no offline) against the as-of layers."""
    for seed in range(30):
        data = _random_events(seed)
        period = Period(at(0), at(60))
        ports = port_table(data)
        fast = state_intervals(data, [CN], period, ports=ports)
        events = to_polars(data, "port_events").filter(pl.col("ts") < period.end)
        layered = _layered(events, pl_empty_offline(), period, ports)
        assert fast.to_dicts() == layered.to_dicts(), seed
        for port_id in ports["port_id"]:
            assert fast.filter(fast["port_id"] == port_id)["duration_s"].sum() == pytest.approx(3600)


def pl_empty_offline() -> pl.DataFrame:
    ts = pl.Datetime("ms", "UTC")
    return pl.DataFrame(schema={"port_id": pl.String, "station_id": pl.String, "start": ts,
                                "end": ts})
