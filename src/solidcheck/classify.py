"""The decision: a dossier and a rule set in, a Result out. Pure: no I/O, no hidden defaults.

Every number comes from the rule set, and every branch adds a finding that cites the rule
(and through it the clause or the project assumption) that decided it.
"""

from __future__ import annotations

from fractions import Fraction

from ._version import __version__
from .code import CodeFields, encode_code
from .model import Application, Category, Dossier, Finding, Result
from .rules import Ruleset, ruleset_by_id
from .terms import category_terms
from .weightloss import WeightLossAssessment, assess_weight_loss, exact, fmt

__all__ = ["classify"]


def classify(dossier: Dossier, ruleset: Ruleset | str | None = None) -> Result:
    """Classify one cell under one rule set: a Ruleset, an installed rule set's id, or None for
    the national standard. A rule-set file is the caller's to read (``load_ruleset(path)``):
    the decision does no I/O."""
    rules = ruleset if isinstance(ruleset, Ruleset) else ruleset_by_id(ruleset)
    test = dossier.weight_loss_test
    assessment = assess_weight_loss(test, rules) if test is not None else None

    findings = _declaration_findings(dossier, rules)
    category, decision = _decide(dossier, rules, assessment)
    if assessment is not None:
        findings += assessment.findings
    findings += decision

    ratio = (float(exact(dossier.ratings.max_power_w) / exact(dossier.ratings.energy_1c_wh))
             if dossier.ratings is not None else None)
    application: Application | None = None
    basis = None
    if category == "solid_state":
        application, basis, axis_findings = _application(dossier, rules)
        findings += axis_findings
        electrolyte_type = dossier.electrolyte.solid_type
        conducting_ion = dossier.conducting_ion
    else:
        electrolyte_type = conducting_ion = None

    code = encode_code(CodeFields(category=category, electrolyte_type=electrolyte_type,
                                  conducting_ion=conducting_ion, application=application,
                                  ruleset=rules.id))
    return Result(
        solidcheck_version=__version__,
        dossier_id=dossier.id,
        ruleset=rules.id,
        category=category,
        terms=category_terms(category),
        electrolyte_type=electrolyte_type,
        conducting_ion=conducting_ion,
        application=application,
        application_basis=basis,
        power_energy_ratio_w_per_wh=ratio,
        weight_loss=assessment.result if assessment is not None else None,
        code=code,
        findings=findings,
    )


def _declaration_findings(dossier: Dossier, rules: Ruleset) -> list[Finding]:
    electrolyte = dossier.electrolyte
    fraction = electrolyte.liquid_fraction_wt_percent
    if electrolyte.phases == ["solid"] and fraction is not None and fraction > 0:
        return [rules.finding("declared_liquid_fraction", "warning",
            f"the dossier declares only solid phases but a liquid fraction of {fmt(fraction)} "
            "wt %; the weight-loss test decides, and the declaration should be corrected")]
    return []


def _decide(
    dossier: Dossier, rules: Ruleset, assessment: WeightLossAssessment | None
) -> tuple[Category, list[Finding]]:
    phases = set(dossier.electrolyte.phases)
    if phases == {"liquid"}:
        return "liquid", [rules.finding("classification_by_phases", "info",
            "ions move only through liquid electrolyte (declared phases: liquid) → liquid battery")]
    if phases == {"solid", "liquid"}:
        found = [rules.finding("classification_by_phases", "info",
            "ions move through solid and liquid electrolyte (declared phases: solid, liquid) → "
            "hybrid solid-liquid battery; calling it 'solid-state' or 'semi-solid' is a "
            "misclassification")]
        return "hybrid_solid_liquid", found

    test = dossier.weight_loss_test
    rule = rules.rules
    conditions = (f"{fmt(rule.test_temperature.temperature_c)} °C, at least "
                  f"{fmt(rule.test_duration.min_duration_h)} h, at most "
                  f"{fmt(rule.test_pressure.max_pressure_pa)} Pa absolute")
    if test is None or assessment is None:
        return "undetermined", [rules.finding("solid_state_requires_test", "error",
            "declared all-solid, but there is no weight-loss test: solid-state cannot be "
            f"confirmed; run the vacuum weight-loss test ({conditions}) and add "
            "weight_loss_test to the dossier")]
    if test.visible_liquid:  # liquid seen settles it, whatever the oven did
        return "hybrid_solid_liquid", [rules.finding("visual_check", "error",
            "liquid was seen in the opened cell: ions can move through liquid electrolyte → "
            "hybrid solid-liquid battery, not solid-state")]
    if not assessment.result.conditions_valid:
        return "undetermined", [rules.finding("solid_state_requires_test", "error",
            "declared all-solid, but the weight-loss test is not valid (see the errors above): "
            f"solid-state cannot be confirmed; repeat the test at {conditions}")]
    limit = fmt(rule.weight_loss_limit.limit_percent)
    if not assessment.result.passed:
        return "hybrid_solid_liquid", [rules.finding("weight_loss_limit", "error",
            f"the weight-loss rate exceeds the {limit} % limit, which shows volatile liquid "
            "electrolyte → hybrid solid-liquid battery, not solid-state")]
    if test.visible_liquid is None and rule.visual_check.mandatory:
        return "undetermined", [rules.finding("visual_check", "error",
            "the visual check of the opened cell is required by this rule set but was not "
            "recorded; inspect the opened cell and set weight_loss_test.visible_liquid")]
    found = []
    if test.visible_liquid is None:
        found.append(rules.finding("visual_check", "warning",
            "the opened cell was not inspected for visible liquid; the check is recommended "
            "because a non-volatile liquid (e.g. an ionic liquid) barely evaporates at "
            f"{fmt(rule.test_temperature.temperature_c)} °C; set weight_loss_test.visible_liquid"))
    found.append(rules.finding("solid_state_requires_test", "info",
        f"declared all-solid and the weight-loss test meets the {limit} % limit under valid "
        "conditions → solid-state battery"))
    return "solid_state", found


def _application(
    dossier: Dossier, rules: Ruleset
) -> tuple[Application | None, str | None, list[Finding]]:
    threshold = rules.rules.application_ratio.high_power_min_ratio_w_per_wh
    derived: Application | None = None
    ratio: Fraction | None = None
    if dossier.ratings is not None:
        ratio = exact(dossier.ratings.max_power_w) / exact(dossier.ratings.energy_1c_wh)
        derived = "high_power" if ratio >= exact(threshold) else "high_energy"
    declared = dossier.application
    if declared is not None:
        found = [rules.finding("sub_classification", "info",
            f"application {declared.replace('_', '-')} as declared")]
        if derived is not None and declared != "other" and declared != derived:
            assert ratio is not None
            found.append(rules.finding("application_ratio", "warning",
                f"declared {declared.replace('_', '-')}, but the power/energy ratio "
                f"{fmt(ratio)} W/Wh points to {derived.replace('_', '-')} (threshold "
                f"{fmt(threshold)} W/Wh); check the ratings or the declaration"))
        return declared, "declared", found
    if derived is not None:
        assert ratio is not None
        relation = "at or above" if derived == "high_power" else "below"
        return derived, "power_energy_ratio", [rules.finding("application_ratio", "info",
            f"application not declared; power/energy ratio {fmt(ratio)} W/Wh is {relation} "
            f"{fmt(threshold)} W/Wh → {derived.replace('_', '-')}")]
    return None, None, [rules.finding("sub_classification", "info",
        "application not declared and no ratings given: the application axis stays open; "
        "declare application or add ratings (max_power_w, energy_1c_wh)")]
