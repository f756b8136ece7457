"""Issue 18, the ports at risk in the open report: the file `charging risk score --format json`
writes, drawn by `charging report --risk` (HTML, PDF, open data), from a model trained here on
a small synthetic network with precursors."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from charging_report_example import RULESETS, example_metrics, example_tables
from language_scan import english_words, visible_text
from solidcheck.charging.ingest import write_tables
from solidcheck.charging.report import render_charging_html, render_charging_pdf
from solidcheck.charging.risk.listing import RiskList, read_risk_json
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError
from solidcheck.i18n import load_catalogue, message

RULESET_OBJECTS = [charging_ruleset_by_id(r) for r in RULESETS]
TOP = 6


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def scores_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("risk")
    _run("charging", "synth", "--stations", "6", "--days", "30", "--seed", "3",
         "--precursors", "-o", str(folder / "net"))
    _run("charging", "risk", "train", str(folder / "net"), "-o", str(folder / "model"))
    out = _run("charging", "risk", "score", str(folder / "model"), str(folder / "net"),
               "--top", str(TOP), "--format", "json")
    path = folder / "scores.json"
    path.write_text(out, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scores(scores_file: Path) -> RiskList:
    return read_risk_json(scores_file)


@pytest.fixture(scope="module")
def pages(scores: RiskList) -> dict[str, str]:
    return {lang: render_charging_html(example_metrics(), RULESET_OBJECTS, lang=lang,  # type: ignore[arg-type]
                                       risk=scores) for lang in ("en", "zh", "both")}


def _section(page: str) -> str:
    found = re.search(r'<section aria-labelledby="risk-h">(.*?)</section>', page, re.S)
    assert found, "no ports-at-risk section"
    return found.group(1)


def _anomalous(scores_file: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(scores_file.read_text("utf-8"))
    for port in data["ports"]:
        port["score_kind"] = "anomaly_percentile"
    data["score_kinds"] = ["anomaly_percentile"]
    data["ports"][0]["score"] = 0.934
    return data


def test_the_scores_file_says_what_it_is(scores_file: Path) -> None:
    data = json.loads(scores_file.read_text("utf-8"))
    assert {"day", "horizon", "method", "model_sha256", "ports"} <= set(data)  # kept
    assert data["format"] == "solidcheck-risk-scores/1"
    assert data["horizon"] == "7d" and data["score_kinds"] == ["probability"]
    assert data["training_window"]["from"] < data["training_window"]["to"] <= data["day"]
    assert data["ruleset"] == "cn-alliance-wp-2026" and len(data["ports"]) == TOP
    assert all(p["drivers"] for p in data["ports"])


def test_the_report_lists_the_ports_with_risk_station_drivers_and_window(
        pages: dict[str, str], scores: RiskList) -> None:
    section = _section(pages["en"])
    top = scores.ports[0]
    rows = re.findall(r'<tr id="risk-\d+">(.*?)</tr>', section, re.S)
    assert len(rows) == TOP
    assert top.port_id in rows[0] and top.station_id in rows[0]
    shown = re.search(r"([\d.]+) %", rows[0])  # a percentage, to the digits it supports
    assert shown is not None and abs(float(shown.group(1)) - 100 * top.score) < 0.01
    assert "probability" in rows[0]
    for driver in top.drivers:  # named by the catalogue's description, not the column
        assert escape(message(f"charging.risk.feature.{driver.feature}", {}, "en")) in rows[0]
    window = scores.training_window
    assert window.from_.isoformat() in section and window.to.isoformat() in section
    assert "failures within 7 days" in section
    assert "crew" in section and "solidcheck charging risk evaluate" in section
    assert "anomaly percentile" not in section  # no such score in this list


def test_an_anomaly_percentile_is_never_called_a_probability(scores_file: Path,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "anomaly.json"
    path.write_text(json.dumps(_anomalous(scores_file)), encoding="utf-8")
    section = _section(render_charging_html(example_metrics(), RULESET_OBJECTS, lang="en",
                                            risk=read_risk_json(path)))
    first = re.search(r'<tr id="risk-1">(.*?)</tr>', section, re.S)
    assert first is not None
    assert "percentile 93" in first.group(1) and "anomaly percentile" in first.group(1)
    assert "probability" not in first.group(1) and "%" not in first.group(1)
    assert "not a probability" in section


def test_the_chinese_report_says_the_section_in_chinese(pages: dict[str, str]) -> None:
    section = _section(pages["zh"])
    assert "故障风险端口" in section and "预测时间范围：7 天内发生的故障" in section
    left = english_words(visible_text(f"<div>{section}</div>"),
                         allowed=("charging", "risk", "evaluate"))  # the command's name
    assert left == set()
    both = _section(pages["both"])
    assert "Ports at risk" in both and '<span lang="zh-CN">故障风险端口</span>' in both


def test_the_pdf_holds_the_section_in_chinese(scores: RiskList, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(render_charging_pdf(example_metrics(), RULESET_OBJECTS, lang="zh",
                                         risk=scores))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "故障风险端口" in text and scores.ports[0].port_id in text
    assert "运维人员优先巡检" in text


def test_the_command_adds_the_section_and_the_open_data_publishes_it(
        scores_file: Path, tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text(example_metrics().model_dump_json(by_alias=True), encoding="utf-8")
    _run("charging", "report", str(metrics), "--risk", str(scores_file), "-o",
         str(tmp_path / "r.html"), "--lang", "both")
    assert "Ports at risk" in (tmp_path / "r.html").read_text("utf-8")
    write_tables(example_tables(), tmp_path / "tables")
    _run("charging", "report", str(metrics), "--risk", str(scores_file), "--to", "open-data",
         "--tables", str(tmp_path / "tables"), "-o", str(tmp_path / "open"))
    published = (tmp_path / "open" / "risk.json").read_bytes()
    assert RiskList.model_validate_json(published) == read_risk_json(scores_file)
    readme = (tmp_path / "open" / "README.txt").read_text("utf-8")
    assert "risk.json" in readme and hashlib.sha256(published).hexdigest() in readme


def test_a_bad_scores_file_is_exit_2_naming_every_problem(scores_file: Path,
                                                          tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text(example_metrics().model_dump_json(by_alias=True), encoding="utf-8")
    data = json.loads(scores_file.read_text("utf-8"))
    del data["training_window"]
    data["ports"][0]["score"] = 1.5
    data["ports"][1]["score_kind"] = "certainty"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["charging", "report", str(metrics), "--risk", str(bad),
                                      "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    for where in ("training_window", "ports.0.score", "ports.1.score_kind"):
        assert where in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.html").exists()
    (tmp_path / "text.json").write_text("port,score\n", encoding="utf-8")
    with pytest.raises(ChargingInputError, match="not JSON"):
        read_risk_json(tmp_path / "text.json")
    result = CliRunner().invoke(app, ["charging", "report", str(metrics), "--risk",
                                      str(tmp_path / "none.json"), "-o",
                                      str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "cannot be read" in result.output


def test_every_word_the_section_can_show_is_in_the_catalogue() -> None:
    source = (Path(__file__).parents[1] / "src" / "solidcheck" / "charging" / "report"
              / "risk.py").read_text("utf-8")
    keys = set(re.findall(r'words\("([a-z_]+)"', source))
    assert {"risk_days", "risk_percentile", "risk_anomaly_note"} <= keys
    ids = load_catalogue().ids()
    assert sorted(k for k in keys if f"charging.report.{k}" not in ids) == []


@pytest.mark.browser
def test_the_report_with_the_section_passes_axe_in_chromium(pages: dict[str, str],
                                                            tmp_path: Path) -> None:
    from test_browser_web import axe_of_files

    checked = axe_of_files(pages, tmp_path, visible="#risk-h")
    assert checked == {"en": [], "zh": [], "both": []}
