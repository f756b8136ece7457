"""The decision: a dossier and a rule set in, a Result out. Pure: no I/O, no hidden defaults.

Every number comes from the rule set, and every branch adds a finding that cites the rule
(and through it the clause or the project assumption) that decided it. The branches, their
order and their findings are the decision table (``decision.py``), shared with the batch
engine; a finding is a message id and its parameters, its text rendered in English
(``localise.localise_result`` renders a result in another language).
"""

from __future__ import annotations

from fractions import Fraction

from ._version import __version__
from .code import CodeFields, encode_code
from .decision import VISUAL_CHECK_RECOMMENDED, Branch, branch_params, first_branch
from .model import Application, Category, Dossier, Finding, Result
from .rules import Ruleset, ruleset_by_id
from .terms import category_terms
from .weightloss import WeightLossAssessment, assess_weight_loss, exact

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
                              "decision.declared_liquid_fraction", fraction=fraction)]
    return []


def _decide(
    dossier: Dossier, rules: Ruleset, assessment: WeightLossAssessment | None
) -> tuple[Category, list[Finding]]:
    """The first branch of the decision table whose predicate holds (decision.py)."""
    phases = set(dossier.electrolyte.phases)
    test = dossier.weight_loss_test

    def holds(name: str) -> bool:  # asked in table order: each may assume the ones above false
        if name == "liquid_by_phases":
            return phases == {"liquid"}
        if name == "hybrid_by_phases":
            return phases == {"solid", "liquid"}
        if name == "no_test":
            return test is None or assessment is None
        assert test is not None and assessment is not None
        if name == "liquid_seen":
            return test.visible_liquid is True
        if name == "invalid_test":
            return not assessment.result.conditions_valid
        if name == "over_limit":
            return not assessment.result.passed
        if name == "visual_check_missing":
            return test.visible_liquid is None and rules.rules.visual_check.mandatory
        raise KeyError(f"classify evaluates no predicate {name!r}")

    branch = first_branch(holds)
    found = []
    if branch.name == "solid_state" and test is not None and test.visible_liquid is None:
        found.append(_branch_finding(VISUAL_CHECK_RECOMMENDED, rules))
    found.append(_branch_finding(branch, rules))
    return branch.category, found


def _branch_finding(branch: Branch, rules: Ruleset) -> Finding:
    return rules.finding(branch.rule, branch.severity, branch.message_id,
                         **branch_params(branch, rules))


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
        found = [rules.finding("sub_classification", "info", "application.declared",
                               application=declared)]
        if derived is not None and declared != "other" and declared != derived:
            assert ratio is not None
            found.append(rules.finding("application_ratio", "warning",
                                       "application.ratio_disagrees", declared=declared,
                                       ratio=float(ratio), derived=derived, threshold=threshold))
        return declared, "declared", found
    if derived is not None:
        assert ratio is not None
        message_id = ("application.by_ratio_at_least" if derived == "high_power"
                      else "application.by_ratio_below")
        return derived, "power_energy_ratio", [rules.finding(
            "application_ratio", "info", message_id, ratio=float(ratio), threshold=threshold,
            derived=derived)]
    return None, None, [rules.finding("sub_classification", "info", "application.open")]
