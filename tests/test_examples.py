"""The shipped examples classify as examples/README.md says, under both rule sets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from solidcheck import classify, decode_code, load_dossier
from solidcheck.schemas import json_schema

EXAMPLES = Path(__file__).parents[1] / "examples"
_ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \| (?P<gbt>\w+) \| (?P<csae>\w+) \| `(?P<code>[^`]+)` \|$"
)


def _expectations() -> list[dict[str, str]]:
    rows = [m.groupdict() for line in (EXAMPLES / "README.md").read_text("utf-8").splitlines()
            if (m := _ROW.match(line))]
    assert rows, "no expectation rows found in examples/README.md"
    return rows


EXPECTED = _expectations()


def test_every_example_file_has_an_expectation() -> None:
    files = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json")}
    assert files == {row["file"] for row in EXPECTED}
    assert len(files) >= 12


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: row["file"])
def test_example_classifies_as_documented(row: dict[str, str]) -> None:
    dossier = load_dossier(EXAMPLES / row["file"])
    national = classify(dossier, "gbt-ssb-1-2026")
    csae = classify(dossier, "csae-434-2025")
    assert national.category == row["gbt"]
    assert csae.category == row["csae"]
    assert national.code == row["code"]
    for result in (national, csae):
        fields = decode_code(result.code)
        assert (fields.category, fields.electrolyte_type, fields.conducting_ion,
                fields.application, fields.ruleset) == (
            result.category, result.electrolyte_type, result.conducting_ion,
            result.application, result.ruleset)


def test_examples_cover_every_category_and_axis_value() -> None:
    results = [classify(load_dossier(EXAMPLES / row["file"]), ruleset)
               for row in EXPECTED for ruleset in ("gbt-ssb-1-2026", "csae-434-2025")]
    solid = [r for r in results if r.category == "solid_state"]
    assert {r.category for r in results} == {
        "liquid", "hybrid_solid_liquid", "solid_state", "undetermined"}
    assert {r.electrolyte_type for r in solid} == {
        "sulfide", "oxide", "polymer", "halide", "composite", "other"}
    assert {r.conducting_ion for r in solid} == {"lithium", "sodium", "other"}
    assert {r.application for r in solid} == {"high_energy", "high_power", "other", None}
    assert {r.application_basis for r in solid} >= {"declared", "power_energy_ratio"}


def test_examples_show_where_the_rule_sets_disagree() -> None:
    disagree = [row["file"] for row in EXPECTED if row["gbt"] != row["csae"]]
    assert sorted(disagree) == ["between-the-limits.yaml", "composite-no-visual-check.yaml"]


def test_headline_claim_without_evidence_is_not_confirmed() -> None:
    result = classify(load_dossier(EXAMPLES / "headline-claim-no-test.yaml"))
    assert result.category == "undetermined"
    errors = [f for f in result.findings if f.severity == "error"]
    assert [f.rule for f in errors] == ["solid_state_requires_test"]
    assert "weight-loss test" in errors[0].message


@pytest.mark.parametrize("name", ["result", "dossier", "audit", "charging-metrics"])
def test_published_schema_files_match_the_models(name: str) -> None:
    """docs/schema/*.json are the published contract; regenerate with `solidcheck schema`."""
    published = Path(__file__).parents[1] / "docs" / "schema" / f"{name}.schema.json"
    assert json.loads(published.read_text("utf-8")) == json_schema(name), (
        f"{published} is out of date: run `solidcheck schema {name} > {published}`")
