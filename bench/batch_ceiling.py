"""Helpers of ``bench/batch.py`` for issue 15: the ceiling a bare Polars pass sets (the
weight-loss rate and a category, Parquet to Parquet, no exactness, no findings) and a
profile of ``classify_table`` with findings as ids — where the time goes."""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from solidcheck.batch.vector import classify_table
from solidcheck.rules import Ruleset


def polars_rate_and_category(source: Path, output: Path, *, limit_percent: float) -> int:
    """The largest specimen rate and a category per row, read from and written to Parquet:
    what any engine must at least do (floats only, no validation, no findings)."""
    phases = pl.col("electrolyte.phases")
    rate = pl.col("weight_loss_test.specimens").list.eval(
        (pl.element().struct.field("mass_before_g") - pl.element().struct.field("mass_after_g"))
        / pl.element().struct.field("mass_before_g") * 100).list.max()
    frame = pl.scan_parquet(source).select(
        "id", rate.alias("rate"), liquid=phases.list.contains("liquid"),
        solid=phases.list.contains("solid"))
    frame = frame.select("id", "rate", category=pl.when(~pl.col("solid")).then(
        pl.lit("liquid")).when(pl.col("liquid")).then(pl.lit("hybrid_solid_liquid")).when(
        pl.col("rate").is_null()).then(pl.lit("undetermined")).when(
        pl.col("rate") <= limit_percent).then(pl.lit("solid_state")).otherwise(
        pl.lit("hybrid_solid_liquid")))
    frame.sink_parquet(output, compression="zstd")
    return pl.scan_parquet(output).select(pl.len()).collect().item()


def profile_ids(table: pa.Table, rulesets: list[Ruleset], *, top: int = 20) -> dict[str, Any]:
    """``classify_table`` with findings as ids under ``rulesets``, profiled: the functions
    with the most time of their own, and the share of the whole each takes (Polars' and
    Arrow's threads count under the Python call that waits for them)."""
    profiler = cProfile.Profile()
    profiler.enable()
    classify_table(table, rulesets)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_calls, _primitive, own, cumulative, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(path).name}:{line}:{name}",
                     "ours": "/solidcheck/" in path,
                     "own_seconds": round(own, 3), "cumulative_seconds": round(cumulative, 3),
                     "own_share": round(own / total, 3)})
    rows.sort(key=lambda row: -row["own_seconds"])
    by_cumulative = sorted(rows, key=lambda row: -row["cumulative_seconds"])
    return {"rows": table.num_rows, "rulesets": [r.id for r in rulesets],
            "seconds": round(total, 3), "by_own_time": rows[:top],
            "by_cumulative_time": [r for r in by_cumulative if r["ours"]][:top]}
