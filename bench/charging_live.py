"""Benchmark: the live side under load (issue 17 item 7) — N simulated stations connected at
once to ``solidcheck serve`` over loopback at real speed (×1), faults of every kind that fits
the duration injected, against a bare ``websockets`` echo server in the same run as ceiling.

Measures, in one run:

- the server (``solidcheck serve``, its own process, SQLite in a temporary folder, N stations
  registered through the registry API with a password each): stations connected (its
  established sockets), frames/s in and out (its frame log), CPU seconds per incoming frame in
  the steady window (every station connected, booted), peak RSS;
- the simulator (``solidcheck charging simulate`` in ``--processes`` processes over disjoint
  station ranges, ``--meter-interval 30``, the server's 60 s heartbeat): errors, reconnects;
- alerts, read as they arrive from the SSE stream ``GET /v1/charging/alerts/stream`` (or, while
  the server has none, from a sink of the same server writing each change with its wall time:
  ``alert_source`` says which): each injection of the simulators' reports matched to an alert
  of its kind on its station/port; ``latency_from_injection_s`` = arrival − the injection's
  ``at`` (includes the pattern a fault must show: three boots, five minutes without energy…);
  ``detection_latency_s`` = arrival − the moment the rule was met (the decisive frame's
  receipt, or the threshold falling due for no-energy and offline by silence): goal p99 ≤ 1 s;
- the ceiling: a bare ``websockets`` echo server (one process, same machine) with N clients
  sending the server's measured incoming frame rate of realistic frames:
  ``ceiling_ratio`` = echo CPU per frame / solidcheck CPU per frame.

    python bench/charging_live.py                          # 2,000 stations, 1,200 s
    python bench/charging_live.py --quick       # 200 stations, 60 s: the smoke run

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
import threading
import time
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from solidcheck.charging.simulate import FAULT_KINDS, make_config, plan_network
from solidcheck.charging.simulate.plan import station_id
from solidcheck.errors import ChargingInputError
from solidcheck.registry import Registry

HERE = Path(__file__).resolve().parent
PROCS = HERE / "charging_live_procs.py"
SSE_PATH = "/v1/charging/alerts/stream"
RULESET = HERE.parent / "src/solidcheck/charging/rulesets/cn-alliance-wp-2026.toml"
METER_INTERVAL_S = 30  # issue 17 item 7: meter values every 30 s while charging
GOAL_P99_S = 1.0
FAULTS_PER_STATIONS = 100  # one fault of each kind per 100 stations of a simulator process
GRACE_S = 15.0  # after the simulators end, for the last alerts to arrive
START_LIMIT_S = 60.0  # hang guard


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def solidcheck_cli() -> str:
    return str(Path(sys.executable).with_name("solidcheck"))


def thresholds() -> dict[str, float]:
    """The rule set's numbers the detection latency counts from."""
    rules = tomllib.loads(RULESET.read_text(encoding="utf-8"))["rules"]
    return {"offline_s": rules["offline_detection"]["heartbeat_multiple"]
            * rules["live_endpoint"]["heartbeat_interval_s"],
            "no_energy_s": rules["alerts"]["no_energy"]["duration_s"]}


def register(database: str, stations: int, password_file: Path) -> float:
    """Every simulated station registered with its own password; seconds taken."""
    started = time.perf_counter()
    with Registry.open(database, create=True) as registry:
        lines = [f"{sid} {registry.add_station(sid, actor='bench')[1]}"
                 for sid in map(station_id, range(1, stations + 1))]
    password_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return time.perf_counter() - started


def fitting_faults(duration_s: float, stations: int) -> tuple[str, list[str]]:
    """The --faults spec of a simulator process: every kind that fits the duration."""
    fits, skipped = [], []
    count = max(1, stations // FAULTS_PER_STATIONS)
    for kind in FAULT_KINDS:
        try:
            plan_network(make_config(stations=stations, url="ws://x/ocpp", version="1.6",
                                     faults=f"{kind}={count}", seed=1, duration_s=duration_s,
                                     speed=1))
            fits.append(f"{kind}={count}")
        except ChargingInputError:
            skipped.append(kind)
    return ",".join(fits) or "none", skipped


def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SseReader(threading.Thread):
    """``GET /v1/charging/alerts/stream``: each event with its arrival wall time."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=None))
        self.changes: list[dict[str, Any]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        event, data = "message", []
        try:
            with self.client.stream("GET", SSE_PATH,
                                    headers={"Accept": "text/event-stream"}) as response:
                self.ready.set()
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip())
                    elif not line and data:
                        self.changes.append({"arrived": time.time(), "event": event,
                                             "alert": json.loads("\n".join(data))})
                        event, data = "message", []
        except httpx.HTTPError:
            pass  # closed at the end of the run


class Sampler(threading.Thread):
    """The server's CPU seconds, RSS and established sockets, once a second."""

    def __init__(self, pid: int, port: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.port = port
        self.samples: list[dict[str, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                cpu = self.process.cpu_times()
                sockets = sum(1 for c in self.process.net_connections("tcp")
                              if c.status == psutil.CONN_ESTABLISHED and c.laddr
                              and c.laddr.port == self.port)
                self.samples.append({"t": time.time(), "cpu_s": cpu.user + cpu.system,
                                     "rss_mb": self.process.memory_info().rss / 2**20,
                                     "connected": sockets})
            except psutil.Error:
                return
            self.stop.wait(1.0)


def start_server(folder: Path, database: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """``solidcheck serve``; if it has no SSE stream yet, the same server with the in-bench
    sink instead (``alert_source`` in the output)."""
    env = {**os.environ, "SOLIDCHECK_RATE_LIMIT": "0",
           "SOLIDCHECK_OCPP_LOG_DIR": str(folder / "frames")}
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([solidcheck_cli(), "serve", "--port", str(port), "--database",
                               database], env=env, stderr=subprocess.DEVNULL)
    wait_healthy(base, server)
    with httpx.Client(base_url=base, timeout=5) as client, \
            client.stream("GET", SSE_PATH) as probe:
        has_sse = probe.status_code == 200
    if has_sse:
        return server, "sse"
    server.terminate()
    server.wait(30)
    server = subprocess.Popen([sys.executable, str(PROCS), "serve", str(port), database,
                               str(folder / "changes.jsonl")], env=env,
                              stderr=(folder / "server.log").open("wb"))
    wait_healthy(base, server)
    return server, "in-bench sink (no SSE stream on this server yet)"


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": round(ordered[-1], 3)}


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def decisive_s(alert: dict[str, Any], limits: dict[str, float]) -> float:
    """When the alert's rule was met: the threshold for timer rules, else the frame."""
    last = stamp(alert["evidence"][-1]["ts"]) if alert["evidence"] else stamp(
        alert["raised_at"])
    if alert["kind"] == "no_energy":
        return last + limits["no_energy_s"]
    if alert["kind"] == "offline" and alert["evidence"] and \
            alert["evidence"][-1].get("event") != "closed":
        return last + limits["offline_s"]
    return stamp(alert["raised_at"])


def match(injections: list[dict[str, Any]], changes: list[dict[str, Any]], until: float,
          limits: dict[str, float], *, quiet_until: float) -> dict[str, Any]:
    """Each injection's first alert of its kind on its station/port; the alerts no injection
    explains, raised before ``quiet_until`` (the simulators closing at the end are not)."""
    raised = [c for c in changes if c["event"] == "raised" and c["arrived"] <= until]
    used: set[int] = set()
    by_kind: dict[str, dict[str, Any]] = {}
    from_injection, detection, offline_beyond = [], [], []
    for inj in injections:
        row = by_kind.setdefault(inj["kind"], {"injected": 0, "alerted": 0, "missed": []})
        row["injected"] += 1
        at = stamp(inj["at"])
        for n, change in enumerate(raised):
            alert = change["alert"]
            if n in used or alert["kind"] != inj["alert"] or \
                    alert["station_id"] != inj["station"] or change["arrived"] < at or \
                    (inj["port"] is not None and alert["port_id"] != inj["port"]):
                continue
            used.add(n)
            row["alerted"] += 1
            from_injection.append(change["arrived"] - at)
            detection.append(change["arrived"] - decisive_s(alert, limits))
            if alert["kind"] == "offline":
                offline_beyond.append(change["arrived"] - decisive_s(alert, limits))
            break
        else:
            row["missed"].append(f"{inj['station']} {inj['port'] or ''} at {inj['at']}")
    others: dict[str, int] = {}
    for n, change in enumerate(raised):
        if n not in used and change["arrived"] < quiet_until:
            others[change["alert"]["kind"]] = others.get(change["alert"]["kind"], 0) + 1
    return {"by_kind": by_kind, "latency_from_injection_s": percentiles(from_injection),
            "detection_latency_s": percentiles(detection),
            "offline_delay_beyond_threshold_s": percentiles(offline_beyond),
            "other_alerts_raised_by_kind": others}


def frames_in_window(folder: Path, start: float, end: float) -> dict[str, int]:
    counts = {"in": 0, "out": 0, "in_window": 0}
    for path in sorted((folder / "frames").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if "direction" not in record:
                    continue  # a connection event, not a frame
                counts[record["direction"]] += 1
                if record["direction"] == "in" and start <= stamp(record["ts"]) < end:
                    counts["in_window"] += 1
    return counts


def run_simulators(args: argparse.Namespace, url: str, passwords: Path,
                   folder: Path) -> tuple[list[dict[str, Any]], list[str], float]:
    share = -(-args.stations // args.processes)
    spec, skipped = fitting_faults(args.duration, min(share, args.stations))
    sims, first = [], 1
    for n in range(args.processes):
        count = min(share, args.stations - first + 1)
        if count < 1:
            break
        report = folder / f"report-{n}.json"
        sims.append((report, subprocess.Popen(
            [solidcheck_cli(), "charging", "simulate", "--stations", str(count),
             "--first-station", str(first), "--url", url, "--duration", str(args.duration),
             "--faults", spec, "--seed", str(args.seed), "--password-file", str(passwords),
             "--meter-interval", str(METER_INTERVAL_S), "--report", str(report)],
            stdout=subprocess.DEVNULL)))
        first += count
    say(f"{len(sims)} simulator processes, faults {spec} each (skipped: {skipped or 'none'})")
    cpu = 0.0
    watched = [psutil.Process(p.pid) for _, p in sims]
    for (_, process), handle in zip(sims, watched, strict=True):
        while process.poll() is None:
            try:
                times = handle.cpu_times()
                last = times.user + times.system
            except psutil.Error:
                break
            time.sleep(1.0)
        cpu += last
    reports = [json.loads(path.read_text()) for path, _ in sims if path.exists()]
    return reports, skipped, cpu


def ceiling(clients: int, frames_per_s: float, seconds: float) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(PROCS), "echo", str(port)])
    try:
        time.sleep(1.0)
        driver = subprocess.Popen([sys.executable, str(PROCS), "echo-clients", str(port),
                                   str(clients), str(frames_per_s), str(seconds)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert driver.stdin is not None and driver.stdout is not None
        assert driver.stdout.readline().strip() == "connected"
        handle = psutil.Process(server.pid)
        before = handle.cpu_times()
        driver.stdin.write("go\n")
        driver.stdin.flush()
        frames = json.loads(driver.stdout.readline())["frames"]
        after = handle.cpu_times()
        driver.wait(60)
        cpu = (after.user + after.system) - (before.user + before.system)
        return {"clients": clients, "frames": frames, "seconds": seconds, "cpu_s": cpu,
                "cpu_us_per_frame": round(1e6 * cpu / max(frames, 1), 1)}
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=1200.0, help="simulated = wall s")
    parser.add_argument("--processes", type=int, default=2, help="simulator processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ceiling-seconds", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, help="keep the run's folder here")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 200 stations, 60 s, a 20 s ceiling")
    args = parser.parse_args()
    if args.quick:
        args.stations, args.duration, args.ceiling_seconds = 200, 60.0, 20.0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="solidcheck-bench-live-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{folder / 'registry.sqlite3'}"
    passwords = folder / "passwords.txt"
    register_s = register(database, args.stations, passwords)
    say(f"{args.stations} stations registered in {register_s:.1f} s")
    port = free_port()
    server, source = start_server(folder, database, port)
    sampler = Sampler(server.pid, port)
    sampler.start()
    sse = SseReader(f"http://127.0.0.1:{port}") if source == "sse" else None
    if sse is not None:
        sse.start()
        sse.ready.wait(10)
    started = time.time()
    say(f"server {server.pid} on port {port}, alerts from: {source}")
    reports, skipped, sim_cpu = run_simulators(args, f"ws://127.0.0.1:{port}/ocpp", passwords,
                                               folder)
    ended = time.time()
    time.sleep(GRACE_S)
    sampler.stop.set()
    sampler.join()
    server.terminate()
    server.wait(60)
    if sse is not None:
        sse.client.close()
    changes = sse.changes if sse is not None else [
        json.loads(line) for line in (folder / "changes.jsonl").read_text().splitlines()]
    samples = sampler.samples
    peak = max((s["connected"] for s in samples), default=0)
    full = [s for s in samples if s["connected"] >= 0.99 * args.stations and s["t"] < ended]
    steady = [s for s in full if s["t"] >= full[0]["t"] + 10] if full else []
    window = (steady[0], steady[-1]) if len(steady) >= 2 else (samples[0], samples[-1])
    frames = frames_in_window(folder, window[0]["t"], window[1]["t"])
    window_s = window[1]["t"] - window[0]["t"]
    cpu_s = window[1]["cpu_s"] - window[0]["cpu_s"]
    frames_per_s = frames["in_window"] / max(window_s, 1e-9)
    cpu_us = 1e6 * cpu_s / max(frames["in_window"], 1)
    injections = [i for r in reports for i in r["injections"]]
    quiet = min((stamp(r["started_at"]) for r in reports), default=ended) + args.duration
    detection = match(injections, changes, ended + GRACE_S, thresholds(),
                      quiet_until=quiet - 1.0)
    say(f"{frames['in_window']} frames in {window_s:.0f} s; the ceiling run")
    echo = ceiling(args.stations, frames_per_s, min(args.ceiling_seconds, args.duration))
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "stations": args.stations, "duration_s": args.duration,
        "simulator_processes": len(reports), "meter_interval_s": METER_INTERVAL_S,
        "faults_skipped_as_too_long_for_duration": skipped, "alert_source": source,
        "registration_s": round(register_s, 1),
        "connected_peak": peak,
        "seconds_to_all_connected": round(full[0]["t"] - started, 1) if full else None,
        "frames": {"in": frames["in"], "out": frames["out"],
                   "in_per_s_steady": round(frames_per_s, 1)},
        "server": {"cpu_us_per_frame_steady": round(cpu_us, 1),
                   "cpu_share_of_a_core_steady": round(cpu_s / max(window_s, 1e-9), 3),
                   "cpu_s_total": round(samples[-1]["cpu_s"], 1) if samples else None,
                   "rss_mb_peak": round(max(s["rss_mb"] for s in samples), 1)},
        "simulators": {"cpu_s": round(sim_cpu, 1),
                       "errors": sum(len(r["errors"]) for r in reports),
                       "reconnects": sum(r["reconnects"] for r in reports)},
        "alerts": {"injected": len(injections),
                   "alerted": sum(k["alerted"] for k in detection["by_kind"].values()),
                   **detection, "goal_detection_p99_s": GOAL_P99_S},
        "ceiling_echo": echo,
        "ceiling_ratio": round(echo["cpu_us_per_frame"] / max(cpu_us, 1e-9), 3),
        "folder": str(folder),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
