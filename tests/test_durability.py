"""Durability of the registry: what a lab was told is stored is stored, on both databases.

Eight concurrent clients lose nothing through the real web service (a uvicorn process on
loopback), nor do several processes writing one SQLite file; a server, or a process writing
to the registry directly, killed with SIGKILL mid-write leaves a database that opens, whose
audit chain verifies, that holds every acknowledged submission and that takes new writes; and
a read made while writers edit a cell sees one committed state of it. "Acknowledged" means an
HTTP 2xx reached the client, or ``Registry.submit`` returned.
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

from conftest import wait_until_healthy
from solidcheck.classify import classify
from solidcheck.model import Dossier, Result
from solidcheck.registry import Registry, Submission
from solidcheck.rules import available_rulesets, load_ruleset

APP_FACTORY = "solidcheck.web:create_app"
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
    """One submission and what it must become; None where racing writers decide it."""

    dossier: dict[str, Any]
    version: int | None
    new_version: bool | None


def writer_plan(writer: int, submissions: int) -> list[Planned]:
    """A writer's submissions. Four in five go to its own cells, each as three editions and
    then the last edition again (unchanged). The rest go to cells every writer edits at once:
    a distinct edit of a SHARED cell (the registry must number the versions without gap or
    clash), or the same content as every other writer sends to a COMMON cell (exactly one of
    them makes version 1, the others are told it is unchanged)."""
    plan, own = [], 0
    for number in range(submissions):
        if number % 10 == 4:
            body = dossier(f"SHARED-{(number // 10) % SHARED_CELLS}",
                           model=f"writer {writer} submission {number}",
                           loss_mg=100 * (1 + number % 7))
            plan.append(Planned(body, None, True))
        elif number % 10 == 9:
            body = dossier(f"COMMON-{(number // 10) % SHARED_CELLS}", model="the one edition",
                           loss_mg=EDITION_LOSS_MG[0])
            plan.append(Planned(body, 1, None))
        else:
            step = own % 4
            edition = min(step, 2)
            body = dossier(f"W{writer}-{own // 4:03d}", model=f"edition {edition}",
                           loss_mg=EDITION_LOSS_MG[edition])
            plan.append(Planned(body, edition + 1, step < 3))
            own += 1
    return plan


def versions_planned(plans: list[list[Planned]]) -> int:
    """How many versions the plans make: every new version, and one per COMMON cell."""
    common = {p.dossier["id"] for plan in plans for p in plan if p.new_version is None}
    return sum(p.new_version is True for plan in plans for p in plan) + len(common)


def assert_one_creator_per_common_cell(acknowledged: list[Acknowledged]) -> None:
    """Writers racing to submit the same content for a new cell: one was told it made version
    1 (201), every other that it was unchanged (200)."""
    common = [ack.submission for ack in acknowledged
              if ack.submission.cell_id.startswith("COMMON-")]
    creators = Counter(submission.cell_id for submission in common if submission.new_version)
    assert common and creators == Counter({submission.cell_id for submission in common}), (
        creators)


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
    installed = available_rulesets()
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
                results: dict[tuple[int, str], list[Result]] = defaultdict(list)
                for record in cell.results:
                    results[(record.version, record.ruleset)].append(record.result)
                    if record.ruleset == ruleset.id:
                        holdings.result_of_version[(cell.id, record.version)] = record.id
                for version in cell.versions:
                    content = json.dumps(version.dossier.model_dump(mode="json"),
                                         sort_keys=True)
                    assert content in sent_contents, f"{cell.id} v{version.version} was never sent"
                    for rules in installed:  # a version is stored under every rule set
                        assert results[(version.version, rules.id)] == [
                            classify(version.dossier, rules)], (
                            f"{cell.id} v{version.version} lacks its one result under "
                            f"{rules.id}, or has another's")
                    holdings.versions[(cell.id, version.version)] = content
    for ack in acknowledged:
        where = (ack.submission.cell_id, ack.submission.version)
        assert holdings.versions.get(where) == canonical(ack.dossier), (
            f"acknowledged {where} is missing or holds another dossier")
        assert holdings.result_of_version[where] == ack.submission.result.id
    assert holdings.audit_entries == api_keys + (1 + len(installed)) * len(
        holdings.versions), ("the audit log should have one entry per API key, dossier "
                             "version and result")
    return holdings


def assert_sqlite_file_intact(url: str) -> None:
    """SQLite's own check of every page and index, after a crash."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def create_registry(url: str, *, lab_keys: int = 0) -> list[str]:
    """Create the registry (as `solidcheck registry init` does) and that many keys of one
    lab (the writers share cells, so they are one organisation's instruments)."""
    with Registry.open(url, create=True) as registry:
        return [registry.create_api_key(role="lab", name=f"durability writer {n}",
                                        organisation="durability lab",
                                        actor="test:durability")[1] for n in range(lab_keys)]


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
    if wait_until_healthy(server.base_url, lambda: server.process.poll() is None,
                          limit_s=SERVER_START_LIMIT_S):
        return True
    if server.process.poll() is not None:
        return False
    pytest.fail(f"the server did not answer /healthz:\n{server.log.read_text(errors='replace')}")


@dataclass(frozen=True)
class Reply:
    """What the server answered to one planned submission."""

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
        if reply.planned.new_version is not None:
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
    resubmissions, and edits of the same cells racing each other — while the public reads the
    cells being edited and always sees a whole cell."""
    keys = create_registry(database_url, lab_keys=WRITERS)
    server = start_server(database_url)
    plans = [writer_plan(writer, SUBMISSIONS_PER_WRITER) for writer in range(WRITERS)]
    writing = threading.Event()
    writing.set()
    with ThreadPoolExecutor(WRITERS + 1) as pool:
        reading = pool.submit(read_while, writing, server.base_url,
                              [f"SHARED-{n}" for n in range(SHARED_CELLS)])
        try:
            replies = [reply for replies in pool.map(
                lambda writer: post_plan(server.base_url, keys[writer], plans[writer]),
                range(WRITERS)) for reply in replies]
        finally:
            writing.clear()
        torn_reads = reading.result()

    assert len(replies) == WRITERS * SUBMISSIONS_PER_WRITER
    acknowledged = acknowledged_replies(replies)
    holdings = assert_registry_holds(
        database_url, acknowledged, sent=[canonical(p.dossier) for p in itertools.chain(*plans)],
        api_keys=WRITERS)
    assert len(holdings.versions) == sum(ack.submission.new_version for ack in acknowledged)
    assert len(holdings.versions) == versions_planned(plans)
    assert_one_creator_per_common_cell(acknowledged)
    assert not torn_reads, torn_reads[:3]


def read_while(writing: threading.Event, base_url: str, cells: list[str]) -> list[str]:
    """Read cells, without a key, as long as ``writing`` is set; what was wrong with each
    reply: an error, or a cell whose versions and results do not fit together."""
    wrong = []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for cell_id in itertools.cycle(cells):
            if not writing.is_set():
                break
            response = client.get(f"/v1/cells/{cell_id}")
            if response.status_code == 404:
                continue  # not written yet
            if response.status_code != 200:
                wrong.append(f"GET {cell_id}: {response.status_code} {response.text[:300]}")
                continue
            cell = response.json()
            numbers = sorted(version["version"] for version in cell["versions"])
            if numbers != list(range(1, cell["latest_version"] + 1)):
                wrong.append(f"GET {cell_id}: latest {cell['latest_version']}, versions "
                             f"{numbers}")
            if {result["version"] for result in cell["results"]} - set(numbers):
                wrong.append(f"GET {cell_id}: a result of a version not listed")
            time.sleep(0.5)  # a reader, not a load generator
    return wrong


def test_reads_while_a_cell_is_edited_see_one_committed_state(database_url: str) -> None:
    """A cell read, or the chain verified, while writers edit that very cell shows one
    committed state of the registry: never a result of a version it does not list, never a
    stored version the log has not reached yet (which `registry verify` would call tampering)."""
    def edition(number: int) -> Dossier:
        return Dossier.model_validate(dossier("EDITED", model=f"edition {number}",
                                              loss_mg=EDITION_LOSS_MG[number % 3]))

    with Registry.open(database_url, create=True) as registry:
        registry.submit(edition(0), actor="test:durability")
        stop = threading.Event()
        failures: list[BaseException] = []

        def edit(writer: int) -> None:
            try:
                for number in range(1 + writer, 41, 2):
                    if not stop.is_set():
                        registry.submit(edition(number), actor=f"writer:{writer}")
            except BaseException as exc:
                failures.append(exc)

        writers = [threading.Thread(target=edit, args=(writer,)) for writer in range(2)]
        for writer in writers:
            writer.start()
        torn: list[str] = []
        reads = 0
        try:
            while any(writer.is_alive() for writer in writers) or reads == 0:
                reads += 1
                cell = registry.get_cell("EDITED")
                numbers = sorted(version.version for version in cell.versions)
                if numbers != list(range(1, cell.latest_version + 1)):
                    torn.append(f"latest {cell.latest_version}, versions {numbers[-3:]}")
                if {result.version for result in cell.results} != set(numbers):
                    torn.append("results and versions differ")
                if reads % 3 == 0 and not (chain := registry.verify_chain()).valid:
                    torn.append(f"verify_chain during writes: {chain.problems[:2]}")
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        assert not failures, failures
        assert registry.get_cell("EDITED").latest_version == 41
    assert not torn, torn[:5]


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
    create_registry(url)
    writers, submissions = 4, 100
    context = multiprocessing.get_context("fork")
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
    plans = [writer_plan(writer, submissions) for writer in range(writers)]
    for ack, plan in zip(acknowledged, itertools.chain(*plans), strict=True):
        assert plan.new_version in (None, ack.submission.new_version)
        assert plan.version in (None, ack.submission.version)
    holdings = assert_registry_holds(
        url, acknowledged, sent=[canonical(p.dossier) for p in itertools.chain(*plans)],
        api_keys=0)
    assert len(holdings.versions) == versions_planned(plans)
    assert_one_creator_per_common_cell(acknowledged)
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
                except httpx.TransportError:
                    return  # the server died, maybe with this request in it
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
    """SIGKILL the server while four clients write; the database then opens, the chain
    verifies, every 2xx'd submission is there as answered, and a restarted server writes."""
    key, = create_registry(database_url, lab_keys=1)
    hammering = hammer_then_kill(start_server(database_url), key, "KILLED", threads=4,
                                 replies_before_kill=60)
    acknowledged = acknowledged_replies(hammering.replies)
    assert_sqlite_file_intact(database_url)
    assert_registry_holds(database_url, acknowledged, sent=hammering.sent, api_keys=1)

    server = start_server(database_url)
    with httpx.Client(base_url=server.base_url, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as client:
        fresh = dossier("AFTER-THE-CRASH", model="edition 0", loss_mg=EDITION_LOSS_MG[0])
        first, again = client.post("/v1/cells", json=fresh), client.post("/v1/cells", json=fresh)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["version"] == again.json()["version"] == 1
        last_edition = next(ack for ack in acknowledged if ack.submission.version == 2)
        retried = client.post("/v1/cells", json=last_edition.dossier)
        assert retried.status_code == 200, "retrying an acknowledged write changes nothing"
        assert client.get("/v1/cells/AFTER-THE-CRASH").status_code == 200
    server.kill()
    acknowledged.append(Acknowledged(fresh, Submission.model_validate(first.json())))
    assert_registry_holds(database_url, acknowledged, sent=[*hammering.sent, canonical(fresh)],
                          api_keys=1)


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
    create_registry(url)
    context = multiprocessing.get_context("fork")
    acknowledged: list[Acknowledged] = []
    sent: list[dict[str, Any]] = []

    def note(kind: str, payload: dict[str, Any]) -> None:
        """A message of the writer: a dossier it is about to submit, or its stored answer."""
        if kind == "sending":
            sent.append(payload)
        else:
            acknowledged.append(Acknowledged(sent[-1], Submission.model_validate(payload)))

    for round_number, stored_before_kill in enumerate((25, 60, 110)):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_submit_until_killed,
                                  args=(url, f"LOOP{round_number}", sender))
        process.start()
        sender.close()
        try:
            stored_at_start = len(acknowledged)
            while len(acknowledged) - stored_at_start < stored_before_kill:
                note(*receiver.recv())
        finally:
            process.kill()  # SIGKILL
            process.join()
        with closing(receiver):
            while True:  # what the writer managed to say before it died
                try:
                    note(*receiver.recv())
                except EOFError:
                    break
        assert process.exitcode == -signal.SIGKILL
        assert_sqlite_file_intact(url)
        assert_registry_holds(url, acknowledged, sent=[canonical(body) for body in sent],
                              api_keys=0)

    with Registry.open(url) as registry:
        after = dossier("AFTER-THE-CRASH", model="edition 0", loss_mg=EDITION_LOSS_MG[0])
        submission = registry.submit(Dossier.model_validate(after), actor="test:durability")
    assert (submission.version, submission.new_version) == (1, True)
    assert_registry_holds(url, [*acknowledged, Acknowledged(after, submission)],
                          sent=[canonical(body) for body in [*sent, after]], api_keys=0)
