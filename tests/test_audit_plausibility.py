"""Plausibility of figures in product text: the figure finder, the rules as data, and the
findings — each rule on English, Chinese, traditional and full-width text, and its traps."""

from __future__ import annotations

import itertools
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidcheck.claims.figures import Figure, find_figures, fold_for_matching, parse_number
from solidcheck.claims.model import AuditFinding
from solidcheck.claims.plausibility import (
    load_plausibility_rules,
    parse_plausibility_rules,
    plausibility_findings,
)
from solidcheck.errors import RulesetError

RULE_IDS = {
    "specific_energy_beyond_state_of_art",
    "energy_density_beyond_state_of_art",
    "charge_time_energy_cycles_together",
    "cycle_life_extreme",
    "polymer_wide_temperature",
    "hybrid_high_temperature",
    "c_rate_high_energy",
    "wide_operating_temperature",
}
DATA_TEXT = resources.files("solidcheck.claims").joinpath("plausibility.toml").read_text("utf-8")
DOCS = Path(__file__).parents[1] / "docs" / "audit.md"

DONUT_EN = ("The cell delivers about 400 Wh/kg, a full charge in about 5 minutes, up to "
            "100,000 cycles and operation from −30 °C to 100 °C.")
DONUT_ZH = "电芯能量密度约400Wh/kg，5分钟充满电，循环寿命高达10万次，工作温度-30℃至100℃。"
DONUT_ZH_HANT_FULL_WIDTH = ("電芯能量密度約４００Ｗｈ／ｋｇ，５分鐘充滿電，循環壽命高達十萬次，"
                            "工作溫度零下30度至100度。")


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def fired(text: str) -> dict[str, list[AuditFinding]]:
    found: dict[str, list[AuditFinding]] = {}
    for finding in plausibility_findings(text):
        found.setdefault(finding.rule, []).append(finding)
    return found


def one(text: str, rule: str) -> AuditFinding:
    found = fired(text).get(rule, [])
    assert len(found) == 1, (rule, text, found)
    return found[0]


def assert_well_placed(text: str, findings: list[AuditFinding]) -> None:
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start:finding.end] == finding.text
    assert [f.start for f in findings] == sorted(f.start for f in findings)


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "value"), [
    ("1,000", 1000.0), ("1 000", 1000.0), ("1\u202f000", 1000.0), ("1.5", 1.5),
    ("10k", 10_000.0), ("10万", 100_000.0), ("十万", 100_000.0), ("一万", 10_000.0),
    ("1.2万", 12_000.0), ("１２０", 120.0), ("１２，０００", 12_000.0), ("两万五千", 25_000.0),
    ("两万五", 25_000.0), ("三十", 30.0), ("一百零五", 105.0), ("二〇二六", 2026.0),
    ("十萬", 100_000.0), ("2×10^4", 20_000.0), ("1×10⁴", 10_000.0), ("3千", 3000.0),
    ("1,000,000", 1_000_000.0), ("10 thousand", 10_000.0),
])
def test_numbers_as_written(written: str, value: float):
    assert parse_number(written) == value


@pytest.mark.parametrize("written", ["", "abc", "一一十", "万", "1.2.3", "1,2", "-30", "x" * 100])
def test_non_numbers_are_none(written: str):
    assert parse_number(written) is None


def test_folding_keeps_every_offset():
    text = "１２０℃ 電池 １２，０００次循環 −30 ～ 60"
    folded = fold_for_matching(text)
    assert len(folded) == len(text)
    assert folded == "120℃ 电池 12,000次循环 -30 ~ 60"


# --- figures --------------------------------------------------------------------------------


def only(text: str) -> Figure:
    figures = find_figures(text)
    assert len(figures) == 1, (text, figures)
    return figures[0]


@pytest.mark.parametrize(("text", "kind", "low", "high"), [
    ("450 Wh/kg", "specific_energy", 450, 450),
    ("450 Wh kg-1", "specific_energy", 450, 450),
    ("450 Wh·kg⁻¹", "specific_energy", 450, 450),
    ("0.45 kWh/kg", "specific_energy", 450, 450),
    ("450瓦时/千克", "specific_energy", 450, 450),
    ("450瓦時每公斤", "specific_energy", 450, 450),
    ("４５０Ｗｈ／ｋｇ", "specific_energy", 450, 450),
    ("300–400 Wh/kg", "specific_energy", 300, 400),
    ("900 Wh/L", "energy_density", 900, 900),
    ("900 Wh L-1", "energy_density", 900, 900),
    ("900瓦时/升", "energy_density", 900, 900),
    ("10,000 cycles", "cycles", 10_000, 10_000),
    ("10k charge cycles", "cycles", 10_000, 10_000),
    ("10,000-cycle life", "cycles", 10_000, 10_000),
    ("3000-5000 cycles", "cycles", 3000, 5000),
    ("1.2万次循环", "cycles", 12_000, 12_000),
    ("十万次充放电", "cycles", 100_000, 100_000),
    ("循环寿命超过10000次", "cycles", 10_000, 10_000),
    ("循環壽命超過一萬次", "cycles", 10_000, 10_000),
    ("cycle life of 10 000", "cycles", 10_000, 10_000),
    ("cycled 5000 times", "cycles", 5000, 5000),
    ("full charge in 5 minutes", "charge_time", 5, 5),
    ("5-minute full charge", "charge_time", 5, 5),
    ("5分钟充满", "charge_time", 5, 5),
    ("充满电仅需90秒", "charge_time", 1.5, 1.5),
    ("fully charged in 1.5 h", "charge_time", 90, 90),
    ("−30 °C to 100 °C", "temperature", -30, 100),
    ("-30~100℃", "temperature", -30, 100),
    ("-30℃至100℃", "temperature", -30, 100),
    ("-30--10°C", "temperature", -30, -10),
    ("零下30度", "temperature", -30, -30),
    ("零下三十度至六十度", "temperature", -30, 60),
    ("摄氏零下二十度", "temperature", -20, -20),
    ("－３０～６０℃", "temperature", -30, 60),
    ("operating from -20C to 60C", "temperature", -20, 60),
    ("32 °F to 212 °F", "temperature", 0, 100),
    ("continuous 10C discharge", "c_rate", 10, 10),
    ("3-5C", "c_rate", 3, 5),
    ("持续10C放电", "c_rate", 10, 10),
    ("a 5 C rate", "c_rate", 5, 5),
])
def test_figures_kinds_values_and_offsets(text: str, kind: str, low: float, high: float):
    figure = only(text)
    assert (figure.kind, figure.low, figure.high) == (kind, pytest.approx(low),
                                                      pytest.approx(high))
    assert text[figure.start:figure.end] == figure.text


def test_offsets_point_into_the_original_text():
    text = "前言。能量密度達到４５０Ｗｈ／ｋｇ，循環１２，０００次。"
    figures = find_figures(text)
    assert [f.text for f in figures] == ["４５０Ｗｈ／ｋｇ", "循環１２，０００次"]
    assert [text[f.start:f.end] for f in figures] == [f.text for f in figures]


@pytest.mark.parametrize(("text", "scope", "window"), [
    ("full charge in 5 minutes", "full", (0, 100)),
    ("charges 10–80 % in 12 minutes", "partial", (10, 80)),
    ("从10%充至80%仅需12分钟", "partial", (10, 80)),
    ("5分钟即可充电至80%", "partial", None),
    ("charging for 10 minutes adds 400 km", "range_added", None),
    ("充电10分钟续航400公里", "range_added", None),
    ("charging takes 5 minutes", "unspecified", None),
])
def test_what_a_charge_time_charges(text: str, scope: str, window: tuple[float, float] | None):
    figure = next(f for f in find_figures(text) if f.kind == "charge_time")
    assert figure.charge_scope == scope
    assert figure.soc_window_percent == window


@pytest.mark.parametrize(("text", "level"), [
    ("pack-level 180 Wh/kg", "pack"), ("a 300 Wh/kg cell", "cell"),
    ("系统能量密度180Wh/kg", "pack"), ("电芯能量密度300Wh/kg", "cell"),
    ("theoretical 2,600 Wh/kg", "material"), ("正极材料900Wh/kg", "material"),
    ("300 Wh/kg", None),
])
def test_energy_level_from_the_words_around(text: str, level: str | None):
    assert only(text).level == level


@pytest.mark.parametrize("text", [
    "a phone's 5,000 mAh battery", "launched in 2026", "2026年发布", "NCM811 cathode",
    "21700 cells", "model EV5C-200", "model EV-5C", "3C数码电池", "10 times faster",
    "a 90度 bend", "一度电", "30度电", "24h service", "300 K", "1e-5 S/cm", "10%-80%",
    "v1.5C", "the 5C-200 pack",
])
def test_no_figure_in_traps(text: str):
    assert find_figures(text) == []


@pytest.mark.parametrize("text", [
    "a 5 minute video", "a 10 minute walk covers 1 km", "discharges in 6 minutes at 10C",
    "reduced to 80 % in 10 minutes",
])
def test_time_without_charging_is_not_a_charge_time(text: str):
    assert find_figures(text, kinds={"charge_time"}) == []


def test_storage_and_test_temperatures_are_marked():
    storage, test = find_figures("−30 °C storage. Dried at 120 °C under vacuum.")
    assert storage.purpose == "storage"
    assert test.purpose == "test"


# --- the rules as data ----------------------------------------------------------------------


def test_installed_rules_load_with_provenance():
    rules = load_plausibility_rules()
    assert set(rules.rule_ids) == RULE_IDS
    assert rules.scope.max_span_chars > 0 and rules.scope.why
    for rule_id in rules.rule_ids:
        rule = rules.rule(rule_id)
        assert rule.provenance in ("standard", "assumption")
        assert rule.reference and len(rule.reference) > 80, rule_id
        if rule.provenance == "assumption":
            assert any(year in rule.reference for year in ("2011", "2018", "2022", "2023",
                                                           "2024", "2025", "2026")), rule_id


def test_unknown_rule_id_is_a_key_error():
    with pytest.raises(KeyError):
        load_plausibility_rules().rule("no_such_rule")


def _without_line(text: str, table: str, key: str) -> str:
    lines = text.splitlines(keepends=True)
    start = lines.index(f"[{table}]\n")
    for i in range(start + 1, len(lines)):
        if lines[i].startswith(f"{key} = "):
            return "".join(lines[:i] + lines[i + 1:])
    raise AssertionError(f"{table}.{key} not in the data file")


def test_a_rule_without_why_is_refused():
    text = _without_line(DATA_TEXT, "rules.cycle_life_extreme", "why")
    with pytest.raises(RulesetError) as caught:
        parse_plausibility_rules(text, source="broken.toml")
    message = str(caught.value)
    assert "broken.toml" in message
    assert "rules.cycle_life_extreme" in message
    assert "an 'assumption' rule needs a 'why'" in message


def test_a_standard_rule_without_clause_is_refused():
    text = DATA_TEXT.replace('[rules.c_rate_high_energy]\nprovenance = "assumption"',
                             '[rules.c_rate_high_energy]\nprovenance = "standard"')
    with pytest.raises(RulesetError) as caught:
        parse_plausibility_rules(text)
    assert "rules.c_rate_high_energy" in str(caught.value)
    assert "needs a 'clause'" in str(caught.value)


def test_a_rule_without_provenance_is_refused():
    text = _without_line(DATA_TEXT, "rules.polymer_wide_temperature", "provenance")
    with pytest.raises(RulesetError) as caught:
        parse_plausibility_rules(text)
    assert "rules.polymer_wide_temperature.provenance" in str(caught.value)


@pytest.mark.parametrize(("old", "new", "says"), [
    ('message = "A cycle life of {value}', 'message = "A cycle life of {valeu}',
     "unknown {names}: valeu"),
    ("error_above_wh_per_kg = 1000.0", "error_above_wh_per_kg = 400.0",
     "must be above both warning thresholds"),
    ("max_span_chars = 500", 'max_span_chars = "500"', "max_span_chars"),
    ("min_cycles = 100000.0", "min_cycles = 100000.0\nmin_cylces = 5", "did you mean"),
])
def test_malformed_rules_name_the_problem(old: str, new: str, says: str):
    assert old in DATA_TEXT
    with pytest.raises(RulesetError) as caught:
        parse_plausibility_rules(DATA_TEXT.replace(old, new, 1))
    assert says in str(caught.value)


def test_rules_from_another_file_change_the_thresholds():
    strict = parse_plausibility_rules(
        DATA_TEXT.replace("warning_above_cell_wh_per_kg = 500.0",
                          "warning_above_cell_wh_per_kg = 250.0"))
    assert plausibility_findings("a 300 Wh/kg cell") == []
    assert [f.rule for f in plausibility_findings("a 300 Wh/kg cell", rules=strict)] == [
        "specific_energy_beyond_state_of_art"]


def test_docs_list_every_rule_with_its_thresholds():
    section = DOCS.read_text("utf-8").split("## Plausibility", 1)[1]
    rows = {line.split("|")[1].strip().strip("`"): line for line in section.splitlines()
            if line.startswith("| `") and line.count("|") == 8}  # the rules table
    rules = load_plausibility_rules().rules
    assert set(rows) >= RULE_IDS
    assert "500 Wh/kg" in rows["specific_energy_beyond_state_of_art"]
    assert rules.specific_energy_beyond_state_of_art.warning_above_cell_wh_per_kg == 500
    assert "1,300 Wh/L" in rows["energy_density_beyond_state_of_art"]
    assert rules.energy_density_beyond_state_of_art.warning_above_wh_per_l == 1300
    assert "100,000 cycles" in rows["cycle_life_extreme"]
    assert rules.cycle_life_extreme.min_cycles == 100_000
    assert "−20 °C" in rows["polymer_wide_temperature"]
    assert rules.polymer_wide_temperature.max_low_temperature_c == -20
    assert f"{load_plausibility_rules().scope.max_span_chars} characters" in section


def test_data_file_is_valid_toml_with_format_1():
    assert tomllib.loads(DATA_TEXT)["format"] == 1


# --- each rule fires ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "severity"), [
    ("Our new cell reaches 550 Wh/kg.", "warning"),
    ("电芯能量密度达到550Wh/kg。", "warning"),
    ("電芯能量密度達到５５０Ｗｈ／ｋｇ。", "warning"),
    ("The pack reaches 400 Wh/kg.", "warning"),
    ("电池系统能量密度400Wh/kg", "warning"),
    ("A 1,200 Wh/kg cell.", "error"),
    ("能量密度高达1200瓦时/千克", "error"),
    ("能量密度1.2kWh/千克", "error"),
    ("能量密度1.2千瓦时/千克", "error"),
])
def test_specific_energy_beyond_state_of_art(text: str, severity: str):
    finding = one(text, "specific_energy_beyond_state_of_art")
    assert finding.severity == severity
    assert only(finding.text).kind == "specific_energy"
    assert "third-party test report" in finding.message
    assert "pack" in finding.message
    rules = load_plausibility_rules()
    assert (finding.basis, finding.basis_zh) == rules.cited(finding.rule)
    assert finding.basis.endswith(rules.rule(finding.rule).reference)
    assert "docs/audit.md#rules" in finding.basis


@pytest.mark.parametrize(("text", "severity"), [
    ("volumetric energy density of 1,400 Wh/L", "warning"),
    ("体积能量密度1400Wh/L", "warning"),
    ("體積能量密度１４００瓦時/升", "warning"),
    ("2,500 Wh/L", "error"),
])
def test_energy_density_beyond_state_of_art(text: str, severity: str):
    assert one(text, "energy_density_beyond_state_of_art").severity == severity


@pytest.mark.parametrize("text", [
    DONUT_EN, DONUT_ZH, DONUT_ZH_HANT_FULL_WIDTH,
    "400 Wh/kg · 10–80 % in 5 min · 12,000 cycles",
    "Specs:\n- 420 Wh/kg\n- full charge: 8 minutes\n- cycle life: 20 000",
    "能量密度450瓦时/千克；充电5分钟可充至80%；循环寿命1.5万次。",
])
def test_charge_time_energy_cycles_together(text: str):
    finding = one(text, "charge_time_energy_cycles_together")
    assert finding.severity == "error"
    figures = [f for f in find_figures(text)
               if f.kind in ("charge_time", "specific_energy", "cycles")]
    assert finding.start == min(f.start for f in figures)
    assert finding.end == max(f.end for f in figures)
    assert "Third-party test reports" in finding.message


@pytest.mark.parametrize("text", [
    "400 Wh/kg, full charge in 5 minutes, 3,000 cycles.",          # ordinary cycle life
    "180 Wh/kg, full charge in 5 minutes, 10,000 cycles.",         # LFP-class energy
    "400 Wh/kg, full charge in 30 minutes, 10,000 cycles.",        # ordinary charging
    "400 Wh/kg, 10–80 % in 15 minutes, 10,000 cycles.",            # 2.8C average
    "400 Wh/kg; charging for 5 minutes adds 400 km; 10,000 cycles.",  # range, not charge
    "电芯400Wh/kg，充电5分钟续航400公里，循环1万次。",
    "400 Wh/kg. " + "x" * 600 + " Full charge in 5 minutes, 10,000 cycles.",  # too far apart
])
def test_charge_time_energy_cycles_traps(text: str):
    assert "charge_time_energy_cycles_together" not in fired(text)


@pytest.mark.parametrize("text", [
    "rated for 100,000 cycles", "1,000,000 cycles", "十万次循环", "循環壽命超過十萬次",
    "循环寿命达１０万次", "cycle life of 150k",
])
def test_cycle_life_extreme(text: str):
    finding = one(text, "cycle_life_extreme")
    assert finding.severity == "warning"
    assert "depth of discharge" in finding.message


@pytest.mark.parametrize("text", [
    "3,000 cycles", "10,000 cycles", "循环寿命3000次",
    "Our supercapacitor modules last 1,000,000 cycles.", "超级电容循环寿命100万次",
    "10,000 km after 100 cycles",
])
def test_cycle_life_traps(text: str):
    assert "cycle_life_extreme" not in fired(text)


@pytest.mark.parametrize("text", [
    "A solid polymer electrolyte cell operating from −30 °C to 60 °C.",
    "Our PEO-based solid-state battery works at -20 °C.",
    "聚合物固态电池，工作温度-30℃~60℃。",
    "聚合物固態電池，工作溫度零下30度至60度。",
    "聚合物电解质电池可在－３０℃下工作",
])
def test_polymer_wide_temperature(text: str):
    finding = one(text, "polymer_wide_temperature")
    assert finding.severity == "warning"
    assert "1e-7" in finding.message
    assert_well_placed(text, [finding])


@pytest.mark.parametrize("text", [
    "A sulfide solid-state cell operating from −30 °C to 60 °C.",   # no polymer
    "Solid polymer electrolyte. −30 °C storage.",                    # storage
    "A lithium polymer battery, −20 °C to 60 °C.",                   # LiPo: liquid
    "A gel polymer electrolyte cell works from −30 °C to 60 °C.",     # gel: liquid
    "Solid polymer electrolyte operating from −10 °C to 60 °C.",     # mild cold
    "PEO has a glass transition at −60 °C.",                         # material property
    "聚合物固态电池，储存温度-30℃。",
])
def test_polymer_wide_temperature_traps(text: str):
    assert "polymer_wide_temperature" not in fired(text)


@pytest.mark.parametrize("text", [
    "Our semi-solid battery operates from −30 °C to 100 °C.",
    "半固态电池，工作温度-30℃至100℃。",
    "半固態電池，工作溫度-30～120℃。",
    "quasi-solid cell, operating temperature up to 110 °C",
])
def test_hybrid_high_temperature(text: str):
    assert one(text, "hybrid_high_temperature").severity == "warning"


@pytest.mark.parametrize("text", [
    "Our semi-solid battery operates from −30 °C to 60 °C.",
    "The semi-solid cell lost 2 % in the 120 °C vacuum weight-loss test.",
    "半固态电池通过120℃真空失重测试。",
    "An all-solid-state battery operating from −30 °C to 100 °C.",
])
def test_hybrid_high_temperature_traps(text: str):
    assert "hybrid_high_temperature" not in fired(text)


@pytest.mark.parametrize("text", [
    "Supports continuous 10C discharge at 400 Wh/kg.",
    "能量密度420Wh/kg，支持持续10C放电。",
    "能量密度４２０Ｗｈ／ｋｇ，支持持續１０Ｃ放電。",
    "450 Wh/kg with 15C discharge",
])
def test_c_rate_high_energy(text: str):
    assert one(text, "c_rate_high_energy").severity == "warning"


@pytest.mark.parametrize("text", [
    "Peak 10C discharge at 400 Wh/kg.",                 # a peak, not continuous
    "Continuous 5C discharge at 400 Wh/kg.",            # below 10C
    "Continuous 10C discharge at 250 Wh/kg.",           # power cell
    "Model EV10C-200 at 400 Wh/kg.",                    # a product code
    "400 Wh/kg, tested at 10C-rate pulses",             # pulses
])
def test_c_rate_high_energy_traps(text: str):
    assert "c_rate_high_energy" not in fired(text)


def test_ordinary_datasheet_has_no_findings():
    text = ("LFP cell 3.2 V 280 Ah. Specific energy 180 Wh/kg (pack-level 140 Wh/kg), "
            "energy density 400 Wh/L. 6,000 cycles to 80 % at 25 °C. Charge 0.5C, "
            "discharge 1C, peak 3C. Operating −20 °C to 55 °C, storage −30 °C to 60 °C. "
            "A phone battery of 5,000 mAh charges in 30 minutes. Launched 2026, model "
            "EV5C-200. 锂电池，循环3000次，工作温度-20～60℃。")
    assert plausibility_findings(text) == []


def test_donut_case_findings_in_order_with_bases():
    findings = plausibility_findings(DONUT_EN)
    assert [f.rule for f in findings] == ["charge_time_energy_cycles_together",
                                          "cycle_life_extreme", "wide_operating_temperature"]
    assert_well_placed(DONUT_EN, findings)
    assert findings[0].text.startswith("400 Wh/kg") and findings[0].text.endswith("cycles")
    for finding in findings:
        assert finding.suggestion
        assert finding.location is None


def test_a_combination_is_reported_once_per_group():
    text = (DONUT_EN + " ") * 3
    together = [f for f in plausibility_findings(text)
                if f.rule == "charge_time_energy_cycles_together"]
    assert len(together) == 3
    assert all(a.end <= b.start for a, b in itertools.pairwise(together))


# --- robustness -----------------------------------------------------------------------------

FRAGMENTS = [
    "400", "1,000", "1 000", "10k", "10万", "十万", "１２０", "-30", "−30", "零下", "摄氏",
    "~", "～", "-", "–", "to", "至", "°C", "℃", "度", "Wh/kg", "Wh/L", "瓦时/千克", "cycles",
    "次循环", "循环寿命", "cycle life of", "min", "分钟", "full charge", "充满", "10–80 %", "5C",
    "10C", "C", "polymer electrolyte", "聚合物", "semi-solid", "半固态", "peak", "storage", " ",
    "，", "。", ". ", "\n", "%", "EV", "k", "万", "x", "×10^", "⁴", "2026", "mAh",
]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes(text: str):
    findings = plausibility_findings(text)
    assert_well_placed(text, findings)
    for figure in find_figures(text):
        assert 0 <= figure.start < figure.end <= len(text)
        assert text[figure.start:figure.end] == figure.text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_text_from_figure_fragments_never_crashes(parts: list[str]):
    text = "".join(parts)
    findings = plausibility_findings(text)
    assert_well_placed(text, findings)
    for figure in find_figures(text):
        assert text[figure.start:figure.end] == figure.text
        assert figure.low <= figure.high


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_full_width_text_finds_the_same_figures(parts: list[str]):
    text = "".join(parts)
    folded = [(f.kind, f.low, f.high, f.start, f.end) for f in find_figures(text)]
    wide = [(f.kind, f.low, f.high, f.start, f.end) for f in find_figures(full_width(text))]
    # full-width forms fold to the same characters; a comma is the exception: "，" between
    # full-width digits (１２，０００) groups thousands, elsewhere it is Chinese punctuation
    if "," not in text and "，" not in text:
        assert wide == folded


@pytest.mark.parametrize("text", [
    "1" * 10**6,
    "-30~" * 10**5,
    "十" * 10**6,
    "零下" * 300_000,
    "1," * 200_000,
    "5C " * 50_000,
    "400 Wh/kg, 5 min full charge, 10,000 cycles, −30 °C to 100 °C polymer. " * 2_000,
])
def test_adversarial_megabyte_inputs_finish(text: str):
    findings = plausibility_findings(text)
    assert_well_placed(text, findings[:100])
