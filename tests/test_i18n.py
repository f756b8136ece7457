"""The message catalogue and the number formatter: what a reader sees in either language."""

from __future__ import annotations

import string
from fractions import Fraction

import pytest

from solidcheck.errors import InvalidInputError, RulesetError
from solidcheck.i18n import display_language, load_catalogue, message
from solidcheck.i18n.catalogue import parse_catalogue
from solidcheck.i18n.numbers import decisive_decimals, format_quantity

CATALOGUE = load_catalogue()


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@pytest.mark.parametrize("message_id", sorted(CATALOGUE.ids()))
def test_every_message_has_every_language_and_uses_each_parameter(message_id: str) -> None:
    entry = CATALOGUE.messages[message_id]
    for lang in ("en", "zh", "zh-Hant"):
        assert _fields(entry.templates[lang]) == set(entry.params), (message_id, lang)
    assert entry.templates["zh"] != entry.templates["en"]


def test_traditional_chinese_is_made_from_the_simplified_text() -> None:
    shown = message("weight_loss.duration_met", {"duration": 6.5, "minimum": 6}, "zh-Hant")
    assert shown == "試驗時長 6 小時 30 分鐘，不短於規定的最短時長 6 小時"


def test_both_languages_read_english_then_chinese() -> None:
    shown = message("weight_loss.pressure_within", {"pressure": 50, "limit": 1000}, "both")
    assert shown == ("absolute pressure 50 Pa is within the 1000 Pa limit / "
                     "绝对压力 50 Pa，不超过限值 1000 Pa")


def test_a_broken_catalogue_names_every_bad_entry() -> None:
    text = """
format = 1
[messages."a.one"]
params = { rate = "percent", limit = "kilograms" }
en = "{rate} above"
zh = "{rate} 高于 {limit}"
[messages."a.two"]
en = "only English"
[words]
odd = { en = "odd" }
"""
    with pytest.raises(RulesetError) as error:
        parse_catalogue(text, source="bad.toml")
    shown = str(error.value)
    assert "messages.a.one.params.limit: unknown kind 'kilograms'" in shown
    assert "messages.a.one.en: does not use limit" in shown
    assert "messages.a.two.zh: missing" in shown
    assert "words.odd: needs en and zh" in shown


@pytest.mark.parametrize(("value", "limit", "shown"), [
    (0.149291, 0.5, "0.15 %"),      # more digits than any balance resolves, dropped
    (0.4999, 0.5, "0.4999 %"),      # but never so few that it looks like the limit
    (0.5000001, 0.5, "0.5000001 %"),
    (0.5, 0.5, "0.5 %"),
    (Fraction(1, 3), 0.5, "0.33 %"),
])
def test_a_rate_keeps_the_digits_that_decide_against_its_limit(value, limit, shown) -> None:
    assert format_quantity(value, "percent", against=limit) == shown


def test_decisive_decimals_finds_the_fewest_that_keep_the_side() -> None:
    assert decisive_decimals(121.996, 122) == 3
    assert decisive_decimals(122.0, 122) == 0
    assert decisive_decimals(0.51, 0.5, at_least=2) == 2


@pytest.mark.parametrize(("hours", "lang", "shown"), [
    (6.18333, "en", "6 h 11 min"),
    (6.18333, "zh", "6 小时 11 分钟"),
    (6, "en", "6 h"),
    (4.00833, "en", "4 h 0 min 30 s"),
    (0.5, "zh-Hant", "30 分鐘"),
])
def test_durations_read_as_hours_and_minutes(hours, lang, shown) -> None:
    assert format_quantity(hours, "duration_h", lang) == shown


def test_masses_keep_the_balance_resolution() -> None:
    assert format_quantity(49.91234, "mass_g", resolution=0.001) == "49.912 g"
    assert format_quantity(49.9, "mass_g") == "49.9 g"
    assert format_quantity(119.971, "temperature_c") == "119.97 °C"


def test_the_language_comes_from_the_option_then_the_environment() -> None:
    assert display_language(None, env={}) == "en"
    assert display_language(None, env={"SOLIDCHECK_LANG": "zh-CN"}) == "zh"
    assert display_language("zh-TW", env={"SOLIDCHECK_LANG": "en"}) == "zh-Hant"
    with pytest.raises(InvalidInputError, match="SOLIDCHECK_LANG: unknown language 'fr'"):
        display_language(None, env={"SOLIDCHECK_LANG": "fr"})
