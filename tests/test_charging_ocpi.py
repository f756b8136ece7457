"""solidcheck charging ingest on OCPI 2.2.1 exports as operators produce them: a Locations
response with nested EVSEs (gzip), EVSE status events as JSON Lines (whole EVSEs and
PATCH-like objects), CDR lists; bad rows rejected with their reasons."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.cli import app


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _tables(*paths: Path) -> dict[str, list[dict[str, object]]]:
    return {name: table.to_pylist() for name, table in ingest(list(paths)).tables.items()}


def _evse(uid: str, status: str, updated: str, **extra: object) -> dict[str, object]:
    return {"uid": uid, "status": status, "capabilities": ["RFID_READER"],
            "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                            "power_type": "AC_3_PHASE", "max_voltage": 230,
                            "max_amperage": 32, "last_updated": updated}],
            "last_updated": updated, **extra}


LOCATIONS = {
    "data": [
        {"country_code": "NL", "party_id": "EXA", "id": "LOC1", "publish": True,
         "address": "Keizersgracht 585", "city": "Amsterdam", "country": "NLD",
         "coordinates": {"latitude": "52.364", "longitude": "4.888"},
         "evses": [_evse("3256", "CHARGING", "2026-03-01T08:00:00Z", evse_id="NL*EXA*E3256"),
                   _evse("3257", "OUTOFORDER", "2026-03-01T09:30:00"),
                   _evse("3258", "BLOCKED", "2026-03-01T09:45:00+01:00"),
                   _evse("3259", "BROKEN", "2026-03-01T09:00:00Z")],
         "last_updated": "2026-03-01T09:45:00Z"},
        {"country_code": "NL", "party_id": "EXA", "id": "LOC2", "publish": True,
         "coordinates": {"latitude": "52.1", "longitude": "4.3"}, "evses": [],
         "last_updated": "2026-03-01T09:45:00Z"},
    ],
    "status_code": 1000, "status_message": "Success", "timestamp": "2026-03-01T10:00:00Z",
}


def test_a_gzipped_locations_response_gives_each_evse_status(tmp_path: Path) -> None:
    path = tmp_path / "locations.json.gz"  # pretty-printed, as an API client saves it
    path.write_bytes(gzip.compress(json.dumps(LOCATIONS, indent=2).encode()))
    result = ingest([path])
    events = result.tables["port_events"].to_pylist()
    assert [(e["station_id"], e["port_id"], e["state"], e["raw_status"]) for e in events] == [
        ("LOC1", "NL*EXA*E3256", "occupied", "CHARGING"),  # the eMI3 id when present
        ("LOC1", "LOC1:3257", "faulted", "OUTOFORDER"),    # else location:uid
        ("LOC1", "LOC1:3258", "blocked", "BLOCKED")]
    # OCPI times are UTC, the Z may be omitted; an explicit offset is honoured
    assert [e["ts"] for e in events] == [_utc("2026-03-01T08:00:00"),
                                         _utc("2026-03-01T09:30:00"),
                                         _utc("2026-03-01T08:45:00")]
    rejected = result.tables["rejected"].to_pylist()
    assert [(r["line"], r["reason"], r["detail"]) for r in rejected] == [
        (1, "charging.rejected.ocpi_status", "evses[4]: BROKEN")]
    (summary,) = result.inputs
    assert (summary.format, summary.rows, summary.rejected, summary.other_lines) == (
        "ocpi-locations", 3, 1, 1)  # LOC2 has no EVSE: counted, not a row


def test_evse_status_events_as_json_lines(tmp_path: Path) -> None:
    rows = [
        {"location_id": "LOC1", "evse_uid": "3256", "status": "AVAILABLE",
         "last_updated": "2026-03-01T10:00:00Z"},
        {"location_id": "LOC1", "evse_uid": "3256", "status": "RESERVED",
         "last_updated": "2026-03-01T10:05:00Z"},
        {"location_id": "LOC1", "uid": "3257", "status": "INOPERATIVE",
         "last_updated": "2026-03-01T10:06:00Z"},
        {"location_id": "LOC1", "uid": "3257", "status": "REMOVED",
         "last_updated": "2026-03-02T00:00:00Z"},
        {"evse_id": "NL*EXA*E9", "uid": "9", "status": "unknown",
         "last_updated": "2026-03-01T10:07:00Z"},
        {"uid": "3260", "status": "AVAILABLE", "last_updated": "2026-03-01T10:08:00Z"},
        {"location_id": "LOC1", "uid": "3261", "status": "AVAILABLE",
         "last_updated": "yesterday"},
    ]
    path = tmp_path / "evse-status.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    tables = _tables(path)
    assert [(e["port_id"], e["state"], e["raw_status"]) for e in tables["port_events"]] == [
        ("LOC1:3256", "available", "AVAILABLE"), ("LOC1:3256", "reserved", "RESERVED"),
        ("LOC1:3257", "unavailable", "INOPERATIVE"),
        ("LOC1:3257", "unknown", "REMOVED"),  # out of service life: no service state
        ("NL*EXA*E9", "unknown", "unknown")]
    # a PATCH without its location: the port stands for its station
    assert tables["port_events"][-1]["station_id"] == "NL*EXA*E9"
    assert [(r["line"], r["reason"]) for r in tables["rejected"]] == [
        (6, "charging.rejected.ocpi_no_port"), (7, "charging.rejected.time"),
        (8, "charging.rejected.not_json")]


def test_cdrs_become_sessions_with_energy_in_wh(tmp_path: Path) -> None:
    cdrs = {"data": [
        {"country_code": "NL", "party_id": "EXA", "id": "CDR-1", "session_id": "S-1",
         "start_date_time": "2026-03-01T08:00:00Z", "end_date_time": "2026-03-01T08:45:30Z",
         "cdr_location": {"id": "LOC1", "evse_uid": "3256", "evse_id": "NL*EXA*E3256",
                          "connector_id": "1"},
         "currency": "EUR", "total_cost": {"excl_vat": 8.5}, "total_energy": 21.75,
         "total_time": 0.758, "last_updated": "2026-03-01T08:46:00Z"},
        {"id": "CDR-2", "start_date_time": "2026-03-01T09:00:00Z",
         "end_date_time": "2026-03-01T09:30:00Z",
         "cdr_location": {"id": "LOC1", "evse_uid": "3257", "connector_id": "1"},
         "total_energy": 0, "total_time": 0.5},
        {"id": "CDR-3", "start_date_time": "2026-03-01T10:00:00Z",
         "end_date_time": "2026-03-01T09:00:00Z",
         "cdr_location": {"id": "LOC1", "evse_uid": "3257"}, "total_energy": 3,
         "total_time": 1},
        {"id": "CDR-4", "start_date_time": "2026-03-01T10:00:00Z",
         "end_date_time": "2026-03-01T11:00:00Z",
         "cdr_location": {"id": "LOC1", "evse_uid": "3257"}, "total_energy": -3,
         "total_time": 1},
    ], "status_code": 1000, "timestamp": "2026-03-02T00:00:00Z"}
    path = tmp_path / "cdrs.json"
    path.write_text(json.dumps(cdrs))
    tables = _tables(path)
    assert [(s["port_id"], s["session_id"], s["duration_s"], s["energy_wh"], s["stop_reason"])
            for s in tables["sessions"]] == [
        ("NL*EXA*E3256", "S-1", 2730.0, 21750.0, None),
        ("LOC1:3257", "CDR-2", 1800.0, 0.0, None)]  # no session_id: the CDR's id
    assert [(r["line"], r["reason"]) for r in tables["rejected"]] == [
        (3, "charging.rejected.end_before_start"), (4, "charging.rejected.number")]


def test_the_cli_summarises_ocpi_files_in_english_and_chinese(tmp_path: Path) -> None:
    path = tmp_path / "locations.json"
    path.write_text(json.dumps(LOCATIONS))
    out = tmp_path / "tables"
    en = CliRunner().invoke(app, ["charging", "ingest", str(path), "-o", str(out)])
    assert en.exit_code == 0, en.output
    assert "ocpi-locations" in en.output
    assert "3 row(s), 1 rejected line(s)" in en.output
    assert "is none of AVAILABLE, BLOCKED" in en.output
    zh = CliRunner().invoke(app, ["charging", "ingest", str(path), "-o", str(out),
                                  "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "3 行数据，1 行被拒" in zh.output
    assert "OCPI EVSE 状态 evses[4]: BROKEN" in zh.output


def test_a_paginated_pull_saved_one_response_a_line(tmp_path: Path) -> None:
    page = {"status_code": 1000, "timestamp": "2026-03-01T10:00:00Z"}
    first = {**LOCATIONS, "data": LOCATIONS["data"][:1]}
    lines = [json.dumps(first), json.dumps({**page, "data": LOCATIONS["data"][1:]}),
             json.dumps({"uid": "1"})]
    path = tmp_path / "locations-pages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = ingest([path])
    assert [e["port_id"] for e in result.tables["port_events"].to_pylist()] == [
        "NL*EXA*E3256", "LOC1:3257", "LOC1:3258"]
    assert [(r["line"], r["reason"]) for r in result.tables["rejected"].to_pylist()] == [
        (1, "charging.rejected.ocpi_status"), (3, "charging.rejected.ocpi_page")]
    assert result.inputs[0].other_lines == 1  # LOC2, without EVSEs
