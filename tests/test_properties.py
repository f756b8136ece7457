"""Property tests: whatever comes in, a valid Result or a DossierError comes out.

Numbers in the generated dossiers range over many magnitudes (plus 0, nan, inf and huge
integers, which validation must reject). Edge cases the properties once found are kept as
regression tests at the end of this file.
"""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidcheck import (
    Dossier,
    DossierError,
    Problem,
    Result,
    classify,
    decode_code,
    dossier_from_mapping,
    load_ruleset,
    parse_dossier,
)
from solidcheck.localise import localise_result
from solidcheck.model import Electrolyte, Ratings, Specimen, WeightLossTest

RULESETS = [load_ruleset("gbt-ssb-1-2026"), load_ruleset("csae-434-2025")]
RESULT_SCHEMA = jsonschema.Draft202012Validator(Result.model_json_schema())

PROPERTY = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Characters str.splitlines() breaks on; see test_key_with_a_line_break_* below.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
FIELD_NAMES = sorted({*Dossier.model_fields, *Electrolyte.model_fields, *Ratings.model_fields,
                      *WeightLossTest.model_fields, *Specimen.model_fields})


# --- strategies --------------------------------------------------------------------------

keys = st.sampled_from(FIELD_NAMES) | st.text(
    st.characters(exclude_characters=LINE_BREAKS), max_size=15)

# Arbitrary JSON-like data: any float, any integer.
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)

# Numbers within the magnitudes classify() handles (see the module docstring).
sane_floats = (st.floats(min_value=1e-6, max_value=1e9)
               | st.floats(min_value=-1e9, max_value=-1e-6)
               | st.sampled_from([0.0, -0.0]))
sane_numbers = sane_floats | st.integers(min_value=-10**9, max_value=10**9)
rejected_numbers = st.sampled_from([math.nan, math.inf, -math.inf, 10**400, -(10**400)])
sane_json_like = st.recursive(
    st.none() | st.booleans() | sane_numbers | rejected_numbers | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=8,
)
bad_values = (sane_numbers | rejected_numbers | st.booleans() | st.none()
              | st.text(max_size=10) | st.sampled_from([[], {}, "", " ", "40.0"])
              | sane_json_like)


def decimals(lo: str, hi: str, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals in [lo, hi] with at most ``places`` digits after the point."""
    scale = 10**places
    return st.integers(int(Decimal(lo) * scale), int(Decimal(hi) * scale)).map(
        lambda i: Decimal(i).scaleb(-places))


@st.composite
def specimens(draw: st.DrawFn, passing: bool = False) -> dict[str, float]:
    """Masses in units of 0.1 mg (4 decimals in grams), many of them near or at the limits;
    with ``passing``, a rate that meets both limits (at most 0.5 %)."""
    m0 = draw(st.integers(10, 2_000_000))  # 1 mg (the smallest specimen accepted) to 200 g
    kind = draw(st.sampled_from(["pass", "at_national"] if passing else
                                ["pass", "near", "any", "at_national", "at_csae"]))
    if kind == "pass":  # 0 to 0.5 %
        m1 = m0 - draw(st.integers(0, m0 // 200))
    elif kind == "near":  # between about -2 % and 2.5 %
        m1 = m0 - draw(st.integers(-(m0 // 50), m0 // 40))
    elif kind == "any":
        m1 = draw(st.integers(0, 2 * m0))
    elif kind == "at_national":  # exactly 0.5 %
        m0 = max(m0 - m0 % 200, 200)
        m1 = m0 - m0 // 200
    else:  # exactly 1 %
        m0 = max(m0 - m0 % 100, 100)
        m1 = m0 - m0 // 100
    return {"mass_before_g": float(Decimal(m0).scaleb(-4)),
            "mass_after_g": float(Decimal(max(m1, 0)).scaleb(-4))}


def _optional(data: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        data[key] = value


@st.composite
def weight_loss_tests(draw: st.DrawFn) -> dict[str, Any]:
    # a third of the tests are clean passes: valid conditions, every specimen passing
    clean = draw(st.sampled_from([True, False, False]))
    mode = "valid" if clean else draw(st.sampled_from(["valid", "boundary", "any"]))
    if mode == "valid":  # every condition met, often exactly at a bound
        temperature = draw(st.sampled_from(["118", "122"]).map(Decimal)
                           | decimals("118", "122", 3))
        duration = draw(st.just(Decimal("6")) | decimals("6", "48", 3))
        pressure = draw(st.just(Decimal("1000")) | decimals("0", "1000", 3))
    elif mode == "boundary":  # at a bound or the smallest step beyond it
        temperature = draw(st.sampled_from(["118", "122", "117.999", "122.001"]).map(Decimal))
        duration = draw(st.sampled_from(["6", "5.999"]).map(Decimal))
        pressure = draw(st.sampled_from(["1000", "1000.001"]).map(Decimal))
    else:
        temperature = draw(decimals("100", "140", 3))
        duration = draw(decimals("0", "24", 3))
        pressure = draw(decimals("0", "3000", 3))
    test: dict[str, Any] = {
        "temperature_c": float(temperature),
        "duration_h": float(duration),
        "pressure_pa": float(pressure),
        "specimens": draw(st.lists(specimens(passing=clean), min_size=1, max_size=5)),
    }
    visible = draw(st.sampled_from(["absent", None, False] if clean
                                   else ["absent", None, True, False]))
    if visible != "absent":
        test["visible_liquid"] = visible
    _optional(test, "balance_resolution_mg",
              draw(st.none() | decimals("0.001", "100", 3).map(float)))
    return test


@st.composite
def valid_dossier_dicts(draw: st.DrawFn) -> dict[str, Any]:
    phases = draw(st.sampled_from([["solid"], ["solid"], ["solid"], ["liquid"],
                                   ["solid", "liquid"], ["liquid", "solid"]]))
    electrolyte: dict[str, Any] = {"phases": phases}
    if "solid" in phases:
        electrolyte["solid_type"] = draw(st.sampled_from(
            ["sulfide", "oxide", "polymer", "halide", "composite", "other"]))
    _optional(electrolyte, "liquid_fraction_wt_percent",
              draw(st.none() | decimals("0", "100", 2).map(float)))
    data: dict[str, Any] = {
        "id": draw(st.text("ABCXYZ0123456789-_ ./固态", min_size=1, max_size=20).filter(str.strip)),
        "electrolyte": electrolyte,
        "conducting_ion": draw(st.sampled_from(["lithium", "sodium", "other"])),
    }
    if draw(st.booleans()):
        data["schema_version"] = 1
    _optional(data, "manufacturer", draw(st.none() | st.text(max_size=20)))
    _optional(data, "application",
              draw(st.sampled_from([None, "high_energy", "high_power", "other"])))
    if draw(st.booleans()):
        data["ratings"] = {"max_power_w": float(draw(decimals("0.01", "100000", 2))),
                           "energy_1c_wh": float(draw(decimals("0.01", "10000", 2)))}
    if draw(st.sampled_from([True, True, True, False])):  # mostly with a test
        data["weight_loss_test"] = draw(weight_loss_tests())
    return data


def _misspell(key: str, how: int) -> str:
    variants = [key[:-1], key + key[-1], key.upper(), key.replace("_", "-"), key + "s",
                key[1:] + key[0]]
    return variants[how]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else [])
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


@st.composite
def mutated_dossier_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid dossier with 1-3 mutations: keys dropped, misspelt or added, values replaced
    with wrong types or out-of-range numbers, numbers negated, values wrapped."""
    data = copy.deepcopy(draw(valid_dossier_dicts()))
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        op = draw(st.sampled_from(["drop", "misspell", "add", "replace", "negate", "wrap",
                                   "renumber", "renumber"]))
        if op == "drop":
            del parent[key]
        elif op == "misspell" and isinstance(key, str) and key:
            parent[_misspell(key, draw(st.integers(0, 5)))] = parent.pop(key)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(keys)] = draw(bad_values)
        elif op == "negate" and type(parent[key]) in (int, float):
            parent[key] = -parent[key]
        elif op == "renumber" and type(parent[key]) in (int, float):  # often still valid
            parent[key] = draw(st.floats(min_value=1e-6, max_value=1e9)
                               | st.integers(min_value=0, max_value=10**9))
        elif op == "wrap":
            value = parent[key]
            parent[key] = draw(st.sampled_from([[value], {"value": value}, str(value)]))
        else:
            parent[key] = draw(bad_values)
    return data


# --- helpers -----------------------------------------------------------------------------

def assert_reports_every_problem(exc: DossierError) -> None:
    assert exc.problems, "a DossierError must name at least one problem"
    assert all(isinstance(p, Problem) for p in exc.problems)
    lines = str(exc).splitlines()
    assert lines[0].startswith("invalid dossier"), lines[0]
    assert lines[1:] == [f"  - {p}" for p in exc.problems]  # one line per problem


def assert_valid_results(dossier: Dossier) -> list[Result]:
    results = []
    for ruleset in RULESETS:
        result = classify(dossier, ruleset)
        RESULT_SCHEMA.validate(result.model_dump(mode="json"))
        results.append(result)
    return results


def exact(value: float) -> Fraction:
    """The decimal a generated float was made from (they have at most 7 significant digits)."""
    return Fraction(Decimal(repr(value)))


def expected_category(data: dict[str, Any], ruleset: Any) -> str:
    """The category, worked out directly from the dossier data and the rule-set numbers,
    in the decision order of docs/rulesets.md."""
    phases = set(data["electrolyte"]["phases"])
    if phases == {"liquid"}:
        return "liquid"
    if phases == {"solid", "liquid"}:
        return "hybrid_solid_liquid"
    test = data.get("weight_loss_test")
    if test is None:
        return "undetermined"
    visible = test.get("visible_liquid")
    if visible is True:  # liquid seen settles it, whatever the oven conditions were
        return "hybrid_solid_liquid"
    r = ruleset.rules
    valid = (abs(exact(test["temperature_c"]) - exact(r.test_temperature.temperature_c))
             <= exact(r.test_temperature_tolerance.tolerance_c)
             and exact(test["duration_h"]) >= exact(r.test_duration.min_duration_h)
             and exact(test["pressure_pa"]) <= exact(r.test_pressure.max_pressure_pa)
             and len(test["specimens"]) >= r.specimen_aggregation.min_specimens)
    if not valid:
        return "undetermined"
    limit = exact(r.weight_loss_limit.limit_percent)
    for s in test["specimens"]:
        m0, m1 = exact(s["mass_before_g"]), exact(s["mass_after_g"])
        rate = (m0 - m1) / m0 * 100
        if not (rate <= limit if r.weight_loss_limit.comparison == "at_most" else rate < limit):
            return "hybrid_solid_liquid"
    if visible is None and r.visual_check.mandatory:
        return "undetermined"
    return "solid_state"


# --- a) any mapping ----------------------------------------------------------------------

def assert_dossier_or_dossier_error(data: Any) -> None:
    try:
        dossier = dossier_from_mapping(data)
    except DossierError as exc:
        assert_reports_every_problem(exc)
        return
    assert_valid_results(dossier)


@PROPERTY
@given(json_like | st.dictionaries(keys, json_like, max_size=8))
def test_arbitrary_data_gives_a_dossier_or_a_dossier_error(data: Any) -> None:
    assert_dossier_or_dossier_error(data)


@PROPERTY
@given(mutated_dossier_dicts())
def test_mutated_dossier_gives_a_dossier_or_a_dossier_error(data: dict[str, Any]) -> None:
    assert_dossier_or_dossier_error(data)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["weight_loss_test"]["specimens"][0].update(mass_before_g=-40.0),
         "weight_loss_test.specimens[0].mass_before_g"),
        (lambda d: d["weight_loss_test"]["specimens"][0].update(mass_after_g=math.nan),
         "weight_loss_test.specimens[0].mass_after_g"),
        (lambda d: d["weight_loss_test"].update(duration_h=True), "weight_loss_test.duration_h"),
        (lambda d: d["weight_loss_test"].update(specimens=[]), "weight_loss_test.specimens"),
        (lambda d: d["electrolyte"].update(phases=["solid", "solid"]), "electrolyte.phases"),
        (lambda d: d["electrolyte"].update(phases=["liquid"]), "electrolyte"),
        (lambda d: d.update(conducting_ion="Lithium"), "conducting_ion"),
        (lambda d: d.update(id="   "), "id"),
        (lambda d: d.pop("electrolyte"), "electrolyte"),
    ],
)
def test_each_kind_of_mutation_is_reported_at_its_path(mutate: Any, path: str) -> None:
    data: dict[str, Any] = {
        "id": "M-1",
        "electrolyte": {"phases": ["solid"], "solid_type": "oxide"},
        "conducting_ion": "lithium",
        "weight_loss_test": {"temperature_c": 120.0, "duration_h": 6.0, "pressure_pa": 100.0,
                             "specimens": [{"mass_before_g": 40.0, "mass_after_g": 39.9}]},
    }
    dossier_from_mapping(copy.deepcopy(data))  # the unmutated dossier is valid
    mutate(data)
    with pytest.raises(DossierError) as info:
        dossier_from_mapping(data)
    assert [p.path for p in info.value.problems] == [path]
    assert_reports_every_problem(info.value)


def test_misspelt_key_gets_a_did_you_mean_hint() -> None:
    with pytest.raises(DossierError) as info:
        dossier_from_mapping({"id": "M", "electrolyte": {"phases": ["liquid"]},
                              "conducting_ion": "lithium", "aplication": "high_power"})
    (problem,) = info.value.problems
    assert problem.path == "aplication"
    assert "did you mean 'application'" in problem.fix


# --- b) valid dossiers -------------------------------------------------------------------

@PROPERTY
@given(valid_dossier_dicts())
def test_every_finding_of_any_dossier_reads_in_every_language(data: dict[str, Any]) -> None:
    dossier = dossier_from_mapping(copy.deepcopy(data))
    for result in assert_valid_results(dossier):
        chinese = localise_result(result, "zh")
        RESULT_SCHEMA.validate(chinese.model_dump(mode="json"))
        for finding in chinese.findings:
            assert finding.message_id is not None
            assert any("\u4e00" <= char <= "\u9fff" for char in finding.message), finding
        for lang in ("zh-Hant", "both"):
            assert len(localise_result(result, lang).findings) == len(result.findings)
        assert localise_result(chinese, "en") == result


@PROPERTY
@given(valid_dossier_dicts())
def test_valid_dossier_is_classified_consistently(data: dict[str, Any]) -> None:
    dossier = dossier_from_mapping(copy.deepcopy(data))
    for ruleset, result in zip(RULESETS, assert_valid_results(dossier), strict=True):
        assert ruleset.rules.limit_comparison.method == "full_value"
        assert ruleset.rules.specimen_aggregation.aggregation == "all_must_pass"

        assert result.category == expected_category(data, ruleset)
        assert result.ruleset == ruleset.id
        assert result.dossier_id == data["id"]

        test = data.get("weight_loss_test")
        if result.category == "solid_state":
            assert data["electrolyte"]["phases"] == ["solid"]
            assert result.weight_loss is not None
            assert result.weight_loss.conditions_valid is True
            assert result.weight_loss.passed is True
            assert (result.electrolyte_type, result.conducting_ion) == (
                data["electrolyte"]["solid_type"], data["conducting_ion"])
            if "application" in data:
                assert result.application == data["application"]
        else:
            assert (result.electrolyte_type, result.conducting_ion, result.application) == (
                None, None, None)

        if test is None:
            assert result.weight_loss is None
        else:
            assert result.weight_loss is not None
            rates = [(exact(s["mass_before_g"]) - exact(s["mass_after_g"]))
                     / exact(s["mass_before_g"]) * 100 for s in test["specimens"]]
            assert [s.percent for s in result.weight_loss.specimens] == [float(r) for r in rates]
            assert result.weight_loss.percent == float(max(rates))
            assert result.weight_loss.percent == max(s.percent
                                                     for s in result.weight_loss.specimens)
            gains = any(r < 0 for r in rates)
            assert gains == any(f.rule == "mass_gain" for f in result.findings)

        for finding in result.findings:
            rule = ruleset.rule(finding.rule)
            assert finding.source == rule.provenance
            assert finding.clause == rule.reference
            assert finding.ruleset == ruleset.id

        fields = decode_code(result.code)
        assert (fields.category, fields.electrolyte_type, fields.conducting_ion,
                fields.application, fields.ruleset) == (
            result.category, result.electrolyte_type, result.conducting_ion,
            result.application, result.ruleset)

        assert classify(dossier, ruleset) == result
        assert classify(dossier_from_mapping(copy.deepcopy(data)), ruleset.id) == result


# --- c) parse_dossier on any text --------------------------------------------------------

def _parses_or_reports(payload: str | bytes) -> None:
    try:
        dossier = parse_dossier(payload)
    except DossierError as exc:
        assert exc.problems
        return
    assert isinstance(dossier, Dossier)
    assert_valid_results(dossier)


@PROPERTY
@given(st.text() | st.binary())
def test_parse_dossier_on_any_text_or_bytes(payload: str | bytes) -> None:
    _parses_or_reports(payload)


@PROPERTY
@given(mutated_dossier_dicts() | valid_dossier_dicts(), st.sampled_from(["json", "yaml"]),
       st.data())
def test_parse_dossier_on_damaged_serialized_dossiers(
    data: dict[str, Any], form: str, draw: st.DataObject
) -> None:
    text = json.dumps(data) if form == "json" else yaml.safe_dump(data, allow_unicode=True)
    if draw.draw(st.booleans()):  # damage the text
        at = draw.draw(st.integers(0, len(text)))
        cut = draw.draw(st.integers(0, 5))
        text = text[:at] + draw.draw(st.text(max_size=5)) + text[at + cut:]
    _parses_or_reports(text)
    _parses_or_reports(text.encode("utf-8"))


# --- edge cases found by the properties above, kept as regression tests ------------------

def _solid(specimens: list[dict[str, float]], **extra: Any) -> dict[str, Any]:
    test = {"temperature_c": 120.0, "duration_h": 6.0, "pressure_pa": 100.0,
            "visible_liquid": False, "specimens": specimens, **extra}
    return {"id": "EDGE", "electrolyte": {"phases": ["solid"], "solid_type": "oxide"},
            "conducting_ion": "lithium", "weight_loss_test": test}


@pytest.mark.parametrize(("data", "path"), [
    (_solid([{"mass_before_g": 1e200, "mass_after_g": 40.0}], balance_resolution_mg=0.1),
     "weight_loss_test.specimens[0].mass_before_g"),
    (_solid([{"mass_before_g": 1e-200, "mass_after_g": 1e-200}], balance_resolution_mg=0.1),
     "weight_loss_test.specimens[0].mass_before_g"),
    (_solid([{"mass_before_g": 40.0, "mass_after_g": 1e300}]),
     "weight_loss_test.specimens[0].mass_after_g"),
    ({**_solid([{"mass_before_g": 40.0, "mass_after_g": 39.9}]),
      "ratings": {"max_power_w": 1e300, "energy_1c_wh": 100.0}}, "ratings.max_power_w"),
    ({**_solid([{"mass_before_g": 40.0, "mass_after_g": 39.9}]),
      "ratings": {"max_power_w": 100.0, "energy_1c_wh": 1e-300}}, "ratings.energy_1c_wh"),
])
def test_numbers_far_outside_any_cell_are_rejected_naming_the_field(
    data: dict[str, Any], path: str
) -> None:
    with pytest.raises(DossierError) as info:
        dossier_from_mapping(data)
    assert [p.path for p in info.value.problems] == [path]
    assert "unit" in info.value.problems[0].fix


def test_extreme_but_accepted_masses_classify() -> None:
    smallest_and_largest = [{"mass_before_g": 0.001, "mass_after_g": 100_000.0},
                            {"mass_before_g": 100_000.0, "mass_after_g": 0.0}]
    assert_valid_results(dossier_from_mapping(
        _solid(smallest_and_largest, balance_resolution_mg=0.1)))


@pytest.mark.parametrize("text", [
    "? []\n: 1\n",                 # a list as a key
    "[" * 100_000,                  # nested too deeply for the JSON parser
    "a: " + "[" * 10_000,           # nested too deeply for the YAML parser
    "id: " + "1" * 5000,            # an integer beyond Python's digit limit
    '{"id": ' + "1" * 5000 + "}",
])
def test_unreadable_text_is_a_dossier_error(text: str) -> None:
    with pytest.raises(DossierError) as info:
        parse_dossier(text)
    assert info.value.problems


def test_yaml_merge_keys_are_read() -> None:
    text = ("defaults: &test {temperature_c: 120, duration_h: 6, pressure_pa: 100,\n"
            "  specimens: [{mass_before_g: 40.0, mass_after_g: 39.9}]}\n")
    with pytest.raises(DossierError) as info:
        parse_dossier(text + "id: M\nelectrolyte: {phases: [liquid]}\nconducting_ion: lithium\n"
                      "weight_loss_test:\n  <<: *test\n  duration_h: 7\n")
    # the merge itself is read; only the unknown top-level key 'defaults' is reported
    assert [p.path for p in info.value.problems] == ["defaults"]


@pytest.mark.parametrize("key", ["a\nb", "a\u2028b"])
def test_key_with_a_line_break_still_gives_one_line_per_problem(key: str) -> None:
    with pytest.raises(DossierError) as info:
        dossier_from_mapping({key: 1})
    assert_reports_every_problem(info.value)
