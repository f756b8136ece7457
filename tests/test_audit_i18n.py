"""Audit findings as data: every finding of every corpus text, under every evidence, says the
same in English from its message id as its ``message`` does, and says it in Chinese
(simplified, traditional, both) with the figures and terms it cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from solidcheck.claims.audit import audit
from solidcheck.claims.extract import extract_text
from solidcheck.claims.localise import finding_basis, finding_message, finding_suggestion
from solidcheck.claims.terms_audit import audit_text
from solidcheck.classify import classify
from solidcheck.dossier import load_dossier
from solidcheck.model import Result
from solidcheck.rules import available_rulesets

ROOT = Path(__file__).parents[1]
TEXTS = sorted((ROOT / "tests" / "audit_corpus").glob("*.txt"))
EVIDENCE = [None, "sulfide-high-energy.yaml", "semi-solid-marketed.yaml", "liquid-lfp.yaml",
            "headline-claim-no-test.yaml"]
HAN = re.compile(r"[\u4e00-\u9fff]")


def evidence_of(example: str | None) -> Result | None:
    if example is None:
        return None
    return classify(load_dossier(ROOT / "examples" / example), available_rulesets()[0])


@pytest.mark.parametrize("example", EVIDENCE)
def test_every_finding_is_data_and_says_itself_in_chinese(example: str | None) -> None:
    evidence = evidence_of(example)
    seen: set[str] = set()
    for text_file in TEXTS:
        for ruleset in available_rulesets():
            report = audit(extract_text(text_file), ruleset=ruleset, evidence=evidence)
            for finding in report.findings:
                assert finding.message_id, finding.rule
                seen.add(finding.rule)
                assert finding_message(finding, "en") == finding.message
                chinese = finding_message(finding, "zh")
                assert HAN.search(chinese) and chinese != finding.message
                assert finding_message(finding, "both") == (
                    f"{finding.message} / {chinese}")
                if finding.suggestion_id:
                    assert HAN.search(finding_suggestion(finding, "zh") or "")
                if finding.basis_zh:
                    assert HAN.search(finding_basis(finding, "zh"))
    assert seen


def test_traditional_chinese_is_converted_and_keeps_the_figures() -> None:
    (finding,) = audit_text("A solid-state battery.", ruleset=available_rulesets()[0])
    assert finding.rule == "unsupported_claim"
    simplified = finding_message(finding, "zh")
    traditional = finding_message(finding, "zh-Hant")
    assert "声称" in simplified and "聲稱" in traditional
    for figure in ("120 °C", "6 小时", "1000 Pa"):
        assert figure in simplified
    assert "6 小時" in traditional
