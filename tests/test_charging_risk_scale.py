"""Risk features and labels at scale (issue 18, part scale): a network split into
station-hash buckets, each computed alone from its files on disk, gives the frames of the
whole; ``charging risk features`` writes them once and train and evaluate read the file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from solidcheck.charging.ingest import read_tables
from solidcheck.charging.risk import port_day_features, port_day_labels
from solidcheck.charging.risk.partitioned import SPLIT_TABLES, partitioned_risk, split_stations
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.cli import app

CN = charging_ruleset_by_id("cn-alliance-wp-2026")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["charging", *args])


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The canonical tables (``charging ingest``) of a synthetic network with precursors:
    10 stations, 75 days."""
    root = tmp_path_factory.mktemp("risk-scale")
    made = invoke("synth", "--stations", "10", "--days", "75", "--seed", "3", "--precursors",
                  "-o", str(root / "raw"))
    assert made.exit_code == 0, made.output
    files = sorted(str(p) for p in (root / "raw").iterdir() if p.name != "truth.json")
    done = invoke("ingest", *files, "-o", str(root / "tables"))
    assert done.exit_code == 0, done.output
    return root / "tables"


@pytest.fixture(scope="module")
def whole(network: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The in-memory path's features and labels."""
    tables = read_tables(network)
    return port_day_features(tables, CN), port_day_labels(tables, CN)


def _parts(network: Path) -> tuple[dict[str, list[Path]], dict[str, object]]:
    """The split tables as their files (read per bucket from disk), the others in memory."""
    tables = read_tables(network, skip=tuple(SPLIT_TABLES))
    sources = {name: [network / f"{name}.parquet"] for name in SPLIT_TABLES}
    return sources, {n: t for n, t in tables.items() if n not in SPLIT_TABLES}


def test_station_buckets_give_the_features_and_labels_of_the_whole_network(
        network: Path, whole: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path) -> None:
    sources, small = _parts(network)
    told: list[int] = []
    features, found = partitioned_risk(sources, small, CN, buckets=3,  # type: ignore[arg-type]
                                       scratch=tmp_path, on_bucket=told.append)
    assert told == [-3, 1, 1, 1]
    assert features.get_column("hot_samples_7d").null_count() == 0
    assert_frame_equal(features, whole[0])
    assert_frame_equal(found, whole[1])
    assert found.get_column("label_7d").sum() > 0  # the precursors' failures are there
    assert list(tmp_path.iterdir()) == []  # the buckets are removed after


def test_a_station_and_all_its_rows_land_in_one_bucket(network: Path, tmp_path: Path) -> None:
    sources, small = _parts(network)
    split = split_stations(sources, small, tmp_path, buckets=4)  # type: ignore[arg-type]
    for name, column in SPLIT_TABLES.items():
        held = [pl.read_parquet(f[name]) if any(f[name].iterdir()) else pl.DataFrame()
                for f in split.folders]
        stations = [set(h.get_column(column)) if h.height else set() for h in held]
        assert sum(h.height for h in held) == pq.ParquetFile(sources[name][0]).metadata.num_rows
        assert sum(len(s) for s in stations) == len(set().union(*stations)), name
    assert sum(1 for f in split.folders if any(f["frames"].iterdir())) > 1
    assert split.ports.height == whole_ports(network)


def whole_ports(network: Path) -> int:
    from solidcheck.charging.intervals import port_table

    return port_table(read_tables(network)).height


def test_the_buckets_on_a_dask_cluster_give_the_same_frames(
        network: Path, whole: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from solidcheck.charging.dask_engine import dask_mapper

    sources, small = _parts(network)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        features, found = partitioned_risk(sources, small, CN,  # type: ignore[arg-type]
                                           buckets=3, scratch=tmp_path,
                                           mapper=dask_mapper(client))
    assert_frame_equal(features, whole[0])
    assert_frame_equal(found, whole[1])


@pytest.fixture(scope="module")
def features_file(network: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("features") / "features.parquet"
    done = invoke("risk", "features", str(network), "-o", str(out), "--engine", "partitioned")
    assert done.exit_code == 0, done.output
    assert "port-days" in done.output
    return out


def test_the_features_command_writes_the_same_file_with_every_engine(
        network: Path, features_file: Path, tmp_path: Path) -> None:
    local = tmp_path / "local.parquet"
    done = invoke("risk", "features", str(network), "-o", str(local), "--engine", "local")
    assert done.exit_code == 0, done.output
    written = pl.read_parquet(features_file)
    assert_frame_equal(written, pl.read_parquet(local))
    assert {"label_24h", "label_7d", "next_failure_at", "vendor"} <= set(written.columns)


def test_train_and_evaluate_read_the_features_file(network: Path, features_file: Path,
                                                   tmp_path: Path) -> None:
    model = tmp_path / "model"
    done = invoke("risk", "train", str(features_file), "-o", str(model))
    assert done.exit_code == 0, done.output
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    # the card names the network's own inputs, carried in the file
    assert any(name.endswith("frames.parquet") for name in card["data_sha256"]["inputs"])
    report = invoke("risk", "evaluate", str(features_file), "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.output)["horizon"] == "7d"
    scored = invoke("risk", "score", str(model), str(network), "--engine", "partitioned",
                    "--format", "json", "--top", "3")
    assert scored.exit_code == 0, scored.output
    assert len(json.loads(scored.output)["ports"]) == 3


@pytest.mark.parametrize("command", ["train", "score", "evaluate", "features"])
def test_engine_and_scheduler_problems_are_said_as_charging_metrics_says_them(
        network: Path, tmp_path: Path, command: str) -> None:
    head = {"train": ["-o", str(tmp_path / "m")], "features": ["-o", str(tmp_path / "f.parquet")],
            "score": [str(tmp_path / "no-model")], "evaluate": []}[command]
    done = invoke("risk", command, *head, str(network), "--engine", "fast",
                  "--scheduler", "tcp://x:8786")
    metrics = invoke("metrics", str(network), "--engine", "fast", "--scheduler", "tcp://x:8786")
    assert done.exit_code == 2
    for line in metrics.output.splitlines()[1:]:
        assert line in done.output.splitlines()
    assert "Traceback" not in done.output


def test_a_wrong_parquet_is_one_clear_error(network: Path, features_file: Path,
                                            tmp_path: Path) -> None:
    partial = tmp_path / "partial.parquet"
    pl.read_parquet(features_file).drop("faults_7d", "label_24h", "label_7d").write_parquet(
        partial)
    done = invoke("risk", "train", str(partial), "-o", str(tmp_path / "m"))
    assert done.exit_code == 2
    assert "'faults_7d'" in done.output and "no label column" in done.output
    other = invoke("risk", "evaluate", str(network / "tickets.parquet"))
    assert other.exit_code == 2
    assert "not a features file" in other.output
    both = invoke("risk", "train", str(features_file), str(network), "-o", str(tmp_path / "m"))
    assert both.exit_code == 2 and "read alone" in both.output


@pytest.fixture
def no_dask(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("distributed", "solidcheck.charging.dask_engine", "solidcheck.daskclient"):
        monkeypatch.setitem(sys.modules, name, None)
    yield


def test_without_dask_the_engine_names_the_extra(network: Path, tmp_path: Path,
                                                 no_dask: None) -> None:
    done = invoke("risk", "features", str(network), "-o", str(tmp_path / "f.parquet"),
                  "--engine", "dask")
    assert done.exit_code != 0
    assert "pip install 'solidcheck[dask]'" in done.output
    assert "Traceback" not in done.output
