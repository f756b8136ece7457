"""The command line, driven in-process with CliRunner and as the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rdflib
from typer.testing import CliRunner

from solidcheck import (
    DossierError,
    Result,
    __version__,
    classify,
    load_dossier,
    load_ruleset,
)
from solidcheck.cli import app
from solidcheck.rules import Ruleset

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
RULESET_IDS = ["gbt-ssb-1-2026", "csae-434-2025"]
SCRIPT = Path(sys.executable).parent / "solidcheck"

runner = CliRunner()

WriteFile = Callable[[str, str | bytes], Path]

VALID_YAML = """\
id: CLI-1
electrolyte:
  phases: [solid]
  solid_type: oxide
conducting_ion: lithium
application: high_energy
weight_loss_test:
  temperature_c: 120
  duration_h: 6
  pressure_pa: 100
  visible_liquid: false
  specimens:
    - {mass_before_g: 40.0, mass_after_g: 39.9}
"""

VALID_JSON = json.dumps({
    "id": "CLI-2",
    "electrolyte": {"phases": ["solid", "liquid"], "solid_type": "polymer"},
    "conducting_ion": "sodium",
})

# A misspelt key (and so a missing one), a wrong enum value and a mass in quotes.
INVALID_YAML = """\
id: BAD-1
electrolyte:
  phases: [solid]
  solid_type: sulphide
conducting_ionn: lithium
weight_loss_test:
  temperature_c: 120
  duration_h: 6
  pressure_pa: 100
  specimens:
    - mass_before_g: "40.0"
      mass_after_g: 39.8
"""
INVALID_PATHS = [
    "electrolyte.solid_type",
    "conducting_ion",
    "conducting_ionn",
    "weight_loss_test.specimens[0].mass_before_g",
]


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def assert_invalid_input(result: Any) -> None:
    """Exit 2, nothing on stdout, a message on stderr, and never a traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.strip()
    assert "Traceback" not in result.output


# --- classify ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("liquid-lfp.yaml", "liquid"),
        ("semi-solid-marketed.yaml", "hybrid_solid_liquid"),
        ("sulfide-high-energy.yaml", "solid_state"),
        ("oxide-high-power.json", "solid_state"),
        ("headline-claim-no-test.yaml", "undetermined"),
    ],
)
def test_classify_json_prints_one_result_object(name: str, category: str) -> None:
    result = invoke("classify", EXAMPLES / name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    assert data["category"] == category
    expected = classify(load_dossier(EXAMPLES / name))
    assert Result.model_validate(data) == expected


@pytest.mark.parametrize("ruleset_id", RULESET_IDS)
def test_classify_several_files_prints_json_lines(ruleset_id: str) -> None:
    result = invoke("classify", *EXAMPLE_FILES, "--ruleset", ruleset_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXAMPLE_FILES)
    for line, path in zip(lines, EXAMPLE_FILES, strict=True):
        data = json.loads(line)
        assert data["ruleset"] == ruleset_id
        assert data == classify(load_dossier(path), ruleset_id).model_dump(mode="json")


def test_classify_text_shows_term_code_and_provisional() -> None:
    path = EXAMPLES / "sulfide-high-energy.yaml"
    expected = classify(load_dossier(path))
    result = invoke("classify", path, "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert expected.terms.en in result.stdout
    assert expected.terms.zh in result.stdout
    assert expected.code in result.stdout
    assert "provisional" in result.stdout


def test_classify_text_is_the_default_and_differs_by_rule_set() -> None:
    path = EXAMPLES / "between-the-limits.yaml"
    national = invoke("classify", path)
    csae = invoke("classify", path, "-r", "csae-434-2025")
    assert national.exit_code == csae.exit_code == 0
    assert "hybrid solid-liquid battery" in national.stdout
    assert "SCP1-HSL/gbt-ssb-1-2026" in national.stdout
    assert "solid-state battery" in csae.stdout
    assert "SCP1-SSB-" in csae.stdout


def test_classify_ruleset_from_a_toml_file(write_file: WriteFile) -> None:
    text = resources.files("solidcheck").joinpath("rulesets", "csae-434-2025.toml").read_text(
        "utf-8")
    path = write_file("custom.toml", text.replace('id = "csae-434-2025"', 'id = "my-rules"'))
    result = invoke("classify", EXAMPLES / "between-the-limits.yaml", "-r", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ruleset"] == "my-rules"
    assert data["code"].endswith("/my-rules")


def test_invalid_dossier_lists_every_problem_with_its_path(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", INVALID_YAML)
    with pytest.raises(DossierError) as info:
        load_dossier(path)
    result = invoke("classify", path, "--format", "json")
    assert_invalid_input(result)
    assert str(path) in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problem_lines) == len(info.value.problems) == len(INVALID_PATHS)
    for where in INVALID_PATHS:
        assert any(line.startswith(f"  - {where}:") for line in problem_lines), where
    assert "did you mean 'conducting_ion'" in result.stderr
    assert "sulphide" in result.stderr
    assert "'40.0'" in result.stderr


def test_one_invalid_file_among_valid_ones_prints_nothing(write_file: WriteFile) -> None:
    bad = write_file("bad.yaml", INVALID_YAML)
    worse = write_file("worse.json", '{"id": "X", "colour": "red"}')
    result = invoke("classify", EXAMPLES / "liquid-lfp.yaml", bad, worse, "-f", "json")
    assert_invalid_input(result)
    assert str(bad) in result.stderr
    assert str(worse) in result.stderr
    assert "colour" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("syntax.yaml", "id: X\n  bad: indent\n", "line 2"),
        ("syntax.json", '{"id": "X",\n "electrolyte": }\n', "line 2"),
        ("late.json", '{\n"id": "X",\n"conducting_ion": "lithium",\n"electrolyte": {,\n}',
         "line 4"),
    ],
)
def test_syntax_error_reports_the_line(
    write_file: WriteFile, name: str, content: str, line: str
) -> None:
    result = invoke("classify", write_file(name, content))
    assert_invalid_input(result)
    assert line in result.stderr
    assert ("YAML" if name.endswith("yaml") else "JSON") in result.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("dup.yaml", "id: X\nid: Y\n"),
        ("dup-nested.yaml", "id: X\nelectrolyte:\n  phases: [solid]\n  phases: [liquid]\n"),
        ("dup.json", '{"id": "X", "id": "Y"}'),
    ],
)
def test_duplicate_keys_are_invalid(write_file: WriteFile, name: str, content: str) -> None:
    result = invoke("classify", write_file(name, content))
    assert_invalid_input(result)
    assert "appears twice" in result.stderr


def test_missing_file_is_invalid_input(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = invoke("classify", missing)
    assert_invalid_input(result)
    assert str(missing) in result.stderr


def test_unknown_ruleset_lists_the_available_ones() -> None:
    result = invoke("classify", EXAMPLES / "liquid-lfp.yaml", "--ruleset", "nope")
    assert_invalid_input(result)
    assert "nope" in result.stderr
    for ruleset_id in RULESET_IDS:
        assert ruleset_id in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "dossier_id"),
    [("json-inside.yaml", VALID_JSON, "CLI-2"), ("yaml-inside.json", VALID_YAML, "CLI-1")],
)
def test_format_is_sniffed_from_the_content_not_the_extension(
    write_file: WriteFile, name: str, content: str, dossier_id: str
) -> None:
    result = invoke("classify", write_file(name, content), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["dossier_id"] == dossier_id


def test_byte_order_mark_is_accepted(write_file: WriteFile) -> None:
    result = invoke("classify", write_file("bom.json", b"\xef\xbb\xbf" + VALID_JSON.encode()),
                    "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["category"] == "hybrid_solid_liquid"


# --- rulesets ----------------------------------------------------------------------------

def test_rulesets_lists_both_with_the_default_marked() -> None:
    result = invoke("rulesets")
    assert result.exit_code == 0
    for ruleset_id in RULESET_IDS:
        assert ruleset_id in result.stdout
    assert "gbt-ssb-1-2026 (default)" in result.stdout
    assert "csae-434-2025 (default)" not in result.stdout


def test_rulesets_show_prints_the_toml_file() -> None:
    result = invoke("rulesets", "show", "csae-434-2025")
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads(result.stdout)
    assert data["ruleset"]["id"] == "csae-434-2025"
    assert data["rules"]["weight_loss_limit"]["limit_percent"] == 1.0
    assert data["rules"]["weight_loss_limit"]["comparison"] == "below"
    assert Ruleset.model_validate(data) == load_ruleset("csae-434-2025")


@pytest.mark.parametrize("ruleset_id", RULESET_IDS)
def test_rulesets_show_json(ruleset_id: str) -> None:
    result = invoke("rulesets", "show", ruleset_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ruleset"]["id"] == ruleset_id
    assert Ruleset.model_validate(data) == load_ruleset(ruleset_id)


def test_rulesets_show_unknown_is_invalid_input() -> None:
    result = invoke("rulesets", "show", "nope")
    assert_invalid_input(result)
    assert all(ruleset_id in result.stderr for ruleset_id in RULESET_IDS)


# --- code decode -------------------------------------------------------------------------

@pytest.mark.parametrize("ruleset_id", RULESET_IDS)
def test_code_decode_round_trips_every_classified_code(ruleset_id: str) -> None:
    classified = invoke("classify", *EXAMPLE_FILES, "-r", ruleset_id, "-f", "json")
    assert classified.exit_code == 0, classified.stderr
    results = [json.loads(line) for line in classified.stdout.splitlines()]
    assert len(results) == len(EXAMPLE_FILES)
    assert {r["category"] for r in results} >= {"liquid", "hybrid_solid_liquid", "solid_state",
                                                "undetermined"}
    for data in results:
        decoded = invoke("code", "decode", data["code"], "--format", "json")
        assert decoded.exit_code == 0, decoded.stderr
        fields = json.loads(decoded.stdout)
        assert fields["status"] == "provisional"
        assert fields["scheme"] == "SCP1"
        for key in ("category", "electrolyte_type", "conducting_ion", "application", "ruleset"):
            assert fields[key] == data[key], (data["code"], key)


def test_code_decode_text() -> None:
    result = invoke("code", "decode", "SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")
    assert result.exit_code == 0, result.stderr
    rows = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert rows["category"] == "solid_state"
    assert rows["electrolyte_type"] == "sulfide"
    assert rows["application"] == "high_energy"
    assert rows["ruleset"] == "gbt-ssb-1-2026"
    assert rows["status"].startswith("provisional")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("SCP1-SSB-SUL-LI/gbt-ssb-1-2026", "3 sub-fields"),
        ("SCP1-XYZ/gbt-ssb-1-2026", "unknown category 'XYZ'"),
        ("SCP1-HSL-SUL-LI-HE/gbt-ssb-1-2026", "only solid-state codes have sub-fields"),
        ("SCP1-SSB-SUL-LI-HE", "no '/<ruleset id>'"),
        ("SCP9-LIQ/gbt-ssb-1-2026", "unknown scheme 'SCP9'"),
        ("SCP1-SSB-SUL-XX-HE/gbt-ssb-1-2026", "unknown conducting ion 'XX'"),
        ("SCP1-LIQ/GBT_SSB", "is not a rule-set id"),
    ],
)
def test_malformed_code_is_invalid_input_with_the_reason(code: str, reason: str) -> None:
    result = invoke("code", "decode", code)
    assert_invalid_input(result)
    assert reason in result.stderr


# --- schema ------------------------------------------------------------------------------

def test_schema_result_validates_a_real_result_and_rejects_a_wrong_one() -> None:
    schema_run = invoke("schema", "result")
    assert schema_run.exit_code == 0
    schema = json.loads(schema_run.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("sulfide-high-energy.yaml", "mass-gain.yaml", "headline-claim-no-test.yaml"):
        classified = invoke("classify", EXAMPLES / name, "-f", "json")
        data = json.loads(classified.stdout)
        validator.validate(data)
    assert not validator.is_valid({**data, "category": "semi_solid"})
    assert not validator.is_valid({k: v for k, v in data.items() if k != "code"})


def test_schema_dossier_accepts_an_example_and_rejects_an_unknown_key() -> None:
    schema_run = invoke("schema", "dossier")
    assert schema_run.exit_code == 0
    validator = jsonschema.Draft202012Validator(json.loads(schema_run.stdout))
    example = json.loads((EXAMPLES / "oxide-high-power.json").read_text("utf-8"))
    validator.validate(example)
    assert not validator.is_valid({**example, "colour": "red"})


# --- terms -------------------------------------------------------------------------------

def test_terms_semi_solid_is_non_preferred_and_names_the_preferred_term() -> None:
    text = invoke("terms", "semi-solid")
    assert text.exit_code == 0, text.stderr
    assert "semi-solid battery" in text.stdout
    assert "non-preferred" in text.stdout
    assert "混合固液电池" in text.stdout
    as_json = invoke("terms", "semi-solid", "--format", "json")
    assert as_json.exit_code == 0
    matches = json.loads(as_json.stdout)
    assert matches
    assert all(m["status"] == "non_preferred" for m in matches)
    assert {m["preferred"]["en"] for m in matches} == {"hybrid solid-liquid battery"}
    assert {m["category"] for m in matches} == {"hybrid_solid_liquid"}


@pytest.mark.parametrize(
    "query", ["ＳＥＭＩ－ＳＯＬＩＤ", "半固态电池", "Quasi Solid State", "SEMI SOLID"])
def test_terms_are_found_whatever_the_form(query: str) -> None:
    result = invoke("terms", "--format", "json", query)
    assert result.exit_code == 0, result.stderr
    matches = json.loads(result.stdout)
    assert matches
    assert matches[0]["category"] == "hybrid_solid_liquid"
    assert matches[0]["preferred"]["en"] == "hybrid solid-liquid battery"
    assert matches[0]["status"] == "non_preferred"


def test_terms_all_solid_state_is_admitted_solid_state() -> None:
    result = invoke("terms", "--format", "json", "全固态电池")
    assert result.exit_code == 0, result.stderr
    first = json.loads(result.stdout)[0]
    assert first["term"] == "全固态电池"
    assert first["exact"] is True
    assert first["status"] == "admitted"
    assert first["category"] == "solid_state"
    assert first["preferred"] == {"en": "solid-state battery", "zh": "固态电池"}


def test_unknown_term_exits_3() -> None:
    text = invoke("terms", "flux capacitor")
    assert text.exit_code == 3
    assert text.stdout == ""
    assert "flux capacitor" in text.stderr
    as_json = invoke("terms", "--format", "json", "flux capacitor")
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout) == []


def test_terms_without_a_query_is_invalid_input() -> None:
    assert_invalid_input(invoke("terms"))


def test_terms_export_skos_writes_json_ld(tmp_path: Path) -> None:
    out = tmp_path / "vocabulary.jsonld"
    result = invoke("terms", "--export", "skos", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    data = json.loads(out.read_text("utf-8"))
    assert data["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
    graph = rdflib.Graph().parse(data=json.dumps(data), format="json-ld")
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    pref = {str(o) for o in graph.objects(None, skos.prefLabel)}
    hidden = {str(o) for o in graph.objects(None, skos.hiddenLabel)}
    assert {"hybrid solid-liquid battery", "solid-state battery", "混合固液电池"} <= pref
    assert "semi-solid battery" in hidden
    assert "semi-solid battery" not in pref


def test_terms_export_to_stdout_equals_the_file(tmp_path: Path) -> None:
    out = tmp_path / "v.jsonld"
    to_file = invoke("terms", "--export", "skos", "--output", out)
    to_stdout = invoke("terms", "--export", "skos")
    assert to_file.exit_code == to_stdout.exit_code == 0
    assert json.loads(to_stdout.stdout) == json.loads(out.read_text("utf-8"))


# --- misc --------------------------------------------------------------------------------

def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"solidcheck {__version__}"


def test_unknown_option_is_a_usage_error() -> None:
    result = invoke("classify", EXAMPLES / "liquid-lfp.yaml", "--format", "xml")
    assert result.exit_code == 2
    assert result.stdout == ""


# --- the installed console script --------------------------------------------------------

def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.is_file(), f"console script not installed at {SCRIPT}"
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)


def test_console_script_classifies_as_json_lines() -> None:
    files = [EXAMPLES / "liquid-lfp.yaml", EXAMPLES / "oxide-high-power.json"]
    proc = run_script("classify", *files, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["category"] for r in results] == ["liquid", "solid_state"]
    assert results[1]["code"] == "SCP1-SSB-OXI-LI-HP/gbt-ssb-1-2026"


def test_console_script_invalid_dossier_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(INVALID_YAML, encoding="utf-8")
    proc = run_script("classify", path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    for where in INVALID_PATHS:
        assert f"  - {where}:" in proc.stderr


def test_console_script_version() -> None:
    proc = run_script("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"solidcheck {__version__}"


def test_console_script_yaml_list_key_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "listkey.yaml"
    path.write_text("? [a]\n: 1\n", encoding="utf-8")
    proc = run_script("classify", path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
