"""Rule sets: the installed data, the grammar a rule-set file must follow, and its errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

import solidcheck
from solidcheck import (
    Ruleset,
    RulesetError,
    UnknownRulesetError,
    available_rulesets,
    classify,
    load_ruleset,
    parse_dossier,
)
from solidcheck.cli import app
from solidcheck.rules import Rule, Rules, parse_ruleset, read_ruleset_file, ruleset_by_id

DEFAULT_ID = "gbt-ssb-1-2026"
CSAE_ID = "csae-434-2025"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "rulesets.md"
COMMON_KEYS = set(Rule.model_fields)  # provenance, summary, clause, why and their Chinese


def installed_text(ruleset_id: str) -> str:
    return (resources.files("solidcheck") / "rulesets" / f"{ruleset_id}.toml").read_text("utf-8")


def edited(old: str, new: str, ruleset_id: str = DEFAULT_ID) -> str:
    """The installed TOML text with one edit; fails if the edit would change nothing."""
    text = installed_text(ruleset_id)
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {ruleset_id}.toml"
    return text.replace(old, new)


def dossier_with_rate(mass_after_g: float, *, visible_liquid: bool | None = False):
    """An all-solid dossier with one specimen of 100 g (so the rate is 100 - mass_after_g)."""
    visible = "null" if visible_liquid is None else str(visible_liquid).lower()
    return parse_dossier(f"""
id: RULES-TEST
electrolyte: {{phases: [solid], solid_type: sulfide}}
conducting_ion: lithium
application: high_energy
weight_loss_test:
  temperature_c: 120
  duration_h: 6
  pressure_pa: 50
  visible_liquid: {visible}
  specimens: [{{mass_before_g: 100.0, mass_after_g: {mass_after_g}}}]
""")


# --- the installed rule sets ------------------------------------------------------------


def test_both_installed_rule_sets_load_default_first():
    ids = [r.id for r in available_rulesets()]
    assert ids == [DEFAULT_ID, CSAE_ID]
    assert solidcheck.rules.default_ruleset_id() == DEFAULT_ID
    assert available_rulesets()[0].ruleset.default is True
    assert [r.id for r in available_rulesets() if r.ruleset.default] == [DEFAULT_ID]
    assert load_ruleset().id == DEFAULT_ID
    assert load_ruleset(CSAE_ID).id == CSAE_ID


def test_classify_without_a_rule_set_uses_the_national_standard():
    result = classify(dossier_with_rate(99.7))
    assert result.ruleset == DEFAULT_ID
    assert result.code.endswith(f"/{DEFAULT_ID}")


@pytest.mark.parametrize("ruleset", available_rulesets(), ids=lambda r: r.id)
def test_every_rule_states_its_provenance(ruleset: Ruleset):
    for rule_id in Rules.model_fields:
        rule = ruleset.rule(rule_id)
        assert rule.summary.strip(), rule_id
        if rule.provenance == "standard":
            assert rule.clause and rule.clause.strip(), f"{ruleset.id}: {rule_id} has no clause"
        else:
            assert rule.provenance == "assumption"
            assert rule.why and rule.why.strip(), f"{ruleset.id}: {rule_id} has no why"
        assert rule.reference == (rule.clause if rule.provenance == "standard" else rule.why)


@pytest.mark.parametrize("ruleset_id", [DEFAULT_ID, CSAE_ID])
def test_installed_file_is_named_after_its_id(ruleset_id: str):
    assert parse_ruleset(installed_text(ruleset_id)).id == ruleset_id


def test_national_standard_facts():
    rules = load_ruleset(DEFAULT_ID).rules
    assert rules.weight_loss_limit.limit_percent == 0.5
    assert rules.weight_loss_limit.comparison == "at_most"  # 不大于: inclusive
    assert rules.weight_loss_limit.provenance == "standard"
    assert rules.limit_comparison.method == "full_value"  # GB/T 8170 全数值比较法
    assert rules.visual_check.mandatory is False
    assert rules.visual_check.provenance == "assumption"  # not reported for GB/T
    assert rules.test_temperature.temperature_c == 120.0
    assert rules.test_duration.min_duration_h == 6.0
    assert rules.non_preferred_terms.severity == "warning"


def test_csae_group_standard_facts():
    rules = load_ruleset(CSAE_ID).rules
    assert rules.weight_loss_limit.limit_percent == 1.0
    assert rules.weight_loss_limit.comparison == "below"  # exclusive
    assert rules.weight_loss_limit.provenance == "standard"
    assert rules.visual_check.mandatory is True
    assert rules.visual_check.provenance == "standard"
    assert rules.test_temperature.temperature_c == 120.0
    assert rules.test_duration.min_duration_h == 6.0


def test_visual_check_setting_decides_a_missing_inspection():
    dossier = dossier_with_rate(99.8, visible_liquid=None)  # 0.2 %: passes both limits
    national = classify(dossier, DEFAULT_ID)
    assert national.category == "solid_state"
    assert any(f.rule == "visual_check" and f.severity == "warning" for f in national.findings)
    group = classify(dossier, CSAE_ID)
    assert group.category == "undetermined"
    assert any(f.rule == "visual_check" and f.severity == "error" for f in group.findings)


# --- malformed rule-set files ------------------------------------------------------------

MALFORMED = [
    pytest.param("limit_percent = 0.5", "limit_percnt = 0.5",
                 "rules.weight_loss_limit.limit_percnt", "limit_percent", id="misspelt-key"),
    pytest.param("[rules.mass_gain]", "[rules.mass_gian]",
                 "rules.mass_gain", "Field required", id="missing-rule"),
    pytest.param("limit_percent = 0.5", 'limit_percent = "0.5"',
                 "rules.weight_loss_limit.limit_percent", "valid number", id="limit-as-string"),
    pytest.param("limit_percent = 0.5", "limit_percent = 0",
                 "rules.weight_loss_limit.limit_percent", "greater than 0", id="limit-zero"),
    pytest.param("limit_percent = 0.5", "limit_percent = nan",
                 "rules.weight_loss_limit.limit_percent", "finite", id="limit-nan"),
    pytest.param('comparison = "at_most"', 'comparison = "maybe"',
                 "rules.weight_loss_limit.comparison", "'maybe'", id="comparison-maybe"),
    pytest.param('clause = "Part 1, weight-loss criterion: weight-loss rate 不大于 (not more '
                 'than) 0.5 %"\n', "",
                 "rules.weight_loss_limit", "needs a 'clause'", id="standard-without-clause"),
    pytest.param('provenance = "standard"\nclause = "Part 1, weight-loss criterion',
                 'provenance = "assumption"\nclause = "Part 1, weight-loss criterion',
                 "rules.weight_loss_limit", "needs a 'why'", id="assumption-without-why"),
    pytest.param('provenance = "assumption"\nwhy = "The text says', 'provenance = "guess"\nwhy = '
                 '"The text says', "rules.test_pressure.provenance", "'guess'",
                 id="unknown-provenance"),
    pytest.param('method = "full_value"', 'method = "rounded"',
                 "rules.limit_comparison", "needs 'decimals'", id="rounded-without-decimals"),
    pytest.param('method = "full_value"', 'method = "rounded"\ndecimals = 7',
                 "rules.limit_comparison.decimals", "less than or equal to 6",
                 id="too-many-decimals"),
    pytest.param("mandatory = false", 'mandatory = "no"',
                 "rules.visual_check.mandatory", "valid boolean", id="mandatory-as-string"),
    pytest.param("min_specimens = 1", "min_specimens = 1.5",
                 "rules.specimen_aggregation.min_specimens", "valid integer",
                 id="fractional-specimens"),
    pytest.param('severity = "warning"', 'severity = "fatal"',
                 "rules.non_preferred_terms.severity", "'fatal'", id="unknown-severity"),
    pytest.param("format = 1", "format = 2", "format", "got 2", id="format-2"),
    pytest.param('id = "gbt-ssb-1-2026"', 'id = "GBT SSB 2026"', "ruleset.id", "pattern",
                 id="id-not-a-slug"),
    pytest.param('title_zh = "电动汽车用固态电池 第1部分：术语和分类"\n', "",
                 "ruleset.title_zh", "Field required", id="missing-ruleset-key"),
]


@pytest.mark.parametrize(("old", "new", "path", "says"), MALFORMED)
def test_malformed_rule_set_names_the_offending_key(old: str, new: str, path: str, says: str):
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(edited(old, new), source="edited.toml")
    error = caught.value
    matching = [p for p in error.problems if p.path == path]
    assert matching, f"no problem at {path!r}: {[p.path for p in error.problems]}"
    assert says in matching[0].message + " " + matching[0].fix
    message = str(error)
    assert message.startswith("invalid rule set edited.toml:")
    assert f"  - {path}: " in message


def test_every_problem_of_a_file_is_reported_at_once():
    text = edited("limit_percent = 0.5", 'limit_percent = "0.5"').replace(
        'comparison = "at_most"', 'comparison = "maybe"')
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(text)
    assert {p.path for p in caught.value.problems} == {
        "rules.weight_loss_limit.limit_percent", "rules.weight_loss_limit.comparison"}
    assert "2 problems" in str(caught.value)


def test_misspelt_key_suggests_the_right_one():
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(edited("tolerance_c = 2.0", "tolerence_c = 2.0"))
    unknown = next(p for p in caught.value.problems if p.message == "unknown key")
    assert unknown.path == "rules.test_temperature_tolerance.tolerence_c"
    assert "'tolerance_c'" in unknown.fix


def test_broken_toml_syntax_is_a_ruleset_error_with_its_line():
    text = edited("limit_percent = 0.5", "limit_percent = = 0.5")
    line = text[: text.index("limit_percent = = 0.5")].count("\n") + 1
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(text, source="broken.toml")
    (problem,) = caught.value.problems
    assert problem.path == ""
    assert "not valid TOML" in problem.message
    assert f"line {line}" in problem.message


def test_ruleset_error_is_an_invalid_input_value_error():
    with pytest.raises(ValueError):
        parse_ruleset("format = 1\n")
    with pytest.raises(solidcheck.InvalidInputError):
        parse_ruleset("format = 1\n")


def test_malformed_file_path_fails_to_load(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text(edited('comparison = "at_most"', 'comparison = "maybe"'), encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path)
    assert caught.value.source == str(path)
    assert "rules.weight_loss_limit.comparison" in str(caught.value)


# --- a rule set from a file -------------------------------------------------------------


def stricter_ruleset_text() -> str:
    """The national set as a new document version: another id and a 0.2 % limit."""
    return edited('id = "gbt-ssb-1-2026"', 'id = "gbt-ssb-1-2027"').replace(
        "limit_percent = 0.5", "limit_percent = 0.2").replace("default = true", "default = false")


@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
def test_rule_set_from_a_file_path_drives_classify(tmp_path: Path, as_str: bool):
    path = tmp_path / "gbt-ssb-1-2027.toml"
    path.write_text(stricter_ruleset_text(), encoding="utf-8")
    ruleset = load_ruleset(str(path) if as_str else path)
    assert ruleset.id == "gbt-ssb-1-2027"
    assert ruleset.rules.weight_loss_limit.limit_percent == 0.2

    dossier = dossier_with_rate(99.7)  # 0.3 %: within 0.5 %, not within 0.2 %
    assert classify(dossier, DEFAULT_ID).category == "solid_state"
    result = classify(dossier, ruleset)
    assert result.category == "hybrid_solid_liquid"
    assert result.ruleset == "gbt-ssb-1-2027"
    assert result.code == "SCP1-HSL/gbt-ssb-1-2027"
    assert result.weight_loss is not None and result.weight_loss.limit_percent == 0.2
    assert {f.ruleset for f in result.findings} == {"gbt-ssb-1-2027"}
    # A file does not join the installed sets.
    assert "gbt-ssb-1-2027" not in [r.id for r in available_rulesets()]


def test_rounded_comparison_from_a_file_rounds_before_comparing(tmp_path: Path):
    path = tmp_path / "rounded.toml"
    path.write_text(edited('method = "full_value"', 'method = "rounded"\ndecimals = 1'),
                    encoding="utf-8")
    rounded = load_ruleset(path)
    dossier = dossier_with_rate(99.46)  # 0.54 %: rounds to 0.5 %, fails in full
    assert classify(dossier, DEFAULT_ID).category == "hybrid_solid_liquid"
    result = classify(dossier, rounded)
    assert result.category == "solid_state"
    assert result.weight_loss is not None
    assert result.weight_loss.percent == pytest.approx(0.54)  # reported unrounded


def test_mean_aggregation_from_a_file(tmp_path: Path):
    path = tmp_path / "mean.toml"
    path.write_text(edited('aggregation = "all_must_pass"', 'aggregation = "mean"'),
                    encoding="utf-8")
    dossier = parse_dossier("""
id: MEAN
electrolyte: {phases: [solid], solid_type: oxide}
conducting_ion: lithium
weight_loss_test:
  temperature_c: 120
  duration_h: 6
  pressure_pa: 50
  visible_liquid: false
  specimens:
    - {mass_before_g: 100.0, mass_after_g: 99.4}
    - {mass_before_g: 100.0, mass_after_g: 99.8}
""")  # 0.6 % and 0.2 %: the mean 0.4 % passes, the largest does not
    assert classify(dossier, DEFAULT_ID).category == "hybrid_solid_liquid"
    result = classify(dossier, load_ruleset(path))
    assert result.category == "solid_state"
    assert result.weight_loss is not None
    assert result.weight_loss.percent == pytest.approx(0.4)


# --- unknown ids -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gbt-ssb-1-2099", "GBT-SSB-1-2026", ""])
def test_unknown_ruleset_lists_the_available_ids(name: str):
    with pytest.raises(UnknownRulesetError) as caught:
        load_ruleset(name)
    assert caught.value.ruleset_id == name
    assert set(caught.value.available) == {DEFAULT_ID, CSAE_ID}
    message = str(caught.value)
    assert repr(name) in message
    assert DEFAULT_ID in message and CSAE_ID in message


def test_unknown_ruleset_is_a_lookup_error():
    with pytest.raises(LookupError):
        classify(dossier_with_rate(99.9), "no-such-set")


@pytest.mark.parametrize("given", ["gbt-ssb-1-2027.toml", "rulesets/gbt-ssb-1-2027.toml", "file"])
def test_classify_refuses_a_path_and_says_how_to_read_the_file(tmp_path: Path, given: str):
    path = tmp_path / "gbt-ssb-1-2027.toml"
    path.write_text(stricter_ruleset_text(), encoding="utf-8")
    for ruleset in ([path, str(path)] if given == "file" else [given]):
        with pytest.raises(UnknownRulesetError) as caught:
            classify(dossier_with_rate(99.7), ruleset)  # type: ignore[arg-type]
        message = str(caught.value)
        assert DEFAULT_ID in message and CSAE_ID in message
        assert "load_ruleset(path)" in message
    assert classify(dossier_with_rate(99.7), load_ruleset(path)).ruleset == "gbt-ssb-1-2027"


def test_an_id_is_found_without_touching_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / CSAE_ID).write_text("not a rule set", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert ruleset_by_id(CSAE_ID) is load_ruleset(CSAE_ID)
    assert ruleset_by_id().id == DEFAULT_ID
    with pytest.raises(UnknownRulesetError) as caught:
        ruleset_by_id("no-such-set")
    assert caught.value.fix == ""  # a plain unknown id: the list of ids is the whole answer


def test_read_ruleset_file_names_a_file_it_cannot_read(tmp_path: Path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(RulesetError) as caught:
        read_ruleset_file(missing)
    assert caught.value.source == str(missing)
    assert f"no such file: {missing}" in str(caught.value)
    with pytest.raises(RulesetError, match=r"no such file: missing\.toml"):
        load_ruleset("missing.toml")  # a .toml file, not an unknown id


# --- rule sets from other packages (the solidcheck.rulesets entry-point group) -----------

PLUGIN_ID = "acme-ssb-2026"


def plugin_text(ruleset_id: str = PLUGIN_ID) -> str:
    return stricter_ruleset_text().replace('id = "gbt-ssb-1-2027"', f'id = "{ruleset_id}"')


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Installs a distribution (a ``*.dist-info`` folder and a package) on sys.path: no pip."""
    packages: list[str] = []

    def install(files: dict[str, str], *, distribution: str = "acme-rulesets",
                package: str = "acme_rulesets", value: str | None = None) -> None:
        root = tmp_path / distribution
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
        for name, text in files.items():
            (root / package / name).write_text(text, encoding="utf-8")
        info = root / f"{distribution.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[solidcheck.rulesets]\n{package} = {value or package}\n", encoding="utf-8")
        monkeypatch.syspath_prepend(str(root))
        packages.append(package)
        solidcheck.rules._installed.cache_clear()

    yield install
    for package in packages:
        sys.modules.pop(package, None)
    solidcheck.rules._installed.cache_clear()


def test_a_rule_set_from_another_package_is_installed(plugin: Callable[..., None]):
    plugin({f"{PLUGIN_ID}.toml": plugin_text(), "README.md": "not a rule set"})
    assert [r.id for r in available_rulesets()] == [DEFAULT_ID, PLUGIN_ID, CSAE_ID]
    assert load_ruleset(PLUGIN_ID) is ruleset_by_id(PLUGIN_ID)
    result = classify(dossier_with_rate(99.7), PLUGIN_ID)  # 0.3 %: over its 0.2 % limit
    assert result.ruleset == PLUGIN_ID and result.category == "hybrid_solid_liquid"
    assert load_ruleset().id == DEFAULT_ID
    # read once, like the built-in ones
    assert solidcheck.rules._installed() is solidcheck.rules._installed()


def test_the_command_line_lists_and_shows_a_plugin_rule_set(plugin: Callable[..., None]):
    plugin({f"{PLUGIN_ID}.toml": plugin_text()})
    listed = CliRunner().invoke(app, ["rulesets"])
    assert listed.exit_code == 0 and PLUGIN_ID in listed.output
    shown = CliRunner().invoke(app, ["rulesets", "show", PLUGIN_ID])
    assert shown.exit_code == 0 and shown.output == plugin_text()


def test_a_plugin_id_equal_to_a_built_in_one_names_both(plugin: Callable[..., None]):
    plugin({f"{DEFAULT_ID}.toml": installed_text(DEFAULT_ID).replace(
        "default = true", "default = false")})
    with pytest.raises(RulesetError) as caught:
        available_rulesets()
    message = str(caught.value)
    assert f"solidcheck's built-in {DEFAULT_ID}.toml" in message
    assert caught.value.source == f"acme_rulesets/{DEFAULT_ID}.toml from acme-rulesets 1.0"


def test_one_id_from_two_packages_names_both(plugin: Callable[..., None]):
    plugin({f"{PLUGIN_ID}.toml": plugin_text()})
    plugin({f"{PLUGIN_ID}.toml": plugin_text()}, distribution="other-rulesets",
           package="other_rulesets")
    with pytest.raises(RulesetError) as caught:
        available_rulesets()
    sources = {caught.value.source, caught.value.problems[0].message}
    assert any("acme_rulesets/" in text and "acme-rulesets 1.0" in text for text in sources)
    assert any("other_rulesets/" in text and "other-rulesets 1.0" in text for text in sources)


def test_a_broken_plugin_file_names_the_distribution_and_file(plugin: Callable[..., None]):
    plugin({f"{PLUGIN_ID}.toml": plugin_text().replace("limit_percent = 0.2",
                                                       "limit_percent = -1")})
    with pytest.raises(RulesetError) as caught:
        load_ruleset(DEFAULT_ID)
    assert caught.value.source == f"acme_rulesets/{PLUGIN_ID}.toml from acme-rulesets 1.0"
    assert "rules.weight_loss_limit.limit_percent" in str(caught.value)


@pytest.mark.parametrize(("files", "value", "says"), [
    ({"other-name.toml": plugin_text()}, None, "does not match the file name"),
    ({f"{PLUGIN_ID}.toml": plugin_text().replace("default = false", "default = true")}, None,
     "cannot be the default"),
    ({f"{PLUGIN_ID}.toml": plugin_text()}, "acme_rulesets:folder", "names a package"),
    ({}, "acme_rulesets_missing", "cannot be opened"),
])
def test_a_plugin_that_breaks_the_rules_is_refused(plugin: Callable[..., None],
                                                   files: dict[str, str], value: str | None,
                                                   says: str):
    plugin(files, value=value)
    with pytest.raises(RulesetError) as caught:
        available_rulesets()
    assert says in str(caught.value)
    assert "acme-rulesets 1.0" in str(caught.value)


# --- findings cite their rule ------------------------------------------------------------


@pytest.mark.parametrize("ruleset", available_rulesets(), ids=lambda r: r.id)
def test_finding_cites_the_rule_provenance(ruleset: Ruleset):
    for rule_id in Rules.model_fields:
        rule = ruleset.rule(rule_id)
        finding = ruleset.finding(rule_id, "warning", "weight_loss.too_few_specimens",
                                  weighed=1, required=3)
        assert finding.rule == rule_id
        assert finding.ruleset == ruleset.id
        assert finding.source == rule.provenance
        assert finding.clause == (rule.clause if rule.provenance == "standard" else rule.why)
        assert finding.severity == "warning"
        assert finding.message_id == "weight_loss.too_few_specimens"
        assert finding.params == {"weighed": 1, "required": 3}
        assert "1 specimen(s) weighed, at least 3 required" in finding.message


def test_finding_for_an_unknown_rule_is_refused():
    with pytest.raises(KeyError):
        load_ruleset().finding("no_such_rule", "info", "application.open")


def test_finding_with_a_message_not_in_the_catalogue_is_refused():
    with pytest.raises(KeyError, match="no message"):
        load_ruleset().finding("mass_gain", "info", "weight_loss.no_such_message")


def test_finding_missing_a_parameter_of_its_message_is_refused():
    with pytest.raises(KeyError, match="rate"):
        load_ruleset().finding("mass_gain", "warning", "weight_loss.mass_gain", specimen=2)


# --- Chinese ------------------------------------------------------------------------------


def _has_chinese(text: str | None) -> bool:
    return text is not None and any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.mark.parametrize("ruleset", available_rulesets(), ids=lambda r: r.id)
def test_every_built_in_rule_has_its_clause_or_reason_and_summary_in_chinese(ruleset: Ruleset):
    if ruleset.id not in {DEFAULT_ID, CSAE_ID}:
        pytest.skip("the Chinese keys are optional for other packages' rule sets")
    for rule_id in Rules.model_fields:
        rule = ruleset.rule(rule_id)
        assert _has_chinese(rule.summary_zh), (ruleset.id, rule_id)
        assert _has_chinese(rule.reference_zh), (ruleset.id, rule_id)
        if rule.provenance == "standard":
            assert rule.clause_zh and rule.why_zh is None, (ruleset.id, rule_id)
        else:
            assert rule.why_zh and rule.clause_zh is None, (ruleset.id, rule_id)


def test_the_national_standard_cites_its_chinese_clause_first():
    assert load_ruleset(DEFAULT_ID).ruleset.language == "zh"


def test_chinese_keys_are_optional_for_a_third_party_rule_set():
    text = installed_text(DEFAULT_ID)
    stripped = "\n".join(line for line in text.splitlines()
                         if not line.startswith(("summary_zh", "clause_zh", "why_zh", "language")))
    ruleset = parse_ruleset(stripped, source="third-party.toml")
    rule = ruleset.rule("weight_loss_limit")
    assert rule.clause_zh is None and rule.summary_zh is None and rule.reference_zh is None
    assert ruleset.ruleset.language == "en"


@pytest.mark.parametrize(("rule_id", "key"), [("weight_loss_limit", "why_zh"),
                                              ("test_pressure", "clause_zh")])
def test_a_chinese_citation_must_match_the_provenance(rule_id: str, key: str):
    text = installed_text(DEFAULT_ID).replace(
        f"[rules.{rule_id}]\n", f'[rules.{rule_id}]\n{key} = "某处"\n')
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(text, source="edited.toml")
    assert key in str(caught.value)


def test_findings_of_a_classification_cite_the_rule_set_in_use():
    result = classify(dossier_with_rate(99.7), CSAE_ID)
    rules = load_ruleset(CSAE_ID)
    assert result.findings
    for finding in result.findings:
        rule = rules.rule(finding.rule)
        assert finding.ruleset == CSAE_ID
        assert finding.source == rule.provenance
        assert finding.clause == rule.reference


# --- the documentation's comparison table -----------------------------------------------

TABLE_BEGIN = "<!-- BEGIN rule-set comparison: generated from the data, see tests/test_rules.py -->"
TABLE_END = "<!-- END rule-set comparison -->"


def _values(rule: Rule) -> str:
    own = rule.model_dump(exclude_unset=True, exclude=COMMON_KEYS)
    return ", ".join(f"`{key} = {json.dumps(value)}`" for key, value in own.items()) or "—"


def comparison_table() -> str:
    """The rule-by-rule comparison of the installed rule sets, as a Markdown table."""
    sets = available_rulesets()
    head = "| rule | " + " | ".join(f"{r.id} value | {r.id} provenance" for r in sets) + " |"
    rule_line = "|---|" + "---|---|" * len(sets)
    rows = [head, rule_line]
    for rule_id in Rules.model_fields:
        cells = []
        for ruleset in sets:
            rule = ruleset.rule(rule_id)
            cells += [_values(rule), rule.provenance]
        rows.append(f"| `{rule_id}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def test_docs_comparison_table_matches_the_data():
    text = DOCS.read_text("utf-8")
    assert TABLE_BEGIN in text and TABLE_END in text
    documented = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip()
    assert documented == comparison_table(), (
        "docs/rulesets.md is out of date; replace the table with:\n" + comparison_table())


def test_docs_describe_every_rule():
    text = DOCS.read_text("utf-8")
    for rule_id in Rules.model_fields:
        assert f"#### `{rule_id}`" in text, rule_id
