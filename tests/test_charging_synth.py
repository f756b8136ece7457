"""solidcheck charging synth: a synthetic network whose files the readers take whole and whose
truth.json is what the files really say — so the metrics can be checked against it exactly."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import json
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.charging.synth import make_spec, simulate, write_network
from solidcheck.charging.synth.record import Network
from solidcheck.charging.synth.tables import (
    DYNAMIQUE_HEADER,
    SESSIONS_HEADER,
    STATIQUE_HEADER,
    TICKETS_HEADER,
)
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError

SEED = 20260316


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("network")
    # across the night France moves to summer time (+01:00 to +02:00 in the IRVE files)
    network = simulate(make_spec(stations=12, days=6, seed=SEED,
                                 start="2026-03-27T00:00:00+01:00"))
    write_network(network, folder)
    return network, folder, json.loads((folder / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables(synth: tuple[Network, Path, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    _, folder, _ = synth
    files = sorted(path for path in folder.iterdir() if path.name != "truth.json")
    result = ingest(files)
    assert {Path(item.source).name for item in result.inputs} == {path.name for path in files}
    return {name: table.to_pylist() for name, table in result.tables.items()}


def _utc(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_the_same_seed_writes_the_same_bytes_and_another_seed_another_network(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def written(seed: int, folder: Path) -> dict[str, bytes]:
        network = simulate(make_spec(stations=6, days=2, seed=seed,
                                     start="2026-10-24T00:00:00+02:00"))
        return {path.name: path.read_bytes() for path in write_network(network, folder)}

    first = written(7, tmp_path / "a")
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # the machine's own zone changes nothing
    time.tzset()
    try:
        again = written(7, tmp_path / "b")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert first == again
    assert set(first) == {"ocpp16.jsonl.gz", "ocpp201.jsonl.gz", "irve_dynamique.csv",
                          "irve_sessions.csv", "irve_statique.csv", "tickets.csv", "truth.json"}
    other = written(8, tmp_path / "c")
    assert other["truth.json"] != first["truth.json"]


def test_every_file_is_read_whole_every_frame_passes_its_official_schema(
        tables: dict[str, list[dict[str, Any]]]) -> None:
    assert tables["rejected"] == []
    frames = tables["frames"]
    assert frames and all(row["valid"] is True for row in frames), \
        [row["problem"] for row in frames if row["valid"] is not True][:5]
    assert {row["ocpp_version"] for row in frames} == {"1.6", "2.0.1"}
    calls = Counter(row["message_type"] for row in frames)
    assert calls["call"] == calls["result"]  # the central system answers every CALL


def test_the_files_have_the_headers_operators_publish(
        synth: tuple[Network, Path, dict[str, Any]]) -> None:
    _, folder, truth = synth

    def header(name: str, delimiter: str) -> tuple[str, ...]:
        text = (folder / name).read_text(encoding="utf-8")
        return tuple(next(csv.reader(io.StringIO(text), delimiter=delimiter)))

    assert header("irve_dynamique.csv", ";") == ("\ufeff" + DYNAMIQUE_HEADER[0],
                                                 *DYNAMIQUE_HEADER[1:])
    assert header("irve_sessions.csv", ";")[1:] == SESSIONS_HEADER[1:]
    assert header("irve_statique.csv", ",") == STATIQUE_HEADER
    dynamique = (folder / "irve_dynamique.csv").read_text(encoding="utf-8")
    assert "+01:00;" in dynamique and "+02:00;" in dynamique  # French local time, both sides
    assert ";en_service;inconnu;" in dynamique and ";inconnu;inconnu;" in dynamique
    assert header("tickets.csv", ",") == TICKETS_HEADER == (
        "ticket_id", "port_id", "station_id", "severity", "opened", "acknowledged", "resolved",
        "closed", "cause", "resolution", "reopened")
    with (folder / "ocpp16.jsonl.gz").open("rb") as handle:
        first = json.loads(gzip.decompress(handle.read()).splitlines()[0])
    assert list(first) == ["ts", "charge_point_id", "direction", "frame", "ocpp_version"]
    inventory = list(csv.DictReader(io.StringIO(
        (folder / "irve_statique.csv").read_text(encoding="utf-8"))))
    assert [row["id_pdc_itinerance"] for row in inventory] == \
        [port["port_id"] for port in truth["ports"]]


def test_the_tickets_file_says_what_the_truth_counts(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    _, folder, truth = synth
    rows = list(csv.DictReader(io.StringIO((folder / "tickets.csv").read_text("utf-8"))))
    assert [row["ticket_id"] for row in tables["tickets"]] == [row["ticket_id"] for row in rows]
    steps = ("opened", "acknowledged", "resolved", "closed")
    for row in rows:
        times = [datetime.fromisoformat(row[step]) for step in steps if row[step]]
        assert all(when.utcoffset() is not None for when in times)
        assert times == sorted(times), row
    summary = truth["network"]["tickets"]
    assert summary["opened"] == len(rows) > 0
    for step in steps[1:]:
        assert summary[step] == sum(1 for row in rows if row[step])
    assert summary["reopened"] == sum(1 for row in rows if int(row["reopened"]))
    assert summary["remote"] == sum(1 for row in rows if row["resolution"] == "remote")
    tiers = charging_ruleset_by_id("cn-alliance-wp-2026").rules.sla_tiers
    assert tiers is not None
    hours = {tier.severity: (tier.acknowledge_h, tier.resolve_h) for tier in tiers.tiers}

    def within(row: dict[str, str], step: str, limit_h: float) -> bool:
        return bool(row[step]) and _utc(row[step]) - _utc(row["opened"]) <= limit_h * 3600

    assert 0 < summary["within_sla"] == sum(
        1 for row in rows if within(row, "acknowledged", hours[row["severity"]][0])
        and within(row, "resolved", hours[row["severity"]][1])) < len(rows)
    assert summary["first_time_fix"] == sum(1 for row in rows
                                            if row["resolved"] and row["reopened"] == "0")
    assert 0 < summary["verified"] <= summary["closed"]
    excluded = set(charging_ruleset_by_id("us-nevi-2023").rules.excluded_causes.causes)
    assert 0 < summary["excluded_cause"] < len(rows)
    assert summary["excluded_cause"] == sum(1 for row in rows if row["cause"] in excluded)


def test_the_port_events_read_back_are_the_truths_statuses(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    _, _, truth = synth
    read = Counter(row["port_id"] for row in tables["port_events"])
    assert set(read) == {port["port_id"] for port in truth["ports"]}
    assert read == {port["port_id"]: port["status_events"] for port in truth["ports"]}


def test_the_minutes_of_each_state_follow_from_the_files(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    """docs/charging.md's definitions 1, 2 and 6 applied to what was read back (the states
    and the station's silences) give the truth's seconds, port by port."""
    _, _, truth = synth
    start, end = (_utc(truth["period"][key]) for key in ("from", "to"))
    offline = {station["station_id"]: [(_utc(e["start"]), _utc(e["end"]))
                                       for e in station["offline_episodes"]]
               for station in truth["stations"]}
    events: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in tables["port_events"]:
        events[row["port_id"]].append((int(row["ts"].timestamp()), row["state"]))
    for port in truth["ports"]:
        timeline = sorted(events[port["port_id"]] + [
            (went, "offline") for went, _ in offline[port["station_id"]]],
            key=lambda item: item[0])
        seconds: Counter[str] = Counter({"unknown": timeline[0][0] - start})
        for number, (when, state) in enumerate(timeline):
            until = timeline[number + 1][0] if number + 1 < len(timeline) else end
            seconds[state] += until - when
        assert {k: v for k, v in seconds.items() if v} == port["seconds_by_state"]


def test_offline_starts_at_the_last_message_of_a_silence_longer_than_k_heartbeats(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    _, _, truth = synth
    multiple = charging_ruleset_by_id("cn-alliance-wp-2026").rules.offline_detection
    assert multiple is not None
    interval = {}
    for row in tables["frames"]:
        if row["action"] == "BootNotification" and row["message_type"] == "result":
            interval[row["charge_point_id"]] = json.loads(row["payload"])["interval"]
    sent: dict[str, list[int]] = defaultdict(list)
    for row in tables["frames"]:
        if row["direction"] == "in":
            sent[row["charge_point_id"]].append(int(row["ts"].timestamp()))
    episodes = 0
    for station in truth["stations"]:
        if station["protocol"] == "irve":
            assert station["offline_episodes"] == [] and station["station_id"] not in sent
            continue
        times = sorted(sent[station["station_id"]])
        limit = multiple.heartbeat_multiple * interval[station["station_id"]]
        silences = [(a, b) for a, b in itertools.pairwise(times) if b - a > limit]
        assert silences == [(_utc(e["start"]), _utc(e["end"]))
                            for e in station["offline_episodes"]]
        episodes += len(silences)
    assert episodes == truth["network"]["connection_drops"] > 0


def test_reboots_and_sessions_read_back_are_the_truths(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    _, _, truth = synth
    boots: dict[str, Counter[str]] = defaultdict(Counter)
    for row in tables["station_events"]:
        if row["kind"] == "boot":
            boots[row["station_id"]][row["detail"] or "unknown"] += 1
    assert {station["station_id"]: station["reboots"] for station in truth["stations"]
            if station["protocol"] != "irve"} == boots
    assert "Watchdog" in truth["network"]["reboots"]
    sessions = Counter(row["port_id"] for row in tables["transaction_events"]
                       if row["event"] == "started")
    sessions.update(row["port_id"] for row in tables["sessions"])
    assert sessions == {port["port_id"]: port["sessions"] for port in truth["ports"]
                        if port["sessions"]}


def test_the_truth_adds_up(synth: tuple[Network, Path, dict[str, Any]]) -> None:
    _, _, truth = synth
    start, end = (_utc(truth["period"][key]) for key in ("from", "to"))
    network = truth["network"]
    assert network["ports"] == len(truth["ports"]) and network["stations"] == 12
    for port in truth["ports"]:
        assert sum(port["seconds_by_state"].values()) == end - start
        assert sum(port["minutes_by_state"].values()) == pytest.approx((end - start) / 60)
        for outage in port["outages"]:
            assert start <= _utc(outage["start"]) < _utc(outage["end"]) <= end
            assert outage["state"] in truth["rules"]["unavailable_states"]
        assert port["attempts"] == port["sessions"] + port["silent_failures"]
        assert port["merged_outage_episodes"] <= len(port["outages"])
        for ruleset, successful in port["session_success"].items():
            assert successful <= port["sessions"] - port["failed_starts"], ruleset
    for key in ("sessions", "failed_starts", "silent_failures", "status_events",
                "merged_outage_episodes", "status_flaps"):
        assert network[key] == sum(port[key] for port in truth["ports"]) > 0, key
    states = Counter[str]()
    for port in truth["ports"]:
        states.update(port["seconds_by_state"])
    assert network["seconds_by_state"] == dict(states)
    assert set(states) >= {"available", "occupied", "faulted", "unavailable", "offline",
                           "unknown"}


def test_sessions_sit_on_both_sides_of_every_rule_sets_floor(
        synth: tuple[Network, Path, dict[str, Any]]) -> None:
    """For each duration and energy floor of each rule set: a session one unit under it, on
    it, and over it — where "above" and "at least" part."""
    network, _, truth = synth
    sessions = [s for st in network.stations for p in st.ports for s in p.sessions]
    durations = {s.duration_s for s in sessions}
    energies = {s.energy_wh for s in sessions}
    for ruleset_id in truth["rules"]["session_success_rulesets"]:
        rule = charging_ruleset_by_id(ruleset_id).rules.session_success
        assert rule is not None
        if rule.min_duration_s is not None:
            floor = round(rule.min_duration_s)
            assert {floor - 1, floor, floor + 1} <= durations, ruleset_id
        if rule.min_energy_kwh is not None:
            floor = round(rule.min_energy_kwh * 1000)
            assert {floor - 1, floor, floor + 1} <= energies, ruleset_id
    counts, judged = truth["network"]["session_success"], truth["network"]["session_judged"]
    assert counts["fr-qualicharge"] < counts["fr-afirev"] < truth["network"]["sessions"]
    # an IRVE session, which says not why it stopped, is judged by ChargeX only if it fails
    assert judged["fr-afirev"] == truth["network"]["sessions"] > judged["chargex-2024"]


def test_bad_arguments_are_one_error_listing_each(tmp_path: Path) -> None:
    with pytest.raises(ChargingInputError) as caught:
        make_spec(stations=0, days=0, seed=-1, start="2026-03-16T00:00:00")
    assert [problem.path for problem in caught.value.problems] == \
        ["--stations", "--days", "--seed", "--start"]
    result = CliRunner().invoke(app, ["charging", "synth", "--stations", "0", "--days", "3",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--stations" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("lang", "word"), [("en", "wrote"), ("zh", "已写入")])
def test_the_command_says_what_it_wrote(tmp_path: Path, lang: str, word: str) -> None:
    result = CliRunner().invoke(app, ["charging", "synth", "--stations", "3", "--days", "1",
                                      "--seed", "5", "-o", str(tmp_path), "--lang", lang])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sum(1 for line in lines if line.startswith(word)) == 7
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["generator"] == {"stations": 3, "days": 1, "seed": 5}
    assert str(truth["network"]["sessions"]) in lines[-1]
    assert datetime.fromisoformat(truth["period"]["to"]) - datetime.fromisoformat(
        truth["period"]["from"]) == datetime(2026, 1, 2, tzinfo=UTC) - datetime(
        2026, 1, 1, tzinfo=UTC)


def _beats(value: float, floor: float | None, comparison: str) -> bool:
    return floor is None or (value > floor if comparison == "above" else value >= floor)


def test_session_success_read_back_from_the_files_is_the_truths(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    """Each rule set's success rule applied to the sessions as the files give them —
    transaction start to end and meter stop − start (OCPP), the IRVE rows — gives the truth's
    counts, port by port; so do the failed starts (2.0.1: never Charging)."""
    _, _, truth = synth
    found: list[tuple[str, float, float, str | None]] = []
    transactions: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for row in tables["transaction_events"]:
        record = transactions[row["station_id"], row["transaction_id"]]
        record[row["event"]] = row
        if row["charging_state"] == "Charging":
            record["charged"] = True
    for record in transactions.values():
        started, ended = record["started"], record["ended"]
        found.append((started["port_id"], (ended["ts"] - started["ts"]).total_seconds(),
                      ended["energy_wh"] - started["energy_wh"], ended["stopped_reason"]))
    found += [(row["port_id"], row["duration_s"], row["energy_wh"], row["stop_reason"])
              for row in tables["sessions"]]
    for ruleset_id in truth["rules"]["session_success_rulesets"]:
        rule = charging_ruleset_by_id(ruleset_id).rules.session_success
        assert rule is not None
        floors = [(port, _beats(duration_s, rule.min_duration_s, rule.comparison)
                   and _beats(energy_wh / 1000, rule.min_energy_kwh, rule.comparison), reason)
                  for port, duration_s, energy_wh, reason in found]
        counts = Counter(port for port, passed, reason in floors if passed and (
            rule.stop_reasons is None or (reason is not None and reason in rule.stop_reasons)))
        judged = Counter(port for port, passed, reason in floors
                         if not passed or rule.stop_reasons is None or reason is not None)
        assert counts == {port["port_id"]: port["session_success"][ruleset_id]
                          for port in truth["ports"] if port["session_success"][ruleset_id]}
        assert judged == {port["port_id"]: port["session_judged"][ruleset_id]
                          for port in truth["ports"] if port["session_judged"][ruleset_id]}
    never = Counter(record["started"]["port_id"] for record in transactions.values()
                    if "charged" not in record and record["started"]["port_id"].count(":") == 2)
    assert never == {port["port_id"]: port["failed_starts"] for port in truth["ports"]
                     if port["protocol"] == "2.0.1" and port["failed_starts"]}


def test_silent_failures_are_authorisations_no_transaction_follows(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    """ChargeX's binding: an Authorize whose idToken starts no transaction within the
    rule set's window is a failed attempt — the truth's silent failures, station by station
    (Authorize names no port)."""
    _, _, truth = synth
    window = charging_ruleset_by_id("chargex-2024").rules.authorize_binding
    assert window is not None
    started = {(row["station_id"], row["id_token_sha256"]): row["ts"]
               for row in tables["transaction_events"] if row["event"] == "started"}
    unbound: Counter[str] = Counter()
    for row in tables["frames"]:
        if row["action"] != "Authorize" or row["message_type"] != "call":
            continue
        payload = json.loads(row["payload"])
        token = payload["idTag"] if "idTag" in payload else payload["idToken"]["idToken"]
        digest = hashlib.sha256(token.encode()).hexdigest()[:16]
        begun = started.get((row["charge_point_id"], digest))
        if begun is None or (begun - row["ts"]).total_seconds() > window.window_s:
            unbound[row["charge_point_id"]] += 1
    expected: Counter[str] = Counter()
    for port in truth["ports"]:
        expected[port["station_id"]] += port["silent_failures"]
    assert unbound == +expected and sum(unbound.values()) > 0


def test_each_ticketed_outage_names_a_ticket_opened_during_it_on_its_port_or_station(
        synth: tuple[Network, Path, dict[str, Any]]) -> None:
    _, folder, truth = synth
    rows = {row["ticket_id"]: row for row in csv.DictReader(io.StringIO(
        (folder / "tickets.csv").read_text("utf-8")))}
    excluded = set(charging_ruleset_by_id("us-nevi-2023").rules.excluded_causes.causes)
    named = set()
    for port in truth["ports"]:
        for outage in port["outages"]:
            if outage["ticket_id"] is None:
                assert outage["cause"] is None and not outage["excluded_cause"]
                continue
            row = rows[outage["ticket_id"]]
            named.add(outage["ticket_id"])
            assert row["port_id"] in (port["port_id"], "")
            assert row["station_id"] == port["station_id"]
            assert _utc(outage["start"]) <= _utc(row["opened"]) < _utc(outage["end"])
            assert outage["excluded_cause"] == (row["cause"] in excluded)
    assert named == set(rows)  # every ticket is for an outage the truth lists
    end = _utc(truth["period"]["to"])
    for ticket_id, row in rows.items():  # and spans no other: its cause is that outage's
        until = _utc(row["closed"] or row["resolved"]) if row["resolved"] else end
        touched = {o["ticket_id"] for p in truth["ports"] for o in p["outages"]
                   if (p["port_id"] == row["port_id"]
                       or (not row["port_id"] and p["station_id"] == row["station_id"]))
                   and _utc(o["start"]) < until and _utc(row["opened"]) < _utc(o["end"])}
        assert touched == {ticket_id}, (ticket_id, touched)
    network = truth["network"]
    limit = truth["rules"]["fault_coverage_min_outage_s"]
    long = [o for p in truth["ports"] for o in p["outages"] if o["seconds"] > limit]
    assert network["coverable_outages"] == len(long)
    assert 0 < network["covered_outages"] == sum(1 for o in long if o["ticket_id"]) < len(long)


def test_charge_start_times_read_back_are_the_truths(
        synth: tuple[Network, Path, dict[str, Any]],
        tables: dict[str, list[dict[str, Any]]]) -> None:
    """ChargeX's start time, first Charging − authorisation, from the 2.0.1 log: the
    Authorize of the transaction's token, and its first event with chargingState Charging."""
    _, _, truth = synth
    authorised = {}
    for row in tables["frames"]:
        if row["action"] == "Authorize" and row["message_type"] == "call" \
                and row["ocpp_version"] == "2.0.1":
            token = json.loads(row["payload"])["idToken"]["idToken"]
            authorised[hashlib.sha256(token.encode()).hexdigest()[:16]] = row["ts"]
    tokens = {(row["station_id"], row["transaction_id"]): row["id_token_sha256"]
              for row in tables["transaction_events"] if row["event"] == "started"}
    times: dict[str, list[int]] = defaultdict(list)
    for row in tables["transaction_events"]:
        if row["charging_state"] == "Charging":
            begun = authorised[tokens[row["station_id"], row["transaction_id"]]]
            times[row["port_id"]].append(int((row["ts"] - begun).total_seconds()))
    expected = {port["port_id"]: port["charge_start_times_s"] for port in truth["ports"]
                if port["protocol"] == "2.0.1" and port["charge_start_times_s"]}
    assert {port: sorted(found) for port, found in times.items()} == expected != {}
