"""A classify finding's message id and parameters, read from the dossier and the rule set —
until ``classify`` gives them itself.

TODO(issue 15, core15): once ``Finding.message_id`` and ``Finding.params`` are merged,
``results.result_row`` reads them from the finding and this module is deleted. It follows the
parameter table of issue 15 ("computed exactly as classify does, then float()").
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ...model import Dossier, Finding, Result
from ...rules import Ruleset
from ...weightloss import exact, specimen_rate

__all__ = ["finding_ids"]


def finding_ids(result: Result, dossier: Dossier, ruleset: Ruleset,
                ) -> list[tuple[str, dict[str, Any]]]:
    """(message id, params) of each of ``result``'s findings, in order."""
    return [_one(f, result, dossier, ruleset) for f in result.findings]


def _one(finding: Finding, result: Result, dossier: Dossier, ruleset: Ruleset,
         ) -> tuple[str, dict[str, Any]]:
    r = ruleset.rules
    test = dossier.weight_loss_test
    rule, severity = finding.rule, finding.severity
    branch = {"temperature": float(r.test_temperature.temperature_c),
              "duration": float(r.test_duration.min_duration_h),
              "pressure": float(r.test_pressure.max_pressure_pa)}
    limit = {"limit": float(r.weight_loss_limit.limit_percent)}
    threshold = exact(r.application_ratio.high_power_min_ratio_w_per_wh)
    ratio = (exact(dossier.ratings.max_power_w) / exact(dossier.ratings.energy_1c_wh)
             if dossier.ratings is not None else None)
    derived = None if ratio is None else ("high_power" if ratio >= threshold else "high_energy")
    if rule == "declared_liquid_fraction":
        return "decision.declared_liquid_fraction", {
            "fraction": float(dossier.electrolyte.liquid_fraction_wt_percent or 0)}
    if rule == "classification_by_phases":
        liquid = set(dossier.electrolyte.phases) == {"liquid"}
        return f"decision.{'liquid' if liquid else 'hybrid'}_by_phases", {}
    if rule == "solid_state_requires_test":
        if severity == "info":
            return "decision.solid_state", limit
        return ("decision.no_test" if test is None else "decision.invalid_test"), branch
    if rule == "weight_loss_limit" and severity == "error":
        return "decision.over_limit", limit
    if rule == "visual_check":
        if severity == "warning":
            return "decision.visual_check_recommended", {"temperature": branch["temperature"]}
        assert test is not None
        return ("decision.liquid_seen" if test.visible_liquid else
                "decision.visual_check_missing"), {}
    if rule == "sub_classification":
        if dossier.application is not None:
            return "application.declared", {"application": dossier.application}
        return "application.open", {}
    if rule == "application_ratio":
        assert ratio is not None and derived is not None
        values = {"ratio": float(ratio), "threshold": float(threshold), "derived": derived}
        if severity == "warning":
            return "application.ratio_disagrees", {"declared": dossier.application, **values}
        return ("application.by_ratio_at_least" if derived == "high_power"
                else "application.by_ratio_below"), values
    assert test is not None
    return _test_finding(finding, result, test, ruleset)


def _test_finding(finding: Finding, result: Result, test: Any, ruleset: Ruleset,
                  ) -> tuple[str, dict[str, Any]]:
    r = ruleset.rules
    rule, severity = finding.rule, finding.severity
    set_c, tol_c = r.test_temperature.temperature_c, r.test_temperature_tolerance.tolerance_c
    if rule == "test_temperature":
        return "weight_loss.temperature_within", {
            "temperature": float(test.temperature_c), "set_point": float(set_c),
            "tolerance": float(tol_c)}
    if rule == "test_temperature_tolerance":
        above = exact(test.temperature_c) > exact(set_c)
        bound = exact(set_c) + exact(tol_c) if above else exact(set_c) - exact(tol_c)
        return f"weight_loss.temperature_{'above' if above else 'below'}", {
            "temperature": float(test.temperature_c), "set_point": float(set_c),
            "tolerance": float(tol_c),
            "excess": float(abs(exact(test.temperature_c) - bound)), "bound": float(bound)}
    if rule == "test_duration":
        minimum = r.test_duration.min_duration_h
        if severity == "info":
            return "weight_loss.duration_met", {"duration": float(test.duration_h),
                                                "minimum": float(minimum)}
        return "weight_loss.duration_short", {
            "duration": float(test.duration_h),
            "shortfall": float(exact(minimum) - exact(test.duration_h)),
            "minimum": float(minimum)}
    if rule == "test_pressure":
        top = r.test_pressure.max_pressure_pa
        if severity == "info":
            return "weight_loss.pressure_within", {"pressure": float(test.pressure_pa),
                                                   "limit": float(top)}
        return "weight_loss.pressure_over", {
            "pressure": float(test.pressure_pa), "limit": float(top),
            "excess": float(exact(test.pressure_pa) - exact(top))}
    if rule == "specimen_aggregation":
        return "weight_loss.too_few_specimens", {
            "weighed": len(test.specimens), "required": r.specimen_aggregation.min_specimens}
    if rule == "balance_resolution":
        res = r.balance_resolution
        lightest_g = min(exact(s.mass_before_g) for s in test.specimens)
        allowed = max(exact(res.max_resolution_mg),
                      exact(res.max_resolution_percent_of_mass) / 100 * lightest_g * 1000)
        return "weight_loss.resolution_coarse", {
            "resolution": float(test.balance_resolution_mg), "allowed": float(allowed),
            "floor": float(res.max_resolution_mg),
            "share": float(res.max_resolution_percent_of_mass)}
    if rule == "mass_gain":
        index = int(finding.message.split()[1])  # "specimen <n> gained mass …"
        return "weight_loss.mass_gain", {
            "specimen": index, "rate": float(specimen_rate(
                test.specimens[index - 1].mass_before_g, test.specimens[index - 1].mass_after_g))}
    if rule == "measurement_uncertainty":
        if severity == "info":
            return "weight_loss.resolution_unknown", {}
        wl = result.weight_loss
        assert wl is not None
        return "weight_loss.margin_uncertain", {"margin": wl.margin_percent,
                                                "uncertainty": wl.uncertainty_percent}
    assert rule == "weight_loss_limit"
    return _limit_finding(result, test, ruleset)


def _limit_finding(result: Result, test: Any, ruleset: Ruleset) -> tuple[str, dict[str, Any]]:
    r = ruleset.rules
    wl = result.weight_loss
    assert wl is not None
    rates: list[Fraction] = [specimen_rate(s.mass_before_g, s.mass_after_g)
                             for s in test.specimens]
    failing = [str(s.index) for s in wl.specimens if not s.within_limit]
    mean = r.specimen_aggregation.aggregation == "mean"
    values: dict[str, Any] = (
        {"specimens": len(rates)} if mean
        else {"specimen": max(range(len(rates)), key=rates.__getitem__) + 1})
    values |= {"rate": wl.percent, "limit": float(r.weight_loss_limit.limit_percent),
               "relation": r.weight_loss_limit.comparison}
    kind = "mean" if mean else "largest"
    if wl.passed or (wl.passed is None and _met(result)):
        return f"weight_loss.{kind}_meets", values
    if mean and not failing:
        return "weight_loss.mean_fails", values
    return (f"weight_loss.{kind}_fails_with_specimens" if mean
            else "weight_loss.largest_fails"), {**values, "failing": failing}


def _met(result: Result) -> bool:
    """Whether the limit is met when the conditions are not valid (``passed`` is null then):
    classify's limit finding says so in its wording."""
    return any(f.rule == "weight_loss_limit" and f.severity == "info" and " is not " not in
               f.message for f in result.findings)
