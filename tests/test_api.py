"""The REST API as its users meet it: classification, the registry on SQLite and PostgreSQL,
reports, certificates, claim audits, keys and roles, limits, headers and error bodies."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

import solidcheck.rules
from solidcheck import classify, load_dossier
from solidcheck.build import build_dossier
from solidcheck.certificates import certificate_bytes, certify, generate_key, public_key_base64
from solidcheck.cli import app as cli_app
from solidcheck.errors import DatabaseError, Problem
from solidcheck.readers import read_evidence
from solidcheck.registry import ROLES, Registry
from solidcheck.rules import load_ruleset
from solidcheck.web import Settings, create_app
from solidcheck.web.api import negotiate

with warnings.catch_warnings():
    # Starlette's test client prefers httpx2; the httpx it finds works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
LAB = EXAMPLES / "lab"
YAML = {"Content-Type": "application/yaml"}
#: what no error body may ever show
LEAKS = ("Traceback", "SELECT", "sqlalchemy", "psycopg", 'File "', "/tmp/")

INVALID_DOSSIER = """\
id: BAD-1
manufacturer: ACME
electrolyte:
  phases: [solid, solid]
conducting_ion: litium
weight_loss_test:
  temperature_c: "120"
  duration_h: 6
  pressure_pa: 50
  specimens: []
colour: blue
"""


@dataclass
class Service:
    """An app over a fresh registry, with a key of each role."""

    app: FastAPI
    client: TestClient
    registry: Registry
    keys: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def submit(self, path: Path, *, query: str = "") -> Any:
        response = self.client.post(f"/v1/cells{query}", content=path.read_bytes(),
                                    headers={**YAML, **self.auth("lab")})
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start services: on ``url`` (default SQLite in tmp_path) with these settings; the rate
    limit is off unless a test sets it."""
    started: list[Service] = []

    def start(url: str | None = None, **settings: Any) -> Service:
        registry = Registry.open(url or f"sqlite:///{tmp_path / 'api.sqlite3'}", create=True)
        keys = {role: registry.create_api_key(role=role, name=f"test {role}", actor="test")[1]
                for role in ROLES}
        app = create_app(Settings(**{"rate_limit_per_minute": 0, **settings}),
                         registry=registry)
        service = Service(app, TestClient(app), registry, keys)
        started.append(service)
        return service

    yield start
    for service in started:
        service.client.close()
        service.registry.close()


@pytest.fixture
def service(start_service: Callable[..., Service], database_url: str) -> Service:
    """The service on each database the registry supports."""
    return start_service(database_url)


@pytest.fixture
def local(start_service: Callable[..., Service]) -> Service:
    """The service on SQLite, for behaviour that does not depend on the database."""
    return start_service()


def assert_clean_error(response: httpx.Response, status: int, *,
                       sent: str = "") -> dict[str, Any]:
    """An error with the documented body, the request id, and nothing internal in it
    (``sent``: a value of the caller's own, which the error may quote back)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    shown = response.text.replace(sent, "") if sent else response.text
    for leak in LEAKS:
        assert leak not in shown, f"{leak!r} in an error body: {response.text}"
    return body


def lab_dossier() -> bytes:
    """EX-LAB-S1 built from its oven log and weighings: its evidence names both by SHA-256."""
    ruleset = load_ruleset()
    built = build_dossier(yaml.safe_load((LAB / "cell-s1.yaml").read_text("utf-8")),
                          ruleset=ruleset, oven_log=read_evidence(LAB / "oven-log-s1.csv"),
                          weighings=read_evidence(LAB / "weighings-s1.csv"))
    return json.dumps(built.dossier.model_dump(mode="json")).encode()


def counter(client: TestClient, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


# --------------------------------------------------------------------- classification


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_classify_gives_the_same_result_as_the_core(local: Service, path: Path) -> None:
    media = "application/json" if path.suffix == ".json" else "application/yaml"
    response = local.client.post("/v1/classify", content=path.read_bytes(),
                                 headers={"Content-Type": media})
    assert response.status_code == 200, response.text
    assert response.json() == classify(load_dossier(path)).model_dump(mode="json")


def test_a_large_dossier_is_classified_the_same(local: Service) -> None:
    path = EXAMPLES / "between-the-limits.yaml"
    padded = path.read_bytes() + b"# a long comment\n" * 4000  # read in a worker thread
    assert len(padded) > 64 * 1024
    response = local.client.post("/v1/classify", content=padded, headers=YAML)
    assert response.json() == classify(load_dossier(path)).model_dump(mode="json")


def test_classify_under_another_ruleset(local: Service) -> None:
    path = EXAMPLES / "exactly-at-csae-limit.yaml"
    response = local.client.post("/v1/classify?ruleset=csae-434-2025",
                                 content=path.read_bytes(), headers=YAML)
    expected = classify(load_dossier(path), load_ruleset("csae-434-2025"))
    assert response.json() == expected.model_dump(mode="json")
    assert response.json()["ruleset"] == "csae-434-2025"


def test_classify_in_chinese_as_the_cli_gives_it(local: Service) -> None:
    """`?lang=zh` gives the findings' messages and clauses in Chinese, as `solidcheck
    classify --format json --lang zh` does; the data (ids, parameters, category) stay."""
    path = EXAMPLES / "sulfide-high-energy.yaml"
    response = local.client.post("/v1/classify?lang=zh", content=path.read_bytes(),
                                 headers=YAML)
    cli = CliRunner().invoke(cli_app, ["classify", str(path), "--format", "json", "--lang",
                                       "zh"])
    assert response.status_code == 200 and response.json() == json.loads(cli.stdout)
    english = classify(load_dossier(path)).model_dump(mode="json")
    assert response.json()["category"] == english["category"]
    assert response.json()["findings"][0]["message"] != english["findings"][0]["message"]
    refused = local.client.post("/v1/classify?lang=fr", content=path.read_bytes(), headers=YAML)
    assert refused.status_code == 422


def test_invalid_dossier_lists_every_problem_as_the_cli_does(local: Service,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(INVALID_DOSSIER, encoding="utf-8")
    cli = CliRunner().invoke(cli_app, ["classify", str(path)])
    assert cli.exit_code == 2
    cli_problems = [line for line in cli.stderr.splitlines() if line.startswith("  - ")]
    assert len(cli_problems) >= 4

    body = assert_clean_error(local.client.post("/v1/classify", content=INVALID_DOSSIER,
                                                headers=YAML), 422)
    api_problems = [line for line in body["message"].splitlines() if line.startswith("  - ")]
    assert api_problems == cli_problems
    assert [f"  - {Problem(**p)}" for p in body["problems"]] == cli_problems


def test_malformed_json_is_a_problem_with_its_line_and_column(local: Service) -> None:
    response = local.client.post("/v1/classify", content=b'{"id": "X",\n "electrolyte": }',
                                 headers={"Content-Type": "application/json"})
    body = assert_clean_error(response, 422)
    assert body["problems"][0]["path"] == "line 2, column 17"
    assert "not valid JSON" in body["problems"][0]["message"]


def test_a_ruleset_is_an_installed_id_never_a_server_file(local: Service) -> None:
    body = (EXAMPLES / "liquid-lfp.yaml").read_bytes()
    installed_file = Path(solidcheck.rules.__file__).parent / "rulesets" / "gbt-ssb-1-2026.toml"
    assert installed_file.is_file()
    for ruleset in ("no-such-set", str(installed_file)):
        response = local.client.post("/v1/classify", params={"ruleset": ruleset},
                                     content=body, headers=YAML)
        problems = assert_clean_error(response, 422, sent=ruleset)["problems"]
        assert problems[0]["path"] == "ruleset"
        assert "gbt-ssb-1-2026, csae-434-2025" in problems[0]["fix"]


def test_a_misspelt_query_parameter_is_refused_not_ignored(local: Service) -> None:
    response = local.client.post("/v1/classify?rulset=csae-434-2025", headers=YAML,
                                 content=(EXAMPLES / "exactly-at-csae-limit.yaml").read_bytes())
    problem = assert_clean_error(response, 422)["problems"][0]
    assert problem == {"path": "query.rulset", "message": "unknown query parameter",
                       "fix": "did you mean 'ruleset'?"}


def test_a_query_parameter_taken_once_is_refused_when_repeated(local: Service) -> None:
    """Two rule sets asked at once: which one answered would be a guess (the last, silently)."""
    response = local.client.post("/v1/classify?ruleset=csae-434-2025&ruleset=gbt-ssb-1-2026",
                                 headers=YAML,
                                 content=(EXAMPLES / "exactly-at-csae-limit.yaml").read_bytes())
    problem = assert_clean_error(response, 422)["problems"][0]
    assert problem == {"path": "query.ruleset", "message": "given 2 times",
                       "fix": "give it once"}


def test_a_body_that_is_not_a_dossier_file_is_415(local: Service) -> None:
    response = local.client.post("/v1/classify", data={"id": "X"})  # an HTML form
    body = assert_clean_error(response, 415)
    assert "application/yaml" in body["message"]


def test_rulesets_and_terms(local: Service) -> None:
    rulesets = local.client.get("/v1/rulesets").json()
    assert [(r["id"], r["limit_percent"], r["comparison"], r["default"]) for r in rulesets] == [
        ("gbt-ssb-1-2026", 0.5, "at_most", True), ("csae-434-2025", 1.0, "below", False)]
    terms = local.client.get("/v1/terms", params={"q": "Semi Solid Battery"}).json()
    assert terms[0]["exact"] and terms[0]["status"] == "non_preferred"
    assert terms[0]["category"] == "hybrid_solid_liquid"
    assert terms[0]["preferred"]["zh"]
    assert local.client.get("/v1/terms", params={"q": "zzzz"}).json() == []
    assert_clean_error(local.client.get("/v1/terms"), 422)


# --------------------------------------------------------------------- the registry


def test_versions_are_kept_and_resubmitting_changes_nothing(service: Service) -> None:
    original = (EXAMPLES / "sulfide-high-energy.yaml").read_bytes()
    first = service.client.post("/v1/cells", content=original,
                                headers={**YAML, **service.auth("lab")})
    assert first.status_code == 201
    assert first.headers["Location"] == "/v1/cells/EX-SUL-HE-01"
    assert (first.json()["version"], first.json()["new_version"]) == (1, True)

    edited = original.replace(b"mass_after_g: 51.9876", b"mass_after_g: 51.5000")
    second = service.client.post("/v1/cells", content=edited,
                                 headers={**YAML, **service.auth("lab")})
    assert (second.status_code, second.json()["version"]) == (201, 2)
    assert second.json()["result"]["result"]["category"] == "hybrid_solid_liquid"

    again = service.client.post("/v1/cells", content=edited,
                                headers={**YAML, **service.auth("lab")})
    assert (again.status_code, again.json()["new_version"]) == (200, False)
    assert again.json()["result"]["id"] == second.json()["result"]["id"]

    cell = service.client.get("/v1/cells/EX-SUL-HE-01").json()
    assert [v["version"] for v in cell["versions"]] == [2, 1]
    kept = [r for sent in (first, second)  # each under every installed rule set
            for r in (sent.json()["result"], *sent.json()["other_rulesets"])]
    assert {r["id"] for r in cell["results"]} == {r["id"] for r in kept}
    assert {(r["version"], r["result"]["category"]) for r in cell["results"]} == {
        (1, "solid_state"), (2, "hybrid_solid_liquid")}
    assert cell["versions"][1]["created_by"] == "test lab"  # the key's name, never its id
    assert "key:" not in json.dumps(cell)


def test_what_the_registry_cannot_keep_is_a_problem_not_a_crash(service: Service) -> None:
    huge = json.loads(lab_dossier())
    huge["evidence"][0]["size_bytes"] = 2**60  # beyond what JSON keeps exactly
    response = service.client.post("/v1/cells", json=huge, headers=service.auth("lab"))
    assert [p["path"] for p in assert_clean_error(response, 422)["problems"]] == [
        "evidence[0].size_bytes"]
    unkeepable = json.loads(lab_dossier())
    unkeepable["manufacturer"], unkeepable["model"] = "M" * 501, "S\x008"
    response = service.client.post("/v1/cells", json=unkeepable, headers=service.auth("lab"))
    problems = assert_clean_error(response, 422)["problems"]
    assert {p["path"] for p in problems} == {"manufacturer", ""}
    assert service.client.get("/v1/cells").json()["total"] == 0


def test_reclassify_under_csae_keeps_the_national_result(service: Service) -> None:
    stored = service.submit(EXAMPLES / "composite-no-visual-check.yaml")
    national = stored["result"]
    response = service.client.post("/v1/cells/EX-CMP-05/reclassify",
                                   params={"ruleset": "csae-434-2025"},
                                   headers=service.auth("lab"))
    assert response.status_code == 200, response.text
    csae = response.json()
    assert csae["ruleset"] == "csae-434-2025" and csae["id"] != national["id"]
    assert csae["result"]["category"] == "undetermined"  # CSAE requires the visual check
    results = service.client.get("/v1/cells/EX-CMP-05").json()["results"]
    assert {(r["ruleset"], r["result"]["category"]) for r in results} == {
        ("gbt-ssb-1-2026", national["result"]["category"]), ("csae-434-2025", "undetermined")}
    assert service.client.get(f"/v1/results/{national['id']}").json() == national
    missing = service.client.post("/v1/cells/NO-SUCH-CELL/reclassify",
                                  headers=service.auth("lab"))
    assert "NO-SUCH-CELL" in assert_clean_error(missing, 404)["message"]


def test_search_filters_and_pages(service: Service) -> None:
    expected = {}
    for path in EXAMPLE_FILES:
        service.submit(path)
        result = classify(load_dossier(path))
        expected[result.dossier_id] = result
    get = service.client.get

    everything = get("/v1/cells", params={"limit": 200}).json()
    assert everything["total"] == len(expected)
    solid = get("/v1/cells", params={"category": "solid_state"}).json()
    assert {c["id"] for c in solid["items"]} == {
        i for i, r in expected.items() if r.category == "solid_state"}
    sodium = get("/v1/cells", params={"conducting_ion": "sodium",
                                      "electrolyte_type": "polymer"}).json()
    assert {c["id"] for c in sodium["items"]} == {
        i for i, r in expected.items()
        if r.conducting_ion == "sodium" and r.electrolyte_type == "polymer"}
    assert sodium["total"] >= 1
    by_text = get("/v1/cells", params={"q": "he-01"}).json()
    assert [c["id"] for c in by_text["items"]] == ["EX-SUL-HE-01"]
    assert get("/v1/cells", params={"manufacturer": "no such maker"}).json()["total"] == 0

    first = get("/v1/cells", params={"limit": 3, "offset": 0}).json()
    second = get("/v1/cells", params={"limit": 3, "offset": 3}).json()
    assert len(first["items"]) == len(second["items"]) == 3
    assert not {c["id"] for c in first["items"]} & {c["id"] for c in second["items"]}
    assert [c["id"] for c in first["items"] + second["items"]] == [
        c["id"] for c in everything["items"][:6]]
    body = assert_clean_error(get("/v1/cells", params={"limit": 201}), 422)
    assert body["problems"][0]["path"] == "query.limit"
    assert_clean_error(get("/v1/cells", params={"category": "semi_solid"}), 422)


def test_evidence_upload_and_download(service: Service) -> None:
    service.submit(EXAMPLES / "sulfide-high-energy.yaml")
    log = (LAB / "oven-log-s1.csv").read_bytes()
    url = "/v1/cells/EX-SUL-HE-01/evidence"
    response = service.client.post(url, files={"file": ("oven-log-s1.csv", log, "text/csv")},
                                   headers=service.auth("lab"))
    assert response.status_code == 201, response.text
    record = response.json()
    assert (record["kind"], record["reader"], record["size_bytes"]) == (
        "oven_log", "oven-csv", len(log))

    download = service.client.get(f"/v1/evidence/{record['sha256']}")
    assert download.content == log
    assert download.headers["Content-Disposition"].startswith("attachment")
    cell = service.client.get("/v1/cells/EX-SUL-HE-01").json()
    assert [e["sha256"] for e in cell["evidence"]] == [record["sha256"]]

    garbage = service.client.post(url, files={"file": ("log.csv", b"\x00\xff not a log")},
                                  headers=service.auth("lab"))
    body = assert_clean_error(garbage, 422)
    assert body["message"].startswith("invalid evidence file log.csv:")
    assert body["problems"]
    no_file = service.client.post(url, files={"other": ("x.csv", log)},
                                  headers=service.auth("lab"))
    assert assert_clean_error(no_file, 422)["problems"][0]["path"] == "file"
    no_cell = service.client.post("/v1/cells/NOPE/evidence", files={"file": ("l.csv", log)},
                                  headers=service.auth("lab"))
    assert_clean_error(no_cell, 404)
    assert_clean_error(service.client.get(f"/v1/evidence/{'0' * 64}"), 404)


# --------------------------------------------------------------------- results and reports


def test_report_plots_the_stored_oven_log(service: Service) -> None:
    submitted = service.client.post("/v1/cells", content=lab_dossier(),
                                    headers={"Content-Type": "application/json",
                                             **service.auth("lab")}).json()
    url = f"/v1/results/{submitted['result']['id']}"
    before = service.client.get(url, params={"format": "html"}).text
    assert "Not plotted: the oven log named in the dossier was not found" in before

    service.client.post("/v1/cells/EX-LAB-S1/evidence", headers=service.auth("lab"),
                        files={"file": ("log.csv", (LAB / "oven-log-s1.csv").read_bytes())})
    page = service.client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "solid-state battery" in page.text and "EX-LAB-S1" in page.text
    oven_section = page.text.split(">Oven log</h3>", 1)[1].split("</figure>", 1)[0]
    assert "<svg" in oven_section
    assert "Not plotted" not in page.text
    chinese = service.client.get(url, params={"format": "html", "lang": "zh"}).text
    assert "固态电池" in chinese


def test_result_formats_by_accept_header_and_override(local: Service) -> None:
    result_id = local.submit(EXAMPLES / "polymer-sodium.yaml")["result"]["id"]
    url = f"/v1/results/{result_id}"
    as_json = local.client.get(url)
    assert as_json.json()["result"]["dossier_id"] == "EX-POL-NA-03"
    assert as_json.headers["Vary"] == "Accept"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert local.client.get(url, headers={"Accept": browser}).headers[
        "Content-Type"].startswith("text/html")
    pdf = local.client.get(url, headers={"Accept": "text/html"}, params={"format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert_clean_error(local.client.get(f"/v1/results/{'a' * 32}"), 404)
    assert_clean_error(local.client.get(url, params={"format": "docx"}), 422)


@pytest.mark.parametrize(("accept", "expected"), [
    ("", "json"), ("*/*", "json"), ("application/pdf", "pdf"),
    ("text/html;q=0.5, application/pdf", "pdf"), ("text/html, application/json", "html"),
    ("application/json;q=0.1, text/*;q=0.2", "html"), ("image/png", "json"),
    ("application/pdf;q=nonsense, text/html;q=0.1", "html"),
])
def test_negotiation(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected


def test_pdf_without_the_extra_is_501_with_the_install_hint(
        local: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    result_id = local.submit(EXAMPLES / "liquid-lfp.yaml")["result"]["id"]
    real_import = builtins.__import__

    def no_weasyprint(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "weasyprint":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    response = local.client.get(f"/v1/results/{result_id}", params={"format": "pdf"})
    assert "pip install 'solidcheck[pdf]'" in assert_clean_error(response, 501)["message"]


# --------------------------------------------------------------------- certificates


def test_verify_a_certificate_and_a_tampered_one(local: Service) -> None:
    dossier = (EXAMPLES / "sulfide-high-energy.yaml").read_bytes()
    data = certificate_bytes(certify(dossier, key=generate_key(), issuer_name="Example Lab"))
    check = local.client.post("/v1/verify", content=data,
                              headers={"Content-Type": "application/json"}).json()
    assert check["valid"] is True and check["reasons"] == []
    assert (check["issuer_name"], check["dossier_id"], check["category"]) == (
        "Example Lab", "EX-SUL-HE-01", "solid_state")
    assert check["issuer_trusted"] is None

    tampered = local.client.post("/v1/verify",
                                 content=data.replace(b"Example Lab", b"Exemplar Lab"))
    outcome = tampered.json()
    assert tampered.status_code == 200 and outcome["valid"] is False
    assert any("signature does not match" in reason for reason in outcome["reasons"])
    not_one = local.client.post("/v1/verify", content=b'{"hello": "world"}')
    assert assert_clean_error(not_one, 422)["message"].startswith("invalid certificate")


def test_certificates_are_kept_and_served_as_issued(service: Service) -> None:
    path = EXAMPLES / "sulfide-high-energy.yaml"
    service.submit(path)
    key = generate_key()
    data = certificate_bytes(certify(path.read_bytes(), key=key, issuer_name="Example Lab"))
    headers = {"Content-Type": "application/json", **service.auth("lab")}
    untrusted = service.client.post("/v1/certificates", content=data, headers=headers)
    assert "trusted issuers" in assert_clean_error(untrusted, 422)["message"]
    issuer = {"name": "Example Lab", "public_key": public_key_base64(key.public_key())}
    assert service.client.post("/v1/issuers", json=issuer,
                               headers=service.auth("lab")).status_code == 403
    trusted = service.client.post("/v1/issuers", json=issuer, headers=service.auth("admin"))
    assert trusted.status_code == 201, trusted.text
    assert [i["name"] for i in service.client.get("/v1/issuers").json()] == ["Example Lab"]
    response = service.client.post("/v1/certificates", content=data, headers=headers)
    assert response.status_code == 201, response.text
    assert (response.json()["version"], response.json()["issuer_name"]) == (1, "Example Lab")
    replay = service.client.post("/v1/certificates", content=data, headers=headers)
    assert (replay.status_code, replay.json()["id"]) == (200, response.json()["id"])
    cell = service.client.get("/v1/cells/EX-SUL-HE-01").json()
    assert [c["id"] for c in cell["certificates"]] == [response.json()["id"]]
    stored = service.client.get(f"/v1/certificates/{response.json()['id']}")
    assert stored.content == data
    assert_clean_error(service.client.get("/v1/certificates/999999"), 404)
    report = service.client.get(f"/v1/results/{response.json()['result_id']}",
                                params={"format": "html"}).text
    assert 'class="qr"' in report


# --------------------------------------------------------------------- claim audit


def test_audit_finds_a_semi_solid_battery(local: Service) -> None:
    report = local.client.post("/v1/audit", json={
        "text": "Meet the X1, our new semi-solid battery."}).json()
    found = [(f["rule"], f["text"]) for f in report["findings"]]
    assert ("non_preferred_term", "semi-solid battery") in found


def test_audit_an_upload_against_a_stored_result(local: Service) -> None:
    liquid = local.submit(EXAMPLES / "liquid-lfp.yaml")["result"]
    release = EXAMPLES / "text" / "press-release-s8.md"
    response = local.client.post("/v1/audit", data={"evidence_result_id": liquid["id"]},
                                 files={"file": (release.name, release.read_bytes())})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["source"]["file"] == "press-release-s8.md"
    assert report["evidence"]["category"] == "liquid"
    assert report["findings"]
    bad = local.client.post("/v1/audit", json={"text": "x", "colour": "blue"})
    assert assert_clean_error(bad, 422)["problems"][0]["path"] == "colour"


# --------------------------------------------------------------------- keys and roles


def test_writes_need_a_key_of_the_right_role(service: Service) -> None:
    body = (EXAMPLES / "liquid-lfp.yaml").read_bytes()
    post = service.client.post
    anonymous = post("/v1/cells", content=body, headers=YAML)
    assert_clean_error(anonymous, 401)
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    forged = post("/v1/cells", content=body,
                  headers={**YAML, "Authorization": "Bearer sc_000000000000_" + "x" * 43})
    assert_clean_error(forged, 401)
    assert_clean_error(post("/v1/cells", content=body,
                            headers={**YAML, **service.auth("reader")}), 403)
    assert_clean_error(post("/v1/cells/X/reclassify", headers=service.auth("reader")), 403)
    assert_clean_error(service.client.get("/v1/keys", headers=service.auth("lab")), 403)
    assert post("/v1/cells", content=body, headers={**YAML, "X-API-Key": service.keys["admin"]}
                ).status_code == 201
    assert service.client.get("/v1/cells").json()["total"] == 1


def test_keys_are_created_once_listed_without_secrets_and_revoked(service: Service) -> None:
    admin = service.auth("admin")
    created = service.client.post("/v1/keys", json={"role": "lab", "name": "Lab 2"},
                                  headers=admin)
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret, key_id = created.json()["secret"], created.json()["key"]["id"]
    listed = service.client.get("/v1/keys", headers=admin)
    assert key_id in {k["id"] for k in listed.json()} and secret not in listed.text

    new_key = {"Authorization": f"Bearer {secret}", **YAML}
    body = (EXAMPLES / "liquid-lfp.yaml").read_bytes()
    assert service.client.post("/v1/cells", content=body, headers=new_key).status_code == 201
    revoked = service.client.delete(f"/v1/keys/{key_id}", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    assert_clean_error(service.client.post("/v1/cells", content=body, headers=new_key), 401)
    assert_clean_error(service.client.post("/v1/keys", json={"role": "root", "name": "x"},
                                           headers=admin), 422)
    assert_clean_error(service.client.delete(f"/v1/keys/{'f' * 12}", headers=admin), 404)


def test_a_private_registry_needs_a_key_to_read(start_service: Callable[..., Service]) -> None:
    private = start_service(public_reads=False)
    result_id = private.submit(EXAMPLES / "liquid-lfp.yaml")["result"]["id"]
    for url in ("/v1/cells", "/v1/cells/EX-LIQ-11", f"/v1/results/{result_id}", "/metrics"):
        response = private.client.get(url)
        assert_clean_error(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert private.client.get(url, headers=private.auth("reader")).status_code == 200
    assert private.client.post("/v1/classify", content=(EXAMPLES / "liquid-lfp.yaml")
                               .read_bytes(), headers=YAML).status_code == 200


def test_unpublished_results_are_hidden_from_anonymous_readers(local: Service) -> None:
    result_id = local.submit(EXAMPLES / "liquid-lfp.yaml", query="?publish=false")[
        "result"]["id"]
    assert_clean_error(local.client.get(f"/v1/results/{result_id}"), 404)
    assert_clean_error(local.client.get("/v1/cells/EX-LIQ-11"), 404)  # nothing published
    assert local.client.get("/v1/cells", params={"category": "liquid"}).json()["total"] == 0
    assert local.client.get("/v1/cells", params={"q": "EX-LIQ"}).json()["total"] == 0
    # its lab and admins see it; another organisation's key (here the reader's) does not
    for role, status in (("lab", 200), ("admin", 200), ("reader", 404)):
        with_key = local.client.get(f"/v1/results/{result_id}", headers=local.auth(role))
        assert with_key.status_code == status, role
    assert local.client.get(f"/v1/results/{result_id}", headers=local.auth("lab")
                            ).json()["published"] is False


# --------------------------------------------------------------------- limits


def test_an_oversize_body_is_413_declared_or_streamed(
        start_service: Callable[..., Service]) -> None:
    small = start_service(max_body_bytes=2000)
    body = (EXAMPLES / "sulfide-high-energy.yaml").read_bytes() + b"#" * 2000
    declared = small.client.post("/v1/classify", content=body, headers=YAML)
    assert "2000 bytes" in assert_clean_error(declared, 413)["message"]

    def chunks() -> Iterator[bytes]:
        yield body[:1500]
        yield body[1500:]

    streamed = small.client.post("/v1/classify", content=chunks(), headers=YAML)
    assert "Content-Length" not in streamed.request.headers
    assert_clean_error(streamed, 413)
    upload = small.client.post("/v1/cells/X/evidence", headers=small.auth("lab"),
                               files={"file": ("log.csv", (LAB / "oven-log-s1.csv")
                                               .read_bytes())})
    assert_clean_error(upload, 413)
    assert small.client.post("/v1/classify", content=body[:1500] + b"\n",
                             headers=YAML).status_code != 413


def test_the_rate_limit_refuses_then_recovers(start_service: Callable[..., Service]) -> None:
    limited = start_service(rate_limit_per_minute=3)
    now = [1000.0]
    limited.app.state.rate_limiter.clock = lambda: now[0]
    get = limited.client.get
    assert [get("/v1/rulesets").status_code for _ in range(3)] == [200, 200, 200]
    refused = get("/v1/rulesets")
    assert_clean_error(refused, 429)
    assert refused.headers["Retry-After"] == "20"  # 3 a minute: one every 20 s
    assert get("/v1/rulesets", headers=limited.auth("reader")).status_code == 200  # its own
    forged = {"Authorization": "Bearer sc_000000000000_" + "y" * 43}
    assert get("/v1/rulesets", headers=forged).status_code == 429  # counts as the address
    assert get("/healthz").status_code == 200
    now[0] += 20
    assert get("/v1/rulesets").status_code == 200
    assert get("/v1/rulesets").status_code == 429


# --------------------------------------------------------------------- errors and headers


def test_no_error_shows_internals(local: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("SELECT secret FROM keys -- Traceback")

    monkeypatch.setattr(local.registry, "list_cells", broken)
    crash = local.client.get("/v1/cells")
    assert assert_clean_error(crash, 500) == {"message": "internal error", "problems": [],
                                              "request_id": crash.headers["X-Request-ID"]}
    assert crash.headers["X-Content-Type-Options"] == "nosniff"

    def down(*_: Any, **__: Any) -> None:
        raise DatabaseError("the registry database failed: SELECT 1 at postgresql://u:p@h/db")

    monkeypatch.setattr(local.registry, "get_cell", down)
    unavailable = local.client.get("/v1/cells/X")
    assert "unavailable" in assert_clean_error(unavailable, 503)["message"]
    assert "postgresql" not in unavailable.text
    assert_clean_error(local.client.get("/v1/no-such-route"), 404)
    wrong_method = local.client.delete("/v1/rulesets")
    assert_clean_error(wrong_method, 405)
    assert wrong_method.headers["Allow"] == "GET"
    both = local.client.put("/v1/cells")
    assert both.headers["Allow"] == "GET, POST"
    assert "use GET, POST" in assert_clean_error(both, 405)["message"]


def test_security_headers_on_every_response(local: Service) -> None:
    result_id = local.submit(EXAMPLES / "liquid-lfp.yaml")["result"]["id"]
    responses = [local.client.get("/v1/rulesets"), local.client.get("/v1/cells/NOPE"),
                 local.client.get(f"/v1/results/{result_id}", params={"format": "html"}),
                 local.client.get("/healthz"), local.client.get("/openapi.json")]
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    html_policy = responses[2].headers["Content-Security-Policy"]
    assert "default-src 'self'" in html_policy and "script-src 'self'" in html_policy
    assert "default-src 'none'" in responses[0].headers["Content-Security-Policy"]


def test_health(local: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    healthy = local.client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok", "version": local.app.version,
                              "database": "sqlite"}

    def unreachable() -> None:
        raise DatabaseError("cannot connect")

    monkeypatch.setattr(local.registry, "ping", unreachable)
    sick = local.client.get("/healthz")
    assert (sick.status_code, sick.json()["status"]) == (503, "unavailable")


def test_health_on_each_database(service: Service, database_url: str) -> None:
    expected = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert service.client.get("/healthz").json()["database"] == expected


def test_metrics_count_requests_and_stored_results(local: Service) -> None:
    labels = {"method": "POST", "route": "/v1/classify", "status": "200"}
    before = counter(local.client, "solidcheck_http_requests_total", **labels)
    local.client.post("/v1/classify", content=(EXAMPLES / "liquid-lfp.yaml").read_bytes())
    assert counter(local.client, "solidcheck_http_requests_total", **labels) == before + 1

    local.submit(EXAMPLES / "liquid-lfp.yaml")
    local.submit(EXAMPLES / "liquid-lfp.yaml")  # unchanged: no new result
    assert counter(local.client, "solidcheck_results_stored_total", category="liquid") == len(
        solidcheck.rules.available_rulesets())  # one result under each rule set (issue 20)
    local.client.get("/v1/cells/SOME-ID")
    assert counter(local.client, "solidcheck_http_requests_total", method="GET",
                   route="/v1/cells/{cell_id}", status="404") == 1
    assert counter(local.client, "solidcheck_http_request_duration_seconds_count",
                   method="GET", route="/v1/cells/{cell_id}") == 1
    local.client.get("/v1/no/such/path")  # the raw path never becomes a label
    assert counter(local.client, "solidcheck_http_requests_total", method="GET",
                   route="unrouted", status="404") == 1
    assert "/v1/no/such/path" not in local.client.get("/metrics").text


def test_openapi_describes_bodies_errors_and_keys(local: Service) -> None:
    document = local.client.get("/openapi.json").json()
    classify_op = document["paths"]["/v1/classify"]["post"]
    assert classify_op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Dossier"}
    assert "Dossier" in document["components"]["schemas"]
    error = {"$ref": "#/components/schemas/ErrorBody"}
    assert classify_op["responses"]["422"]["content"]["application/json"]["schema"] == error
    submit_op = document["paths"]["/v1/cells"]["post"]
    assert submit_op["security"] == [{"bearerAuth": []}]
    assert {"200", "201", "401", "403", "413", "422", "429"} <= set(submit_op["responses"])
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
