"""The one-cell PDF's layout, read back with poppler from real WeasyPrint output (issue 20
item 11): no page holds only the running header and footer, and the column headers of the
weight-loss and findings tables take at most two lines, in English, Chinese and both."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck import load_ruleset
from solidcheck.cli import app
from solidcheck.report.html import Lang, render_html
from solidcheck.report.model import ReportItem, load_report_item
from solidcheck.report.pdf import render_pdf

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
LAB = EXAMPLES / "lab"
EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.json")])
NATIONAL = load_ruleset("gbt-ssb-1-2026")
#: a certificate's verification link as long as the registry's: the QR section it adds moved
#: the closing footer onto a page of its own
QR_PAYLOAD = "https://registry.example/verify?certificate=" + "0123456789abcdef" * 12


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run `make test`, which installs poppler-utils"
    return path


def _pages(pdf: Path) -> list[str]:
    """Each page's text, laid out as printed (one string per page)."""
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]
    return [subprocess.run([_tool("pdftotext"), "-layout", "-enc", "UTF-8", "-f", str(n),
                            "-l", str(n), str(pdf), "-"], capture_output=True, text=True,
                           check=True, timeout=60).stdout for n in range(1, count + 1)]


def _frame_only(page: str, cell_id: str) -> bool:
    """True when a page holds nothing but what every page carries (the running title and
    cell id, "solidcheck <version>", "n / N") and the closing "produced by" line."""
    frame = re.compile(r"solidcheck (report|分类报告)|^solidcheck \S+$|^\d+ ?/ ?\d+$|"
                       r"produced by|生成工具|^" + re.escape(cell_id) + "$")
    parts = [part.strip() for line in page.splitlines() for part in re.split(r"\s{3,}", line)]
    return all(not part or frame.search(part) for part in parts)


def _header_lines(page: str) -> int | None:
    """How many printed lines the weight-loss table's column headers take on this page."""
    lines = page.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if re.match(r"\s*(specimen|试样)", line) and "m₀" in line), None)
    if start is None:
        return None
    first_row = next(i for i in range(start + 1, len(lines))
                     if re.match(r"\s*S\d+\S*\s", lines[i]))  # S1, or the id S1-A
    return sum(1 for line in lines[start:first_row] if line.strip())


def _findings_header_lines(page: str) -> int | None:
    """How many printed lines the findings table's column headers take on the page that
    begins it: the lines between its heading and its first row (a header taller than the
    others is aligned so that it starts above "severity")."""
    lines = page.splitlines()
    heading = next((i for i, line in enumerate(lines)
                    if re.match(r"\s*(Why: the findings|依据：判定结果说明)", line)), None)
    if heading is None:
        return None
    start = heading + 1
    first_row = next(i for i in range(start + 1, len(lines))
                     if re.match(r"\s*(info|warning|error|信息|警告|错误)\b", lines[i]))
    return sum(1 for line in lines[start:first_row] if line.strip())


def _build_lab_dossier(folder: Path) -> Path:
    dossier = folder / "EX-LAB-S1.yaml"
    result = CliRunner().invoke(app, ["dossier", "build", str(LAB / "cell-s1.yaml"),
                                      "--oven-log", str(LAB / "oven-log-s1.csv"),
                                      "--weighings", str(LAB / "weighings-s1.csv"),
                                      "-o", str(dossier)])
    assert result.exit_code == 0, result.stderr
    for name in ("oven-log-s1.csv", "weighings-s1.csv"):  # its evidence beside it: the plot
        shutil.copy(LAB / name, folder / name)
    return dossier


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> list[ReportItem]:
    """Every example and the lab dossier built from the lab files (with its oven-log plot)."""
    lab = _build_lab_dossier(tmp_path_factory.mktemp("lab"))
    return [load_report_item(path, NATIONAL) for path in [*EXAMPLE_FILES, lab]]


def _render(item: ReportItem, folder: Path, *, lang: Lang, qr: str | None) -> Path:
    pdf = folder / f"{item.result.dossier_id}-{lang}-{'qr' if qr else 'plain'}.pdf"
    pdf.write_bytes(render_pdf(render_html([item], lang=lang, qr_payload=qr)))
    return pdf


@pytest.mark.parametrize(("lang", "qr"), [("en", None), ("en", QR_PAYLOAD), ("both", None)])
def test_no_page_of_a_one_cell_pdf_holds_only_the_footer(
        items: list[ReportItem], tmp_path: Path, lang: Lang, qr: str | None) -> None:
    alone = []
    for item in items:
        pages = _pages(_render(item, tmp_path, lang=lang, qr=qr))
        alone += [f"{item.result.dossier_id} page {n} of {len(pages)}"
                  for n, page in enumerate(pages, 1)
                  if _frame_only(page, item.result.dossier_id)]
    assert not alone, f"pages with nothing but the header and footer: {alone}"


@pytest.mark.parametrize("lang", ["en", "zh", "both"])
def test_the_weight_loss_headers_take_at_most_two_lines(
        items: list[ReportItem], tmp_path: Path, lang: Lang) -> None:
    lab = next(item for item in items if item.result.dossier_id == "EX-LAB-S1")
    counts = [count for page in _pages(_render(lab, tmp_path, lang=lang, qr=None))
              if (count := _header_lines(page)) is not None]
    assert counts, "the weight-loss table was not found in the PDF"
    assert max(counts) <= 2, f"the column headers take {max(counts)} lines"


@pytest.mark.parametrize("lang", ["en", "zh", "both"])
def test_the_findings_headers_take_at_most_two_lines(
        items: list[ReportItem], tmp_path: Path, lang: Lang) -> None:
    """One line a language: "clause, or the reason for the assumption / 条款…" took three in
    `both` where short findings left its column narrow (the mass-gain example)."""
    wanted = ("EX-LAB-S1", "EX-GAIN-15")
    chosen = [item for item in items if item.result.dossier_id in wanted]
    assert len(chosen) == len(wanted) and all(item.result.findings for item in chosen)
    for item in chosen:
        counts = [count for page in _pages(_render(item, tmp_path, lang=lang, qr=None))
                  if (count := _findings_header_lines(page)) is not None]
        assert counts, f"{item.result.dossier_id}: the findings table was not found in the PDF"
        assert max(counts) <= (1 if lang != "both" else 2), \
            f"{item.result.dossier_id}: the column headers take {max(counts)} lines"


def test_the_last_page_still_says_which_solidcheck_made_it(
        items: list[ReportItem], tmp_path: Path) -> None:
    """The closing footer is not printed: the page boxes carry the version instead."""
    lab = next(item for item in items if item.result.dossier_id == "EX-LAB-S1")
    pages = _pages(_render(lab, tmp_path, lang="en", qr=None))
    assert re.search(r"solidcheck \d+\.\d+", pages[-1])
    assert re.search(rf"\b{len(pages)} ?/ ?{len(pages)}\b", pages[-1])
