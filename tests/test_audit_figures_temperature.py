"""Temperature plausibility for every electrolyte class (``wide_operating_temperature``): a
wide operating range or a 'without loss' cold claim is flagged next to any class, storage and
test temperatures are not, and the class-specific rules keep their own figures."""

from __future__ import annotations

import pytest

from solidcheck.claims.localise import finding_message
from solidcheck.claims.model import AuditFinding
from solidcheck.claims.plausibility import load_plausibility_rules, plausibility_findings

RULE = "wide_operating_temperature"


def wide(text: str) -> list[AuditFinding]:
    return [f for f in plausibility_findings(text) if f.rule == RULE]


@pytest.mark.parametrize(("text", "matched", "template"), [
    ("Our all-solid-state cell works from −40 °C to 120 °C without loss.",
     "−40 °C to 120 °C without loss", "lossless_message"),
    ("The solid-state pack is rated for operation from −40 °C to 120 °C.",
     "−40 °C to 120 °C", "message"),
    ("全固态电池工作温度-40℃～120℃，", "-40℃～120℃", "message"),
    ("该固态电池可在零下40℃至120℃范围内工作，性能无衰减。", "零下40℃至120℃范围内工作，性能无衰减",
     "lossless_message"),
    ("固態電池工作溫度－４０℃～１２０℃。", "－４０℃～１２０℃", "message"),
    ("液态电池工作温度-30℃至100℃", "-30℃至100℃", "message"),
    ("Operating range −30 °C to 100 °C for our LFP cell.", "−30 °C to 100 °C", "message"),
    ("在零下30℃容量不衰减。", "零下30℃容量不衰减", "lossless_message"),
])
def test_out_of_reach_for_any_cell(text: str, matched: str, template: str) -> None:
    (finding,) = wide(text)
    assert finding.severity == "warning"
    assert finding.text == matched == text[finding.start:finding.end]
    assert finding.message_id == f"plausibility.{RULE}.{template}"
    assert "GB/T 31486" in finding.message and "IEC 62660-1" in finding.message
    assert "GB/T 31486" in finding_message(finding, "zh")
    assert "Arrhenius" in finding.basis and "阿伦尼乌斯" in (finding.basis_zh or "")


@pytest.mark.parametrize("text", [
    "Operating temperature −20 °C to 60 °C.",
    "工作温度-20～60℃，储存温度-40～85℃。",
    "储存温度-40℃~120℃",
    "Storage temperature −40 °C to 120 °C; operating −20 °C to 55 °C.",
    "运输温度-40℃至100℃。",
    "The weight-loss test dries the cell at 120 °C under vacuum; it still works at −20 °C.",
    "工作温度-30℃~60℃",
    "Charge from 0 °C to 45 °C, discharge −20 °C to 60 °C.",
])
def test_ordinary_operating_storage_and_test_temperatures_are_not_flagged(text: str) -> None:
    assert wide(text) == []


def test_a_class_specific_rule_keeps_its_figure() -> None:
    findings = plausibility_findings("半固态电池工作温度-40℃~120℃。")
    assert [f.rule for f in findings] == ["hybrid_high_temperature"]


@pytest.mark.parametrize("cue", load_plausibility_rules().rules.wide_operating_temperature
                         .lossless_cues, ids=lambda c: c.text)
def test_every_lossless_cue_is_found_in_its_example(cue) -> None:  # type: ignore[no-untyped-def]
    (finding,) = wide(cue.example)
    assert finding.params["cue"].lower() == cue.text.lower()
    assert finding.message_id == f"plausibility.{RULE}.lossless_message"


def test_thresholds_are_data() -> None:
    rule = load_plausibility_rules().rules.wide_operating_temperature
    assert (rule.max_low_temperature_c, rule.min_high_temperature_c) == (-30, 100)
    assert rule.lossless_max_low_temperature_c == -20
    assert wide("Operating −25 °C to 110 °C.") == []  # −25 °C is not cold enough
    assert wide("Operating −30 °C to 95 °C.") == []  # 95 °C is not hot enough
