"""Benchmark: training the risk model on a year of a 20,000-port network's daily features
(issue 18, item 5) and scoring one day of it.

The frame is generated (numpy ``Generator(seed)``), in the contract of
charging/risk/features.py: 20,000 ports × 365 days = 7.3 M rows, 27 numeric features and 3
categorical ones (vendor, model, firmware), 4 operators of 5,000 ports (each has its own
model), failures at 1 % a port-day with a precursor in three features. Measured in one
process:

- ``train_s``: ``model.train`` with the white paper's rule set (200 rounds, no early
  stopping) and ``store.model_card`` (which hashes the 7.3 M rows) and ``store.save``;
- ``score_day_s``: ``score.score`` of the last day's 20,000 ports, the 100 highest listed
  with their drivers (what ``charging risk score --top 100`` runs);
  ``score_day_all_drivers_s``: the drivers of all 20,000 (one prediction per feature each);
- ``peak_rss_gb``: the process's peak resident memory, and the frame's own size.

    python bench/charging_risk_model.py [--ports 20000] [--days 365] [--seed 1]

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
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from solidcheck.charging.risk.model import FeatureSpec, labelled, train
from solidcheck.charging.risk.score import score
from solidcheck.charging.risk.store import model_card, save
from solidcheck.charging.rules import charging_ruleset_by_id

NUMERIC = tuple(f"f{i:02d}" for i in range(27))
CATEGORICAL = ("vendor", "model", "firmware")


def network(ports: int, days: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features, labels) of the generated network."""
    rng = np.random.default_rng(seed)
    failed = rng.random((ports, days)) < 0.01
    columns: dict[str, object] = {}
    for i, name in enumerate(NUMERIC):
        values = rng.normal(size=(ports, days)).astype(np.float32)
        if i < 3:  # the precursor: up over the three days before a failure
            for ahead in (1, 2, 3):
                values[:, :-ahead] += failed[:, ahead:] * (4 - ahead) * 0.8
        columns[name] = values.ravel()
    port = np.repeat(np.arange(ports, dtype=np.int64), days)
    ids = pl.Series(np.arange(ports)).cast(pl.String)
    start = date(2026, 1, 1)
    features = pl.DataFrame({
        "port_id": ("P" + ids.str.zfill(6)).gather(port),
        "station_id": ("S" + pl.Series(np.arange(ports) // 4).cast(pl.String)).gather(port),
        "operator": pl.Series([f"op{i % 4}" for i in range(ports)]).gather(port),
        "day": pl.date_range(start, start + timedelta(days=days - 1), eager=True)
        .gather(np.tile(np.arange(days), ports)),
        **columns,
        "vendor": pl.Series(["ABB", "Star", "TELD", "XJ"]).gather(port % 4),
        "model": pl.Series([f"M{i}" for i in range(7)]).gather(port % 7),
        "firmware": pl.Series([f"1.{i}" for i in range(3)]).gather(port % 3),
    })
    ahead = np.zeros((ports, days), dtype=bool)
    for step in range(1, 8):
        ahead[:, :-step] |= failed[:, step:]
    known = np.tile(np.arange(days), ports) < days - 7  # the last week's labels are not known
    labels = pl.DataFrame({
        "port_id": features.get_column("port_id"), "day": features.get_column("day"),
        "label_7d": ahead.ravel(), "known": known,
    }).select("port_id", "day", label_24h=pl.lit(None, pl.Boolean),
              label_7d=pl.when("known").then("label_7d"),
              next_failure_at=pl.lit(None, pl.Datetime("us", "UTC")))
    return features, labels


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rule = charging_ruleset_by_id("cn-alliance-wp-2026").rules.risk_model
    assert rule is not None
    began = time.perf_counter()
    features, labels = network(args.ports, args.days, args.seed)
    frame = labelled(features, labels, "7d")
    generated_s = time.perf_counter() - began
    print(f"generated {frame.height:,} rows in {generated_s:.1f} s", file=sys.stderr)
    spec = FeatureSpec(NUMERIC, CATEGORICAL)
    cpu = time.process_time()
    began = time.perf_counter()
    model = train(frame, spec, rule, horizon="7d", seed=args.seed)
    fit_s = time.perf_counter() - began
    model.card = model_card(model, frame, rule, seed=args.seed, ruleset_id="cn-alliance-wp-2026",
                            inputs={})
    with tempfile.TemporaryDirectory() as folder:
        save(model, Path(folder) / "model")
        size_mb = (Path(folder) / "model" / "model.joblib").stat().st_size / 1e6
    train_s = time.perf_counter() - began
    train_cpu_s = time.process_time() - cpu
    print(f"trained in {train_s:.1f} s", file=sys.stderr)
    day = frame.filter(pl.col("day") == pl.col("day").max())
    began = time.perf_counter()
    scored = score(model, day, drivers=rule.drivers_listed, top=100)
    score_day_s = time.perf_counter() - began
    began = time.perf_counter()
    score(model, day, drivers=rule.drivers_listed)
    drivers_all_s = time.perf_counter() - began
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": frame.height, "ports": args.ports, "days": args.days,
        "features": len(NUMERIC) + len(CATEGORICAL),
        "positives": model.card["positives"],
        "groups": {n: g["kind"] for n, g in model.card["groups"].items()},
        "frame_gb": round(frame.estimated_size() / 1e9, 2),
        "generate_s": round(generated_s, 1),
        "fit_s": round(fit_s, 1), "train_s": round(train_s, 1),
        "train_cpu_s": round(train_cpu_s, 1), "model_mb": round(size_mb, 1),
        "score_day_s": round(score_day_s, 2), "listed_with_drivers": scored.height,
        "score_day_all_drivers_s": round(drivers_all_s, 2),
        "peak_rss_gb": round(peak_gb(), 2),
    }, indent=2))


if __name__ == "__main__":
    main()
