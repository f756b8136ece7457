"""The dossier table (batch/table/), the synthetic population (batch/synth.py) and their
commands: what a user relies on when moving millions of dossiers between files and tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from solidcheck import DossierError, load_dossier
from solidcheck.batch import (
    DOSSIER_TABLE_SCHEMA,
    dossiers_to_table,
    iter_batches,
    read_table,
    specimens_csv_path,
    table_to_dossiers,
    write_table,
)
from solidcheck.batch import synth as synth_module
from solidcheck.batch import table as table_module
from solidcheck.batch.synth import synthesize, synthesize_batches
from solidcheck.batch.table import files as table_files
from solidcheck.batch.table import model as table_model
from solidcheck.cli import app
from solidcheck.model import Dossier

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
FORMATS = ["parquet", "csv", "jsonl"]

runner = CliRunner()
WriteFile = Callable[[str, str | bytes], Path]


@pytest.fixture(scope="module")
def examples() -> list[Dossier]:
    return [load_dossier(path) for path in EXAMPLE_FILES]


@pytest.fixture(scope="module")
def population() -> pa.Table:
    """100 000 synthetic rows, for the distribution checks."""
    return synthesize(100_000, seed=7)


def problems_of(error: pytest.ExceptionInfo[DossierError]) -> list[str]:
    return [str(p) for p in error.value.problems]


# --- round trips -----------------------------------------------------------------------------

def test_the_examples_fill_every_column(examples: list[Dossier]) -> None:
    table = dossiers_to_table(examples)
    assert table.schema.equals(DOSSIER_TABLE_SCHEMA)
    assert table.num_rows == len(EXAMPLE_FILES) == 16
    for name in DOSSIER_TABLE_SCHEMA.names:
        if name != "evidence":  # no example carries evidence; the synthetic rows do
            assert table.column(name).null_count < table.num_rows, name


@pytest.mark.parametrize("table_format", FORMATS)
def test_examples_round_trip(examples: list[Dossier], tmp_path: Path,
                             table_format: str) -> None:
    path = tmp_path / f"examples.{table_format}"
    table = dossiers_to_table(examples)
    write_table(table, path)
    read = read_table(path)
    assert read.equals(table)
    assert list(table_to_dossiers(read)) == examples
    if table_format == "csv":
        assert specimens_csv_path(path).is_file()


@pytest.mark.parametrize("table_format", FORMATS)
def test_synthetic_rows_round_trip_exactly(tmp_path: Path, table_format: str) -> None:
    """Every value (masses to the last written digit, nulls, evidence) survives each
    format, so a rate exactly at a limit stays exactly at it."""
    table = synthesize(3_000, seed=11)
    path = tmp_path / f"synthetic.{table_format}"
    write_table(table, path)
    assert read_table(path).equals(table)


def with_specimen_ids(dossier: Dossier, prefix: str) -> Dossier:
    """The dossier with its specimens named as a lab names them (``prefix`` + 1, 2, …)."""
    test = dossier.weight_loss_test
    if test is None:
        return dossier
    named = [s.model_copy(update={"id": f"{prefix}{i}-A"})
             for i, s in enumerate(test.specimens, start=1)]
    return dossier.model_copy(update={"weight_loss_test": test.model_copy(
        update={"specimens": named})})


@pytest.mark.parametrize("table_format", FORMATS)
def test_specimen_ids_round_trip(examples: list[Dossier], tmp_path: Path,
                                 table_format: str) -> None:
    """Ids kept by ``dossier build`` (S1-A …) survive every format and the way back; a
    dossier without them stays without."""
    named = [with_specimen_ids(d, "S") if i % 2 else d for i, d in enumerate(examples)]
    assert any(s.id for d in named if d.weight_loss_test for s in d.weight_loss_test.specimens)
    table = dossiers_to_table(named)
    path = tmp_path / f"named.{table_format}"
    write_table(table, path)
    assert read_table(path).equals(table)
    assert list(table_to_dossiers(read_table(path))) == named
    streamed = pa.Table.from_batches(list(iter_batches(path, batch_rows=5)))
    assert list(table_to_dossiers(streamed)) == named


def test_tables_written_before_specimen_ids_still_read(examples: list[Dossier],
                                                       tmp_path: Path) -> None:
    """A Parquet file whose specimens hold masses only: every specimen without an id."""
    table = dossiers_to_table(examples)
    specimens = [None if row is None else [{"mass_before_g": s["mass_before_g"],
                                            "mass_after_g": s["mass_after_g"]} for s in row]
                 for row in table.column("weight_loss_test.specimens").to_pylist()]
    old = table.set_column(table.schema.get_field_index("weight_loss_test.specimens"),
                           "weight_loss_test.specimens", pa.array(specimens))
    assert "id" not in [f.name for f in old.schema.field(
        "weight_loss_test.specimens").type.value_type]
    pq.write_table(old, tmp_path / "old.parquet")
    assert read_table(tmp_path / "old.parquet").equals(table)
    assert list(table_to_dossiers(read_table(tmp_path / "old.parquet"))) == examples
    # a part of such a table (a stream's batch), and one from Polars (large lists)
    assert table_model.conform(old.slice(3, 9)).equals(table.slice(3, 9))
    large = old.cast(old.schema.set(old.schema.get_field_index("weight_loss_test.specimens"),
                                    pa.field("weight_loss_test.specimens", pa.large_list(
                                        old.schema.field("weight_loss_test.specimens")
                                        .type.value_type))))
    assert table_model.conform(large.slice(5)).equals(table.slice(5))


def test_a_bad_specimen_id_is_named_by_row(examples: list[Dossier]) -> None:
    rows = dossiers_to_table(examples[:2]).to_pylist()
    rows[1]["weight_loss_test.specimens"][0]["id"] = "S1\nA"
    with pytest.raises(DossierError) as error:
        list(table_to_dossiers(pa.Table.from_pylist(rows, schema=DOSSIER_TABLE_SCHEMA)))
    assert [p.path for p in error.value.problems] == ["row 2: weight_loss_test.specimens[0].id"]


def test_jsonl_lines_are_dossiers_in_the_dossier_format(examples: list[Dossier],
                                                        tmp_path: Path) -> None:
    path = tmp_path / "examples.jsonl"
    write_table(dossiers_to_table(examples), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [Dossier.model_validate(json.loads(line)) for line in lines] == examples
    # and a JSON Lines file written by hand, from the files' own data, reads the same
    hand = tmp_path / "hand.jsonl"
    hand.write_text("\n".join(json.dumps(d.model_dump(mode="json")) for d in examples)
                    + "\n\n", encoding="utf-8")
    assert list(table_to_dossiers(read_table(hand))) == examples


def test_csv_layout(examples: list[Dossier], tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    write_table(dossiers_to_table(examples), path)
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    assert "weight_loss_test.specimens" not in header
    assert any('"solid;liquid"' in row for row in rows)
    specimens = (tmp_path / "cells.specimens.csv").read_text(encoding="utf-8").splitlines()
    assert specimens[0] == '"id","index","mass_before_g","mass_after_g","specimen_id"'
    assert '"EX-SUL-HE-01",3,52.0457,51.9466,' in specimens  # no id: empty


def test_format_by_name_or_option(tmp_path: Path, examples: list[Dossier]) -> None:
    path = tmp_path / "cells.data"
    with pytest.raises(DossierError, match="cannot tell the table format"):
        write_table(dossiers_to_table(examples), path)
    write_table(dossiers_to_table(examples), path, format="jsonl")
    assert read_table(path, format="jsonl").num_rows == len(examples)


def test_parquet_from_other_tools_is_conformed(tmp_path: Path) -> None:
    """A Parquet file written by Polars or pandas (large strings, integer columns, columns
    in another order, optional columns left out) reads as the same table."""
    table = synthesize(500, seed=3)
    other = table.drop_columns(["evidence", "model"]).select(
        list(reversed(table.drop_columns(["evidence", "model"]).column_names)))
    other = other.set_column(other.schema.get_field_index("id"), "id",
                             other.column("id").cast(pa.large_string()))
    index = other.schema.get_field_index("weight_loss_test.pressure_pa")
    whole_pa = pc.cast(pc.round(other.column(index)), pa.int64())
    other = other.set_column(index, "weight_loss_test.pressure_pa", whole_pa)
    pq.write_table(other, tmp_path / "other.parquet")
    read = read_table(tmp_path / "other.parquet")
    assert read.schema.equals(DOSSIER_TABLE_SCHEMA)
    assert read.column("id").to_pylist() == table.column("id").to_pylist()
    assert read.column("model").null_count == 500
    assert read.column("weight_loss_test.pressure_pa").to_pylist() == whole_pa.cast(
        pa.float64()).to_pylist()


def test_parquet_dataset_folder(tmp_path: Path) -> None:
    table = synthesize(1_000, seed=5)
    folder = tmp_path / "lake"
    folder.mkdir()
    for part in range(4):
        write_table(table.slice(part * 250, 250), folder / f"part-{part}.parquet")
    assert read_table(folder).sort_by("id").equals(table)
    assert sum(b.num_rows for b in iter_batches(folder, batch_rows=100)) == 1_000


# --- streaming -------------------------------------------------------------------------------

@pytest.mark.parametrize("table_format", FORMATS)
def test_streaming_yields_the_rows_of_a_whole_read(tmp_path: Path, table_format: str) -> None:
    table = synthesize(2_500, seed=9)
    path = tmp_path / f"stream.{table_format}"
    write_table(table, path)
    batches = list(iter_batches(path, batch_rows=333))
    assert all(0 < b.num_rows <= 333 for b in batches)
    assert all(b.schema.equals(DOSSIER_TABLE_SCHEMA) for b in batches)
    assert pa.Table.from_batches(batches).equals(read_table(path))


def test_parquet_streams_by_row_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "DEFAULT_ROW_GROUP_ROWS", 1000)
    path = tmp_path / "groups.parquet"
    with table_module.TableWriter(path, row_group_rows=1000) as writer:
        for batch in synthesize_batches(5_000, seed=1):
            writer.write(batch)
    assert pq.ParquetFile(path).num_row_groups == 5
    assert [b.num_rows for b in iter_batches(path, batch_rows=2_000)] == [2_000, 2_000, 1_000]


def test_a_bad_batch_names_rows_of_the_whole_file(tmp_path: Path) -> None:
    data = synthesize(50, seed=2).to_pylist()
    data[42]["weight_loss_test.temperature_c"] = 987.625  # row 43, a value no row has
    path = tmp_path / "late.csv"
    write_table(pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA), path)
    text = path.read_text(encoding="utf-8")
    assert text.count("987.625") == 1
    path.write_text(text.replace("987.625", "hot"), encoding="utf-8")
    batches = iter_batches(path, batch_rows=20)
    assert next(batches).num_rows == 20
    assert next(batches).num_rows == 20
    with pytest.raises(DossierError) as error:
        next(batches)
    assert problems_of(error) == ["row 43: weight_loss_test.temperature_c: not a number "
                                  "(got 'hot') — write a number such as 120 or 0.5, or leave "
                                  "it empty"]


# --- invalid rows ----------------------------------------------------------------------------

def bad_table() -> pa.Table:
    rows = [d.model_dump() for d in (load_dossier(EXAMPLES / "liquid-lfp.yaml"),
                                     load_dossier(EXAMPLES / "between-the-limits.yaml"))]
    table = dossiers_to_table(Dossier.model_validate(r) for r in rows * 3)
    data = table.to_pylist()
    for number, row in enumerate(data, start=1):
        row["id"] = f"{row['id']}-{number}"
    data[1]["weight_loss_test.temperature_c"] = 5000.0  # row 2: out of bounds
    data[3]["electrolyte.solid_type"] = None  # row 4: solid without a type, and…
    data[3]["weight_loss_test.specimens"] = [{"mass_before_g": 50.0, "mass_after_g": None}]
    data[4]["ratings.max_power_w"] = None  # row 5: half the ratings
    data[5]["evidence"] = "[{"  # row 6: evidence that is not JSON
    return pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA)


def test_every_invalid_row_in_one_error() -> None:
    with pytest.raises(DossierError) as error:
        table_to_dossiers(bad_table())
    paths = [p.path for p in error.value.problems]
    assert paths == ["row 2: weight_loss_test.temperature_c",
                     "row 4: electrolyte",
                     "row 4: weight_loss_test.specimens[0].mass_after_g",
                     "row 5: ratings.max_power_w",
                     "row 6: evidence"]
    message = str(error.value)
    assert message.startswith("invalid dossier table: 5 problems")
    assert "solid_type is required" in message and "add this key" in message


def test_the_error_comes_before_any_dossier() -> None:
    """A caller never acts on part of a bad table: the call itself raises."""
    with pytest.raises(DossierError):
        table_to_dossiers(bad_table())
    batch = bad_table().slice(0, 1).to_batches()[0]
    assert len(list(table_to_dossiers(batch))) == 1


def test_rows_are_numbered_from_first_row() -> None:
    with pytest.raises(DossierError) as error:
        table_to_dossiers(bad_table().slice(1, 1), first_row=1001)
    assert [p.path for p in error.value.problems] == [
        "row 1001: weight_loss_test.temperature_c"]


def test_many_invalid_rows_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_model, "MAX_REPORTED_ROWS", 2)
    data = synthesize(10, seed=1).to_pylist()
    for row in data:
        row["conducting_ion"] = "proton"
    table = pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA)
    with pytest.raises(DossierError) as error:
        table_to_dossiers(table)
    problems = problems_of(error)
    assert problems[:2] == [f"row {n}: conducting_ion: Input should be 'lithium', 'sodium' "
                            "or 'other' (got 'proton') — use one of the values listed"
                            for n in (1, 2)]
    assert problems[2].startswith("(top level): … and 8 more invalid rows (10 in all)")


@pytest.mark.parametrize("table_format", FORMATS)
def test_an_invalid_table_reads_but_does_not_convert(tmp_path: Path, table_format: str) -> None:
    """Parquet and CSV keep rows whose values break the dossier rules (the batch path
    reports them); JSON Lines lines are dossiers and are checked as they are read."""
    table = bad_table().drop_columns(["evidence"])
    path = tmp_path / f"bad.{table_format}"
    if table_format == "jsonl":
        lines = [json.dumps(m) for m in table_module.dossier_mappings(table)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(DossierError) as error:
            read_table(path)
        assert str(path) in str(error.value)
    else:
        write_table(table, path)
        with pytest.raises(DossierError) as error:
            table_to_dossiers(read_table(path))
    assert [p.path for p in error.value.problems] == [
        "row 2: weight_loss_test.temperature_c", "row 4: electrolyte",
        "row 4: weight_loss_test.specimens[0].mass_after_g", "row 5: ratings.max_power_w"]


def test_csv_values_of_the_wrong_type(write_file: WriteFile) -> None:
    header = ("id,electrolyte.phases,electrolyte.solid_type,conducting_ion,"
              "weight_loss_test.temperature_c,weight_loss_test.duration_h,"
              "weight_loss_test.pressure_pa,weight_loss_test.visible_liquid\n")
    path = write_file("types.csv", header
                      + "NA,solid,oxide,lithium,120,6,100,false\n"
                      + "B,solid,oxide,lithium,120 °C,6,100,no\n"
                      + "C,solid,oxide,lithium,nan,6 h,1e3,TRUE\n")
    write_file("types.specimens.csv", "id,index,mass_before_g,mass_after_g\n"
               "NA,1,40,39.9\nB,1,40,39.9\nC,1,40,39.9\n")
    with pytest.raises(DossierError) as error:
        read_table(path)
    assert [p.path for p in error.value.problems] == [
        "row 2: weight_loss_test.temperature_c", "row 2: weight_loss_test.visible_liquid",
        "row 3: weight_loss_test.temperature_c", "row 3: weight_loss_test.duration_h"]
    assert "not true or false (got 'no')" in str(error.value)


def test_csv_columns(write_file: WriteFile) -> None:
    path = write_file("cols.csv", "id,electrolyte.phase,conducting_ion,colour\nA,solid,"
                      "lithium,red\n")
    with pytest.raises(DossierError) as error:
        read_table(path)
    assert problems_of(error) == [
        "electrolyte.phase: unknown column — did you mean 'electrolyte.phases'?",
        "colour: unknown column — remove it; the columns are listed in docs/batch.md",
        "electrolyte.phases: required column is missing — add this column"]


def test_empty_required_values(write_file: WriteFile) -> None:
    path = write_file("empty.csv", "id,electrolyte.phases,conducting_ion\n,liquid,lithium\n"
                      "B,liquid,\n")
    with pytest.raises(DossierError) as error:
        read_table(path)
    assert [p.path for p in error.value.problems] == ["row 1: id", "row 2: conducting_ion"]


def test_companion_specimens(write_file: WriteFile) -> None:
    header = ("id,electrolyte.phases,electrolyte.solid_type,conducting_ion,"
              "weight_loss_test.temperature_c,weight_loss_test.duration_h,"
              "weight_loss_test.pressure_pa\n")
    path = write_file("s.csv", header + "A,solid,oxide,lithium,120,6,100\n"
                      "B,liquid,,lithium,,,\nC,solid,oxide,lithium,120,6,100\n")
    # no companion: the tested rows have no specimens, which the dossier rules refuse
    with pytest.raises(DossierError) as error:
        table_to_dossiers(read_table(path))
    assert [p.path for p in error.value.problems] == ["row 1: weight_loss_test.specimens",
                                                      "row 3: weight_loss_test.specimens"]
    # specimens grouped by dossier, in any order within one
    write_file("s.specimens.csv", "id,index,mass_before_g,mass_after_g\n"
               "A,2,30,29.9\nA,1,40,39.9\nC,1,20,19.99\n")
    dossiers = list(table_to_dossiers(read_table(path)))
    assert dossiers[0].weight_loss_test is not None
    assert [s.mass_before_g for s in dossiers[0].weight_loss_test.specimens] == [40.0, 30.0]
    assert dossiers[1].weight_loss_test is None
    assert [s.id for s in dossiers[0].weight_loss_test.specimens] == [None, None]
    # the lab's specimen ids, where given (an empty one: no id)
    write_file("s.specimens.csv", "id,index,mass_before_g,mass_after_g,specimen_id\n"
               "A,2,30,29.9,\nA,1,40,39.9,S1-A\nC,1,20,19.99,C-1\n")
    dossiers = list(table_to_dossiers(read_table(path)))
    assert dossiers[0].weight_loss_test is not None and dossiers[2].weight_loss_test is not None
    assert [s.id for s in dossiers[0].weight_loss_test.specimens] == ["S1-A", None]
    assert [s.id for s in dossiers[2].weight_loss_test.specimens] == ["C-1"]
    # a gap in the numbering
    write_file("s.specimens.csv", "id,index,mass_before_g,mass_after_g\nA,1,40,39.9\n"
               "A,3,30,29.9\nC,1,20,19.99\n")
    with pytest.raises(DossierError, match=r"row 1: weight_loss_test.specimens: specimen "
                       r"indices do not run 1, 2, 3 … \(got \[1, 3\]\)"):
        read_table(path)
    # an id the table does not have
    write_file("s.specimens.csv", "id,index,mass_before_g,mass_after_g\nA,1,40,39.9\n"
               "Z,1,30,29.9\n")
    with pytest.raises(DossierError, match=r"row 2: id: the specimens from here on \(id "
                       "'Z'\\) belong to no dossier"):
        read_table(path)
    # a mass that is not a number
    write_file("s.specimens.csv", "id,index,mass_before_g,mass_after_g\nA,1,40 g,39.9\n")
    with pytest.raises(DossierError, match=r"s.specimens.csv: 1 problem\n  - row 1: "
                       r"mass_before_g: not a number \(got '40 g'\)"):
        read_table(path)


def test_companion_out_of_the_table_order_when_streaming(tmp_path: Path) -> None:
    table = synthesize(40, seed=4).filter(
        pc.is_valid(synthesize(40, seed=4).column("weight_loss_test.temperature_c")))
    path = tmp_path / "order.csv"
    write_table(table, path)
    companion = specimens_csv_path(path)
    header, *rows = companion.read_text(encoding="utf-8").splitlines()
    companion.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    assert read_table(path).equals(table)  # read whole, one batch: any order will do
    with pytest.raises(DossierError, match="not in the table's order"):
        list(iter_batches(path, batch_rows=5))


def test_jsonl_problems_by_line(write_file: WriteFile) -> None:
    good = json.dumps(load_dossier(EXAMPLES / "liquid-lfp.yaml").model_dump(mode="json"))
    path = write_file("lines.jsonl", "\n".join([
        good, "{not json", '{"id": "X", "id": "Y"}', "[1, 2]",
        good.replace('"lithium"', '"proton"'), good]) + "\n")
    with pytest.raises(DossierError) as error:
        read_table(path)
    assert [p.path for p in error.value.problems] == ["row 2", "row 3", "row 4",
                                                      "row 5: conducting_ion"]
    assert "key 'id' appears twice" in str(error.value)


def test_jsonl_bytes(write_file: WriteFile) -> None:
    good = json.dumps(load_dossier(EXAMPLES / "semi-solid-marketed.yaml").model_dump(
        mode="json"), ensure_ascii=False)
    path = write_file("bom.jsonl", "\ufeff".encode() + good.encode() + b"\n"
                      + good.encode("gb18030") + b"\n" + b"[" * 100_000 + b"\n")
    with pytest.raises(DossierError) as error:
        read_table(path)
    assert problems_of(error) == [
        "row 2: not UTF-8 text (byte 88 of the line) — save the file as UTF-8",
        "row 3: nested too deeply to read — a dossier is a few levels deep"]


# --- synth -----------------------------------------------------------------------------------

def test_synth_is_deterministic_per_seed() -> None:
    assert synthesize(2_000, seed=1).equals(synthesize(2_000, seed=1))
    assert not synthesize(2_000, seed=1).equals(synthesize(2_000, seed=2))
    assert synthesize(0, seed=1).num_rows == 0


def test_synth_chunks_do_not_change_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth_module, "CHUNK_ROWS", 1_000)
    batches = list(synthesize_batches(2_500, seed=3))
    assert [b.num_rows for b in batches] == [1_000, 1_000, 500]
    table = pa.Table.from_batches(batches)
    assert table.equals(synthesize(2_500, seed=3))
    ids = table.column("id").to_pylist()
    assert ids[0] == "SYN-3-0000000000" and ids[-1] == "SYN-3-0000002499"
    assert len(set(ids)) == 2_500


def test_synth_rows_are_valid_dossiers(population: pa.Table) -> None:
    sample = population.take(np.random.default_rng(0).choice(100_000, 20_000, replace=False))
    assert len(list(table_to_dossiers(sample))) == 20_000


def share(mask: Any) -> float:
    array = np.asarray(mask, dtype=bool)
    return float(array.mean())


def column(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def test_synth_distributions_match_the_documented_shares(population: pa.Table) -> None:
    """Each documented share, on 100 000 rows, within 4.5 standard errors."""
    def close(observed: float, expected: float, rows: int) -> None:
        tolerance = 4.5 * np.sqrt(expected * (1 - expected) / rows) + 1e-9
        assert abs(observed - expected) <= tolerance, (observed, expected)

    n = population.num_rows
    phases = [";".join(p) for p in population.column("electrolyte.phases").to_pylist()]
    kind = np.array([{"liquid": 0, "solid;liquid": 1, "solid": 2}[p] for p in phases])
    for k, expected in enumerate(synth_module.PHASE_SHARES.values()):
        close(share(kind == k), expected, n)
    solid_type = column(population, "electrolyte.solid_type")
    for name, expected in synth_module.SOLID_TYPE_SHARES.items():
        close(share(solid_type[kind > 0] == name), expected, int((kind > 0).sum()))
    assert share(solid_type[kind == 0] != None) == 0  # noqa: E711 (element-wise)
    for name, expected in synth_module.ION_SHARES.items():
        close(share(column(population, "conducting_ion") == name), expected, n)
    application = column(population, "application")
    for name, expected in synth_module.APPLICATION_SHARES.items():
        close(share(application == name) if name else share(application == None),  # noqa: E711
              expected, n)
    energy = column(population, "ratings.energy_1c_wh")
    power = column(population, "ratings.max_power_w")
    rated = ~np.isnan(energy.astype(float))
    close(share(rated), synth_module.RATINGS_SHARE, n)
    assert np.array_equal(rated, ~np.isnan(power.astype(float)))
    exactly_ten = np.isclose(power[rated].astype(float), energy[rated].astype(float) * 10,
                             rtol=1e-12, atol=0)
    close(share(exactly_ten), 0.05, int(rated.sum()))

    temperature = column(population, "weight_loss_test.temperature_c").astype(float)
    tested = ~np.isnan(temperature)
    for k in (0, 1, 2):
        close(share(tested[kind == k]), synth_module.TEST_SHARE[k], int((kind == k).sum()))
    duration = column(population, "weight_loss_test.duration_h").astype(float)[tested]
    pressure = column(population, "weight_loss_test.pressure_pa").astype(float)[tested]
    t = temperature[tested]
    invalid = (np.abs(t - 120) > 2 + 1e-9) | (duration < 6) | (pressure > 1000)
    m = int(tested.sum())
    close(share(invalid), synth_module.INVALID_CONDITIONS_SHARE, m)
    # every condition's bound, and the first value past it, occurs
    for values, bounds in ((t, (118.0, 122.0, 117.9, 122.1)), (duration, (6.0, 5.9)),
                           (pressure, (1000.0, 1000.1))):
        assert all((values == bound).any() for bound in bounds)
    # exactly 6 h: 60 % of the tests whose duration is not the condition made invalid
    close(share(duration == 6.0), 0.6 * (1 - synth_module.INVALID_CONDITIONS_SHARE / 3), m)
    visible = population.column("weight_loss_test.visible_liquid").filter(pa.array(tested))
    close(visible.null_count / m, synth_module.VISIBLE_NULL_SHARE, m)
    resolution = column(population, "weight_loss_test.balance_resolution_mg").astype(
        float)[tested]
    for value, expected in synth_module.RESOLUTION_SHARES_MG.items():
        observed = share(np.isnan(resolution)) if value is None else share(resolution == value)
        close(observed, expected, m)
    lengths = pc.list_value_length(population.column("weight_loss_test.specimens")).to_numpy(
        zero_copy_only=False)[tested]
    for count, expected in synth_module.SPECIMEN_COUNT_SHARES.items():
        close(share(lengths == count), expected, m)
    evidence = population.column("evidence").filter(pa.array(tested))
    close(1 - evidence.null_count / m, synth_module.EVIDENCE_SHARE, m)


def deciding_rates(table: pa.Table) -> list[Fraction | None]:
    """The largest specimen rate of each row, exactly, from the written decimals."""
    rates: list[Fraction | None] = []
    for specimens in table.column("weight_loss_test.specimens").to_pylist():
        if specimens is None:
            rates.append(None)
            continue
        rates.append(max((Fraction(repr(s["mass_before_g"])) - Fraction(repr(s["mass_after_g"])))
                         / Fraction(repr(s["mass_before_g"])) * 100 for s in specimens))
    return rates


def test_synth_rates_crowd_both_limits_and_sit_exactly_on_them(population: pa.Table) -> None:
    table = population.slice(0, 30_000)
    phases = [";".join(p) for p in table.column("electrolyte.phases").to_pylist()]
    rates = deciding_rates(table)
    solid = [r for p, r in zip(phases, rates, strict=True) if p == "solid" and r is not None]
    hybrid = [r for p, r in zip(phases, rates, strict=True)
              if p == "solid;liquid" and r is not None]
    clusters = synth_module.RATE_CLUSTERS

    def check(rates: list[Fraction], k: int) -> None:
        def close(observed: float, expected: float) -> None:
            assert abs(observed - expected) <= 4.5 * np.sqrt(expected * (1 - expected)
                                                             / len(rates)) + 1e-9
        # exactly on a limit: the documented share, and a few near ones that a coarse
        # balance rounds onto it
        for limit, at, near in ((Fraction(1, 2), "at_0.5", "near_0.5"), (1, "at_1", "near_1")):
            exact = float(np.mean([r == limit for r in rates]))
            expected = clusters[at][k]
            error = 4.5 * np.sqrt(expected * (1 - expected) / len(rates))
            assert expected - error <= exact <= expected + error + clusters[near][k] * 0.2
            crowd = float(np.mean([abs(r - limit) <= Fraction(1, 10) for r in rates]))
            assert crowd >= (clusters[near][k] + expected) * 0.85

    check(solid, synth_module.SOLID)
    check(hybrid, synth_module.HYBRID)
    assert 0.02 < np.mean([r < 0 for r in solid]) < 0.04  # mass gain
    assert min(r for r in rates if r is not None) > -1 and max(
        r for r in rates if r is not None) <= 30


def test_synth_masses_are_steps_of_the_balance(population: pa.Table) -> None:
    table = population.slice(0, 5_000)
    for row in table.select(["weight_loss_test.balance_resolution_mg",
                             "weight_loss_test.specimens"]).to_pylist():
        if row["weight_loss_test.specimens"] is None:
            continue
        step = Fraction(repr(row["weight_loss_test.balance_resolution_mg"] or 0.1)) / 1000
        for specimen in row["weight_loss_test.specimens"]:
            for mass in (specimen["mass_before_g"], specimen["mass_after_g"]):
                assert (Fraction(repr(mass)) / step).denominator == 1, (mass, step)


# --- commands --------------------------------------------------------------------------------

@pytest.mark.parametrize("table_format", FORMATS)
def test_synth_command(tmp_path: Path, table_format: str) -> None:
    path = tmp_path / f"synthetic.{table_format}"
    result = runner.invoke(app, ["synth", "1.5k", "--seed", "4", "-o", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "wrote 1500 synthetic dossiers (seed 4)" in result.stderr
    assert read_table(path).equals(synthesize(1_500, seed=4))


@pytest.mark.parametrize("args", [["abc"], ["10", "--seed", "-1"], ["1.5"]])
def test_synth_command_refuses_bad_arguments(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["synth", *args, "-o", str(tmp_path / "x.parquet")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("table_format", FORMATS)
def test_dossier_table_and_files_commands(tmp_path: Path, examples: list[Dossier],
                                          table_format: str) -> None:
    table = tmp_path / f"examples.{table_format}"
    result = runner.invoke(app, ["dossier", "table", str(EXAMPLES), "-o", str(table)])
    assert result.exit_code == 0, result.stderr
    assert "wrote 16 dossier(s)" in result.stderr
    folder = tmp_path / "files"
    result = runner.invoke(app, ["dossier", "files", str(table), "-o", str(folder)])
    assert result.exit_code == 0, result.stderr
    written = sorted(folder.iterdir())
    assert len(written) == 16
    by_id = {d.id: d for d in examples}
    for path in written:
        dossier = load_dossier(path)
        assert path.name == f"{dossier.id}.yaml"
        assert dossier == by_id[dossier.id]
    again = runner.invoke(app, ["dossier", "files", str(table), "-o", str(folder)])
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert runner.invoke(app, ["dossier", "files", str(table), "-o", str(folder),
                               "--overwrite", "--to", "json"]).exit_code == 0
    assert len(list(folder.glob("*.json"))) == 16


def test_dossier_commands_keep_specimen_ids(tmp_path: Path, examples: list[Dossier]) -> None:
    """Dossier files with specimen ids → `dossier table` (CSV + companion) → `dossier files`:
    the same dossiers, ids included."""
    source = tmp_path / "named"
    source.mkdir()
    named = [with_specimen_ids(d, "L") for d in examples]
    for dossier in named:
        (source / f"{dossier.id}.json").write_text(
            dossier.model_dump_json(exclude_none=True), encoding="utf-8")
    table = tmp_path / "named.csv"
    assert runner.invoke(app, ["dossier", "table", str(source), "-o", str(table)]).exit_code == 0
    folder = tmp_path / "back"
    result = runner.invoke(app, ["dossier", "files", str(table), "-o", str(folder)])
    assert result.exit_code == 0, result.stderr
    back = {d.id: d for d in (load_dossier(path) for path in folder.iterdir())}
    assert [back[d.id] for d in named] == named


def test_dossier_table_command_reports_every_bad_file(tmp_path: Path,
                                                      write_file: WriteFile) -> None:
    bad = write_file("bad.yaml", "id: B\nelectrolyte: {phases: [gas]}\nconducting_ion: x\n")
    twin = write_file("twin.yaml", (EXAMPLES / "liquid-lfp.yaml").read_text(encoding="utf-8"))
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["dossier", "table", str(EXAMPLES), str(bad), str(twin),
                                 str(EXAMPLES / "liquid-lfp.yaml"), "-o", str(out)])
    assert result.exit_code == 2
    assert "electrolyte.phases[0]" in result.stderr and "conducting_ion" in result.stderr
    assert "id 'EX-LIQ-11' is given by 2 files" in result.stderr
    assert not out.exists()


def test_dossier_files_command_reports_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    write_table(bad_table(), path)
    result = runner.invoke(app, ["dossier", "files", str(path), "-o", str(tmp_path / "d")])
    assert result.exit_code == 2
    for row in (2, 4, 5, 6):
        assert f"row {row}: " in result.stderr
    assert not (tmp_path / "d").exists()


def test_dossier_files_names_are_safe(tmp_path: Path) -> None:
    data = synthesize(3, seed=1).to_pylist()
    data[0]["id"], data[1]["id"], data[2]["id"] = "../A/B", "__A_B", "a b"
    path = tmp_path / "ids.parquet"
    write_table(pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA), path)
    folder = tmp_path / "files"
    result = runner.invoke(app, ["dossier", "files", str(path), "-o", str(folder)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["_A_B.yaml", "__A_B.yaml", "a_b.yaml"]


@pytest.mark.parametrize("name", ["missing.parquet", "missing.csv", "missing.jsonl"])
def test_a_missing_table_is_a_clean_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(DossierError, match="cannot read the table"):
        read_table(tmp_path / name)


@pytest.mark.parametrize("name", ["junk.parquet", "junk.csv"])
def test_a_table_that_is_not_one(write_file: WriteFile, name: str) -> None:
    path = write_file(name, b"")
    with pytest.raises(DossierError, match="cannot read the table"):
        read_table(path)


def test_an_empty_table(write_file: WriteFile) -> None:
    header = write_file("empty.csv", "id,electrolyte.phases,conducting_ion\n")
    assert read_table(header).num_rows == 0
    assert read_table(write_file("empty.jsonl", "\n")).schema.equals(DOSSIER_TABLE_SCHEMA)


def test_many_bad_values_are_counted_too(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    """Reading stays bounded in memory and message for a file of millions of bad rows."""
    monkeypatch.setattr(table_model, "MAX_REPORTED_ROWS", 2)
    monkeypatch.setattr(table_files, "MAX_REPORTED_ROWS", 2)
    table = synthesize(10, seed=1)
    nameless = table.set_column(0, pa.field("id", pa.string()), pa.nulls(10, pa.string()))
    with pytest.raises(DossierError) as error:
        table_module.conform(nameless)
    assert [p.path for p in error.value.problems] == ["row 1: id", "row 2: id", ""]
    assert "… and 8 more invalid rows (10 in all)" in str(error.value)
    path = tmp_path / "bad.csv"
    path.write_text("id,electrolyte.phases,conducting_ion,weight_loss_test.duration_h\n"
                    + "".join(f"C{i},solid,lithium,six\n" for i in range(10)), encoding="utf-8")
    with pytest.raises(DossierError) as error:
        read_table(path)
    assert [p.path for p in error.value.problems] == [
        "row 1: weight_loss_test.duration_h", "row 2: weight_loss_test.duration_h", "", ""]
    assert "… and 8 more invalid rows (10 in all)" in str(error.value)
    assert error.value.problems[-1].message.startswith("only rows 1–10 were checked")


def test_dossier_convert_command(tmp_path: Path) -> None:
    original = synthesize(700, seed=6)
    write_table(original, tmp_path / "a.csv")
    for step, (source, target) in enumerate([("a.csv", "b.parquet"), ("b.parquet", "c.jsonl"),
                                             ("c.jsonl", "d.csv")]):
        result = runner.invoke(app, ["dossier", "convert", str(tmp_path / source), "-o",
                                     str(tmp_path / target)])
        assert result.exit_code == 0, (step, result.stderr)
        assert "wrote 700 dossier(s)" in result.stderr
        assert read_table(tmp_path / target).equals(original)
    assert (tmp_path / "d.specimens.csv").read_bytes() == \
        (tmp_path / "a.specimens.csv").read_bytes()
    refused = runner.invoke(app, ["dossier", "convert", str(tmp_path / "a.csv"), "-o",
                                  str(tmp_path / "a.csv")])
    assert refused.exit_code == 2 and "is the input table" in refused.stderr
    unnamed = runner.invoke(app, ["dossier", "convert", str(tmp_path / "a.csv"), "-o",
                                  str(tmp_path / "e.txt")])
    assert unnamed.exit_code == 2 and "name it .parquet, .csv or .jsonl" in unnamed.stderr


def test_dossier_convert_stops_at_an_invalid_row_and_leaves_nothing(tmp_path: Path) -> None:
    data = synthesize(300, seed=2).to_pylist()
    data[250]["conducting_ion"] = "lithum"
    write_table(pa.Table.from_pylist(data, schema=DOSSIER_TABLE_SCHEMA), tmp_path / "a.jsonl")
    result = runner.invoke(app, ["dossier", "convert", str(tmp_path / "a.jsonl"), "-o",
                                 str(tmp_path / "b.csv")])
    assert result.exit_code == 2 and "row 251: conducting_ion" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


def test_a_row_over_the_specimen_limit_is_invalid_in_batch_as_in_classify() -> None:
    """The vectorised check refuses what the Dossier model refuses (issue 13's cap)."""
    from solidcheck.batch.vector import table_problems
    from solidcheck.model import MAX_SPECIMENS

    dossier = load_dossier(EXAMPLES / "sulfide-high-energy.yaml")
    test = dossier.weight_loss_test
    assert test is not None
    many = test.specimens * (MAX_SPECIMENS // len(test.specimens) + 1)
    big = dossier.model_copy(update={"weight_loss_test": test.model_copy(
        update={"specimens": many})})
    problems = table_problems(dossiers_to_table([dossier, big]))
    assert problems and all(p.path.startswith("row 2") for p in problems)
    assert any("specimens" in p.path and str(MAX_SPECIMENS) in p.message for p in problems)
