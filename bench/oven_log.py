"""Benchmark: reading and judging oven logs, against pyarrow's bare CSV read of the same file.

The practical limit for analysing a CSV log is parsing it; so the figure that matters is the
ratio of the full analysis (detect the format, read with header and unit normalisation,
SHA-256 of the file, find the hold, excursions and masses) to ``pyarrow.csv.read_csv`` alone.
Goal: ratio ≥ 0.5 (the analysis costs at most twice a bare parse).

    python bench/oven_log.py [--rows 2000000] [--repeat 3] [--keep DIR]

Prints one JSON object; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from solidcheck import __version__, load_ruleset
from solidcheck.conditions import analyse_conditions
from solidcheck.readers import read_evidence


def write_log(path: Path, *, rows: int, step_s: float, seed: int = 7) -> None:
    """A realistic oven run: 30 min ramp, a hold with noise, then cooling; mass falls a little."""
    rng = np.random.default_rng(seed)
    time_s = np.arange(rows, dtype=np.float64) * step_s
    ramp_end = min(1800.0, time_s[-1] * 0.05)
    cool_start = time_s[-1] - ramp_end
    temperature = np.where(
        time_s < ramp_end, 25 + 95 * time_s / ramp_end,
        np.where(time_s > cool_start, 120 - 95 * (time_s - cool_start) / ramp_end, 120.0),
    ) + rng.normal(0, 0.3, rows)
    pressure = np.where(time_s < ramp_end * 0.5, 101_325.0, 60.0) + rng.uniform(0, 20, rows)
    mass = 50.0 - 0.08 * (1 - np.exp(-time_s / 7200)) + rng.normal(0, 2e-5, rows)
    table = pa.table({
        "time_s": np.round(time_s, 3),
        "temperature_c": np.round(temperature, 3),
        "pressure_pa": np.round(pressure, 2),
        "mass_g": np.round(mass, 5),
    })
    pacsv.write_csv(table, path)


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs after one warm-up run (imports, caches, page cache)."""
    value = work()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        value = work()
        best = min(best, time.perf_counter() - start)
    return best, value


def run_case(path: Path, *, repeat: int) -> dict[str, Any]:
    ruleset = load_ruleset()
    bare_s, table = best_of(repeat, lambda: pacsv.read_csv(path))
    full_s, analysis = best_of(
        repeat, lambda: analyse_conditions(read_evidence(path), ruleset=ruleset))
    rows = int(table.num_rows)
    tracemalloc.start()
    analyse_conditions(read_evidence(path), ruleset=ruleset)
    _, peak_python = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "file": path.name,
        "rows": rows,
        "size_mb": round(path.stat().st_size / 1e6, 1),
        "baseline_pyarrow_read_s": round(bare_s, 4),
        "full_analysis_s": round(full_s, 4),
        "rows_per_s": round(rows / full_s),
        "ratio_to_bare_read": round(bare_s / full_s, 3),
        "goal_ratio": 0.5,
        "meets_goal": bare_s / full_s >= 0.5,
        "python_heap_peak_mb": round(peak_python / 1e6, 1),
        "hold_h": None if analysis.hold is None else round(analysis.hold.duration_h, 4),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000,
                        help="rows of the large log (at most readers.MAX_READING_ROWS)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the logs here instead of a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        six_hours = folder / "six-hours-1hz.csv"
        write_log(six_hours, rows=6 * 3600 + 3601, step_s=1.0)
        large = folder / f"large-{args.rows}.csv"
        write_log(large, rows=args.rows, step_s=0.01)
        small_repeat = max(args.repeat, 30)  # a few milliseconds: take the best of many
        report = {
            "benchmark": "oven_log",
            "solidcheck": __version__,
            "python": sys.version.split()[0],
            "pyarrow": pa.__version__,
            "machine": platform.machine(),
            "cases": [run_case(six_hours, repeat=small_repeat),
                      run_case(large, repeat=args.repeat)],
        }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
