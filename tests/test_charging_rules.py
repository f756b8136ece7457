"""The charging rule sets: installed files load, cite their sources in both languages, and say
the numbers docs/charging.md marks firm (typed here from the spec, not read from the files)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from solidcheck.charging.rules import (
    PORT_STATES,
    ChargingRule,
    ChargingRuleset,
    Metrics,
    Rules,
    StateMappingRule,
    SuccessRule,
    TargetRule,
    available_charging_rulesets,
    charging_ruleset_by_id,
    load_charging_ruleset,
    parse_charging_ruleset,
)
from solidcheck.errors import RulesetError, UnknownRulesetError

RULESETS_DIR = resources.files("solidcheck.charging").joinpath("rulesets")
EXPECTED_IDS = {"cn-alliance-wp-2026", "us-nevi-2023", "chargex-2024", "uk-pcpr-2023",
                "fr-afirev", "fr-qualicharge", "us-ca-cec"}


def installed_text(ruleset_id: str) -> str:
    return RULESETS_DIR.joinpath(f"{ruleset_id}.toml").read_text(encoding="utf-8")


def every_rule(ruleset: ChargingRuleset) -> dict[str, ChargingRule]:
    return {**{f"metrics.{k}": v for k, v in ruleset.defined_metrics().items()},
            **{f"rules.{k}": v for k, v in ruleset.defined_rules().items()}}


def test_every_document_of_the_spec_is_installed_and_named_after_its_file():
    files = {entry.name.removesuffix(".toml") for entry in RULESETS_DIR.iterdir()
             if entry.name.endswith(".toml")}
    assert files == EXPECTED_IDS
    assert {r.id for r in available_charging_rulesets()} == EXPECTED_IDS
    for ruleset_id in EXPECTED_IDS:
        assert charging_ruleset_by_id(ruleset_id).id == ruleset_id


@pytest.mark.parametrize("ruleset", available_charging_rulesets(), ids=lambda r: r.id)
def test_every_rule_cites_its_source_in_english_and_chinese(ruleset: ChargingRuleset):
    assert ruleset.ruleset.title_zh
    for where, rule in every_rule(ruleset).items():
        assert rule.reference, where
        assert rule.reference_zh, where
        assert rule.summary_zh, where
        if rule.provenance == "assumption":
            assert rule.certainty == "assumed", where


@pytest.mark.parametrize("ruleset", available_charging_rulesets(), ids=lambda r: r.id)
def test_every_metric_has_a_name_and_formula_in_both_languages(ruleset: ChargingRuleset):
    assert ruleset.defined_metrics(), "a rule set of a document defines its metrics"
    for metric_id, metric in ruleset.defined_metrics().items():
        assert metric.name and metric.name_zh, metric_id
        assert metric.formula and metric.formula_zh, metric_id


def test_the_white_papers_three_metrics_carry_their_chinese_names():
    metrics = charging_ruleset_by_id("cn-alliance-wp-2026").defined_metrics()
    assert metrics["service_availability"].name_zh == "服务可用率"
    assert metrics["closure_rate"].name_zh == "问题闭环率"
    stability = {"mtbf", "faults_per_1000_sessions", "reboots_per_port_day"}
    assert stability <= metrics.keys()
    assert {m.principle for m in metrics.values()} == {
        "user_quality", "coordination_innovation", "accountability_transparency"}


def test_the_white_paper_mapping_is_all_assumption_as_no_text_is_public():
    ruleset = charging_ruleset_by_id("cn-alliance-wp-2026")
    assert {rule.provenance for rule in every_rule(ruleset).values()} == {"assumption"}


# --- the numbers docs/charging.md marks [firm], typed from the spec ---------------------

def target(ruleset_id: str, rule_id: str) -> TargetRule:
    rule = charging_ruleset_by_id(ruleset_id).rule(rule_id)
    assert isinstance(rule, TargetRule)
    return rule


def success(ruleset_id: str) -> SuccessRule:
    rule = charging_ruleset_by_id(ruleset_id).rule("session_success")
    assert isinstance(rule, SuccessRule)
    return rule


def mapping(ruleset_id: str) -> StateMappingRule:
    rule = charging_ruleset_by_id(ruleset_id).rule("state_mapping")
    assert isinstance(rule, StateMappingRule)
    return rule


def test_nevi_uptime_is_97_percent_of_525600_minutes_per_port_trailing_year():
    rule = target("us-nevi-2023", "uptime_target")
    assert (rule.target_percent, rule.comparison, rule.scope) == (97.0, "above", "port")
    assert (rule.period, rule.period_minutes, rule.recomputed) == (
        "trailing_12_months", 525_600, "monthly")
    assert rule.certainty == "firm"


def test_nevi_excludes_the_five_causes_only_with_a_ticket():
    rule = charging_ruleset_by_id("us-nevi-2023").rule("excluded_causes")
    assert set(rule.causes) == {"utility_outage", "vehicle_fault",
                                "scheduled_maintenance", "vandalism", "natural_disaster"}
    assert rule.requires_ticket and rule.outside_opening_hours


def test_uk_is_99_percent_of_the_calendar_year_for_50_kw_and_more():
    rule = target("uk-pcpr-2023", "reliability_target")
    assert (rule.target_percent, rule.min_power_kw, rule.period) == (99.0, 50.0, "calendar_year")


def test_uk_counts_unknown_and_blocked_as_ineligible_elsewhere_unknown_only():
    assert set(mapping("uk-pcpr-2023").ineligible) == {"unknown", "blocked"}
    for ruleset_id in ("us-nevi-2023", "fr-qualicharge", "cn-alliance-wp-2026"):
        assert mapping(ruleset_id).ineligible == ["unknown"], ruleset_id


def test_qualicharge_en_service_of_any_occupation_is_available():
    rule = mapping("fr-qualicharge")
    assert {"available", "occupied", "reserved"} <= set(rule.available)
    assert {"faulted", "unavailable", "offline"} <= set(rule.unavailable)


@pytest.mark.parametrize(("ruleset_id", "duration_s", "energy_kwh"), [
    ("fr-afirev", 120.0, 0.5), ("fr-qualicharge", 180.0, 0.5)])
def test_french_session_success_is_strictly_above_both_floors(
        ruleset_id: str, duration_s: float, energy_kwh: float):
    rule = success(ruleset_id)
    assert (rule.min_duration_s, rule.min_energy_kwh, rule.comparison) == (
        duration_s, energy_kwh, "above")


def test_chargex_completion_is_its_eight_stop_reasons_and_at_least_0_1_kwh():
    rule = success("chargex-2024")
    assert set(rule.stop_reasons or []) == {
        "EnergyLimitReached", "SOCLimitReached", "Local", "Remote", "StoppedByEV",
        "LocalOutOfCredit", "TimeLimitReached", "EVDisconnected"}
    assert (rule.min_energy_kwh, rule.comparison) == (0.1, "at_least")
    start_time = charging_ruleset_by_id("chargex-2024").metric("charge_start_time")
    assert start_time.percentiles == [10.0, 25.0, 50.0, 75.0]


def test_california_is_90_percent_attempts_and_97_percent_uptime():
    assert target("us-ca-cec", "attempt_success_target").target_percent == 90.0
    assert target("us-ca-cec", "uptime_target").target_percent == 97.0


def test_qualicharge_data_quality_limits():
    ruleset = charging_ruleset_by_id("fr-qualicharge")
    limits = {rule_id: ruleset.rule(rule_id).limit for rule_id in
              ("status_freshness", "status_rate", "energy_plausibility")}
    assert limits == {"status_freshness": 300.0, "status_rate": 1440.0,
                      "energy_plausibility": 1.1}


def test_the_assumed_parameters_are_the_documented_ones():
    ruleset = charging_ruleset_by_id("cn-alliance-wp-2026")
    offline = ruleset.rule("offline_detection")
    assert (offline.heartbeat_multiple, offline.fallback_s) == (2.0, 300.0)
    assert ruleset.rule("outage_merging").max_gap_s == 60.0
    assert ruleset.rule("verified_closure").window_s == 24 * 3600.0
    assert ruleset.rule("fault_coverage").min_outage_s == 15 * 60.0
    assert ruleset.rule("alert_latency").limit == 1.0


# --- the grammar refuses what is wrong, naming every bad key ----------------------------

def edited(ruleset_id: str, old: str, new: str) -> str:
    text = installed_text(ruleset_id)
    assert old in text, old
    return text.replace(old, new, 1)


def test_a_broken_file_names_every_bad_key_at_once():
    text = edited("us-nevi-2023", "target_percent = 97.0", 'target_percent = "97"')
    text = text.replace('scope = "port"', 'scope = "planet"').replace(
        "requires_ticket = true", "requires_tickets = true")
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text, source="broken.toml")
    paths = {p.path for p in caught.value.problems}
    assert {"rules.uptime_target.target_percent", "rules.uptime_target.scope",
            "rules.excluded_causes.requires_tickets",
            "rules.excluded_causes.requires_ticket"} <= paths
    assert str(caught.value).startswith("invalid rule set broken.toml:")


def test_broken_toml_syntax_names_its_line():
    text = edited("fr-afirev", "min_energy_kwh = 0.5", "min_energy_kwh = = 0.5")
    line = text[: text.index("min_energy_kwh = = 0.5")].count("\n") + 1
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text, source="broken.toml")
    (problem,) = caught.value.problems
    assert "not valid TOML" in problem.message
    assert f"line {line}" in problem.message


def test_an_unknown_metric_or_rule_is_named():
    text = edited("fr-afirev", "[rules.session_success]", "[rules.sesion_success]")
    text = text.replace("[metrics.session_success]", "[metrics.happiness]")
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text)
    assert {"rules.sesion_success", "metrics.happiness"} <= {
        p.path for p in caught.value.problems}


def test_a_standard_rule_without_clause_and_an_assumption_without_why_are_refused():
    text = installed_text("fr-afirev")
    clause = next(line for line in text.splitlines()
                  if line.startswith('clause = "AFIREV quality charter: a session'))
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text.replace(clause + "\n", ""))
    (problem,) = caught.value.problems
    assert problem.path == "rules.session_success"
    assert "'clause'" in problem.message
    text = edited("cn-alliance-wp-2026", 'certainty = "assumed"\nwhy = "OCPP',
                  'certainty = "firm"\nwhy = "OCPP')
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text)
    assert [p.path for p in caught.value.problems] == ["rules.offline_detection"]


def test_a_state_mapping_must_place_every_state_once():
    text = edited("uk-pcpr-2023", 'ineligible = ["unknown", "blocked"]',
                  'ineligible = ["unknown", "available"]')
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text)
    (problem,) = caught.value.problems
    assert problem.path == "rules.state_mapping"
    assert "available" in problem.message and "blocked" in problem.message
    assert len(PORT_STATES) == 8


def test_a_target_must_name_a_metric_the_rule_set_defines():
    text = edited("us-ca-cec", 'metric = "attempt_success"', 'metric = "session_success"')
    with pytest.raises(RulesetError, match="session_success"):
        parse_charging_ruleset(text)


def test_a_file_loads_by_path_and_an_unknown_id_lists_the_installed(tmp_path: Path):
    path = tmp_path / "mine.toml"
    path.write_text(edited("fr-afirev", 'id = "fr-afirev"', 'id = "my-operator-2026"'),
                    encoding="utf-8")
    assert load_charging_ruleset(path).id == "my-operator-2026"
    assert load_charging_ruleset("fr-afirev") is charging_ruleset_by_id("fr-afirev")
    with pytest.raises(UnknownRulesetError) as caught:
        charging_ruleset_by_id("gbt-ssb-1-2026")
    assert set(caught.value.available) == EXPECTED_IDS


# --- docs/charging.md describes the grammar the code reads ------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "charging.md"


def test_docs_name_every_metric_and_rule_of_the_grammar():
    grammar = DOCS.read_text("utf-8").split("## Charging rule sets", 1)[1]
    for key in [*Metrics.model_fields, *Rules.model_fields, *PORT_STATES]:
        assert f"`{key}`" in grammar, key


def test_docs_list_every_installed_rule_set():
    text = DOCS.read_text("utf-8")
    for ruleset_id in EXPECTED_IDS:
        assert f"| `{ruleset_id}` |" in text, ruleset_id
