"""Benchmark: ``POST /v1/classify`` on loopback, against a bare FastAPI endpoint in the same run.

Two uvicorn processes with the same settings (one worker, no access log): solidcheck's app
(``solidcheck.web:create_app`` over a SQLite registry in a temporary folder, the rate limiter
on but set too high to refuse anything, so its bookkeeping is counted) and a bare FastAPI app
whose endpoint parses the same JSON body into a dict and returns a small JSON object. The
practical limit for classifying over HTTP is that round trip; the figure that matters is the
ratio of the two throughputs. Goal: ratio ≥ 0.7.

The load comes from this process, not the servers': ``--concurrency`` keep-alive HTTP/1.1
connections on asyncio streams, each sending the example dossier as soon as the previous
answer is in. (httpx's AsyncClient tops out near 250 requests/s on the project's machine,
below the bare server, which would flatter the ratio; the client's CPU share is reported so a
client-bound run shows.) Rounds alternate between the two servers so that other work on a
shared machine weighs on both; the best round of each is reported, with every round listed.

    python bench/api.py [--seconds 5] [--repeat 3] [--concurrency 8]

Prints one JSON object; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
from fastapi import Body, FastAPI

BENCH = Path(__file__).resolve().parent
EXAMPLE = BENCH.parent / "examples" / "sulfide-high-energy.yaml"
SERVER_START_LIMIT_S = 120.0
GOAL_RATIO = 0.7


def create_bare_app() -> FastAPI:
    """The baseline: FastAPI parsing the JSON body into a dict (in the thread pool, as the
    classify route runs) and answering with a small JSON object."""
    app = FastAPI()

    @app.post("/v1/classify")
    def classify_bare(dossier: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        return {"dossier_id": dossier.get("id"), "category": "bare"}

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


# --- servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(factory: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn serving ``factory`` in its own process, once /healthz answers."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(BENCH),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level",
         "warning", "--no-access-log"], env=env)
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
    """A process's user + system CPU time so far (Linux), to tell server cost from client."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- load -----------------------------------------------------------------------------------


def http_request(body: bytes) -> bytes:
    return (b"POST /v1/classify HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body) + body)


async def _connection(port: int, request: bytes, deadline: float, latencies: list[float],
                      statuses: dict[int, int]) -> None:
    """One keep-alive connection sending ``request`` back to back until ``deadline``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise RuntimeError(f"no Content-Length in {head[:200]!r}")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            status = int(head.split(b" ", 2)[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()
        await writer.wait_closed()


def load(port: int, request: bytes, *, seconds: float, concurrency: int,
         server_pid: int) -> dict[str, Any]:
    """Requests/s and latency percentiles of ``seconds`` of back-to-back requests."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    server_cpu = cpu_seconds(server_pid)
    client_cpu = time.process_time()
    start = time.perf_counter()

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_connection(port, request, deadline, latencies, statuses)
                               for _ in range(concurrency)))

    asyncio.run(run())
    elapsed = time.perf_counter() - start
    client_share = (time.process_time() - client_cpu) / elapsed
    server_after = cpu_seconds(server_pid)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(quantiles[49] * 1000, 2),
        "p99_ms": round(quantiles[98] * 1000, 2),
        "server_cpu_ms_per_request": None if server_cpu is None or server_after is None
        else round((server_after - server_cpu) * 1000 / len(latencies), 3),
        "client_cpu_share": round(client_share, 2),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
    }


# --- the run --------------------------------------------------------------------------------


def check_answers(classify_port: int, bare_port: int, body: bytes) -> bool:
    """Both endpoints answer 200, and solidcheck's answer is the library's own result."""
    from solidcheck import classify, load_dossier, load_ruleset
    from solidcheck.model import Result

    headers = {"content-type": "application/json"}
    bare = httpx.post(f"http://127.0.0.1:{bare_port}/v1/classify", content=body,
                      headers=headers, timeout=30)
    served = httpx.post(f"http://127.0.0.1:{classify_port}/v1/classify", content=body,
                        headers=headers, timeout=30)
    if bare.status_code != 200 or served.status_code != 200:
        raise SystemExit(f"bare: {bare.status_code} {bare.text[:300]}; "
                         f"classify: {served.status_code} {served.text[:300]}")
    expected = classify(load_dossier(EXAMPLE), load_ruleset())
    return Result.model_validate(served.json()) == expected


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections")
    args = parser.parse_args(argv)

    import yaml

    body = json.dumps(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))).encode()
    request = http_request(body)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="solidcheck-bench-") as scratch:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("SOLIDCHECK_")}
        env |= {"SOLIDCHECK_DATA_DIR": scratch,
                "SOLIDCHECK_DATABASE_URL": f"sqlite:///{scratch}/registry.sqlite3",
                "SOLIDCHECK_RATE_LIMIT": str(10**9)}
        servers = {"bare": start_server("api:create_bare_app", env),
                   "classify": start_server("solidcheck.web:create_app", env)}
        try:
            same_result = check_answers(servers["classify"][1], servers["bare"][1], body)
            for process, port in servers.values():  # warm-up: imports, caches, thread pool
                load(port, request, seconds=1.0, concurrency=args.concurrency,
                     server_pid=process.pid)
            rounds: dict[str, list[dict[str, Any]]] = {"bare": [], "classify": []}
            for _ in range(args.repeat):
                for name, (process, port) in servers.items():
                    rounds[name].append(load(port, request, seconds=args.seconds,
                                             concurrency=args.concurrency,
                                             server_pid=process.pid))
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait()
    best = {name: max(runs, key=lambda run: float(run["requests_per_s"]))
            for name, runs in rounds.items()}
    ratio = best["classify"]["requests_per_s"] / best["bare"]["requests_per_s"]
    report = {
        "benchmark": "api",
        "solidcheck": version("solidcheck"),
        "python": sys.version.split()[0],
        "fastapi": version("fastapi"),
        "starlette": version("starlette"),
        "uvicorn": version("uvicorn"),
        "pydantic": version("pydantic"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "dossier": EXAMPLE.name,
        "body_bytes": len(body),
        "concurrency": args.concurrency,
        "seconds_per_round": args.seconds,
        "same_result_as_library": same_result,
        "bare": best["bare"],
        "classify": best["classify"],
        "ratio_to_bare": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "meets_goal": ratio >= GOAL_RATIO,
        "rounds": rounds,
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
