"""The command line's text in the language asked for (`--lang`, $SOLIDCHECK_LANG): labels,
verify reasons and confirmations from the catalogue, and — scanned, not snapshotted — no
English word left in Chinese output outside ids, codes, units and file names."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import shared_file
from language_scan import english_words
from solidcheck import classify, load_dossier
from solidcheck.certificates import certificate_bytes, verify
from solidcheck.cli import app
from solidcheck.conditions import analyse_conditions
from solidcheck.i18n import load_catalogue, message
from solidcheck.model import Dossier
from solidcheck.ratings import derive_ratings
from solidcheck.readers import read_evidence
from solidcheck.report.text import finding_text
from solidcheck.rules import available_rulesets, load_ruleset

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.y*ml")) + sorted((ROOT / "examples").glob("*.json"))
LAB = ROOT / "examples" / "lab"
CYCLER = "cycler-neware/test_2.ndax"
RULESETS = [ruleset.id for ruleset in available_rulesets()]
runner = CliRunner()


def run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    return result.exit_code, result.stdout, result.stderr


#: the dossier's field names, which a message may cite as the field to fill (an id, not a word)
DOSSIER_FIELDS = sorted(Dossier.model_fields)


def not_localised(findings: Any) -> list[str]:
    """The findings' sentences that the core cannot yet give in Chinese (no message id),
    and the dossier's field names: the scan excuses exactly these, so it tightens by itself
    once findings carry ids."""
    return [*DOSSIER_FIELDS,
            *(f.message for f in findings if finding_text(f, "zh") == f.message)]


def assert_chinese(text: str, *, allowed: list[str] | tuple[str, ...] = ()) -> None:
    leftover = english_words(text, allowed=allowed)
    assert not leftover, f"English words in Chinese output: {sorted(leftover)}\n{text}"


# ---------------------------------------------------------------- choosing the language

def test_classify_in_chinese_has_chinese_labels_and_category():
    code, out, err = run("classify", "--lang", "zh", ROOT / "examples/sulfide-high-energy.yaml")
    assert code == 0, err
    for label in ("固态电池", "失重率", "样品", "判定理由", "规则集", "电解质：硫化物", "高能量型"):
        assert label in out, label
    for english in ("weight loss", "within limit", "rule set", "why", "electrolyte:"):
        assert english not in out, english


def test_the_language_comes_from_the_environment_and_the_option_wins():
    dossier = ROOT / "examples/between-the-limits.yaml"
    _, chinese, _ = run("classify", "--lang", "zh", dossier)
    code, from_env, err = run("classify", dossier, env={"SOLIDCHECK_LANG": "zh"})
    assert code == 0, err
    assert from_env == chinese
    _, before_command, _ = run("--lang", "zh", "classify", dossier)
    assert before_command == chinese
    _, english, _ = run("classify", "--lang", "en", dossier, env={"SOLIDCHECK_LANG": "zh"})
    assert "weight loss" in english and "失重率" not in english
    _, own_wins, _ = run("--lang", "en", "classify", "--lang", "zh", dossier)
    assert own_wins == chinese


def test_english_is_the_default():
    code, out, _ = run("classify", ROOT / "examples/between-the-limits.yaml",
                       env={"SOLIDCHECK_LANG": ""})
    assert code == 0 and "weight loss (limit ≤ 0.5 %)" in out and "判定理由" not in out


@pytest.mark.parametrize(("args", "env", "where"), [
    (("--lang", "fr", "classify"), None, "--lang"),
    (("classify", "--lang", "klingon"), None, "--lang"),
    (("classify",), {"SOLIDCHECK_LANG": "de"}, "SOLIDCHECK_LANG"),
])
def test_an_unknown_language_is_invalid_input_naming_the_choices(args, env, where):
    code, out, err = run(*args, ROOT / "examples/liquid-lfp.yaml", env=env)
    assert code == 2
    assert out == ""
    assert where in err and "use en, zh, zh-Hant or both" in err


def test_both_shows_english_and_chinese():
    code, out, err = run("classify", "--lang", "both", ROOT / "examples/between-the-limits.yaml")
    assert code == 0, err
    assert "weight loss" in out and "失重率" in out and "specimen / 样品" in out


def test_traditional_chinese_is_traditional():
    code, out, err = run("classify", "--lang", "zh-Hant",
                         ROOT / "examples/sulfide-high-energy.yaml")
    assert code == 0, err
    assert "規則集" in out and "固態電池" in out and "规则集" not in out


def test_json_keeps_english_keys_whatever_the_language():
    dossier = ROOT / "examples/liquid-lfp.yaml"
    _, english, _ = run("classify", dossier, "--format", "json")
    _, chinese, _ = run("classify", dossier, "--format", "json", "--lang", "zh")
    english_result, chinese_result = json.loads(english), json.loads(chinese)
    assert chinese_result.keys() == english_result.keys()
    # the findings' words follow the language; their data (ids, parameters, rules) do not
    for en, zh in zip(english_result["findings"], chinese_result["findings"], strict=True):
        assert (zh["message_id"], zh["params"], zh["rule"]) == (
            en["message_id"], en["params"], en["rule"])
        assert zh["message"] != en["message"] and not english_words(zh["message"])


def test_a_finding_with_a_message_id_is_rendered_in_the_language_asked():
    finding = SimpleNamespace(message="liquid was seen …", message_id="decision.liquid_seen",
                              params={})
    assert finding_text(finding, "zh") == message("decision.liquid_seen", {}, "zh")  # type: ignore[arg-type]
    assert "液" in finding_text(finding, "zh")  # type: ignore[arg-type]
    assert finding_text(finding, "en") == "liquid was seen …"  # type: ignore[arg-type]
    older = SimpleNamespace(message="as written")
    assert finding_text(older, "zh") == "as written"  # type: ignore[arg-type]


# ---------------------------------------------------------------- evidence commands

def test_weight_loss_in_chinese():
    code, out, err = run("weight-loss", "--lang", "zh", LAB / "oven-log-s1.csv")
    assert code == 0, err
    for label in ("符合 gbt-ssb-1-2026 的试验条件", "恒温段", "小时", "分钟", "结束时质量稳定",
                  "绝对压力不高于 1000 Pa"):
        assert label in out, label
    assert "meets the test conditions" not in out


def test_read_and_ratings_in_chinese():
    code, out, err = run("read", "--lang", "zh", LAB / "weighings-s1.csv")
    assert code == 0, err
    assert "称量记录" in out and "通道" in out and "行数" in out and "bytes" not in out
    code, out, err = run("ratings", "--lang", "zh", shared_file(CYCLER))
    assert code == 0, err
    assert "放电工步" in out and "额定容量" in out and "最大功率" in out
    assert "功率能量比" in out and "1C 能量" in out and " rows," not in out


def test_terms_and_code_decode_in_chinese():
    code, out, err = run("terms", "--lang", "zh", "semi-solid")
    assert code == 0, err
    assert "术语" in out and "不推荐" in out and "混合固液电池" in out
    code, out, err = run("code", "decode", "--lang", "zh", "SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")
    assert code == 0, err
    assert re.search(r"电解质类型\s+硫化物", out) and re.search(r"类别\s+固态电池", out)
    assert "暂定" in out and "provisional" not in out
    code, _, err = run("terms", "--lang", "zh", "no-such-term-anywhere")
    assert code == 3 and "没有与" in err


def test_code_decode_in_english_keeps_the_code_values():
    code, out, _ = run("code", "decode", "SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")
    assert code == 0 and re.search(r"category\s+solid_state", out)


# ---------------------------------------------------------------- certificates

@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("lang-certs")
    key = folder / "lab.key"
    assert run("keys", "generate", "-o", key, "--name", "Lab")[0] == 0
    cert = folder / "c.json"
    dossier = ROOT / "examples/sulfide-high-energy.yaml"
    assert run("certify", dossier, "-k", key, "--issuer", "Lab", "-o", cert)[0] == 0
    return cert, key.with_suffix(".pub"), dossier


def _tampered(cert: Path, folder: Path) -> Path:
    data = json.loads(cert.read_text("utf-8"))
    changed = copy.deepcopy(data)
    changed["result"]["category"] = "liquid"
    path = folder / "tampered.json"
    path.write_bytes(certificate_bytes(changed))
    return path


def test_verify_a_valid_certificate_in_chinese(certified):
    cert, pub, dossier = certified
    code, out, err = run("verify", "--lang", "zh", cert, "--pubkey", pub, "--dossier", dossier)
    assert code == 0, err + out
    assert "证书有效" in out and "可信" in out and "固态电池" in out and "档案" in out


def test_verify_a_tampered_certificate_gives_its_reasons_in_chinese(certified, tmp_path):
    cert, pub, _ = certified
    tampered = _tampered(cert, tmp_path)
    code, out, _ = run("verify", "--lang", "zh", tampered, "--pubkey", pub)
    assert code == 3
    assert "证书无效" in out and "项检查未通过" in out and "签名不符" in out
    assert "signature does not match" not in out
    code, out, _ = run("verify", "--lang", "zh", tampered, "--format", "json")
    assert code == 3
    assert any("signature does not match" in r for r in json.loads(out)["reasons"])


def test_verification_keeps_ids_and_english(certified, tmp_path):
    cert, _, _ = certified
    check = verify(_tampered(cert, tmp_path).read_bytes())
    assert [r.message_id for r in check.failures] == ["verify.signature_mismatch"]
    assert check.reasons == check.reasons_in("en")
    assert check.reasons_in("zh") != check.reasons and "签名" in check.reasons_in("zh")[0]
    assert "failures" not in check.as_dict()


def test_every_verify_reason_the_code_can_give_is_in_the_catalogue():
    source = (ROOT / "src/solidcheck/certificates/verification.py").read_text("utf-8")
    used = set(re.findall(r'"(verify\.[a-z_]+)"', source))
    assert len(used) >= 20
    assert used <= load_catalogue().ids()


# ---------------------------------------------------------------- the scan

@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_classify_in_chinese_leaves_no_english(example: Path, ruleset: str):
    code, out, err = run("classify", "--lang", "zh", example, "--ruleset", ruleset)
    assert code == 0, err
    result = classify(load_dossier(example), load_ruleset(ruleset))
    assert_chinese(out, allowed=not_localised(result.findings))


def test_several_dossiers_in_chinese_leave_no_english():
    code, out, err = run("classify", "--lang", "zh", *EXAMPLES)
    assert code == 0, err
    rules = load_ruleset(None)
    unlocalised = [text for path in EXAMPLES
                   for text in not_localised(classify(load_dossier(path), rules).findings)]
    assert_chinese(out, allowed=unlocalised)


@pytest.mark.parametrize("log", ["oven-log-s1.csv", "oven-log-short-hold-gbk.csv"])
def test_weight_loss_in_chinese_leaves_no_english(log: str):
    code, out, err = run("weight-loss", "--lang", "zh", LAB / log)
    assert code == 0, err
    analysis = analyse_conditions(read_evidence(LAB / log, kind="oven_log"),
                                  ruleset=load_ruleset(None))
    assert_chinese(out, allowed=[str(analysis.source["format"])])


def test_dossier_build_says_its_notes_in_chinese(tmp_path):
    cell = tmp_path / "cell.yaml"
    # a declared duration the log replaces: the build says so
    cell.write_text((LAB / "cell-s1.yaml").read_text(encoding="utf-8").replace(
        "weight_loss_test:\n", "weight_loss_test:\n  duration_h: 7\n"), encoding="utf-8")
    code, _, err = run("dossier", "build", cell, "--oven-log", LAB / "oven-log-s1.csv",
                       "--weighings", LAB / "weighings-s1.csv", env={"SOLIDCHECK_LANG": "zh"})
    assert code == 0, err
    assert "样品：3 个，取自 weighings-s1.csv" in err
    assert "weight_loss_test.duration_h：声明值 7 已替换为取自 oven-log-s1.csv 的" in err
    assert "specimens: 3 from" not in err and "replaced by" not in err
    assert_chinese(err, allowed=[*DOSSIER_FIELDS, "weight_loss_test.duration_h", "LOG"])
    _, _, english = run("dossier", "build", cell, "--oven-log", LAB / "oven-log-s1.csv",
                        "--weighings", LAB / "weighings-s1.csv", env={"SOLIDCHECK_LANG": "en"})
    assert "specimens: 3 from weighings-s1.csv" in english


def test_read_and_ratings_in_chinese_leave_no_english():
    for path in (LAB / "weighings-s1.csv", LAB / "oven-log-s1.csv"):
        code, out, err = run("read", "--lang", "zh", path)
        assert code == 0, err
        summary = read_evidence(path).summary()
        # the file's own column names and metadata are not ours to translate; its notes are
        file_words = [summary["format"],
                      *(json.dumps(summary["channels"]), json.dumps(summary["metadata"]))]
        assert_chinese(out, allowed=file_words)
    path = shared_file(CYCLER)
    code, out, err = run("ratings", "--lang", "zh", path)
    assert code == 0, err
    reading = read_evidence(path, kind="cycler")
    analysis = derive_ratings(reading, ruleset=load_ruleset(None))
    # the method, warnings and notes are messages; what they quote stays as written: the
    # validation's reasons (error text, English) and the cycler library's own log lines
    quoted = [str(line.params[name]) for line in analysis.said for name in ("reasons", "said")
              if name in line.params]
    # the messages quote Neware's column names, the step labels and the integral as written
    as_written = ["Time", "Timestamp", "Current(mA)", "Discharge", "∫V·|I|dt"]
    core_text = [reading.format, *quoted, *as_written, *DOSSIER_FIELDS,
                 *(step.step_type or "" for step in analysis.discharge_steps)]
    assert_chinese(out, allowed=core_text)


def test_verify_terms_code_and_rulesets_in_chinese_leave_no_english(certified, tmp_path):
    cert, pub, dossier = certified
    for args in (("verify", cert, "--pubkey", pub, "--dossier", dossier),
                 ("verify", _tampered(cert, tmp_path)),
                 ("terms", "半固态"), ("terms", "固态电池"),
                 ("code", "decode", "SCP1-SSB-OXI-NA-HP/gbt-ssb-1-2026"),
                 ("code", "decode", "SCP1-UND/csae-434-2025")):
        code, out, err = run("--lang", "zh", *args)
        assert code in (0, 3), err
        # the issuer's name, and the certificate's member names a reason lists (field names)
        assert_chinese(out, allowed=["Lab", "format", "version", "issuer", "subject", "result"])
    code, out, err = run("rulesets", "--lang", "zh")
    assert code == 0, err
    # the rule sets' titles, documents and status notes are rule-set data (core15's part)
    data = [text for r in available_rulesets()
            for text in (r.ruleset.title, r.ruleset.document, r.ruleset.status)]
    assert_chinese(out, allowed=data)
    assert "（默认）" in out and "建议" in out and "必需" in out


def test_the_scan_finds_english_where_there_is_english():
    code, out, _ = run("classify", "--lang", "en", ROOT / "examples/sulfide-high-energy.yaml")
    assert code == 0
    assert {"weight", "loss", "specimen", "electrolyte"} <= english_words(out)
    assert english_words("规则集 gbt-ssb-1-2026 · weight_loss_test.visible_liquid 6 小时 "
                         "cell-s1.yaml --format json 120 °C") == set()


def test_the_report_takes_the_same_language_choice():
    dossier = ROOT / "examples/liquid-lfp.yaml"
    code, out, err = run("report", dossier, "-o", "-", env={"SOLIDCHECK_LANG": "zh"})
    assert code == 0, err
    assert '<html lang="zh' in out
    code, out, err = run("--lang", "en", "report", dossier, "-o", "-",
                         env={"SOLIDCHECK_LANG": "zh"})
    assert code == 0 and '<html lang="en' in out
    code, out, err = run("report", dossier, "-o", "-", "--lang", "zh-Hant")
    assert code == 0 and '<html lang="zh-Hant' in out and "液態電池" in out


def test_audit_text_in_chinese_has_chinese_labels():
    code, out, err = run("audit", "--lang", "zh", ROOT / "examples/text/press-release-s8.md")
    assert code == 0, err
    assert "个字符" in out and "规则集" in out and "位置" in out and "原文" in out
    assert "characters" not in out and "rule set" not in out
