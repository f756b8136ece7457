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
import pyarrow.parquet as pq

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


def layout_floors(source: Path, scratch: Path, rulesets: list[Ruleset], *,
                  chunk_rows: int) -> dict[str, Any]:
    """What reading the input and writing the results cost with no classification at all,
    in rows per CPU second: the input read chunk by chunk (``iter_batches``), and one
    chunk's results written by ``ResultWriter`` as often as the table has chunks — with
    findings as ids, without, and the findings columns alone. ``bound`` is the best any
    classifier could reach end to end with this input and this output layout (read + write,
    classification free)."""
    import time

    import pyarrow.dataset  # noqa: F401  (its import, a third of a second, is not timed)

    from solidcheck.batch.run import ResultWriter
    from solidcheck.batch.table import iter_batches

    read_s = float("inf")
    for _ in range(2):  # the best of two: the first pays for warming up the reader
        started = time.process_time()
        rows = 0
        first = None
        for batch in iter_batches(source, batch_rows=chunk_rows):
            rows += batch.num_rows
            first = first or pa.Table.from_batches([batch])
        read_s = min(read_s, time.process_time() - started)
    assert first is not None
    chunks = rows / first.num_rows
    ids = [r.id for r in rulesets]
    figures: dict[str, Any] = {"rows": rows, "rulesets": ids,
                               "read_rows_per_cpu_second": round(rows / read_s)}
    for mode in ("ids", "none"):
        results = classify_table(first, rulesets, findings=mode == "ids")
        cases = {mode: results}
        if mode == "ids":
            cases["findings_only"] = results.select(
                [name for name in results.column_names if name.endswith("findings")])
        for name, table in cases.items():
            best = float("inf")
            for _ in range(2):
                began = time.process_time()
                if name == "findings_only":  # ResultWriter's settings for these columns
                    words = [f"{column}.list.element.{word}" for column in table.column_names
                             for word in ("severity", "rule", "message_id", "source",
                                          "clause")]
                    with pq.ParquetWriter(scratch / "floor.parquet", table.schema,
                                          compression="zstd", use_dictionary=words,
                                          write_statistics=False) as plain:
                        plain.write_table(table)
                else:
                    with ResultWriter(scratch / "floor.parquet", ids, findings=mode) as writer:
                        writer.write(table)
                best = min(best, time.process_time() - began)
            write_s = best * chunks
            figures[f"write_{name}_rows_per_cpu_second"] = round(rows / write_s)
            if name != "findings_only":
                figures[f"bound_{name}_rows_per_cpu_second"] = round(rows / (read_s + write_s))
    (scratch / "floor.parquet").unlink(missing_ok=True)
    return figures
