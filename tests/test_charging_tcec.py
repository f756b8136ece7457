"""solidcheck charging ingest on China's T/CEC 102 messages as a supervision platform logs
them: envelopes whose Data is JSON text, Beijing times without an offset, a query response
with StationStatusInfos (gzip), charge orders, and ciphertext rejected with the fix."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.cli import app

OPERATOR = "MA01H3BQ2"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _envelope(data: object, stamp: str | None, *, as_text: bool = True) -> dict[str, object]:
    envelope: dict[str, object] = {
        "OperatorID": OPERATOR,
        "Data": json.dumps(data, ensure_ascii=False) if as_text else data,
        "Seq": "0001", "Sig": "9AF2C3D4E5F60718293A4B5C6D7E8F90"}
    if stamp is not None:
        envelope["TimeStamp"] = stamp
    return envelope


def _status(connector: str, code: object, **extra: object) -> dict[str, object]:
    return {"ConnectorStatusInfo": {"ConnectorID": connector, "Status": code, "ParkStatus": 10,
                                    "LockStatus": 0, **extra}}


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_status_pushes_with_data_as_json_text_in_beijing_time(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "notification_stationStatus.jsonl", [
        _envelope(_status("1101080001001", 1), "20260301080000"),
        _envelope(_status("1101080001001", 3), "20260301081500"),
        _envelope(_status("1101080001001", 2), "20260301090000"),
        _envelope(_status("1101080001002", 4), "20260301090000", as_text=False),
        _envelope(_status("1101080001002", 255), "20260301100000"),
        _envelope(_status("1101080001002", 0), "20260301110000"),
        _envelope(_status("1101080001003", 1, StatusTime="2026-03-01 07:59:30"),
                  "20260301080000"),
        _envelope(_status("1101080001003", 1, StatusTime="2026-03-01T07:59:30+09:00"), None),
    ])
    events = ingest([path]).tables["port_events"].to_pylist()
    assert [(e["port_id"], e["state"], e["raw_status"]) for e in events] == [
        ("1101080001001", "available", "1"), ("1101080001001", "occupied", "3"),
        ("1101080001001", "occupied", "2"), ("1101080001002", "reserved", "4"),
        ("1101080001002", "faulted", "255"), ("1101080001002", "offline", "0"),
        ("1101080001003", "available", "1"), ("1101080001003", "available", "1")]
    # Beijing 08:00 is 00:00 UTC; a status's own time wins over the envelope's; an explicit
    # offset is honoured
    assert [e["ts"] for e in events][:2] == [_utc("2026-03-01T00:00:00"),
                                            _utc("2026-03-01T00:15:00")]
    assert events[6]["ts"] == _utc("2026-02-28T23:59:30")
    assert events[6]["logged_ts"] == _utc("2026-03-01T00:00:00")
    assert events[7]["ts"] == _utc("2026-02-28T22:59:30")
    # no StationID in the push: the port stands for its station until the inventory joins
    assert {e["station_id"] for e in events} == {e["port_id"] for e in events}


def test_ciphertext_unknown_codes_and_untimed_statuses_are_rejected(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "push.jsonl", [
        _envelope(_status("C1", 1), "20260301080000"),
        {"OperatorID": OPERATOR, "Data": "il7B0BSEjFdzpyKzfOFpvg/Se1CP802RItKYFPfSLRxJ3jf0bV",
         "TimeStamp": "20260301080000", "Seq": "0002", "Sig": "00"},
        _envelope(_status("C1", 7), "20260301080000"),
        _envelope(_status("C1", 1), None),
        _envelope(_status("C1", 1), "20260341080000"),  # 41 March
        _envelope({"Something": 1}, "20260301080000"),
    ])
    result = ingest([path])
    assert len(result.tables["port_events"]) == 1
    assert [(r["line"], r["reason"]) for r in result.tables["rejected"].to_pylist()] == [
        (2, "charging.rejected.tcec_encrypted"), (3, "charging.rejected.tcec_status"),
        (4, "charging.rejected.tcec_no_time"), (5, "charging.rejected.time"),
        (6, "charging.rejected.tcec_data")]
    (summary,) = result.inputs
    assert (summary.format, summary.rows, summary.rejected) == ("tcec-102", 1, 5)


def test_a_gzipped_query_response_names_stations(tmp_path: Path) -> None:
    body = {"Total": 2, "StationStatusInfos": [
        {"StationID": "110108001", "ConnectorStatusInfos": [
            {"ConnectorID": "1101080001001", "Status": 1},
            {"ConnectorID": "1101080001002", "Status": "3"}]},
        {"StationID": "110108002", "ConnectorStatusInfos": [
            {"ConnectorID": "1101080002001", "Status": 255},
            {"ConnectorID": "1101080002002", "Status": 9}]}]}
    path = tmp_path / "query_station_status.json.gz"
    path.write_bytes(gzip.compress(json.dumps([_envelope(body, "20260301120000")]).encode()))
    result = ingest([path])
    events = result.tables["port_events"].to_pylist()
    assert [(e["station_id"], e["port_id"], e["state"]) for e in events] == [
        ("110108001", "1101080001001", "available"), ("110108001", "1101080001002", "occupied"),
        ("110108002", "1101080002001", "faulted")]
    assert {e["ts"] for e in events} == {_utc("2026-03-01T04:00:00")}
    assert [(r["line"], r["detail"]) for r in result.tables["rejected"].to_pylist()] == [
        (1, "ConnectorStatusInfo[4]: 9")]


def test_charge_orders_become_sessions(tmp_path: Path) -> None:
    order = {"StartChargeSeq": "MA01H3BQ2202603010800001", "ConnectorID": "1101080001001",
             "StartTime": "2026-03-01 08:00:00", "EndTime": "2026-03-01 08:52:30",
             "TotalPower": 35.62, "TotalElecMoney": 28.5, "TotalSeviceMoney": 14.25,
             "TotalMoney": 42.75, "StopReason": 2, "SumPeriod": 1}
    late = {**order, "StartChargeSeq": "X2", "EndTime": "2026-03-01 07:00:00"}
    path = _jsonl(tmp_path / "notification_charge_order_info.jsonl", [
        _envelope(order, "20260301085300"), _envelope(late, "20260301085300")])
    result = ingest([path])
    (session,) = result.tables["sessions"].to_pylist()
    assert (session["port_id"], session["session_id"], session["start"], session["end"],
            session["duration_s"], session["energy_wh"], session["stop_reason"]) == (
        "1101080001001", "MA01H3BQ2202603010800001", _utc("2026-03-01T00:00:00"),
        _utc("2026-03-01T00:52:30"), 3150.0, 35620.0, "2")
    assert [r["reason"] for r in result.tables["rejected"].to_pylist()] == [
        "charging.rejected.end_before_start"]


def test_the_cli_tells_to_decrypt_first_in_chinese(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "push.jsonl", [
        _envelope(_status("C1", 1), "20260301080000"),
        {"OperatorID": OPERATOR, "Data": "il7B0BSEjFdzpyKzfOFpvg==", "TimeStamp": "20260301"
         "080000", "Seq": "0002", "Sig": "00"}])
    out = tmp_path / "tables"
    zh = CliRunner().invoke(app, ["charging", "ingest", str(path), "-o", str(out),
                                  "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "tcec-102" in zh.output and "1 行数据，1 行被拒" in zh.output
    assert "请先用运营商的 DataSecret 解密" in zh.output
    en = CliRunner().invoke(app, ["charging", "ingest", str(path), "-o", str(out)])
    assert "decrypt it with the operator's DataSecret first" in en.output
    assert "offline: " not in en.output and "available: 1" in en.output
