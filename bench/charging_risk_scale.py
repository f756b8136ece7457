"""Benchmark: risk features and labels in station-hash buckets against the in-memory path
(issue 18, items 1 and 5).

A synthetic network with precursors (``charging synth --precursors``: stations × days, seed)
is ingested once and written as ``charging ingest`` writes a folder, its tables repeated
``--copies`` times under new ids (charging_risk.py's copy_of: a network N times as large at
the cost of one ingest). Then each path runs in a fresh process of its own, so that each
peak resident memory (VmHWM) is its own:

- ``local``: the folder's tables read whole, ``port_day_features`` and ``labels``;
- ``partitioned``: ``partitioned_risk`` (risk/partitioned.py), the split tables read from
  their files in batches, the buckets one after another;
- ``dask``: the same buckets on a local Dask cluster (``--workers`` processes, a thread
  each); the client's peak and each worker's (from the workers themselves).

Every path's frames are compared with the in-memory ones (``same``). Printed: seconds,
peak RSS, their ratios to ``local``, and the rate (port-days/s, frames/s) with the
extrapolation to a year of a 20,000-port network (measured rate × size; the memory of the
in-memory path as measured bytes per frame × frames).

    python bench/charging_risk_scale.py [--stations 80] [--days 90] [--copies 6] [--seed 1]

Prints one JSON object on stdout (progress on stderr); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
from charging import peak_rss_mb
from charging_risk import copy_of

from solidcheck.charging.ingest import ingest, read_tables
from solidcheck.charging.model import TABLES
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.charging.synth import make_spec, simulate, write_network
from solidcheck.charging.synth.precursors import add_precursors

RULESET = "cn-alliance-wp-2026"
PATHS = ("local", "partitioned", "dask")
YEAR_PORT_DAYS = 20_000 * 365


def make_folder(folder: Path, *, stations: int, days: int, copies: int, seed: int
                ) -> dict[str, Any]:
    """Synthesise, ingest and write the network's tables, copy by copy (never all copies
    in memory at once)."""
    with tempfile.TemporaryDirectory() as raw:
        began = time.perf_counter()
        network = simulate(make_spec(stations=stations, days=days, seed=seed))
        add_precursors(network)
        files = [p for p in write_network(network, Path(raw)) if p.name != "truth.json"]
        print("ingest …", file=sys.stderr, flush=True)
        tables = ingest(sorted(files)).tables
        made_s = time.perf_counter() - began
    folder.mkdir()
    for name, table in tables.items():
        schema = TABLES[name]
        with pq.ParquetWriter(folder / f"{name}.parquet", schema, compression="zstd") as out:
            for k in range(copies):
                one = table if copies == 1 else copy_of(table, k)
                out.write_table(one.select(schema.names).cast(schema))
    return {"synth_and_ingest_s": round(made_s, 1),
            "frames": tables["frames"].num_rows * copies,
            "port_events": tables["port_events"].num_rows * copies}


def measure(path: str, folder: Path, out: Path, workers: int) -> dict[str, Any]:
    """One path on the folder, in this (fresh) process; its frames written to ``out``."""
    from solidcheck.charging.risk import port_day_features, port_day_labels
    from solidcheck.charging.risk.partitioned import SPLIT_TABLES, partitioned_risk

    ruleset = charging_ruleset_by_id(RULESET)
    began = time.perf_counter()
    cpu = time.process_time()
    extra: dict[str, Any] = {}
    if path == "local":
        tables = read_tables(folder)
        features, found = port_day_features(tables, ruleset), port_day_labels(tables, ruleset)
    else:
        small = read_tables(folder, skip=tuple(SPLIT_TABLES))
        sources = {name: [folder / f"{name}.parquet"] for name in SPLIT_TABLES}
        told: list[int] = []
        if path == "partitioned":
            features, found = partitioned_risk(sources, small, ruleset,  # type: ignore[arg-type]
                                               scratch=out.parent, on_bucket=told.append)
        else:
            features, found, extra = _on_dask(sources, small, ruleset, out.parent, workers,
                                              told)
        extra["buckets"] = -told[0]
    wall = time.perf_counter() - began
    features.join(found, on=["port_id", "day"], how="left").write_parquet(out)
    return {"seconds": round(wall, 1), "cpu_s": round(time.process_time() - cpu, 1),
            "peak_rss_mb": peak_rss_mb(), "rows": features.height, **extra}


def _on_dask(sources: Any, small: Any, ruleset: Any, scratch: Path, workers: int,
             told: list[int]) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    from distributed import Client, LocalCluster

    from solidcheck.charging.dask_engine import dask_mapper
    from solidcheck.charging.risk.partitioned import partitioned_risk

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        features, found = partitioned_risk(sources, small, ruleset, scratch=scratch,
                                           mapper=dask_mapper(client), on_bucket=told.append)
        peaks = client.run(peak_rss_mb)
    return features, found, {"worker_peak_rss_mb": sorted(peaks.values())}


def run_child(path: str, folder: Path, out: Path, workers: int) -> dict[str, Any]:
    print(f"{path} …", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, __file__, "--measure", path, "--folder",
                           str(folder), "--out", str(out), "--workers", str(workers)],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the {path} measurement failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=80)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--measure", choices=PATHS)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.folder, args.out, args.workers)))
        return
    paths = [p for p in args.paths.split(",") if p]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "tables"
        print("synth …", file=sys.stderr, flush=True)
        network = make_folder(folder, stations=args.stations, days=args.days,
                              copies=args.copies, seed=args.seed)
        results = {p: run_child(p, folder, Path(scratch) / f"{p}.parquet", args.workers)
                   for p in paths}
        first = pl.read_parquet(Path(scratch) / f"{paths[0]}.parquet")
        for p in paths[1:]:
            results[p]["same"] = first.equals(pl.read_parquet(Path(scratch) / f"{p}.parquet"))
    print(json.dumps(report(args, network, results), indent=1))


def report(args: argparse.Namespace, network: dict[str, Any],
           results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The figures, the ratios to ``local`` and the extrapolation to a year of 20,000 ports."""
    local = results.get("local")
    ratios = {p: {"time": round(r["seconds"] / local["seconds"], 2),
                  "peak_rss": round(r["peak_rss_mb"] / local["peak_rss_mb"], 2)}
              for p, r in results.items() if local is not None and p != "local"}
    rows = next(iter(results.values()))["rows"]
    frames_per_port_day = network["frames"] / rows
    year_frames = frames_per_port_day * YEAR_PORT_DAYS
    year = {"port_days": YEAR_PORT_DAYS, "frames": round(year_frames)}
    for p, r in results.items():
        rate = rows / r["seconds"]
        year[f"{p}_minutes"] = round(YEAR_PORT_DAYS / rate / 60, 1)
    if local is not None:
        year["local_peak_rss_gb"] = round(local["peak_rss_mb"] / network["frames"]
                                          * year_frames / 1e3, 1)
    return {
        "machine": {"python": platform.python_version(), "polars": pl.__version__,
                    "cpus": os.cpu_count(), "load": [round(x, 2) for x in os.getloadavg()]},
        "network": {"stations": args.stations * args.copies, "days": args.days,
                    "seed": args.seed, "copies": args.copies, "port_days": rows, **network},
        "paths": results, "ratio_to_local": ratios,
        "rates_port_days_per_s": {p: round(rows / r["seconds"]) for p, r in results.items()},
        "year_of_20000_ports": year,
    }


if __name__ == "__main__":
    main()
