"""The batch path equals ``classify``: every field of every row, under every rule set.

Random valid dossiers are drawn around every boundary of every rule set — the installed ones
and variants that switch on what they leave off (rounded comparison, mean aggregation, a
mandatory visual check, at least three specimens, other conditions and thresholds): rates
exactly at a limit and one unit of the last decimal either side, temperatures, durations and
pressures on their bounds and one float away, power/energy ratios on the high-power
threshold, masses whose decimals need 17 digits, visual check missing, liquid declared.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import same_value
from solidcheck import Dossier, DossierError, load_dossier
from solidcheck.batch._exact import HUGE, TINY, decimal_lo, decimal_quantum
from solidcheck.batch.synth import synthesize
from solidcheck.batch.table import dossiers_to_table, table_to_dossiers
from solidcheck.batch.vector import (
    RESULT_FIELDS,
    classify_table,
    result_row,
    results_schema,
    rows_decided_one_by_one,
)
from solidcheck.classify import classify
from solidcheck.i18n import DISPLAYS, load_catalogue
from solidcheck.model import APPLICATIONS, IONS, SOLID_TYPES, Specimen
from solidcheck.rules import Ruleset, available_rulesets
from solidcheck.weightloss import exact

EXAMPLES = Path(__file__).parents[1] / "examples"
PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _variant(base: Ruleset, ruleset_id: str, **changes: dict[str, Any]) -> Ruleset:
    """``base`` with some rules changed (each key a rule id, each value its new fields)."""
    rules = base.rules.model_copy(update={
        rule: getattr(base.rules, rule).model_copy(update=fields)
        for rule, fields in changes.items()})
    info = base.ruleset.model_copy(update={"id": ruleset_id, "default": False})
    return base.model_copy(update={"ruleset": info, "rules": rules})


INSTALLED = available_rulesets()
NATIONAL, CSAE = (next(r for r in INSTALLED if r.id == rid)
                  for rid in ("gbt-ssb-1-2026", "csae-434-2025"))
VARIANTS = [
    _variant(NATIONAL, "test-rounded-1", limit_comparison={"method": "rounded", "decimals": 1}),
    _variant(CSAE, "test-rounded-0", limit_comparison={"method": "rounded", "decimals": 0}),
    _variant(NATIONAL, "test-mean", specimen_aggregation={"aggregation": "mean",
                                                          "min_specimens": 2},
             visual_check={"mandatory": True},
             weight_loss_limit={"limit_percent": 0.45, "comparison": "below"},
             limit_comparison={"method": "rounded", "decimals": 2}),
    _variant(CSAE, "test-other-conditions", test_temperature={"temperature_c": 80.5},
             test_temperature_tolerance={"tolerance_c": 0.3},
             test_duration={"min_duration_h": 12.25}, test_pressure={"max_pressure_pa": 99.9},
             specimen_aggregation={"aggregation": "all_must_pass", "min_specimens": 3},
             application_ratio={"high_power_min_ratio_w_per_wh": 3.7},
             balance_resolution={"max_resolution_mg": 0.01,
                                 "max_resolution_percent_of_mass": 0.002},
             measurement_uncertainty={"coverage_factor": 3.0}),
]
RULESETS = [*INSTALLED, *VARIANTS]


# --- boundaries of every rule set ----------------------------------------------------------

def _limits(rs: Ruleset) -> list[Fraction]:
    """The rates at which this rule set's decision changes."""
    limit = exact(rs.rules.weight_loss_limit.limit_percent)
    out = [limit]
    if rs.rules.limit_comparison.method == "rounded":
        step = Fraction(1, 10 ** (rs.rules.limit_comparison.decimals or 0))
        out += [limit + step / 2, limit - step / 2, limit + step, limit - step]
    return out


RATES = sorted({rate for rs in RULESETS for rate in _limits(rs)} | {Fraction(0)})
TEMPERATURES = sorted({exact(r.rules.test_temperature.temperature_c) + s * exact(
    r.rules.test_temperature_tolerance.tolerance_c) for r in RULESETS for s in (-1, 0, 1)})
DURATIONS = sorted({exact(r.rules.test_duration.min_duration_h) for r in RULESETS})
PRESSURES = sorted({exact(r.rules.test_pressure.max_pressure_pa) for r in RULESETS})
THRESHOLDS = sorted({exact(r.rules.application_ratio.high_power_min_ratio_w_per_wh)
                     for r in RULESETS})
RESOLUTIONS = sorted({exact(r.rules.balance_resolution.max_resolution_mg) for r in RULESETS})


def _decimal_float(value: Fraction) -> float:
    return float(Decimal(value.numerator) / Decimal(value.denominator))


@st.composite
def near(draw: st.DrawFn, points: list[Fraction], low: float, high: float) -> float:
    """A float on one of ``points``, one unit of a decimal place either side, one float
    either side, or anywhere in [low, high]."""
    how = draw(st.integers(0, 4))
    if how == 0:
        return draw(st.floats(low, high))
    point = draw(st.sampled_from(points))
    if how == 1:
        value = float(point)
    elif how == 2:
        places = draw(st.integers(1, 6) | st.integers(7, 14))
        value = _decimal_float(point + draw(st.sampled_from([-1, 1])) * Fraction(1, 10**places))
    elif how == 3:
        value = math.nextafter(float(point), draw(st.sampled_from([-math.inf, math.inf])))
    else:
        scale = 10 ** draw(st.integers(0, 3))
        value = _decimal_float(point + Fraction(draw(st.integers(-scale, scale)), scale))
    return min(max(value, low), high)


@st.composite
def specimen_masses(draw: st.DrawFn) -> dict[str, float]:
    """Masses whose rate is exactly a boundary rate (or one unit of the last decimal off),
    or arbitrary floats (17-digit decimals included), or a mass gain."""
    how = draw(st.integers(0, 3))
    if how == 0:
        m0 = draw(st.floats(0.001, 100_000.0))
        m1 = draw(st.floats(0.0, 100_000.0)) if draw(st.booleans()) else m0 * draw(
            st.floats(0.97, 1.0001))
        return {"mass_before_g": m0, "mass_after_g": min(m1, 100_000.0)}
    rate = draw(st.sampled_from(RATES))
    places = draw(st.integers(0, 5))
    units = draw(st.integers(1, 10**6))
    before = min(max(Fraction(units, 10**places), Fraction(1, 1000)), Fraction(100_000))
    after = before * (1 - rate / 100)
    if how == 2:  # one unit of a decimal place either side of the exact rate
        nudge_places = draw(st.integers(places, places + 8))
        after += draw(st.sampled_from([-1, 1])) * Fraction(1, 10**nudge_places)
    if how == 3:
        after = before + Fraction(draw(st.integers(1, 500)), 10**places)
    after = min(max(after, Fraction(0)), Fraction(100_000))
    return {"mass_before_g": _decimal_float(before), "mass_after_g": _decimal_float(after)}


@st.composite
def valid_conditions(draw: st.DrawFn) -> dict[str, float]:
    """Conditions a rule set accepts (on its bounds included), so that rows reach the limit,
    the visual check and the application axis."""
    r = draw(st.sampled_from(RULESETS)).rules
    set_c, tol = exact(r.test_temperature.temperature_c), exact(
        r.test_temperature_tolerance.tolerance_c)
    hundredths = int(tol * 100)
    return {
        "temperature_c": _decimal_float(
            set_c + Fraction(draw(st.integers(-hundredths, hundredths)), 100)),
        "duration_h": _decimal_float(exact(r.test_duration.min_duration_h)
                                     + Fraction(draw(st.integers(0, 8)), 4)),
        "pressure_pa": _decimal_float(exact(r.test_pressure.max_pressure_pa)
                                      - Fraction(draw(st.integers(0, 50)), 10)),
    }


@st.composite
def weight_loss_tests(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 2)):
        conditions = draw(valid_conditions())
    else:
        conditions = {
            "temperature_c": draw(near(TEMPERATURES, -273.15, 2000.0)),
            "duration_h": draw(near(DURATIONS, 0.0, 10_000.0)),
            "pressure_pa": draw(near(PRESSURES, 0.0, 10_000_000.0)),
        }
    return {
        **conditions,
        "visible_liquid": draw(st.sampled_from([None, True, False, False])),
        "balance_resolution_mg": draw(st.none() | near(RESOLUTIONS, 1e-6, 1e8)),
        "specimens": [{**masses, **draw(specimen_id())}
                      for masses in draw(st.lists(specimen_masses(), min_size=1, max_size=4))],
    }


@st.composite
def specimen_id(draw: st.DrawFn) -> dict[str, str]:
    """No id (a dossier not built from a weighings file), or one as a lab writes it."""
    if draw(st.booleans()):
        return {}
    return {"id": draw(st.sampled_from(["S1-A", "样品 2", "x" * 100]) | st.text(
        st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12))}


@st.composite
def ratings(draw: st.DrawFn) -> dict[str, float] | None:
    if draw(st.integers(0, 3)) == 0:
        return None
    energy = draw(st.floats(0.001, 1e6) | st.decimals("0.001", "100000", places=3).map(float))
    if draw(st.booleans()):
        ratio = draw(st.sampled_from(THRESHOLDS))
        power = exact(energy) * ratio
        if draw(st.booleans()):
            power += draw(st.sampled_from([-1, 1])) * Fraction(1, 10 ** draw(st.integers(3, 12)))
        power_w = _decimal_float(power)
    else:
        power_w = draw(st.floats(1e-3, 1e9))
    return {"max_power_w": min(max(power_w, 1e-6), 1e9), "energy_1c_wh": energy}


@st.composite
def dossiers(draw: st.DrawFn, index: int = 0) -> Dossier:
    phases = draw(st.sampled_from([["solid"], ["solid"], ["solid"], ["solid"], ["solid"],
                                   ["liquid"], ["solid", "liquid"], ["liquid", "solid"]]))
    electrolyte: dict[str, Any] = {"phases": phases}
    if "solid" in phases:
        electrolyte["solid_type"] = draw(st.sampled_from(SOLID_TYPES))
    fraction = draw(st.none() | st.sampled_from([0.0, 0.1, 5e-324, 100.0])
                    | st.floats(0.0, 100.0))
    if fraction is not None:
        electrolyte["liquid_fraction_wt_percent"] = fraction
    data: dict[str, Any] = {
        "id": f"D-{draw(st.integers(0, 10**6))}",
        "electrolyte": electrolyte,
        "conducting_ion": draw(st.sampled_from(IONS)),
        "application": draw(st.none() | st.sampled_from(APPLICATIONS)),
        "ratings": draw(ratings()),
        "weight_loss_test": draw(st.none() | weight_loss_tests() | weight_loss_tests()
                                 | weight_loss_tests()),
    }
    return Dossier.model_validate({k: v for k, v in data.items() if v is not None})


# --- comparing ------------------------------------------------------------------------------

FINDING_FIELDS = ("severity", "rule", "message_id", "source", "clause")


def classify_row(dossier: Dossier, ruleset: Ruleset) -> dict[str, Any]:
    """``classify``'s result as a row of the batch results (docs/batch.md), to compare."""
    return result_row(classify(dossier, ruleset))


def finding_differences(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    """Where the batch's findings differ from classify's, field for field; parameters read
    from their JSON, numbers equal bit for bit and of the same type (an int stays an int)."""
    if [f["message_id"] for f in got] != [f["message_id"] for f in want]:
        return [f"ids {[f['message_id'] for f in got]} != {[f['message_id'] for f in want]}"]
    wrong = []
    for place, (g, w) in enumerate(zip(got, want, strict=True)):
        wrong += [f"#{place} {name}: {g[name]!r} != {w[name]!r}" for name in FINDING_FIELDS
                  if g[name] != w[name]]
        g_params, w_params = json.loads(g["params"]), json.loads(w["params"])
        if g_params.keys() != w_params.keys() or not all(
                same_value(g_params[k], w_params[k]) for k in w_params):
            wrong.append(f"#{place} {g['message_id']} params: {g_params} != {w_params}")
    return wrong


def assert_batch_equals_classify(dossiers: list[Dossier], rulesets: list[Ruleset]) -> None:
    table = dossiers_to_table(dossiers)
    out = classify_table(table, rulesets)
    assert out.schema == results_schema([r.id for r in rulesets])
    assert out.num_rows == len(dossiers)
    rows = out.to_pylist()
    prefix = len(rulesets) > 1
    for dossier, row in zip(dossiers, rows, strict=True):
        assert row["id"] == dossier.id
        for ruleset in rulesets:
            want = classify_row(dossier, ruleset)
            got = {name: row[f"{ruleset.id}.{name}" if prefix else name]
                   for name, _ in RESULT_FIELDS}
            wrong: dict[str, Any] = {name: (got[name], want[name]) for name in want
                                     if name != "findings"
                                     and not same_value(got[name], want[name])}
            if "findings" in want:
                findings = finding_differences(got["findings"], want["findings"])
                if findings:
                    wrong["findings"] = findings
            assert not wrong, f"{dossier.id} under {ruleset.id}: (batch, classify) = {wrong}"


# --- the tests ------------------------------------------------------------------------------

def test_examples_equal_classify() -> None:
    files = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".yaml", ".json"})
    assert len(files) >= 16
    assert_batch_equals_classify([load_dossier(p) for p in files], RULESETS)


def test_examples_with_specimen_ids_equal_classify() -> None:
    """Ids kept from a weighings file (S1-A …) change nothing of the decision, in the table
    as in classify()."""
    named = []
    for path in sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".yaml", ".json"}):
        dossier = load_dossier(path)
        test = dossier.weight_loss_test
        if test is not None:
            dossier = dossier.model_copy(update={"weight_loss_test": test.model_copy(update={
                "specimens": [s.model_copy(update={"id": f"S{i}-A"})
                              for i, s in enumerate(test.specimens, start=1)]})})
        named.append(dossier)
    assert sum(d.weight_loss_test is not None for d in named) >= 10
    table = dossiers_to_table(named)
    assert list(table_to_dossiers(table)) == named
    assert rows_decided_one_by_one(table, RULESETS).size == 0
    assert_batch_equals_classify(named, RULESETS)


def test_one_rule_set_has_unprefixed_columns() -> None:
    dossier = load_dossier(EXAMPLES / "between-the-limits.yaml")
    out = classify_table(dossiers_to_table([dossier]), [NATIONAL])
    assert out.column_names == ["id", *(name for name, _ in RESULT_FIELDS)]
    assert_batch_equals_classify([dossier], [CSAE])


def test_a_record_batch_and_an_empty_table() -> None:
    dossier = load_dossier(EXAMPLES / "mass-gain.yaml")
    table = dossiers_to_table([dossier])
    assert classify_table(table.to_batches()[0], INSTALLED).equals(
        classify_table(table, INSTALLED))
    empty = classify_table(table.slice(0, 0), INSTALLED)
    assert empty.num_rows == 0 and empty.schema == results_schema([r.id for r in INSTALLED])


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_population_equals_classify(seed: int) -> None:
    """The realistic population (rates exactly at both limits, conditions on their bounds,
    ratios on the threshold): equal, and not one row left to classify()."""
    table = synthesize(3000, seed=seed)
    assert rows_decided_one_by_one(table, RULESETS).size == 0
    assert_batch_equals_classify(list(table_to_dossiers(table)), RULESETS)


def test_many_rows_decided_one_by_one() -> None:
    """Masses one float apart (17-digit decimals) give a rate no double-double proves: such
    rows go to classify(), and the table is put back together in order."""
    normal = load_dossier(EXAMPLES / "sulfide-high-energy.yaml")
    assert normal.weight_loss_test is not None
    hard = normal.model_copy(update={"weight_loss_test": normal.weight_loss_test.model_copy(
        update={"specimens": [Specimen(mass_before_g=7.1, mass_after_g=7.100000000000001)]})})
    batch = [(hard if i % 3 else normal).model_copy(update={"id": f"R-{i}"})
             for i in range(200)]
    assert rows_decided_one_by_one(dossiers_to_table(batch), RULESETS).size > 64
    assert_batch_equals_classify(batch, RULESETS)


def test_without_findings_the_rest_is_the_same() -> None:
    table = pa.concat_tables([synthesize(500, seed=3), dossiers_to_table(
        [load_dossier(p) for p in sorted(EXAMPLES.glob("*.yaml"))])])
    full = classify_table(table, RULESETS)
    lean = classify_table(table, RULESETS, findings=False)
    assert lean.schema == results_schema([r.id for r in RULESETS], findings=False)
    assert lean.equals(full.select(lean.column_names))


@PROPERTY
@given(st.lists(dossiers(), min_size=1, max_size=12))
def test_random_dossiers_equal_classify(batch: list[Dossier]) -> None:
    assert_batch_equals_classify(batch, RULESETS)


def test_every_finding_renders_in_every_language() -> None:
    """Each (id, parameters) the batch writes is a message of the catalogue whose every
    language takes exactly these parameters — what ``--findings text`` relies on."""
    table = pa.concat_tables([synthesize(2000, seed=4), dossiers_to_table(
        [load_dossier(p) for p in sorted(EXAMPLES.glob("*.yaml"))])])
    out = classify_table(table, RULESETS)
    catalogue = load_catalogue()
    seen = set()
    for ruleset in RULESETS:
        for findings in out.column(f"{ruleset.id}.findings").to_pylist():
            seen |= {(f["message_id"], f["params"]) for f in findings}
    assert len({message_id for message_id, _ in seen}) >= 25
    for message_id, params in seen:
        for lang in DISPLAYS:
            assert catalogue.render(message_id, json.loads(params), lang)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
@example([0.1, 0.30000000000000004, 5e-324, 1e22, 123456.5, 0.0001, 1e-5, -0.0, 999999.5])
def test_number_helpers_match_python(values: list[float]) -> None:
    array = np.array(values)
    lo, quantum = decimal_lo(array), decimal_quantum(array)
    for value, low, q in zip(values, lo.tolist(), quantum.tolist(), strict=True):
        if 0 < abs(value) < TINY or abs(value) >= HUGE:  # see decimal_lo
            continue
        written = Fraction(repr(value))
        assert abs(Fraction(value) + Fraction(low) - written) <= abs(written) * Fraction(2)**-100
        assert written == 0 or (written / Fraction(10) ** q).denominator == 1


def test_invalid_rows_are_one_dossier_error() -> None:
    """Rows outside the Dossier model are refused, every one named by its row, before any
    classification; valid rows that merely look unusual are classified."""
    dossiers = [load_dossier(p) for p in sorted(EXAMPLES.glob("*.yaml"))][:6]
    rows = dossiers_to_table(dossiers).to_pylist()
    assert rows[1]["weight_loss_test.specimens"]
    rows[1]["weight_loss_test.specimens"][0]["mass_before_g"] = -1.0
    rows[3]["electrolyte.phases"] = ["solid", "solid"]
    rows[4]["ratings.max_power_w"] = math.nan
    rows[4]["ratings.energy_1c_wh"] = 10.0
    rows[5]["id"] = " \u2003 "
    rows[2]["weight_loss_test.specimens"][0]["id"] = "S1\tA"  # a tab: not as a lab writes it
    table = pa.Table.from_pylist(rows, schema=dossiers_to_table([]).schema)
    with pytest.raises(DossierError) as caught:
        classify_table(table, INSTALLED, first_row=11)
    paths = " ".join(p.path for p in caught.value.problems)
    assert all(f"row {n}" in paths for n in (12, 13, 14, 15, 16)), paths
    assert "row 13: weight_loss_test.specimens[0].id" in paths
    assert "row 11" not in paths
    odd = dossiers[0].model_copy(update={"id": "\u00a0x\u00a0"})
    assert_batch_equals_classify([odd], INSTALLED)


def test_table_from_pyarrow_by_hand() -> None:
    """A table built without the converters (and the same through Polars, whose types
    differ), as a reader gives it."""
    table = pa.table({
        "id": ["A"], "manufacturer": [None], "model": [None],
        "electrolyte.phases": [["solid"]], "electrolyte.solid_type": ["halide"],
        "electrolyte.liquid_fraction_wt_percent": pa.array([None], pa.float64()),
        "conducting_ion": ["sodium"], "application": pa.array([None], pa.string()),
        "ratings.max_power_w": [1000.0], "ratings.energy_1c_wh": [100.0],
        "weight_loss_test.temperature_c": [122.0], "weight_loss_test.duration_h": [6.0],
        "weight_loss_test.pressure_pa": [1000.0],
        "weight_loss_test.visible_liquid": pa.array([None], pa.bool_()),
        "weight_loss_test.balance_resolution_mg": [0.1],
        "weight_loss_test.specimens": [[{"mass_before_g": 10.0, "mass_after_g": 9.95}]],
        "evidence": pa.array([None], pa.string()),
    })
    out = classify_table(table, [NATIONAL]).to_pylist()[0]
    assert classify_table(pl.from_arrow(table).to_arrow(), [NATIONAL]).to_pylist()[0] == out
    assert out["category"] == "solid_state"
    assert out["code"] == "SCP1-SSB-HAL-NA-HP/gbt-ssb-1-2026"
    assert out["weight_loss.percent"] == 0.5 and out["weight_loss.margin_percent"] == 0.0


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
def test_variants_are_valid_rule_sets(ruleset: Ruleset) -> None:
    assert Ruleset.model_validate(ruleset.model_dump()) == ruleset
