"""Findings are data in two languages: every finding is a catalogue message with the
parameters it declares, one decision table decides in its order, and a result reads in
Chinese — messages and the rules' clauses — when asked."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from solidcheck import Result, classify, dossier_from_mapping, load_dossier, load_ruleset
from solidcheck.decision import DECISION_TABLE, VISUAL_CHECK_RECOMMENDED
from solidcheck.i18n import load_catalogue
from solidcheck.localise import localise_result, rule_reference
from solidcheck.model import Finding
from solidcheck.rules import parse_ruleset

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
RULESETS = ["gbt-ssb-1-2026", "csae-434-2025"]
NUMERIC_KINDS = {"temperature_c", "duration_h", "pressure_pa", "mass_g", "mass_mg", "percent",
                 "ratio_w_per_wh", "number"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _mean_ruleset() -> Any:
    """The national rule set with specimens aggregated by their mean, as a third party might."""
    text = (Path(__file__).parents[1] / "src" / "solidcheck" / "rulesets"
            / "gbt-ssb-1-2026.toml").read_text("utf-8")
    edited = text.replace('aggregation = "all_must_pass"', 'aggregation = "mean"').replace(
        'id = "gbt-ssb-1-2026"', 'id = "mean-test"').replace("default = true", "default = false"
    ).replace("min_specimens = 1", "min_specimens = 2")
    return parse_ruleset(edited, source="mean-test.toml")


def _dossier(*, phases: tuple[str, ...] = ("solid",), test: bool = True,
             visible: bool | None = False, valid: bool = True, rate_percent: str = "0.2",
             specimens: int = 1, **extra: Any) -> Any:
    data: dict[str, Any] = {"id": "I18N", "conducting_ion": "lithium",
                            "electrolyte": {"phases": list(phases)}, **extra}
    if "solid" in phases:
        data["electrolyte"]["solid_type"] = "oxide"
    if test:
        after = 100.0 - float(rate_percent)
        data["weight_loss_test"] = {
            "temperature_c": 120.0 if valid else 131.5, "duration_h": 6.0 if valid else 4.25,
            "pressure_pa": 50.0 if valid else 1500.0, "visible_liquid": visible,
            "balance_resolution_mg": 0.1,
            "specimens": [{"mass_before_g": 100.0, "mass_after_g": after}] * specimens}
    return dossier_from_mapping(data)


def _results() -> list[Result]:
    """Every example under every rule set, and cases the examples do not reach."""
    results = [classify(load_dossier(path), ruleset)
               for path in EXAMPLE_FILES for ruleset in RULESETS]
    mean = _mean_ruleset()
    results += [classify(_dossier(rate_percent=rate, specimens=count), mean)
                for rate in ("0.2", "0.9") for count in (1, 2)]
    results.append(classify(_dossier(valid=False), RULESETS[0]))
    return results


RESULTS = _results()
FINDINGS = [finding for result in RESULTS for finding in result.findings]


def test_every_finding_is_a_catalogue_message_with_its_declared_parameters() -> None:
    catalogue = load_catalogue()
    for finding in FINDINGS:
        assert finding.message_id in catalogue.ids(), finding
        declared = catalogue.messages[finding.message_id].params
        assert set(finding.params) == set(declared), finding.message_id
        for name, spec in declared.items():
            value = finding.params[name]
            if spec.kind == "count":
                assert type(value) is int, (finding.message_id, name, value)
            elif spec.kind in NUMERIC_KINDS:
                assert type(value) is float, (finding.message_id, name, value)
            elif spec.kind == "word":
                assert isinstance(value, str) and value in catalogue.words, (name, value)
            elif spec.kind == "list":
                assert isinstance(value, list) and all(isinstance(v, str) for v in value)


def test_the_message_is_the_catalogue_rendering_in_english() -> None:
    catalogue = load_catalogue()
    for finding in FINDINGS:
        assert finding.message_id is not None
        assert finding.message == catalogue.render(finding.message_id, finding.params, "en")
        assert not _CJK.search(finding.message), finding.message


def test_the_findings_use_every_message_of_the_findings_catalogue() -> None:
    """No message of messages.toml is dead: each is reached by an example or a case here."""
    used = {finding.message_id for finding in FINDINGS}
    defined = {mid for mid in load_catalogue().ids()
               if mid.split(".")[0] in {"decision", "application", "weight_loss"}}
    # a mean that fails while no specimen fails alone needs a rounded comparison: not built
    assert defined - used == {"weight_loss.mean_fails"}


def test_parameters_keep_the_numbers_a_reader_computes_with() -> None:
    invalid = classify(_dossier(valid=False), RULESETS[0])
    by_id = {f.message_id: f.params for f in invalid.findings}
    assert by_id["weight_loss.temperature_above"]["excess"] == pytest.approx(9.5)
    assert by_id["weight_loss.temperature_above"]["bound"] == 122.0
    assert by_id["weight_loss.duration_short"]["shortfall"] == 1.75
    assert by_id["weight_loss.pressure_over"]["excess"] == 500.0
    assert by_id["decision.invalid_test"] == {"temperature": 120.0, "duration": 6.0,
                                             "pressure": 1000.0}
    failing = classify(_dossier(rate_percent="0.9", specimens=2), RULESETS[0])
    limit = next(f for f in failing.findings if f.message_id == "weight_loss.largest_fails")
    assert limit.params["failing"] == ["1", "2"] and limit.params["relation"] == "at_most"


# --- the decision table -------------------------------------------------------------------


def test_the_decision_table_asks_in_the_order_of_the_standard() -> None:
    assert [branch.name for branch in DECISION_TABLE] == [
        "liquid_by_phases", "hybrid_by_phases", "no_test", "liquid_seen", "invalid_test",
        "over_limit", "visual_check_missing", "solid_state"]
    assert {b.message_id for b in (*DECISION_TABLE, VISUAL_CHECK_RECOMMENDED)} <= (
        load_catalogue().ids())


def _cases() -> list[tuple[dict[str, Any], str, set[str]]]:
    """Dossiers that hit a known set of predicates, several at once."""
    cases = []
    for phases, test, visible, valid, over, ruleset in itertools.product(
            [("liquid",), ("solid", "liquid"), ("solid",)], [True, False], [True, None, False],
            [True, False], [True, False], RULESETS):
        hits = {("liquid",): {"liquid_by_phases"},
                ("solid", "liquid"): {"hybrid_by_phases"}}.get(phases, set())
        if not test:
            hits.add("no_test")
        else:
            hits |= {name for name, holds in (
                ("liquid_seen", visible is True), ("invalid_test", not valid),
                ("over_limit", over),
                ("visual_check_missing", visible is None and ruleset == "csae-434-2025"))
                if holds}
        given = {"phases": phases, "test": test, "visible": visible, "valid": valid,
                 "rate_percent": "2.5" if over else "0.2"}
        cases.append((given, ruleset, hits))
    return cases


@pytest.mark.parametrize(("given", "ruleset", "hits"), _cases())
def test_a_dossier_gets_the_first_branch_whose_predicate_holds(
        given: dict[str, Any], ruleset: str, hits: set[str]) -> None:
    result = classify(_dossier(**given), ruleset)
    first = next((b for b in DECISION_TABLE if b.name in hits), DECISION_TABLE[-1])
    deciding = [f for f in result.findings if f.message_id in {
        b.message_id for b in DECISION_TABLE}]
    assert len(deciding) == 1
    assert result.category == first.category
    assert (deciding[0].rule, deciding[0].severity, deciding[0].message_id) == (
        first.rule, first.severity, first.message_id)


# --- a result in Chinese ------------------------------------------------------------------

_ALLOWED_LATIN = {"Pa", "kPa", "h", "W", "Wh", "mg", "g", "wt", "GB", "T", "CSAE", "ISO", "GUM",
                  "solidcheck", "C", "r", "k", "m", "application"}


def _english_words(text: str) -> set[str]:
    """Latin words outside ids, field paths and units."""
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_.]*", text))
    return {w for w in words if "_" not in w and "." not in w.rstrip(".")} - _ALLOWED_LATIN


@pytest.mark.parametrize("result", RESULTS[:2 * len(EXAMPLE_FILES)],
                         ids=lambda r: f"{r.dossier_id}-{r.ruleset}")
def test_a_result_in_chinese_has_chinese_messages_and_clauses(result: Result) -> None:
    chinese = localise_result(result, "zh")
    rules = load_ruleset(result.ruleset)
    for before, after in zip(result.findings, chinese.findings, strict=True):
        assert _CJK.search(after.message), after.message
        assert not _english_words(after.message), after.message
        rule = rules.rule(after.rule)
        assert after.clause == (rule.clause_zh if rule.provenance == "standard"
                                else rule.why_zh)
        assert (after.message_id, after.params, after.rule, after.severity) == (
            before.message_id, before.params, before.rule, before.severity)
    assert chinese.model_dump(exclude={"findings"}) == result.model_dump(exclude={"findings"})


def test_english_gives_back_the_result_as_classified() -> None:
    for result in RESULTS[:2 * len(EXAMPLE_FILES)]:
        assert localise_result(localise_result(result, "zh"), "en") == result


def test_traditional_chinese_and_both_languages() -> None:
    result = classify(_dossier(valid=False), RULESETS[0])
    english = result.findings[0]
    traditional = localise_result(result, "zh-Hant").findings[0]
    simplified = localise_result(result, "zh").findings[0]
    both = localise_result(result, "both").findings[0]
    assert "試驗" in traditional.message and "试验" in simplified.message
    assert both.message == f"{english.message} / {simplified.message}"
    assert both.clause == f"{english.clause} / {simplified.clause}"


def test_a_finding_from_an_older_solidcheck_keeps_its_text() -> None:
    result = classify(_dossier(), RULESETS[0])
    old = Finding(severity="info", rule="test_duration", message="held 6 h", source="standard",
                  clause="Part 1, weight-loss method: 6 h", ruleset="gbt-ssb-1-2026")
    stored = Result.model_validate({**result.model_dump(), "findings": [old.model_dump(
        exclude={"message_id", "params"})]})
    shown = localise_result(stored, "zh").findings[0]
    assert shown.message == "held 6 h"
    assert shown.clause == rule_reference(load_ruleset(RULESETS[0]).rule("test_duration"), "zh")


def test_a_rule_set_that_is_not_installed_keeps_its_clauses_unless_given() -> None:
    mean = _mean_ruleset()
    result = classify(_dossier(specimens=2), mean)
    english_clauses = [f.clause for f in result.findings]
    assert [f.clause for f in localise_result(result, "zh").findings] == english_clauses
    given = localise_result(result, "zh", ruleset=mean)
    assert all(_CJK.search(f.clause or "") for f in given.findings)
