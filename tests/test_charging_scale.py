"""The metrics engine at scale: the fast paths give what the definitions give, and a network
split into port-hash buckets gives the figures of the whole."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from charging_tables import at, status, tables
from solidcheck.charging.ingest import ingest
from solidcheck.charging.intervals import Period, _layered, port_table, state_intervals, to_polars
from solidcheck.charging.metrics import compute_metrics
from solidcheck.charging.model import STATES, TABLES
from solidcheck.charging.partitioned import partitioned_metrics
from solidcheck.charging.rules import (
    ChargingRuleset,
    available_charging_rulesets,
    charging_ruleset_by_id,
)
from solidcheck.charging.synth import make_spec, simulate, write_network

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
            minutes = fast.filter(fast["port_id"] == port_id)["duration_s"].sum() / 60
            assert minutes == pytest.approx(60)


def pl_empty_offline() -> pl.DataFrame:
    ts = pl.Datetime("ms", "UTC")
    return pl.DataFrame(schema={"port_id": pl.String, "station_id": pl.String, "start": ts,
                                "end": ts})


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, pa.Table],
                                                                 list[ChargingRuleset]]:
    """A synthetic network (OCPP logs with station-wide statuses and offline spells, IRVE,
    tickets, inventory with opening hours) under every rule set."""
    folder = tmp_path_factory.mktemp("network")
    write_network(simulate(make_spec(stations=9, days=4, seed=16,
                                     start="2026-03-28T00:00:00+01:00")), folder)
    tables = ingest(sorted(p for p in folder.iterdir() if p.name != "truth.json")).tables
    rulesets = [CN] + [r for r in available_charging_rulesets() if r.id != CN.id]
    return tables, rulesets


def test_a_network_in_three_port_hash_buckets_gives_the_figures_of_the_whole(
        synthetic: tuple[dict[str, pa.Table], list[ChargingRuleset]], tmp_path: Path) -> None:
    tables, rulesets = synthetic
    whole = compute_metrics(tables, rulesets)
    small = {name: table for name, table in tables.items() if name != "port_events"}
    small["port_events"] = TABLES["port_events"].empty_table()
    done: list[int] = []
    bucketed = partitioned_metrics([tables["port_events"]], small, rulesets, buckets=3,
                                   scratch=tmp_path, on_bucket=done.append)
    assert done == [-3, 1, 1, 1]
    assert bucketed.model_dump() == whole.model_dump()
    assert whole.network.outage_episodes > 0 and whole.findings  # a network with something
    assert list(tmp_path.iterdir()) == []  # the buckets are removed


def test_the_buckets_on_a_dask_cluster_give_the_figures_of_the_whole(
        synthetic: tuple[dict[str, pa.Table], list[ChargingRuleset]], tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from solidcheck.charging.dask_engine import dask_mapper

    tables, rulesets = synthetic
    small = {name: table for name, table in tables.items() if name != "port_events"}
    small["port_events"] = TABLES["port_events"].empty_table()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        on_dask = partitioned_metrics([tables["port_events"]], small, rulesets, buckets=2,
                                      scratch=tmp_path, mapper=dask_mapper(client))
    assert on_dask.model_dump() == compute_metrics(tables, rulesets).model_dump()


def test_charging_metrics_on_an_ingested_folder_gives_the_same_json_with_every_engine(
        synthetic: tuple[dict[str, pa.Table], list[ChargingRuleset]], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from solidcheck.charging.ingest import write_tables
    from solidcheck.cli import app

    tables, _ = synthetic
    folder = tmp_path / "tables"
    write_tables(tables, folder)

    def run(*args: str) -> str:
        done = CliRunner().invoke(app, ["charging", "metrics", str(folder), "--format",
                                        "json", *args])
        assert done.exit_code == 0, done.output
        return done.output

    local = run("--engine", "local")
    assert run("--engine", "partitioned", "--scratch", str(tmp_path)) == local
    assert run() == local  # auto: a small network is computed in memory
    refused = CliRunner().invoke(app, ["charging", "metrics", str(folder), "--engine", "fast",
                                       "--scheduler", "tcp://127.0.0.1:1"])
    assert refused.exit_code == 2
    assert "--engine" in refused.output and "--scheduler" in refused.output


def test_data_quality_findings_from_buckets_are_those_of_the_whole(tmp_path: Path) -> None:
    """A port over QualiCharge's status rate one day, a late status, a 1.6 station-wide
    fault: the findings read port events the buckets keep aside (flagged)."""
    qualicharge = charging_ruleset_by_id("fr-qualicharge")
    limit = int(qualicharge.rules.status_rate.limit)  # type: ignore[union-attr]
    chatty = [status("A:1", i * 0.5, ("available", "occupied")[i % 2], line=i)
              for i in range(limit + 5)]
    late = status("B:1", 30, "faulted", station="S2")
    late["logged_ts"] = at(30 + 60)
    events = [*chatty, late, status("C:1", 10, "available", station="S3"),
              status("S3:0", 20, "faulted", station="S3", wide=True)]
    data = tables(port_events=events)
    rulesets = [CN, qualicharge]
    whole = compute_metrics(data, rulesets, period_from=at(0), period_to=at(1440))
    small = {**data, "port_events": TABLES["port_events"].empty_table()}
    bucketed = partitioned_metrics([data["port_events"]], small, rulesets, buckets=2,
                                   scratch=tmp_path, period_from=at(0), period_to=at(1440))
    assert bucketed.model_dump() == whole.model_dump()
    assert {f.rule for f in whole.findings} >= {"status_rate", "status_freshness"}
