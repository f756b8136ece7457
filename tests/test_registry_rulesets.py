"""Every cell under every installed rule set (issue 20), on SQLite and PostgreSQL: a stored
dossier is classified under each, `registry reclassify` fills the gaps a page of cells per
transaction without writing anything twice, and `registry verify` stays intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck import classify, load_dossier
from solidcheck.cli import app
from solidcheck.errors import UnknownRulesetError
from solidcheck.registry import ReclassifyReport, Registry
from solidcheck.registry.store import every_ruleset
from solidcheck.rules import available_rulesets, ruleset_by_id

EXAMPLES = Path(__file__).parents[1] / "examples"
BETWEEN = EXAMPLES / "between-the-limits.yaml"  # hybrid (national), solid-state (CSAE)
HYBRID = EXAMPLES / "semi-solid-marketed.yaml"
SULFIDE = EXAMPLES / "sulfide-high-energy.yaml"
NATIONAL, CSAE = "gbt-ssb-1-2026", "csae-434-2025"
runner = CliRunner()


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    with Registry.open(database_url, create=True) as opened:
        yield opened


@pytest.fixture
def only_national(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if the CSAE rule set were installed only after the cells were stored."""
    monkeypatch.setattr(every_ruleset, "available_rulesets",
                        lambda: [ruleset_by_id(NATIONAL)])
    yield
    monkeypatch.undo()


def _results_by_ruleset(registry: Registry, cell_id: str) -> dict[str, str]:
    cell = registry.get_cell(cell_id)
    return {r.ruleset: r.result.category for r in cell.results
            if r.version == cell.latest_version}


def test_a_stored_dossier_is_classified_under_every_installed_rule_set(
        registry: Registry) -> None:
    submission = registry.submit(load_dossier(BETWEEN), actor="lab", ruleset=CSAE)
    assert submission.result.ruleset == CSAE  # the one asked for comes first
    assert [r.ruleset for r in submission.other_rulesets] == [NATIONAL]
    for record in (submission.result, *submission.other_rulesets):
        assert record.result == classify(load_dossier(BETWEEN), ruleset_by_id(record.ruleset))
    assert _results_by_ruleset(registry, "EX-SUL-07") == {
        NATIONAL: "hybrid_solid_liquid", CSAE: "solid_state"}
    again = registry.submit(load_dossier(BETWEEN), actor="lab")
    assert not again.new_version and again.result.ruleset == NATIONAL
    assert {again.result.id, *(r.id for r in again.other_rulesets)} == {
        submission.result.id, *(r.id for r in submission.other_rulesets)}
    report = registry.verify_chain()
    assert report.valid and report.entries == 1 + len(available_rulesets()), report.problems


def test_reclassify_fills_the_gaps_once_and_verify_stays_intact(registry: Registry,
                                                                only_national: None) -> None:
    for path in (BETWEEN, HYBRID, SULFIDE):
        registry.submit(load_dossier(path), actor="lab")
    assert registry.cells_without_result(CSAE) == 3
    assert registry.cells_without_result(NATIONAL) == 0
    entries = registry.verify_chain().entries
    with pytest.MonkeyPatch.context() as patch:  # CSAE installed now
        patch.setattr(every_ruleset, "available_rulesets", available_rulesets)
        first = ReclassifyReport.combined(list(registry.reclassify_all(actor="operator")))
        assert first.cells == 3
        tallies = {t.ruleset: (t.written, t.unchanged) for t in first.rulesets}
        assert tallies == {NATIONAL: (0, 3), CSAE: (3, 0)}
        assert registry.cells_without_result(CSAE) == 0
        assert _results_by_ruleset(registry, "EX-SUL-07")[CSAE] == "solid_state"
        report = registry.verify_chain()
        assert report.valid and report.entries == entries + 3, report.problems
        second = ReclassifyReport.combined(list(registry.reclassify_all(actor="operator")))
        assert {t.ruleset: (t.written, t.unchanged) for t in second.rulesets} == {
            NATIONAL: (0, 3), CSAE: (0, 3)}
        assert registry.verify_chain().entries == entries + 3  # nothing written twice
        assert len(registry.get_cell("EX-SUL-07").results) == 2


def test_a_category_that_differs_from_the_cells_last_one_is_counted(
        registry: Registry) -> None:
    registry.submit(load_dossier(BETWEEN), actor="lab")  # CSAE: solid-state
    with pytest.MonkeyPatch.context() as patch:  # version 2 stored under the national only
        patch.setattr(every_ruleset, "available_rulesets", lambda: [ruleset_by_id(NATIONAL)])
        edited = load_dossier(HYBRID).model_copy(update={"id": "EX-SUL-07"})
        assert registry.submit(edited, actor="lab").version == 2
    summary = ReclassifyReport.combined(list(registry.reclassify_all(actor="operator",
                                                                     ruleset=CSAE)))
    assert [t.ruleset for t in summary.rulesets] == [CSAE]  # only the one named
    (tally,) = summary.rulesets
    assert (tally.written, tally.unchanged) == (1, 0)
    assert [(c.before, c.after, c.cells) for c in tally.changes] == [
        ("solid_state", "hybrid_solid_liquid", 1)]


def test_each_page_is_its_own_transaction(registry: Registry, only_national: None) -> None:
    for path in (BETWEEN, HYBRID, SULFIDE):
        registry.submit(load_dossier(path), actor="lab")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(every_ruleset, "available_rulesets", available_rulesets)
        pages = registry.reclassify_all(actor="operator", page_cells=2)
        first = next(pages)
        pages.close()  # stopped after the first page: it stays written
        assert first.cells == 2
        assert registry.cells_without_result(CSAE) == 1
        rest = list(registry.reclassify_all(actor="operator", page_cells=2))
        assert [p.cells for p in rest] == [2, 1]
        assert sum(t.written for p in rest for t in p.rulesets) == 1
        assert registry.verify_chain().valid


def test_a_hidden_result_stays_hidden_when_reclassified(registry: Registry,
                                                        only_national: None) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab", publish=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(every_ruleset, "available_rulesets", available_rulesets)
        list(registry.reclassify_all(actor="operator"))
    assert {r.published for r in registry.get_cell("EX-SUL-HE-01").results} == {False}


def test_an_unknown_rule_set_is_refused_before_anything_is_written(
        registry: Registry) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab")
    entries = registry.verify_chain().entries
    with pytest.raises(UnknownRulesetError, match=CSAE):
        list(registry.reclassify_all(actor="operator", ruleset="csae-434-2099"))
    with pytest.raises(UnknownRulesetError):
        registry.cells_without_result("csae-434-2099")
    assert registry.verify_chain().entries == entries


# --- the command ----------------------------------------------------------------------------


def _load_under_national_only(url: str) -> None:
    assert runner.invoke(app, ["registry", "init", "--database", url]).exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(every_ruleset, "available_rulesets", lambda: [ruleset_by_id(NATIONAL)])
        loaded = runner.invoke(app, ["registry", "load", str(BETWEEN), str(HYBRID),
                                     "--database", url])
    assert loaded.exit_code == 0, loaded.stderr


def test_the_command_reclassifies_reports_and_is_idempotent(database_url: str) -> None:
    _load_under_national_only(database_url)
    first = runner.invoke(app, ["registry", "reclassify", "--database", database_url])
    assert first.exit_code == 0, first.stderr
    assert "2 cell(s)" in first.stdout
    assert f"{CSAE}: 2 result(s) written, 0 already stored" in first.stdout
    assert f"{NATIONAL}: 0 result(s) written, 2 already stored" in first.stdout
    again = runner.invoke(app, ["registry", "reclassify", "--database", database_url,
                                "--format", "json"])
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["cells"] == 2
    assert {t["ruleset"]: t["written"] for t in summary["rulesets"]} == {NATIONAL: 0, CSAE: 0}
    verify = runner.invoke(app, ["registry", "verify", "--database", database_url])
    assert verify.exit_code == 0, verify.stdout


def test_the_command_in_chinese(database_url: str) -> None:
    _load_under_national_only(database_url)
    done = runner.invoke(app, ["--lang", "zh", "registry", "reclassify", "-r", CSAE,
                               "--database", database_url])
    assert done.exit_code == 0, done.stderr
    assert f"{CSAE}：写入结果 2 个" in done.stdout and NATIONAL not in done.stdout


def test_bad_options_are_exit_2_with_every_problem(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    _load_under_national_only(url)
    refused = runner.invoke(app, ["registry", "reclassify", "-r", "gbt-ssb-1-2099",
                                  "--format", "xml", "--database", url])
    assert refused.exit_code == 2
    assert "gbt-ssb-1-2099" in refused.stderr and NATIONAL in refused.stderr
    assert "--format" in refused.stderr and "Traceback" not in refused.stderr
    with Registry.open(url) as registry:
        assert registry.cells_without_result(CSAE) == 2  # nothing written
    missing = runner.invoke(app, ["registry", "reclassify", "--database",
                                  f"sqlite:///{tmp_path / 'none.sqlite3'}"])
    assert missing.exit_code == 2 and "registry init" in missing.stderr
