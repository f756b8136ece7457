"""bench/charging.py's pandas baseline gives the service availability the docs define, on a
table small enough to check by hand, and its synthetic network is what the engine reads: the
canonical port_events schema, one port's events in time order, the IRVE file equivalent."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from solidcheck.charging.irve import read_irve
from solidcheck.charging.model import PORT_EVENTS, STATES


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    path = Path(__file__).parents[1] / "bench" / "charging.py"
    spec = importlib.util.spec_from_file_location("bench_charging", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_charging"] = module
    spec.loader.exec_module(module)
    return module


DAY = datetime(2026, 5, 1, tzinfo=UTC)


def _events(path: Path, rows: list[tuple[str, int, str]]) -> Path:
    """Port events at whole hours of DAY (negative: the day before, 24+: the next)."""
    table = pa.Table.from_pylist([
        {"ts": DAY + timedelta(hours=hour), "logged_ts": DAY + timedelta(hours=hour),
         "station_id": "S", "port_id": port, "station_wide": False, "state": state,
         "source": "t", "line": line} for line, (port, hour, state) in enumerate(rows, 1)],
        schema=PORT_EVENTS)
    pq.write_table(table, path)
    return path


def test_pandas_availability_by_hand(bench: ModuleType, tmp_path: Path) -> None:
    path = _events(tmp_path / "events.parquet", [
        # A: available from the day before, faulted 06-12, then available: 18 h up of 24
        ("A", 12, "available"), ("A", -3, "available"), ("A", 6, "faulted"),
        # B: unknown until noon (in neither part), then occupied (service): 12 h of 12
        ("B", 0, "unknown"), ("B", 12, "occupied"),
        # C: offline from 20 h to the end (4 h down), an event after the period changes nothing
        ("C", 0, "reserved"), ("C", 20, "offline"), ("C", 30, "available"),
    ])
    classes = bench.state_classes("cn-alliance-wp-2026")
    per_port, network = bench.pandas_availability(path, DAY, DAY + timedelta(days=1), classes)
    minutes = per_port[["available", "unavailable", "ineligible"]].to_dict("index")
    assert minutes == {"A": {"available": 18 * 60, "unavailable": 6 * 60, "ineligible": 0},
                       "B": {"available": 12 * 60, "unavailable": 0, "ineligible": 12 * 60},
                       "C": {"available": 20 * 60, "unavailable": 4 * 60, "ineligible": 0}}
    assert per_port["rate_percent"].to_dict() == pytest.approx(
        {"A": 75.0, "B": 100.0, "C": 20 / 24 * 100})
    # Σ/Σ over the ports, not the mean of their rates
    assert network == pytest.approx((18 + 12 + 20) / (24 + 12 + 24) * 100)


def test_the_rule_sets_mapping_decides_what_counts(bench: ModuleType) -> None:
    classes = bench.state_classes("cn-alliance-wp-2026")
    assert sorted(classes) == sorted(STATES)  # every state counted one way
    assert {classes["available"], classes["faulted"], classes["unknown"]} == {
        "available", "unavailable", "ineligible"}


def test_the_synthetic_network_and_its_irve_file(bench: ModuleType, tmp_path: Path) -> None:
    # chunks of about three ports: the Parquet file is written a row group at a time
    written = bench.write_network(tmp_path, ports=12, days=2, seed=3, csv=True,
                                  chunk_events=100)
    assert pq.ParquetFile(written["parquet"]).num_row_groups == 4
    table = pq.read_table(written["parquet"])
    assert table.schema == PORT_EVENTS
    assert table.column("line").to_pylist() == list(range(1, table.num_rows + 1))
    assert table.num_rows == written["events"] > 12
    assert len(set(table.column("port_id").to_pylist())) == 12
    frame = table.select(["port_id", "ts"]).to_pandas()
    assert frame.equals(frame.sort_values(["port_id", "ts"], kind="stable"))
    read = read_irve(written["csv"])
    assert read is not None and read.format == "irve-dynamique"
    assert (read.row_count, read.rejected) == (written["events"], [])
    assert read.tables["port_events"].column("ts").to_pylist() == table.column("ts").to_pylist()
