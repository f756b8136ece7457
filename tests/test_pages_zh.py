"""The pages, their form errors and the claim auditor in Chinese (simplified and traditional):
no English word outside ids, codes, units, file names and what the user gave — a scan of the
rendered text (tests/language_scan.py), not a snapshot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from language_scan import english_words, visible_text, words_of
from solidcheck.build import build_dossier
from solidcheck.claims.plausibility import load_plausibility_rules
from solidcheck.cli import app as cli_app
from solidcheck.dossier import load_dossier, load_mapping
from solidcheck.i18n import message
from solidcheck.model import Finding
from solidcheck.readers import available_readers, read_evidence
from solidcheck.rules import available_rulesets, load_ruleset
from solidcheck.terms import phase_term
from test_pages import (
    EXAMPLE_FILES,
    EXAMPLES,
    SOLID_FIELDS,
    app,
    client,
    populated_database,
    post,
    registry,
    signed,
)

#: the English pages' fixtures (a populated registry, its app and client, a certificate)
FIXTURES = (app, client, populated_database, registry, signed)

#: findings (and verify reasons) are English until the core gives them message ids (issue
#: 15); until then the pages mark them lang="en" and the scan leaves them out
FINDINGS_AS_DATA = "message_id" in Finding.model_fields
#: what hints cite as they are written: a CSV column, a command, a file extension
CITED = {"specimen", "certify", "pub"}
CHINESE = ("zh", "zh-Hant")
#: names the plausibility rules' reasons cite as they are written: makers, products, a journal,
#: an author, a chemical formula
PROPER_NAMES = {"Amprius", "Blue", "Solutions", "Bluecar", "Autolib", "SCiB", "Donut", "Lab",
                "Feng", "Energy", "Storage", "Materials", "LiC", "LiPF6", "kWh",
                # the published sources the figure rules cite (issue 19, part "figures")
                "Schmuch", "Nature", "Reviews", "Manthiram", "Yu", "Wang", "Liu", "Zhu", "Cui",
                "Kamaya", "Waldmann", "Jaguemont", "Kato", "Journal", "Power", "Sources",
                "Applied", "IEC", "GB"}


def given_words() -> set[str]:
    """What the stored cells' makers wrote (names of cells, makers and models), and the
    name the tests store them under."""
    dossiers = [load_dossier(path) for path in EXAMPLE_FILES]
    return {"test"} | words_of([*(d.id for d in dossiers),
                                *(d.manufacturer or "" for d in dossiers),
                                *(d.model or "" for d in dossiers)])


def ruleset_references() -> set[str]:
    """What an audit finding's basis may cite: proper names, and the rule sets' clauses and
    reasons not yet given in Chinese (core15 adds them; then this allows nothing of them)."""
    untranslated = [rule.reference for ruleset in available_rulesets()
                    for rule in (ruleset.rules.non_preferred_terms,
                                 ruleset.rule("solid_state_requires_test"))
                    if not (getattr(rule, "clause_zh", None) or getattr(rule, "why_zh", None))]
    return PROPER_NAMES | words_of(untranslated)


def assert_chinese(html: str, allowed: set[str] | None = None) -> None:
    text = visible_text(html, skip_marked_english=not FINDINGS_AS_DATA)
    found = english_words(text, given_words() | CITED | (allowed or set()))
    assert not found, f"English on a Chinese page: {sorted(set(found))}"


# --------------------------------------------------------------------------- the pages

@pytest.mark.parametrize("lang", CHINESE)
@pytest.mark.parametrize("path", ["/", "/cells/EX-HSL-10", "/cells/EX-SUL-HE-01", "/classify",
                                  "/glossary", "/verify", "/audit", "/cells/NO-SUCH-CELL"])
def test_every_page_speaks_chinese(client, path: str, lang: str) -> None:
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code in (200, 404)
    assert f'<html lang="{"zh-CN" if lang == "zh" else "zh-Hant"}">' in page.text
    assert_chinese(page.text, {"NO-SUCH-CELL"})


def test_traditional_chinese_by_query_and_by_browser(client) -> None:
    simplified = client.get("/glossary?lang=zh").text
    traditional = client.get("/glossary?lang=zh-Hant").text
    assert "术语表" in simplified and "術語表" in traditional and "术语表" not in traditional
    for header in ("zh-TW,zh;q=0.9", "zh-HK", "zh-Hant-TW, en;q=0.5"):
        page = client.get("/glossary", headers={"Accept-Language": header})
        assert '<html lang="zh-Hant">' in page.text and "術語表" in page.text, header
    assert '<html lang="zh-CN">' in client.get(
        "/glossary", headers={"Accept-Language": "zh-CN, zh-TW;q=0.5"}).text
    chosen = client.get("/?lang=zh-Hant").text
    assert 'href="/glossary?lang=zh-Hant"' in chosen  # the choice is kept in links


def test_evidence_lines_in_chinese(client, registry) -> None:
    lab = EXAMPLES / "lab"
    oven = next(lab.glob("*oven*"))
    registry.add_evidence("EX-HSL-10", filename=oven.name, content=oven.read_bytes(),
                          actor="test")
    page = client.get("/cells/EX-HSL-10?lang=zh").text
    line = re.search(r'download="[^"]+">[^<]+</a><br><span class="small">([^<]+)</span>', page)
    assert line and " 行" in line[1] and "rows" not in line[1]
    assert re.search(r"\d+ 小时( \d+ 分钟)?", line[1])  # a duration, as Chinese writes it
    reader_format, channels = line[1].split("：", 1)[0], line[1].split("（", 1)[1]
    assert_chinese(page, {oven.name, reader_format} | words_of([channels]))


def test_a_built_dossiers_evidence_summary_in_chinese(client, registry) -> None:
    lab = EXAMPLES / "lab"
    oven, weighings = lab / "oven-log-s1.csv", lab / "weighings-s1.csv"
    built = build_dossier(load_mapping(lab / "cell-s1.yaml"), ruleset=load_ruleset(None),
                          oven_log=read_evidence(oven), weighings=read_evidence(weighings))
    registry.submit(built.dossier, actor="test")
    for path in (oven, weighings):
        registry.add_evidence(built.dossier.id, filename=path.name, content=path.read_bytes(),
                              actor="test")
    page = client.get(f"/cells/{built.dossier.id}?lang=zh").text
    assert "恒温段 6 小时 11 分钟" in page and "3 个样品，试验前后称量" in page
    assert "weighed before and after" not in page and "test conditions" not in page
    formats = {read_evidence(path).format for path in (oven, weighings)}
    channels = [line.split("（", 1)[1] for line in re.findall(
        r'download="[^"]+">[^<]+</a><br><span class="small">([^<]+)</span>', page)]
    assert_chinese(page, {oven.name, weighings.name, *formats, "S-200", "Example", "Cells",
                          "Co"} | words_of(channels))
    english = client.get(f"/cells/{built.dossier.id}?lang=en").text
    assert "3 specimen(s) weighed before and after" in english


def test_the_builds_notes_on_the_classify_page_in_chinese(client) -> None:
    lab = EXAMPLES / "lab"
    fields = {"id": "EX-LAB-S1", "manufacturer": "Example Cells Co.", "phase": ["solid"],
              "solid_type": "sulfide", "conducting_ion": "lithium",
              "application": "high_energy", "wl_visible_liquid": "no", "wl_duration_h": "7",
              "wl_balance_resolution_mg": "0.1"}
    files = {name: (f"{name.replace('_', '-')}.csv", path.read_bytes(), "text/csv")
             for name, path in (("oven_log", lab / "oven-log-s1.csv"),
                                ("weighings", lab / "weighings-s1.csv"))}
    page = post(client, "/classify?lang=zh", fields, files)
    assert page.status_code == 200
    assert "样品：3 个，取自 weighings.csv" in page.text
    assert "weight_loss_test.duration_h：声明值" in page.text
    assert "replaced by" not in page.text and "specimens: 3" not in page.text
    assert_chinese(page.text, {"oven-log.csv", "weighings.csv", "Example", "Cells", "Co"}
                   | words_of([str(value) for value in fields.values()]))


@pytest.mark.parametrize("lang", CHINESE)
def test_a_classification_result_in_chinese(client, lang: str) -> None:
    page = post(client, f"/classify?lang={lang}", SOLID_FIELDS)
    assert page.status_code == 200 and "FORM-SSB-1" in page.text
    assert_chinese(page.text, words_of(str(value) for value in SOLID_FIELDS.values()))


# --------------------------------------------------------------------------- form errors

def test_form_errors_in_chinese(client) -> None:
    fields = {**SOLID_FIELDS, "wl_temperature_c": "hot", "specimen_2_after": ""}
    page = post(client, "/classify?lang=zh", fields)
    assert page.status_code == 422
    assert "不是数字" in page.text and "两个质量" in page.text
    assert_chinese(page.text, words_of(str(value) for value in fields.values()))


def test_a_dossier_files_problems_in_chinese(client) -> None:
    dossier = (b"id: BAD-1\nelectrolyte: {phases: [solid, gas], liquid_fraction_wt_percent: -1}"
               b"\nbogus: 1\nratings: {max_power_w: abc}\n")
    page = post(client, "/classify?lang=zh", {},
                {"dossier_file": ("bad.yaml", dossier, "application/yaml")})
    assert page.status_code == 422
    for said in ("未知的键", "必填", "应为数字", "应不小于 0", "应为以下值之一"):
        assert said in page.text, said
    # paths, keys and the values given are the user's and the format's own words
    assert_chinese(page.text, words_of([dossier.decode(), "liquid application conducting_ion "
                                        "evidence manufacturer model schema_version "
                                        "weight_loss_test"]))
    english = post(client, "/classify?lang=en", {},
                   {"dossier_file": ("bad.yaml", dossier, "application/yaml")})
    assert "unknown key" in english.text and "Field required" in english.text


def test_audit_form_errors_in_chinese(client) -> None:
    page = post(client, "/audit?lang=zh", {"text": "固态电池", "cell_id": "NOPE"})
    assert page.status_code == 422 and "没有已发布的电池" in page.text
    assert_chinese(page.text, {"NOPE"})


# --------------------------------------------------------------------------- verify

def test_verify_page_in_chinese(client, signed) -> None:
    certificate, public_key = signed
    page = post(client, "/verify?lang=zh", {"public_key": public_key},
                {"certificate_file": ("c.cert.json", certificate, "application/json")})
    assert '<div class="verdict verify-valid">' in page.text
    assert_chinese(page.text, {"Test", "Lab", "c.cert.json"})
    tampered = certificate.replace(b'"category":"solid_state"', b'"category":"liquid"')
    failed = post(client, "/verify?lang=zh", {},
                  {"certificate_file": ("c.cert.json", tampered, "application/json")})
    assert 'class="reasons"' in failed.text
    assert_chinese(failed.text, {"Test", "Lab", "c.cert.json"})


# --------------------------------------------------------------------------- the auditor

CHINESE_TEXT = ("这款半固态电池能量密度高达 1200 Wh/kg，循环寿命 150000 次，是真正的固态电池。"
                "该聚合物固态电解质电池可在 -40 °C 工作。")


def test_audit_page_in_chinese(client) -> None:
    for lang, marker in (("zh", "不是分类术语"), ("zh-Hant", "不是分類術語")):
        page = post(client, f"/audit?lang={lang}", {"text": CHINESE_TEXT})
        assert page.status_code == 200 and marker in page.text
        rows = page.text.count('<tr id="finding-')
        assert rows >= 4  # the term, the claim and the figures
        assert_chinese(page.text, ruleset_references())


def test_audit_page_says_english_text_findings_in_chinese(client) -> None:
    text = "Our semi-solid battery reaches 1,200 Wh/kg and is a solid-state battery."
    page = post(client, "/audit?lang=zh", {"text": text})
    assert "电芯级" in page.text or "未说明层级" in page.text
    assert_chinese(page.text, words_of([text]) | ruleset_references()
                   | {"hybrid", "solid-liquid", "battery"})  # the suggested English term


def test_every_plausibility_rule_has_its_words_in_chinese() -> None:
    rules = load_plausibility_rules()
    for rule_id in rules.rule_ids:
        rule = rules.rule(rule_id)
        for chinese in (rule.why_zh, rule.message_zh, rule.suggestion_zh):
            assert re.search(r"[\u4e00-\u9fff]", chinese), rule_id
            fields = set(re.findall(r"{(\w+)}", chinese))
            assert fields == set(re.findall(r"{(\w+)}", rule.message if chinese ==
                                            rule.message_zh else chinese)), rule_id


@pytest.mark.parametrize("lang", CHINESE)
def test_audit_command_and_its_html_in_chinese(tmp_path: Path, lang: str) -> None:
    source = tmp_path / "claim.txt"
    source.write_text(CHINESE_TEXT, encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(cli_app, ["audit", str(source), "--lang", lang])
    assert shown.exit_code == 0, shown.output
    allowed = ruleset_references() | {"claim.txt", "non_preferred_term", "unsupported_claim"}
    assert not english_words(shown.output, allowed | words_of(load_plausibility_rules()
                                                              .rule_ids)), shown.output
    page = tmp_path / "claim.html"
    written = runner.invoke(cli_app, ["audit", str(source), "--lang", lang, "-f", "html",
                                      "-o", str(page)])
    assert written.exit_code == 0, written.output
    html = page.read_text("utf-8")
    assert f'<html lang="{"zh-CN" if lang == "zh" else "zh-Hant"}">' in html
    assert not english_words(visible_text(html), allowed)
    english = runner.invoke(cli_app, ["audit", str(source), "--lang", "en"])
    assert "is not a classification term" in english.output
    refused = runner.invoke(cli_app, ["audit", str(source), "--lang", "fr"])
    assert refused.exit_code == 2


def test_the_cells_html_report_follows_the_page_into_traditional_chinese(client) -> None:
    page = client.get("/cells/EX-HSL-10?lang=zh-Hant").text
    link = re.search(r'href="(/v1/results/[^"]+format=html[^"]*)"', page)
    assert link and "lang=zh-Hant" in link[1]
    report = client.get(link[1].replace("&amp;", "&"))
    assert report.status_code == 200
    assert '<html lang="zh-Hant">' in report.text and "混合固液電池" in report.text


def test_notes_on_the_extraction_in_chinese(client) -> None:
    gb18030 = CHINESE_TEXT.encode("gb18030")
    page = post(client, "/audit?lang=zh", {},
                {"document": ("claim.txt", gb18030, "text/plain")})
    assert page.status_code == 200 and "已按 GB18030 解码" in page.text
    assert_chinese(page.text, ruleset_references() | {"claim.txt"})


# --------------------------------------------------------------------------- every example

def _field_names(model: type) -> set[str]:
    """The dossier's key names, which hints cite as written (``declare application``)."""
    from typing import get_args

    from pydantic import BaseModel

    names: set[str] = set()
    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        names.add(name)
        for kind in (field.annotation, *get_args(field.annotation)):
            for inner in (kind, *get_args(kind)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    names |= _field_names(inner)
    return names


@pytest.mark.parametrize("lang", CHINESE)
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_every_example_reads_in_chinese_on_its_page_and_in_its_reports(
        client, path: Path, lang: str) -> None:
    """The issue's completeness check: every example, its cell page and its HTML report under
    every rule set, with no English outside ids, codes, units, file names and field names."""
    from solidcheck.model import Dossier
    from solidcheck.report import load_report_item, render_html

    fields = _field_names(Dossier)
    dossier = load_dossier(path)
    assert_chinese(client.get(f"/cells/{dossier.id}?lang={lang}").text, fields)
    for ruleset in available_rulesets():
        html = render_html([load_report_item(path, ruleset)], lang=lang, qr_payload=None)
        assert_chinese(html, fields)


# ------------------------------------------------- the form's problems from the catalogue

def test_a_term_written_as_a_phase_in_chinese(client) -> None:
    dossier = b"id: SEMI-1\nelectrolyte: {phases: [semi-solid]}\nconducting_ion: lithium\n"
    files = {"dossier_file": ("semi.yaml", dossier, "application/yaml")}
    page = post(client, "/classify?lang=zh", {}, files)
    assert page.status_code == 422
    assert "不是电解质相态" in page.text and "请写成 phases: [solid, liquid]" in page.text
    # the vocabulary's English name stands beside its Chinese one, as the catalogue says it
    term = phase_term("semi-solid")
    assert term is not None and f"（{term.preferred_en}）" in page.text
    assert_chinese(page.text, words_of([dossier.decode(), "phases solid liquid", "electrolyte",
                                        term.preferred_en]))
    english = post(client, "/classify?lang=en", {}, files).text
    assert "is not an electrolyte phase" in english and "write phases: [solid, liquid]" in english


@pytest.mark.parametrize("lang", CHINESE)
def test_an_oven_log_given_as_the_dossier_in_chinese(client, lang: str) -> None:
    oven = (EXAMPLES / "lab" / "oven-log-s1.csv").read_bytes()
    files = {"dossier_file": ("oven.csv", oven, "text/csv")}
    page = post(client, f"/classify?lang={lang}", {}, files)
    assert page.status_code == 422
    said = message("problem.dossier_is_evidence", {"kind": "kind.oven_log", "reader": "·",
                                                    "option": "", "path": ""}, lang)
    assert said.split("：")[0] in page.text and "烘箱" in page.text
    assert "dossier build" not in page.text  # the form's fix, not the command line's
    assert message("web.fix.dossier_is_evidence", None, lang) in page.text
    reader = read_evidence(EXAMPLES / "lab" / "oven-log-s1.csv").format
    assert_chinese(page.text, {"oven.csv"} | words_of([reader]))
    english = post(client, "/classify?lang=en", {}, files).text
    assert "this is an instrument file, not a dossier: oven log" in english
    assert "in its own field below" in english


#: bad inputs a person can give the form, with the field it answers at; the reader names
#: (netzsch-ngb, weighings-csv) are cited as they are written
BAD_UPLOADS = {
    "an oven log of no known format": ({"oven_log": ("o.csv", b"a,b\n1,2\n", "text/csv")},
                                       "无法识别的烘箱记录文件格式"),
    "an empty oven log": ({"oven_log": ("o.csv", b"", "text/csv")}, "文件是空的"),
    "weighings of no known format": (
        {"weighings": ("w.csv", b"specimen,mass\nA,x\n", "text/csv")}, "无法识别的称量记录"),
}
BAD_DOSSIERS = {
    "a list": (b"- a\n- b\n", "实际是列表"),
    "not UTF-8": (b"\xff\xfe\x00bad", "不是 UTF-8 文本"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_a_bad_instrument_file_on_the_form_in_chinese(client, case: str) -> None:
    files, said = BAD_UPLOADS[case]
    page = post(client, "/classify?lang=zh", SOLID_FIELDS, files)
    assert page.status_code == 422 and said in page.text
    readers = words_of(reader.name for reader in available_readers())
    assert_chinese(page.text, words_of(str(value) for value in SOLID_FIELDS.values())
                   | readers | {"o.csv", "w.csv"})


@pytest.mark.parametrize("case", list(BAD_DOSSIERS))
def test_a_bad_dossier_text_on_the_form_in_chinese(client, case: str) -> None:
    content, said = BAD_DOSSIERS[case]
    page = post(client, "/classify?lang=zh", {},
                {"dossier_file": ("d.yaml", content, "application/yaml")})
    assert page.status_code == 422 and said in page.text
    assert_chinese(page.text, {"d.yaml"})


def test_a_wrong_api_key_on_the_form_in_chinese(client) -> None:
    page = post(client, "/classify?lang=zh", {**SOLID_FIELDS, "api_key": "sk-wrong"})
    assert page.status_code == 422 and "API 密钥无效" in page.text
    assert_chinese(page.text, words_of(str(value) for value in SOLID_FIELDS.values())
                   | {"sk-wrong"})
    english = post(client, "/classify?lang=en", {**SOLID_FIELDS, "api_key": "sk-wrong"})
    assert "the API key is not valid" in english.text


@pytest.mark.parametrize("lang", CHINESE)
def test_the_glossary_says_where_each_term_comes_from_in_chinese(client, lang: str) -> None:
    page = client.get(f"/glossary?lang={lang}").text
    assert "Part 1" not in page and "The standard classifies" not in page
    assert "第 1 部分" in page and "solidcheck 需要一个名称" in page.replace(
        "solidcheck 需要一個名稱", "solidcheck 需要一个名称")
    assert "Part 1, term" in client.get("/glossary?lang=en").text
