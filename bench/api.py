"""Benchmark: the web service under a compiled load generator, against a bare FastAPI app.

Two server processes with the same uvicorn settings (one worker, no access log, warnings
only), both pinned to CPU 0 with ``taskset``:

- solidcheck's app (``solidcheck.web:create_app``) over a SQLite registry in a temporary
  folder, loaded with the example dossiers (``solidcheck registry init`` + ``registry load``),
  the rate limit off (``SOLIDCHECK_RATE_LIMIT=0``);
- a bare FastAPI app (``create_bare_app`` below): one JSON GET and one POST that parses a
  small JSON body and echoes it — the practical limit of a FastAPI endpoint on this uvicorn.

The load comes from Debian's ``wrk`` (C, epoll), pinned to CPU 1, so the client is never the
bottleneck (the earlier Python client saturated first and flattered the ratio). Each target
gets a warm-up run (discarded) and a measured run of fixed length at ``--connections``
keep-alive connections; a Lua ``done()`` hook prints wrk's own counts and latency
percentiles as JSON. Targets:

==================  =================================================================
``bare_get``        ``GET /item`` of the bare app (small JSON)
``bare_post``       ``POST /echo`` of the bare app (small JSON in, the same out)
``classify``        ``POST /v1/classify`` with an example dossier as ``application/yaml``
``cell_json``       ``GET /v1/cells/{id}`` (every version, result, evidence, certificate)
``cell_page``       ``GET /cells/{id}`` (the cell's HTML page, with its rates plot)
==================  =================================================================

Ratios: ``classify`` to ``bare_post``, ``cell_json`` and ``cell_page`` to ``bare_get``, of
requests/s (``ratio_to_bare``, the goals') and of server CPU per request (``cpu_ratio_to_bare``:
steadier when other jobs share the machine — a client starved of its core leaves the server
idle, which lowers requests/s but not CPU per request; ``server_cpu_share`` below ~0.95 shows
it). Goals (issue 13): each ratio ≥ 0.5, and p99 ≤ 20 ms at 16 connections for every
solidcheck target.

    python bench/api.py [--seconds 10] [--warmup 2] [--connections 16] [--repeat 1]

Needs ``wrk`` (``apt-get install wrk``; ``make bench`` installs it) and two CPUs. Prints one
JSON object on stdout (progress on stderr); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Body, FastAPI

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
EXAMPLES = ROOT / "examples"
DOSSIER = EXAMPLES / "sulfide-high-energy.yaml"
CELL_ID = "EX-SUL-HE-01"  # the id in DOSSIER: a solid-state cell with a weight-loss test
SERVER_START_LIMIT_S = 120.0
GOAL_RATIO = 0.5
GOAL_P99_MS = 20.0
SMALL_JSON = b'{"id": "EX-SUL-HE-01", "category": "solid_state", "n": 1}'


def create_bare_app() -> FastAPI:
    """The baseline: a JSON GET, and a POST parsing a small JSON body into a dict and
    answering it back; sync routes, as solidcheck's registry reads are."""
    app = FastAPI()

    @app.get("/item")
    def item() -> dict[str, Any]:
        return {"id": CELL_ID, "category": "solid_state", "n": 1}

    @app.post("/echo")
    def echo(payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        return payload

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(factory: str, env: dict[str, str], cpu: int) -> tuple[subprocess.Popen[bytes],
                                                                       int]:
    """uvicorn serving ``factory`` in its own process pinned to ``cpu``, once /healthz
    answers."""
    port = _free_port()
    process = subprocess.Popen(
        ["taskset", "-c", str(cpu), sys.executable, "-m", "uvicorn", "--factory", factory,
         "--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--log-level", "warning", "--no-access-log"], env=env)
    deadline = time.monotonic() + SERVER_START_LIMIT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise SystemExit(f"{factory} did not start")


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU time so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used so far (/proc/stat, busy fields)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy = sum(fields) - fields[3] - fields[4]  # less idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def load_registry(env: dict[str, str]) -> list[str]:
    """``registry init`` and ``registry load`` of every example dossier; the files loaded."""
    cli = [str(Path(sys.executable).with_name("solidcheck"))]
    subprocess.run([*cli, "registry", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    files = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.json")])
    loaded = subprocess.run([*cli, "registry", "load", *map(str, files)], env=env,
                            capture_output=True, text=True)
    if loaded.returncode != 0:  # some example refused as a whole batch: load one by one
        kept = []
        for file in files:
            one = subprocess.run([*cli, "registry", "load", str(file)], env=env,
                                 capture_output=True, text=True)
            if one.returncode == 0:
                kept.append(file)
        files = kept
    return [file.name for file in files]


# --- wrk ------------------------------------------------------------------------------------

_DONE_HOOK = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_script(folder: Path, name: str, *, method: str = "GET", body_file: Path | None = None,
               content_type: str | None = None) -> Path:
    """A wrk script: the request (a body read from a file) and the JSON-printing hook."""
    lines = [f'wrk.method = "{method}"']
    if body_file is not None:
        lines += [f'local f = assert(io.open("{body_file}", "rb"))',
                  "wrk.body = f:read(\"*a\")", "f:close()"]
    if content_type is not None:
        lines.append(f'wrk.headers["Content-Type"] = "{content_type}"')
    path = folder / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n" + _DONE_HOOK, encoding="utf-8")
    return path


def run_wrk(url: str, script: Path, *, seconds: float, connections: int, cpu: int,
            server_pid: int) -> dict[str, Any]:
    """One wrk run pinned to ``cpu``: requests/s, latency, errors, the server's CPU per
    request, the client's CPU share and the other load on the machine meanwhile."""
    server_before = cpu_seconds(server_pid)
    machine_before = machine_cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(
        ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}",
         f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout_bytes, stderr_bytes = process.communicate()
    elapsed = time.perf_counter() - start
    server_after = cpu_seconds(server_pid)
    machine_after = machine_cpu_seconds()
    stdout = stdout_bytes.decode("utf-8", "replace")
    line = next((x for x in stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if process.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({process.returncode}): {stdout}"
                         f"{stderr_bytes.decode('utf-8', 'replace')}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    requests = raw["requests"]
    duration_s = raw["duration_us"] / 1e6
    server_cpu = (None if server_before is None or server_after is None
                  else server_after - server_before)
    client_cpu = _child_cpu_seconds()
    latency = raw["latency_us"]
    other = machine_after - machine_before - (server_cpu or 0.0) - client_cpu
    return {
        "requests": requests,
        "requests_per_s": round(requests / duration_s, 1),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "errors": {name: count for name, count in raw["errors"].items() if count},
        "server_cpu_ms_per_request": None if server_cpu is None or not requests
        else round(server_cpu * 1000 / requests, 3),
        "server_cpu_share": None if server_cpu is None else round(server_cpu / elapsed, 2),
        "client_cpu_share": round(client_cpu / elapsed, 2),
        "other_load_cores": round(max(0.0, other / elapsed), 2),
    }


_CHILD_CPU = [0.0]


def _child_cpu_seconds() -> float:
    """CPU time of the wrk run just reaped (the difference in this process's children's
    times since the last call)."""
    times = os.times()
    total = times.children_user + times.children_system
    spent, _CHILD_CPU[0] = total - _CHILD_CPU[0], total
    return spent


# --- the run --------------------------------------------------------------------------------


def check_answers(ports: dict[str, int]) -> dict[str, Any]:
    """Every target answers 200 with what it should, before any load."""
    from solidcheck import classify, load_dossier, load_ruleset
    from solidcheck.model import Result

    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    bare_get = httpx.get(f"{base['bare']}/item", timeout=30)
    bare_post = httpx.post(f"{base['bare']}/echo", content=SMALL_JSON,
                           headers={"content-type": "application/json"}, timeout=30)
    served = httpx.post(f"{base['solidcheck']}/v1/classify", content=DOSSIER.read_bytes(),
                        headers={"content-type": "application/yaml"}, timeout=30)
    cell = httpx.get(f"{base['solidcheck']}/v1/cells/{quote(CELL_ID, safe='')}", timeout=30)
    page = httpx.get(f"{base['solidcheck']}/cells/{quote(CELL_ID, safe='')}", timeout=30)
    statuses = {"bare_get": bare_get.status_code, "bare_post": bare_post.status_code,
                "classify": served.status_code, "cell_json": cell.status_code,
                "cell_page": page.status_code}
    if set(statuses.values()) != {200}:
        raise SystemExit(f"not every target answers 200: {statuses}")
    expected = classify(load_dossier(DOSSIER), load_ruleset())
    return {
        "classify_same_result_as_library": Result.model_validate(served.json()) == expected,
        "echo_same_body": bare_post.json() == json.loads(SMALL_JSON),
        "cell_json_id": cell.json()["id"],
        "cell_json_bytes": len(cell.content),
        "cell_page_bytes": len(page.content),
        "cell_page_has_plot": "<svg" in page.text,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured run per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded run before it")
    parser.add_argument("--connections", type=int, default=16, help="open connections")
    parser.add_argument("--repeat", type=int, default=1, help="measured runs per target "
                        "(rounds alternate between targets; the best is reported)")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does it)")

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="solidcheck-bench-") as scratch_name:
        scratch = Path(scratch_name)
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("SOLIDCHECK_")}
        env |= {"SOLIDCHECK_DATA_DIR": str(scratch),
                "SOLIDCHECK_DATABASE_URL": f"sqlite:///{scratch}/registry.sqlite3",
                "SOLIDCHECK_RATE_LIMIT": "0", "PYTHONHASHSEED": "0"}
        log("loading the registry…")
        loaded = load_registry(env)
        small_json = scratch / "small.json"
        small_json.write_bytes(SMALL_JSON)
        cell_path = quote(CELL_ID, safe="")
        targets: dict[str, tuple[str, str, Path]] = {
            "bare_get": ("bare", "/item", lua_script(scratch, "get")),
            "bare_post": ("bare", "/echo", lua_script(
                scratch, "echo", method="POST", body_file=small_json,
                content_type="application/json")),
            "classify": ("solidcheck", "/v1/classify", lua_script(
                scratch, "classify", method="POST", body_file=DOSSIER,
                content_type="application/yaml")),
            "cell_json": ("solidcheck", f"/v1/cells/{cell_path}", lua_script(scratch, "get")),
            "cell_page": ("solidcheck", f"/cells/{cell_path}", lua_script(scratch, "get")),
        }
        servers = {"bare": start_server("api:create_bare_app", env, args.server_cpu),
                   "solidcheck": start_server("solidcheck.web:create_app", env,
                                              args.server_cpu)}
        _child_cpu_seconds()  # start counting wrk's CPU from here
        try:
            checks = check_answers({name: port for name, (_, port) in servers.items()})
            rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            for number in range(args.repeat):
                for name, (server, path, script) in targets.items():
                    process, port = servers[server]
                    url = f"http://127.0.0.1:{port}{path}"
                    log(f"round {number + 1}: {name} ({args.warmup:g} s warm-up, "
                        f"{args.seconds:g} s measured)")
                    if args.warmup > 0:
                        run_wrk(url, script, seconds=args.warmup, connections=args.connections,
                                cpu=args.client_cpu, server_pid=process.pid)
                    rounds[name].append(run_wrk(url, script, seconds=args.seconds,
                                                connections=args.connections,
                                                cpu=args.client_cpu, server_pid=process.pid))
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait()

    best = {name: max(runs, key=lambda run: float(run["requests_per_s"]))
            for name, runs in rounds.items()}
    baseline_of = {"classify": "bare_post", "cell_json": "bare_get", "cell_page": "bare_get"}
    ratios = {name: round(best[name]["requests_per_s"] / best[base]["requests_per_s"], 3)
              for name, base in baseline_of.items()}
    # the same ratio from server CPU per request: steadier when other jobs share the machine
    # (a starved client leaves the server idle and lowers requests/s, not CPU per request)
    cpu_ratios = {name: round(best[base]["server_cpu_ms_per_request"]
                              / best[name]["server_cpu_ms_per_request"], 3)
                  for name, base in baseline_of.items()
                  if best[name]["server_cpu_ms_per_request"]
                  and best[base]["server_cpu_ms_per_request"]}
    goals = {
        **{f"{name}_ratio": {"value": ratios[name], "target": f">= {GOAL_RATIO}",
                             "met": ratios[name] >= GOAL_RATIO} for name in baseline_of},
        **{f"{name}_p99_ms": {"value": best[name]["p99_ms"], "target": f"<= {GOAL_P99_MS}",
                              "met": best[name]["p99_ms"] <= GOAL_P99_MS}
           for name in baseline_of},
    }
    report = {
        "benchmark": "api",
        "solidcheck": version("solidcheck"),
        "python": sys.version.split()[0],
        "fastapi": version("fastapi"),
        "starlette": version("starlette"),
        "uvicorn": version("uvicorn"),
        "pydantic": version("pydantic"),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True,
                              text=True).stdout.split(" [")[0].strip(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "server_cpu": args.server_cpu,
        "client_cpu": args.client_cpu,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "connections": args.connections,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "registry_loaded": loaded,
        "dossier": DOSSIER.name,
        "cell": CELL_ID,
        "checks": checks,
        "targets": best,
        "ratio_to_bare": ratios,
        "cpu_ratio_to_bare": cpu_ratios,
        "baseline_of": baseline_of,
        "goals": goals,
        "all_goals_met": all(goal["met"] for goal in goals.values()),
        "rounds": rounds,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
