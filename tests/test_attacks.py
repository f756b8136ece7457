"""Attacks on a real server process: each finding of issue 13, reproduced, and the fixed
behaviour asserted.

Every test here attacks a uvicorn process on loopback (``tests/attack_server.py``), the way
the findings were made. The denial-of-service attacks run under ``under_attack``: a health
probe GETs ``/healthz`` every 50 ms from another connection and the server's memory is read
from ``/proc/<pid>/status`` throughout. What is asserted are **limits** — the server's peak
memory grows by less than 300 MB, no probe waits 1 s or more, the attack is answered (within a
20 s client timeout) with the expected status, and the server is healthy afterwards — never
the attack's own timing. A server whose memory runs away is killed at a hard cap far above
the limit, so an unfixed server fails the test instead of exhausting the machine.

Ownership and forged certificates run on SQLite and on conftest's PostgreSQL server, a server
per database for the module (each test on cells of its own); the rest
share one SQLite server per module, restarted if an attack killed it.

Findings (issue 13): 1 forged verdicts, 2 ownership between labs and look-alike cell ids,
3 anonymous denial of service, 4 a stored dossier that is a memory bomb, 5 smaller ones.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from attack_server import (
    SOLIDCHECK_CLI,
    AttackReport,
    Server,
    ServerSlot,
    clean_env,
    start_server,
    under_attack,
)
from conftest import fresh_postgres_database
from solidcheck.certificates import (
    canonical_json,
    certificate_bytes,
    certify,
    fingerprint,
    generate_key,
    public_key_base64,
    write_public_key,
)
from solidcheck.registry import Registry
from solidcheck.rules import available_rulesets

EXAMPLES = Path(__file__).parents[1] / "examples"
OVEN_LOG = EXAMPLES / "lab" / "oven-log-s1.csv"
HYBRID_EXAMPLE = EXAMPLES / "semi-solid-marketed.yaml"

#: the limits asserted during every denial-of-service attack
MAX_GROWTH_MB = 300
MAX_PROBE_S = 1.0
#: how long a client waits for any answer: an attack not answered by then has hung the server
CLIENT_TIMEOUT_S = 20.0
#: the most specimens a dossier may have (the contract), and the most problems listed
SPECIMEN_LIMIT = 1000
PROBLEMS_LISTED = 100
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_ID_IN_TEXT = re.compile(r"key:\s*[0-9a-f]{12}")


# =========================================================================== helpers


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_keys(database_url: str, *wanted: tuple[str, str]) -> list[tuple[str, str]]:
    """Keys (role, name) made through the registry's own API, their organisation their name:
    [(id, secret)], in order."""
    made = []
    with Registry.open(database_url, create=True) as registry:
        for role, name in wanted:
            record, secret = registry.create_api_key(role=role,  # type: ignore[arg-type]
                                                     name=name, actor="cli:attack-tests")
            made.append((record.id, secret))
    return made


def make_key(database_url: str, role: str, name: str) -> tuple[str, str]:
    [made] = make_keys(database_url, (role, name))
    return made


def cli(*args: str, database_url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run ``solidcheck ARGS --database URL``; output captured, never checked here."""
    return subprocess.run([SOLIDCHECK_CLI, *args, "--database", database_url],
                          capture_output=True, text=True, timeout=60,
                          env=clean_env(folder / "cli-data"))


def hybrid_dossier(cell_id: str, *, manufacturer: str = "Lab A Cells",
                   model: str = "H1") -> dict[str, Any]:
    """The semi-solid example (a hybrid solid-liquid cell under the national standard)."""
    dossier: dict[str, Any] = yaml.safe_load(HYBRID_EXAMPLE.read_text(encoding="utf-8"))
    dossier.update(id=cell_id, manufacturer=manufacturer, model=model)
    return dossier


def dossier_bytes(dossier: dict[str, Any]) -> bytes:
    return json.dumps(dossier, ensure_ascii=False).encode("utf-8")


def sulfide_dossier(cell_id: str, specimens: int = 1) -> dict[str, Any]:
    return {
        "schema_version": 1, "id": cell_id, "manufacturer": "Attack Cells", "model": "S1",
        "electrolyte": {"phases": ["solid"], "solid_type": "sulfide"},
        "conducting_ion": "lithium", "application": "high_energy",
        "ratings": {"max_power_w": 1500, "energy_1c_wh": 300},
        "weight_loss_test": {
            "temperature_c": 120.4, "duration_h": 6.0, "pressure_pa": 50,
            "visible_liquid": False, "balance_resolution_mg": 0.1,
            "specimens": [{"mass_before_g": round(52.0 + i / 1000, 4),
                           "mass_after_g": round(51.9 + i / 1000, 4)}
                          for i in range(specimens)],
        },
    }


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def resign(cert: dict[str, Any], key: Any) -> bytes:
    """A certificate edited and signed again, properly, with ``key``: what a forger does."""
    body = {name: value for name, value in cert.items() if name != "signature"}
    signature = base64.b64encode(key.sign(canonical_json(body))).decode("ascii")
    return certificate_bytes({**body, "signature": {"algorithm": "Ed25519",
                                                    "value": signature}})


def form_token(client: httpx.Client) -> str:
    """The /classify form's CSRF token (its cookie stays in the client)."""
    page = client.get("/classify")
    match = CSRF_TOKEN.search(page.text)
    assert page.status_code == 200 and match, f"/classify has no CSRF token ({page.status_code})"
    return match[1]


# --- payloads -------------------------------------------------------------------------------


def alias_bomb(levels: int = 9, size: int = 487) -> bytes:
    """The YAML alias bomb: ``levels`` nested levels of ``&x [*y, ×9]`` (9**levels leaves) in
    the dossier's id, padded with a comment to ``size`` bytes."""
    items = ["&a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    for level in range(1, levels):
        items.append(f"&a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    document = ("id: [" + ", ".join(items) + "]\nelectrolyte: {phases: [liquid]}\n"
                "conducting_ion: lithium\n")
    padding = size - len(document) - 2
    if padding > 0:
        document += "#" + "x" * padding + "\n"
    return document.encode("ascii")


def aliased_specimens(specimen: str, *, cell_id: str, size: int = 999_000) -> bytes:
    """A ~``size``-byte YAML dossier whose specimen list is one anchored specimen aliased as
    often as fits (``, *s`` is four bytes: ~250,000 specimens in 999 KB)."""
    head = (f"id: {cell_id}\nmanufacturer: Attack Cells\nelectrolyte: {{phases: [solid], "
            "solid_type: sulfide}\nconducting_ion: lithium\napplication: high_energy\n"
            "weight_loss_test: {temperature_c: 120, duration_h: 6, pressure_pa: 50, "
            f"visible_liquid: false, balance_resolution_mg: 0.1, specimens: [&s {specimen}")
    tail = "]}\n"
    count = (size - len(head) - len(tail)) // 4
    return (head + ", *s" * count + tail).encode("ascii")


def explicit_bad_specimens(count: int, *, cell_id: str) -> bytes:
    """A dossier of ``count`` bad specimens written out (no alias): two problems each."""
    specimens = ", ".join("{mass_before_g: -1, mass_after_g: x}" for _ in range(count))
    return (f"id: {cell_id}\nelectrolyte: {{phases: [solid], solid_type: sulfide}}\n"
            "conducting_ion: lithium\nweight_loss_test: {temperature_c: 120, duration_h: 6, "
            "pressure_pa: 50, visible_liquid: false, balance_resolution_mg: 0.1, "
            f"specimens: [{specimens}]}}\n").encode("ascii")


_XLSX_PARTS = {
    "[Content_Types].xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="log" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def xlsx_bomb(rows: int) -> bytes:
    """A small .xlsx whose one sheet is an oven log of ``rows`` identical rows (a header the
    reader recognises, then ``30 s, 120 °C, 0.5 kPa``): the sheet XML deflates ~1000:1."""
    header = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Time (s)</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>Temperature (°C)</t></is></c>'
              '<c r="C1" t="inlineStr"><is><t>Pressure (kPa)</t></is></c></row>')
    block = b"<row><c><v>30</v></c><c><v>120</v></c><c><v>0.5</v></c></row>" * 10_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(header.encode("utf-8"))
            for _ in range(rows // 10_000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


#: the /classify form's fields of a cell whose weight-loss conditions come from the oven log
XLSX_FORM_FIELDS = {
    "id": "XLSX-BOMB-1", "manufacturer": "Attack Cells", "phase": "solid",
    "solid_type": "sulfide", "conducting_ion": "lithium", "application": "high_energy",
    "wl_visible_liquid": "no", "wl_balance_resolution_mg": "0.1",
    "specimen_1_before": "52.1034", "specimen_1_after": "51.9876",
}
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- watching an attack ---------------------------------------------------------------------

Outcome = httpx.Response | Exception


def attack(server: Server, send: Callable[[], Outcome]) -> tuple[Outcome, AttackReport]:
    """Run ``send`` against ``server`` under the health probe and the memory sampler."""
    with under_attack(server) as report:
        try:
            outcome = send()
        except httpx.HTTPError as exc:
            outcome = exc
    return outcome, report


def assert_bounded(server: Server, outcomes: Outcome | list[Outcome], report: AttackReport,
                   expected: set[int]) -> list[httpx.Response]:
    """Every limit at once, so a failure names everything that went wrong: each attack
    answered with an expected status, memory growth, the probe's worst wait, the server
    healthy after."""
    failures = []
    responses = []
    for outcome in outcomes if isinstance(outcomes, list) else [outcomes]:
        if isinstance(outcome, Exception):
            failures.append(f"not answered ({type(outcome).__name__}: {outcome})")
        elif outcome.status_code not in expected:
            failures.append(f"answered {outcome.status_code}, expected {sorted(expected)}: "
                            f"{outcome.text[:160]!r}")
        else:
            responses.append(outcome)
    if report.growth_mb >= MAX_GROWTH_MB:
        failures.append(f"memory grew {report.growth_mb:.0f} MB (limit {MAX_GROWTH_MB})")
    if report.worst_probe_s >= MAX_PROBE_S:
        failures.append(f"/healthz waited {report.worst_probe_s:.2f} s (limit {MAX_PROBE_S})")
    if report.probe_failures:
        failures.append(f"{report.probe_failures} health probe(s) failed")
    if not server.healthy():
        failures.append("server not healthy after the attack")
    print(f"under attack: {report.summary()}")  # shown with -s / -rP, and on failure
    assert not failures, "; ".join(failures) + f" [{report.summary()}]"
    return responses


def problems_of(response: httpx.Response) -> list[dict[str, Any]]:
    body = json_or_none(response)
    assert isinstance(body, dict) and isinstance(body.get("problems"), list), response.text[:300]
    problems: list[dict[str, Any]] = body["problems"]
    return problems


def mentions_the_rest(response: httpx.Response) -> bool:
    """The error says how many problems it did not list: a count above those listed appears
    in its message, another top-level member, or the last listed problem."""
    body = response.json()
    listed = len(body["problems"])
    rest = {name: value for name, value in body.items()
            if name not in ("problems", "request_id")}
    text = json.dumps(rest) + json.dumps(body["problems"][-1:])
    counts = [int(n.replace(",", "").replace("_", "")) for n in
              re.findall(r"(?<![\w\[.])\d[\d,_]*(?![\w\]])", text)]
    return any(count > listed for count in counts)


# =========================================================================== fixtures


@pytest.fixture(scope="module")
def shared_slot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerSlot]:
    folder = tmp_path_factory.mktemp("shared-server")
    slot = ServerSlot(f"sqlite:///{folder / 'registry.sqlite3'}", folder)
    yield slot
    slot.close()


@pytest.fixture
def server(shared_slot: ServerSlot) -> Server:
    """The module's SQLite server, alive and healthy (started again if an attack killed it)."""
    return shared_slot.get()


@dataclass(frozen=True)
class SharedKeys:
    admin: str
    lab: str
    lab_id: str


@pytest.fixture(scope="module")
def shared_keys(shared_slot: ServerSlot) -> SharedKeys:
    (_, admin), (lab_id, lab) = make_keys(shared_slot.database_url, ("admin", "Shared Admin"),
                                          ("lab", "Shared Lab"))
    return SharedKeys(admin, lab, lab_id)


@pytest.fixture(scope="module")
def fresh_slot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerSlot]:
    """A second SQLite server, for attacks that must not share a registry with the others
    (the last admin key; a stored memory bomb)."""
    folder = tmp_path_factory.mktemp("fresh-server")
    slot = ServerSlot(f"sqlite:///{folder / 'registry.sqlite3'}", folder)
    yield slot
    slot.close()


@pytest.fixture(scope="module")
def xlsx_oven_log() -> bytes:
    """5 million rows in a workbook of under 1 MB."""
    return xlsx_bomb(5_000_000)


@dataclass(frozen=True)
class LabServer:
    """A server on one database, kept for the module, with an admin key and two labs' keys."""

    server: Server
    database_url: str
    admin: str
    lab_a: str
    lab_a_id: str
    lab_b: str


@dataclass
class Labs:
    """The module's server on one database, and a cell lab A stored for this test alone."""

    server: Server
    database_url: str
    folder: Path
    admin: str
    lab_a: str
    lab_a_id: str
    lab_b: str
    token: str
    cell_id: str
    cell_dossier: dict[str, Any]

    def id(self, prefix: str) -> str:
        """A cell id of this test's own."""
        return f"{prefix}-{self.token}"

    def client(self, secret: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=CLIENT_TIMEOUT_S,
                            headers=bearer(secret) if secret else {})

    def cell(self, secret: str | None = None, cell_id: str | None = None) -> httpx.Response:
        with self.client(secret or self.lab_a) as client:
            return client.get(f"/v1/cells/{cell_id or self.cell_id}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry database for the module on each database the registry supports: SQLite,
    and a fresh database on conftest's PostgreSQL server (``postgres_server``, the one
    ``database_url`` uses) — a module's server per database rather than one per test, to keep
    this file's run short."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('labs') / 'registry.sqlite3'}"
        return
    admin_url: str = request.getfixturevalue("postgres_server")
    with fresh_postgres_database(admin_url, prefix="solidcheck_attacks") as url:
        yield url


@pytest.fixture(scope="module")
def lab_server(module_database_url: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    (_, admin), (lab_a_id, lab_a), (_, lab_b) = make_keys(
        module_database_url, ("admin", "Registry Admin"), ("lab", "Lab A"), ("lab", "Lab B"))
    server = start_server(module_database_url, tmp_path_factory.mktemp("lab-server"))
    try:
        yield LabServer(server, module_database_url, admin, lab_a, lab_a_id, lab_b)
    finally:
        server.stop()


@pytest.fixture
def labs(lab_server: LabServer, tmp_path: Path) -> Labs:
    """On SQLite and PostgreSQL: lab A ("Lab A") has stored a hybrid cell for this test;
    lab B ("Lab B") is another organisation."""
    if not lab_server.server.healthy():
        pytest.fail(f"the server is down:\n{lab_server.server.log_tail()}")
    token = uuid.uuid4().hex[:8].upper()
    cell_id = f"OWN-{token}"
    dossier = hybrid_dossier(cell_id)
    setup = Labs(lab_server.server, lab_server.database_url, tmp_path, lab_server.admin,
                 lab_server.lab_a, lab_server.lab_a_id, lab_server.lab_b, token, cell_id,
                 dossier)
    with setup.client(setup.lab_a) as client:
        created = client.post("/v1/cells", content=dossier_bytes(dossier),
                              headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    return setup


def trust_issuer(labs: Labs, key: Any, name: str) -> httpx.Response:
    """An admin adds an issuer key through the API."""
    with labs.client(labs.admin) as client:
        return client.post("/v1/issuers", json={
            "name": name, "public_key": public_key_base64(key.public_key())})


# =========================================================================== 1. forged verdicts


def test_forged_verdict_signed_with_a_trusted_lab_key_is_refused(labs: Labs) -> None:
    """Finding 1 (critical): a lab certifies a hybrid cell's dossier with its own key, edits
    the certificate's result to solid-state (or one finding's message), re-signs it properly
    and POSTs it: the registry must refuse it (422) because the result is not its own
    classification of that dossier version, even though the issuer is trusted — and the cell
    must not show solid-state anywhere, the page must not break, the log must verify."""
    key = generate_key()
    public = labs.folder / "lab-a.pub"
    write_public_key(public, key.public_key())
    added = cli("registry", "issuers", "add", "--name", "Lab A", "--public-key", str(public),
                database_url=labs.database_url, folder=labs.folder)
    assert added.returncode == 0, added.stdout + added.stderr
    with labs.client(labs.admin) as admin:
        listed = admin.get("/v1/issuers")
    assert fingerprint(key.public_key()) in listed.text, (listed.status_code, listed.text[:300])

    honest = certify(dossier_bytes(labs.cell_dossier), key=key, issuer_name="Lab A")
    assert honest["result"]["category"] == "hybrid_solid_liquid"
    as_solid = json.loads(json.dumps(honest))
    as_solid["result"]["category"] = "solid_state"
    as_solid["result"]["terms"] = {"en": "solid-state battery", "zh": "固态电池"}
    as_solid["result"]["code"] = "SCP1-SSB-OXI-LI-HE/gbt-ssb-1-2026"
    one_message = json.loads(json.dumps(honest))
    one_message["result"]["findings"][0]["message"] = "the cell passed every test"

    with labs.client(labs.lab_a) as client:
        for forged in (as_solid, one_message):
            answer = client.post("/v1/certificates", content=resign(forged, key),
                                 headers={"Content-Type": "application/json"})
            assert answer.status_code == 422, (answer.status_code, answer.text[:300])
            assert "result" in answer.text.lower(), answer.text[:300]
        found = client.get("/v1/cells", params={"category": "solid_state", "q": labs.cell_id})
    assert found.status_code == 200 and found.json()["total"] == 0, found.text[:300]

    for secret in (labs.lab_a, None):
        cell = labs.cell(secret)
        assert cell.status_code == 200, cell.text[:300]
        detail = cell.json()
        assert [r["result"]["category"] for r in detail["results"]] == [
            "hybrid_solid_liquid"] * len(available_rulesets())  # stored under each (issue 20)
        assert detail["certificates"] == []
    with labs.client() as anonymous:
        page = anonymous.get(f"/cells/{labs.cell_id}")
    assert page.status_code == 200, page.text[:300]
    assert "cat-solid_state" not in page.text and "cat-hybrid_solid_liquid" in page.text
    verified = cli("registry", "verify", database_url=labs.database_url, folder=labs.folder)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_certificates_need_a_trusted_issuer_and_are_stored_once(labs: Labs) -> None:
    """Finding 1 (no list of trusted issuers) and 5 (the same certificate stored again and
    again): an honest certificate from an unknown key is refused (422, saying the issuer is
    not trusted); once an admin trusts the key (POST /v1/issuers) it is kept (201), posting
    the same bytes again answers 200 and the cell lists it once; an issuer removed
    (DELETE /v1/issuers/{fingerprint}) is no longer listed."""
    key = generate_key()
    honest = certificate_bytes(certify(dossier_bytes(labs.cell_dossier), key=key,
                                       issuer_name="Lab A"))
    headers = {"Content-Type": "application/json"}
    with labs.client(labs.lab_a) as client:
        untrusted = client.post("/v1/certificates", content=honest, headers=headers)
        assert untrusted.status_code == 422, (untrusted.status_code, untrusted.text[:300])
        assert "trust" in untrusted.text.lower(), untrusted.text[:300]
        refused = client.post("/v1/issuers", json={
            "name": "Lab A", "public_key": public_key_base64(key.public_key())})
        assert refused.status_code == 403, "a lab key may not add trusted issuers"

        trusted = trust_issuer(labs, key, "Lab A")
        assert trusted.status_code in (200, 201), trusted.text[:300]
        issuers = client.get("/v1/issuers")
        assert issuers.status_code == 200
        assert fingerprint(key.public_key()) in issuers.text

        first = client.post("/v1/certificates", content=honest, headers=headers)
        assert first.status_code == 201, first.text[:300]
        again = client.post("/v1/certificates", content=honest, headers=headers)
        assert again.status_code == 200, (again.status_code, again.text[:300])
    detail = labs.cell().json()
    assert [c["sha256"] for c in detail["certificates"]] == [first.json()["sha256"]]
    assert [r["result"]["category"] for r in detail["results"]] == [
            "hybrid_solid_liquid"] * len(available_rulesets())  # stored under each (issue 20)

    with labs.client(labs.admin) as admin:
        removed = admin.delete(f"/v1/issuers/{fingerprint(key.public_key())}")
        assert removed.status_code in (200, 204), removed.text[:300]
        listed = admin.get("/v1/issuers").json()
    active = [issuer for issuer in listed if not issuer.get("removed_at")]
    assert fingerprint(key.public_key()) not in json.dumps(active)


# =========================================================================== 2. ownership


def test_another_lab_cannot_add_a_version_to_a_cell(labs: Labs) -> None:
    """Finding 2: lab B's key added versions to lab A's cell, changing its maker, model and
    verdict. Now 403, and the cell is unchanged."""
    takeover = hybrid_dossier(labs.cell_id, manufacturer="Lab B Imports", model="B-1")
    takeover["electrolyte"] = {"phases": ["solid"], "solid_type": "oxide"}
    with labs.client(labs.lab_b) as client:
        answer = client.post("/v1/cells", content=dossier_bytes(takeover),
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    detail = labs.cell().json()
    assert (detail["latest_version"], detail["manufacturer"]) == (1, "Lab A Cells")


def test_a_key_of_the_same_organisation_may_write(labs: Labs) -> None:
    """Finding 2, the other side: ownership is the organisation's, not one key's — a second
    key made with `registry keys create --organisation "Lab A"` adds a version to lab A's cell."""
    made = cli("registry", "keys", "create", "--role", "lab", "--name", "Lab A bench 2",
               "--organisation", "Lab A", database_url=labs.database_url, folder=labs.folder)
    assert made.returncode == 0, made.stdout + made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    edition = hybrid_dossier(labs.cell_id, model="H1 rev 2")
    with labs.client(secret) as client:
        answer = client.post("/v1/cells", content=dossier_bytes(edition),
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, (answer.status_code, answer.text[:300])


def test_another_lab_cannot_attach_evidence_to_a_cell(labs: Labs) -> None:
    """Finding 2: lab B attached evidence to lab A's cell. Now 403, nothing attached."""
    with labs.client(labs.lab_b) as client:
        answer = client.post(f"/v1/cells/{labs.cell_id}/evidence",
                             files={"file": ("oven-log.csv", OVEN_LOG.read_bytes(), "text/csv")})
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    assert labs.cell().json()["evidence"] == []


def test_another_lab_cannot_reclassify_a_cell(labs: Labs) -> None:
    """Finding 2: lab B reclassified lab A's cell (and so published results of it). Now
    403, and no result is added."""
    before = labs.cell().json()["results"]
    with labs.client(labs.lab_b) as client:
        answer = client.post(f"/v1/cells/{labs.cell_id}/reclassify",
                             params={"ruleset": "csae-434-2025"})
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    assert labs.cell().json()["results"] == before


def test_another_lab_cannot_file_a_certificate_for_a_cell(labs: Labs) -> None:
    """Finding 2: a certificate is a write to the cell it certifies — lab B's, even honest
    and from a trusted issuer, is refused (403) for lab A's cell."""
    key = generate_key()
    assert trust_issuer(labs, key, "Lab B").status_code in (200, 201)
    cert = certificate_bytes(certify(dossier_bytes(labs.cell_dossier), key=key,
                                     issuer_name="Lab B"))
    with labs.client(labs.lab_b) as client:
        answer = client.post("/v1/certificates", content=cert,
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    assert labs.cell().json()["certificates"] == []


def test_an_admin_grant_lets_another_lab_write(labs: Labs) -> None:
    """Finding 2, the way to share a cell: an admin grants lab B access — through the API
    (POST /v1/cells/{id}/grants) or the command line (`registry grant`) — and lab B may then
    add a version and attach evidence."""
    with labs.client(labs.lab_a) as client:
        second_id = labs.id("SECOND")
        second = hybrid_dossier(second_id)
        made = client.post("/v1/cells", content=dossier_bytes(second),
                           headers={"Content-Type": "application/json"})
        assert made.status_code == 201, made.text[:300]
    with labs.client(labs.lab_b) as client:
        refused = client.post(f"/v1/cells/{labs.cell_id}/grants", json={"lab": "Lab B"})
        assert refused.status_code == 403, "a lab key may not grant access"
    with labs.client(labs.admin) as admin:
        granted = admin.post(f"/v1/cells/{labs.cell_id}/grants", json={"lab": "Lab B"})
    assert granted.status_code in (200, 201), (granted.status_code, granted.text[:300])
    by_cli = cli("registry", "grant", second_id, "--lab", "Lab B",
                 database_url=labs.database_url, folder=labs.folder)
    assert by_cli.returncode == 0, by_cli.stdout + by_cli.stderr

    with labs.client(labs.lab_b) as client:
        edition = hybrid_dossier(labs.cell_id, manufacturer="Lab A Cells", model="H1 by B")
        version = client.post("/v1/cells", content=dossier_bytes(edition),
                              headers={"Content-Type": "application/json"})
        assert version.status_code == 201, (version.status_code, version.text[:300])
        evidence = client.post(f"/v1/cells/{second_id}/evidence",
                               files={"file": ("oven-log.csv", OVEN_LOG.read_bytes(),
                                               "text/csv")})
        assert evidence.status_code == 201, (evidence.status_code, evidence.text[:300])


def test_reclassify_keeps_a_result_unpublished(labs: Labs) -> None:
    """Finding 2: reclassify always published. Lab A submits with ?publish=false, then
    reclassifies under another rule set: the new result stays unpublished (anonymous
    GET /v1/results/{id} → 404)."""
    hidden_id = labs.id("HIDDEN")
    with labs.client(labs.lab_a) as client:
        submitted = client.post("/v1/cells", params={"publish": "false"},
                                content=dossier_bytes(hybrid_dossier(hidden_id)),
                                headers={"Content-Type": "application/json"})
        assert submitted.status_code == 201, submitted.text[:300]
        again = client.post(f"/v1/cells/{hidden_id}/reclassify",
                            params={"ruleset": "csae-434-2025"})
    assert again.status_code in (200, 201), (again.status_code, again.text[:300])
    assert again.json()["published"] is False
    with labs.client() as anonymous:
        for result_id in (submitted.json()["result"]["id"], again.json()["id"]):
            hidden = anonymous.get(f"/v1/results/{result_id}")
            assert hidden.status_code == 404, (result_id, hidden.status_code)


def test_identical_resubmission_by_another_lab_reveals_nothing(labs: Labs) -> None:
    """Finding 2: re-submitting identical content returned a hidden result to any lab. Lab B
    sending lab A's unpublished dossier gets 403 and no result."""
    dossier = hybrid_dossier(labs.id("HIDDEN"))
    with labs.client(labs.lab_a) as client:
        submitted = client.post("/v1/cells", params={"publish": "false"},
                                content=dossier_bytes(dossier),
                                headers={"Content-Type": "application/json"})
        assert submitted.status_code == 201, submitted.text[:300]
    with labs.client(labs.lab_b) as client:
        answer = client.post("/v1/cells", content=dossier_bytes(dossier),
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    hidden_id = submitted.json()["result"]["id"]
    assert hidden_id not in answer.text and "hybrid_solid_liquid" not in answer.text
    assert '"result"' not in answer.text


def test_anonymous_reads_of_an_unpublished_cell_are_404(labs: Labs) -> None:
    """Finding 2: anonymous GET /v1/cells/{id} showed the full dossier of an unpublished
    cell. Now the API and the page answer 404 and search does not list it; its lab still
    sees it."""
    hidden_id = labs.id("HIDDEN")
    with labs.client(labs.lab_a) as client:
        submitted = client.post("/v1/cells", params={"publish": "false"},
                                content=dossier_bytes(hybrid_dossier(hidden_id)),
                                headers={"Content-Type": "application/json"})
        assert submitted.status_code == 201, submitted.text[:300]
        assert client.get(f"/v1/cells/{hidden_id}").status_code == 200
    with labs.client() as anonymous:
        api = anonymous.get(f"/v1/cells/{hidden_id}")
        page = anonymous.get(f"/cells/{hidden_id}")
        search = anonymous.get("/v1/cells", params={"q": hidden_id})
        search_page = anonymous.get("/", params={"q": hidden_id})
    assert (api.status_code, page.status_code) == (404, 404), (api.text[:200], page.text[:200])
    assert "Lab A Cells" not in api.text
    assert search.status_code == 200 and search.json()["total"] == 0, search.text[:300]
    assert f"/cells/{hidden_id}" not in search_page.text


@pytest.mark.parametrize("cell_id", [
    "LOOK\u202eALIKE", "ZERO\u200bWIDTH", "C1\u0085CONTROL", "cafe\u0301", ".", "..", "a/b",
], ids=["bidi-override", "zero-width", "c1-control", "not-nfc", "dot", "dot-dot", "slash"])
def test_look_alike_and_path_cell_ids_are_refused(server: Server, shared_keys: SharedKeys,
                                                  cell_id: str) -> None:
    """Finding 2: cell ids accepted bidirectional overrides, zero-width and C1 control
    characters (look-alike ids), a non-NFC form, and `.` / `..`. Each is now 422."""
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S,
                      headers=bearer(shared_keys.lab)) as client:
        answer = client.post("/v1/cells", content=dossier_bytes(sulfide_dossier(cell_id)),
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])


# =========================================================================== 3. denial of service


def classify_yaml(server: Server, body: Any) -> httpx.Response:
    """POST a YAML body (bytes, text, or an iterator of chunks) to /v1/classify, without a
    key."""
    return httpx.post(f"{server.base_url}/v1/classify", content=body,
                      headers={"Content-Type": "application/yaml"}, timeout=CLIENT_TIMEOUT_S)


def test_yaml_alias_bomb_is_refused_quickly(server: Server) -> None:
    """Finding 3: a 487-byte YAML alias bomb (nine nested levels of nine aliases) POSTed
    anonymously to /v1/classify froze the whole server for seconds and took +600 MB. Now
    422, with memory and the health probe within limits."""
    bomb = alias_bomb()
    assert len(bomb) == 487

    outcome, report = attack(server, lambda: classify_yaml(server, bomb))
    [answer] = assert_bounded(server, outcome, report, {422})
    assert len(answer.content) < 20_000, len(answer.content)


def test_aliased_bad_specimen_lists_at_most_100_problems(server: Server) -> None:
    """Finding 3: a 999 KB body of one anchored bad specimen aliased ~250,000 times answered
    749,103 problems in a 160 MB response after 27 s at 2 GB. Now 422 listing at most 100
    problems (saying how many more, when it cut the list) in a body under 200 KB."""
    body = aliased_specimens("{mass_before_g: -1, mass_after_g: x}", cell_id="ALIAS-BAD-1")
    assert 990_000 < len(body) < 1_000_000

    outcome, report = attack(server, lambda: classify_yaml(server, body))
    [answer] = assert_bounded(server, outcome, report, {422})
    assert len(answer.content) < 200_000, len(answer.content)
    problems = problems_of(answer)
    assert 1 <= len(problems) <= PROBLEMS_LISTED, len(problems)
    if len(problems) == PROBLEMS_LISTED:
        assert mentions_the_rest(answer), answer.text[:500]


def test_many_problems_are_listed_100_at_most_with_the_count_of_the_rest(
        server: Server) -> None:
    """Finding 3 (at most 100 problems listed, with a count of the rest), without aliases
    and within the specimen limit: 999 bad specimens written out make ~2,000 problems."""
    body = explicit_bad_specimens(SPECIMEN_LIMIT - 1, cell_id="MANY-BAD-1")

    outcome, report = attack(server, lambda: classify_yaml(server, body))
    [answer] = assert_bounded(server, outcome, report, {422})
    problems = problems_of(answer)
    assert 1 <= len(problems) <= PROBLEMS_LISTED, len(problems)
    assert mentions_the_rest(answer), answer.text[:500]


def test_too_many_specimens_are_refused_by_the_api(server: Server) -> None:
    """Finding 3: no upper limit on specimens anywhere. A dossier of 3,000 specimens sent to
    /v1/classify is now 422 (the limit is 1,000)."""
    body = dossier_bytes(sulfide_dossier("MANY-SPECIMENS-1", specimens=3000))

    def send() -> httpx.Response:
        return httpx.post(f"{server.base_url}/v1/classify", content=body,
                          headers={"Content-Type": "application/json"},
                          timeout=CLIENT_TIMEOUT_S)

    outcome, report = attack(server, send)
    [answer] = assert_bounded(server, outcome, report, {422})
    assert "specimens" in answer.text, answer.text[:300]


def test_too_many_specimens_are_refused_by_the_classify_form(server: Server) -> None:
    """Finding 3: the /classify form drew one bar per specimen on the event loop (3,000
    specimens: 11 s of a blocked server). Now 422, and (finding 4) the page never shows a
    server temporary path."""
    body = dossier_bytes(sulfide_dossier("MANY-SPECIMENS-2", specimens=3000))
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S) as client:
        token = form_token(client)

        def send() -> httpx.Response:
            return client.post("/classify", data={"csrf_token": token},
                               files={"dossier_file": ("cell.json", body, "application/json")})

        outcome, report = attack(server, send)
    [answer] = assert_bounded(server, outcome, report, {422})
    assert "solidcheck-form-" not in answer.text and "/tmp/" not in answer.text


def test_chunked_body_over_the_dossier_limit_is_refused_while_streaming(
        server: Server) -> None:
    """Finding 3: every body up to 64 MiB was read whole before the 1 MB dossier limit was
    checked. A 2 MB body sent chunked (no Content-Length) to /v1/classify is now 413."""
    chunk = b"# " + b"x" * (64 * 1024 - 3) + b"\n"

    def body() -> Iterator[bytes]:
        yield b"id: CHUNKED-1\nelectrolyte: {phases: [liquid]}\nconducting_ion: lithium\n"
        for _ in range(32):  # 2 MiB
            yield chunk

    outcome, report = attack(server, lambda: classify_yaml(server, body()))
    [answer] = assert_bounded(server, outcome, report, {413})
    assert "content-length" not in {name.lower() for name in answer.request.headers}


def test_large_text_to_audit_is_refused(server: Server) -> None:
    """Finding 3: 50 MB of text to /v1/audit took 24 s and stalled others 7.5 s. The audit
    limit is 5 MB (SOLIDCHECK_MAX_AUDIT_BYTES): now 413."""
    line = "Our solid-state battery stores 500 Wh/kg and 1200 Wh/L at 4C.\n"
    text = line * (50_000_000 // len(line))
    body = json.dumps({"text": text}).encode("utf-8")
    del text

    def send() -> httpx.Response:
        return httpx.post(f"{server.base_url}/v1/audit", content=body,
                          headers={"Content-Type": "application/json"},
                          timeout=CLIENT_TIMEOUT_S)

    outcome, report = attack(server, send)
    assert_bounded(server, outcome, report, {413})


def _post_xlsx(server: Server, workbook: bytes, cell_id: str) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S) as client:
        token = form_token(client)
        return client.post("/classify",
                           data={**XLSX_FORM_FIELDS, "id": cell_id, "csrf_token": token},
                           files={"oven_log": ("oven-log.xlsx", workbook, XLSX_MEDIA)})


def test_xlsx_oven_log_of_millions_of_rows_is_refused(server: Server,
                                                      xlsx_oven_log: bytes) -> None:
    """Finding 3: a 1.7 MB .xlsx oven log (10 M rows inside) uploaded without a key through
    the /classify form cost 17 s and 2.2 GB. A workbook of 5 M rows (under 1 MB) is now
    refused (422, or 413) with bounded memory and a responsive server."""
    assert len(xlsx_oven_log) < 1_000_000
    outcome, report = attack(server, lambda: _post_xlsx(server, xlsx_oven_log, "XLSX-1"))
    [answer] = assert_bounded(server, outcome, report, {413, 422})
    assert "solidcheck-form-" not in answer.text


def test_four_xlsx_oven_logs_in_parallel_stay_bounded(server: Server,
                                                      xlsx_oven_log: bytes) -> None:
    """Finding 3: four such workbooks in parallel took 8.4 GB. Memory must stay within the
    same limit with four at once."""

    def send() -> list[Outcome]:
        def one(number: int) -> Outcome:
            try:
                return _post_xlsx(server, xlsx_oven_log, f"XLSX-P{number}")
            except httpx.HTTPError as exc:
                return exc

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(one, range(4)))

    with under_attack(server) as report:
        outcomes = send()
    assert_bounded(server, outcomes, report, {413, 422})


# =========================================================================== 4. stored bomb


def test_stored_dossier_memory_bomb_is_refused(fresh_slot: ServerSlot, tmp_path: Path) -> None:
    """Finding 4: a 999 KB YAML of anchors became 249,651 specimens and was stored (one later
    request for its page took 21 minutes and 11.4 GB). Submitted with a lab key to
    POST /v1/cells it is now 422, nothing is stored and the audit log stays intact."""
    server = fresh_slot.get()
    _, lab = make_key(fresh_slot.database_url, "lab", "Bomb Lab")
    body = aliased_specimens("{mass_before_g: 52.0, mass_after_g: 51.99}",
                             cell_id="STORED-BOMB-1")
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S,
                      headers=bearer(lab)) as client:
        before = client.get("/v1/cells").json()["total"]

        def send() -> httpx.Response:
            return client.post("/v1/cells", content=body,
                               headers={"Content-Type": "application/yaml"})

        outcome, report = attack(server, send)
        assert_bounded(server, outcome, report, {422})
        assert client.get("/v1/cells").json()["total"] == before
        assert client.get("/v1/cells/STORED-BOMB-1").status_code == 404
    verified = cli("registry", "verify", database_url=fresh_slot.database_url, folder=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


# =========================================================================== 5. smaller ones


@pytest.mark.parametrize("filename", [
    "..", "a/../..", "x" * 296 + ".csv", "oven\x7flog.csv", "oven\u202evsc.log",
], ids=["dot-dot", "traversal", "300-bytes", "del", "bidi-override"])
def test_evidence_file_names_are_sanitised(server: Server, shared_keys: SharedKeys,
                                           filename: str) -> None:
    """Finding 5: evidence named `..`, `a/../..` or over 255 bytes answered 500
    (IsADirectoryError, ENAMETOOLONG); DEL and U+202E were kept in stored names. Each is now
    a clear 422 (never 500), and nothing is attached."""
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S,
                      headers=bearer(shared_keys.lab)) as client:
        made = client.post("/v1/cells", content=dossier_bytes(sulfide_dossier("EVIDENCE-1")),
                           headers={"Content-Type": "application/json"})
        assert made.status_code in (200, 201), made.text[:300]
        answer = client.post("/v1/cells/EVIDENCE-1/evidence",
                             files={"file": (filename, OVEN_LOG.read_bytes(), "text/csv")})
        assert answer.status_code == 422, (answer.status_code, answer.text[:300])
        assert client.get("/v1/cells/EVIDENCE-1").json()["evidence"] == []


@pytest.mark.parametrize("filename", ["..", "a/../..", "x" * 296 + ".csv",
                                      "\u6e29" * 100 + ".csv"],
                         ids=["dot-dot", "traversal", "300-bytes", "300-bytes-utf8"])
def test_classify_form_oven_log_names_never_answer_500(server: Server, filename: str) -> None:
    """Finding 5: the /classify form's oven-log file name over 255 bytes (100 CJK
    characters: under its 200-character cut, over the file system's 255 bytes) answered 500.
    Now the page answers (200 with the name made safe, or 422 saying why) and never shows a
    server path; `..` and `a/../..` likewise."""
    fields = {**XLSX_FORM_FIELDS, "id": "FORM-NAME-1"}
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S) as client:
        token = form_token(client)
        answer = client.post("/classify", data={**fields, "csrf_token": token},
                             files={"oven_log": (filename, OVEN_LOG.read_bytes(), "text/csv")})
    assert answer.status_code in (200, 422), (answer.status_code, answer.text[:300])
    assert "solidcheck-form-" not in answer.text and "/tmp/" not in answer.text


def test_the_last_admin_key_cannot_be_revoked(fresh_slot: ServerSlot) -> None:
    """Finding 5: an admin could revoke the last admin key, locking everyone out of key
    management. DELETE /v1/keys/{id} of the last active admin key is now refused (4xx) and
    the key still works."""
    server = fresh_slot.get()
    key_id, admin = make_key(fresh_slot.database_url, "admin", "Only Admin")
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S,
                      headers=bearer(admin)) as client:
        keys = client.get("/v1/keys").json()
        admins = [k for k in keys if k["role"] == "admin" and not k["revoked_at"]]
        assert [k["id"] for k in admins] == [key_id], "the test needs a single admin"
        answer = client.delete(f"/v1/keys/{key_id}")
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
        assert client.get("/v1/keys").status_code == 200


def test_public_reads_never_show_key_ids(server: Server, shared_keys: SharedKeys) -> None:
    """Finding 5: `created_by` showed API key ids publicly. The public JSON of a cell and of
    a result, and the cell's page, never show "key:" and a key id."""
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S,
                      headers=bearer(shared_keys.lab)) as client:
        made = client.post("/v1/cells", content=dossier_bytes(sulfide_dossier("PUBLIC-1")),
                           headers={"Content-Type": "application/json"})
        assert made.status_code in (200, 201), made.text[:300]
        result_id = made.json()["result"]["id"]
        evidence = client.post("/v1/cells/PUBLIC-1/evidence",
                               files={"file": ("oven-log.csv", OVEN_LOG.read_bytes(),
                                               "text/csv")})
        assert evidence.status_code == 201, evidence.text[:300]
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S) as anonymous:
        shown = {path: anonymous.get(path) for path in
                 ("/v1/cells/PUBLIC-1", f"/v1/results/{result_id}", "/cells/PUBLIC-1")}
    for path, answer in shown.items():
        assert answer.status_code == 200, (path, answer.status_code)
        assert not KEY_ID_IN_TEXT.search(answer.text), (path, KEY_ID_IN_TEXT.search(answer.text))
        assert shared_keys.lab_id not in answer.text, path
    detail = shown["/v1/cells/PUBLIC-1"].json()
    for record in [*detail["versions"], *detail["results"], *detail["evidence"]]:
        assert "key:" not in record["created_by"], record["created_by"]


def test_rate_limit_is_not_bypassed_with_forwarded_for(tmp_path: Path) -> None:
    """Finding 5: `solidcheck serve` let uvicorn trust X-Forwarded-For from 127.0.0.1, so
    rotating the header bypassed the rate limit from the same host. With
    SOLIDCHECK_RATE_LIMIT=5, requests with a new X-Forwarded-For each are still limited:
    429 within six requests."""
    server = start_server(f"sqlite:///{tmp_path / 'registry.sqlite3'}", tmp_path / "server",
                          cli=True, env={"SOLIDCHECK_RATE_LIMIT": "5"})
    try:
        statuses = []
        with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT_S) as client:
            for number in range(8):
                forwarded = {"X-Forwarded-For": f"203.0.113.{number + 1}",
                             "X-Real-IP": f"203.0.113.{number + 1}"}
                statuses.append(client.get("/v1/rulesets", headers=forwarded).status_code)
        assert 429 in statuses[:6], statuses
        assert set(statuses[:5]) == {200}, statuses
    finally:
        server.stop()
