"""The web layer's bounded work (issue 13): each kind of body refused with 413 as soon as it
streams past its own limit, before any of it is parsed; CPU-heavy work in a bounded pool with
a time budget, so that a health probe is answered while it runs; uploaded file names checked;
no server path in a page; and the rate limit not escaped by a forged X-Forwarded-For through
a real ``solidcheck serve``."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

import solidcheck.web.api.classification as classification_module
from solidcheck.dossier import MAX_DOSSIER_BYTES
from solidcheck.errors import InvalidInputError
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.heavy import HeavyWork
from solidcheck.web.inputs import upload_name

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's test client prefers httpx2
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
LAB = EXAMPLES / "lab"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
#: a file name that is a problem, and what the problem says
BAD_NAMES = {
    "..": "is not a file's name",
    "a/../..": "is not a file's name",
    "dir/": "is not a file's name",
    "x" * 256: "over 255 bytes",
    "é" * 128: "over 255 bytes",  # 128 characters, 256 bytes of UTF-8
    "oven\x7flog.csv": "U+007F",
    "oven\x85log.csv": "U+0085",
    "oven\x1blog.csv": "U+001B",
    "log\u202evsc.exe": "U+202E",
    "oven\u200blog.csv": "U+200B",
}


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., FastAPI]]:
    """An app over a fresh SQLite registry, the rate limit off unless asked for."""
    registries: list[Registry] = []

    def make(**settings: Any) -> FastAPI:
        registry = Registry.open(f"sqlite:///{tmp_path / 'limits.sqlite3'}", create=True)
        registries.append(registry)
        return create_app(Settings(**{"rate_limit_per_minute": 0, **settings}),
                          registry=registry)

    yield make
    for registry in registries:
        registry.close()


# ------------------------------------------------------------------ bodies, while streaming


def call_asgi(app: FastAPI, path: str, chunks: list[bytes], headers: dict[str, str]
              ) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` as a body straight through the ASGI interface (no client that reads
    the whole body first): the status, the JSON answer, and how many chunks the app took."""
    taken = 0
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal taken
        if taken < len(chunks):
            taken += 1
            return {"type": "http.request", "body": chunks[taken - 1],
                    "more_body": taken < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], json.loads(body), taken


def test_a_chunked_dossier_over_the_limit_is_refused_before_it_is_all_read(
        make_app: Callable[..., FastAPI]) -> None:
    app = make_app()
    chunk = b"# " + b"x" * (64 * 1024 - 3) + b"\n"
    chunks = [chunk] * 32  # 2 MiB, no Content-Length
    status, body, taken = call_asgi(app, "/v1/classify", chunks,
                                    {"Content-Type": "application/yaml"})
    assert status == 413
    assert f"the dossier is larger than this server's limit of {MAX_DOSSIER_BYTES}" \
        in body["message"]
    assert taken <= MAX_DOSSIER_BYTES // len(chunk) + 1 < len(chunks)


def test_a_declared_length_over_the_limit_is_refused_without_reading(
        make_app: Callable[..., FastAPI]) -> None:
    app = make_app()
    for path, media in (("/v1/classify", "application/yaml"),
                        ("/v1/verify", "application/json")):
        status, body, taken = call_asgi(app, path, [b"{}"], {
            "Content-Type": media, "Content-Length": str(2_000_000)})
        assert (status, taken) == (413, 0), body


def test_audit_text_over_its_limit_is_413_as_json_and_as_an_upload(
        make_app: Callable[..., FastAPI]) -> None:
    client = TestClient(make_app(max_audit_bytes=10_000))
    small = client.post("/v1/audit", json={"text": "A semi-solid battery."})
    assert small.status_code == 200, small.text
    too_long = client.post("/v1/audit", json={"text": "solid-state " * 2000})
    assert too_long.status_code == 413
    assert "10000 bytes" in too_long.json()["message"]
    upload = client.post("/v1/audit", files={"file": ("claims.txt", b"solid " * 3000,
                                                      "text/plain")})
    assert upload.status_code == 413
    status, _, taken = call_asgi(make_app(max_audit_bytes=10_000), "/v1/audit",
                                 [b'{"text": "' + b"x" * 4096] * 100 + [b'"}'],
                                 {"Content-Type": "application/json"})
    assert status == 413 and taken < 10


def test_an_evidence_upload_over_its_limit_is_413_while_it_streams(
        make_app: Callable[..., FastAPI]) -> None:
    app = make_app(max_evidence_bytes=50_000)
    registry: Registry = app.state.registry
    _, secret = registry.create_api_key(role="lab", name="limits lab", actor="test")
    boundary = "limits"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"oven.csv\"\r\n\r\n").encode()
    chunks = [head] + [b"1,2,3\n" * 10_000] * 20
    status, body, taken = call_asgi(app, "/v1/cells/ANY/evidence", chunks, {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Bearer {secret}"})
    assert status == 413, body
    assert taken < len(chunks)


# ------------------------------------------------------------------ file names


@pytest.mark.parametrize("name", list(BAD_NAMES), ids=lambda n: repr(n)[:20])
def test_a_bad_file_name_is_a_clear_problem(name: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        upload_name(name)
    (problem,) = caught.value.problems
    assert problem.path == "file"
    assert BAD_NAMES[name] in problem.message
    assert problem.fix  # how to put it right


@pytest.mark.parametrize(("sent", "kept"), [
    ("oven-log.csv", "oven-log.csv"), ("C:\\data\\oven.csv", "oven.csv"),
    ("../../etc/oven.csv", "oven.csv"), ("烘箱记录.csv", "烘箱记录.csv"),
    ("é" * 126 + ".c", "é" * 126 + ".c")])
def test_a_good_file_name_is_kept_as_its_base_name(sent: str, kept: str) -> None:
    assert upload_name(sent) == kept


@pytest.mark.parametrize("name", ["..", "a/../..", "x" * 300, "log\u202evsc.txt",
                                  "a\x7fb.txt"], ids=lambda n: repr(n)[:20])
def test_uploads_with_a_bad_name_are_422_not_500(make_app: Callable[..., FastAPI],
                                                 name: str) -> None:
    client = TestClient(make_app())
    response = client.post("/v1/audit", files={"file": (name, b"A solid-state cell.",
                                                        "text/plain")})
    assert response.status_code == 422, response.text
    assert [p["path"] for p in response.json()["problems"]] == ["file"]
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    _, secret = registry.create_api_key(role="lab", name="names lab", actor="test")
    evidence = client.post("/v1/cells/ANY/evidence",
                           files={"file": (name, (LAB / "oven-log-s1.csv").read_bytes(),
                                           "text/csv")},
                           headers={"Authorization": f"Bearer {secret}"})
    assert evidence.status_code == 422, evidence.text
    assert [p["path"] for p in evidence.json()["problems"]] == ["file"]


# ------------------------------------------------------------------ the classify form


def page_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def post_form(client: TestClient, data: dict[str, Any],
              files: dict[str, tuple[str, bytes, str]]) -> httpx.Response:
    token = TOKEN.search(client.get("/classify").text)
    assert token
    response: httpx.Response = client.post("/classify", data={"csrf_token": token[1], **data},
                                           files=files)
    return response


def test_the_form_refuses_a_bad_oven_log_name_at_its_field(
        make_app: Callable[..., FastAPI]) -> None:
    client = TestClient(make_app())
    log = (LAB / "oven-log-s1.csv").read_bytes()
    for name in ("..", "a/../..", "é" * 200 + ".csv", "oven\u202elog.csv"):
        page = post_form(client, {}, {"oven_log": (name, log, "text/csv"),
                                      "dossier_file": ("cell.yaml",
                                                       (LAB / "cell-s1.yaml").read_bytes(),
                                                       "application/yaml")})
        assert page.status_code == 422, page_text(page.text)
        assert 'href="#oven_log"' in page.text
        assert "the file name" in page_text(page.text)


def test_a_dossier_of_too_many_specimens_is_a_422_page_naming_the_limit_not_a_path(
        make_app: Callable[..., FastAPI]) -> None:
    client = TestClient(make_app())
    data = yaml.safe_load((EXAMPLES / "sulfide-high-energy.yaml").read_text("utf-8"))
    data["weight_loss_test"]["specimens"] = [
        {"mass_before_g": 50 + i / 1e6, "mass_after_g": 49.99} for i in range(1001)]
    page = post_form(client, {}, {"dossier_file": ("many specimens.yaml",
                                                   yaml.safe_dump(data).encode(),
                                                   "application/yaml")})
    assert page.status_code == 422
    text = page_text(page.text)
    assert "1000" in text and "1001" in text
    assert "/tmp" not in page.text and "solidcheck-form-" not in page.text


# ------------------------------------------------------------------ heavy work, bounded


def padded_dossier() -> bytes:
    """A dossier over the size classified on the event loop: heavy work."""
    return (EXAMPLES / "sulfide-high-energy.yaml").read_bytes() + b"# padding\n" * 5000


@pytest.fixture
def held_classify(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event,
                                                                     threading.Semaphore]]:
    """Classification that waits for ``gate`` (released at the end whatever happens);
    ``started`` counts calls that began."""
    gate, started = threading.Event(), threading.Semaphore(0)
    real = classification_module._classify

    def held(body: bytes, ruleset: str | None, lang: str) -> Any:
        started.release()
        gate.wait(timeout=30)
        return real(body, ruleset, lang)

    monkeypatch.setattr(classification_module, "_classify", held)
    yield gate, started
    gate.set()


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def test_health_answers_while_heavy_work_fills_the_pool_and_more_is_refused(
        make_app: Callable[..., FastAPI],
        held_classify: tuple[threading.Event, threading.Semaphore]) -> None:
    gate, started = held_classify
    app = make_app(heavy_workers=2, heavy_queue=1)
    pool: HeavyWork = app.state.heavy
    statuses: list[int] = []
    with TestClient(app) as client:
        def classify() -> None:
            statuses.append(client.post("/v1/classify", content=padded_dossier(),
                                        headers={"Content-Type": "application/yaml"}
                                        ).status_code)

        threads = [threading.Thread(target=classify) for _ in range(3)]
        for thread in threads:
            thread.start()
        assert started.acquire(timeout=10) and started.acquire(timeout=10)
        wait_until(lambda: pool.pending == 3)  # two running, one waiting
        refused = client.post("/v1/classify", content=padded_dossier(),
                              headers={"Content-Type": "application/yaml"})
        assert refused.status_code == 503
        assert refused.headers["Retry-After"].isdigit()
        assert "busy" in refused.json()["message"]
        for _ in range(5):  # the loop and the light routes' threads are free
            health = client.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
        assert client.get("/v1/rulesets").status_code == 200
        gate.set()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses == [200, 200, 200]
    wait_until(lambda: pool.pending == 0)


def test_work_over_the_budget_is_503_and_keeps_its_worker_until_it_ends(
        make_app: Callable[..., FastAPI],
        held_classify: tuple[threading.Event, threading.Semaphore]) -> None:
    gate, _ = held_classify
    app = make_app(heavy_workers=1, heavy_queue=0, request_budget_s=0.2)
    pool: HeavyWork = app.state.heavy
    with TestClient(app) as client:
        late = client.post("/v1/classify", content=padded_dossier(),
                           headers={"Content-Type": "application/yaml"})
        assert late.status_code == 503
        assert "took longer than this server's budget of 0.2 s" in late.json()["message"]
        assert pool.pending == 1  # still running: its worker is not given to another
        busy = client.post("/v1/classify", content=padded_dossier(),
                           headers={"Content-Type": "application/yaml"})
        assert busy.status_code == 503 and "busy" in busy.json()["message"]
        assert client.get("/healthz").status_code == 200
        gate.set()
        wait_until(lambda: pool.pending == 0)


def test_a_heavy_call_from_a_heavy_worker_runs_in_place() -> None:
    pool = HeavyWork(workers=1, queue=0, budget_s=5)
    try:
        nested = asyncio.run(pool.run(lambda: pool.run_blocking(lambda: 42)))
        assert nested == 42
    finally:
        pool.close()


# ------------------------------------------------------------------ proxy headers, for real


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {**os.environ, "SOLIDCHECK_DATABASE_URL":
                   f"sqlite:///{tmp_path / f'serve-{port}.sqlite3'}", **env}
    command = [str(Path(sys.executable).parent / "solidcheck"), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "solidcheck serve exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "solidcheck serve did not start"
        time.sleep(0.1)


def statuses_with_rotating_forwarded_for(base: str, count: int) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as client:
        return [client.get("/v1/rulesets", headers={"X-Forwarded-For": f"203.0.113.{i}"}
                           ).status_code for i in range(count)]


def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(tmp_path: Path) -> None:
    process, base = serve(tmp_path, SOLIDCHECK_RATE_LIMIT="5")
    try:
        statuses = statuses_with_rotating_forwarded_for(base, 8)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}


def test_a_named_proxy_is_believed(tmp_path: Path) -> None:
    process, base = serve(tmp_path, SOLIDCHECK_RATE_LIMIT="5",
                          SOLIDCHECK_TRUSTED_PROXIES="127.0.0.1, ::1")
    try:
        statuses = statuses_with_rotating_forwarded_for(base, 8)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert statuses == [200] * 8  # each forwarded client has its own limit
