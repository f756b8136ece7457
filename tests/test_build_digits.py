"""`solidcheck dossier build` writes what the instruments measured (issue 20, item 4): the
weighings' specimen ids kept, masses as the balance printed them, temperatures and pressures
to the log's decimals, durations to the log's clock — never float noise, and never a rounding
that changes the decision. Checked on the shipped lab files and the real thermobalance files
of ../shared/data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import shared_file
from solidcheck import classify, load_ruleset
from solidcheck.build import build_dossier, column_decimals, resolved
from solidcheck.cli import app
from solidcheck.dossier import load_dossier
from solidcheck.model import Dossier, Specimen
from solidcheck.readers import read_evidence

LAB = Path(__file__).parents[1] / "examples" / "lab"
EXAMPLES = LAB.parent
RULESET = load_ruleset()


def decimals_of(value: float) -> int:
    """The decimals of the shortest text that reads back as ``value`` (what YAML writes)."""
    text = repr(value)
    assert "e" not in text, text
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def built(cell: Path | dict[str, object], *, oven_log: Path | None = None,
          weighings: Path | None = None) -> Dossier:
    data = yaml.safe_load(cell.read_text("utf-8")) if isinstance(cell, Path) else cell
    return build_dossier(
        data, ruleset=RULESET,
        oven_log=read_evidence(oven_log, kind="oven_log") if oven_log else None,
        weighings=read_evidence(weighings, kind="weighings") if weighings else None).dossier


def test_the_weighings_specimen_ids_and_masses_are_kept_as_written() -> None:
    dossier = built(LAB / "cell-s1.yaml", oven_log=LAB / "oven-log-s1.csv",
                    weighings=LAB / "weighings-s1.csv")
    with (LAB / "weighings-s1.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    test = dossier.weight_loss_test
    assert test is not None
    assert [s.id for s in test.specimens] == [row["specimen"] for row in rows]
    assert [(repr(s.mass_before_g), repr(s.mass_after_g)) for s in test.specimens] == [
        (row["mass_before_g"], row["mass_after_g"]) for row in rows]
    result = classify(dossier, RULESET)
    assert result.weight_loss is not None
    assert [s.name for s in result.weight_loss.specimens] == ["S1-A", "S1-B", "S1-C"]


def test_the_command_writes_the_logs_resolution_not_float_noise(tmp_path: Path) -> None:
    out = tmp_path / "dossier.yaml"
    run = CliRunner().invoke(app, ["dossier", "build", str(LAB / "cell-s1.yaml"), "--oven-log",
                                   str(LAB / "oven-log-s1.csv"), "--weighings",
                                   str(LAB / "weighings-s1.csv"), "-o", str(out)])
    assert run.exit_code == 0, run.output
    written = out.read_text("utf-8")
    # 6 h 11 min: a log stamped to the second gives 4 decimals of an hour (0.36 s)
    assert "duration_h: 6.1833\n" in written
    assert "temperature_c: 119.97\n" in written  # the log writes 0.01 °C
    assert "6.18333" not in written
    assert "id: S1-A" in written
    dossier = load_dossier(out)
    summary = dossier.evidence[0].summary_params
    assert summary is not None and summary["duration"] == 6.1833  # says what the dossier says
    assert "6 h 11 min" in (dossier.evidence[0].summary or "")


def test_a_chinese_export_with_decimal_commas_kpa_and_mg_adds_no_digits(tmp_path: Path) -> None:
    weighings = tmp_path / "weighings-mg.csv"  # a balance printing milligrams, decimal commas
    weighings.write_text("样品;m0 (mg);m1 (mg)\nA;51203,4;51129,0\nB;50887,1;50812,6\n",
                         encoding="utf-8")
    dossier = built(LAB / "cell-s1.yaml", oven_log=LAB / "oven-log-short-hold-gbk.csv",
                    weighings=weighings)
    test = dossier.weight_loss_test
    assert test is not None
    assert test.duration_h == 4.0083  # minutes with a decimal comma: whole seconds
    assert decimals_of(test.temperature_c) <= 2 and decimals_of(test.pressure_pa) <= 1
    assert [(s.id, s.mass_before_g, s.mass_after_g) for s in test.specimens] == [
        ("A", 51.2034, 51.129), ("B", 50.8871, 50.8126)]


def test_a_thermobalance_keeps_its_microgram_digits_and_drops_float32_noise() -> None:
    log = shared_file("tga-netzsch/DF_FILED_STA_21O2_10K_220222_R1.ngb-ss3")
    cell = {"id": "TGA-1", "electrolyte": {"phases": ["solid"], "solid_type": "oxide"},
            "conducting_ion": "lithium", "weight_loss_test": {"pressure_pa": 50}}
    dossier = built(cell, oven_log=log)
    test = dossier.weight_loss_test
    assert test is not None
    reading = read_evidence(log, kind="oven_log")
    masses = reading.table.column("mass_g").to_pylist()
    assert column_decimals(masses) == 8  # mg to 0.01 µg, stored in g
    for specimen in test.specimens:
        assert decimals_of(specimen.mass_before_g) <= 8
        assert specimen.mass_before_g in [round(m, 8) for m in masses]
    # float32 temperatures (25.895000457763672) are written with the 3 decimals they have
    assert column_decimals(reading.table.column("temperature_c").to_pylist()) == 3
    summary = dossier.evidence[0].summary_params
    assert summary is not None
    assert decimals_of(float(summary["low"])) <= 3 and decimals_of(float(summary["high"])) <= 3
    assert decimals_of(test.duration_h) <= 5  # a clock written to 0.1 s


def test_weighings_without_a_specimen_column_are_numbered(tmp_path: Path) -> None:
    weighings = tmp_path / "masses.csv"
    weighings.write_text("mass_before_g,mass_after_g\n51.2034,51.129\n50.8871,50.8126\n",
                         encoding="utf-8")
    dossier = built(LAB / "cell-s1.yaml", oven_log=LAB / "oven-log-s1.csv",
                    weighings=weighings)
    assert dossier.weight_loss_test is not None
    assert [s.id for s in dossier.weight_loss_test.specimens] == [None, None]
    result = classify(dossier, RULESET)
    assert result.weight_loss is not None
    assert [s.name for s in result.weight_loss.specimens] == ["S1", "S2"]


@pytest.mark.parametrize(("value", "decimals", "bounds", "expected"), [
    (6.183333333333334, 4, (6.0,), 6.1833),
    (5.99996, 4, (6.0,), 5.99996),      # 6.0 would meet the 6 h it does not meet
    (6.00004, 4, (6.0,), 6.00004),      # 6.0 would sit on the bound it passes
    (121.996, 2, (118.0, 122.0), 121.996),
    (119.971, 2, (118.0, 122.0), 119.97),
])
def test_rounding_never_moves_a_value_across_a_bound(
        value: float, decimals: int, bounds: tuple[float, ...], expected: float) -> None:
    assert resolved(value, decimals, bounds=bounds) == expected


def test_a_dossier_without_specimen_ids_dumps_as_before() -> None:
    """Certificates hash the canonical dossier and result: an id never set is never written."""
    dossier = load_dossier(EXAMPLES / "sulfide-high-energy.yaml")
    dumped = dossier.model_dump(mode="json")
    assert all("id" not in s for s in dumped["weight_loss_test"]["specimens"])
    result = classify(dossier, RULESET).model_dump(mode="json")
    assert all("id" not in s for s in result["weight_loss"]["specimens"])
    named = Specimen(id="S1-A", mass_before_g=1.0, mass_after_g=0.99).model_dump()
    assert named["id"] == "S1-A"
