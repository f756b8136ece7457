"""Benchmark: risk features and labels per port and UTC day (issue 18, items 1 and 2).

A synthetic network with precursors (``charging synth --precursors``: stations × days, seed),
ingested as ``charging ingest`` does, then timed in this process:

- ``features``: ``port_day_features`` over every port and day (rows, seconds, rows/s);
- ``labels``: ``labels`` for the rule set's horizons (rows, seconds, positives per horizon).

``--copies N`` repeats the ingested tables N times under new station, port and ticket ids
(``C{k}-`` before each): a network N times as large at the cost of one ingest (which runs
at ~10 k frames/s, schema checks included, and is not what this measures).

The synthesis and the ingest are timed for the record only. Peak memory is the process's.

    python bench/charging_risk.py [--stations 80] [--days 90] [--copies 10] [--seed 1]

Prints one JSON object on stdout (progress on stderr); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from solidcheck.charging.ingest import ingest
from solidcheck.charging.risk import FEATURES, port_day_features, port_day_labels
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.charging.synth import make_spec, simulate, write_network
from solidcheck.charging.synth.precursors import add_precursors


def _timed(what: str, call: Any) -> tuple[Any, float]:
    print(f"{what} …", file=sys.stderr, flush=True)
    began = time.perf_counter()
    out = call()
    return out, round(time.perf_counter() - began, 2)


_IDS = ("station_id", "port_id", "charge_point_id", "ticket_id")


def copy_of(table: pa.Table, k: int) -> pa.Table:
    """Copy ``k`` of a table: its ids prefixed ``C{k}-``."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    ids = [c for c in _IDS if c in frame.columns]
    return frame.with_columns((pl.lit(f"C{k}-") + pl.col(c)).alias(c) for c in ids) \
        .to_arrow().cast(table.schema)


def _copies(tables: dict[str, pa.Table], copies: int) -> dict[str, pa.Table]:
    """The tables ``copies`` times, each copy's ids prefixed ``C{k}-``."""
    return {name: pa.concat_tables([copy_of(table, k) for k in range(copies)])
            for name, table in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=80)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ruleset = charging_ruleset_by_id("cn-alliance-wp-2026")
    with tempfile.TemporaryDirectory() as folder:
        def make() -> list[Path]:
            network = simulate(make_spec(stations=args.stations, days=args.days,
                                         seed=args.seed))
            add_precursors(network)
            return write_network(network, Path(folder))

        files, synth_s = _timed("synth", make)
        inputs = sorted(p for p in files if p.name != "truth.json")
        read, ingest_s = _timed("ingest", lambda: ingest(inputs))
        tables = _copies(read.tables, args.copies) if args.copies > 1 else read.tables
        features, features_s = _timed("features", lambda: port_day_features(tables, ruleset))
        found, labels_s = _timed("labels", lambda: port_day_labels(tables, ruleset))
    horizons = [c for c in found.columns if c.startswith("label_")]
    print(json.dumps({
        "machine": {"python": platform.python_version(), "polars": pl.__version__,
                    "cpus": os.cpu_count()},
        "network": {"stations": args.stations, "days": args.days, "seed": args.seed,
                    "copies": args.copies,
                    "ports": features["port_id"].n_unique(),
                    "port_events": tables["port_events"].num_rows,
                    "frames": tables["frames"].num_rows},
        "synth_s": synth_s, "ingest_s": ingest_s,
        "features": {"rows": features.height, "columns": len(FEATURES), "seconds": features_s,
                     "rows_per_s": round(features.height / features_s) if features_s else None},
        "labels": {"rows": found.height, "seconds": labels_s,
                   "positive": {h: int(found[h].sum()) for h in horizons},
                   "unlabeled": {h: found[h].null_count() for h in horizons}},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }, indent=1))


if __name__ == "__main__":
    main()
