"""``charging synth --precursors``: degradation before most faults, written into truth.json,
visible in the risk features, and a record the metrics still find exactly (issue 18)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.charging.metrics import compute_metrics
from solidcheck.charging.risk import port_day_features
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.charging.synth import make_spec, simulate, write_network
from solidcheck.charging.synth.precursors import add_precursors
from solidcheck.cli import app

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")
ARGS = ["--stations", "15", "--days", "21", "--seed", "11"]


def synth(folder: Path, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["charging", "synth", "-o", str(folder), *ARGS, *extra])
    assert result.exit_code == 0, result.output
    truth: dict[str, Any] = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return truth


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = tmp_path_factory.mktemp("precursors")
    truth = synth(folder, "--precursors")
    tables = ingest(sorted(p for p in folder.iterdir() if p.name != "truth.json")).tables
    return truth, tables


def test_most_faults_have_precursors_and_some_do_not(
        network: tuple[dict[str, Any], dict[str, Any]]) -> None:
    truth, _ = network
    faults = truth["precursors"]
    warned = [f for f in faults if f["from"] is not None]
    assert 0.4 * len(faults) < len(warned) < 0.8 * len(faults)
    for fault in warned:
        lead_h = (datetime.fromisoformat(fault["fault_at"])
                  - datetime.fromisoformat(fault["from"])).total_seconds() / 3600
        assert lead_h <= 72
        assert "failed_starts" in fault["kinds"]
    assert any("temperature" in f["kinds"] for f in warned)
    assert any("watchdog_reboots" in f["kinds"] for f in warned)


def test_the_same_seed_gives_the_same_precursors_and_no_flag_none(tmp_path: Path) -> None:
    first = synth(tmp_path / "a", "--precursors")
    again = synth(tmp_path / "b", "--precursors")
    assert first == again
    plain = synth(tmp_path / "c")
    assert "precursors" not in plain
    # without the flag the files are the network's own, byte for byte
    write_network(simulate(make_spec(stations=15, days=21, seed=11)), tmp_path / "d")
    for path in (tmp_path / "c").iterdir():
        assert path.read_bytes() == (tmp_path / "d" / path.name).read_bytes(), path.name


def test_precursors_show_in_the_features_the_day_before(
        network: tuple[dict[str, Any], dict[str, Any]]) -> None:
    truth, tables = network
    features = port_day_features(tables, RULESET)
    faults = pl.DataFrame(truth["precursors"]).select(
        "port_id", pl.col("from").is_not_null().alias("warned"),
        (pl.col("fault_at").str.to_datetime(time_zone="UTC").dt.date()
         - pl.duration(days=1)).alias("day"))
    before = features.join(faults, on=["port_id", "day"], how="left").with_columns(
        pl.col("warned").cast(pl.String).fill_null("healthy"))
    means = {row["warned"]: row for row in before.group_by("warned").agg(
        pl.col("failed_starts_1d", "failed_starts_7d", "max_temperature_c_7d").mean()
    ).iter_rows(named=True)}
    warned, unwarned, healthy = means["true"], means["false"], means["healthy"]
    assert warned["failed_starts_1d"] > 3 * healthy["failed_starts_1d"]
    assert warned["failed_starts_7d"] > healthy["failed_starts_7d"] + 2
    assert warned["max_temperature_c_7d"] > healthy["max_temperature_c_7d"] + 5
    # a fault without precursors looks like any other day beforehand
    assert unwarned["failed_starts_1d"] < warned["failed_starts_1d"] / 2


def test_the_metrics_still_find_the_truth(
        network: tuple[dict[str, Any], dict[str, Any]]) -> None:
    truth, tables = network
    frames = pl.from_arrow(tables["frames"])
    assert isinstance(frames, pl.DataFrame)
    assert frames.filter(pl.col("valid") == False).is_empty()  # noqa: E712
    metrics = compute_metrics(tables, [RULESET],
                              period_from=datetime.fromisoformat(truth["period"]["from"]),
                              period_to=datetime.fromisoformat(truth["period"]["to"]))
    ports = {port.port_id: port for port in metrics.ports}
    for port in truth["ports"]:
        found = ports[port["port_id"]]
        assert {k: v for k, v in found.minutes_by_state.items() if v} == pytest.approx(
            port["minutes_by_state"]), port["port_id"]
        assert (found.outage_episodes, found.reboots) == (
            port["merged_outage_episodes"], port["reboots"]), port["port_id"]
    assert metrics.network.sessions == truth["network"]["sessions"]


def test_every_ocpp_fault_is_warned_at_share_one_and_irve_ports_never() -> None:
    network = simulate(make_spec(stations=5, days=10, seed=3))
    found = add_precursors(network, share=1.0)
    irve = {p.port_id for s in network.stations if s.protocol == "irve" for p in s.ports}
    assert found and all(p.from_s is not None for p in found if p.port_id not in irve)
    assert all(p.port_id not in irve for p in found)
