"""``solidcheck charging risk train|score|evaluate``: the commands on seeded frames, given
through their seam (cli/charging_risk.risk_frames) in place of features computed from logs."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import risk_frames as rf
from solidcheck.charging.risk.model import FeatureSpec
from solidcheck.cli import app, charging_risk

REQUIRED = {"horizon", "k", "split", "model", "baselines"}
FIGURES = {"pr_auc", "precision_at_k", "recall_at_k", "lead_time_h"}


@pytest.fixture(autouse=True)
def frames(monkeypatch):
    features, labels = rf.frames(ports=60, days=120, seed=5)
    given = charging_risk.RiskFrames(features, labels, FeatureSpec(rf.FEATURES,
                                                                   rf.CATEGORICAL),
                                     {"net/frames.parquet": "0" * 64})

    def seam(inputs, ruleset, **options):
        return given

    monkeypatch.setattr(charging_risk, "risk_frames", seam)


def invoke(*args: str):
    return CliRunner().invoke(app, ["charging", "risk", *args])


def test_evaluate_json_has_the_documented_keys(tmp_path: Path):
    result = invoke("evaluate", str(tmp_path), "--format", "json", "--k", "5")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == REQUIRED | {"beats_baselines", "verdict", "detail"}
    assert set(report["split"]) == {"train", "test"}
    assert set(report["model"]) == FIGURES
    assert all(set(b) == FIGURES for b in report["baselines"].values())
    assert report["k"] == 5 and report["horizon"] == "7d"


def test_evaluate_html_draws_the_calibration_plot_in_chinese(tmp_path: Path):
    out = tmp_path / "risk.html"
    result = invoke("evaluate", str(tmp_path), "--format", "html", "-o", str(out),
                    "--lang", "zh")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and "校准" in page and 'lang="zh"' in page


def test_train_then_score_lists_the_riskiest_ports_with_their_drivers(tmp_path: Path):
    trained = invoke("train", str(tmp_path), "-o", str(tmp_path / "m"), "--seed", "3")
    assert trained.exit_code == 0, trained.output
    assert "pickle" in trained.output
    card = json.loads((tmp_path / "m" / "card.json").read_text(encoding="utf-8"))
    assert card["seed"] == 3 and card["data_sha256"]["inputs"] == {
        "net/frames.parquet": "0" * 64}
    scored = invoke("score", str(tmp_path / "m"), str(tmp_path), "--top", "4",
                    "--format", "json", "--day", "2026-04-10")
    assert scored.exit_code == 0, scored.output
    listed = json.loads(scored.output)
    assert listed["day"] == "2026-04-10" and len(listed["ports"]) == 4
    assert listed["method"].startswith("baseline difference")
    assert all(p["drivers"] for p in listed["ports"])
    table = invoke("score", str(tmp_path / "m"), str(tmp_path), "--top", "3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.output)))
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["day"] == "2026-04-30"
    text = invoke("score", str(tmp_path / "m"), str(tmp_path), "--top", "2", "--lang", "zh")
    lines = text.output.strip().splitlines()
    assert "风险最高的 2 个端口" in lines[0]
    ranked = [line for line in lines if re.match(r"\d+\. ", line)]
    assert len(ranked) == 2 and ranked[0].startswith(f"1. {rows[0]['port_id']}")
    driver = lines[lines.index(ranked[0]) + 1]  # each driver on its own line, described
    assert driver.lstrip().startswith("+") and "（" in driver


def test_bad_options_are_listed_in_one_error_exit_2(tmp_path: Path):
    result = invoke("evaluate", str(tmp_path), "--horizon", "3d", "--format", "xml",
                    "--ruleset", "no-such-set", "--k", "0")
    assert result.exit_code == 2
    for word in ("--horizon", "--format", "--ruleset", "--k"):
        assert word in result.output


def test_without_scikit_learn_the_error_names_the_extra(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    result = invoke("evaluate", str(tmp_path))
    assert result.exit_code == 4  # the project's exit status for a missing extra
    assert "pip install 'solidcheck[risk]'" in result.output


@pytest.mark.parametrize(("lang", "words"), [("en", "Time split"), ("zh", "按时间划分")])
def test_evaluate_text_names_the_split_and_ends_with_the_verdict(tmp_path: Path, lang, words):
    result = invoke("evaluate", str(tmp_path), "--lang", lang)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert words in lines[1]
    assert ("基线" if lang == "zh" else "baselines") in lines[-1]
