"""Chinese numerals, full-width digits and written ranges in the figure extractor: the value is
read from the matched characters, and the figure's text is always the original span."""

from __future__ import annotations

import pytest

from solidcheck.claims.figures import find_figures, parse_number
from solidcheck.claims.numerals import load_numerals, parse_numerals
from solidcheck.errors import RulesetError


@pytest.mark.parametrize("example", load_numerals().examples, ids=lambda e: e.text)
def test_every_example_of_the_data_file_is_read_as_its_value(example) -> None:  # type: ignore[no-untyped-def]
    assert parse_number(example.text) == pytest.approx(example.value)


@pytest.mark.parametrize(("text", "kind", "low", "high", "matched"), [
    ("电池可循环 5 万次以上。", "cycles", 50_000, 50_000, "循环 5 万次"),
    ("循环寿命达十万次", "cycles", 100_000, 100_000, "循环寿命达十万次"),
    ("实测1.2万次循环后容量保持率90%", "cycles", 12_000, 12_000, "1.2万次循环"),
    ("寿命 1.2 万次循环", "cycles", 12_000, 12_000, "1.2 万次循环"),
    ("两千次循环后", "cycles", 2_000, 2_000, "两千次循环"),
    ("循环寿命一万五千次", "cycles", 15_000, 15_000, "循环寿命一万五千次"),
    ("三千五百次循环", "cycles", 3_500, 3_500, "三千五百次循环"),
    ("一点五万次循环", "cycles", 15_000, 15_000, "一点五万次循环"),
    ("５万次循环", "cycles", 50_000, 50_000, "５万次循环"),
    ("可充放电5万次", "cycles", 50_000, 50_000, "充放电5万次"),
    ("循環壽命達５萬次", "cycles", 50_000, 50_000, "循環壽命達５萬次"),
    ("耐受１２０℃", "temperature", 120, 120, "１２０℃"),
    ("工作温度-40℃-120℃", "temperature", -40, 120, "-40℃-120℃"),
    ("工作温度-40℃～120℃", "temperature", -40, 120, "-40℃～120℃"),
    ("works from −40 °C to 120 °C", "temperature", -40, 120, "−40 °C to 120 °C"),
    ("可在零下40℃至120℃工作", "temperature", -40, 120, "零下40℃至120℃"),
    ("工作温度-40~120℃", "temperature", -40, 120, "-40~120℃"),
    ("工作温度－４０℃～＋１２０℃", "temperature", -40, 120, "－４０℃～＋１２０℃"),
    ("零下四十摄氏度到八十五摄氏度", "temperature", -40, 85, "零下四十摄氏度到八十五摄氏度"),
])
def test_chinese_numerals_and_ranges(text: str, kind: str, low: float, high: float,
                                     matched: str) -> None:
    (figure,) = find_figures(text)
    assert (figure.kind, figure.low, figure.high) == (kind, low, high)
    assert figure.text == matched == text[figure.start:figure.end]


@pytest.mark.parametrize("text", [
    "售价2万元起", "累计交付5万辆", "年产能1.2万吨", "2026年量产", "下载量突破10万次",
    "重点一点儿也不难", "一点五", "播放 5 万次",
])
def test_counts_of_other_things_are_not_figures(text: str) -> None:
    assert find_figures(text) == []


def test_a_decimal_point_is_read_only_between_digits() -> None:
    (figure,) = find_figures("重点五万次循环")  # 点 of 重点 is no decimal point
    assert (figure.low, figure.text) == (50_000, "五万次循环")


def test_the_data_file_refuses_a_character_in_two_roles_and_says_every_problem() -> None:
    text = """format = 1
[numerals]
provenance = "assumption"
why = "w"
why_zh = "理由"
summary = "s"
digits = { "一" = 1, "十" = 12 }
small_units = { "十" = 10, "百" = 5 }
big_units = { "万" = 10000 }
decimal_point = "点"
max_fraction_digits = 3
examples = [{ text = "十", value = 10 }]
"""
    with pytest.raises(RulesetError) as raised:
        parse_numerals(text)
    said = str(raised.value)
    assert "'十' is also in digits" in said
    assert "12 is not a digit" in said
    assert "'百' = 5 is not a unit" in said
