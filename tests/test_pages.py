"""The web pages through FastAPI's TestClient: search, a cell, the classify form (fields,
dossier file, evidence; CSRF; field-level errors), the glossary, verify and audit, in English
and Chinese, with everything from users escaped."""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import shutil
import warnings
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from solidcheck.certificates import certificate_bytes, certify, generate_key, public_key_base64
from solidcheck.classify import classify
from solidcheck.dossier import load_dossier, parse_dossier
from solidcheck.registry import Registry
from solidcheck.rules import load_ruleset
from solidcheck.web import Settings, create_app, csrf
from solidcheck.web import pages as pages_package
from solidcheck.web.pages.frame import page_labels
from solidcheck.web.pages.navigation import Page

with warnings.catch_warnings():
    # Starlette deprecates its httpx-based client in favour of httpx2, not installed here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
LAB = EXAMPLES / "lab"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.json")])


@pytest.fixture(scope="module")
def populated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding every example, made once and copied for each test."""
    path = tmp_path_factory.mktemp("registry") / "r.sqlite3"
    with Registry.open(f"sqlite:///{path}", create=True) as registry:
        for example in EXAMPLE_FILES:
            registry.submit(load_dossier(example), actor="test")
    return path


@pytest.fixture
def app(tmp_path: Path, populated_database: Path) -> Iterator[FastAPI]:
    """The app on its own copy of the populated SQLite registry."""
    database = tmp_path / "r.sqlite3"
    shutil.copyfile(populated_database, database)
    settings = Settings(database_url=f"sqlite:///{database}", secret_key="pages-test-secret")
    application = create_app(settings)
    yield application
    application.state.registry.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def registry(app: FastAPI) -> Registry:
    stored: Registry = app.state.registry
    return stored


@pytest.fixture
def lab_key(registry: Registry) -> str:
    _, secret = registry.create_api_key(role="lab", name="test lab", actor="test")
    return secret


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token of a form page (its cookie is kept by the client)."""
    match = TOKEN.search(client.get(path).text)
    assert match, f"{path} has no CSRF token"
    return match[1]


def post(client: TestClient, path: str, data: dict[str, Any],
         files: dict[str, tuple[str, bytes, str]] | None = None) -> Any:
    """POST a form the way a browser does: multipart, with the page's CSRF token."""
    body = {"csrf_token": form_token(client, path), **data}
    return client.post(path, data=body, files=files or {"_": ("", b"", "text/plain")})


def text_of(html: str) -> str:
    """The page's visible words, tags removed and entities decoded (for phrase checks)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def summary_links(html: str) -> list[str]:
    """The fields the error summary links to, in its order."""
    summary = html.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">', summary)


def cell_ids(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(
        r'<th scope="row"[^>]*><a href="/cells/[^"]+">([^<]+)</a>', html)]


SOLID_FIELDS = {
    "id": "FORM-SSB-1", "manufacturer": "Form Cells", "model": "F1", "phase": ["solid"],
    "solid_type": "sulfide", "conducting_ion": "lithium", "application": "high_energy",
    "wl_temperature_c": "120", "wl_duration_h": "6", "wl_pressure_pa": "50",
    "wl_visible_liquid": "no", "wl_balance_resolution_mg": "0.1",
    "specimen_1_before": "52.1034", "specimen_1_after": "51.9876",
    "specimen_2_before": "51.8811", "specimen_2_after": "51.7702",
}


# --------------------------------------------------------------------------- search

def test_search_lists_every_cell_each_linking_to_its_page(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    ids = cell_ids(page.text)
    assert sorted(ids) == sorted(load_dossier(p).id for p in EXAMPLE_FILES)
    assert '<a href="/cells/EX-HSL-10">EX-HSL-10</a>' in page.text
    assert f"{len(EXAMPLE_FILES)} cells found" in text_of(page.text)


SOLID_STATE_EXAMPLES = {"EX-CMP-05", "EX-LIM-08", "EX-HAL-04", "EX-GAIN-15", "EX-UNC-16",
                        "EX-OTH-06", "EX-POL-NA-03", "EX-SUL-HE-01", "EX-OXI-HP-02"}


@pytest.mark.parametrize(("query", "expected"), [
    ("category=solid_state", SOLID_STATE_EXAMPLES),
    ("category=liquid", {"EX-LIQ-11"}),
    ("ion=sodium", {"EX-GAIN-15", "EX-POL-NA-03"}),
    ("electrolyte=oxide", {"EX-GAIN-15", "EX-OXI-HP-02"}),
    ("manufacturer=semi", {"EX-HSL-10"}),
    ("q=hsl-1", {"EX-HSL-10"}),
    ("q=SCP1-SSB-SUL", {"EX-SUL-HE-01", "EX-LIM-08"}),
    ("category=solid_state&ion=sodium&electrolyte=polymer", {"EX-POL-NA-03"}),
    ("category=hybrid_solid_liquid&ruleset=csae-434-2025",  # classified on submit (issue 20)
     {"EX-LIM-09", "EX-IL-14", "EX-HSL-10"}),
])
def test_search_filters(client: TestClient, query: str, expected: set[str]) -> None:
    page = client.get(f"/?{query}")
    assert page.status_code == 200
    assert set(cell_ids(page.text)) == expected


def test_search_under_another_rule_set(client: TestClient, registry: Registry) -> None:
    """Every cell is listed under any rule set, with its category under it: a stored
    dossier is classified under every installed rule set (issue 20)."""
    listed = cell_ids(client.get("/?ruleset=csae-434-2025").text)
    assert len(listed) == len(EXAMPLE_FILES)
    csae = load_ruleset("csae-434-2025")
    solid = {d.id for d in map(load_dossier, EXAMPLE_FILES)
             if classify(d, csae).category == "solid_state"}
    page = client.get("/?ruleset=csae-434-2025&category=solid_state")
    assert set(cell_ids(page.text)) == solid and "EX-SUL-07" in solid
    stored = registry.reclassify("EX-SUL-07", ruleset="csae-434-2025", actor="test")
    assert stored.result.code in page.text  # the one stored on submit, not a second


def test_search_pages_through_many_cells(client: TestClient, registry: Registry) -> None:
    """Pages by key: the next page's link (which keeps the filters) follows the last row."""
    for number in range(25):
        registry.submit(parse_dossier(f"id: BULK-{number:02d}\nelectrolyte: {{phases: [liquid]}}"
                                      "\nconducting_ion: lithium\n"), actor="test")
    total = len(EXAMPLE_FILES) + 25
    first = client.get("/?category=liquid")
    liquid = registry.list_cells(category="liquid").total
    assert liquid > 20
    assert len(cell_ids(first.text)) == 20
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    next_href = unescape(re.search(r'<a href="([^"]+)" rel="next">', first.text)[1])
    assert "category=liquid" in next_href and "after=" in next_href
    second = client.get(next_href)
    assert len(cell_ids(second.text)) == liquid - 20
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert not set(cell_ids(first.text)) & set(cell_ids(second.text))
    assert f"{total} cells found" in text_of(client.get("/").text)


def test_search_refuses_an_unknown_filter_value_at_its_field(client: TestClient) -> None:
    page = client.get("/?category=semi_solid")
    assert page.status_code == 422
    assert '<a href="#category">' in page.text
    assert re.search(r'<select id="category" name="category"[^>]*aria-invalid="true"', page.text)
    assert cell_ids(page.text) == []
    for odd in ("/?page=²", "/?page=-1", "/?page=99999999999999999999", "/verify?certificate=²",
                "/?q=%00x"):
        assert client.get(odd).status_code == 200, odd
    assert client.get("/cells/EX-HSL-10%00").status_code == 404


# --------------------------------------------------------------------------- a cell

def test_cell_page_shows_verdict_reasons_plot_and_downloads(client: TestClient,
                                                            registry: Registry) -> None:
    page = client.get("/cells/EX-HSL-10")
    assert page.status_code == 200
    result = registry.get_cell("EX-HSL-10").results[0]
    words = text_of(page.text)
    assert '<div class="verdict cat-hybrid_solid_liquid">' in page.text
    assert "hybrid solid-liquid battery" in words
    for finding in result.result.findings:
        assert f"<code>{finding.rule}</code>" in page.text
        assert unescape(finding.message) in unescape(page.text)
    assert "project assumption" in words and "standard" in words
    assert result.result.code in page.text
    assert "4.2000" in words  # the specimen's rate in the weight-loss table
    assert re.search(r'<svg role="img" aria-labelledby="shown-rates-title"', page.text)
    # issue 20: no `download` attribute — the answer's Content-Disposition saves a PDF, and a
    # server without WeasyPrint can show its problem page instead of a failed download
    assert f'href="/v1/results/{result.id}?format=pdf&amp;lang=en" aria-label' in page.text
    assert f'href="/v1/results/{result.id}?format=html&amp;lang=en"' in page.text


def test_cell_page_keeps_every_rule_sets_result(client: TestClient,
                                                registry: Registry) -> None:
    other = registry.reclassify("EX-SUL-07", ruleset="csae-434-2025", actor="test")
    default = next(r for r in registry.get_cell("EX-SUL-07").results
                   if r.ruleset == "gbt-ssb-1-2026")
    page = client.get("/cells/EX-SUL-07")
    assert "gbt-ssb-1-2026" in page.text and "csae-434-2025" in page.text
    assert f"cat-{default.result.category}" in page.text
    chosen = client.get(f"/cells/EX-SUL-07?result={other.id}")
    assert f'<div class="verdict cat-{other.result.category}">' in chosen.text
    assert "under csae-434-2025" in text_of(chosen.text)
    assert other.result.category != default.result.category


def test_cell_page_lists_evidence_and_certificates(client: TestClient,
                                                  registry: Registry) -> None:
    oven_log = (LAB / "oven-log-s1.csv").read_bytes()
    record = registry.add_evidence("EX-HSL-10", filename="oven-log-s1.csv", content=oven_log,
                                   actor="test")
    key = generate_key()
    registry.add_trusted_issuer(name="Test Lab", public_key=public_key_base64(key.public_key()),
                                actor="test")
    data = (EXAMPLES / "semi-solid-marketed.yaml").read_bytes()
    certificate = registry.add_certificate(
        certificate_bytes(certify(data, key=key, issuer_name="Test Lab")), actor="test")
    page = client.get("/cells/EX-HSL-10")
    assert f'href="/v1/evidence/{record.sha256}"' in page.text
    assert f'href="/v1/certificates/{certificate.id}"' in page.text
    row = text_of(page.text.split(f'href="/v1/certificates/{certificate.id}"')[1]
                  .split("</tr>")[0])
    assert "1" in row.split() and "gbt-ssb-1-2026" in row and "Test Lab" in row  # version
    assert f'href="/verify?certificate={certificate.id}"' in page.text


def test_a_private_registry_shows_no_records(tmp_path: Path, populated_database: Path) -> None:
    database = tmp_path / "r.sqlite3"
    shutil.copyfile(populated_database, database)
    private = create_app(Settings(database_url=f"sqlite:///{database}", public_reads=False))
    with TestClient(private) as test_client:
        for path in ("/", "/cells/EX-HSL-10", "/verify?certificate=1"):
            page = test_client.get(path)
            assert page.status_code == 403, path
            assert "EX-HSL-10" not in page.text.replace("/cells/EX-HSL-10", ""), path
        assert test_client.get("/classify").status_code == 200
        audited = post(test_client, "/audit", {"text": "solid-state battery",
                                               "cell_id": "EX-HSL-10"})
        assert audited.status_code == 422 and "not public" in audited.text


def test_an_unknown_cell_is_a_404_page(client: TestClient) -> None:
    page = client.get("/cells/NO-SUCH-CELL")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "NO-SUCH-CELL" in page.text


# --------------------------------------------------------------------------- classify

def test_classify_fields_show_result_and_reasons_and_store_nothing(
        client: TestClient, registry: Registry) -> None:
    before = registry.list_cells().total
    page = post(client, "/classify", SOLID_FIELDS)
    assert page.status_code == 200
    assert '<div class="verdict cat-solid_state">' in page.text
    assert "SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026" in page.text
    assert "<code>weight_loss_limit</code>" in page.text
    assert "Not stored: no API key was given." in text_of(page.text)
    assert registry.list_cells().total == before


def test_classify_with_a_lab_key_stores_the_cell_and_links_to_it(
        client: TestClient, registry: Registry, lab_key: str) -> None:
    page = post(client, "/classify", {**SOLID_FIELDS, "api_key": lab_key})
    assert page.status_code == 200
    assert '<a href="/cells/FORM-SSB-1">' in page.text
    stored = registry.get_cell("FORM-SSB-1")
    assert stored.results[0].result.category == "solid_state"
    assert f"/v1/results/{stored.results[0].id}?format=pdf" in page.text
    assert lab_key not in page.text  # a secret is never echoed
    assert client.get("/cells/FORM-SSB-1").status_code == 200


def test_classify_builds_the_dossier_from_evidence_files(
        client: TestClient, registry: Registry, lab_key: str) -> None:
    fields = {"id": "EX-LAB-S1", "manufacturer": "Example Cells Co.", "phase": ["solid"],
              "solid_type": "sulfide", "conducting_ion": "lithium",
              "application": "high_energy", "wl_visible_liquid": "no",
              "wl_balance_resolution_mg": "0.1", "api_key": lab_key}
    files = {"oven_log": ("oven-log-s1.csv", (LAB / "oven-log-s1.csv").read_bytes(), "text/csv"),
             "weighings": ("weighings-s1.csv", (LAB / "weighings-s1.csv").read_bytes(),
                           "text/csv")}
    page = post(client, "/classify", fields, files)
    assert page.status_code == 200, text_of(page.text)
    assert '<div class="verdict cat-solid_state">' in page.text
    assert "oven-log-s1.csv" in page.text  # the dossier as classified records its evidence
    stored = registry.get_cell("EX-LAB-S1")
    assert {e.filename for e in stored.evidence} == {"oven-log-s1.csv", "weighings-s1.csv"}
    assert len(stored.versions[0].dossier.evidence) == 2


def test_classify_a_dossier_file(client: TestClient) -> None:
    files = {"dossier_file": ("cell.yaml", (EXAMPLES / "semi-solid-marketed.yaml").read_bytes(),
                              "application/yaml")}
    page = post(client, "/classify", {}, files)
    assert page.status_code == 200
    assert '<div class="verdict cat-hybrid_solid_liquid">' in page.text
    assert "<code>classification_by_phases</code>" in page.text


def test_classify_errors_are_shown_at_their_fields_and_nothing_is_stored(
        client: TestClient, registry: Registry, lab_key: str) -> None:
    before = registry.list_cells().total
    fields = {**SOLID_FIELDS, "id": "", "wl_temperature_c": "hot", "specimen_3_before": "50",
              "solid_type": "", "api_key": lab_key}
    page = post(client, "/classify", fields)
    assert page.status_code == 422
    links = summary_links(page.text)
    assert links == ["id", "solid_type", "wl_temperature_c", "specimen_3_after"]
    for name in links:
        assert re.search(rf'<(input|select) id="{name}" name="{name}"[^>]*aria-invalid="true"',
                         page.text), name
    assert "not a number" in text_of(page.text)
    assert 'value="hot"' in page.text  # what was typed is kept
    assert registry.list_cells().total == before


def test_a_block_begun_reports_every_field_it_still_needs(client: TestClient) -> None:
    fields = {"id": "X-1", "phase": ["liquid"], "conducting_ion": "lithium",
              "wl_temperature_c": "120", "max_power_w": "10"}
    page = post(client, "/classify", fields)
    assert page.status_code == 422
    assert summary_links(page.text) == ["energy_1c_wh", "wl_duration_h", "wl_pressure_pa",
                                        "specimen_1_before"]
    assert "Field required — fill in this field" in text_of(page.text)


def test_classify_refuses_a_reader_key_and_a_wrong_key(client: TestClient,
                                                       registry: Registry) -> None:
    _, reader = registry.create_api_key(role="reader", name="reader", actor="test")
    for secret in (reader, "sc_000000000000_" + "x" * 43):
        page = post(client, "/classify", {**SOLID_FIELDS, "api_key": secret})
        assert page.status_code == 422
        assert '<a href="#api_key">' in page.text
    with pytest.raises(LookupError):
        registry.get_cell("FORM-SSB-1")


def test_classify_refuses_fields_and_a_file_together(client: TestClient) -> None:
    files = {"dossier_file": ("cell.yaml", (EXAMPLES / "liquid-lfp.yaml").read_bytes(),
                              "application/yaml")}
    page = post(client, "/classify", {"id": "X"}, files)
    assert page.status_code == 422
    assert '<a href="#dossier_file">' in page.text


@pytest.mark.parametrize("token", [None, "forged.token", "other"])
def test_forms_without_the_right_csrf_token_are_refused(
        client: TestClient, registry: Registry, lab_key: str, token: str | None) -> None:
    before = registry.list_cells().total
    form_token(client, "/classify")  # the client holds a valid cookie
    data: dict[str, Any] = {**SOLID_FIELDS, "api_key": lab_key}
    if token == "other":
        token = client.get("/classify").cookies.get("solidcheck_csrf") or "x.y"
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    if token is not None:
        data["csrf_token"] = token
    for path in ("/classify", "/verify", "/audit"):
        page = client.post(path, data=data, files={"_": ("", b"", "text/plain")})
        assert page.status_code == 403, path
        assert "The form could not be accepted" in page.text
    assert registry.list_cells().total == before


def test_a_token_without_its_cookie_is_refused(app: FastAPI) -> None:
    with TestClient(app) as first, TestClient(app) as second:
        token = form_token(first, "/classify")
        page = second.post("/classify", data={**SOLID_FIELDS, "csrf_token": token},
                           files={"_": ("", b"", "text/plain")})
    assert page.status_code == 403


def test_csrf_tokens_are_signed_and_must_match() -> None:
    token = csrf.new_token("secret")
    assert csrf.is_signed("secret", token) and not csrf.is_signed("other secret", token)
    assert csrf.tokens_match("secret", token, token)
    assert not csrf.tokens_match("secret", token, csrf.new_token("secret"))
    nonce, _ = token.split(".")
    for forged in (f"{nonce}.", f"{nonce}.x", ".x", "é.é", "a.b.c", "", None):
        assert not csrf.is_signed("secret", forged)
        assert not csrf.tokens_match("secret", forged, forged)


def test_the_csrf_cookie_is_strict_and_http_only(client: TestClient) -> None:
    cookie = client.get("/classify").headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie and "path=/" in cookie


def test_script_in_a_dossier_is_escaped(client: TestClient, registry: Registry,
                                        lab_key: str) -> None:
    script = "<script>alert(1)</script>"
    dossier = (f"id: '{script}'\nmanufacturer: '{script}'\nelectrolyte: {{phases: [liquid]}}\n"
               "conducting_ion: lithium\n").encode()
    page = post(client, "/classify", {}, {"dossier_file": ("x.yaml", dossier, "text/yaml")})
    assert page.status_code == 200
    assert script not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    # stored, then shown on the search page and the cell's page
    fields = {"id": "<b>XSS", "manufacturer": script, "phase": ["liquid"],
              "conducting_ion": "lithium", "api_key": lab_key}
    assert post(client, "/classify", fields).status_code == 200
    for path in ("/", "/?q=XSS", "/cells/%3Cb%3EXSS"):
        shown = client.get(path)
        assert shown.status_code == 200, path
        assert script not in shown.text and "<b>XSS" not in shown.text, path
        assert "&lt;b&gt;XSS" in shown.text, path


# --------------------------------------------------------------------------- languages

def test_chinese_interface_by_query_and_by_browser(client: TestClient) -> None:
    page = client.get("/cells/EX-HSL-10?lang=zh")
    assert '<html lang="zh-CN">' in page.text
    assert "混合固液电池" in page.text and "依据：判定结果说明" in page.text
    assert 'href="/cells/EX-HSL-10?lang=en"' in page.text  # the switch back
    assert 'href="/glossary?lang=zh"' in page.text  # the choice is kept in links
    assert "离子经固态和液态电解质迁移" in page.text  # the findings read in Chinese too
    assert "ions move through solid and liquid" not in page.text
    browser = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in browser.text and "检索登记库" in browser.text
    english = client.get("/", headers={"Accept-Language": "fr, en;q=0.5, zh;q=0.4"})
    assert '<html lang="en">' in english.text
    assert 'href="/?lang=zh"' in english.text


def test_every_page_has_a_language_switch_and_one_h1(client: TestClient) -> None:
    for path in ("/", "/cells/EX-SUL-HE-01", "/classify", "/glossary", "/verify", "/audit"):
        for lang, other in (("en", "中文"), ("zh", "English")):
            page = client.get(f"{path}?lang={lang}")
            assert page.status_code == 200, path
            assert page.text.count("<h1") == 1, path
            assert re.search(rf'<p class="lang-switch"><a [^>]+>{other}</a>', page.text), path
            levels = [int(n) for n in re.findall(r"<h([1-6])\b", page.text)]
            assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), path


def declared_pages() -> list[Page]:
    """The ``PAGE`` of every module of the pages package, found here, not by the package."""
    found = []
    for info in pkgutil.iter_modules(pages_package.__path__):
        module = importlib.import_module(f"{pages_package.__name__}.{info.name}")
        declared = getattr(module, "PAGE", None)
        if declared is not None:
            assert isinstance(declared, Page), info.name
            found.append(declared)
    return found


def test_the_menu_is_every_page_modules_entry_in_both_languages(client: TestClient) -> None:
    """Each menu entry a page module declares, and no other, in its place, in English and
    in Chinese, on every page of the menu (each served: the package mounted it)."""
    entries = sorted((page.menu for page in declared_pages() if page.menu),
                     key=lambda e: e.place)
    assert entries and len({e.place for e in entries}) == len(entries)
    labels = page_labels()
    for lang in ("en", "zh"):
        for entry in entries:
            page = client.get(f"{entry.path}?lang={lang}")
            assert page.status_code == 200, entry.path
            nav = page.text.split("<nav ", 1)[1].split("</nav>", 1)[0]
            links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)
            assert [(unescape(href), unescape(label)) for href, _, label in links] == [
                (f"{e.path}?lang={lang}", labels[e.label_key][lang]) for e in entries]
            assert [unescape(href) for href, current, _ in links if current] == [
                f"{entry.path}?lang={lang}"]


def test_every_input_has_a_label(client: TestClient) -> None:
    for path in ("/", "/classify", "/glossary", "/verify", "/audit"):
        page = client.get(path).text
        inputs = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page)
        assert inputs, path
        for name in inputs:
            named_by = re.search(rf'id="{name}"[^>]* aria-labelledby="([^"]+)"', page)
            if named_by:  # a table of inputs: named by its row and column headers
                assert all(f'id="{part}"' in page for part in named_by[1].split()), name
            else:
                assert f'<label for="{name}"' in page, (path, name)
        assert not re.search(r'<input (?![^>]*\bid=)(?![^>]*type="hidden")', page), path


# --------------------------------------------------------------------------- glossary

def test_glossary_marks_non_preferred_terms(client: TestClient) -> None:
    page = client.get("/glossary")
    row = re.search(r'<tr class="label-non_preferred">\s*<th scope="row" lang="zh-CN">'
                    r"半固态电池</th>.*?</tr>", page.text, re.S)
    assert row and "non-preferred" in row[0]
    assert re.search(r'<tr class="label-preferred">\s*<th scope="row" lang="zh-CN">'
                     r"混合固液电池</th>", page.text)
    looked_up = client.get("/glossary?q=半固态电池&lang=zh")
    assert "非优选术语" in looked_up.text and "混合固液电池" in looked_up.text


def test_glossary_notes_are_in_the_readers_language(client: TestClient) -> None:
    """An English label's note is shown to a Chinese reader in Chinese, marked as such."""
    english = client.get("/glossary").text
    chinese = client.get("/glossary?lang=zh").text
    row = r'<th scope="row" lang="en">semi-solid-state battery</th>.*?</tr>'
    assert '<span lang="en">no longer a classification term</span>' in re.search(
        row, english, re.S)[0]  # type: ignore[index]
    assert '<span lang="zh-CN">不再作为分类术语</span>' in re.search(
        row, chinese, re.S)[0]  # type: ignore[index]


# --------------------------------------------------------------------------- verify

@pytest.fixture
def signed() -> tuple[bytes, str]:
    """A certificate of an example dossier, and the issuer's public key."""
    key = generate_key()
    data = (EXAMPLES / "sulfide-high-energy.yaml").read_bytes()
    return (certificate_bytes(certify(data, key=key, issuer_name="Test Lab")),
            public_key_base64(key.public_key()))


def test_verify_a_valid_certificate(client: TestClient, signed: tuple[bytes, str]) -> None:
    certificate, public_key = signed
    page = post(client, "/verify", {"public_key": public_key},
                {"certificate_file": ("c.cert.json", certificate, "application/json")})
    assert page.status_code == 200
    assert '<div class="verdict verify-valid">' in page.text
    assert "Test Lab" in page.text and "EX-SUL-HE-01" in page.text
    pasted = post(client, "/verify", {"certificate_text": certificate.decode().strip()})
    assert '<div class="verdict verify-valid">' in pasted.text
    assert "not checked: no public key given" in text_of(pasted.text)


def test_verify_lists_every_reason_a_certificate_fails(
        client: TestClient, signed: tuple[bytes, str]) -> None:
    certificate, _ = signed
    tampered = certificate.replace(b'"category":"solid_state"', b'"category":"liquid"')
    assert tampered != certificate
    other_key = public_key_base64(generate_key().public_key())
    page = post(client, "/verify", {"public_key": other_key},
                {"certificate_file": ("c.cert.json", tampered, "application/json")})
    assert page.status_code == 200
    assert '<div class="verdict verify-invalid">' in page.text
    reasons = re.findall(r"<li>(.*?)</li>",
                         page.text.split('class="reasons"', 1)[1].split("</ul>", 1)[0])
    assert len(reasons) >= 2
    assert any("signature" in r for r in reasons)
    assert any("not the expected key" in r for r in reasons)


def test_verify_a_malformed_certificate_is_a_field_error(client: TestClient) -> None:
    page = post(client, "/verify", {"certificate_text": "{not json"})
    assert page.status_code == 422
    assert '<a href="#certificate_text">' in page.text
    empty = post(client, "/verify", {})
    assert empty.status_code == 422


def test_verify_a_stored_certificate_by_its_id(client: TestClient, registry: Registry) -> None:
    data = (EXAMPLES / "sulfide-high-energy.yaml").read_bytes()
    key = generate_key()
    registry.add_trusted_issuer(name="Lab", public_key=public_key_base64(key.public_key()),
                                actor="test")
    stored = registry.add_certificate(
        certificate_bytes(certify(data, key=key, issuer_name="Lab")), actor="test")
    page = client.get(f"/verify?certificate={stored.id}")
    assert '<div class="verdict verify-valid">' in page.text
    missing = client.get(f"/verify?certificate={stored.id + 1}")
    assert missing.status_code == 404 and '<a href="#certificate_text">' in missing.text


# --------------------------------------------------------------------------- audit

def test_audit_marks_a_non_preferred_term_in_place(client: TestClient) -> None:
    page = post(client, "/audit", {"text": "Our new semi-solid battery & <b>more</b>."})
    assert page.status_code == 200
    assert '<mark class="warning" title="' in page.text
    assert re.search(r'<mark class="warning"[^>]*>semi-solid battery</mark><sup><a href="'
                     r'#finding-1"', page.text)
    assert "&lt;b&gt;more&lt;/b&gt;" in page.text  # the text is shown, never rendered
    assert '<tr id="finding-1">' in page.text and "hybrid solid-liquid battery" in page.text


def test_audit_checks_claims_against_a_stored_cell(client: TestClient) -> None:
    text = "The S8 is a solid-state battery."
    page = post(client, "/audit", {"text": text, "cell_id": "EX-HSL-10"})
    assert page.status_code == 200
    assert re.search(r'<mark class="error"[^>]*>solid-state battery</mark>', page.text)
    assert "<code>contradicted_claim</code>" in page.text
    missing = post(client, "/audit", {"text": text, "cell_id": "NOPE"})
    assert missing.status_code == 422 and '<a href="#cell_id">' in missing.text


def test_audit_an_uploaded_html_document(client: TestClient) -> None:
    html = "<html><body><p>半固态电池 量产</p><script>semi-solid battery</script></body></html>"
    page = post(client, "/audit", {}, {"document": ("p.html", html.encode(), "text/html")})
    assert page.status_code == 200
    assert re.search(r'<mark class="warning"[^>]*>半固态电池</mark>', page.text)
    assert page.text.count("<mark class=\"warning\"") == 2  # the text and the legend


# --------------------------------------------------------------------------- static

def test_the_stylesheet_is_served_and_nothing_else(client: TestClient) -> None:
    css = client.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".verdict" in css.text
    assert client.get("/static/../pages.py").status_code == 404
    assert client.get("/static/pages.toml").status_code == 404
    assert "/static/" not in str(client.get("/openapi.json").json().get("paths", {}))


@pytest.mark.parametrize(("lang", "title"), [("en", "Too large"), ("zh", "提交内容过大")])
def test_a_form_over_its_size_is_a_page_saying_so(tmp_path: Path, populated_database: Path,
                                                  lang: str, title: str) -> None:
    """A form larger than it may be is answered 413 as soon as it streams past its limit,
    with a page in the reader's language — not the API's JSON."""
    database = tmp_path / "r.sqlite3"
    shutil.copyfile(populated_database, database)
    small = create_app(Settings(database_url=f"sqlite:///{database}", secret_key="s",
                                max_audit_bytes=1000))
    with TestClient(small) as client:
        page = post(client, f"/audit?lang={lang}", {"text": "semi-solid battery " * 10_000})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert title in page.text and "66,536" in page.text  # 1,000 + 64 KiB for the fields
