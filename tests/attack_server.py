"""A real solidcheck server to attack, and the instruments to watch it under attack.

Used by ``tests/test_attacks.py``. A server is a uvicorn process (``--factory
solidcheck.web:create_app``, or ``solidcheck serve`` through the command line) on loopback;
its memory is read from ``/proc/<pid>/status``. ``under_attack`` runs, for the length of one
attack, a health probe (a thread GETting ``/healthz`` every 50 ms, timing each answer) and a
memory sampler — which also kills the server outright if its memory grows past a hard cap, so
that an attack on a server without the fix fails the test instead of exhausting the machine.
The checks are limits (peak memory growth, worst probe latency, the attack answered, the server
healthy after), never the attack's own timing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from conftest import wait_until_healthy

APP_FACTORY = "solidcheck.web:create_app"
VENV_BIN = Path(sys.executable).parent
SOLIDCHECK_CLI = str(VENV_BIN / "solidcheck")
#: a hang guard for a server start, never a measure of speed
SERVER_START_LIMIT_S = 60.0
#: the server is killed when its memory grows this much during one attack: far beyond the
#: limit a test asserts (300 MB), it only keeps an unfixed server from taking the machine down
HARD_MEMORY_CAP_MB = 1500
PROBE_INTERVAL_S = 0.05
#: a probe that gets no answer in this time counts as this latency (the limit asserted is 1 s)
PROBE_TIMEOUT_S = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment without the caller's SOLIDCHECK_* settings, plus ``extra``."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("SOLIDCHECK_")}
    env["SOLIDCHECK_DATA_DIR"] = str(data_dir)
    env["SOLIDCHECK_RATE_LIMIT"] = "0"
    env.update(extra)
    return env


def status_kb(pid: int, field_name: str) -> int | None:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in kB; None once the process is
    gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


@dataclass
class Server:
    """One server process on a database."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    database_url: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_kb(self) -> int | None:
        return status_kb(self.pid, "VmRSS")

    def hwm_kb(self) -> int | None:
        return status_kb(self.pid, "VmHWM")

    def healthy(self, timeout: float = 5.0) -> bool:
        if not self.alive():
            return False
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def start_server(database_url: str, folder: Path, *, cli: bool = False,
                 env: dict[str, str] | None = None) -> Server:
    """Start a server on ``database_url`` and wait until /healthz answers 200.

    ``cli``: through ``solidcheck serve --port P --database URL`` (how an operator starts it),
    else uvicorn with the app factory (the database from SOLIDCHECK_DATABASE_URL)."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = clean_env(folder / "data", **(env or {}))
    last_log = ""
    for attempt in range(3):  # another program may take the free port before the server
        port = free_port()
        log = folder / f"server-{port}.log"
        if cli:
            command = [SOLIDCHECK_CLI, "serve", "--host", "127.0.0.1", "--port", str(port),
                       "--database", database_url]
        else:
            command = [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY, "--host",
                       "127.0.0.1", "--port", str(port), "--log-level", "warning",
                       "--no-access-log"]
            environment["SOLIDCHECK_DATABASE_URL"] = database_url
        with log.open("wb") as output:
            process = subprocess.Popen(command, env=environment, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        server = Server(process, f"http://127.0.0.1:{port}", log, database_url)
        if _wait_until_healthy(server):
            return server
        server.stop()
        last_log = server.log_tail()
        if "address already in use" not in last_log.lower() or attempt == 2:
            break
    raise RuntimeError(f"the server did not start:\n{last_log}")


def _wait_until_healthy(server: Server) -> bool:
    return wait_until_healthy(server.base_url, server.alive, limit_s=SERVER_START_LIMIT_S)


class ServerSlot:
    """A server kept for a whole module, started again if an attack killed it."""

    def __init__(self, database_url: str, folder: Path, *, cli: bool = False,
                 env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.folder = folder
        self.cli = cli
        self.env = env
        self._server: Server | None = None
        self.restarts = 0

    def get(self) -> Server:
        """The running server; a dead or unhealthy one is replaced by a fresh process."""
        if self._server is not None and not self._server.healthy():
            self._server.stop()
            self._server = None
            self.restarts += 1
        if self._server is None:
            self._server = start_server(self.database_url, self.folder, cli=self.cli,
                                        env=self.env)
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


# --------------------------------------------------------------------------- under attack


@dataclass
class AttackReport:
    """What the server did during one attack."""

    rss_before_kb: int = 0
    peak_rss_kb: int = 0
    probes: int = 0
    probe_failures: int = 0
    worst_probe_s: float = 0.0
    killed_for_memory: bool = False
    died: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def growth_mb(self) -> float:
        return max(0, self.peak_rss_kb - self.rss_before_kb) / 1024

    def summary(self) -> str:
        parts = [f"peak RSS growth {self.growth_mb:.0f} MB",
                 f"worst /healthz {self.worst_probe_s * 1000:.0f} ms over {self.probes} probes",
                 f"{self.probe_failures} probe(s) failed"]
        if self.killed_for_memory:
            parts.append(f"server KILLED at +{HARD_MEMORY_CAP_MB} MB (hard cap)")
        elif self.died:
            parts.append("server DIED")
        return ", ".join(parts + self.notes)


@contextmanager
def under_attack(server: Server) -> Iterator[AttackReport]:
    """Watch ``server`` while the body of the ``with`` attacks it: memory every 10 ms (and
    VmHWM at the end), /healthz every 50 ms from another connection."""
    report = AttackReport()
    report.rss_before_kb = server.rss_kb() or 0
    hwm_before = server.hwm_kb() or 0
    report.peak_rss_kb = report.rss_before_kb
    stop = threading.Event()
    cap_kb = report.rss_before_kb + HARD_MEMORY_CAP_MB * 1024

    def sample_memory() -> None:
        while not stop.is_set():
            rss = server.rss_kb()
            if rss is None:
                report.died = True
                return
            report.peak_rss_kb = max(report.peak_rss_kb, rss)
            if rss > cap_kb:
                report.killed_for_memory = True
                os.kill(server.pid, signal.SIGKILL)
                return
            stop.wait(0.01)

    def probe_health() -> None:
        with httpx.Client(base_url=server.base_url, timeout=PROBE_TIMEOUT_S) as client:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                if not server.alive():
                    return
                report.probes += 1
                report.probe_failures += not ok
                report.worst_probe_s = max(report.worst_probe_s,
                                           elapsed if ok else max(elapsed, PROBE_TIMEOUT_S))
                stop.wait(max(0.0, PROBE_INTERVAL_S - elapsed))

    threads = [threading.Thread(target=sample_memory, daemon=True),
               threading.Thread(target=probe_health, daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)  # the probe's connection is open and it has answered once
    try:
        yield report
    finally:
        time.sleep(0.1)
        stop.set()
        for thread in threads:
            thread.join(timeout=PROBE_TIMEOUT_S + 1)
        hwm_after = server.hwm_kb()
        if hwm_after is not None and hwm_after > hwm_before:
            # a peak between two samples: VmHWM rose during the attack, so it is this one's
            report.peak_rss_kb = max(report.peak_rss_kb, hwm_after)
        if not server.alive():
            report.died = True
