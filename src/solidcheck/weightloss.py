"""The vacuum weight-loss test: specimen rates, validity of the conditions, uncertainty.

Comparisons with limits are exact: every input number is taken as the decimal the user
wrote (``Fraction(repr(x))``) and compared in rational arithmetic, so a rate of exactly
0.5 % meets an inclusive 0.5 % limit regardless of binary floating point. Rounded
comparison (GB/T 8170) rounds half to even, which is what ``round(Fraction, n)`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .model import Finding, FindingParam, SpecimenResult, WeightLossResult, WeightLossTest
from .rules import Ruleset

__all__ = ["WeightLossAssessment", "assess_weight_loss", "exact", "fmt", "specimen_rate"]


def exact(value: float) -> Fraction:
    """The decimal number that ``value`` was written as, exactly (through ``Decimal``,
    which parses in C: four times faster than ``Fraction(repr(value))``, same value)."""
    return Fraction(*Decimal(repr(value)).as_integer_ratio())


def fmt(value: float | Fraction) -> str:
    """A number for text not yet in the message catalogue (the log analysis, evidence
    summaries): up to six significant digits, no trailing zeros. Findings of the decision are
    written by the catalogue (``i18n``) instead."""
    return f"{float(value):.6g}"


def specimen_rate(mass_before_g: float, mass_after_g: float) -> Fraction:
    """Weight-loss rate W = (m₀ − m₁) / m₀ × 100, in percent, exactly."""
    m0, m1 = exact(mass_before_g), exact(mass_after_g)
    return (m0 - m1) / m0 * 100


@dataclass(frozen=True, slots=True)
class WeightLossAssessment:
    result: WeightLossResult
    findings: list[Finding]


def _meets_limit(rate: Fraction, ruleset: Ruleset) -> bool:
    limit_rule = ruleset.rules.weight_loss_limit
    comparison = ruleset.rules.limit_comparison
    if comparison.method == "rounded" and comparison.decimals is not None:
        rate = round(rate, comparison.decimals)
    limit = exact(limit_rule.limit_percent)
    return rate <= limit if limit_rule.comparison == "at_most" else rate < limit


def _reading_uncertainty_g(resolution_mg: float) -> float:
    """Standard uncertainty of one reading: rectangular distribution of half-width r/2."""
    return resolution_mg / 1000 / (2 * math.sqrt(3))


def _rate_uncertainty(mass_before_g: float, mass_after_g: float, u_g: float) -> float:
    """Standard uncertainty of W from the two readings (first-order propagation)."""
    return 100 * u_g * math.hypot(1 / mass_before_g, mass_after_g / mass_before_g**2)


def _condition_findings(test: WeightLossTest, ruleset: Ruleset) -> tuple[bool, list[Finding]]:
    rules = ruleset.rules
    findings: list[Finding] = []
    valid = True

    set_c = rules.test_temperature.temperature_c
    tol_c = rules.test_temperature_tolerance.tolerance_c
    deviation = exact(test.temperature_c) - exact(set_c)
    if abs(deviation) <= exact(tol_c):
        findings.append(ruleset.finding("test_temperature", "info",
                                        "weight_loss.temperature_within",
                                        temperature=test.temperature_c, set_point=set_c,
                                        tolerance=tol_c))
    else:
        valid = False
        side, bound = ("above", exact(set_c) + exact(tol_c)) if deviation > 0 else (
            "below", exact(set_c) - exact(tol_c))
        findings.append(ruleset.finding("test_temperature_tolerance", "error",
                                        f"weight_loss.temperature_{side}",
                                        temperature=test.temperature_c, set_point=set_c,
                                        tolerance=tol_c,
                                        excess=float(abs(exact(test.temperature_c) - bound)),
                                        bound=float(bound)))

    min_h = rules.test_duration.min_duration_h
    if exact(test.duration_h) >= exact(min_h):
        findings.append(ruleset.finding("test_duration", "info", "weight_loss.duration_met",
                                        duration=test.duration_h, minimum=min_h))
    else:
        valid = False
        findings.append(ruleset.finding("test_duration", "error", "weight_loss.duration_short",
                                        duration=test.duration_h, minimum=min_h,
                                        shortfall=float(exact(min_h) - exact(test.duration_h))))

    max_pa = rules.test_pressure.max_pressure_pa
    if exact(test.pressure_pa) <= exact(max_pa):
        findings.append(ruleset.finding("test_pressure", "info", "weight_loss.pressure_within",
                                        pressure=test.pressure_pa, limit=max_pa))
    else:
        valid = False
        findings.append(ruleset.finding("test_pressure", "error", "weight_loss.pressure_over",
                                        pressure=test.pressure_pa, limit=max_pa,
                                        excess=float(exact(test.pressure_pa) - exact(max_pa))))

    min_count = rules.specimen_aggregation.min_specimens
    if len(test.specimens) < min_count:
        valid = False
        findings.append(ruleset.finding("specimen_aggregation", "error",
                                        "weight_loss.too_few_specimens",
                                        weighed=len(test.specimens), required=min_count))
    return valid, findings


def _resolution_findings(test: WeightLossTest, ruleset: Ruleset) -> list[Finding]:
    rule = ruleset.rules.balance_resolution
    if test.balance_resolution_mg is None:
        return [ruleset.finding("measurement_uncertainty", "info",
                                "weight_loss.resolution_unknown")]
    lightest_g = min(exact(s.mass_before_g) for s in test.specimens)
    allowed_mg = max(exact(rule.max_resolution_mg),
                     exact(rule.max_resolution_percent_of_mass) / 100 * lightest_g * 1000)
    if exact(test.balance_resolution_mg) > allowed_mg:
        return [ruleset.finding("balance_resolution", "warning", "weight_loss.resolution_coarse",
                                resolution=test.balance_resolution_mg,
                                allowed=float(allowed_mg), floor=rule.max_resolution_mg,
                                share=rule.max_resolution_percent_of_mass)]
    return []


def assess_weight_loss(test: WeightLossTest, ruleset: Ruleset) -> WeightLossAssessment:
    """Rates, limit, validity of the conditions and uncertainty of one test."""
    rules = ruleset.rules
    conditions_valid, findings = _condition_findings(test, ruleset)
    findings += _resolution_findings(test, ruleset)

    rates = [specimen_rate(s.mass_before_g, s.mass_after_g) for s in test.specimens]
    specimens = [
        SpecimenResult(index=i, id=s.id, mass_before_g=s.mass_before_g, mass_after_g=s.mass_after_g,
                       percent=float(rate), within_limit=_meets_limit(rate, ruleset))
        for i, (s, rate) in enumerate(zip(test.specimens, rates, strict=True), start=1)
    ]
    for spec in specimens:
        if spec.percent < 0:
            findings.append(ruleset.finding("mass_gain", "warning", "weight_loss.mass_gain",
                                            specimen=spec.index, rate=spec.percent))

    u_g = (_reading_uncertainty_g(test.balance_resolution_mg)
           if test.balance_resolution_mg is not None else None)
    if rules.specimen_aggregation.aggregation == "mean":
        deciding = sum(rates, Fraction(0)) / len(rates)
        passed = _meets_limit(deciding, ruleset)
        u_std = (math.sqrt(sum(_rate_uncertainty(s.mass_before_g, s.mass_after_g, u_g) ** 2
                               for s in test.specimens)) / len(rates)
                 if u_g is not None else None)
        what: dict[str, FindingParam] = {"specimens": len(rates)}
    else:
        worst = max(range(len(rates)), key=rates.__getitem__)
        deciding = rates[worst]
        passed = all(spec.within_limit for spec in specimens)
        u_std = (_rate_uncertainty(test.specimens[worst].mass_before_g,
                                   test.specimens[worst].mass_after_g, u_g)
                 if u_g is not None else None)
        what = {"specimen": worst + 1}
    k = rules.measurement_uncertainty.coverage_factor
    uncertainty = k * u_std if u_std is not None else None

    limit = rules.weight_loss_limit
    margin = exact(limit.limit_percent) - deciding
    by_mean = rules.specimen_aggregation.aggregation == "mean"
    stated = {**what, "rate": float(deciding), "limit": limit.limit_percent,
              "relation": limit.comparison}
    failing = [str(s.index) for s in specimens if not s.within_limit]
    if passed:
        message_id = "weight_loss.mean_meets" if by_mean else "weight_loss.largest_meets"
    elif by_mean and not failing:
        message_id = "weight_loss.mean_fails"
    else:
        message_id = ("weight_loss.mean_fails_with_specimens" if by_mean
                      else "weight_loss.largest_fails")
        stated["failing"] = failing
    findings.append(ruleset.finding("weight_loss_limit", "info", message_id, **stated))
    if uncertainty is not None and abs(float(margin)) <= uncertainty:
        findings.append(ruleset.finding("measurement_uncertainty", "warning",
                                        "weight_loss.margin_uncertain", margin=float(margin),
                                        uncertainty=float(uncertainty)))

    result = WeightLossResult(
        percent=float(deciding),
        limit_percent=limit.limit_percent,
        comparison=limit.comparison,
        passed=passed if conditions_valid else None,
        conditions_valid=conditions_valid,
        uncertainty_percent=uncertainty,
        margin_percent=float(margin),
        specimens=specimens,
    )
    return WeightLossAssessment(result=result, findings=findings)
