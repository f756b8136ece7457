"""Evidence on the pages (issue 20, items 4 and 8): the oven log's curves with the qualifying
hold shaded on the cell page and the classify result, drawn by the report's figure code; the
weighings' specimen ids; the classify form reading a decimal comma, saying what an empty form
lacks, and naming its own fields in the findings."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from solidcheck.plotting import HOLD
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
LAB = EXAMPLES / "lab"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

LAB_FIELDS = {"id": "EX-LAB-S1", "manufacturer": "Example Cells Co.", "phase": ["solid"],
              "solid_type": "sulfide", "conducting_ion": "lithium",
              "application": "high_energy", "wl_visible_liquid": "no",
              "wl_balance_resolution_mg": "0.1"}
#: a solid cell typed into the form with decimal commas, as a German or French lab writes
COMMA_FIELDS = {
    "id": "FORM-COMMA-1", "phase": ["solid"], "solid_type": "oxide",
    "conducting_ion": "lithium", "application": "high_energy",
    "wl_temperature_c": "120,0", "wl_duration_h": "6", "wl_pressure_pa": "50",
    "wl_visible_liquid": "no", "wl_balance_resolution_mg": "0,1",
    "specimen_1_before": "48,2311", "specimen_1_after": "48,2102",
}


def served(database_url: str) -> Iterator[TestClient]:
    application = create_app(Settings(database_url=database_url,
                                      secret_key="evidence-pages-secret"))
    with TestClient(application) as test_client:
        yield test_client
    application.state.registry.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The form alone (nothing stored): one database is enough."""
    yield from served(f"sqlite:///{tmp_path / 'registry.sqlite3'}")


@pytest.fixture
def stored_client(database_url: str) -> Iterator[TestClient]:
    """Pages of stored cells: on SQLite and PostgreSQL."""
    yield from served(database_url)


def lab_key(client: TestClient) -> str:
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    _, secret = registry.create_api_key(role="lab", name="evidence lab", actor="test")
    return secret


def post(client: TestClient, data: dict[str, Any],
         files: dict[str, tuple[str, bytes, str]] | None = None) -> Any:
    match = TOKEN.search(client.get("/classify").text)
    assert match
    return client.post("/classify", data={"csrf_token": match[1], **data},
                       files=files or {"_": ("", b"", "text/plain")})


def lab_files() -> dict[str, tuple[str, bytes, str]]:
    return {"oven_log": ("oven-log-s1.csv", (LAB / "oven-log-s1.csv").read_bytes(), "text/csv"),
            "weighings": ("weighings-s1.csv", (LAB / "weighings-s1.csv").read_bytes(),
                          "text/csv")}


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def oven_section(html: str) -> str:
    found = re.search(r'<section aria-labelledby="oven-h" class="oven-evidence">.*?</section>',
                      html, re.S)
    assert found, "no oven-log section"
    return found[0]


def svg_texts(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", html)]


def assert_oven_curve(section: str, *, time_label: str) -> None:
    """An inline SVG (no external reference) with the hold shaded and labelled axes."""
    assert section.count("<svg") == 1
    assert "<image" not in section and 'href="http' not in section
    assert f"fill: {HOLD}" in section or f'fill="{HOLD}"' in section  # the shaded hold
    assert time_label in svg_texts(section)


# --------------------------------------------------------------------------- the curves

def test_the_classify_result_shows_the_oven_curve_with_the_hold_shaded(
        client: TestClient) -> None:
    page = post(client, LAB_FIELDS, lab_files())
    assert page.status_code == 200, text_of(page.text)
    section = oven_section(page.text)
    assert_oven_curve(section, time_label="time t (h)")
    assert "temperature T (°C)" in svg_texts(section)
    assert "oven-log-s1.csv" in text_of(section)
    assert "qualifying hold 0:29:30 → 6:40:30 (6 h 11 min)" in text_of(section)


def test_the_cell_page_shows_the_stored_oven_log_in_chinese_too(
        stored_client: TestClient) -> None:
    client = stored_client
    assert post(client, {**LAB_FIELDS, "api_key": lab_key(client)},
                lab_files()).status_code == 200
    english = client.get("/cells/EX-LAB-S1?lang=en")
    assert_oven_curve(oven_section(english.text), time_label="time t (h)")
    chinese = oven_section(client.get("/cells/EX-LAB-S1?lang=zh").text)
    assert_oven_curve(chinese, time_label="时间 t（h）")
    assert "温度 T（°C）" in svg_texts(chinese)
    assert "6 小时 11 分钟" in text_of(chinese)  # the caption's duration in the page's language


def test_without_an_oven_log_a_sentence_says_so(stored_client: TestClient) -> None:
    client = stored_client
    page = post(client, {**COMMA_FIELDS, "api_key": lab_key(client)})
    assert page.status_code == 200, text_of(page.text)
    for html in (page.text, client.get("/cells/FORM-COMMA-1").text):
        section = oven_section(html)
        assert "<svg" not in section
        assert "No oven log: this dossier names none" in text_of(section)


def test_specimen_ids_from_the_weighings_are_shown(stored_client: TestClient) -> None:
    client = stored_client
    page = post(client, {**LAB_FIELDS, "api_key": lab_key(client)}, lab_files())
    for html in (page.text, client.get("/cells/EX-LAB-S1").text):
        rows = re.findall(r'<th scope="row">(S1-[ABC])</th>', html)
        assert rows == ["S1-A", "S1-B", "S1-C"]
        assert {"S1-A", "S1-B", "S1-C"} <= set(svg_texts(html))  # the rates plot's bars


# --------------------------------------------------------------------------- the form

def test_a_decimal_comma_is_read_as_a_decimal_point(client: TestClient) -> None:
    page = post(client, COMMA_FIELDS)
    assert page.status_code == 200, text_of(page.text)
    assert '<div class="verdict cat-solid_state">' in page.text
    assert "mass_before_g: 48.2311" in unescape(page.text)  # the dossier as classified


@pytest.mark.parametrize("typed", ["48,23,11", "1.234,5", "48,2311 g"])
def test_a_number_that_is_not_one_is_still_refused(client: TestClient, typed: str) -> None:
    page = post(client, {**COMMA_FIELDS, "specimen_1_before": typed})
    assert page.status_code == 422
    assert "not a number" in text_of(page.text)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Nothing to classify: the form was sent empty. Fill in at least Cell id"),
    ("zh", "没有可分类的内容：提交的表单为空。"),
])
def test_an_empty_form_gets_one_message_naming_the_fields(
        client: TestClient, lang: str, expected: str) -> None:
    match = TOKEN.search(client.get(f"/classify?lang={lang}").text)
    assert match
    page = client.post(f"/classify?lang={lang}", data={"csrf_token": match[1]},
                       files={"_": ("", b"", "text/plain")})
    assert page.status_code == 422
    summary = page.text.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert len(re.findall(r"<li>", summary)) == 1
    words = text_of(summary)
    assert expected in words
    assert "List should have at least 1 item" not in text_of(page.text)


def test_no_phase_ticked_is_said_as_the_form_says_it(client: TestClient) -> None:
    page = post(client, {**COMMA_FIELDS, "phase": []})
    assert page.status_code == 422
    assert "tick at least one phase" in text_of(page.text)
    assert "List should have at least 1 item" not in text_of(page.text)


def test_findings_name_the_form_field_not_the_dossier_key(client: TestClient) -> None:
    fields = {**COMMA_FIELDS, "wl_visible_liquid": "", "wl_balance_resolution_mg": ""}
    for lang, label in (("en", "“Liquid seen in the opened cell”"), ("zh", "“拆解后是否可见液体”")):
        page = client.get(f"/classify?lang={lang}")
        match = TOKEN.search(page.text)
        assert match
        result = client.post(f"/classify?lang={lang}", data={"csrf_token": match[1], **fields},
                             files={"_": ("", b"", "text/plain")})
        assert result.status_code == 200, text_of(result.text)
        why = text_of(result.text.split('-why">', 1)[1].split("</table>", 1)[0])
        assert "weight_loss_test.visible_liquid" not in why
        assert "weight_loss_test.balance_resolution_mg" not in why
        assert label in why
        assert "“application”" not in why  # a path that is a plain word stays prose


def test_findings_on_an_uploaded_dossier_keep_its_keys(client: TestClient) -> None:
    """Whoever uploaded a file edits the file: its keys are what they need to read."""
    text = (EXAMPLES / "sulfide-high-energy.yaml").read_text("utf-8")
    text = text.replace("visible_liquid: false", "visible_liquid: null")
    assert "visible_liquid: null" in text
    page = post(client, {}, {"dossier_file": ("cell.yaml", text.encode(), "application/yaml")})
    assert page.status_code == 200, text_of(page.text)
    why = text_of(page.text.split('-why">', 1)[1].split("</table>", 1)[0])
    assert "weight_loss_test.visible_liquid" in why


def test_the_dossier_upload_comes_first_in_the_form(client: TestClient) -> None:
    form = client.get("/classify").text.split('id="classify-form"', 1)[1]
    names = re.findall(r'<(?:input|select)[^>]* name="([^"]+)"', form)
    assert next(n for n in names if n != "csrf_token") == "dossier_file"
