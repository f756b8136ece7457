"""`solidcheck audit` end to end: files of every format, evidence of every kind, exit codes."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from solidcheck import load_ruleset
from solidcheck.claims.audit import audit
from solidcheck.claims.extract import extract_from_bytes
from solidcheck.cli import app
from solidcheck.errors import TextExtractionError

EXAMPLES = Path(__file__).parents[1] / "examples"
AUDIT_SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "schema"
                           / "audit.schema.json").read_text("utf-8"))
runner = CliRunner()

PRESS_RELEASE = (
    "Example Cells launches its semi-solid battery for premium EVs.\n"
    "The new pack uses an all-solid-state battery design with 450 Wh/kg.\n"
    "Unlike solid-state drives, batteries need a vacuum weight-loss test.\n"
)

PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>News</title><style>p{color:red}</style>
<script>var x = "semi-solid battery";</script></head>
<body>
<h1>Launch</h1>
<p>Our new
semi-solid battery ships in 2027.</p>
<p>这款半固态电池即将量产。</p>
</body></html>
"""


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def audit_json(*args: object) -> dict[str, Any]:
    """The JSON report, checked against the published schema (docs/schema/audit.schema.json)."""
    outcome = invoke("audit", *args, "--format", "json")
    assert outcome.exit_code == 0, outcome.stderr
    report: dict[str, Any] = json.loads(outcome.stdout)
    jsonschema.Draft202012Validator(AUDIT_SCHEMA).validate(report)
    return report


def test_findings_point_at_the_words_in_the_text(write_file):
    path = write_file("release.txt", PRESS_RELEASE)
    report = audit_json(path)
    rules = {(f["rule"], f["text"].casefold()) for f in report["findings"]}
    assert ("non_preferred_term", "semi-solid battery") in rules
    assert any(rule == "unsupported_claim" for rule, _ in rules)
    for finding in report["findings"]:
        assert PRESS_RELEASE[finding["start"]:finding["end"]] == finding["text"]
    assert not any("drive" in f["text"] for f in report["findings"])
    assert report["summary"]["total"] == len(report["findings"])


def test_a_hybrid_dossier_turns_the_claim_into_a_contradiction(write_file):
    path = write_file("release.txt", PRESS_RELEASE)
    report = audit_json(path, "--evidence", EXAMPLES / "semi-solid-marketed.yaml")
    assert report["evidence"]["category"] == "hybrid_solid_liquid"
    contradictions = [f for f in report["findings"] if f["rule"] == "contradicted_claim"]
    assert contradictions and all(f["severity"] == "error" for f in contradictions)


def test_a_solid_state_result_supports_the_claim(write_file, tmp_path):
    result_file = tmp_path / "result.json"
    classified = invoke("classify", EXAMPLES / "sulfide-high-energy.yaml", "--format", "json")
    result_file.write_text(classified.stdout, "utf-8")
    path = write_file("release.txt", PRESS_RELEASE)
    report = audit_json(path, "--evidence", result_file)
    assert any(f["rule"] == "supported_claim" and f["severity"] == "info"
               for f in report["findings"])
    assert not any(f["rule"] in ("unsupported_claim", "contradicted_claim")
                   for f in report["findings"])


def test_html_input_is_audited_on_its_visible_text_with_source_lines(write_file):
    path = write_file("news.html", PAGE)
    report = audit_json(path)
    assert report["source"]["format"] == "html"
    terms = [f for f in report["findings"] if f["rule"] == "non_preferred_term"]
    assert {f["text"] for f in terms} == {"semi-solid battery", "半固态电池"}  # not the script
    english = next(f for f in terms if f["text"] == "semi-solid battery")
    # "<!DOCTYPE html>" is line 1; the phrase opens line 7, inside the first <p>
    assert english["location"] == {"line": 7, "column": 1, "element": "p", "page": None}


def test_pdf_input_is_audited_on_its_text_layer_with_pages(tmp_path):
    import weasyprint  # the pdf extra, installed by make test
    pdf = tmp_path / "datasheet.pdf"
    pdf.write_bytes(weasyprint.HTML(string=(
        "<html><body><p>Datasheet.</p><p style='page-break-before:always'>"
        "全新准固态电池，能量密度高。</p></body></html>")).write_pdf())
    report = audit_json(pdf)
    (finding,) = [f for f in report["findings"] if f["rule"] == "non_preferred_term"]
    assert finding["text"] == "准固态电池" and finding["location"]["page"] == 2


def test_html_output_marks_the_findings_in_place(write_file, tmp_path):
    path = write_file("release.txt", PRESS_RELEASE + "<script>alert(1)</script>\n")
    page = tmp_path / "audit.html"
    outcome = invoke("audit", path, "--format", "html", "-o", page)
    assert outcome.exit_code == 0, outcome.stderr
    html = page.read_text("utf-8")
    assert '<mark class="warning"' in html or '<mark class="error"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_fail_on_gives_exit_3_for_pipelines(write_file):
    path = write_file("release.txt", PRESS_RELEASE)
    assert invoke("audit", path, "--fail-on", "warning").exit_code == 3
    clean = write_file("clean.txt", "A liquid lithium-ion battery with 250 Wh/kg.\n")
    assert invoke("audit", clean, "--fail-on", "warning").exit_code == 0


def test_bad_inputs_are_one_message_and_exit_2(write_file):
    garbage = write_file("x.txt", b"\x00\x01\x02\xff" * 100)
    missing_evidence = Path("no/such/dossier.yaml")
    outcome = invoke("audit", garbage, "--evidence", missing_evidence)
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert "x.txt" in outcome.stderr and "dossier.yaml" in outcome.stderr
    assert "Traceback" not in outcome.stderr


class _MarkedText(HTMLParser):
    """The text of the page's marked-up copy, and which stretches of it are inside <mark>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside <div class="text">
        self.in_mark = self.in_sup = False
        self.text: list[str] = []
        self.marked: list[tuple[int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and ("class", "text") in attrs:
            self.depth = 1
        elif self.depth:
            self.in_mark |= tag == "mark"
            self.in_sup |= tag == "sup"

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth = 0
        self.in_mark &= tag != "mark"
        self.in_sup &= tag != "sup"

    def handle_data(self, data: str) -> None:
        if self.depth and not self.in_sup:
            start = sum(map(len, self.text))
            self.text.append(data)
            if self.in_mark:
                self.marked.append((start, start + len(data)))


def test_the_html_page_keeps_the_whole_text_and_marks_every_finding(tmp_path):
    """Overlapping findings (a figure inside a claimed-together span) are each marked."""
    source = EXAMPLES / "text" / "press-release-s8.md"
    page = tmp_path / "audit.html"
    outcome = invoke("audit", source, "--evidence", EXAMPLES / "semi-solid-marketed.yaml",
                     "--format", "html", "-o", page)
    assert outcome.exit_code == 0, outcome.stderr
    parsed = _MarkedText()
    parsed.feed(page.read_text("utf-8"))
    assert "".join(parsed.text) == source.read_text("utf-8")
    marked = set()
    for start, end in parsed.marked:
        marked.update(range(start, end))
    report = audit_json(source, "--evidence", EXAMPLES / "semi-solid-marketed.yaml")
    assert any(a["end"] > b["start"] and a is not b and a["start"] <= b["start"]
               for a in report["findings"] for b in report["findings"])  # overlaps exist
    for finding in report["findings"]:
        assert set(range(finding["start"], finding["end"])) <= marked, finding["text"]


_PIECES = st.sampled_from([
    "semi-solid battery", "all-solid-state battery", "固态电池", "半固态", "全固態電池", "ＡＳＳＢ",
    "500 Wh/kg", "1,200 Wh/L", "100,000 cycles", "5 minutes", "−30 °C to 100 °C", "10C",
    "polymer", "<p>", "</p>", "<script>", "&amp;", "\n", "\r\n", " ", "“", "”", "not a ",
])


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    st.binary(max_size=400),
    st.tuples(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=30),
              st.sampled_from(["utf-8", "utf-16", "gb18030"]))
    .map(lambda t: "".join(t[0]).encode(t[1], errors="replace")),
), st.sampled_from(["text", "markdown", "html", None]))
def test_any_bytes_give_a_located_report_or_a_clean_error(data: bytes, text_format) -> None:
    """The whole audit, from bytes: findings point at their words, or one clear refusal."""
    try:
        extracted = extract_from_bytes(data, source="input", format=text_format)
    except TextExtractionError as error:
        assert str(error) and "Traceback" not in str(error)
        return
    report = audit(extracted, ruleset=load_ruleset("gbt-ssb-1-2026"))
    text = extracted.text
    assert report.summary.total == len(report.findings)
    for finding in report.findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start:finding.end] == finding.text


def test_text_and_html_say_how_each_mention_was_read_and_why(write_file, tmp_path):
    """The claim kind is for people too, not only in the JSON: its cue words, in their
    language."""
    path = write_file("news.txt", "Solid-state batteries promise higher energy density.\n"
                      "某车企宣布，新款旗舰轿车将搭载半固态电池。\n")
    def cells(output: str) -> str:  # the table's last column, its wrapped lines joined
        return " ".join(line.rsplit("│", 2)[-2].strip() for line in output.splitlines()
                        if line.count("│") >= 2)

    english = cells(invoke("audit", path).stdout)
    assert "read as talk about the technology in general (cues: promise)" in english
    chinese = cells(invoke("audit", path, "--lang", "zh").stdout).replace(" ", "")
    assert "判定为针对具体产品的声明（线索：" in chinese and "搭载" in chinese
    page = tmp_path / "audit.html"
    assert invoke("audit", path, "--format", "html", "-o", page).exit_code == 0
    assert "read as a claim about a product" in page.read_text(encoding="utf-8")
