"""`solidcheck weight-loss` and `solidcheck dossier build`: from instrument files to a dossier."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import solidcheck.i18n
from conftest import shared_file
from language_scan import english_words
from solidcheck import classify, load_dossier, load_ruleset
from solidcheck.build import evidence_summary
from solidcheck.cli import app
from solidcheck.i18n import load_catalogue, message
from solidcheck.model import Dossier, Evidence
from solidcheck.report.html import render_html
from solidcheck.report.model import load_report_item

LAB = Path(__file__).parents[1] / "examples" / "lab"
runner = CliRunner()
WriteFile = Callable[[str, str | bytes], Path]


def invoke(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_weight_loss_on_a_good_log_reports_the_hold_and_the_masses():
    code, out, err = invoke("weight-loss", LAB / "oven-log-s1.csv", "--format", "json")
    assert code == 0, err
    analysis = json.loads(out)
    assert analysis["meets_conditions"] is True
    assert analysis["source"]["sha256"] == sha256(LAB / "oven-log-s1.csv")
    assert analysis["source"]["format"] == "oven-csv"
    hold = analysis["hold"]
    # 6 h 10 min at 120 °C, plus the last ramp and first cooling samples within ±2 °C (30 s each)
    assert hold["duration_h"] == pytest.approx(6 + 10 / 60 + 60 / 3600)
    assert 118 <= hold["temperature_min_c"] <= hold["temperature_max_c"] <= 122
    assert hold["pressure_max_pa"] <= 1000
    assert analysis["mass"]["stable"] is True
    block = analysis["weight_loss_test"]
    assert block["duration_h"] == hold["duration_h"]
    assert block["specimens"][0]["mass_before_g"] > block["specimens"][0]["mass_after_g"]


def test_weight_loss_on_the_chinese_gbk_log_finds_the_leak():
    code, out, err = invoke("weight-loss", LAB / "oven-log-short-hold-gbk.csv", "--format",
                            "json")
    assert code == 0, err
    analysis = json.loads(out)
    assert analysis["meets_conditions"] is False
    assert analysis["hold"]["duration_h"] == pytest.approx(4.0, abs=0.01)
    assert analysis["hold"]["ended_by"] == ["pressure_high"]  # the door seal leaked
    assert any(f["rule"] == "test_duration" and f["severity"] == "error"
               for f in analysis["findings"])


def test_weight_loss_text_names_the_verdict():
    code, out, _ = invoke("weight-loss", LAB / "oven-log-short-hold-gbk.csv")
    assert code == 0
    assert "does NOT meet" in out and "pressure rising above the limit" in out


@pytest.mark.parametrize("name", [
    "tga-netzsch/Red_Oak_STA_10K_250731_R7.ngb-ss3",
    "tga-netzsch/Douglas_Fir_STA_Baseline_10K_250730_R13.ngb-bs3",
])
def test_weight_loss_on_a_real_thermobalance_ramp_is_a_result_not_a_crash(name):
    code, out, err = invoke("weight-loss", shared_file(name))
    assert code == 0, err
    assert "does NOT meet" in out and "no pressure channel" in out


def test_dossier_build_takes_conditions_from_the_log_and_masses_from_the_weighings(tmp_path):
    out_file = tmp_path / "built.yaml"
    code, _, err = invoke("dossier", "build", LAB / "cell-s1.yaml",
                          "--oven-log", LAB / "oven-log-s1.csv",
                          "--weighings", LAB / "weighings-s1.csv", "-o", out_file)
    assert code == 0, err
    data = yaml.safe_load(out_file.read_text("utf-8"))
    test = data["weight_loss_test"]
    assert test["visible_liquid"] is False and test["balance_resolution_mg"] == 0.1
    assert [s["mass_before_g"] for s in test["specimens"]] == [51.2034, 50.8871, 51.0412]
    kinds = {e["kind"]: e for e in data["evidence"]}
    assert kinds["oven_log"]["sha256"] == sha256(LAB / "oven-log-s1.csv")
    assert kinds["oven_log"]["fields"] == ["weight_loss_test.temperature_c",
                                           "weight_loss_test.duration_h",
                                           "weight_loss_test.pressure_pa",
                                           "weight_loss_test.specimens"]
    assert kinds["weighings"]["sha256"] == sha256(LAB / "weighings-s1.csv")
    result = classify(load_dossier(out_file))
    assert result.category == "solid_state"
    assert result.weight_loss is not None and result.weight_loss.conditions_valid


def test_dossier_build_from_a_failed_run_classifies_as_invalid_conditions(tmp_path):
    out_file = tmp_path / "built.json"
    code, _, err = invoke("dossier", "build", LAB / "cell-s1.yaml",
                          "--oven-log", LAB / "oven-log-short-hold-gbk.csv", "-o", out_file)
    assert code == 0, err
    assert "do NOT meet" in err
    result = classify(load_dossier(out_file))
    assert result.category == "undetermined"
    assert result.weight_loss is not None and not result.weight_loss.conditions_valid


def test_dossier_build_reports_replaced_declarations(tmp_path, write_file: WriteFile):
    cell = write_file("cell.yaml", (LAB / "cell-s1.yaml").read_text("utf-8").replace(
        "  visible_liquid: false\n", "  visible_liquid: false\n  duration_h: 8\n"))
    code, out, err = invoke("dossier", "build", cell, "--oven-log", LAB / "oven-log-s1.csv")
    assert code == 0, err
    assert "weight_loss_test.duration_h: the declared 8 replaced by" in err
    assert yaml.safe_load(out)["weight_loss_test"]["duration_h"] != 8


def test_dossier_build_without_pressure_or_masses_lists_every_problem(write_file: WriteFile):
    cell = write_file("cell.yaml", "id: X\nelectrolyte: {phases: [solid], solid_type: oxide}\n"
                      "conducting_ion: lithium\n")
    baseline = shared_file("tga-netzsch/Douglas_Fir_STA_Baseline_10K_250730_R13.ngb-bs3")
    code, out, err = invoke("dossier", "build", cell, "--oven-log", baseline)
    assert code == 2 and out == ""
    assert "weight_loss_test.pressure_pa" in err and "weight_loss_test.specimens" in err
    assert "Traceback" not in err


def test_dossier_build_with_a_declared_pressure_uses_a_thermobalance_log(write_file: WriteFile):
    cell = write_file("cell.yaml", "id: X\nelectrolyte: {phases: [solid], solid_type: oxide}\n"
                      "conducting_ion: lithium\nweight_loss_test: {pressure_pa: 100}\n")
    red_oak = shared_file("tga-netzsch/Red_Oak_STA_10K_250731_R7.ngb-ss3")
    code, out, err = invoke("dossier", "build", cell, "--oven-log", red_oak)
    assert code == 0, err
    data = yaml.safe_load(out)
    assert data["weight_loss_test"]["pressure_pa"] == 100
    assert data["weight_loss_test"]["duration_h"] < 0.1
    assert data["evidence"][0]["format"] == "netzsch-ngb"
    assert "weight_loss_test.pressure_pa" not in data["evidence"][0]["fields"]


@pytest.mark.parametrize("content", [b"", b"\x00\xff\x10garbage" * 50, b"PK\x03\x04broken"])
def test_bad_logs_exit_2_with_one_message(write_file: WriteFile, content: bytes):
    path = write_file("oven.csv", content)
    code, out, err = invoke("weight-loss", path)
    assert code == 2 and out == ""
    assert err.startswith("invalid evidence file") and "Traceback" not in err


def test_a_cycler_file_is_not_an_oven_log(write_file: WriteFile):
    code, _, err = invoke("weight-loss", shared_file("cycler-neware/new_nda_file.nda"))
    assert code == 2
    assert "not a recognised oven log file" in err


NEWARE_NDAX = "cycler-neware/TESTCELL0001-B2-2025-M50T_NewareNDA_Investigation.ndax"


@pytest.fixture(scope="module")
def built_with_cycler(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dossier built from the lab files and a real Neware cycler file (read once: slow)."""
    cycler = shared_file(NEWARE_NDAX)
    out_file = tmp_path_factory.mktemp("cycler") / "built.yaml"
    code, _, err = invoke("dossier", "build", LAB / "cell-s1.yaml",
                          "--oven-log", LAB / "oven-log-s1.csv", "--cycler", cycler,
                          "--nominal-capacity-ah", "4.8", "-o", out_file)
    assert code == 0, err
    return out_file


def test_dossier_build_takes_ratings_from_a_real_cycler_file(built_with_cycler: Path):
    out_file, cycler = built_with_cycler, shared_file(NEWARE_NDAX)
    data = yaml.safe_load(out_file.read_text("utf-8"))
    _, out, _ = invoke("ratings", cycler, "--nominal-capacity-ah", "4.8", "--format", "json")
    assert data["ratings"] == json.loads(out)["ratings"]
    cycler_evidence = [e for e in data["evidence"] if e["kind"] == "cycler"]
    assert [e["sha256"] for e in cycler_evidence] == [sha256(cycler)]
    result = classify(load_dossier(out_file))
    assert result.power_energy_ratio_w_per_wh == pytest.approx(
        data["ratings"]["max_power_w"] / data["ratings"]["energy_1c_wh"])


def test_dossier_build_says_why_a_cycler_file_gives_no_ratings(write_file: WriteFile):
    code, out, err = invoke("dossier", "build", LAB / "cell-s1.yaml",
                            "--cycler", shared_file("cycler-neware/TestFile.nda"))
    assert code == 2 and out == ""
    assert "ratings: TestFile.nda gives no ratings" in err
    assert "--nominal-capacity-ah" in err and "Traceback" not in err


@pytest.mark.parametrize("name", [
    "cycler-neware/test_2.ndax",
    "cycler-neware/TESTCELL0001-B2-2025-M50T_NewareNDA_Investigation.ndax",
    "tga-netzsch/Red_Oak_STA_10K_250731_R7.ngb-ss3",
    "tga-netzsch/01_Messung_Probe_G_300_Grad_Ar.ngb-ds3",
])
def test_a_truncated_container_is_recognised_and_refused_as_incomplete(tmp_path, name):
    original = shared_file(name)
    cut = tmp_path / original.name
    cut.write_bytes(original.read_bytes()[: original.stat().st_size // 2])
    code, out, err = invoke("read", cut)
    assert code == 2 and out == ""
    assert "could not be read as" in err and "truncated" in err
    assert "Traceback" not in err


# ------------------------------------------------- a built dossier's evidence summaries, in Chinese

def _built_beside_its_files(tmp_path: Path) -> Path:
    """A dossier built from the lab files, written beside copies of them (the report checks
    each file it lists)."""
    for name in ("oven-log-s1.csv", "weighings-s1.csv"):
        (tmp_path / name).write_bytes((LAB / name).read_bytes())
    built = tmp_path / "built.yaml"
    code, _, err = invoke("dossier", "build", LAB / "cell-s1.yaml", "--oven-log",
                          tmp_path / "oven-log-s1.csv", "--weighings",
                          tmp_path / "weighings-s1.csv", "-o", built)
    assert code == 0, err
    return built


def test_a_built_dossier_keeps_each_summary_as_a_message_and_in_english(tmp_path):
    data = yaml.safe_load(_built_beside_its_files(tmp_path).read_text("utf-8"))
    kinds = {e["kind"]: e for e in data["evidence"]}
    oven, weighed = kinds["oven_log"], kinds["weighings"]
    assert oven["summary_id"] == "evidence.summary.hold_vacuum"
    assert oven["summary_params"]["duration"] == pytest.approx(6 + 11 / 60, abs=1 / 60)
    assert oven["summary"].startswith("hold 6 h 11 min at ")  # English for older readers
    assert weighed["summary_params"] == {"count": 3}
    assert weighed["summary"] == "3 specimen(s) weighed before and after"
    evidence = load_dossier(tmp_path / "built.yaml").evidence
    chinese = {e.kind: evidence_summary(e, "zh") for e in evidence}
    oven_zh = chinese["oven_log"]
    assert oven_zh is not None and oven_zh.startswith("恒温段 6 小时 11 分钟")
    assert oven_zh.endswith("符合 gbt-ssb-1-2026 的试验条件")
    assert chinese["weighings"] == "3 个样品，试验前后称量"


def test_a_dossier_without_a_summary_id_shows_its_summary_and_hashes_as_before():
    older = Evidence(kind="oven_log", file="oven.csv", sha256="0" * 64, size_bytes=1,
                     format="oven-csv", fields=[], summary="hold 6.1833 h at 118.37–121.09 °C")
    assert evidence_summary(older, "zh") == older.summary
    assert "summary_id" not in older.model_dump(mode="json")  # the certified canonical form
    unknown = older.model_copy(update={"summary_id": "evidence.summary.from_the_future",
                                       "summary_params": {"x": 1}})
    wrong = older.model_copy(update={"summary_id": "evidence.summary.weighings",
                                     "summary_params": {"count": "three"}})
    assert evidence_summary(unknown, "zh") == evidence_summary(wrong, "zh") == older.summary


def test_the_html_report_shows_the_evidence_summaries_in_chinese(tmp_path):
    built = _built_beside_its_files(tmp_path)
    html = render_html([load_report_item(built, load_ruleset())], lang="zh")
    assert "恒温段 6 小时 11 分钟" in html and "3 个样品，试验前后称量" in html
    assert "weighed before and after" not in html and "test conditions" not in html
    english = render_html([load_report_item(built, load_ruleset())], lang="en")
    assert "3 specimen(s) weighed before and after" in english


def test_a_cycler_summary_is_a_message_too(built_with_cycler: Path):
    out_file = built_with_cycler
    (evidence,) = [e for e in load_dossier(out_file).evidence if e.kind == "cycler"]
    assert evidence.summary_id == "evidence.summary.ratings"
    ratings = load_dossier(out_file).ratings
    assert ratings is not None
    rule = load_ruleset().rules.ratings_from_cycler
    assert evidence.summary_params == {"energy": ratings.energy_1c_wh,
                                       "power": ratings.max_power_w,
                                       "held": pytest.approx(rule.power_duration_s / 3600)}
    chinese = evidence_summary(evidence, "zh")
    assert chinese is not None and chinese.startswith("1C 能量 ") and "最大功率" in chinese
    assert "max power" in (evidence.summary or "")


# --------------------------------------------------- every message of i18n/evidence.toml

EVIDENCE_CATALOGUE = Path(solidcheck.i18n.__file__).parent / "evidence.toml"
#: what the messages quote as written: a file's column names and step labels, the integral,
#: and values a file or a library gives (examples below, as a reading would)
AS_WRITTEN = ["Time", "Timestamp", "Current(mA)", "Discharge", "DChg", "DCH", "Ewe",
              "control/mA", "NewareNDA", "BioLogic", "NETZSCH", "∫V·|I|dt", "'Mass (mg)'",
              "'T/K'", "declared", "sample", "Input should be a number"]


def _example_params(message_id: str) -> dict[str, object]:
    """Parameters a message could be given: a number of its kind, a word it names."""
    spec = load_catalogue().messages[message_id].params
    words = {"ended": "hold_end.temperature_low+pressure_high",
             "verdict": "conditions.does_not_meet", "evidence": "sign_evidence.charge_counter"}
    texts = {"reasons": "ratings.energy_1c_wh: Input should be a number", "said": "DChg",
             "column": "'T/K'", "chosen": "'Mass (mg)'", "other": "'T/K'", "file": "oven.csv",
             "declared": "7", "value": "6.1833", "field": "weight_loss_test.duration_h"}
    return {name: (words[name] if param.kind == "word" else
                   ["T2", "T3"] if param.kind == "list" else
                   texts.get(name, "x_1") if param.kind == "text" else
                   3 if param.kind == "count" else 1.25)
            for name, param in spec.items()}


def test_every_evidence_message_reads_in_chinese_and_english():
    ids = set(tomllib.loads(EVIDENCE_CATALOGUE.read_text("utf-8"))["messages"])
    assert {"conditions.held", "evidence.summary.hold", "build.replaced", "ratings.energy_1c",
            "reader.current_flipped"} <= ids
    for message_id in sorted(ids):
        params = _example_params(message_id)
        english, chinese = message(message_id, params, "en"), message(message_id, params, "zh")
        assert re.search(r"[\u4e00-\u9fff]", chinese), message_id
        assert not english_words(chinese, allowed=[*AS_WRITTEN, *Dossier.model_fields,
                                                   *map(str, params.values())]), \
            (message_id, chinese)
        assert english != chinese and not re.search(r"[\u4e00-\u9fff]", english), message_id
        assert message(message_id, params, "zh-Hant") != "", message_id
