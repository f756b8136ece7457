"""Behaviour at the limits of both rule sets.

Every number is read from the loaded rule set where that is reasonable, and every mass is
built with decimal arithmetic, so a test states the decimal a user writes in a dossier.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidcheck import Result, classify, decode_code, dossier_from_mapping, load_ruleset
from solidcheck.rules import Ruleset, parse_ruleset

NATIONAL = "gbt-ssb-1-2026"
CSAE = "csae-434-2025"
BOTH = [NATIONAL, CSAE]

STEP = Decimal("0.00001")  # the smallest step a 5-decimal dossier value can take


def dec(value: float) -> Decimal:
    """A rule-set number as the decimal it is written as."""
    return Decimal(repr(value))


def rules(ruleset_id: str) -> Ruleset:
    return load_ruleset(ruleset_id)


def make(
    specimens: list[tuple[Decimal | str, Decimal | str]] | None = None,
    *,
    temperature_c: Decimal | str = "120",
    duration_h: Decimal | str = "6",
    pressure_pa: Decimal | str = "100",
    visible_liquid: bool | None = False,
    phases: tuple[str, ...] = ("solid",),
    solid_type: str | None = "sulfide",
    conducting_ion: str = "lithium",
    application: str | None = None,
    ratings: tuple[Decimal | str, Decimal | str] | None = None,
    test: bool = True,
) -> Any:
    """A valid dossier; masses and conditions are given as decimals (strings)."""
    if specimens is None:
        specimens = [("40.0", "39.9")]  # 0.25 %: passes both rule sets
    data: dict[str, Any] = {
        "id": "BOUNDARY",
        "electrolyte": {"phases": list(phases)},
        "conducting_ion": conducting_ion,
    }
    if "solid" in phases:
        data["electrolyte"]["solid_type"] = solid_type
    if application is not None:
        data["application"] = application
    if ratings is not None:
        data["ratings"] = {"max_power_w": float(ratings[0]), "energy_1c_wh": float(ratings[1])}
    if test:
        wl: dict[str, Any] = {
            "temperature_c": float(temperature_c),
            "duration_h": float(duration_h),
            "pressure_pa": float(pressure_pa),
            "specimens": [{"mass_before_g": float(m0), "mass_after_g": float(m1)}
                          for m0, m1 in specimens],
        }
        if visible_liquid is not None:
            wl["visible_liquid"] = visible_liquid
        data["weight_loss_test"] = wl
    return dossier_from_mapping(data)


def at_rate(m0: str, percent: Decimal) -> tuple[str, str]:
    """Masses (m0, m1) whose weight-loss rate is exactly ``percent`` in decimal."""
    before = Decimal(m0)
    return m0, str(before * (1 - percent / 100))


def has(result: Result, rule: str, severity: str) -> bool:
    return any(f.rule == rule and f.severity == severity for f in result.findings)


# --- the weight-loss limit ---------------------------------------------------------------

def test_rate_exactly_at_national_limit_passes() -> None:
    ruleset = rules(NATIONAL)
    limit = dec(ruleset.rules.weight_loss_limit.limit_percent)
    assert ruleset.rules.weight_loss_limit.comparison == "at_most"
    m0, m1 = at_rate("40.0", limit)
    assert m1 == "39.8000"
    result = classify(make([(m0, m1)]), ruleset)
    assert result.category == "solid_state"
    assert result.weight_loss is not None
    assert result.weight_loss.percent == float(limit)
    assert result.weight_loss.passed is True
    assert result.weight_loss.margin_percent == 0
    assert result.weight_loss.specimens[0].within_limit is True


def test_smallest_step_above_national_limit_fails() -> None:
    ruleset = rules(NATIONAL)
    m0, m1 = at_rate("40.0", dec(ruleset.rules.weight_loss_limit.limit_percent))
    result = classify(make([(m0, str(Decimal(m1) - STEP))]), ruleset)  # m1 = 39.79999
    assert result.category == "hybrid_solid_liquid"
    assert result.weight_loss is not None
    assert result.weight_loss.passed is False
    assert result.weight_loss.percent > ruleset.rules.weight_loss_limit.limit_percent
    assert has(result, "weight_loss_limit", "error")
    assert result.code == f"SCP1-HSL/{NATIONAL}"


def test_rate_exactly_at_csae_limit_fails() -> None:
    ruleset = rules(CSAE)
    limit = dec(ruleset.rules.weight_loss_limit.limit_percent)
    assert ruleset.rules.weight_loss_limit.comparison == "below"
    m0, m1 = at_rate("40.0", limit)
    result = classify(make([(m0, m1)]), ruleset)
    assert result.category == "hybrid_solid_liquid"
    assert result.weight_loss is not None
    assert result.weight_loss.percent == float(limit)
    assert result.weight_loss.passed is False
    assert has(result, "weight_loss_limit", "error")


def test_rate_just_below_csae_limit_passes() -> None:
    ruleset = rules(CSAE)
    m0, m1 = at_rate("40.0", dec(ruleset.rules.weight_loss_limit.limit_percent))
    result = classify(make([(m0, str(Decimal(m1) + STEP))]), ruleset)
    assert result.category == "solid_state"
    assert result.weight_loss is not None
    assert result.weight_loss.passed is True
    assert result.weight_loss.percent < ruleset.rules.weight_loss_limit.limit_percent


def test_rate_between_the_limits_differs_between_rule_sets() -> None:
    dossier = make([("50.0", "49.6")])  # 0.8 %
    assert classify(dossier, NATIONAL).category == "hybrid_solid_liquid"
    assert classify(dossier, CSAE).category == "solid_state"


@pytest.mark.parametrize("m0", ["52.1034", "40.0", "12.3457", "33.3333", "0.1234", "7.0001"])
def test_rate_at_limit_in_decimal_is_at_limit_whatever_binary_floats_say(m0: str) -> None:
    """(m0 - m1)/m0 evaluated in binary floating point is off by an ulp for some masses."""
    national, csae = rules(NATIONAL), rules(CSAE)
    for ruleset, expected in ((national, "solid_state"), (csae, "hybrid_solid_liquid")):
        limit = dec(ruleset.rules.weight_loss_limit.limit_percent)
        before, after = at_rate(m0, limit)
        result = classify(make([(before, after)]), ruleset)
        assert result.category == expected, (ruleset.id, before, after)
        assert result.weight_loss is not None
        assert result.weight_loss.percent == float(limit)


def test_float_arithmetic_would_have_got_the_national_limit_wrong() -> None:
    """The case above is not vacuous: naive float arithmetic puts 40.0 → 39.8 over 0.5 %."""
    naive = (40.0 - 39.8) / 40.0 * 100
    assert naive > 0.5
    result = classify(make([("40.0", "39.8")]), NATIONAL)
    assert result.category == "solid_state"


# --- validity of the test conditions -----------------------------------------------------

@pytest.mark.parametrize("ruleset_id", BOTH)
@pytest.mark.parametrize("sign", [1, -1], ids=["upper", "lower"])
def test_temperature_exactly_at_tolerance_is_valid(ruleset_id: str, sign: int) -> None:
    ruleset = rules(ruleset_id)
    set_c = dec(ruleset.rules.test_temperature.temperature_c)
    tol = dec(ruleset.rules.test_temperature_tolerance.tolerance_c)
    result = classify(make(temperature_c=str(set_c + sign * tol)), ruleset)
    assert result.weight_loss is not None
    assert result.weight_loss.conditions_valid is True
    assert result.category == "solid_state"
    assert not has(result, "test_temperature_tolerance", "error")


@pytest.mark.parametrize("ruleset_id", BOTH)
@pytest.mark.parametrize("sign", [1, -1], ids=["upper", "lower"])
def test_temperature_just_outside_tolerance_is_undetermined(ruleset_id: str, sign: int) -> None:
    ruleset = rules(ruleset_id)
    set_c = dec(ruleset.rules.test_temperature.temperature_c)
    tol = dec(ruleset.rules.test_temperature_tolerance.tolerance_c)
    result = classify(make(temperature_c=str(set_c + sign * (tol + STEP))), ruleset)
    assert result.category == "undetermined"
    assert result.weight_loss is not None
    assert result.weight_loss.conditions_valid is False
    assert result.weight_loss.passed is None
    assert has(result, "test_temperature_tolerance", "error")
    assert result.code == f"SCP1-UND/{ruleset.id}"


# (dossier field, the bound in the rule set, the direction that leaves it, the rule cited)
CONDITION_BOUNDS = [
    pytest.param("duration_h", lambda r: r.rules.test_duration.min_duration_h, -1,
                 "test_duration", id="duration-minimum"),
    pytest.param("pressure_pa", lambda r: r.rules.test_pressure.max_pressure_pa, +1,
                 "test_pressure", id="pressure-maximum"),
]


@pytest.mark.parametrize("ruleset_id", BOTH)
@pytest.mark.parametrize(("field", "bound", "outward", "rule_id"), CONDITION_BOUNDS)
def test_condition_exactly_at_its_bound_is_valid(
    ruleset_id: str, field: str, bound: Callable[[Ruleset], float], outward: int, rule_id: str
) -> None:
    ruleset = rules(ruleset_id)
    result = classify(make(**{field: str(dec(bound(ruleset)))}), ruleset)
    assert result.weight_loss is not None
    assert result.weight_loss.conditions_valid is True
    assert result.category == "solid_state"
    assert not has(result, rule_id, "error")


@pytest.mark.parametrize("ruleset_id", BOTH)
@pytest.mark.parametrize(("field", "bound", "outward", "rule_id"), CONDITION_BOUNDS)
def test_condition_one_step_beyond_its_bound_is_invalid(
    ruleset_id: str, field: str, bound: Callable[[Ruleset], float], outward: int, rule_id: str
) -> None:
    ruleset = rules(ruleset_id)
    result = classify(make(**{field: str(dec(bound(ruleset)) + outward * STEP)}), ruleset)
    assert result.category == "undetermined"
    assert result.weight_loss is not None
    assert result.weight_loss.conditions_valid is False
    assert has(result, rule_id, "error")


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_invalid_conditions_give_no_verdict_even_on_a_failing_rate(ruleset_id: str) -> None:
    """A rate over the limit from an invalid test is not evidence either way."""
    ruleset = rules(ruleset_id)
    minimum = dec(ruleset.rules.test_duration.min_duration_h)
    result = classify(make([("40.0", "38.0")], duration_h=str(minimum / 2)), ruleset)
    assert result.category == "undetermined"
    assert has(result, "solid_state_requires_test", "error")


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_visible_liquid_settles_it_even_when_the_conditions_are_invalid(ruleset_id: str) -> None:
    """docs/rulesets.md, decision order: liquid seen → hybrid, whatever the oven did."""
    ruleset = rules(ruleset_id)
    maximum = dec(ruleset.rules.test_pressure.max_pressure_pa)
    result = classify(make(pressure_pa=str(maximum * 10), visible_liquid=True), ruleset)
    assert result.weight_loss is not None
    assert result.weight_loss.conditions_valid is False
    assert result.category == "hybrid_solid_liquid"
    assert has(result, "visual_check", "error")
    assert has(result, "test_pressure", "error")


# --- the visual check --------------------------------------------------------------------

def test_csae_requires_the_visual_check() -> None:
    ruleset = rules(CSAE)
    assert ruleset.rules.visual_check.mandatory is True
    result = classify(make(visible_liquid=None), ruleset)
    assert result.category == "undetermined"
    assert has(result, "visual_check", "error")


def test_national_recommends_the_visual_check() -> None:
    ruleset = rules(NATIONAL)
    assert ruleset.rules.visual_check.mandatory is False
    result = classify(make(visible_liquid=None), ruleset)
    assert result.category == "solid_state"
    assert has(result, "visual_check", "warning")
    assert not has(result, "visual_check", "error")


def test_recorded_visual_check_gives_no_visual_finding() -> None:
    for ruleset_id in BOTH:
        result = classify(make(visible_liquid=False), ruleset_id)
        assert result.category == "solid_state"
        assert not any(f.rule == "visual_check" for f in result.findings)


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_visible_liquid_makes_a_passing_cell_hybrid(ruleset_id: str) -> None:
    result = classify(make([("40.0", "39.99")], visible_liquid=True), ruleset_id)
    assert result.weight_loss is not None
    assert result.weight_loss.passed is True
    assert result.category == "hybrid_solid_liquid"
    assert has(result, "visual_check", "error")


# --- specimens ---------------------------------------------------------------------------

@pytest.mark.parametrize("ruleset_id", BOTH)
def test_one_failing_specimen_among_passing_ones_makes_the_cell_hybrid(ruleset_id: str) -> None:
    ruleset = rules(ruleset_id)
    assert ruleset.rules.specimen_aggregation.aggregation == "all_must_pass"
    specimens = [("40.0", "39.99"), ("40.0", "39.5"), ("40.0", "39.98")]  # 0.025, 1.25, 0.05 %
    result = classify(make(specimens), ruleset)
    assert result.category == "hybrid_solid_liquid"
    assert result.weight_loss is not None
    assert [s.within_limit for s in result.weight_loss.specimens] == [True, False, True]
    assert result.weight_loss.percent == 1.25
    assert [s.index for s in result.weight_loss.specimens] == [1, 2, 3]


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_mass_gain_gives_a_negative_rate_and_a_warning(ruleset_id: str) -> None:
    result = classify(make([("20.0", "20.004")]), ruleset_id)
    assert result.weight_loss is not None
    assert result.weight_loss.specimens[0].percent == pytest.approx(-0.02)
    assert result.weight_loss.specimens[0].percent < 0
    assert has(result, "mass_gain", "warning")
    assert result.category == "solid_state"


def test_mass_gain_does_not_hide_a_failing_specimen() -> None:
    result = classify(make([("20.0", "20.004"), ("20.0", "19.8")]), NATIONAL)  # -0.02, 1 %
    assert result.category == "hybrid_solid_liquid"
    assert result.weight_loss is not None
    assert result.weight_loss.percent == 1.0
    assert has(result, "mass_gain", "warning")


# --- application ratio -------------------------------------------------------------------

@pytest.mark.parametrize("ruleset_id", BOTH)
def test_ratio_exactly_at_threshold_is_high_power(ruleset_id: str) -> None:
    ruleset = rules(ruleset_id)
    threshold = dec(ruleset.rules.application_ratio.high_power_min_ratio_w_per_wh)
    energy = Decimal("100.0")
    result = classify(make(ratings=(threshold * energy, energy)), ruleset)
    assert result.category == "solid_state"
    assert result.application == "high_power"
    assert result.application_basis == "power_energy_ratio"
    assert result.power_energy_ratio_w_per_wh == float(threshold)
    assert decode_code(result.code).application == "high_power"


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_ratio_just_below_threshold_is_high_energy(ruleset_id: str) -> None:
    ruleset = rules(ruleset_id)
    threshold = dec(ruleset.rules.application_ratio.high_power_min_ratio_w_per_wh)
    energy = Decimal("100.0")
    result = classify(make(ratings=(threshold * energy - STEP, energy)), ruleset)
    assert result.application == "high_energy"
    assert result.application_basis == "power_energy_ratio"
    assert result.power_energy_ratio_w_per_wh is not None
    assert result.power_energy_ratio_w_per_wh < float(threshold)


@pytest.mark.parametrize("ruleset_id", BOTH)
@pytest.mark.parametrize(("declared", "power"), [("high_energy", "3000"), ("high_power", "500")])
def test_declared_application_contradicting_the_ratio_is_kept_with_a_warning(
    ruleset_id: str, declared: str, power: str
) -> None:
    result = classify(make(application=declared, ratings=(power, "100")), ruleset_id)
    assert result.application == declared
    assert result.application_basis == "declared"
    assert has(result, "application_ratio", "warning")


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_declared_application_agreeing_with_the_ratio_gives_no_warning(ruleset_id: str) -> None:
    result = classify(make(application="high_power", ratings=("3000", "100")), ruleset_id)
    assert result.application == "high_power"
    assert result.application_basis == "declared"
    assert not has(result, "application_ratio", "warning")


def test_no_declaration_and_no_ratings_leaves_the_application_open() -> None:
    result = classify(make(), NATIONAL)
    assert result.category == "solid_state"
    assert result.application is None
    assert result.application_basis is None
    assert result.code.endswith(f"-XX/{NATIONAL}")


# --- rule sets built from variants of the national file ----------------------------------

def _variant(old: str, new: str, new_id: str) -> Ruleset:
    text = resources.files("solidcheck").joinpath("rulesets", f"{NATIONAL}.toml").read_text(
        "utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new).replace(f'id = "{NATIONAL}"', f'id = "{new_id}"')
    return parse_ruleset(text, source=new_id)


@pytest.fixture(scope="module")
def rounded() -> Ruleset:
    ruleset = _variant('method = "full_value"', 'method = "rounded"\ndecimals = 1',
                       "gbt-rounded-test")
    assert ruleset.rules.limit_comparison.method == "rounded"
    assert ruleset.rules.limit_comparison.decimals == 1
    return ruleset


@pytest.fixture(scope="module")
def mean() -> Ruleset:
    ruleset = _variant('aggregation = "all_must_pass"', 'aggregation = "mean"', "gbt-mean-test")
    assert ruleset.rules.specimen_aggregation.aggregation == "mean"
    return ruleset


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("0.54", "solid_state"),  # → 0.5
        ("0.56", "hybrid_solid_liquid"),  # → 0.6
        ("0.55", "hybrid_solid_liquid"),  # half to even → 0.6
        ("0.45", "solid_state"),  # half to even → 0.4
        ("0.5499", "solid_state"),  # → 0.5
    ],
)
def test_rounded_comparison_rounds_half_to_even(rounded: Ruleset, rate: str, expected: str) -> None:
    m0, m1 = at_rate("100.0", Decimal(rate))
    result = classify(make([(m0, m1)]), rounded)
    assert result.category == expected
    assert result.weight_loss is not None
    assert result.weight_loss.percent == float(rate)  # the reported rate is not rounded
    assert result.ruleset == "gbt-rounded-test"


def test_rounded_comparison_differs_from_full_value(rounded: Ruleset) -> None:
    dossier = make([at_rate("100.0", Decimal("0.54"))])
    assert classify(dossier, rounded).category == "solid_state"
    assert classify(dossier, NATIONAL).category == "hybrid_solid_liquid"


@pytest.mark.parametrize(
    ("rates", "expected", "mean_rate"),
    [
        (("0.3", "0.6"), "solid_state", 0.45),
        (("0.4", "0.7"), "hybrid_solid_liquid", 0.55),
        (("0.5", "0.5"), "solid_state", 0.5),
    ],
)
def test_mean_aggregation_decides_on_the_mean_rate(
    mean: Ruleset, rates: tuple[str, str], expected: str, mean_rate: float
) -> None:
    dossier = make([at_rate("100.0", Decimal(r)) for r in rates])
    result = classify(dossier, mean)
    assert result.category == expected
    assert result.weight_loss is not None
    assert result.weight_loss.percent == pytest.approx(mean_rate)
    assert result.weight_loss.passed is (expected == "solid_state")


def test_mean_aggregation_passes_where_all_must_pass_fails(mean: Ruleset) -> None:
    dossier = make([at_rate("100.0", Decimal("0.3")), at_rate("100.0", Decimal("0.6"))])
    assert classify(dossier, mean).category == "solid_state"
    assert classify(dossier, NATIONAL).category == "hybrid_solid_liquid"
    result = classify(dossier, mean)
    assert result.weight_loss is not None
    assert [s.within_limit for s in result.weight_loss.specimens] == [True, False]


# --- sub-axes ----------------------------------------------------------------------------

NON_SOLID_STATE = {
    "liquid": dict(phases=("liquid",), solid_type=None),
    "hybrid-by-phases": dict(phases=("solid", "liquid")),
    "hybrid-by-rate": dict(specimens=[("40.0", "39.0")]),
    "hybrid-by-visible-liquid": dict(visible_liquid=True),
    "undetermined-no-test": dict(test=False),
    "undetermined-invalid-test": dict(duration_h="1"),
}


@pytest.mark.parametrize("ruleset_id", BOTH)
@pytest.mark.parametrize("case", list(NON_SOLID_STATE), ids=list(NON_SOLID_STATE))
def test_sub_axes_are_empty_for_every_non_solid_state_result(ruleset_id: str, case: str) -> None:
    dossier = make(application="high_power", ratings=("3000", "100"), **NON_SOLID_STATE[case])
    result = classify(dossier, ruleset_id)
    assert result.category != "solid_state"
    assert (result.electrolyte_type, result.conducting_ion, result.application,
            result.application_basis) == (None, None, None, None)
    fields = decode_code(result.code)
    assert (fields.electrolyte_type, fields.conducting_ion, fields.application) == (
        None, None, None)
    assert result.code.count("-") == 1 + ruleset_id.count("-")  # SCP1-<CAT>/<id>


@pytest.mark.parametrize("ruleset_id", BOTH)
def test_sub_axes_are_given_for_solid_state(ruleset_id: str) -> None:
    result = classify(make(solid_type="halide", conducting_ion="sodium",
                           application="other"), ruleset_id)
    assert result.category == "solid_state"
    assert (result.electrolyte_type, result.conducting_ion, result.application) == (
        "halide", "sodium", "other")
    assert result.code == f"SCP1-SSB-HAL-NA-OT/{ruleset_id}"


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_exact_is_the_decimal_the_number_was_written_as(value: float) -> None:
    from fractions import Fraction

    from solidcheck.weightloss import exact

    assert exact(value) == Fraction(repr(value))
