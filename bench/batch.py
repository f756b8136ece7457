"""Benchmark: classifying dossier tables at scale, against classify() one dossier at a time.

Measures, on synthetic dossiers (``solidcheck.batch.synth``, fixed seed), in one run:

- ``classify_latency``: ``classify(dossier, ruleset)`` on dossiers already validated, one call
  at a time (p50, p90, p99, mean); the loop's rows/s is the **scalar loop** baseline.
- ``scalar_loop`` (also under two rule sets) and ``pandas_apply``: a pandas row-wise apply
  that builds each Dossier from its row and classifies it — what a data scientist would write.
- ``table_to_dossiers``: the sample's rows validated as Dossiers (the scalar loop's input).
- ``vector``: ``classify_table`` in memory on one table and chunk by chunk (131,072 rows),
  with findings, without, and with two rule sets; rows/s of wall time and per CPU second.
- ``batch_local``: ``classify_file`` Parquet to Parquet, end to end, each run in a fresh
  process so that its peak resident memory is its own.
- ``dask``: ``classify_on_dask`` on a two-worker ``LocalCluster`` against the local engine on
  the same Parquet folder.
- ``polars_ceiling``: a bare Polars rate + category pass, Parquet to Parquet
  (``batch_ceiling.py``): the ceiling, and each local-engine run's share of it.
- ``layout_floors``: reading the input and writing the results with no classification at
  all (``batch_ceiling.layout_floors``): the best any classifier could reach end to end with
  this input and this output layout, with findings as ids and without.
- ``profile_ids``: where ``classify_table`` spends its time with findings as ids under both
  rule sets (cProfile, own and cumulative time).
- ``goals`` (issue 15): end to end, ≥ 2 million rows per CPU second without findings, ≥ 1
  million with findings as ids under both rule sets, ≥ 100× the scalar loop, 10 million rows
  in under 2 GB of memory — each with its measured value and whether it is met.

    python bench/batch.py [--quick] [--repeat 2] [--seed 1]

Prints one JSON object on stdout (progress on stderr); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import solidcheck
from solidcheck import classify, load_ruleset
from solidcheck.batch import TableWriter, table_to_dossiers, write_table
from solidcheck.batch.run import DEFAULT_CHUNK_ROWS
from solidcheck.batch.synth import synthesize, synthesize_batches
from solidcheck.batch.vector import classify_table, rows_decided_one_by_one
from solidcheck.model import Dossier, Result
from solidcheck.rules import Ruleset

sys.path.insert(0, str(Path(__file__).parent))
from batch_ceiling import layout_floors, polars_rate_and_category, profile_ids

NATIONAL = "gbt-ssb-1-2026"
CSAE = "csae-434-2025"
GOAL_ROWS_PER_CPU_S = 2_000_000       # without findings
GOAL_IDS_ROWS_PER_CPU_S = 1_000_000   # with findings as ids, under both rule sets
GOAL_RATIO_TO_SCALAR = 100.0
GOAL_PEAK_RSS_MB = 2_000.0  # "under 2 GB", MB = 10**6 bytes
DASK_PARTS = 8

NOTES = {
    "rows_per_cpu_second": "rows over the CPU time of the process doing the work, every "
                           "thread counted (time.process_time; for Dask, the workers' and the "
                           "client's): the figure per core",
    "other_load_cores": "average cores used by other processes during the measurement: the "
                        "machine's CPU time (/proc/stat) less the measurement's own, over its "
                        "wall time; near 0 on a quiet machine",
    "ratios": "rows/s over the baseline's rows/s under the same rule sets (one: national; "
              "two: national and CSAE, each dossier classified under both); without findings "
              "the baselines are the same, since classify() always writes them",
    "MB": "10**6 bytes",
}


@dataclass(frozen=True)
class Sizes:
    """How much of everything a run measures; ``--quick`` shrinks every size for a smoke run."""

    sample_rows: int  # dossiers for the per-dossier baselines (scalar loop, pandas apply)
    vector_rows: int  # the in-memory table, the Dask table and the smaller local-engine table
    large_rows: int  # the larger local-engine table


FULL = Sizes(sample_rows=20_000, vector_rows=1_000_000, large_rows=10_000_000)
QUICK = Sizes(sample_rows=2_000, vector_rows=100_000, large_rows=1_000_000)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def per_second(count: float, seconds: float) -> float | None:
    return round(count / seconds) if seconds > 0 else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 1)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: the high-water mark of its own address
    space; ``ru_maxrss`` of a process started by vfork+exec can carry its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) * 1024 / 1e6, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1)


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used so far (/proc/stat): less this run's
    own, it shows how much other work shared the cores during a measurement."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this measurement's own CPU time, every thread (and worker) counted
    busy_s: float = 0.0  # the whole machine's CPU time meanwhile


@contextlib.contextmanager
def timed() -> Iterator[Timing]:
    """Wall time, process CPU time (all threads) and machine CPU time of a block."""
    timing = Timing()
    wall, cpu, busy = time.perf_counter(), time.process_time(), machine_busy_seconds()
    yield timing
    timing.wall_s = time.perf_counter() - wall
    timing.cpu_s = time.process_time() - cpu
    timing.busy_s = machine_busy_seconds() - busy


def throughput(rows: int, timing: Timing) -> dict[str, Any]:
    other = max(0.0, timing.busy_s - timing.cpu_s) / timing.wall_s if timing.wall_s else 0.0
    return {"rows": rows, "seconds": round(timing.wall_s, 3),
            "cpu_seconds": round(timing.cpu_s, 3),
            "rows_per_s": per_second(rows, timing.wall_s),
            "rows_per_cpu_second": per_second(rows, timing.cpu_s),
            "other_load_cores": round(other, 2)}


# --- one dossier at a time --------------------------------------------------------------------


def mean_us(latencies_ns: Sequence[int]) -> float:
    return round(statistics.fmean(latencies_ns) / 1000, 1)


def measure_classify_latency(dossiers: Sequence[Dossier], ruleset: Ruleset) -> dict[str, Any]:
    """Each ``classify`` call timed on its own (by the category it gives: a cell decided by
    its declared phases is quicker than one whose weight-loss test is assessed); the whole
    loop's rate is the scalar baseline (the timer costs well under 0.1 % of a call)."""
    classify(dossiers[0], ruleset)  # warm-up: lazy imports, caches
    latencies_ns: list[int] = []
    by_category: dict[str, list[int]] = {}
    with timed() as timing:
        for dossier in dossiers:
            before = time.perf_counter_ns()
            result = classify(dossier, ruleset)
            latencies_ns.append(time.perf_counter_ns() - before)
            by_category.setdefault(result.category, []).append(latencies_ns[-1])
    quantiles = statistics.quantiles(latencies_ns, n=100, method="inclusive")
    loop = throughput(len(dossiers), timing)
    return {
        "ruleset": ruleset.id,
        "dossiers": len(dossiers),
        "p50_us": round(quantiles[49] / 1000, 1),
        "p90_us": round(quantiles[89] / 1000, 1),
        "p99_us": round(quantiles[98] / 1000, 1),
        "mean_us": mean_us(latencies_ns),
        "max_us": round(max(latencies_ns) / 1000, 1),
        "mean_us_by_category": {category: {"dossiers": len(values), "mean_us": mean_us(values)}
                                for category, values in sorted(by_category.items())},
        "scalar_loop_rows_per_s": loop["rows_per_s"],
        "other_load_cores": loop["other_load_cores"],
    }


def measure_scalar_loop(dossiers: Sequence[Dossier], rulesets: Sequence[Ruleset]
                        ) -> dict[str, Any]:
    """A list of built Dossiers through ``classify``, each under every rule set."""
    with timed() as timing:
        for dossier in dossiers:
            for ruleset in rulesets:
                classify(dossier, ruleset)
    return {"rulesets": [r.id for r in rulesets], **throughput(len(dossiers), timing)}


SPECIMENS = "weight_loss_test.specimens"


def row_to_mapping(row: pd.Series) -> dict[str, Any]:
    """A pandas row of the dossier table as the nested dossier mapping: dotted columns
    nested, nulls (None, NaN) left out, arrays as lists, the evidence column parsed as JSON —
    the work ``table.dossier_mappings`` does, written the way one would for ``apply``."""
    mapping: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, np.ndarray):
            value = value.tolist()
            if name == SPECIMENS:
                value = [{k: v for k, v in s.items() if v is not None} for s in value]
        elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        elif name == "evidence":
            value = json.loads(value)
        head, _, tail = str(name).partition(".")
        if tail:
            mapping.setdefault(head, {})[tail] = value
        else:
            mapping[head] = value
    return mapping


def measure_pandas_apply(frame: pd.DataFrame, rulesets: Sequence[Ruleset]) -> tuple[
        dict[str, Any], list[tuple[Result, ...]]]:
    """``frame.apply(..., axis=1)``: each row to a Dossier, classified under every rule set."""

    def classify_row(row: pd.Series) -> tuple[Result, ...]:
        dossier = Dossier.model_validate(row_to_mapping(row))
        return tuple(classify(dossier, ruleset) for ruleset in rulesets)

    with timed() as timing:
        results = frame.apply(classify_row, axis=1)
    return ({"rulesets": [r.id for r in rulesets], **throughput(len(frame), timing)},
            results.tolist())


def per_dossier_baselines(table: pa.Table, rulesets: dict[str, Ruleset]) -> dict[str, Any]:
    """The scalar loop (latency per call, and under two rule sets) and the pandas apply on
    the same sample; the pandas results are checked against ``classify_table``'s."""
    national, both = [rulesets[NATIONAL]], [rulesets[NATIONAL], rulesets[CSAE]]
    log(f"validating {table.num_rows:,} sample rows as Dossiers")
    with timed() as validating:
        dossiers = list(table_to_dossiers(table))
    log("classify latency (scalar loop, national rule set)")
    latency = measure_classify_latency(dossiers, rulesets[NATIONAL])
    log("scalar loop, two rule sets")
    scalar_two = measure_scalar_loop(dossiers, both)
    frame = table.to_pandas()
    log("pandas apply, national rule set")
    pandas_one, _ = measure_pandas_apply(frame, national)
    log("pandas apply, two rule sets")
    pandas_two, results = measure_pandas_apply(frame, both)
    vector = classify_table(table, both, findings=False)
    same = all(
        [(r[j].category, r[j].code) for r in results] == list(zip(
            vector.column(f"{rid}.category").to_pylist(),
            vector.column(f"{rid}.code").to_pylist(), strict=True))
        for j, rid in enumerate((NATIONAL, CSAE)))
    return {
        "classify_latency": latency,
        "table_to_dossiers": throughput(table.num_rows, validating),
        "scalar_loop": {
            "note": "a list of Dossiers already validated, classify() called on each; one "
                    "rule set: the latency loop's own rate",
            "one_ruleset_rows_per_s": latency["scalar_loop_rows_per_s"],
            "two_rulesets": scalar_two,
        },
        "pandas_apply": {
            "note": "table.to_pandas() (not timed), then df.apply(row -> "
                    "classify(Dossier.model_validate(row_to_mapping(row)), ruleset), axis=1): "
                    "row_to_mapping nests the dotted columns, drops NaN/None, turns arrays "
                    "into lists and parses the evidence JSON inside the apply, as "
                    "table.dossier_mappings does for the library; with two rule sets the "
                    "Dossier is built once and classified twice",
            "one_ruleset": pandas_one,
            "two_rulesets": pandas_two,
            "same_categories_and_codes_as_classify_table": same,
        },
    }


# --- classify_table in memory -----------------------------------------------------------------


def classify_in_chunks(table: pa.Table, rulesets: Sequence[Ruleset], *, findings: bool,
                       chunk_rows: int) -> int:
    """``classify_table`` on slices of ``chunk_rows`` (zero-copy), as the local engine does."""
    rows = 0
    for start in range(0, table.num_rows, chunk_rows):
        rows += classify_table(table.slice(start, chunk_rows), rulesets,
                               findings=findings).num_rows
    return rows


def best_timing(repeat: int, work: Callable[[], Any]) -> Timing:
    """The run with the least wall time of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        with timed() as timing:
            work()
        runs.append(timing)
    return min(runs, key=lambda t: t.wall_s)


def measure_vector(table: pa.Table, cases: dict[str, tuple[list[Ruleset], bool]], *,
                   repeat: int, baselines: dict[str, Any]) -> dict[str, Any]:
    """``classify_table`` on the whole table and chunk by chunk, for each case, with its
    ratio to the scalar loop and to the pandas apply under the same rule sets."""
    every = list({r.id: r for rules, _ in cases.values() for r in rules}.values())
    classify_table(table.slice(0, 10_000), every)  # warm-up: lazy imports, caches
    out: dict[str, Any] = {"rows": table.num_rows, "chunk_rows": DEFAULT_CHUNK_ROWS,
                           "repeat": repeat, "cases": {}}
    for name, (rules, findings) in cases.items():
        log(f"classify_table {name}: {table.num_rows:,} rows, whole table and in chunks")
        whole = best_timing(repeat, functools.partial(classify_table, table, rules,
                                                      findings=findings))
        chunked = best_timing(repeat, functools.partial(classify_in_chunks, table, rules,
                                                        findings=findings,
                                                        chunk_rows=DEFAULT_CHUNK_ROWS))
        scalar, pandas_rate = like_for_like_baselines(baselines, len(rules))
        case: dict[str, Any] = {"rulesets": [r.id for r in rules], "findings": findings}
        for part, timing in (("whole_table", whole), ("chunked", chunked)):
            figures = throughput(table.num_rows, timing)
            figures["ratio_to_scalar_loop"] = ratio(figures["rows_per_s"], scalar)
            figures["ratio_to_pandas_apply"] = ratio(figures["rows_per_s"], pandas_rate)
            case[part] = figures
        out["cases"][name] = case
    out["rows_classified_one_by_one"] = len(rows_decided_one_by_one(table, every))
    out["load_average_after"] = load_average()
    return out


def like_for_like_baselines(baselines: dict[str, Any], rulesets: int
                            ) -> tuple[float, float]:
    """Scalar-loop and pandas-apply rows/s under as many rule sets (one: national; two:
    national and CSAE). Without findings the baselines are the same: classify always
    writes them."""
    if rulesets == 1:
        return (baselines["scalar_loop"]["one_ruleset_rows_per_s"],
                baselines["pandas_apply"]["one_ruleset"]["rows_per_s"])
    return (baselines["scalar_loop"]["two_rulesets"]["rows_per_s"],
            baselines["pandas_apply"]["two_rulesets"]["rows_per_s"])


# --- the tables on disk -----------------------------------------------------------------------


def write_synthetic_parquet(path: Path, rows: int, *, seed: int) -> dict[str, Any]:
    """A synthetic table streamed to one Parquet file (row groups of 262,144), never whole
    in memory."""
    with timed() as timing, TableWriter(path) as writer:
        for batch in synthesize_batches(rows, seed=seed):
            writer.write(batch)
    return {"rows": rows, "bytes": path.stat().st_size, "seconds": round(timing.wall_s, 2)}


def write_parquet_file(path: Path, table: pa.Table) -> dict[str, Any]:
    """A table in memory as one Parquet file (row groups of 262,144)."""
    with timed() as timing:
        write_table(table, path)
    return {"rows": table.num_rows, "bytes": path.stat().st_size,
            "seconds": round(timing.wall_s, 2)}


def write_parquet_parts(folder: Path, table: pa.Table, *, parts: int) -> dict[str, Any]:
    """The table as a folder of ``parts`` Parquet files, so that Dask reads it as several
    partitions."""
    folder.mkdir()
    rows_per_part = math.ceil(table.num_rows / parts)
    for number in range(parts):
        write_table(table.slice(number * rows_per_part, rows_per_part),
                    folder / f"part-{number:03d}.parquet")
    size = sum(p.stat().st_size for p in folder.iterdir())
    return {"rows": table.num_rows, "files": parts, "bytes": size}


# --- the local engine, in a fresh process -----------------------------------------------------


LOCAL_ENGINE_CHILD = """
import json, os, sys, time
from pathlib import Path

from solidcheck import load_ruleset
from solidcheck.batch.run import classify_file


def rss_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    return None


def busy_s():
    fields = [int(x) for x in Path("/proc/stat").read_text().split()[1:9]]
    return (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")


request = json.loads(sys.argv[1])
rulesets = [load_ruleset(rid) for rid in request["rulesets"]]
rss_before = rss_mb("VmRSS")
wall, cpu, busy = time.perf_counter(), time.process_time(), busy_s()
summary = classify_file(request["source"], request["output"], rulesets,
                        findings=request["findings"])
wall, cpu, busy = time.perf_counter() - wall, time.process_time() - cpu, busy_s() - busy
print(json.dumps({"summary_rows": summary.rows, "wall_s": wall, "cpu_s": cpu, "busy_s": busy,
                  "rss_before_mb": rss_before, "peak_rss_mb": rss_mb("VmHWM"),
                  "output_bytes": Path(request["output"]).stat().st_size}))
"""
"""One ``classify_file`` run in a fresh interpreter importing only what the run needs; it
prints its figures as JSON. Peak memory is VmHWM, the high-water mark of the child's own
address space (``ru_maxrss`` of a child started by vfork+exec can carry the parent's peak)."""


def run_local_engine(source: Path, output: Path, rulesets: Sequence[str], *, findings: str,
                     rows: int) -> dict[str, Any]:
    """``classify_file`` in a fresh interpreter (imports not timed), so its peak memory is
    that run's alone; the output is removed afterwards."""
    request = json.dumps({"source": str(source), "output": str(output),
                          "rulesets": list(rulesets), "findings": findings})
    load_before = load_average()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LOCAL_ENGINE_CHILD, request], check=True,
                          capture_output=True, text=True)
    process_s = time.perf_counter() - started
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    output.unlink(missing_ok=True)
    peak = round(figures["peak_rss_mb"], 1)
    timing = Timing(figures["wall_s"], figures["cpu_s"], figures["busy_s"])
    return {
        "rulesets": list(rulesets), "findings": findings,
        **throughput(rows, timing),
        "rows_written": figures["summary_rows"],
        "process_seconds": round(process_s, 2),
        "rss_after_imports_mb": round(figures["rss_before_mb"], 1),
        "peak_rss_mb": peak,
        "under_2_gb": peak < GOAL_PEAK_RSS_MB,
        "output_bytes": figures["output_bytes"],
        "load_average_before": load_before,
    }


def measure_ceiling(source: Path, scratch: Path, *, rows: int, limit: float,
                    runs: dict[str, Any], table: str) -> dict[str, Any]:
    """The bare Polars pass on the large table (best of two), and each local-engine run of
    that table as a share of it (rows per CPU second)."""
    log("bare Polars rate + category pass, Parquet to Parquet")
    output = scratch / "ceiling.parquet"
    timing = best_timing(2, functools.partial(polars_rate_and_category, source, output,
                                              limit_percent=limit))
    output.unlink(missing_ok=True)
    figures = throughput(rows, timing)
    figures["share_reached"] = {name: ratio(run["rows_per_cpu_second"],
                                            figures["rows_per_cpu_second"])
                                for name, run in runs.items() if run["table"] == table}
    return figures


def measure_local_engine(tables: dict[str, tuple[Path, int]], scratch: Path,
                         cases: dict[str, tuple[list[str], str]]) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for table_name, (path, rows) in tables.items():
        for case_name, (rulesets, findings) in cases.items():
            log(f"local engine {table_name} {case_name} (fresh process)")
            runs[f"{table_name}_{case_name}"] = {"table": table_name, **run_local_engine(
                path, scratch / "results.parquet", rulesets, findings=findings, rows=rows)}
    return runs


# --- Dask --------------------------------------------------------------------------------------


def measure_dask(folder: Path, scratch: Path, rulesets: dict[str, Ruleset], *,
                 rows: int, findings: bool) -> dict[str, Any]:
    """``classify_on_dask`` on a 2-worker LocalCluster (start-up and the workers' first
    imports timed apart), then the local engine on the same folder for the ratio."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from solidcheck.batch.dask_engine import classify_on_dask

    ids = [NATIONAL, CSAE]
    rules = [rulesets[rid] for rid in ids]
    partitions = dd.read_parquet(str(folder), dtype_backend="pyarrow").npartitions
    log(f"dask: starting a 2-worker LocalCluster ({partitions} partitions)")
    with timed() as starting:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        with timed() as warming:
            client.run(importlib.import_module, "solidcheck.batch.vector")
            client.run(importlib.import_module, "solidcheck.batch.dask_engine")
        cpu_before = client.run(time.process_time)
        log(f"dask: classify_on_dask {rows:,} rows")
        with timed() as running:
            summary = classify_on_dask(str(folder), str(scratch / "dask-results"), rules,
                                       findings=findings, client=client)
        cpu_after = client.run(time.process_time)
        worker_peaks = client.run(peak_rss_mb)
    finally:
        client.close()
        cluster.close()
    worker_cpu = sum(cpu_after[w] - cpu_before[w] for w in cpu_after)
    dask_run = {
        "rulesets": ids, "findings": findings, "partitions": partitions,
        "cluster_start_seconds": round(starting.wall_s, 2),
        "worker_import_seconds": round(warming.wall_s, 2),
        **throughput(rows, Timing(running.wall_s, running.cpu_s + worker_cpu,
                                  running.busy_s)),
        "cpu_seconds_note": "the two workers' CPU time during the run and this process's "
                            "(client and scheduler)",
        "engine_seconds": round(summary.seconds, 3),
        "rows_written": summary.rows,
        "worker_peak_rss_mb": sorted(worker_peaks.values()),
    }
    log("dask: the local engine on the same folder (fresh process)")
    local = run_local_engine(folder, scratch / "results.parquet", ids, findings=findings,
                             rows=rows)
    return {"dask": dask_run, "local": local,
            "ratio_dask_to_local": ratio(dask_run["rows_per_s"], local["rows_per_s"])}


# --- goals and the report ---------------------------------------------------------------------


def goal_checks(local_runs: dict[str, Any], baselines: dict[str, Any],
                large_table: str) -> dict[str, Any]:
    """Each goal on every local-engine run of the large table: the value, the target, met."""
    per_core, versus_scalar, memory = [], [], []
    for name, run in local_runs.items():
        if run["table"] != large_table:
            continue
        scalar, _ = like_for_like_baselines(baselines, len(run["rulesets"]))
        goal = GOAL_ROWS_PER_CPU_S if run["findings"] == "none" else GOAL_IDS_ROWS_PER_CPU_S
        if run["findings"] != "text":
            per_core.append({"run": name, "findings": run["findings"], "target": goal,
                             "value": run["rows_per_cpu_second"],
                             "met": run["rows_per_cpu_second"] >= goal})
        times = ratio(run["rows_per_s"], scalar) or 0.0
        versus_scalar.append({"run": name, "value": times, "met": times >= GOAL_RATIO_TO_SCALAR})
        memory.append({"run": name, "value": run["peak_rss_mb"], "met": run["under_2_gb"]})
    return {
        "rows_per_cpu_second_local_engine": {
            "target": {"none": GOAL_ROWS_PER_CPU_S, "ids": GOAL_IDS_ROWS_PER_CPU_S},
            "unit": "rows per CPU second, end to end (findings none / as ids)",
            "runs": per_core, "met": all(r["met"] for r in per_core)},
        "ratio_to_scalar_loop": {
            "target": GOAL_RATIO_TO_SCALAR,
            "unit": "local engine rows/s (wall) over the scalar loop under the same rule sets",
            "runs": versus_scalar, "met": all(r["met"] for r in versus_scalar)},
        "peak_rss_mb": {
            "target": GOAL_PEAK_RSS_MB, "unit": "MB (10**6 bytes), the run's whole process",
            "runs": memory, "met": all(r["met"] for r in memory)},
        "table": large_table,
    }


def machine_info() -> dict[str, Any]:
    return {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "python": sys.version.split()[0],
        "solidcheck": solidcheck.__version__,
        **{name: version(name) for name in ("polars", "pyarrow", "pandas", "numpy", "pydantic",
                                            "dask", "distributed")},
        "load_average_start": load_average(),
    }


def rows_label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 100k and 1M rows, 2k-dossier samples")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each in-memory classify_table case (best reported)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    report: dict[str, Any] = {"benchmark": "batch", "quick": args.quick,
                              "machine": machine_info(), "seed": args.seed,
                              "sizes": vars(sizes), "notes": NOTES}
    rulesets = {rid: load_ruleset(rid) for rid in (NATIONAL, CSAE)}
    baselines = per_dossier_baselines(synthesize(sizes.sample_rows, seed=args.seed),
                                      rulesets)
    report["classify_latency"] = baselines.pop("classify_latency")
    report |= baselines

    log(f"synthesizing {sizes.vector_rows:,} rows in memory")
    table = synthesize(sizes.vector_rows, seed=args.seed)
    national, both = [rulesets[NATIONAL]], [rulesets[NATIONAL], rulesets[CSAE]]
    report["vector"] = measure_vector(table, {
        "ids_national": (national, True),
        "none_national": (national, False),
        "ids_two_rulesets": (both, True),
        "none_two_rulesets": (both, False),
    }, repeat=args.repeat, baselines=baselines)

    small, large = rows_label(sizes.vector_rows), rows_label(sizes.large_rows)
    with tempfile.TemporaryDirectory(prefix="solidcheck-bench-batch-") as temporary:
        scratch = Path(temporary)
        log("writing the Parquet tables (not timed in the figures)")
        inputs = {small: scratch / f"{small}.parquet", large: scratch / f"{large}.parquet"}
        tables_written = {small: write_parquet_file(inputs[small], table),
                          large: write_synthetic_parquet(inputs[large], sizes.large_rows,
                                                         seed=args.seed),
                          "dask_folder": write_parquet_parts(scratch / "parts", table,
                                                             parts=DASK_PARTS)}
        del table
        report["tables"] = tables_written
        report["batch_local"] = {
            "chunk_rows": DEFAULT_CHUNK_ROWS,
            "runs": measure_local_engine(
                {small: (inputs[small], sizes.vector_rows),
                 large: (inputs[large], sizes.large_rows)}, scratch,
                {"ids_two_rulesets": ([NATIONAL, CSAE], "ids"),
                 "none_two_rulesets": ([NATIONAL, CSAE], "none"),
                 "none_national": ([NATIONAL], "none")}),
        }
        log(f"local engine {small} text_two_rulesets (fresh process)")
        report["batch_local"]["runs"][f"{small}_text_two_rulesets"] = {
            "table": small, **run_local_engine(
                inputs[small], scratch / "results.parquet", [NATIONAL, CSAE],
                findings="text", rows=sizes.vector_rows)}
        report["polars_ceiling"] = measure_ceiling(
            inputs[large], scratch, rows=sizes.large_rows,
            limit=rulesets[NATIONAL].rules.weight_loss_limit.limit_percent,
            runs=report["batch_local"]["runs"], table=large)
        log("the floors: reading the input, writing the results, no classification")
        report["layout_floors"] = {
            name: layout_floors(inputs[large], scratch, sets, chunk_rows=DEFAULT_CHUNK_ROWS)
            for name, sets in (("national", national), ("two_rulesets", both))}
        report["dask"] = measure_dask(scratch / "parts", scratch, rulesets,
                                      rows=sizes.vector_rows, findings=True)
    log("profile of classify_table, findings as ids, both rule sets")
    report["profile_ids"] = profile_ids(synthesize(min(sizes.vector_rows, 262_144),
                                                   seed=args.seed), both)
    report["goals"] = goal_checks(report["batch_local"]["runs"], baselines, large)
    report["machine"]["load_average_end"] = load_average()
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
