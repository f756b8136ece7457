"""Shared fixtures for the solidcheck test suite (none of them autouse)."""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from solidcheck import Dossier, classify
from solidcheck.batch.vector import result_row
from solidcheck.rules import Ruleset

EXAMPLES = Path(__file__).parents[1] / "examples"

# Real instrument files live beside the checkout (../shared/data, see its PROVENANCE.md) and
# are never copied into the repository. Tests that need them fail, not skip, without them.
SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data; a missing file is a test failure, never a skip."""
    path = SHARED_DATA / relative
    assert path.is_file(), (
        f"shared instrument file {path} is missing: the tests need ../shared/data beside the "
        "checkout (see shared/data/PROVENANCE.md)"
    )
    return path


@pytest.fixture
def examples_dir() -> Path:
    """The shipped example dossiers."""
    return EXAMPLES


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text (UTF-8) or bytes to ``tmp_path / name`` and return the path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


# --- databases ------------------------------------------------------------------------------
# The registry is tested on SQLite and on a real PostgreSQL server. `make test` installs
# PostgreSQL (apt-get); this fixture starts a private server for the session on a Unix socket
# in a fresh folder, so nothing on the machine is touched. A missing server is a failure, not
# a skip. SOLIDCHECK_TEST_POSTGRES_URL points the tests at a server of one's own instead.


def _postgres_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if not candidates:
        pytest.fail("PostgreSQL is not installed: the registry tests need a real server — run "
                    "`make test`, which installs it (apt-get install postgresql), or set "
                    "SOLIDCHECK_TEST_POSTGRES_URL", pytrace=False)
    return candidates[-1].parent


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run it as the `postgres` account."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An admin URL (psycopg form, no driver prefix) of a PostgreSQL server for the session."""
    configured = os.environ.get("SOLIDCHECK_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    binaries = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="solidcheck-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(_as_postgres_user([str(binaries / "initdb"), "-D", str(data), "-U",
                                      "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]),
                   check=True, capture_output=True)
    options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=on"
    subprocess.run(_as_postgres_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options,
                                      "-l", str(folder / "server.log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run(_as_postgres_user([str(binaries / "pg_ctl"), "-D", str(data), "-m",
                                          "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fresh_postgres_database(admin_url: str, *, prefix: str = "solidcheck") -> Iterator[str]:
    """A new, empty database on the server at ``admin_url`` as a SQLAlchemy URL; dropped
    afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin_url.partition("?")
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1].rsplit('/', 1)[0]}/{name}?{query}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, as a SQLAlchemy URL."""
    with fresh_postgres_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The registry's URL on each database it supports: SQLite in tmp_path, and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# --- servers started by the tests ---------------------------------------------------------


def wait_until_healthy(base_url: str, alive: Callable[[], bool], *, limit_s: float) -> bool:
    """Poll ``/healthz`` until it answers 200 (True); False if ``alive()`` turns false (the
    process exited) or ``limit_s`` passes first."""
    import httpx

    deadline = time.monotonic() + limit_s
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if not alive():
                return False
            try:
                if client.get("/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    return False


# --- the batch results, row by row ----------------------------------------------------------

def classify_row(dossier: Dossier, ruleset: Ruleset) -> dict[str, Any]:
    """``classify``'s result as a row of the batch results (docs/batch.md), to compare."""
    return result_row(classify(dossier, ruleset))


def same_value(got: Any, want: Any) -> bool:
    """Equal and of one type; floats equal bit for bit (so -0.0 is not 0.0)."""
    if isinstance(want, float) and isinstance(got, float):
        return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
    return bool(got == want) and type(got) is type(want)


# --- browser tests: one headless Chromium per module, and where screenshots go ---------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (imported here: only browser tests need it)."""
    from playwright.sync_api import sync_playwright

    from browser_support import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Screenshots and downloads kept for a person to look at (``$SOLIDCHECK_TEST_ARTIFACTS``,
    else out/test-artifacts)."""
    folder = Path(os.environ.get("SOLIDCHECK_TEST_ARTIFACTS")
                  or Path(__file__).parents[1] / "out" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- a registry made before a rule set was installed -------------------------------------------

@contextmanager
def only_rulesets_installed(*ruleset_ids: str) -> Iterator[None]:
    """Cells submitted inside are classified under these rule sets only, as in a registry
    filled before the others were installed (the gaps ``registry reclassify`` fills)."""
    from solidcheck.registry.store import every_ruleset
    from solidcheck.rules import ruleset_by_id

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(every_ruleset, "available_rulesets",
                      lambda: [ruleset_by_id(ruleset_id) for ruleset_id in ruleset_ids])
        yield
