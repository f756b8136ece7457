"""solidcheck charging ingest: OCPP logs to the canonical tables, on the real OCA test-tool
log (with the INL calculator's parse as the oracle) and on logs written here."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.charging.model import port_state
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError, MissingDependencyError
from solidcheck.readers.contract import without_module

DATA = Path(__file__).parents[1] / ".." / "shared" / "data" / "ocpp201-octt-inl"
OCTT_LOG = DATA / "example_log.log"
INL_PARSE = DATA / "parsed_messages_2025_05_19.csv"
TX = "e80fb8b1-3fa4-4146-aa10-9dfbc72dfa36"


@pytest.fixture(scope="module")
def octt() -> dict[str, list[dict[str, object]]]:
    result = ingest([OCTT_LOG], charge_point_id="CS-1")
    return {name: table.to_pylist() for name, table in result.tables.items()}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_real_log_gives_its_transaction_events_as_the_inl_parse_does(octt) -> None:
    with INL_PARSE.open(newline="") as handle:
        oracle = [row for row in csv.DictReader(handle) if row["event_type"] == "TransactionEvent"]
    events = octt["transaction_events"]
    assert [e["transaction_id"] for e in events] == [row["transaction_ID"] for row in oracle]
    assert [e["ts"] for e in events] == [_utc(row["timestamp"]) for row in oracle]
    # the INL parse's event_code is the eventType for Started/Ended, the chargingState else;
    # its trigger_reason the triggerReason, except the Started (the answer's status) and the
    # Ended (the stoppedReason)
    assert [e["event"] for e in events] == ["started", "updated", "updated", "ended"]
    assert [e["charging_state"] for e in events[1:3]] == [r["event_code"] for r in oracle[1:3]]
    assert [e["trigger_reason"] for e in events[1:3]] == [r["trigger_reason"] for r in oracle[1:3]]
    assert events[3]["stopped_reason"] == oracle[3]["trigger_reason"] == "Local"
    assert [e["offline"] for e in events] == [False, False, False, True]
    assert {e["port_id"] for e in events} == {"CS-1:1:1"}  # the Started names no EVSE
    assert events[0]["id_token_sha256"] == events[3]["id_token_sha256"] is not None


def test_the_real_log_gives_authorize_status_and_the_websocket_closure(octt) -> None:
    frames = octt["frames"]
    authorize = [f for f in frames if f["action"] == "Authorize"]
    assert [(f["message_type"], f["direction"]) for f in authorize] == [("call", "in"),
                                                                        ("result", "out")]
    assert authorize[0]["ts"] == datetime(2024, 5, 17, 9, 20, 44, 492000, tzinfo=UTC)
    assert all(f["valid"] for f in frames) and all(f["ocpp_version"] == "2.0.1" for f in frames)
    assert [(p["state"], p["raw_status"], p["port_id"]) for p in octt["port_events"]] == [
        ("occupied", "Occupied", "CS-1:1:1")]
    links = octt["station_events"]
    assert [e["kind"] for e in links] == ["disconnected", "connected"]
    gap_s = (links[1]["ts"] - links[0]["ts"]).total_seconds()
    assert 55 < gap_s < 65
    assert octt["rejected"] == []


def _frames_16() -> list[tuple[str, str, list[object]]]:
    return [
        ("2026-03-01T08:00:00Z", "in", [2, "1", "BootNotification",
                                        {"chargePointVendor": "V", "chargePointModel": "M"}]),
        ("2026-03-01T08:00:01Z", "out", [3, "1", {"status": "Accepted", "interval": 300,
                                                  "currentTime": "2026-03-01T08:00:01Z"}]),
        ("2026-03-01T08:01:00Z", "in", [2, "2", "StatusNotification",
                                        {"connectorId": 0, "status": "Faulted",
                                         "errorCode": "GroundFailure"}]),
        ("2026-03-01T08:02:00Z", "in", [2, "3", "StatusNotification",
                                        {"connectorId": 1, "status": "Preparing",
                                         "errorCode": "NoError"}]),
        ("2026-03-01T08:02:30Z", "out", [2, "4", "RemoteStartTransaction",  # the CSMS's "4"
                                         {"idTag": "TAG", "connectorId": 2}]),
        ("2026-03-01T08:03:00Z", "in", [2, "4", "StartTransaction",
                                        {"connectorId": 1, "idTag": "TAG", "meterStart": 1000,
                                         "timestamp": "2026-03-01T08:03:00Z"}]),
        ("2026-03-01T08:03:00Z", "in", [3, "4", {"status": "Accepted"}]),
        ("2026-03-01T08:03:01Z", "out", [3, "4", {"transactionId": 77,
                                                  "idTagInfo": {"status": "Accepted"}}]),
        ("2026-03-01T08:15:00Z", "in", [2, "7", "MeterValues",
                                        {"connectorId": 1, "transactionId": 77, "meterValue": [
                                            {"timestamp": "2026-03-01T08:15:00Z",
                                             "sampledValue": [{"value": "4.5", "unit": "kWh"},
                                                              {"value": "7000",
                                                               "measurand": "Power.Active.Import",
                                                               "unit": "W"}]}]}]),
        ("2026-03-01T08:20:00Z", "in", [2, "8", "Heartbeat", {}]),
        ("2026-03-01T08:30:00Z", "in", [2, "5", "StopTransaction",
                                        {"transactionId": 77, "meterStop": 9000,
                                         "timestamp": "2026-03-01T08:30:00Z",
                                         "reason": "EVDisconnected"}]),
        ("2026-03-01T08:31:00Z", "in", [2, "6", "StatusNotification",  # no errorCode
                                        {"connectorId": 1, "status": "Available"}]),
    ]


def _write_jsonl(path: Path, rows: list[tuple[str, str, list[object]]], *,
                 zipped: bool = False) -> Path:
    text = "".join(json.dumps({"ts": ts, "charge_point_id": "CP7", "direction": d,
                               "frame": frame}) + "\n" for ts, d, frame in rows)
    path.write_bytes(gzip.compress(text.encode()) if zipped else text.encode())
    return path


def test_ocpp16_json_lines_in_a_txt_file_and_gzip_give_the_same_tables(tmp_path: Path) -> None:
    plain = ingest([_write_jsonl(tmp_path / "log.txt", _frames_16())])
    zipped = ingest([_write_jsonl(tmp_path / "log.bin", _frames_16(), zipped=True)])
    assert plain.inputs[0].format == zipped.inputs[0].format == "jsonl"
    assert plain.inputs[0].ocpp_version == "1.6"  # betrayed by StartTransaction
    for name, table in plain.tables.items():
        assert table.drop_columns(["source"]) == zipped.tables[name].drop_columns(["source"])
    ports = plain.tables["port_events"].to_pylist()
    assert [(p["port_id"], p["station_wide"], p["state"], p["error_code"]) for p in ports] == [
        ("CP7:0", True, "faulted", "GroundFailure"), ("CP7:1", False, "occupied", "NoError")]
    # the last StatusNotification lacks its required errorCode: counted with its line
    invalid = [f for f in plain.tables["frames"].to_pylist() if f["valid"] is False]
    assert [(f["line"], f["action"]) for f in invalid] == [(12, "StatusNotification")]
    assert "errorCode" in invalid[0]["problem"]
    tx = plain.tables["transaction_events"].to_pylist()
    assert [(t["event"], t["transaction_id"], t["energy_wh"], t["port_id"]) for t in tx] == [
        ("started", "77", 1000.0, "CP7:1"), ("updated", "77", 4500.0, "CP7:1"),
        ("ended", "77", 9000.0, "CP7:1")]
    kinds = [e["kind"] for e in plain.tables["station_events"].to_pylist()]
    assert kinds == ["boot", "heartbeat"]
    # each side numbers its own calls: the station's "4" and the central system's "4"
    answers = {(f["direction"], f["message_id"]): f["action"]
               for f in plain.tables["frames"].to_pylist() if f["message_type"] == "result"}
    assert answers[("in", "4")] == "RemoteStartTransaction"
    assert answers[("out", "4")] == "StartTransaction"


def test_ocpp201_csv_with_garbage_lines_rejects_each_with_its_reason(tmp_path: Path) -> None:
    event = {"eventType": "Ended", "timestamp": "2026-03-01T09:00:00Z",
             "triggerReason": "EVCommunicationLost", "seqNo": 3, "offline": True,
             "transactionInfo": {"transactionId": "T1", "stoppedReason": "EVDisconnected"},
             "evse": {"id": 2, "connectorId": 1},
             "meterValue": [{"timestamp": "2026-03-01T09:00:00Z", "sampledValue": [
                 {"value": 12.5, "unitOfMeasure": {"unit": "kWh"}}]}]}
    rows = [["timestamp", "charge_point_id", "direction", "message"],
            ["2026-03-01T09:00:01Z", "CS9", "in", json.dumps([2, "a", "TransactionEvent", event])],
            ["2026-03-01T09:00:02Z", "CS9", "out", json.dumps([3, "a", {}])],
            ["yesterday", "CS9", "in", json.dumps([2, "b", "Heartbeat", {}])],
            ["2026-03-01T09:00:03Z", "CS9", "sideways", json.dumps([2, "c", "Heartbeat", {}])],
            ["2026-03-01T09:00:04Z", "CS9", "in", "{not json"],
            ["2026-03-01T09:00:05Z", "CS9", "in", json.dumps([7, "d"])],
            ["2026-03-01T09:00:06Z", "CS9", "in", json.dumps([4, "zz", "InternalError", "x", {}])]]
    path = tmp_path / "frames.data"
    with gzip.open(path, "wt", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = ingest([path], ocpp_version="2.0.1")
    rejected = result.tables["rejected"].to_pylist()
    assert [(r["line"], r["reason"]) for r in rejected] == [
        (4, "charging.rejected.time"), (5, "charging.rejected.direction"),
        (6, "charging.rejected.not_json"), (7, "charging.rejected.not_a_frame")]
    assert result.inputs[0].frames + result.inputs[0].rejected + 1 == len(rows)
    (ended,) = result.tables["transaction_events"].to_pylist()
    assert (ended["event"], ended["energy_wh"], ended["port_id"], ended["offline"]) == (
        "ended", 12500.0, "CS9:2:1", True)
    error = result.tables["frames"].to_pylist()[-1]
    assert (error["message_type"], error["action"], error["valid"]) == ("error", None, None)


def test_ocpp_statuses_map_onto_the_seven_states() -> None:
    assert [port_state(s) for s in ("Available", "SuspendedEVSE", "Finishing", "Occupied",
                                    "Reserved", "Faulted", "Unavailable", "Broken", None)] == [
        "available", "occupied", "occupied", "occupied", "reserved", "faulted", "unavailable",
        "unknown", "unknown"]


def test_every_unusable_input_is_listed_in_one_error(tmp_path: Path) -> None:
    unknown = tmp_path / "notes.jsonl"
    unknown.write_text("hello\n")
    no_version = _write_jsonl(tmp_path / "hb.jsonl", [("2026-01-01T00:00:00Z", "in",
                                                         [2, "1", "Heartbeat", {}])])
    damaged = tmp_path / "cut.gz"
    damaged.write_bytes(gzip.compress(b'{"ts": 1}\n' * 100)[:30])
    binary = tmp_path / "blob.log"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    files = [unknown, no_version, OCTT_LOG, tmp_path / "missing.log", damaged, binary]
    with pytest.raises(ChargingInputError) as caught:
        ingest(files)
    assert [problem.path for problem in caught.value.problems] == [str(f) for f in files]


def test_the_cli_writes_the_tables_and_summarises_them(tmp_path: Path) -> None:
    out = tmp_path / "tables"
    result = CliRunner().invoke(app, ["charging", "ingest", str(OCTT_LOG), "-o", str(out),
                                      "--charge-point", "CS-1"])
    assert result.exit_code == 0, result.output
    assert "TransactionEvent: 4 / 4 / 0" in result.output
    assert "occupied: 1" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "frames.parquet", "inventory.parquet", "port_events.parquet", "rejected.parquet",
        "sessions.parquet", "station_events.parquet", "tickets.parquet",
        "transaction_events.parquet"]
    assert pq.read_table(out / "transaction_events.parquet").num_rows == 4
    zh = CliRunner().invoke(app, ["charging", "ingest", str(OCTT_LOG), "-o", str(out),
                                  "--charge-point", "CS-1", "--lang", "zh"])
    assert zh.exit_code == 0 and "按状态统计的端口事件" in zh.output


def test_the_cli_exits_2_listing_every_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(app, ["charging", "ingest", str(bad), str(OCTT_LOG),
                                      "-o", str(tmp_path / "out"), "--ocpp-version", "3"])
    assert result.exit_code == 2
    assert "3 problems" in result.output and "--charge-point" in result.output


def test_json_lines_garbage_is_rejected_and_unknown_answers_are_kept(tmp_path: Path) -> None:
    good = json.dumps({"ts": "2026-03-01T10:00:00+08:00", "charge_point_id": "CP7",
                       "direction": "out", "frame": [3, "never-asked", {}],
                       "ocpp_version": "2.0.1"})
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join([good, "[1, 2]", "{broken", json.dumps({
        "ts": "2026-03-01T10:00:00Z", "charge_point_id": "CP7", "direction": "in"}),
        json.dumps({"ts": "2026-03-01T10:00:00Z", "charge_point_id": "CP7", "direction": "in",
                    "frame": [2, "x", "NoSuchAction", {}], "ocpp_version": "2.0.1"})]) + "\n")
    result = ingest([path])
    assert [(r["line"], r["reason"]) for r in result.tables["rejected"].to_pylist()] == [
        (2, "charging.rejected.not_an_object"), (3, "charging.rejected.not_json"),
        (4, "charging.rejected.no_frame")]
    answer, unknown = result.tables["frames"].to_pylist()
    assert answer["ts"] == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # +08:00 read as UTC
    assert (answer["action"], answer["valid"]) == (None, None) and answer["problem"]
    assert (unknown["valid"], unknown["line"]) == (False, 5)
    assert "NoSuchAction" in unknown["problem"]


def test_without_the_ocpp_library_the_command_names_the_extra(tmp_path: Path) -> None:
    with without_module("ocpp"):
        with pytest.raises(MissingDependencyError) as caught:
            ingest([OCTT_LOG], charge_point_id="CS-1")
        result = CliRunner().invoke(app, ["charging", "ingest", str(OCTT_LOG), "-o",
                                          str(tmp_path), "--charge-point", "CS-1"])
    assert caught.value.extra == "charging"
    assert result.exit_code == 4 and "solidcheck[charging]" in result.output


def test_the_cli_lists_schema_failures_and_rejected_lines_with_file_and_line(
        tmp_path: Path) -> None:
    log = _write_jsonl(tmp_path / "log.txt", _frames_16())
    with log.open("a") as handle:
        handle.write("not a frame at all\n")
    result = CliRunner().invoke(app, ["charging", "ingest", str(log), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert f"1 frame(s) fail their OCPP schema:\n  {log}:12 StatusNotification:" in result.output
    assert f"rejected {log}:13: not JSON" in result.output
    assert "12 frame(s), 1 rejected line(s)" in result.output
