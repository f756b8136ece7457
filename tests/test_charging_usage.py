"""Charge attempts, sessions and their success under every rule set (charging/usage.py): the
thresholds at and around their edges, Σ/Σ per station, pooled percentiles, the ChargeX start
modes from OCPP logs read by the real reader, and the real OCA log against INL's own KPI
workbook (docs/charging.md, "Charge success")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from solidcheck.charging import model
from solidcheck.charging.ingest import ingest
from solidcheck.charging.rules import charging_ruleset_by_id, parse_charging_ruleset
from solidcheck.charging.usage import attempts, success_column, usage_figures

pl = pytest.importorskip("polars")
openpyxl = pytest.importorskip("openpyxl")

DATA = Path(__file__).parents[1] / ".." / "shared" / "data" / "ocpp201-octt-inl"
OCTT_LOG = DATA / "example_log.log"
INL_KPIS = DATA / "dataset_KPIs_2025-05-19.xlsx"
T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
FAR = {"period_from": datetime(2000, 1, 1, tzinfo=UTC),
       "period_to": datetime(2100, 1, 1, tzinfo=UTC)}


def _sessions(*rows: tuple[str, float, float | None, str | None]) -> dict[str, pa.Table]:
    """Reported sessions: (port, duration s, energy kWh, stop reason), an hour apart."""
    out = []
    for i, (port, duration_s, energy_kwh, stop) in enumerate(rows):
        start = T0 + timedelta(hours=i)
        out.append({"port_id": port, "start": start,
                    "end": start + timedelta(seconds=duration_s), "duration_s": duration_s,
                    "energy_wh": None if energy_kwh is None else energy_kwh * 1000,
                    "stop_reason": stop, "session_id": f"s{i}", "source": "s.csv",
                    "line": i + 2})
    return {"sessions": pa.Table.from_pylist(out, schema=model.SESSIONS)}


def _success(tables: dict[str, pa.Table], ruleset_id: str) -> list[bool | None]:
    ruleset = charging_ruleset_by_id(ruleset_id)
    frame = attempts(tables, [ruleset], **FAR)
    return frame[success_column(ruleset_id)].to_list()


@pytest.mark.parametrize(("ruleset_id", "floor_s"), [("fr-afirev", 120.0),
                                                     ("fr-qualicharge", 180.0)])
def test_french_rules_need_strictly_more_than_both_floors(ruleset_id: str,
                                                          floor_s: float) -> None:
    tables = _sessions(("P1", floor_s, 0.6, None),         # exactly the duration: no
                       ("P1", floor_s + 1, 0.5, None),     # exactly 0.5 kWh: no
                       ("P1", floor_s + 1, 0.501, None),   # above both: yes
                       ("P1", floor_s - 1, 30.0, None))    # short, whatever the energy
    assert _success(tables, ruleset_id) == [False, False, True, False]


def test_chargex_completion_is_a_completion_reason_and_at_least_a_tenth_of_a_kwh() -> None:
    tables = _sessions(("P1", 60, 0.1, "EVDisconnected"),   # exactly 0.1 kWh: yes
                       ("P1", 60, 0.0999, "Local"),         # just under: no
                       ("P1", 60, 12.0, "EmergencyStop"),   # not a completion reason
                       ("P1", 60, 12.0, None),              # no reason given: not judged
                       ("P1", 60, 0.05, None))              # under the floor: failed anyway
    assert _success(tables, "chargex-2024") == [True, False, False, None, False]
    figures = usage_figures(attempts(tables, [charging_ruleset_by_id("chargex-2024")], **FAR),
                            [charging_ruleset_by_id("chargex-2024")], by=None)[None]
    assert figures.sessions == 5
    count = figures.session_success["chargex-2024"]
    assert (count.attempts, count.successful) == (4, 1)  # the undecidable one in neither


def test_a_missing_energy_is_not_judged_unless_the_duration_already_fails() -> None:
    tables = _sessions(("P1", 600, None, None), ("P1", 60, None, None))
    assert _success(tables, "fr-afirev") == [None, False]


def test_success_is_summed_over_the_station_never_averaged() -> None:
    tables = _sessions(("A1", 600, 10.0, None),
                       ("B1", 600, 10.0, None), ("B2", 60, 10.0, None), ("B2", 60, 10.0, None))
    tables["inventory"] = pa.Table.from_pylist(
        [{"port_id": p, "station_id": p[0], "power_kw": 50.0, "source": "i.csv", "line": 2}
         for p in ("A1", "B1", "B2")], schema=model.INVENTORY)
    rulesets = [charging_ruleset_by_id("fr-afirev")]
    frame = attempts(tables, rulesets, **FAR)
    stations = usage_figures(frame, rulesets, by="station_id")
    assert [(k, v.session_success["fr-afirev"].successful, v.sessions)
            for k, v in stations.items()] == [("A", 1, 1), ("B", 1, 3)]
    network = usage_figures(frame, rulesets, by=None)[None].session_success["fr-afirev"]
    assert network.rate_percent == pytest.approx(100 * 2 / 4)  # not (100 + 33.3) / 2
    assert usage_figures(frame, rulesets, by=None)[None].energy_kwh == pytest.approx(40.0)


def test_the_period_is_half_open_by_start() -> None:
    tables = _sessions(("P1", 600, 10.0, None), ("P1", 600, 10.0, None))
    frame = attempts(tables, [charging_ruleset_by_id("fr-afirev")],
                     period_from=T0, period_to=T0 + timedelta(hours=1))
    assert frame["session_id"].to_list() == ["s0"]


# --- OCPP logs, read by the real reader ------------------------------------------------------

def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _log(path: Path, frames: list[tuple[float, str, str, list[object]]]) -> dict[str, pa.Table]:
    text = "".join(json.dumps({"ts": _at(t), "charge_point_id": cp, "direction": d,
                               "frame": f}) + "\n" for t, cp, d, f in frames)
    path.write_text(text)
    return ingest([path], ocpp_version="2.0.1").tables


def _tx(n: int, t: float, event: str, trigger: str, *, state: str | None = None,
        token: str | None = None, stop: str | None = None, wh: float | None = None,
        cp: str = "CP1") -> tuple[float, str, str, list[object]]:
    info: dict[str, object] = {"transactionId": f"T{n}"}
    if state:
        info["chargingState"] = state
    if stop:
        info["stoppedReason"] = stop
    payload: dict[str, object] = {"eventType": event, "timestamp": _at(t), "triggerReason": trigger,
                                  "seqNo": int(t), "transactionInfo": info,
                                  "evse": {"id": 1, "connectorId": 1}}
    if token:
        payload["idToken"] = {"idToken": token, "type": "ISO14443"}
    if wh is not None:
        payload["meterValue"] = [{"timestamp": _at(t), "sampledValue": [{"value": wh}]}]
    return (t, cp, "in", [2, f"m{n}-{t}", "TransactionEvent", payload])


def _authorize(t: float, token: str, cp: str = "CP1") -> tuple[float, str, str, list[object]]:
    return (t, cp, "in", [2, f"a{t}", "Authorize", {"idToken": {"idToken": token,
                                                                 "type": "ISO14443"}}])


def _sequence(n: int, t: float, *, token: str | None, first: str) -> list[
        tuple[float, str, str, list[object]]]:
    """A transaction started at t that charges 5 s after t + 10 and ends normally."""
    start = (_tx(n, t, "Started", first, token=token, wh=1000)
             if first != "CablePluggedIn" else _tx(n, t, "Started", first, state="EVConnected"))
    plugged = [] if first == "CablePluggedIn" else [
        _tx(n, t + 10, "Updated", "CablePluggedIn", state="EVConnected")]
    authorised = [_tx(n, t + 12, "Updated", "Authorized", token=token)] if (
        first == "CablePluggedIn" and token) else []
    return [start, *plugged, *authorised,
            _tx(n, t + 15, "Updated", "ChargingStateChanged", state="Charging"),
            _tx(n, t + 900, "Ended", "EVDeparted", stop="EVDisconnected", wh=9000)]


def test_ocpp_201_start_modes_bindings_and_failed_attempts(tmp_path: Path) -> None:
    frames = [
        _authorize(0, "AUTH"), *_sequence(1, 5, token="AUTH", first="Authorized"),
        _authorize(800, "AUTH"),   # the card shown again to stop T1: not a new attempt
        *_sequence(2, 1000, token="PLUG", first="CablePluggedIn"), _authorize(1011, "PLUG"),
        (2000, "CP1", "out", [2, "r1", "RequestStartTransaction",
                              {"idToken": {"idToken": "APP", "type": "Central"},
                               "remoteStartId": 1}]),
        *_sequence(3, 2003, token="APP", first="RemoteStart"),
        *_sequence(4, 3000, token="CACHE", first="Authorized"),   # no Authorize: local
        _authorize(4000, "LOST"),                                 # nothing follows
        _authorize(5000, "LATE"), *_sequence(5, 5301, token="LATE", first="Authorized"),
        _authorize(6000, "EDGE"), *_sequence(6, 6300, token="EDGE", first="Authorized"),
    ]
    tables = _log(tmp_path / "cp1.jsonl", frames)
    chargex = charging_ruleset_by_id("chargex-2024")
    frame = attempts(tables, [chargex, charging_ruleset_by_id("fr-afirev")], **FAR)
    rows = frame.select("session_id", "start_mode", "is_session", "charge_start_time_s",
                        "energy_kwh").rows()
    assert rows == [
        ("T1", "authorize_first", True, 20.0, 8.0),   # charging at 20 s, authorised at 0
        ("T2", "plug_in_first", True, 4.0, None),     # plugged 1000, authorised 1011, 1015
        ("T3", "remote", True, 18.0, 8.0),            # requested 2000, charging 2018
        ("T4", "local", True, 15.0, 8.0),             # the Started carries the token
        (None, "authorize_first", False, None, None),  # LOST: a failed attempt
        (None, "authorize_first", False, None, None),  # LATE: 301 s is past the window
        ("T5", "local", True, 15.0, 8.0),
        ("T6", "authorize_first", True, 315.0, 8.0)]  # exactly 300 s: bound
    assert frame[success_column("fr-afirev")].to_list()[4:6] == [None, None]  # sessions only
    assert frame[success_column("chargex-2024")].to_list() == [True, None, True, True,
                                                                False, False, True, True]
    network = usage_figures(frame, [chargex], by=None)[None]
    assert network.sessions == 6
    assert network.charge_start_success is not None
    assert (network.charge_start_success.attempts,
            network.charge_start_success.successful) == (8, 6)
    assert network.charge_end_success is not None  # T2 has no energy register: not judged
    assert (network.charge_end_success.attempts, network.charge_end_success.successful) == (5, 5)
    assert network.charge_start_time_s["p50"] == pytest.approx(16.5)  # 4 15 15 | 18 20 315
    # the failed attempts name no port (an Authorize has no EVSE): network and station only
    assert sum(f.sessions for f in usage_figures(frame, [chargex], by="port_id").values()) == 6
    assert usage_figures(frame, [chargex], by="station_id")["CP1"] == network
    modes = usage_figures(frame, [chargex], by="start_mode")  # ChargeX's per-mode KPIs
    assert {m: (f.session_success["chargex-2024"].attempts,
                f.session_success["chargex-2024"].successful) for m, f in modes.items()} == {
        "authorize_first": (4, 2), "local": (2, 2), "plug_in_first": (0, 0), "remote": (1, 1)}


def _quick(n: int, t: float, delay_s: float, cp: str) -> list[
        tuple[float, str, str, list[object]]]:
    """Authorised at start (the token in the Started), charging after delay_s."""
    return [_tx(n, t, "Started", "Authorized", token=f"K{n}", wh=0, cp=cp),
            _tx(n, t + delay_s, "Updated", "ChargingStateChanged", state="Charging", cp=cp),
            _tx(n, t + delay_s + 600, "Ended", "StopAuthorized", stop="Local", wh=5000, cp=cp)]


def test_a_transaction_seen_from_its_middle_is_not_an_attempt(tmp_path: Path) -> None:
    frames = [_tx(1, 0, "Updated", "ChargingStateChanged", state="Charging"),
              _tx(1, 30, "Ended", "StopAuthorized", stop="Local", wh=9000),
              _tx(2, 100, "Started", "Authorized", token="K", wh=0)]   # still running
    frame = attempts(_log(tmp_path / "mid.jsonl", frames),
                     [charging_ruleset_by_id("fr-afirev")], **FAR)
    assert frame.select("session_id", "end", "duration_s").rows() == [("T2", None, None)]
    assert frame[success_column("fr-afirev")].to_list() == [None]


def test_start_time_percentiles_are_pooled_over_the_attempts(tmp_path: Path) -> None:
    frames = [*_quick(1, 0, 10, "CP1"), *_quick(2, 2000, 15, "CP1"),
              *_quick(3, 4000, 15, "CP1"), *_quick(4, 6000, 100, "CP1"),
              *_quick(5, 8000, 40, "CP2")]
    tables = _log(tmp_path / "two.jsonl", sorted(frames, key=lambda f: f[0]))
    chargex = [charging_ruleset_by_id("chargex-2024")]
    frame = attempts(tables, chargex, **FAR)
    assert sorted(frame["charge_start_time_s"].to_list()) == [10.0, 15.0, 15.0, 40.0, 100.0]
    network = usage_figures(frame, chargex, by=None)[None].charge_start_time_s
    # linear interpolation between closest ranks over all five (numpy's default); a mean of
    # the stations' medians would say (15 + 40) / 2
    assert network == pytest.approx({"p10": 12.0, "p25": 15.0, "p50": 15.0, "p75": 40.0})
    stations = usage_figures(frame, chargex, by="station_id")
    assert stations["CP1"].charge_start_time_s["p50"] == pytest.approx(15.0)
    assert stations["CP2"].charge_start_time_s == pytest.approx(
        {"p10": 40.0, "p25": 40.0, "p50": 40.0, "p75": 40.0})


def test_ocpp_16_energy_from_the_registers_and_an_omitted_reason_is_local(
        tmp_path: Path) -> None:
    frames = [
        (0, "CP6", "in", [2, "1", "Authorize", {"idTag": "TAG"}]),
        (5, "CP6", "in", [2, "2", "StartTransaction", {"connectorId": 1, "idTag": "TAG",
                                                        "meterStart": 1000,
                                                        "timestamp": _at(5)}]),
        (5, "CP6", "out", [3, "2", {"transactionId": 9, "idTagInfo": {"status": "Accepted"}}]),
        (8, "CP6", "in", [2, "3", "StatusNotification", {"connectorId": 1, "status": "Charging",
                                                          "errorCode": "NoError"}]),
        (600, "CP6", "in", [2, "4", "StopTransaction", {"transactionId": 9, "meterStop": 1600,
                                                         "timestamp": _at(600)}]),
    ]
    text = "".join(json.dumps({"ts": _at(t), "charge_point_id": cp, "direction": d,
                               "frame": f}) + "\n" for t, cp, d, f in frames)
    (tmp_path / "cp6.jsonl").write_text(text)
    tables = ingest([tmp_path / "cp6.jsonl"]).tables
    rulesets = [charging_ruleset_by_id(i) for i in ("chargex-2024", "fr-afirev")]
    row = attempts(tables, rulesets, **FAR).row(0, named=True)
    assert (row["port_id"], row["energy_kwh"], row["stop_reason"], row["start_mode"],
            row["duration_s"], row["charge_start_time_s"]) == (
        "CP6:1", pytest.approx(0.6), "Local", "authorize_first", 595.0, 8.0)
    assert row[success_column("chargex-2024")] and row[success_column("fr-afirev")]
    # without its Charging status the registers still show power, with no start time
    del frames[3]
    (tmp_path / "cp6.jsonl").write_text("".join(
        json.dumps({"ts": _at(t), "charge_point_id": cp, "direction": d, "frame": f}) + "\n"
        for t, cp, d, f in frames))
    row = attempts(ingest([tmp_path / "cp6.jsonl"]).tables, rulesets, **FAR).row(0, named=True)
    assert (row["power_delivered"], row["charge_start_time_s"]) == (True, None)


# --- the real OCA log against INL's own KPI workbook -----------------------------------------

def _inl_sheet(name: str) -> dict[str, list[object]]:
    """A sheet's rows by their first cell; the weighted average (its label in column D) as
    'Weighted Average'."""
    book = openpyxl.load_workbook(INL_KPIS, read_only=True)
    out: dict[str, list[object]] = {}
    for row in list(book[name].iter_rows(values_only=True))[1:]:
        if row[0] is not None:
            out[str(row[0])] = list(row[1:])
        elif len(row) > 4 and row[3] == "Weighted Average":
            out["Weighted Average"] = [row[4]]
    return out


def _inl_calculator_rule() -> list[object]:
    """INL's calculator as a rule set: its completion is the stop reason alone (it reads no
    energy), with chargex-2024's binding window and metrics."""
    text = (Path(__file__).parents[1] / "src" / "solidcheck" / "charging" / "rulesets"
            / "chargex-2024.toml").read_text(encoding="utf-8")
    text = text.replace('id = "chargex-2024"', 'id = "chargex-inl-calculator"')
    text = text.replace("min_energy_kwh = 0.1\n", "")
    return [parse_charging_ruleset(text)]


@pytest.fixture(scope="module")
def octt() -> dict[str, pa.Table]:
    return ingest([OCTT_LOG], charge_point_id="CS-1").tables


def test_the_real_log_is_one_authorize_first_attempt_that_delivered_power(octt) -> None:
    frame = attempts(octt, [charging_ruleset_by_id("chargex-2024")], **FAR)
    row = frame.row(0, named=True)
    assert frame.height == 1  # the Authorize binds to the transaction: VALID, 69 ms before
    assert (row["start_mode"], row["power_delivered"], row["stop_reason"]) == (
        "authorize_first", True, "Local")
    # Authorize logged 09:20:44.492, Charging logged 09:20:44.825
    assert row["charge_start_time_s"] == pytest.approx(0.333)
    # no meter value in the log: ChargeX's 0.1 kWh floor cannot be checked, so not judged
    assert row["energy_kwh"] is None and row["completed"] is None


def test_the_real_log_against_inls_kpi_workbook(octt) -> None:
    rulesets = _inl_calculator_rule()
    ours = usage_figures(attempts(octt, rulesets, **FAR), rulesets, by=None)[None]
    start, session = _inl_sheet("charge_start_success"), _inl_sheet("session_success")
    end, time = _inl_sheet("charge_end_success"), _inl_sheet("charge_start_time")
    # charge end success: the same definition, the same counts
    assert ours.charge_end_success is not None
    assert [ours.charge_end_success.successful, ours.charge_end_success.attempts] == end["10"][:2]
    assert ours.charge_end_success.rate_percent == 100 * end["10"][3]
    # INL's parse leaves the Authorize unbound (transaction_ID -1) and counts it as a failed
    # attempt of the Authorize-first mode; we bind it (same token, within 300 s). So INL has
    # exactly one attempt more, one that never succeeds, in both KPIs
    assert ours.charge_start_success is not None
    assert start["Total Samples"][:2] == [ours.charge_start_success.successful,
                                          ours.charge_start_success.attempts + 1]
    assert session["Total Samples"][:2] == [ours.session_success["chargex-inl-calculator"]
                                            .successful,
                                            ours.session_success["chargex-inl-calculator"]
                                            .attempts + 1]
    # INL's weighted average weighs each start mode by its share of the successes: the mode
    # of the unbound Authorize has none, so here it drops out and the average is our rate
    assert ours.charge_start_success.rate_percent == 100 * start["Weighted Average"][0]
    assert ours.session_success["chargex-inl-calculator"].rate_percent == (
        100 * session["Weighted Average"][0])
    # INL's parse keeps whole seconds; ours has the log's milliseconds: less than 1 s apart
    inl_p = dict(zip(("p10", "p25", "p50", "p75"), (float(v) for v in time["9"][:4]),
                     strict=True))
    assert time["9"][4] == 1
    for name, value in inl_p.items():
        assert 0 <= ours.charge_start_time_s[name] - value < 1


def test_no_sessions_give_zero_counts_and_null_rates() -> None:
    rulesets = [charging_ruleset_by_id(i) for i in ("chargex-2024", "fr-afirev")]
    frame = attempts({}, rulesets, **FAR)
    assert frame.height == 0 and success_column("fr-afirev") in frame.columns
    network = usage_figures(frame, rulesets, by=None)[None]
    assert (network.sessions, network.energy_kwh, network.charge_start_time_s) == (0, 0.0, {})
    assert network.session_success["fr-afirev"].rate_percent is None
    assert network.charge_start_success is not None
    assert network.charge_start_success.rate_percent is None
    assert usage_figures(frame, rulesets, by="port_id") == {}


def test_an_irve_sessions_file_as_operators_write_it(tmp_path: Path) -> None:
    # a UTF-8 BOM, ';' separators, decimal commas, offsets and epoch milliseconds
    start_ms = int(T0.timestamp() * 1000)
    text = ("\ufeffid_pdc_itinerance;start;end;energy\n"
            "FRA1E1;2026-03-01T09:00:00+01:00;2026-03-01T09:02:30+01:00;0,6\n"   # 150 s
            f"FRA1E1;{start_ms + 3_600_000};{start_ms + 3_600_000 + 181_000};0,51\n"  # 181 s
            "FRA1E2;2026-03-01T12:00:00Z;2026-03-01T12:02:00Z;7,4\n")          # 120 s
    path = tmp_path / "sessions.csv"
    path.write_bytes(text.encode("utf-8"))
    rulesets = [charging_ruleset_by_id(i) for i in ("fr-afirev", "fr-qualicharge")]
    frame = attempts(ingest([path]).tables, rulesets, **FAR)
    assert frame["start"].to_list() == [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=4)]
    assert frame[success_column("fr-afirev")].to_list() == [True, True, False]
    assert frame[success_column("fr-qualicharge")].to_list() == [False, True, False]
    network = usage_figures(frame, rulesets, by=None)[None]
    assert network.energy_kwh == pytest.approx(0.6 + 0.51 + 7.4)
    assert network.charge_start_success is None  # no rule set given defines it
    ports = usage_figures(frame, rulesets, by="port_id")
    assert {k: v.session_success["fr-afirev"].successful for k, v in ports.items()} == {
        "FRA1E1": 2, "FRA1E2": 0}
