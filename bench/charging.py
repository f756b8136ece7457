"""Benchmark: charging data at scale (issue 16, item 7) — reading IRVE status files and
computing service availability, against what a user would write without solidcheck.

Measures, on a synthetic network (N ports × D days, numpy ``Generator(seed)``), in one run:

- ``irve_read``: ``read_irve`` (what ``solidcheck charging ingest`` calls for each file: the
  SHA-256, the column-wise dynamique path of ``charging/irve_fast.py``, the checks, the
  canonical table) on the network's IRVE *dynamique* CSV (``;``, a BOM, +01:00/+02:00
  offsets), against a bare ``pyarrow.csv.read_csv`` of the same file: ``irve_read_ratio`` =
  bare time / solidcheck's time (goal ≥ 0.5). ``irve_exact_path``: the row-by-row path the
  reader falls back to (and the only one before), on the same file, for the record.
- ``pandas_availability``: service availability per port and for the network, in pandas as a
  user writes it (read the Parquet, sort by port and time, next time by a group-wise shift,
  clip to the period, states → available/unavailable by the rule set's mapping, group sums,
  Σ/Σ): the baseline for the engine, run in a fresh process (its own peak memory).
- ``engine_availability``: the same figure from solidcheck's charging engine in memory
  (bench/charging_engine.py: state intervals → minutes per port, day and rule set) in a fresh
  process: ``events_per_cpu_second`` (goal ≥ 5 M), ``ratio_vs_pandas`` (goal ≥ 20), peak
  memory; up to 20 M events.
- ``partitioned_availability``: the same in port-hash buckets on disk (charging/
  partitioned.py, what ``charging metrics --engine partitioned`` runs): peak memory bounded
  (goal < 2 GB for 300 M events); ``dask_availability``: the buckets on a Dask LocalCluster
  of a worker per core (up to 20 M events).

    python bench/charging.py [--ports 2000] [--days 30] [--repeat 3] [--seed 1]
    python bench/charging.py --events 300e6 --keep out/bench-charging   # the scale run

``--events`` sets the network's size by its number of status events (ports = events / (days ×
events per port-day)); the Parquet file is written chunk by chunk (row groups of one chunk of
ports) so 300 M events never sit in memory. Prints one JSON object on stdout (progress on
stderr); nothing here is asserted.
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
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from solidcheck.charging.model import PORT_EVENTS, STATES

RULESET = "cn-alliance-wp-2026"  # its state mapping decides what availability counts
GOAL_IRVE_READ_RATIO = 0.5
GOAL_EVENTS_PER_CPU_S = 5_000_000
GOAL_RATIO_VS_PANDAS = 20.0
START = datetime(2026, 3, 1, tzinfo=UTC)  # the period spans France's change to summer time
EVENTS_PER_PORT_DAY = 16.0  # a session starts and ends: ~8 sessions a day on a busy port
OUTAGE_SHARE = 0.03  # of the events: faulted, unavailable or offline until the next one
UNKNOWN_SHARE = 0.01
PORTS_PER_STATION = 4
CHUNK_EVENTS = 2_000_000
MAX_CSV_EVENTS = 20_000_000  # the IRVE file of a larger network is ~80 bytes an event
MAX_EXACT_EVENTS = 2_000_000
MAX_PANDAS_EVENTS = 10_000_000  # ~350 bytes an event at pandas' peak: 3.5 GB
MAX_MEMORY_EVENTS = 20_000_000  # the engine in memory (charging metrics --engine auto's limit)
MAX_DASK_EVENTS = 20_000_000

NOTES = {
    "irve_read_ratio": "bare pyarrow.csv.read_csv time / read_irve time, same file, best of "
                       "--repeat each; read_irve includes reading the bytes and their SHA-256",
    "irve_read_cpu_ratio": "the same with CPU seconds (every thread): steadier than wall time "
                           "when other jobs share the cores",
    "irve_parse_ratio": "bare read time / parse_irve on the file's bytes already in memory "
                        "(ingest reads each file once for all its readers)",
    "events_per_cpu_second": "status events over the CPU time of the process computing "
                             "availability (time.process_time, every thread)",
    "dask_cpu": "cpu_s is the client's only (the workers are other processes): "
                "events_per_wall_second is the Dask figure",
}


def log(message: str) -> None:
    print(f"[charging bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the synthetic network --------------------------------------------------------------


def port_event_batches(*, ports: int, days: int, seed: int,
                       per_port_day: float = EVENTS_PER_PORT_DAY,
                       chunk_events: int = CHUNK_EVENTS) -> Iterator[pa.Table]:
    """Canonical ``port_events`` (model.PORT_EVENTS) of ``ports`` ports over ``days`` days
    from START, sorted by port and time, a chunk of ports at a time: each port alternates
    available and occupied, with some events an outage (faulted, unavailable, offline) or
    unknown that lasts until the port's next event."""
    rng = np.random.default_rng(seed)
    period_ms = days * 86_400_000
    start_ms = int(START.timestamp() * 1000)
    states = pa.array(STATES)
    code = {state: index for index, state in enumerate(STATES)}
    outages = np.array([code["faulted"], code["unavailable"], code["offline"]])
    raw = pa.array(["Available", "Charging", None, "Faulted", "Unavailable", None, None, None])
    per_chunk = max(1, int(chunk_events / max(per_port_day * days, 1)))
    line = 0
    for first in range(0, ports, per_chunk):
        count = min(per_chunk, ports - first)
        events = rng.poisson(per_port_day * days, count) + 1
        port = np.repeat(np.arange(count, dtype=np.int64), events)
        key = np.sort(port * period_ms + rng.integers(0, period_ms // 1000, port.size) * 1000)
        port, offset_ms = key // period_ms, key % period_ms
        rank = np.arange(port.size) - np.repeat(np.cumsum(events) - events, events)
        state = np.where(rank % 2 == 0, code["available"], code["occupied"])
        draw = rng.random(port.size)
        state = np.where(draw < OUTAGE_SHARE, outages[rng.integers(0, 3, port.size)], state)
        state = np.where((draw >= OUTAGE_SHARE) & (draw < OUTAGE_SHARE + UNKNOWN_SHARE),
                         code["unknown"], state)
        ids = np.arange(first, first + count)
        port_ids = pa.array([f"FRSYNE{i:08d}" for i in ids]).take(port)
        station_ids = pa.array([f"FRSYNP{i // PORTS_PER_STATION:08d}" for i in ids]).take(port)
        ts = pa.array(start_ms + offset_ms, pa.int64()).view(pa.timestamp("ms", tz="UTC"))
        size = port.size
        yield pa.Table.from_arrays(
            [ts, ts, station_ids, port_ids, pa.nulls(size, pa.int64()),
             pa.nulls(size, pa.int64()), pa.repeat(False, size), states.take(state),
             raw.take(state), pa.nulls(size, pa.string()), pa.repeat("synthetic", size),
             pa.array(np.arange(line + 1, line + size + 1))], schema=PORT_EVENTS)
        line += size


#: a canonical state → (etat_pdc, occupation_pdc, the plugs' etat_prise_type_*)
IRVE_OF_STATE = {
    "available": ("en_service", "libre", "fonctionnel"),
    "occupied": ("en_service", "occupe", "fonctionnel"),
    "reserved": ("en_service", "reserve", "fonctionnel"),
    "blocked": ("en_service", "occupe", "fonctionnel"),
    "faulted": ("hors_service", "inconnu", "hors_service"),
    "unavailable": ("hors_service", "inconnu", "hors_service"),
    "offline": ("inconnu", "inconnu", "inconnu"),
    "unknown": ("inconnu", "inconnu", "inconnu"),
}
IRVE_COLUMNS = ["id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage",
                "etat_prise_type_2", "etat_prise_type_combo_ccs", "etat_prise_type_chademo",
                "etat_prise_type_ef"]


def irve_dynamique(events: pa.Table) -> pa.Table:
    """The same events as an IRVE dynamique table of strings: Paris local time with its
    offset (``2026-03-29T03:15:00+02:00``), the states as etat/occupation words."""
    local = pc.strftime(events.column("ts").cast(pa.timestamp("s", tz="Europe/Paris")),
                        format="%Y-%m-%dT%H:%M:%S%z")
    horodatage = pc.replace_substring_regex(local, pattern=r"(\d\d)$", replacement=r":\1")
    state = events.column("state")
    index = pc.index_in(state, value_set=pa.array(list(IRVE_OF_STATE)))
    words = [pa.array([irve[i] for irve in IRVE_OF_STATE.values()]).take(index)
             for i in range(3)]
    columns = [events.column("port_id"), words[0], words[1], horodatage, words[2], words[2],
               words[2], words[2]]
    return pa.Table.from_arrays(columns, names=IRVE_COLUMNS)


def write_network(folder: Path, *, ports: int, days: int, seed: int, csv: bool,
                  chunk_events: int = CHUNK_EVENTS) -> dict[str, Any]:
    """The network's port_events as Parquet (row group per chunk) and, when ``csv``, as an
    IRVE dynamique CSV with a BOM and ``;``."""
    parquet, irve = folder / "port_events.parquet", folder / "irve-dynamique.csv"
    events = 0
    with pq.ParquetWriter(parquet, PORT_EVENTS, compression="zstd") as writer, \
            (irve.open("wb") if csv else open(os.devnull, "wb")) as text:
        if csv:  # the BOM and header as data.gouv.fr's exports have them (no quotes)
            text.write(("\ufeff" + ";".join(IRVE_COLUMNS) + "\n").encode())
        for batch in port_event_batches(ports=ports, days=days, seed=seed,
                                        chunk_events=chunk_events):
            writer.write_table(batch, row_group_size=batch.num_rows)
            events += batch.num_rows
            if csv:
                pacsv.write_csv(irve_dynamique(batch), text, pacsv.WriteOptions(
                    delimiter=";", quoting_style="none", include_header=False))
            log(f"  {events:,} events written")
    return {"events": events, "parquet": parquet, "csv": irve if csv else None,
            "parquet_bytes": parquet.stat().st_size,
            "csv_bytes": irve.stat().st_size if csv else None}


# --- the pandas baseline ----------------------------------------------------------------


def state_classes(ruleset_id: str = RULESET) -> dict[str, str]:
    """Each canonical state → ``available`` | ``unavailable`` | ``excluded`` |
    ``ineligible``, from the rule set's own ``state_mapping``."""
    from solidcheck.charging.rules import charging_ruleset_by_id

    mapping = charging_ruleset_by_id(ruleset_id).rules.state_mapping
    assert mapping is not None, f"{ruleset_id} has no state mapping"
    return {state: kind for kind in ("available", "unavailable", "excluded", "ineligible")
            for state in getattr(mapping, kind)}


def pandas_availability(path: Path, period_from: datetime, period_to: datetime,
                        classes: dict[str, str]) -> tuple[Any, float | None]:
    """Service availability per port and for the network, as a pandas user writes it: each
    status lasts until the port's next one (the last until the period's end), clipped to
    [period_from, period_to); (available + excluded) / (available + unavailable + excluded)
    minutes, ineligible minutes in neither; the network's is Σ/Σ over the ports."""
    import pandas as pd

    frame = pd.read_parquet(path, columns=["port_id", "ts", "state"])
    frame = frame.sort_values(["port_id", "ts"], kind="stable")
    start, end = pd.Timestamp(period_from), pd.Timestamp(period_to)
    frame["next_ts"] = frame.groupby("port_id")["ts"].shift(-1).fillna(end)
    frame["from"] = frame["ts"].clip(lower=start, upper=end)
    frame["to"] = frame["next_ts"].clip(lower=start, upper=end)
    frame["minutes"] = (frame["to"] - frame["from"]).dt.total_seconds() / 60
    frame["class"] = frame["state"].map(classes)
    minutes = frame.pivot_table(index="port_id", columns="class", values="minutes",
                                aggfunc="sum", fill_value=0.0)
    for kind in ("available", "unavailable", "excluded", "ineligible"):
        if kind not in minutes:
            minutes[kind] = 0.0
    up = minutes["available"] + minutes["excluded"]
    known = up + minutes["unavailable"]
    minutes["rate_percent"] = (up / known * 100).where(known > 0)
    total = known.sum()
    return minutes, (float(up.sum() / total * 100) if total > 0 else None)


# --- the engine (ch-engine's solidcheck.charging.metrics) -------------------------------


def _engine_availability(path: Path, period: tuple[datetime, datetime]) -> float | None:
    """The network's service availability (per cent, under RULESET) from the engine's
    availability in memory (bench/charging_engine.py)."""
    from charging_engine import engine_availability

    return engine_availability(path, period, RULESET)


def measure_child(kind: str, path: Path, period: tuple[datetime, datetime]) -> dict[str, Any]:
    """One availability computation in this (fresh) process: its times, peak memory and
    answer."""
    # the libraries are imported before the clocks start: the figures are the computation's
    if kind == "pandas":
        import pandas  # noqa: F401
    else:
        import charging_engine  # noqa: F401
    wall, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, Any] = {}
    if kind == "pandas":
        _, network = pandas_availability(path, *period, state_classes())
    elif kind == "engine":
        network = _engine_availability(path, period)
    else:  # the engine in port-hash buckets, one at a time or on a local Dask cluster
        from charging_engine import dask_availability, partitioned_availability

        extra = partitioned_availability(path, period, RULESET) if kind == "partitioned" \
            else dask_availability(path, period, RULESET, workers=os.cpu_count() or 1)
        network = extra.pop("network_percent")
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "peak_rss_mb": peak_rss_mb(), "network_percent": network, **extra}


def run_child(kind: str, path: Path, period: tuple[datetime, datetime]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--parquet", str(path),
         "--from", period[0].isoformat(), "--to", period[1].isoformat()],
        capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the {kind} measurement failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss as a fallback)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) * 1024 / 1e6, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1)


# --- the IRVE read ----------------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """The best wall and CPU seconds of ``repeat`` runs, and the last run's answer."""
    walls, cpus, answer = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), answer


def measure_irve(path: Path, *, repeat: int, exact: bool) -> dict[str, Any]:
    from unittest import mock

    from solidcheck.charging.irve import read_irve

    try:
        from solidcheck.charging import irve_fast
    except ImportError:  # a tree from before the column-wise path: read_irve is the exact one
        irve_fast, exact = None, False

    log("bare pyarrow.csv.read_csv")
    bare_s, bare_cpu, bare = best_of(repeat, lambda: pacsv.read_csv(
        path, parse_options=pacsv.ParseOptions(delimiter=";")))
    log("read_irve")
    read_s, read_cpu, read = best_of(repeat, lambda: read_irve(path))
    from solidcheck.charging.irve import parse_irve

    data = path.read_bytes()
    parse_s, parse_cpu, _ = best_of(repeat, lambda: parse_irve(data, source=str(path)))
    figures: dict[str, Any] = {
        "rows": bare.num_rows, "canonical_rows": _row_count(read),
        "rejected": len(read.rejected), "column_wise": bool(getattr(read, "tables", None)),
        "bare_s": round(bare_s, 3), "bare_cpu_s": round(bare_cpu, 3),
        "read_irve_s": round(read_s, 3), "read_irve_cpu_s": round(read_cpu, 3),
        "rows_per_s": round(bare.num_rows / read_s),
        "irve_read_ratio": round(bare_s / read_s, 2),
        "irve_read_cpu_ratio": round(bare_cpu / read_cpu, 2),
        "parse_irve_s": round(parse_s, 3), "parse_irve_cpu_s": round(parse_cpu, 3),
        "irve_parse_ratio": round(bare_s / parse_s, 2),
        "goal_met": bare_s / read_s >= GOAL_IRVE_READ_RATIO}
    if exact:
        log("read_irve, the exact row-by-row path")
        with mock.patch.object(irve_fast, "read_dynamique_csv", lambda *_, **__: None):
            exact_s, exact_cpu, slow = best_of(1, lambda: read_irve(path))
        figures["irve_exact_path"] = {
            "read_irve_s": round(exact_s, 3), "cpu_s": round(exact_cpu, 3),
            "irve_read_ratio": round(bare_s / exact_s, 3),
            "same_rows": _row_count(slow) == _row_count(read)}
    return figures


def _row_count(read: Any) -> int:
    return sum(len(rows) for rows in read.rows.values()) + sum(
        table.num_rows for table in getattr(read, "tables", {}).values())


# --- the run ----------------------------------------------------------------------------


def availability_figures(path: Path, period: tuple[datetime, datetime],
                         events: int, *, pandas: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    baseline = None
    if pandas:
        log("pandas availability (fresh process)")
        baseline = run_child("pandas", path, period)
        figures["pandas_availability"] = {
            **{k: round(v, 3) for k, v in baseline.items() if isinstance(v, float)},
            "events_per_cpu_second": round(events / baseline["cpu_s"])}
    else:
        figures["pandas_availability"] = {"skipped": f"more than {MAX_PANDAS_EVENTS:,} events: "
                                          "pandas holds ~350 bytes an event at its peak"}
    if events <= MAX_MEMORY_EVENTS:
        log("engine availability, in memory (fresh process)")
        engine = run_child("engine", path, period)
        figures["engine_availability"] = _engine_figures(engine, events, baseline)
    else:
        figures["engine_availability"] = {"skipped": f"more than {MAX_MEMORY_EVENTS:,} "
                                          "events: see partitioned_availability"}
    log("engine availability, in port-hash buckets (fresh process)")
    figures["partitioned_availability"] = _engine_figures(
        run_child("partitioned", path, period), events, baseline)
    if events <= MAX_DASK_EVENTS:
        log("engine availability, buckets on a Dask LocalCluster (fresh process)")
        dask = run_child("dask", path, period)
        figures["dask_availability"] = {
            **_engine_figures(dask, events, baseline),
            "events_per_wall_second": round(events / dask["wall_s"]),
            "note": NOTES["dask_cpu"]}
    return figures


def _engine_figures(engine: dict[str, Any], events: int,
                    baseline: dict[str, Any] | None) -> dict[str, Any]:
    return {
        **{k: v for k, v in engine.items() if k in ("buckets", "ports", "outage_episodes")},
        "wall_s": round(engine["wall_s"], 3), "cpu_s": round(engine["cpu_s"], 3),
        "peak_rss_mb": engine["peak_rss_mb"],
        "events_per_cpu_second": round(events / engine["cpu_s"]),
        "goal_events_met": events / engine["cpu_s"] >= GOAL_EVENTS_PER_CPU_S,
        "peak_rss_under_2gb": engine["peak_rss_mb"] < 2000,
        "network_percent": engine["network_percent"],
        "ratio_vs_pandas": (round(baseline["cpu_s"] / engine["cpu_s"], 1)
                            if baseline else None),
        "same_network_percent": (abs(baseline["network_percent"]
                                     - engine["network_percent"]) < 1e-9
                                 if baseline else None)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--events", type=float, help="size by events instead (e.g. 300e6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--no-exact", action="store_true",
                        help="skip the row-by-row IRVE path (slow)")
    parser.add_argument("--measure", choices=["pandas", "engine", "partitioned", "dask"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--from", dest="period_from", help=argparse.SUPPRESS)
    parser.add_argument("--to", dest="period_to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # a child: one measurement, printed
        period = (datetime.fromisoformat(args.period_from),
                  datetime.fromisoformat(args.period_to))
        figures = measure_child(args.measure, args.parquet, period)
        print(json.dumps(figures))
        return figures
    ports = args.ports if args.events is None else \
        max(1, round(args.events / (args.days * EVENTS_PER_PORT_DAY)))
    expected = ports * args.days * EVENTS_PER_PORT_DAY
    period = (START, START + timedelta(days=args.days))
    with tempfile.TemporaryDirectory(prefix="bench-charging-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        log(f"writing {ports:,} ports × {args.days} days (~{expected:,.0f} events)")
        started = time.perf_counter()
        network = write_network(folder, ports=ports, days=args.days, seed=args.seed,
                                csv=expected <= MAX_CSV_EVENTS)
        result: dict[str, Any] = {
            "machine": {"python": platform.python_version(), "pyarrow": pa.__version__,
                        "cpus": os.cpu_count(), "load_average": list(os.getloadavg())},
            "network": {"ports": ports, "days": args.days, "seed": args.seed,
                        "events": network["events"],
                        "parquet_bytes": network["parquet_bytes"],
                        "csv_bytes": network["csv_bytes"],
                        "written_s": round(time.perf_counter() - started, 1),
                        "writer_peak_rss_mb": peak_rss_mb()},
            "ruleset": RULESET, "notes": NOTES}
        if network["csv"] is not None:
            result["irve_read"] = measure_irve(
                network["csv"], repeat=args.repeat,
                exact=not args.no_exact and network["events"] <= MAX_EXACT_EVENTS)
        else:
            result["irve_read"] = {"skipped": f"no CSV above {MAX_CSV_EVENTS:,} events"}
        result.update(availability_figures(network["parquet"], period, network["events"],
                                           pandas=network["events"] <= MAX_PANDAS_EVENTS))
    print(json.dumps(result, indent=2, default=str))
    return result


if __name__ == "__main__":
    main()
