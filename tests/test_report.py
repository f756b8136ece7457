"""HTML and PDF reports (`solidcheck report`): content, escaping, evidence, PDF, accessibility.

The PDF checks read the PDF back with poppler (pdftotext, pdftoppm) and the accessibility
check runs axe-core in a real headless Chromium. Both are installed by `make test`; when they
are missing these tests fail, they never skip.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import itertools
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from solidcheck import MissingDependencyError, load_ruleset
from solidcheck.cli import app
from solidcheck.report.html import render_html
from solidcheck.report.model import ReportItem, load_report_item
from solidcheck.report.parts import label_table
from solidcheck.report.pdf import render_pdf

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
LAB = EXAMPLES / "lab"
EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.json")])
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
runner = CliRunner()
NATIONAL = load_ruleset("gbt-ssb-1-2026")


def invoke(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run `make test`, which installs poppler-utils"
    return path


def pdf_text(path: Path) -> str:
    done = subprocess.run([tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def build_lab_dossier(folder: Path) -> Path:
    """`solidcheck dossier build` on the lab files, the oven log copied beside the dossier."""
    folder.mkdir(parents=True, exist_ok=True)
    dossier = folder / "EX-LAB-S1.yaml"
    code, _, err = invoke("dossier", "build", LAB / "cell-s1.yaml",
                          "--oven-log", LAB / "oven-log-s1.csv",
                          "--weighings", LAB / "weighings-s1.csv", "-o", dossier)
    assert code == 0, err
    shutil.copy(LAB / "oven-log-s1.csv", folder)
    shutil.copy(LAB / "weighings-s1.csv", folder)
    return dossier


@pytest.fixture(scope="module")
def lab_dossier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lab_dossier(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def example_items() -> list[ReportItem]:
    return [load_report_item(path, NATIONAL) for path in EXAMPLE_FILES]


def visible_text(page: str) -> str:
    """The page's text without tags (and without the SVG drawings' markup)."""
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


# --- HTML content -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_renders_its_verdict_reasons_and_code(path: Path):
    item = load_report_item(path, NATIONAL)
    page = render_html([item])
    result = item.result
    text = visible_text(page)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert '<meta name="viewport"' in page and f"<title>solidcheck report — {result.dossier_id}"
    assert result.terms.en in text
    assert result.code in text
    assert "provisional" in text
    for finding in result.findings:
        assert finding.rule in text
        assert str(escape(finding.message)) in page
    if result.weight_loss is not None:
        assert "≤ 0.5 %" in text
        # the limits of every installed rule set are drawn and named in the text alternative
        assert "gbt-ssb-1-2026 ≤ 0.5 %" in text and "csae-434-2025 &lt; 1 %" not in text
        assert "csae-434-2025 < 1 %" in text
        for specimen in result.weight_loss.specimens:
            assert f"{specimen.percent:.4f}" in text
    else:
        assert "no weight-loss test" in text
    assert item.dossier_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert item.dossier_sha256 in text and path.name in text


def test_a_report_is_self_contained_and_deterministic(example_items: list[ReportItem]):
    page = render_html(example_items)
    assert page == render_html(example_items)
    assert "<script" not in page.lower()
    assert "<link" not in page and "<img" not in page and " src=" not in page
    # the only URLs are XML namespaces of the inline SVG
    assert set(re.findall(r"https?://[^\s\"')<]+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids must be unique across the inline SVGs"


def test_several_cells_make_one_document_with_a_summary_first(example_items: list[ReportItem]):
    page = render_html(example_items)
    assert page.count("<h1") == 1
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", page)]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    summary = page.index('id="summary-h"')
    assert all(page.index(f'id="cell{n}-h"') > summary for n in range(1, len(example_items) + 1))
    for item in example_items:
        assert f">{item.result.dossier_id}</a>" in page  # a link from the summary table


def test_chinese_and_bilingual_reports(example_items: list[ReportItem]):
    solid = next(i for i in example_items if i.result.dossier_id == "EX-SUL-HE-01")
    zh = render_html([solid], lang="zh")
    assert '<html lang="zh-CN">' in zh
    assert "固态电池" in zh and "失重率" in zh and "硫化物" in zh
    assert '<p class="term">固态电池</p>' in zh
    # findings exist only in English: marked as such on a Chinese page
    assert '<span lang="en">' in zh
    both = render_html([solid], lang="both")
    assert 'solid-state battery / <span lang="zh-CN">固态电池</span>' in both
    assert "Weight-loss test / " in both
    with pytest.raises(ValueError, match="lang"):
        render_html([solid], lang="fr")  # type: ignore[arg-type]


def test_every_label_has_english_and_chinese():
    labels = label_table()
    assert labels and all(set(entry) == {"en", "zh", "zh-Hant"} and all(entry.values())
                          for entry in labels.values())
    template = (ROOT / "src/solidcheck/report/templates/report.html.j2").read_text("utf-8")
    used = set(re.findall(r"t\('([a-z_]+)'\)", template))
    assert used <= set(labels), f"labels missing from labels.toml: {used - set(labels)}"


def test_user_supplied_strings_are_escaped(tmp_path: Path):
    hostile = tmp_path / "<b>cell&'.yaml"
    hostile.write_text(
        "id: '<script>alert(1)</script>'\n"
        "manufacturer: '\"><img src=x onerror=alert(2)>'\n"
        "model: '</title><script>alert(3)</script>'\n"
        "electrolyte: {phases: [liquid]}\n"
        "conducting_ion: lithium\n"
        "evidence:\n"
        "  - kind: oven_log\n"
        "    file: '<svg onload=alert(4)>.csv'\n"
        f"    sha256: '{'0' * 64}'\n"
        "    size_bytes: 1\n"
        "    format: oven-csv\n"
        "    fields: ['<i>x</i>']\n"
        "    summary: '<script>alert(5)</script>'\n",
        encoding="utf-8")
    page = render_html([load_report_item(hostile, NATIONAL)],
                       qr_payload="<script>alert(6)</script>")
    assert "<script" not in page
    assert "<img" not in page and "<svg onload" not in page and "<i>x</i>" not in page
    assert "<b>cell" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;cell&amp;&#39;.yaml" in page
    assert "&lt;svg onload=alert(4)&gt;.csv" in page
    # the missing log is reported, escaped
    assert "not found" in page


# --- evidence beside the dossier --------------------------------------------------------------

def test_the_lab_dossier_shows_the_oven_log_plot(lab_dossier: Path):
    item = load_report_item(lab_dossier, NATIONAL)
    assert [c.status for c in item.evidence_checks] == ["verified", "verified"]
    assert item.oven_log is not None and item.oven_log_conditions is not None
    page = render_html([item])
    assert 'aria-labelledby="cell1-oven-title"' in page
    assert re.search(r'<title id="cell1-oven-title">Oven log oven-log-s1.csv: .*qualifying hold '
                     r"0:29:30 → ", page)
    assert "the log meets the test conditions of" in page
    assert "Not plotted" not in page
    assert page.count("found, SHA-256 matches") == 2


def test_a_modified_log_is_not_plotted_and_the_report_says_why(tmp_path: Path):
    dossier = build_lab_dossier(tmp_path / "lab")
    log = tmp_path / "lab" / "oven-log-s1.csv"
    log.write_bytes(log.read_bytes().replace(b"51.1288", b"51.1388", 1))
    item = load_report_item(dossier, NATIONAL)
    assert item.oven_log is None
    assert item.evidence_checks[0].status == "mismatch"
    page = render_html([item])
    assert "cell1-oven-title" not in page
    assert "does not match the recorded SHA-256" in page
    assert hashlib.sha256(log.read_bytes()).hexdigest() in page
    assert "found, SHA-256 does NOT match" in page

    log.unlink()
    page = render_html([load_report_item(dossier, NATIONAL)])
    assert "was not found beside it" in page and "cell1-oven-title" not in page


def test_qr_code_is_drawn_and_labelled_only_when_asked(lab_dossier: Path):
    item = load_report_item(lab_dossier, NATIONAL)
    assert 'id="qr-title"' not in render_html([item])
    page = render_html([item], qr_payload="https://verify.example/c/abc123")
    assert '<svg role="img" aria-labelledby="qr-title"' in page
    assert '<title id="qr-title">scan to verify: https://verify.example/c/abc123</title>' in page
    assert "扫码验证" in render_html([item], lang="zh", qr_payload="x")


# --- the command --------------------------------------------------------------------------------

def test_report_command_writes_html_pdf_and_json(lab_dossier: Path, tmp_path: Path):
    out = tmp_path / "report.html"
    code, _, err = invoke("report", lab_dossier, EXAMPLES / "liquid-lfp.yaml", "--lang", "both",
                          "--qr-payload", "abc", "-o", out)
    assert code == 0, err
    page = out.read_text("utf-8")
    assert "EX-LAB-S1" in page and "liquid battery / " in page and "qr-title" in page

    code, out_json, err = invoke("report", lab_dossier, "--format", "json")
    assert code == 0, err
    results = json.loads(out_json)
    assert isinstance(results, list) and results[0]["dossier_id"] == "EX-LAB-S1"

    code, _, err = invoke("report", lab_dossier, "-f", "json", "--ruleset", "csae-434-2025",
                          "-o", tmp_path / "r.json")
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))[0]["ruleset"] == "csae-434-2025"

    code, page_out, err = invoke("report", lab_dossier, "-o", "-")
    assert code == 0, err
    assert page_out.startswith("<!DOCTYPE html>")


def test_report_command_refuses_without_output_and_for_invalid_dossiers(tmp_path: Path):
    code, out, err = invoke("report", EXAMPLES / "liquid-lfp.yaml")
    assert code == 2 and not out and "needs -o" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: X\nelectrolyte: {phases: [solid]}\nconducting_ion: lithum\n",
                   encoding="utf-8")
    worse = tmp_path / "worse.json"
    worse.write_text('{"id": ""}', encoding="utf-8")
    target = tmp_path / "never.html"
    code, out, err = invoke("report", bad, EXAMPLES / "liquid-lfp.yaml", worse, "-o", target)
    assert code == 2 and not out
    assert "invalid dossier" in err and str(bad) in err and str(worse) in err
    assert "conducting_ion" in err and "solid_type" in err and "electrolyte" in err
    assert not target.exists()
    code, _, err = invoke("report", EXAMPLES / "liquid-lfp.yaml", "--qr-payload", "x" * 8000,
                          "-o", target)
    assert code == 2 and "too many for a QR code" in err and not target.exists()


def test_report_command_never_writes_a_pdf_to_a_terminal(tmp_path: Path):
    solidcheck = Path(sys.executable).parent / "solidcheck"
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run([str(solidcheck), "report", str(EXAMPLES / "liquid-lfp.yaml"),
                               "-f", "pdf", "-o", "-"], stdout=secondary,
                              stderr=subprocess.PIPE, timeout=60, check=False)
    finally:
        os.close(secondary)
        os.close(primary)
    assert done.returncode == 2
    assert b"refusing to write a binary PDF to a terminal" in done.stderr


def test_missing_weasyprint_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(MissingDependencyError, match=r"solidcheck\[pdf\]"):
        render_pdf("<p>x</p>")


# --- PDF --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def combined_pdf(tmp_path_factory: pytest.TempPathFactory, lab_dossier: Path) -> Path:
    """Every example and the lab dossier in one PDF, written by the command."""
    out = tmp_path_factory.mktemp("pdf") / "all.pdf"
    code, _, err = invoke("report", *EXAMPLE_FILES, lab_dossier, "-f", "pdf", "-o", out)
    assert code == 0, err
    return out


def test_the_combined_pdf_holds_every_verdict_limit_and_code(
        combined_pdf: Path, example_items: list[ReportItem]):
    assert combined_pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(combined_pdf)
    flat = re.sub(r"\s+", " ", text)
    for item in example_items:
        assert item.result.dossier_id in flat
        assert item.result.terms.en in flat
        assert item.result.code in flat
    assert "0.5 %" in flat and "EX-LAB-S1" in flat
    assert re.search(r"\b1 / \d+\b", flat), "page numbers 'n / N' in the footer"


def test_the_first_pdf_page_is_drawn(combined_pdf: Path, tmp_path: Path):
    from PIL import Image

    subprocess.run([tool("pdftoppm"), "-r", "50", "-png", "-f", "1", "-l", "1",
                    str(combined_pdf), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    with Image.open(pages[0]) as image:
        width, height = image.size
        assert (width, height) == pytest.approx((413, 585), abs=3)  # A4 at 50 dpi
        darkest, _ = image.convert("L").getextrema()
    assert darkest < 100, "page 1 is blank"


def test_a_chinese_pdf_shows_chinese_text(lab_dossier: Path, tmp_path: Path):
    pdf = render_pdf(render_html([load_report_item(lab_dossier, NATIONAL)], lang="zh"))
    path = tmp_path / "zh.pdf"
    path.write_bytes(pdf)
    text = re.sub(r"\s+", "", pdf_text(path))
    assert "固态电池" in text and "失重率" in text and "硫化物" in text
    assert "SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026" in text and "0.5%" in text


# --- accessibility, in a real browser ---------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.is_file() and CHROMEDRIVER.is_file(), (
        f"{CHROMIUM} and {CHROMEDRIVER} are needed for the accessibility test: run `make test`, "
        "which installs chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1200,1600"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


_OUTLINE = """
const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
  .map(h => Number(h.tagName[1]));
const unnamed = [];
for (const el of document.querySelectorAll('svg[role="img"], img, [role="img"]')) {
  let name = el.getAttribute('aria-label') || el.getAttribute('alt') || '';
  const ref = el.getAttribute('aria-labelledby');
  if (ref) { name += ref.split(/\\s+/).map(id => {
      const target = document.getElementById(id); return target ? target.textContent : '';
  }).join(' '); }
  if (!name.trim()) unnamed.push(el.outerHTML.slice(0, 120));
}
const bareSvg = [...document.querySelectorAll('svg')].filter(s => !s.getAttribute('role'));
return {lang: document.documentElement.lang, title: document.title, headings, unnamed,
        bareSvg: bareSvg.length, scripts: document.scripts.length};
"""


@pytest.mark.browser
def test_reports_pass_axe_in_chromium(browser: Any, tmp_path: Path, lab_dossier: Path,
                                      example_items: list[ReportItem]):
    from axe_selenium_python import Axe

    lab = load_report_item(lab_dossier, NATIONAL)
    pages = {
        "lab-en.html": render_html([lab], qr_payload="https://verify.example/c/1"),
        "all-both.html": render_html([*example_items, lab], lang="both"),
        "lab-zh.html": render_html([lab], lang="zh"),
    }
    for name, page in pages.items():
        path = tmp_path / name
        path.write_text(page, encoding="utf-8")
        browser.get(path.as_uri())
        axe = Axe(browser)
        axe.inject()
        results = axe.run(options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
        violations = results["violations"]
        assert not violations, f"{name}: axe found WCAG A/AA violations:\n{axe.report(violations)}"
        # contrast axe could not decide is only the plots' text (dark on white by construction)
        for rule in results["incomplete"]:
            if rule["id"] == "color-contrast":
                for node in rule["nodes"]:
                    assert node["html"].startswith(("<text", "<tspan")), node["html"]

        outline = browser.execute_script(_OUTLINE)
        assert outline["lang"] == ("zh-CN" if name.endswith("zh.html") else "en")
        assert outline["title"]
        assert outline["scripts"] == 0
        headings = outline["headings"]
        assert headings[0] == 1 and headings.count(1) == 1, headings
        assert all(b <= a + 1 for a, b in itertools.pairwise(headings)), headings
        assert not outline["unnamed"], f"{name}: images without a text alternative"
        assert outline["bareSvg"] == 0
