"""``solidcheck batch`` on this machine: a dossier table streamed in chunks through the
vectorised classifier, results written as Parquet, CSV (+ findings CSV) or JSON Lines, equal
row for row to ``classify``; invalid rows listed across chunks with nothing written."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES, same_value
from solidcheck import Dossier, DossierError, InvalidInputError, classify, load_dossier
from solidcheck.batch.run import classify_file, count_rows, findings_csv_path
from solidcheck.batch.summary import (
    RATE_BIN_PERCENT,
    RATE_BINS,
    BatchSummary,
    RateHistogram,
    result_column,
)
from solidcheck.batch.synth import synthesize
from solidcheck.batch.table import (
    DOSSIER_TABLE_SCHEMA,
    dossiers_to_table,
    specimens_csv_path,
    table_to_dossiers,
    write_table,
)
from solidcheck.batch.vector import RESULT_FIELDS, result_row, results_schema
from solidcheck.cli import app
from solidcheck.i18n import message
from solidcheck.rules import available_rulesets, load_ruleset

runner = CliRunner()
RULESETS = available_rulesets()
NATIONAL = load_ruleset("gbt-ssb-1-2026")
CSAE = load_ruleset("csae-434-2025")
ROWS = 1_500


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Dossier]]:
    """A synthetic table with the example dossiers in the middle, and its dossiers."""
    examples = [load_dossier(p) for p in sorted(EXAMPLES.iterdir())
                if p.suffix in {".yaml", ".json"}]
    synthetic = synthesize(ROWS, seed=11)
    table = pa.concat_tables([synthetic.slice(0, 700), dossiers_to_table(examples),
                              synthetic.slice(700)])
    path = tmp_path_factory.mktemp("population") / "dossiers.parquet"
    write_table(table, path)
    return path, list(table_to_dossiers(table))


FINDING_FIELDS = ("severity", "rule", "message_id", "params", "source", "clause")


def classify_row(dossier: Dossier, ruleset: Any) -> dict[str, Any]:
    """``classify``'s result as a row of the batch results, findings as the fields they are
    written with (parameters read from their JSON)."""
    row = result_row(classify(dossier, ruleset))
    row["findings"] = _readable(row["findings"])
    return row


def _readable(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: json.loads(f[k]) if k == "params" else f[k] for k in FINDING_FIELDS}
            for f in findings]


def assert_rows_equal_classify(rows: list[dict[str, Any]], dossiers: list[Dossier],
                               rulesets: list[Any], *, findings: bool = True) -> None:
    ids = [r.id for r in rulesets]
    assert len(rows) == len(dossiers)
    for dossier, row in zip(dossiers, rows, strict=True):
        assert row["id"] == dossier.id
        for ruleset in rulesets:
            want = classify_row(dossier, ruleset)
            if not findings:
                del want["findings"]
            got = {name: row[result_column(ruleset.id, ids, name)] for name in want}
            if findings:
                got["findings"] = _readable(got["findings"])
            wrong = {name: (got[name], want[name]) for name in want
                     if not same_value(got[name], want[name])}
            assert not wrong, f"{dossier.id} under {ruleset.id}: (batch, classify) = {wrong}"


# --- results equal classify, in every output format ------------------------------------------

def test_parquet_results_equal_classify_across_chunks(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    output = tmp_path / "results.parquet"
    done: list[int] = []
    summary = classify_file(source, output, [NATIONAL, CSAE], chunk_rows=256,
                            on_rows=done.append)
    results = pq.read_table(output)
    assert results.column_names == results_schema([NATIONAL.id, CSAE.id]).names
    assert_rows_equal_classify(results.to_pylist(), dossiers, [NATIONAL, CSAE])
    assert sum(done) == len(dossiers) and len(done) == -(-len(dossiers) // 256)
    assert summary.rows == len(dossiers)


def with_specimen_ids(dossier: Dossier) -> Dossier:
    test = dossier.weight_loss_test
    if test is None:
        return dossier
    return dossier.model_copy(update={"weight_loss_test": test.model_copy(update={
        "specimens": [s.model_copy(update={"id": f"{dossier.id}/S{i}"})
                      for i, s in enumerate(test.specimens, start=1)]})})


def test_specimen_ids_from_a_csv_companion_classify_as_classify(tmp_path: Path) -> None:
    """A CSV table whose companion names the specimens: read, classified in chunks, the same
    results as classify() on the dossiers with their ids; an id no lab writes is refused by
    its row."""
    dossiers = [with_specimen_ids(load_dossier(p)) for p in sorted(EXAMPLES.glob("*.yaml"))]
    source = tmp_path / "named.csv"
    write_table(dossiers_to_table(dossiers), source)
    companion = specimens_csv_path(source).read_text(encoding="utf-8")
    assert f'"{dossiers[0].id}/S1"' in companion
    output = tmp_path / "r.parquet"
    classify_file(source, output, [NATIONAL, CSAE], chunk_rows=5)
    assert_rows_equal_classify(pq.read_table(output).to_pylist(), dossiers, [NATIONAL, CSAE])
    specimens_csv_path(source).write_text(companion.replace(
        f'"{dossiers[0].id}/S1"', '"S1\u0007"'), encoding="utf-8")
    with pytest.raises(DossierError, match=r"row 1: weight_loss_test.specimens\[0\].id"):
        classify_file(source, tmp_path / "r2.parquet", [NATIONAL])
    assert not (tmp_path / "r2.parquet").exists()


def test_chunk_size_does_not_change_results(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    whole, chunked = tmp_path / "whole.parquet", tmp_path / "chunked.parquet"
    classify_file(source, whole, RULESETS, chunk_rows=100_000)
    classify_file(source, chunked, RULESETS, chunk_rows=97)
    assert pq.read_table(whole).to_pylist() == pq.read_table(chunked).to_pylist()


def test_summary_counts_categories_and_moves(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    summary = classify_file(source, tmp_path / "r.parquet", [NATIONAL, CSAE], chunk_rows=300)
    national = [classify(d, NATIONAL).category for d in dossiers]
    csae = [classify(d, CSAE).category for d in dossiers]
    assert summary.categories[NATIONAL.id] == Counter(national)
    assert summary.categories[CSAE.id] == Counter(csae)
    assert summary.moves[CSAE.id] == Counter(zip(national, csae, strict=True))
    changed = sum(a != b for a, b in zip(national, csae, strict=True))
    assert summary.changed(CSAE.id) == changed > 0  # the population crosses both limits
    data = summary.as_dict()
    assert data["changes"][CSAE.id]["changed"] == changed
    assert sum(m["rows"] for m in data["changes"][CSAE.id]["moves"]) == changed
    assert json.loads(json.dumps(data)) == data


def test_without_findings(tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    output = tmp_path / "outcome.parquet"
    classify_file(source, output, [CSAE], findings=False, chunk_rows=500)
    results = pq.read_table(output)
    assert results.column_names == ["id", *(n for n, _ in RESULT_FIELDS if n != "findings")]
    assert_rows_equal_classify(results.to_pylist(), dossiers, [CSAE], findings=False)


def test_csv_results_and_findings_companion(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    output = tmp_path / "results.csv"
    classify_file(source, output, [NATIONAL, CSAE], chunk_rows=400)
    schema = results_schema([NATIONAL.id, CSAE.id])
    plain = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                       for f in schema if not f.name.endswith(".findings")])
    main = pa_csv.read_csv(output, convert_options=pa_csv.ConvertOptions(
        column_types=plain, strings_can_be_null=True))
    assert main.column_names == plain.names
    findings = pa_csv.read_csv(findings_csv_path(output)).to_pylist()
    listed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in findings:
        listed.setdefault((finding["id"], finding["ruleset"]), []).append(finding)
    rows = main.to_pylist()
    for row in rows:
        for rid in (NATIONAL.id, CSAE.id):
            found = listed.get((row["id"], rid), [])
            assert [f["index"] for f in found] == list(range(1, len(found) + 1))
            row[f"{rid}.findings"] = [{k: f[k] for k in FINDING_FIELDS} for f in found]
    assert_rows_equal_classify(rows, dossiers, [NATIONAL, CSAE])


def test_jsonl_results(tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    output = tmp_path / "results.jsonl"
    classify_file(source, output, [NATIONAL], chunk_rows=600)
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert_rows_equal_classify(rows, dossiers, [NATIONAL])


def test_csv_and_jsonl_inputs_give_the_parquet_results(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    reference = tmp_path / "reference.parquet"
    classify_file(source, reference, RULESETS)
    for kind in ("csv", "jsonl"):
        table = tmp_path / f"dossiers.{kind}"
        write_table(dossiers_to_table(dossiers), table)
        output = tmp_path / f"from-{kind}.parquet"
        classify_file(table, output, RULESETS, chunk_rows=333)
        assert pq.read_table(output).to_pylist() == pq.read_table(reference).to_pylist(), kind


def test_an_empty_table(tmp_path: Path) -> None:
    source = tmp_path / "empty.parquet"
    write_table(DOSSIER_TABLE_SCHEMA.empty_table(), source)
    summary = classify_file(source, tmp_path / "r.parquet", RULESETS)
    assert summary.rows == 0 and pq.read_table(tmp_path / "r.parquet").num_rows == 0
    assert summary.as_dict()["categories"] == {r.id: {} for r in RULESETS}


def test_count_rows_from_parquet_metadata(population: tuple[Path, list[Dossier]],
                                          tmp_path: Path) -> None:
    source, dossiers = population
    assert count_rows(source) == len(dossiers)
    assert count_rows(tmp_path / "x.csv") is None


# --- invalid input: every row listed, nothing written -----------------------------------------

def invalid_table(tmp_path: Path, bad_rows: list[int], *, rows: int = 900) -> Path:
    data = synthesize(rows, seed=5).to_pylist()
    for row in bad_rows:  # numbered from 1, as the messages number them
        data[row - 1]["conducting_ion"] = "lithium-ish"
    path = tmp_path / "invalid.parquet"
    write_table(pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA), path)
    return path


def test_invalid_rows_of_every_chunk_in_one_error(tmp_path: Path) -> None:
    source = invalid_table(tmp_path, [3, 250, 251, 899])
    output = tmp_path / "results.csv"
    output.write_text("earlier results\n", encoding="utf-8")
    with pytest.raises(DossierError) as error:
        classify_file(source, output, [NATIONAL], chunk_rows=200)
    rows = [p.path.split(":")[0] for p in error.value.problems]
    assert rows == ["row 3", "row 250", "row 251", "row 899"]
    assert all("conducting_ion" in p.path and p.fix for p in error.value.problems)
    assert output.read_text(encoding="utf-8") == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invalid.parquet", "results.csv"]


def test_many_invalid_rows_are_listed_up_to_the_cap(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("solidcheck.batch.run.MAX_REPORTED_ROWS", 5)
    source = invalid_table(tmp_path, list(range(1, 901, 50)))
    with pytest.raises(DossierError) as error:
        classify_file(source, tmp_path / "r.parquet", [NATIONAL], chunk_rows=100)
    problems = error.value.problems
    assert [p.path.split(":")[0] for p in problems[:-1]] == [
        "row 1", "row 51", "row 101", "row 151", "row 201"]
    assert "more invalid rows" in problems[-1].message
    assert not (tmp_path / "r.parquet").exists()


def test_an_unreadable_input(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="cannot read the table"):
        classify_file(tmp_path / "missing.parquet", tmp_path / "r.parquet", [NATIONAL])
    assert list(tmp_path.iterdir()) == []


# --- the command -----------------------------------------------------------------------------

def test_batch_command_compares_rule_sets(tmp_path: Path,
                                          population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    output = tmp_path / "results.parquet"
    result = runner.invoke(app, ["batch", str(source), "-o", str(output),
                                 "-r", NATIONAL.id, "-r", CSAE.id])
    assert result.exit_code == 0, result.stderr
    assert f"classified {len(dossiers)} dossier(s)" in result.stderr
    changed = sum(classify(d, NATIONAL).category != classify(d, CSAE).category
                  for d in dossiers)
    assert f"{changed} dossier(s) change category from {NATIONAL.id} to {CSAE.id}" \
        in result.stdout
    solid = sum(classify(d, NATIONAL).category == "solid_state" for d in dossiers)
    assert any(line.split()[:2] == ["│", "solid-state"] and str(solid) in line
               for line in result.stdout.splitlines())
    assert pq.read_table(output).num_rows == len(dossiers)


def test_batch_command_json_summary(tmp_path: Path,
                                    population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.jsonl"),
                                 "--no-findings", "--summary", "json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == len(dossiers) and summary["rulesets"] == [NATIONAL.id]
    assert summary["categories"][NATIONAL.id] == dict(sorted(Counter(
        classify(d, NATIONAL).category for d in dossiers).items()))
    first = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "findings" not in first and first["id"] == dossiers[0].id


def test_batch_command_with_invalid_rows(tmp_path: Path) -> None:
    source = invalid_table(tmp_path, [7, 800])
    output = tmp_path / "r.parquet"
    result = runner.invoke(app, ["batch", str(source), "-o", str(output)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "row 7: conducting_ion" in result.stderr and "row 800: conducting_ion" in \
        result.stderr
    assert not output.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["-r", "no-such-rules", "-r", "nor-these"], "no-such-rules"),
    (["-r", "gbt-ssb-1-2026", "-r", "gbt-ssb-1-2026"], "given twice"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--engine dask"),
])
def test_batch_command_refuses_bad_options(tmp_path: Path, args: list[str],
                                           message: str,
                                           population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.parquet"),
                                 *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "r.parquet").exists()


def test_batch_summary_of_one_chunk_adds_up() -> None:
    table = synthesize(300, seed=2)
    from solidcheck.batch.vector import classify_table

    results = classify_table(table, [NATIONAL, CSAE])
    whole = BatchSummary.of(results, [NATIONAL.id, CSAE.id])
    parts = BatchSummary((NATIONAL.id, CSAE.id))
    for start in range(0, 300, 70):
        parts.add(BatchSummary.of(results.slice(start, 70), [NATIONAL.id, CSAE.id]))
    assert parts.as_dict() == whole.as_dict()


def test_summary_of_categories_however_encoded() -> None:
    """Chunks with their own dictionaries (rows decided one by one are spliced in so) and
    plain strings (results read back from a file) are counted as the same words."""
    national = ["liquid", "solid_state", "solid_state", "undetermined", "hybrid_solid_liquid"]
    csae = ["liquid", "hybrid_solid_liquid", "solid_state", "undetermined", "solid_state"]
    rates = pa.array([None, 0.7, 0.2, None, 1.4])
    ids = [NATIONAL.id, CSAE.id]
    table = pa.table({
        f"{NATIONAL.id}.category": pa.chunked_array([pa.array(national[:2]).dictionary_encode(),
                                                     pa.array(national[2:]).dictionary_encode()]),
        f"{CSAE.id}.category": pa.array(csae, pa.large_string()),
        f"{NATIONAL.id}.weight_loss.percent": rates,
        f"{CSAE.id}.weight_loss.percent": rates})
    summary = BatchSummary.of(table, ids)
    assert summary.categories == {NATIONAL.id: Counter(national), CSAE.id: Counter(csae)}
    assert summary.moves[CSAE.id] == Counter(zip(national, csae, strict=True))
    assert summary.changed(CSAE.id) == 2


def test_batch_command_output_format_and_engine_options(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.txt")])
    assert result.exit_code == 2 and "name it .parquet, .csv or .jsonl" in result.stderr
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r"),
                                 "--engine", "dask", "--jobs", "2"])
    assert result.exit_code == 2 and "for the local engine" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_jobs_do_not_change_results(tmp_path: Path,
                                    population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    one, three = tmp_path / "one.parquet", tmp_path / "three.parquet"
    classify_file(source, one, RULESETS, chunk_rows=200, jobs=1)
    classify_file(source, three, RULESETS, chunk_rows=200, jobs=3)
    assert pq.read_table(one).to_pylist() == pq.read_table(three).to_pylist()


def test_the_results_never_replace_the_input(tmp_path: Path) -> None:
    source = tmp_path / "dossiers.csv"
    write_table(synthesize(50, seed=1), source)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for output in (source, tmp_path / "dossiers.specimens.csv", tmp_path / "." / "dossiers.csv"):
        with pytest.raises(InvalidInputError, match="is the input table"):
            classify_file(source, output, [NATIONAL])
    result = runner.invoke(app, ["batch", str(source), "-o", str(source)])
    assert result.exit_code == 2 and "write the results to another file" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_missing_output_folder(tmp_path: Path,
                                 population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "no" / "r.csv")])
    assert result.exit_code == 2 and "there is no folder" in result.stderr
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


# --- the summary's rates and its plot ----------------------------------------------------------

def test_rate_histogram_counts_every_tested_dossier(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    summary = classify_file(source, tmp_path / "r.parquet", [NATIONAL, CSAE], chunk_rows=400)
    for ruleset in (NATIONAL, CSAE):
        rates = [r.weight_loss.percent for r in (classify(d, ruleset) for d in dossiers)
                 if r.weight_loss is not None and r.weight_loss.percent is not None]
        histogram = summary.rates[ruleset.id]
        expected = Counter(math.floor(rate * 40) for rate in rates)
        assert histogram.below == sum(n for k, n in expected.items() if k < 0)
        assert histogram.above == sum(n for k, n in expected.items() if k >= RATE_BINS)
        assert histogram.counts.tolist() == [expected[k] for k in range(RATE_BINS)]
    assert summary.rates[NATIONAL.id].counts[20] > 0  # the population sits on the limit


def test_a_rate_on_a_limit_starts_its_bin() -> None:
    histogram = RateHistogram.of(pa.array([0.5, 1.0, 0.4999999999, -0.1, 2.5, None]))
    assert histogram.counts[20] == 1 and histogram.counts[40] == 1
    assert histogram.counts[19] == 1 and histogram.below == 1 and histogram.above == 1
    assert RATE_BIN_PERCENT * RATE_BINS == 2.5


def test_batch_command_draws_the_summary(tmp_path: Path,
                                         population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    svg = tmp_path / "summary.svg"
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.parquet"),
                                 "-r", NATIONAL.id, "-r", CSAE.id, "--plot", str(svg)])
    assert result.exit_code == 0, result.stderr
    texts = "".join(ElementTree.parse(svg).getroot().itertext())
    for words in (f"{len(dossiers)} dossiers by category", "hybrid solid-liquid",
                  f"{NATIONAL.id}  ≤ 0.5 %", f"{CSAE.id}  < 1 %", "dossiers with a test"):
        assert words in texts
    png = tmp_path / "summary.png"
    assert runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.parquet"),
                               "--plot", str(png)]).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "s.parquet"),
                                  "--plot", str(tmp_path / "summary.gif")])
    assert refused.exit_code == 2 and "name it .svg, .png or .pdf" in refused.stderr
    assert not (tmp_path / "s.parquet").exists()


def test_batch_command_draws_the_summary_in_chinese(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, dossiers = population
    svg = tmp_path / "summary.svg"
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.parquet"),
                                 "--findings", "none", "--lang", "zh", "--plot", str(svg)])
    assert result.exit_code == 0, result.stderr
    texts = "".join(ElementTree.parse(svg).getroot().itertext())
    for words in (f"{len(dossiers)} 份档案", "混合固液电池", "固态电池", "失重率"):
        assert words in texts
    assert "dossiers" not in texts and "solid-state" not in texts


# --- findings as ids, as text, or none; the language ----------------------------------------

def test_findings_as_text_in_chinese(tmp_path: Path,
                                     population: tuple[Path, list[Dossier]]) -> None:
    """--findings text --lang zh: every finding's message is the catalogue's Chinese text of
    its id and parameters; the summary is in Chinese; the ids and parameters are kept."""
    source, dossiers = population
    output = tmp_path / "results.csv"
    result = runner.invoke(app, ["batch", str(source), "-o", str(output), "-r", NATIONAL.id,
                                 "-r", CSAE.id, "--findings", "text", "--lang", "zh"])
    assert result.exit_code == 0, result.stderr
    findings = pa_csv.read_csv(findings_csv_path(output)).to_pylist()
    assert {f["message_id"] for f in findings} >= {"weight_loss.temperature_within",
                                                   "decision.solid_state"}
    for finding in findings:
        assert finding["message"] == message(finding["message_id"],
                                             json.loads(finding["params"]), "zh")
    assert any("失重率" in f["message"] for f in findings)
    assert f"{len(dossiers)} 份档案" in result.stdout and "类别" in result.stdout
    assert "固态电池" in result.stdout and "dossiers" not in result.stdout
    assert "已判定" in result.stderr


def test_findings_as_text_default_language_from_the_environment(
        tmp_path: Path, population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    english, chinese = tmp_path / "en.parquet", tmp_path / "zh.parquet"
    assert runner.invoke(app, ["batch", str(source), "-o", str(english), "--findings",
                               "text"], env={"SOLIDCHECK_LANG": ""}).exit_code == 0
    assert runner.invoke(app, ["batch", str(source), "-o", str(chinese), "--findings",
                               "text"], env={"SOLIDCHECK_LANG": "zh-CN"}).exit_code == 0
    for path, lang in ((english, "en"), (chinese, "zh")):
        rows = pq.read_table(path).column("findings").to_pylist()
        found = [f for row in rows for f in row]
        assert found and all(f["message"] == message(f["message_id"], json.loads(
            f["params"]), lang) for f in found)
    ids = pq.read_table(english).drop_columns(["findings"])
    assert ids.equals(pq.read_table(chinese).drop_columns(["findings"]))


def test_findings_ids_by_default_and_none(tmp_path: Path,
                                          population: tuple[Path, list[Dossier]]) -> None:
    """ids is the default (no text); none and its synonym --no-findings leave them out and
    agree; --no-findings with another --findings is refused."""
    source, _ = population
    default, none, synonym = (tmp_path / f"{n}.parquet" for n in ("ids", "none", "no"))
    assert runner.invoke(app, ["batch", str(source), "-o", str(default)]).exit_code == 0
    assert runner.invoke(app, ["batch", str(source), "-o", str(none), "--findings",
                               "none"]).exit_code == 0
    assert runner.invoke(app, ["batch", str(source), "-o", str(synonym),
                               "--no-findings"]).exit_code == 0
    finding = pq.read_table(default).column("findings").to_pylist()[0][0]
    assert set(finding) == set(FINDING_FIELDS)
    assert "findings" not in pq.read_table(none).column_names
    assert pq.read_table(none).equals(pq.read_table(synonym))
    assert pq.read_table(none).equals(pq.read_table(default).drop_columns(["findings"]))
    refused = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "x.parquet"),
                                  "--no-findings", "--findings", "text"])
    assert refused.exit_code == 2 and "--no-findings" in refused.stderr
    bad = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "x.parquet"),
                              "--lang", "fr"])
    assert bad.exit_code == 2 and "unknown language" in bad.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_every_bad_option_in_one_message(tmp_path: Path,
                                        population: tuple[Path, list[Dossier]]) -> None:
    source, _ = population
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "r.txt"),
                                 "-r", "no-such-rules", "--scheduler", "tcp://h:8786",
                                 "--plot", str(tmp_path / "missing" / "p.svg")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    for words in ("no-such-rules", "name it .parquet, .csv or .jsonl", "--engine dask",
                  "--plot: there is no folder"):
        assert words in result.stderr
    assert list(tmp_path.iterdir()) == []
