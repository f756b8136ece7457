"""``solidcheck batch --engine dask`` on a real two-worker ``LocalCluster`` (worker
processes, as on a cluster): the same results as the local engine, part by part; invalid
rows numbered across partitions as the local engine numbers them; no output overwritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dask
import dask.dataframe as dd
import pyarrow as pa
import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from solidcheck import DossierError, InvalidInputError
from solidcheck.batch.dask_engine import classify_on_dask
from solidcheck.batch.run import classify_file
from solidcheck.batch.synth import synthesize
from solidcheck.batch.table import DOSSIER_TABLE_SCHEMA
from solidcheck.cli import app
from solidcheck.rules import available_rulesets, load_ruleset

runner = CliRunner()
RULESETS = available_rulesets()
NATIONAL = load_ruleset("gbt-ssb-1-2026")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as connected:
        yield connected


def dataset(folder: Path, table: pa.Table, *, files: int) -> Path:
    """A Parquet folder of several files, each of several row groups (several partitions)."""
    folder.mkdir()
    size = -(-table.num_rows // files)
    for number in range(files):
        pq.write_table(table.slice(number * size, size), folder / f"part-{number}.parquet",
                       row_group_size=max(1, size // 3))
    return folder


def test_dask_results_equal_the_local_engine(tmp_path: Path, client: Client) -> None:
    source = dataset(tmp_path / "dossiers", synthesize(2_000, seed=8), files=3)
    assert dd.read_parquet(source).npartitions >= 3
    local = tmp_path / "local.parquet"
    expected = classify_file(source, local, RULESETS)
    output = tmp_path / "results"
    done: list[int] = []
    summary = classify_on_dask(str(source), str(output), RULESETS, client=client,
                               on_rows=done.append)
    parts = sorted(p.name for p in output.iterdir())
    assert sum(done) == 2_000 and len(done) == len(parts)
    assert parts == [f"part-{n:05d}.parquet" for n in range(len(parts))] and len(parts) >= 3
    assert pa_ds.dataset(output).to_table().to_pylist() == pq.read_table(local).to_pylist()
    assert summary.as_dict() | {"seconds": 0, "rows_per_second": 0} == \
        expected.as_dict() | {"seconds": 0, "rows_per_second": 0}


@pytest.mark.parametrize(("findings", "lang"), [("none", "en"), ("text", "zh")])
def test_dask_findings_none_or_as_text(tmp_path: Path, client: Client, findings: str,
                                       lang: str) -> None:
    """Without findings, or with their text in a language: as the local engine writes."""
    source = dataset(tmp_path / "dossiers", synthesize(500, seed=9), files=2)
    output = tmp_path / "results"
    classify_on_dask(str(source), str(output), [NATIONAL], findings=findings,
                     lang=lang, client=client)
    local = tmp_path / "local.parquet"
    classify_file(source, local, [NATIONAL], findings=findings, lang=lang)
    got = pa_ds.dataset(output).to_table()
    assert ("findings" in got.column_names) == (findings == "text")
    assert got.to_pylist() == pq.read_table(local).to_pylist()


def test_dask_invalid_rows_are_numbered_across_partitions(tmp_path: Path,
                                                          client: Client) -> None:
    data = synthesize(1_200, seed=3).to_pylist()
    for row in (2, 650, 1_199):
        data[row - 1]["electrolyte.liquid_fraction_wt_percent"] = 140.0
    table = pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA)
    source = dataset(tmp_path / "dossiers", table, files=3)
    output = tmp_path / "results"
    with pytest.raises(DossierError) as on_dask:
        classify_on_dask(str(source), str(output), [NATIONAL], client=client)
    with pytest.raises(DossierError) as locally:
        classify_file(source, tmp_path / "local.parquet", [NATIONAL], chunk_rows=128)
    assert on_dask.value.problems == locally.value.problems
    assert [p.path.split(":")[0] for p in on_dask.value.problems] == [
        "row 2", "row 650", "row 1199"]
    assert not output.exists()


def test_dask_refuses_an_output_that_exists(tmp_path: Path, client: Client) -> None:
    source = dataset(tmp_path / "dossiers", synthesize(100, seed=1), files=1)
    kept = tmp_path / "results" / "kept.txt"
    kept.parent.mkdir()
    kept.write_text("earlier results", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="exists already"):
        classify_on_dask(str(source), str(kept.parent), [NATIONAL], client=client)
    assert kept.read_text(encoding="utf-8") == "earlier results"
    empty = tmp_path / "empty"
    empty.mkdir()  # an empty folder made for the results is fine
    assert classify_on_dask(str(source), str(empty), [NATIONAL], client=client).rows == 100


def test_dask_unreadable_input(tmp_path: Path, client: Client) -> None:
    with pytest.raises(DossierError, match="cannot read the table"):
        classify_on_dask(str(tmp_path / "missing"), str(tmp_path / "out"), [NATIONAL],
                         client=client)
    assert not (tmp_path / "out").exists()


def test_batch_command_on_a_scheduler(tmp_path: Path, client: Client) -> None:
    source = dataset(tmp_path / "dossiers", synthesize(800, seed=4), files=2)
    output = tmp_path / "results"
    result = runner.invoke(app, [
        "batch", f"file://{source}", "-o", f"file://{output}", "--engine", "dask",
        "--scheduler", client.scheduler.address, "-r", RULESETS[0].id, "-r", RULESETS[1].id,
        "--summary", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 800 and summary["rulesets"] == [r.id for r in RULESETS[:2]]
    assert pa_ds.dataset(output).count_rows() == 800
    again = runner.invoke(app, ["batch", str(source), "-o", str(output), "--engine", "dask",
                                "--scheduler", client.scheduler.address])
    assert again.exit_code == 2 and "exists already" in again.stderr
    assert "Traceback" not in again.output


def test_dask_refuses_csv_and_jsonl_tables(tmp_path: Path, client: Client) -> None:
    for name in ("dossiers.csv", "dossiers.jsonl"):
        with pytest.raises(DossierError, match="reads Parquet dossier tables only"):
            classify_on_dask(str(tmp_path / name), str(tmp_path / "out"), [NATIONAL],
                             client=client)
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler(tmp_path: Path) -> None:
    source = dataset(tmp_path / "dossiers", synthesize(10, seed=1), files=1)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "out"),
                                     "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
