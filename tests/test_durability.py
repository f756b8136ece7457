"""Durability of the registry: what a lab was told is stored is stored, on both databases.

Eight concurrent writers lose nothing through the real web service (a uvicorn process on
loopback) nor through the registry used from several processes at once; a server, or a
process writing to the registry directly, killed with SIGKILL mid-write leaves a database that
opens, whose audit chain verifies, that holds every acknowledged submission and that takes new
writes. "Acknowledged" means an HTTP 2xx reached the client, or ``Registry.submit`` returned.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import httpx
import pytest

from solidcheck.classify import classify
from solidcheck.model import Dossier, Result
from solidcheck.registry import Registry, Submission
from solidcheck.rules import load_ruleset

APP_FACTORY = "standin_app:create_app"
#: a hang guard for a server start, never a measure of speed
SERVER_START_LIMIT_S = 120.0
#: the specimen loss of each edition of a cell: 0.19 % (solid-state), 0.77 % and 1.35 % (both
#: hybrid under the national rule set), so a result filed under the wrong version shows
EDITION_LOSS_MG = (100, 400, 700)
SHARED_CELLS = 4
WRITERS = 8
SUBMISSIONS_PER_WRITER = 200


# --- what is written ------------------------------------------------------------------------


def dossier(cell_id: str, *, model: str, loss_mg: int) -> dict[str, Any]:
    """A sulfide cell's dossier, as a client sends it; ``model`` makes each edition distinct."""
    return {
        "schema_version": 1,
        "id": cell_id,
        "manufacturer": "Durability Test Cells",
        "model": model,
        "electrolyte": {"phases": ["solid"], "solid_type": "sulfide"},
        "conducting_ion": "lithium",
        "application": "high_energy",
        "ratings": {"max_power_w": 1500, "energy_1c_wh": 300},
        "weight_loss_test": {
            "temperature_c": 120.4, "duration_h": 6.0, "pressure_pa": 50,
            "visible_liquid": False, "balance_resolution_mg": 0.1,
            "specimens": [{"mass_before_g": 52.0,
                           "mass_after_g": round(52.0 - loss_mg / 1000, 4)}],
        },
    }


@dataclass(frozen=True)
class Planned:
    """One submission and what it must become; ``version`` is None where writers race."""

    dossier: dict[str, Any]
    version: int | None
    new_version: bool


def writer_plan(writer: int, submissions: int) -> list[Planned]:
    """A writer's submissions: its own cells, each as three editions and then the last edition
    again (unchanged); every fifth submission a distinct edit of one of the cells all writers
    edit at once, whose version numbers the registry must hand out without gap or clash."""
    plan, own = [], 0
    for number in range(submissions):
        if number % 5 == 4:
            cell = f"SHARED-{(number // 5) % SHARED_CELLS}"
            body = dossier(cell, model=f"writer {writer} submission {number}",
                           loss_mg=100 * (1 + number % 7))
            plan.append(Planned(body, None, True))
            continue
        step = own % 4
        edition = min(step, 2)
        body = dossier(f"W{writer}-{own // 4:03d}", model=f"edition {edition}",
                       loss_mg=EDITION_LOSS_MG[edition])
        plan.append(Planned(body, edition + 1, step < 3))
        own += 1
    return plan


def canonical(body: dict[str, Any]) -> str:
    """The dossier as the registry keeps it, as a hashable key."""
    return json.dumps(Dossier.model_validate(body).model_dump(mode="json"), sort_keys=True)


@dataclass(frozen=True)
class Acknowledged:
    """A dossier whose client was told it is stored, and what it was told."""

    dossier: dict[str, Any]
    submission: Submission


# --- what the registry must hold ------------------------------------------------------------


@dataclass
class Holdings:
    """What the registry holds, read back after the writers are done (or dead)."""

    versions: dict[tuple[str, int], str] = field(default_factory=dict)  # → canonical dossier
    result_of_version: dict[tuple[str, int], str] = field(default_factory=dict)  # → result id
    audit_entries: int = 0


def assert_registry_holds(url: str, acknowledged: list[Acknowledged], *, sent: list[str],
                          api_keys: int) -> Holdings:
    """Open the registry as it is (no create, no upgrade) and check what a user relies on:
    every acknowledged submission is there as acknowledged; every version is one a client
    sent, numbered 1..n per cell without gap, and carries its own result (a version is never
    stored without its result); the audit chain verifies and has one entry per key, version
    and result — nothing more."""
    ruleset = load_ruleset()
    holdings = Holdings()
    sent_contents = set(sent)
    with Registry.open(url) as registry:
        chain = registry.verify_chain()
        assert chain.valid, chain.problems
        holdings.audit_entries = chain.entries
        offset = 0
        while page := registry.list_cells(limit=200, offset=offset).items:
            offset += len(page)
            for summary in page:
                cell = registry.get_cell(summary.id)
                numbers = sorted(version.version for version in cell.versions)
                assert numbers == list(range(1, cell.latest_version + 1)), (cell.id, numbers)
                results: dict[int, list[Result]] = defaultdict(list)
                for record in cell.results:
                    if record.ruleset == ruleset.id:
                        results[record.version].append(record.result)
                        holdings.result_of_version[(cell.id, record.version)] = record.id
                for version in cell.versions:
                    content = json.dumps(version.dossier.model_dump(mode="json"),
                                         sort_keys=True)
                    assert content in sent_contents, f"{cell.id} v{version.version} was never sent"
                    assert results[version.version] == [classify(version.dossier, ruleset)], (
                        f"{cell.id} v{version.version} lacks its one result, or has another's")
                    holdings.versions[(cell.id, version.version)] = content
    for ack in acknowledged:
        where = (ack.submission.cell_id, ack.submission.version)
        assert holdings.versions.get(where) == canonical(ack.dossier), (
            f"acknowledged {where} is missing or holds another dossier")
        assert holdings.result_of_version[where] == ack.submission.result.id
    assert holdings.audit_entries == api_keys + 2 * len(holdings.versions), (
        "the audit log should have one entry per API key, dossier version and result")
    return holdings


def assert_sqlite_file_intact(url: str) -> None:
    """SQLite's own check of every page and index, after a crash."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def create_lab_keys(url: str, count: int) -> list[str]:
    """Create the registry (as `solidcheck registry init` does) and ``count`` lab keys."""
    with Registry.open(url, create=True) as registry:
        return [registry.create_api_key(role="lab", name=f"durability lab {n}",
                                        actor="test:durability")[1] for n in range(count)]


# --- a real server --------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush — a crash or the OOM killer."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[str], Server]]:
    """Start ``solidcheck.web:create_app`` under uvicorn, in its own process, on a database;
    every server started is killed when the test ends, whatever happened."""
    processes: list[subprocess.Popen[bytes]] = []
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("SOLIDCHECK_")}
    env |= {"SOLIDCHECK_DATA_DIR": str(tmp_path / "data"), "SOLIDCHECK_RATE_LIMIT": "0"}

    def start(url: str) -> Server:
        for attempt in range(3):  # another program may take the free port before uvicorn
            port = _free_port()
            log = tmp_path / f"server-{len(processes)}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY, "--host",
                     "127.0.0.1", "--port", str(port), "--log-level", "warning",
                     "--no-access-log"],
                    env=env | {"SOLIDCHECK_DATABASE_URL": url}, stdout=output,
                    stderr=subprocess.STDOUT)
            processes.append(process)
            server = Server(process, f"http://127.0.0.1:{port}", log)
            if _wait_until_healthy(server):
                return server
            if b"address already in use" not in log.read_bytes().lower() or attempt == 2:
                break
        pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')}")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def _wait_until_healthy(server: Server) -> bool:
    """Poll /healthz until it answers 200; False if the process exits first."""
    deadline = time.monotonic() + SERVER_START_LIMIT_S
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            try:
                if client.get("/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"the server did not answer /healthz:\n{server.log.read_text(errors='replace')}")


@dataclass(frozen=True)
class Reply:
    planned: Planned
    status: int
    body: Any


def post_plan(base_url: str, key: str, plan: list[Planned]) -> list[Reply]:
    """One client (one lab, its own connection) sending its submissions in order."""
    replies = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"},
                      timeout=120) as client:
        for planned in plan:
            response = client.post("/v1/cells", json=planned.dossier)
            replies.append(Reply(planned, response.status_code, response_body(response)))
    return replies


def response_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def acknowledged_replies(replies: list[Reply]) -> list[Acknowledged]:
    """The replies as acknowledgments, after checking each is the success it should be:
    201 for a new version, 200 for unchanged content, and the version it must become."""
    unexpected = Counter(reply.status for reply in replies if reply.status not in (200, 201))
    assert not unexpected, f"statuses other than 200/201: {dict(unexpected)}; first: " + next(
        repr(r.body)[:500] for r in replies if r.status not in (200, 201))
    acknowledged = []
    for reply in replies:
        submission = Submission.model_validate(reply.body)
        assert submission.cell_id == reply.planned.dossier["id"]
        assert submission.new_version is reply.planned.new_version, submission
        assert reply.status == (201 if submission.new_version else 200)
        if reply.planned.version is not None:
            assert submission.version == reply.planned.version, submission
        acknowledged.append(Acknowledged(reply.planned.dossier, submission))
    return acknowledged


# --- concurrent writers ---------------------------------------------------------------------


def test_eight_concurrent_clients_lose_no_submission(
        database_url: str, start_server: Callable[[str], Server]) -> None:
    """8 labs × 200 submissions at once through the web service: new cells, edits, unchanged
    resubmissions, and edits of the same cells racing each other."""
    keys = create_lab_keys(database_url, WRITERS)
    server = start_server(database_url)
    plans = [writer_plan(writer, SUBMISSIONS_PER_WRITER) for writer in range(WRITERS)]
    with ThreadPoolExecutor(WRITERS) as pool:
        replies = [reply for replies in pool.map(
            lambda writer: post_plan(server.base_url, keys[writer], plans[writer]),
            range(WRITERS)) for reply in replies]

    assert len(replies) == WRITERS * SUBMISSIONS_PER_WRITER
    acknowledged = acknowledged_replies(replies)
    holdings = assert_registry_holds(
        database_url, acknowledged, sent=[canonical(p.dossier) for p in itertools.chain(*plans)],
        api_keys=WRITERS)
    assert len(holdings.versions) == sum(ack.submission.new_version for ack in acknowledged)
    shared_edits = WRITERS * SUBMISSIONS_PER_WRITER // 5
    assert len(holdings.versions) == WRITERS * SUBMISSIONS_PER_WRITER * 3 // 5 + shared_edits


def _submit_plan(url: str, writer: int, submissions: int, start: Barrier,
                 report: Connection) -> None:
    """A writer process: its plan through ``Registry.submit``, then its acknowledgments."""
    try:
        plan = [planned.dossier for planned in writer_plan(writer, submissions)]
        with Registry.open(url) as registry:
            start.wait(timeout=120)
            done = [(body, registry.submit(Dossier.model_validate(body),
                                           actor=f"process:{writer}").model_dump(mode="json"))
                    for body in plan]
        report.send(("done", done))
    except BaseException:
        report.send(("failed", traceback.format_exc()))
        raise
    finally:
        report.close()


def test_processes_sharing_one_sqlite_file_lose_no_submission(tmp_path: Path) -> None:
    """Several processes (a CLI import, a second server worker…) writing one SQLite file at
    once queue on its write lock instead of failing or overwriting each other."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    create_lab_keys(url, 0)
    writers, submissions = 4, 100
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers)
    channels = [context.Pipe(duplex=False) for _ in range(writers)]
    processes = [context.Process(target=_submit_plan,
                                 args=(url, writer, submissions, start, sender))
                 for writer, (_, sender) in enumerate(channels)]
    try:
        for process in processes:
            process.start()
        for _, sender in channels:
            sender.close()
        reports = [receiver.recv() for receiver, _ in channels]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()
        for receiver, _ in channels:
            receiver.close()

    failures = [detail for outcome, detail in reports if outcome != "done"]
    assert not failures, failures[0]
    acknowledged = [Acknowledged(body, Submission.model_validate(submission))
                    for _, done in reports for body, submission in done]
    planned = [p for writer in range(writers) for p in writer_plan(writer, submissions)]
    for ack, plan in zip(acknowledged, planned, strict=True):
        assert ack.submission.new_version is plan.new_version
        assert plan.version in (None, ack.submission.version)
    holdings = assert_registry_holds(url, acknowledged,
                                     sent=[canonical(p.dossier) for p in planned], api_keys=0)
    assert len(holdings.versions) == sum(plan.new_version for plan in planned)
    assert_sqlite_file_intact(url)


# --- SIGKILL mid-write ----------------------------------------------------------------------


@dataclass
class Hammering:
    """Threads posting distinct edits until the server dies; what they sent and were told."""

    base_url: str
    key: str
    prefix: str
    sent: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    in_flight_at_death: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)

    def run(self, thread: int, replies_before_kill: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=120,
                          headers={"Authorization": f"Bearer {self.key}"}) as client:
            for number in range(100_000):
                edition = number % 2
                body = dossier(f"{self.prefix}-{thread}-{number // 2:04d}",
                               model=f"edition {edition}", loss_mg=EDITION_LOSS_MG[edition])
                with self.lock:
                    self.sent.append(canonical(body))
                try:
                    response = client.post("/v1/cells", json=body)
                except httpx.ConnectError:
                    return  # the server was already dead: this one never left
                except httpx.TransportError:
                    with self.lock:  # the server died with this request in it
                        self.in_flight_at_death += 1
                    return
                with self.lock:
                    self.replies.append(Reply(Planned(body, edition + 1, True),
                                              response.status_code, response_body(response)))
                    if len(self.replies) >= replies_before_kill:
                        self.enough.set()


def hammer_then_kill(server: Server, key: str, prefix: str, *, threads: int,
                     replies_before_kill: int) -> Hammering:
    """Keep ``threads`` writers busy, SIGKILL the server once ``replies_before_kill`` replies
    are in (so writes are queued and committing), and wait for every writer to notice."""
    hammering = Hammering(server.base_url, key, prefix)
    workers = [threading.Thread(target=hammering.run, args=(n, replies_before_kill))
               for n in range(threads)]
    for worker in workers:
        worker.start()
    try:
        hammering.enough.wait(timeout=300)
    finally:
        server.kill()
        for worker in workers:
            worker.join()
    return hammering


def test_a_server_killed_mid_write_restarts_with_everything_acknowledged(
        database_url: str, start_server: Callable[[str], Server]) -> None:
    """SIGKILL the server twice while four clients write; after each restart the database
    opens, the chain verifies, every 2xx'd submission is there, and writing goes on."""
    key, = create_lab_keys(database_url, 1)
    acknowledged: list[Acknowledged] = []
    sent: list[str] = []
    for round_number, replies_before_kill in enumerate((40, 90)):
        server = start_server(database_url)
        hammering = hammer_then_kill(server, key, f"KILL{round_number}", threads=4,
                                     replies_before_kill=replies_before_kill)
        acknowledged += acknowledged_replies(hammering.replies)
        sent += hammering.sent
        assert_sqlite_file_intact(database_url)
        assert_registry_holds(database_url, acknowledged, sent=sent, api_keys=1)

    server = start_server(database_url)
    with httpx.Client(base_url=server.base_url, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as client:
        fresh = dossier("AFTER-THE-CRASH", model="edition 0", loss_mg=EDITION_LOSS_MG[0])
        first, again = client.post("/v1/cells", json=fresh), client.post("/v1/cells", json=fresh)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["version"] == again.json()["version"] == 1
        assert client.get("/v1/cells/AFTER-THE-CRASH").status_code == 200
    server.kill()
    sent.append(canonical(fresh))
    acknowledged.append(Acknowledged(fresh, Submission.model_validate(first.json())))
    assert_registry_holds(database_url, acknowledged, sent=sent, api_keys=1)


def _submit_until_killed(url: str, prefix: str, report: Connection) -> None:
    """A process writing through ``Registry.submit`` as fast as it can, telling the parent of
    each submission only after ``submit`` has returned (committed)."""
    with Registry.open(url) as registry:
        for number in itertools.count():
            edition = number % 2
            body = dossier(f"{prefix}-{number // 2:05d}", model=f"edition {edition}",
                           loss_mg=EDITION_LOSS_MG[edition])
            report.send(("sending", body))
            submission = registry.submit(Dossier.model_validate(body), actor="process:loop")
            report.send(("stored", submission.model_dump(mode="json")))


def test_a_process_killed_in_a_sqlite_write_loop_leaves_a_consistent_file(
        tmp_path: Path) -> None:
    """SIGKILL a process committing to a SQLite file (WAL) in a tight loop, three times at
    different points; each time the file is intact and holds every committed submission."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    create_lab_keys(url, 0)
    context = multiprocessing.get_context("spawn")
    acknowledged: list[Acknowledged] = []
    sent: list[str] = []
    for round_number, stored_before_kill in enumerate((25, 60, 110)):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_submit_until_killed,
                                  args=(url, f"LOOP{round_number}", sender))
        process.start()
        sender.close()
        pending: dict[str, Any] | None = None
        stored = 0
        try:
            while stored < stored_before_kill:
                kind, payload = receiver.recv()
                if kind == "sending":
                    pending = payload
                    sent.append(canonical(payload))
                else:
                    assert pending is not None
                    acknowledged.append(Acknowledged(pending,
                                                     Submission.model_validate(payload)))
                    stored += 1
        finally:
            process.kill()  # SIGKILL
            process.join()
        with closing(receiver):
            while True:  # what the writer managed to say before it died
                try:
                    kind, payload = receiver.recv()
                except EOFError:
                    break
                if kind == "sending":
                    pending = payload
                    sent.append(canonical(payload))
                else:
                    assert pending is not None
                    acknowledged.append(Acknowledged(pending,
                                                     Submission.model_validate(payload)))
        assert process.exitcode == -signal.SIGKILL
        assert_sqlite_file_intact(url)
        assert_registry_holds(url, acknowledged, sent=sent, api_keys=0)

    with Registry.open(url) as registry:
        after = dossier("AFTER-THE-CRASH", model="edition 0", loss_mg=EDITION_LOSS_MG[0])
        submission = registry.submit(Dossier.model_validate(after), actor="test:durability")
    assert (submission.version, submission.new_version) == (1, True)
    assert_registry_holds(url, [*acknowledged, Acknowledged(after, submission)],
                          sent=[*sent, canonical(after)], api_keys=0)
