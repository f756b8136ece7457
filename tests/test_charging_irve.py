"""solidcheck charging ingest on France's IRVE files (dynamique statuses, sessions, statique
inventory), written here with the quirks real exports have: a BOM, ``;`` delimiters, decimal
commas, epoch milliseconds, +01:00/+02:00 offsets, ``inconnu`` statuses and bad rows."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError
from solidcheck.readers.contract import without_module

PDC = "FRS63E0001"
PDC2 = "FRS63E0002"

DYNAMIQUE_CSV = (
    "\ufeffid_pdc_itinerance;etat_pdc;occupation_pdc;horodatage;etat_prise_type_2;"
    "etat_prise_type_combo_ccs\n"
    f"{PDC};en_service;libre;2026-03-28T23:30:00+01:00;fonctionnel;fonctionnel\n"
    f"{PDC};en_service;occupe;2026-03-29T03:15:00+02:00;fonctionnel;fonctionnel\n"
    f"{PDC};en_service;reserve;2026-03-29T04:00:00+02:00;fonctionnel;fonctionnel\n"
    "\n"
    f"{PDC2};hors_service;inconnu;2026-03-29T05:00:00+02:00;hors_service;inconnu\n"
    f"{PDC2};inconnu;inconnu;2026-03-29T06:00:00+02:00;inconnu;inconnu\n"
    f"{PDC2};en_service;inconnu;2026-03-29T07:00:00+02:00;inconnu;inconnu\n"
    f"{PDC2};en_service;plein;2026-03-29T08:00:00+02:00;fonctionnel;fonctionnel\n"
    f"{PDC2};en_service;libre;2026-03-29T08:00:00;fonctionnel;fonctionnel\n"
    f"{PDC2};en_service;libre\n"
)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _tables(*paths: Path) -> dict[str, list[dict[str, object]]]:
    return {name: table.to_pylist() for name, table in ingest(list(paths)).tables.items()}


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_dynamique_statuses_become_port_states_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "dynamique.csv"
    path.write_text(DYNAMIQUE_CSV, encoding="utf-8")
    events = _tables(path)["port_events"]
    assert [(e["port_id"], e["state"]) for e in events] == [
        (PDC, "available"), (PDC, "occupied"), (PDC, "reserved"),
        (PDC2, "unavailable"), (PDC2, "unknown"), (PDC2, "available")]
    # the night France moves from +01:00 to +02:00: 23:30+01 is 22:30 UTC, 03:15+02 is 01:15
    assert [e["ts"] for e in events[:2]] == [_utc("2026-03-28T22:30:00"),
                                            _utc("2026-03-29T01:15:00")]
    assert events[3]["raw_status"] == "hors_service/inconnu"
    assert events[4]["raw_status"] == "inconnu/inconnu"
    # in service, occupation unknown: available (docs/charging.md rule 5), the inconnu kept
    assert events[5]["raw_status"] == "en_service/inconnu"
    assert [e["line"] for e in events] == [2, 3, 4, 6, 7, 8]
    assert {e["station_id"] for e in events} == {PDC, PDC2}


def test_bad_dynamique_rows_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "dynamique.csv"
    path.write_text(DYNAMIQUE_CSV, encoding="utf-8")
    result = ingest([path])
    rejected = result.tables["rejected"].to_pylist()
    assert [(r["source"], r["line"], r["reason"]) for r in rejected] == [
        (str(path), 9, "charging.rejected.irve_occupation"),
        (str(path), 10, "charging.rejected.irve_no_offset"),
        (str(path), 11, "charging.rejected.irve_cells")]
    assert rejected[0]["detail"] == "plein"
    (summary,) = result.inputs
    # nothing dropped: 6 rows + 3 rejected + header + blank line = the file's 11 lines
    assert (summary.format, summary.rows, summary.rejected, summary.other_lines) == (
        "irve-dynamique", 6, 3, 2)


def test_dynamique_as_gzipped_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "statuses.data"
    rows = [{"id_pdc_itinerance": PDC, "etat_pdc": "en_service", "occupation_pdc": "occupe",
             "horodatage": "2026-07-01T12:00:00+02:00", "id_station_itinerance": "FRS63P0001"},
            "{not json"]
    path.write_bytes(gzip.compress(_jsonl(tmp_path / "x", rows).read_bytes()))
    tables = _tables(path)
    assert [(e["state"], e["ts"], e["station_id"]) for e in tables["port_events"]] == [
        ("occupied", _utc("2026-07-01T10:00:00"), "FRS63P0001")]
    assert [(r["line"], r["reason"]) for r in tables["rejected"]] == [
        (2, "charging.rejected.not_json")]


def test_sessions_give_utc_times_durations_and_energy_in_wh(tmp_path: Path) -> None:
    path = tmp_path / "sessions.csv"
    path.write_text(
        "id_pdc_itinerance,start,end,energy\n"
        f"{PDC},2026-01-15T08:00:00+01:00,2026-01-15T08:45:30+01:00,12.5\n"
        f"{PDC},1784368800000,1784374200000,30\n"  # epoch ms: 2026-07-18 10:00 → 11:30 UTC
        f"{PDC2},2026-07-18T12:00:00+02:00,1784368860000,7\n"  # mixed: 10:00 → 10:01 UTC
        f"{PDC2},2026-07-18T12:00:00+02:00,2026-07-18T11:00:00+02:00,3\n"
        f"{PDC2},2026-07-18T12:00:00+02:00,2026-07-18T13:00:00+02:00,beaucoup\n"
        f",2026-07-18T12:00:00+02:00,2026-07-18T13:00:00+02:00,1\n", encoding="utf-8")
    tables = _tables(path)
    sessions = tables["sessions"]
    assert [(s["port_id"], s["start"], s["end"]) for s in sessions] == [
        (PDC, _utc("2026-01-15T07:00:00"), _utc("2026-01-15T07:45:30")),
        (PDC, _utc("2026-07-18T10:00:00"), _utc("2026-07-18T11:30:00")),
        (PDC2, _utc("2026-07-18T10:00:00"), _utc("2026-07-18T10:01:00"))]
    assert [s["duration_s"] for s in sessions] == [2730.0, 5400.0, 60.0]
    assert [s["energy_wh"] for s in sessions] == [12500.0, 30000.0, 7000.0]
    assert [(r["line"], r["reason"]) for r in tables["rejected"]] == [
        (5, "charging.rejected.irve_end_before_start"),
        (6, "charging.rejected.irve_number"),
        (7, "charging.rejected.irve_missing")]


def test_sessions_as_json_lines_with_port_id_and_numbers(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "sessions.jsonl", [
        {"port_id": PDC, "start": 1784368800000, "end": 1784368800000 + 90_000,
         "energy": 0.75},
        [1, 2]])
    tables = _tables(path)
    assert [(s["duration_s"], s["energy_wh"]) for s in tables["sessions"]] == [(90.0, 750.0)]
    assert [r["reason"] for r in tables["rejected"]] == ["charging.rejected.not_an_object"]


def test_statique_inventory_from_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "irve_statique.csv"
    path.write_text(
        "\ufeffnom_amenageur;nom_operateur;id_station_itinerance;id_pdc_itinerance;"
        "puissance_nominale;horaires;date_mise_en_service\n"
        f"Réseau A;Opérateur B;FRS63P0001;{PDC};22;24/7;2021-06-30\n"
        f'Réseau A;;FRS63P0001;{PDC2};"7,4";"Mo-Fr 08:00-19:00; Sa 09:00-12:00";\n'
        "Réseau A;Opérateur B;FRS63P0001;FRS63E0003;vingt-deux;24/7;2021-06-30\n"
        "Réseau A;Opérateur B;FRS63P0001;FRS63E0004;22;24/7;30/06/2021\n", encoding="utf-8")
    tables = _tables(path)
    assert tables["inventory"] == [
        {"port_id": PDC, "station_id": "FRS63P0001", "power_kw": 22.0, "opening_hours": "24/7",
         "commissioned": date(2021, 6, 30), "operator": "Opérateur B", "source": str(path),
         "line": 2},
        {"port_id": PDC2, "station_id": "FRS63P0001", "power_kw": 7.4,
         "opening_hours": "Mo-Fr 08:00-19:00; Sa 09:00-12:00", "commissioned": None,
         "operator": None, "source": str(path), "line": 3}]
    assert [(r["line"], r["reason"]) for r in tables["rejected"]] == [
        (4, "charging.rejected.irve_number"), (5, "charging.rejected.irve_date")]


def test_statique_inventory_from_a_geojson_document(tmp_path: Path) -> None:
    path = tmp_path / "irve.json"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.08, 45.77]},
               "properties": {"id_pdc_itinerance": PDC, "id_station_itinerance": "FRS63P0001",
                              "puissance_nominale": 150, "horaires": "24/7",
                              "date_mise_en_service": "2024-02-01"}}
    broken = {**feature, "properties": {**feature["properties"], "id_station_itinerance": ""}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, broken]},
                               indent=2))
    tables = _tables(path)
    assert [(i["port_id"], i["power_kw"], i["line"]) for i in tables["inventory"]] == [
        (PDC, 150.0, 1)]
    assert [(r["line"], r["reason"], r["detail"]) for r in tables["rejected"]] == [
        (2, "charging.rejected.irve_missing", "id_station_itinerance")]


def test_irve_files_alone_need_no_ocpp_library(tmp_path: Path) -> None:
    path = tmp_path / "dynamique.csv"
    path.write_text(DYNAMIQUE_CSV, encoding="utf-8")
    with without_module("ocpp"):
        result = ingest([path])
    assert result.tables["port_events"].num_rows == 6
    assert result.tables["frames"].num_rows == 0


def test_a_csv_that_is_not_irve_is_still_refused_as_an_unknown_log(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id_pdc_itinerance;puissance_nominale\nX;22\n")
    with pytest.raises(ChargingInputError) as caught:
        ingest([path])
    assert [p.path for p in caught.value.problems] == [str(path)]


def test_the_cli_ingests_irve_files_beside_an_ocpp_log(tmp_path: Path) -> None:
    dynamique = tmp_path / "dynamique.csv"
    dynamique.write_text(DYNAMIQUE_CSV, encoding="utf-8")
    sessions = _jsonl(tmp_path / "sessions.jsonl", [
        {"id_pdc_itinerance": PDC, "start": "2026-01-15T08:00:00+01:00",
         "end": "2026-01-15T09:00:00+01:00", "energy": 20}])
    ocpp = _jsonl(tmp_path / "ocpp.jsonl", [
        {"ts": "2026-01-01T00:00:00Z", "charge_point_id": "CP", "direction": "in",
         "frame": [2, "1", "Heartbeat", {}], "ocpp_version": "2.0.1"}])
    out = tmp_path / "tables"
    result = CliRunner().invoke(app, ["charging", "ingest", str(dynamique), str(sessions),
                                      str(ocpp), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{dynamique} — irve-dynamique" in result.output
    assert "6 row(s), 3 rejected line(s)" in result.output
    assert f"rejected {dynamique}:9: occupation_pdc plein is none of" in result.output
    assert "1 session(s), 0 inventory row(s)" in result.output
    assert "Heartbeat: 1 / 0 / 0" in result.output
    assert pq.read_table(out / "sessions.parquet").column("energy_wh").to_pylist() == [20000.0]
    assert pq.read_table(out / "port_events.parquet").num_rows == 6
    zh = CliRunner().invoke(app, ["charging", "ingest", str(dynamique), "-o", str(out),
                                  "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "0 个充电会话，0 条设施清单记录" in zh.output
    assert "occupation_pdc 的值 plein 不是" in zh.output
