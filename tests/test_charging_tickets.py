"""solidcheck charging ingest on maintenance tickets as ticket systems export them: ``;`` CSV
with a BOM and Chinese resolution words, JSON Lines with epoch milliseconds (gzip), causes in
their common spellings; bad rows rejected naming the field."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.charging.tickets import cause_of
from solidcheck.cli import app

TICKETS_CSV = (
    "\ufeffTicket_ID;Port_ID;Station_ID;Severity;Opened;Acknowledged;Resolved;Closed;Cause;"
    "Resolution;Reopened;Assignee\n"
    "T-1;CN*A*P1;;P1;2026-03-01T08:00:00+08:00;2026-03-01T08:20:00+08:00;"
    "2026-03-01T11:00:00+08:00;2026-03-02T09:00:00+08:00;Utility outage;远程;0;王工\n"
    "T-2;;S-9;P2;2026-03-01T09:00:00Z;;;;Power outage;;;\n"
    "T-3;CN*A*P2;S-9;P1;2026-03-01T10:00:00+08:00;;2026-03-01T15:00:00+08:00;;"
    "Cable damage;现场;2;\n"
    "\n"
    "T-4;CN*A*P2;;P1;2026-03-01 10:00:00;;;;;;;\n"
    "T-5;CN*A*P2;;P1;2026-03-01T10:00:00+08:00;2026-03-01T09:00:00+08:00;;;;;;\n"
    "T-6;CN*A*P2;;P1;2026-03-01T10:00:00+08:00;;2026-03-01T12:00:00+08:00;"
    "2026-03-01T11:00:00+08:00;;;;\n"
    "T-7;CN*A*P2;;P1;2026-03-01T10:00:00+08:00;;;;;by drone;;\n"
    "T-8;CN*A*P2;;P1;2026-03-01T10:00:00+08:00;;;;;;-1;\n"
    "T-9;;;P1;2026-03-01T10:00:00+08:00;;;;;;;\n"
    "T-10;CN*A*P2;;P1\n"
)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_semicolon_csv_with_bom_and_chinese_resolutions(tmp_path: Path) -> None:
    path = tmp_path / "工单.csv"
    path.write_text(TICKETS_CSV, encoding="utf-8")
    result = ingest([path])
    tickets = result.tables["tickets"].to_pylist()
    assert [(t["ticket_id"], t["port_id"], t["station_id"], t["cause"], t["resolution"],
             t["reopened"]) for t in tickets] == [
        ("T-1", "CN*A*P1", None, "utility_outage", "remote", 0),
        ("T-2", None, "S-9", "power_outage", None, 0),  # not guessed to be the utility's
        ("T-3", "CN*A*P2", "S-9", "cable_damage", "on_site", 2)]
    first = tickets[0]
    assert (first["opened"], first["acknowledged"], first["resolved"], first["closed"]) == (
        _utc("2026-03-01T00:00:00"), _utc("2026-03-01T00:20:00"),
        _utc("2026-03-01T03:00:00"), _utc("2026-03-02T01:00:00"))
    assert tickets[1]["acknowledged"] is None and tickets[1]["severity"] == "P2"
    rejected = result.tables["rejected"].to_pylist()
    assert [(r["line"], r["reason"], r["detail"]) for r in rejected] == [
        (6, "charging.rejected.no_offset", "opened=2026-03-01 10:00:00"),
        (7, "charging.rejected.ticket_order",
         "acknowledged 2026-03-01T01:00:00+00:00 < opened 2026-03-01T02:00:00+00:00"),
        (8, "charging.rejected.ticket_order",
         "closed 2026-03-01T03:00:00+00:00 < resolved 2026-03-01T04:00:00+00:00"),
        (9, "charging.rejected.ticket_resolution", "by drone"),
        (10, "charging.rejected.ticket_reopened", "-1"),
        (11, "charging.rejected.ticket_place", "T-9"),
        (12, "charging.rejected.cells_header", "4/12")]
    (summary,) = result.inputs
    assert (summary.format, summary.rows, summary.rejected, summary.other_lines) == (
        "tickets", 3, 7, 2)  # the header and the blank line


def test_json_lines_with_epoch_milliseconds_gzipped(tmp_path: Path) -> None:
    rows = [{"ticket_id": "A1", "station_id": "S1", "opened": 1772352000000,
             "resolved": "2026-03-01T09:30:00+01:00", "cause": "Scheduled-Maintenance",
             "resolution": "On-Site", "reopened": True},
            {"ticket_id": "A2", "port_id": "P1", "opened": "2026-03-01T08:00:00Z",
             "cause": "vandalized", "resolution": "onsite", "reopened": False},
            [1, 2]]
    path = tmp_path / "tickets.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    result = ingest([path])
    tickets = result.tables["tickets"].to_pylist()
    assert [(t["ticket_id"], t["opened"], t["cause"], t["resolution"], t["reopened"])
            for t in tickets] == [
        ("A1", _utc("2026-03-01T08:00:00"), "scheduled_maintenance", "on_site", 1),
        ("A2", _utc("2026-03-01T08:00:00"), "vandalism", "on_site", 0)]
    assert [r["reason"] for r in result.tables["rejected"].to_pylist()] == [
        "charging.rejected.not_an_object"]


def test_excluded_causes_are_recognised_in_their_common_spellings() -> None:
    assert [cause_of(text) for text in ("Utility Outage", "grid outage", "EV fault",
                                        "Natural  disaster", "车辆故障", "计划检修",
                                        "Power failure", "Vandalism ")] == [
        "utility_outage", "utility_outage", "vehicle_fault", "natural_disaster",
        "vehicle_fault", "scheduled_maintenance", "power_failure", "vandalism"]


def test_the_cli_counts_tickets_and_lists_rejections_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS_CSV, encoding="utf-8")
    out = tmp_path / "tables"
    en = CliRunner().invoke(app, ["charging", "ingest", str(path), "-o", str(out)])
    assert en.exit_code == 0, en.output
    assert "3 maintenance ticket(s)" in en.output
    assert f"rejected {path}:6: the time opened=2026-03-01 10:00:00 has no UTC offset" \
        in en.output
    zh = CliRunner().invoke(app, ["charging", "ingest", str(path), "-o", str(out),
                                  "--lang", "zh"])
    assert "3 张运维工单" in zh.output
    assert "处理方式 by drone 既不是 remote 也不是 on_site" in zh.output
    assert (out / "tickets.parquet").exists()


def test_old_excel_csv_with_lone_cr_line_ends_and_a_time_past_the_calendar(tmp_path: Path
                                                                            ) -> None:
    """Excel's "CSV (Macintosh)" ends lines with a lone CR; a time whose UTC instant is past
    year 9999 is one rejected row, not a crash. Paths may be given as text."""
    path = tmp_path / "tickets-mac.csv"
    path.write_bytes(
        b"ticket_id;port_id;station_id;severity;opened;acknowledged;resolved;closed;cause;"
        b"resolution;reopened\r"
        b"T1;P1;S1;major;2026-03-01T10:00:00+08:00;;;;vandalism;remote;0\r"
        b"T2;P2;S1;major;9999-12-31T23:59:59-01:00;;;;;;0\r")
    result = ingest([str(path)])
    assert result.tables["tickets"].column("ticket_id").to_pylist() == ["T1"]
    [rejected] = result.tables["rejected"].to_pylist()
    assert (rejected["line"], rejected["reason"]) == (3, "charging.rejected.time")
