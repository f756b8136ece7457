"""The charging commands chained as an operator runs them: a network's own files straight into
`charging metrics` tables and `charging report` (HTML and open data), without a metrics JSON
in between, giving the same figures as the JSON route."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from solidcheck.cli import app


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("network")
    run = invoke("charging", "synth", "--stations", "5", "--days", "2", "--seed", "7",
                 "-o", str(folder))
    assert run.exit_code == 0, run.output
    return sorted(str(p) for p in folder.iterdir() if p.name != "truth.json")


def test_metrics_as_a_table_has_one_row_per_station_summing_to_the_network(
        network: list[str], tmp_path: Path) -> None:
    as_json = invoke("charging", "metrics", *network, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.output)
    out = tmp_path / "stations.csv"
    run = invoke("charging", "metrics", *network, "--format", "csv", "--by", "station",
                 "-o", str(out))
    assert run.exit_code == 0, run.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["station_id"] for r in rows) == sorted(
        s["station_id"] for s in result["stations"])
    assert sum(int(r["sessions"]) for r in rows) == result["network"]["sessions"]
    ports = tmp_path / "ports.parquet"
    run = invoke("charging", "metrics", *network, "--format", "parquet", "--by", "port",
                 "-o", str(ports))
    assert run.exit_code == 0, run.output
    assert pq.read_table(ports).num_rows == len(result["ports"])


def test_a_table_needs_a_file(network: list[str]) -> None:
    run = invoke("charging", "metrics", *network, "--format", "parquet")
    assert run.exit_code == 2 and "-o FILE" in run.output


def test_report_and_open_data_straight_from_the_inputs_match_the_metrics(
        network: list[str], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    run = invoke("charging", "report", *network, "-o", str(page), "--lang", "zh")
    assert run.exit_code == 0, run.output
    html = page.read_text(encoding="utf-8")
    assert 'lang="zh' in html and "SYN00001" in html
    folder = tmp_path / "open"
    run = invoke("charging", "report", *network, "--to", "open-data", "-o", str(folder))
    assert run.exit_code == 0, run.output
    published = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    computed = json.loads(invoke("charging", "metrics", *network, "--format", "json").output)
    assert published == computed


def test_report_period_options_cut_the_period(network: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "open"
    run = invoke("charging", "report", *network, "--to", "open-data", "-o", str(folder),
                 "--period-from", "2026-03-16T12:00:00+00:00",
                 "--period-to", "2026-03-17T00:00:00+00:00")
    assert run.exit_code == 0, run.output
    published = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert published["period"] == {"from": "2026-03-16T12:00:00Z",
                                   "to": "2026-03-17T00:00:00Z"}
