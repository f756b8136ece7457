"""solidcheck charging metrics end to end: the real OCA test-tool log, folders written by
`charging ingest`, the published schema, the data-quality findings, bad input (exit 2) and
the text in English and Chinese."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from charging_tables import at, inventory, session, status, tables
from solidcheck.charging.ingest import ingest
from solidcheck.charging.metrics import compute_metrics
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.cli import app

DATA = Path(__file__).parents[1] / ".." / "shared" / "data" / "ocpp201-octt-inl"
OCTT_LOG = DATA / "example_log.log"
QUALICHARGE = charging_ruleset_by_id("fr-qualicharge")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def octt_json() -> dict[str, object]:
    run = invoke("charging", "metrics", str(OCTT_LOG), "--charge-point", "CS-1",
                 "--format", "json")
    assert run.exit_code == 0, run.output
    return json.loads(run.output)


def test_the_real_log_validates_against_the_published_schema(octt_json) -> None:
    schema = json.loads(invoke("schema", "charging-metrics").output)
    jsonschema.validate(octt_json, schema)
    assert octt_json["rulesets"][0]["id"] == "cn-alliance-wp-2026"
    broken = dict(octt_json, network={**octt_json["network"], "ports": -1})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_real_logs_closed_websocket_is_one_offline_spell(octt_json) -> None:
    events = ingest([OCTT_LOG], charge_point_id="CS-1").tables["station_events"].to_pylist()
    down = next(e["ts"] for e in events if e["kind"] == "disconnected")
    up = next(e["ts"] for e in events if e["kind"] == "connected" and e["ts"] > down)
    network = octt_json["network"]
    assert network["connection_drops"] == 1 and network["ports"] == 1
    assert network["minutes_by_state"]["offline"] == pytest.approx(
        (up - down).total_seconds() / 60, abs=1e-6)
    [outage] = octt_json["ports"][0]["outages"]
    assert outage["state"] == "offline" and outage["ticket_id"] is None
    assert octt_json["inputs"][0]["rows"] == 30 and octt_json["inputs"][0]["format"] == "octt"
    # its one transaction, counted once at every level and on its day
    assert network["sessions"] == octt_json["ports"][0]["sessions"] == 1
    assert sum(day["sessions"] for day in network["daily"]) == 1
    assert network["charge_start_success"]["attempts"] == 1


def test_a_folder_written_by_ingest_gives_the_same_figures(tmp_path: Path, octt_json) -> None:
    out = tmp_path / "tables"
    assert invoke("charging", "ingest", str(OCTT_LOG), "--charge-point", "CS-1",
                  "-o", str(out)).exit_code == 0
    run = invoke("charging", "metrics", str(out), "--format", "json", "-o",
                 str(tmp_path / "m.json"))
    assert run.exit_code == 0, run.output
    again = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert again["network"] == octt_json["network"]
    assert {i["format"] for i in again["inputs"]} >= {"parquet port_events"}


def test_text_summary_in_english_and_chinese() -> None:
    en = invoke("charging", "metrics", str(OCTT_LOG), "--charge-point", "CS-1")
    assert en.exit_code == 0
    assert "network availability by rule set" in en.output and "CS-1" in en.output
    assert "sessions: 1," in en.output
    zh = invoke("charging", "metrics", str(OCTT_LOG), "--charge-point", "CS-1", "--lang", "zh",
                "--ruleset", "us-nevi-2023", "--by", "port")
    assert zh.exit_code == 0
    assert "各规则集下的网络可用率" in zh.output and "端口正常运行率" in zh.output
    assert "network availability" not in zh.output


def test_bad_input_exits_2_listing_every_problem(tmp_path: Path) -> None:
    run = invoke("charging", "metrics", str(OCTT_LOG), "--charge-point", "CS-1",
                 "--from", "2024-05-17T09:00:00", "--to", "yesterday",
                 "--ruleset", "no-such-ruleset", str(tmp_path / "missing.log"))
    assert run.exit_code == 2
    for expected in ("--from", "no UTC offset", "--to", "not an ISO 8601 time",
                     "no-such-ruleset", "missing.log"):
        assert expected in run.output
    assert "Traceback" not in run.output
    offset = invoke("charging", "metrics", str(OCTT_LOG), "--charge-point", "CS-1",
                    "--from", "2024-05-17T17:20:00+08:00", "--to", "2024-05-17T17:30:00+08:00",
                    "--format", "json")
    assert offset.exit_code == 0
    assert json.loads(offset.output)["period"] == {"from": "2024-05-17T09:20:00Z",
                                                   "to": "2024-05-17T09:30:00Z"}


def test_qualicharges_data_quality_rules_are_findings() -> None:
    statuses = [status("P1", i * 0.5, "available", station="P1", line=i) for i in range(1442)]
    data = tables(port_events=statuses,
                  sessions=[session("P1", 10, 40), session("P1", 30, 50, line=3),
                            session("P1", 60, 70, line=4)])
    result = compute_metrics(data, [QUALICHARGE], period_from=at(0), period_to=at(24 * 60))
    rate = [f for f in result.findings if f.rule == "status_rate"]
    assert [(f.subject, f.params["count"]) for f in rate] == [("P1", 1442)]
    overlap = [f for f in result.findings if f.rule == "session_overlap"]
    assert [(f.params["count"], f.params["line"]) for f in overlap] == [(1, 3)]
    assert all(f.severity == "warning" and f.clause for f in rate + overlap)


def test_irve_files_as_exported_give_sums_over_sums_per_operator(tmp_path: Path) -> None:
    """A gzipped dynamique with a BOM, ``;`` and offsets across the spring DST change, and a
    statique with decimal commas: the minutes come out in UTC, and the operator's figure is
    Σ/Σ over its ports."""
    import gzip

    dynamique = tmp_path / "irve_dynamique.csv.gz"
    dynamique.write_bytes(gzip.compress((
        "\ufeffid_pdc_itinerance;etat_pdc;occupation_pdc;horodatage;etat_prise_type_2\n"
        "FRS63E0001;en_service;libre;2026-03-28T23:30:00+01:00;fonctionnel\n"
        "FRS63E0001;hors_service;inconnu;2026-03-29T03:30:00+02:00;hors_service\n"
        "FRS63E0001;en_service;occupe;2026-03-29T04:30:00+02:00;fonctionnel\n"
        "FRS63E0002;en_service;libre;2026-03-28T23:30:00+01:00;fonctionnel\n").encode()))
    statique = tmp_path / "irve_statique.csv"
    statique.write_text(
        "\ufeffnom_amenageur;nom_operateur;id_station_itinerance;id_pdc_itinerance;"
        "puissance_nominale;horaires;date_mise_en_service\n"
        'Réseau A;Opérateur B;FRS63P0001;FRS63E0001;"150,0";24/7;2021-06-30\n'
        'Réseau A;Opérateur B;FRS63P0001;FRS63E0002;"22,0";24/7;2021-06-30\n',
        encoding="utf-8")
    run = invoke("charging", "metrics", str(dynamique), "--inventory", str(statique),
                 "--ruleset", "us-nevi-2023", "--ruleset", "uk-pcpr-2023",
                 "--from", "2026-03-28T22:30:00Z", "--to", "2026-03-29T04:30:00+02:00",
                 "--format", "json")
    assert run.exit_code == 0, run.output
    result = json.loads(run.output)
    ports = {p["port_id"]: p for p in result["ports"]}
    assert ports["FRS63E0001"]["minutes_by_state"] == {"available": 180, "unavailable": 60}
    assert ports["FRS63E0001"]["station_id"] == "FRS63P0001"
    [operator] = result["operators"]
    assert operator["operator"] == "Opérateur B" and operator["stations"] == 1
    assert operator["availability"]["us-nevi-2023"]["rate_percent"] == pytest.approx(87.5)
    # the UK counts the 150 kW port only
    assert result["network"]["availability"]["uk-pcpr-2023"]["rate_percent"] == pytest.approx(75)
    text = invoke("charging", "metrics", str(dynamique), "--inventory", str(statique),
                  "--ruleset", "us-nevi-2023", "--by", "operator",
                  "--from", "2026-03-28T22:30:00Z", "--to", "2026-03-29T02:30:00Z")
    assert text.exit_code == 0 and "Opérateur B: 87.5 %" in text.output
    assert "operators with the lowest service availability" in text.output


def test_late_statuses_implausible_energy_and_occupied_out_of_service_are_findings() -> None:
    late = dict(status("P1", 0, "available", station="P1", line=7), logged_ts=at(6))
    fresh = dict(status("P1", 10, "available", station="P1", line=8), logged_ts=at(14))
    both = dict(status("P2", 10, "unavailable", station="P2", line=9),
                raw_status="hors_service/occupe")
    heavy = dict(session("P1", 0, 60, line=5), energy_wh=22_000 * 1.2)  # 1 h at 22 kW
    fine = dict(session("P1", 60, 120, line=6), energy_wh=22_000 * 1.05)
    unknown_power = dict(session("P2", 0, 60, line=7), energy_wh=1e9)
    data = tables(port_events=[late, fresh, both], sessions=[heavy, fine, unknown_power],
                  inventory=[inventory("P1", "P1", 22.0)])
    result = compute_metrics(data, [QUALICHARGE], period_from=at(0), period_to=at(120))
    found = {(f.rule, f.subject): f.params for f in result.findings
             if f.severity == "warning"}
    assert set(found) == {("status_freshness", "P1"), ("energy_plausibility", "P1"),
                          ("out_of_service_occupied", "P2")}
    assert (found["status_freshness", "P1"]["count"], found["status_freshness", "P1"]["line"]) \
        == (1, 7)
    assert (found["energy_plausibility", "P1"]["count"],
            found["energy_plausibility", "P1"]["line"]) == (1, 5)


def test_a_tickets_file_gives_outage_minutes_back_under_nevi_only(tmp_path: Path) -> None:
    """Tickets as a ticket system exports them (``;``, a BOM, causes in words, a Chinese
    cause): only NEVI's excluded causes give minutes back."""
    dynamique = tmp_path / "dynamique.csv"
    dynamique.write_text(
        "id_pdc_itinerance;etat_pdc;occupation_pdc;horodatage\n"
        "P1;hors_service;inconnu;2026-05-01T10:00:00+02:00\n"
        "P2;hors_service;inconnu;2026-05-01T10:00:00+02:00\n", encoding="utf-8")
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "\ufeffticket_id;port_id;opened;closed;cause\n"
        "T1;P1;2026-05-01T08:30:00Z;2026-05-01T09:00:00Z;Vandalized\n"
        "T2;P2;2026-05-01T08:30:00Z;2026-05-01T09:00:00Z;电网停电\n"
        "T3;P2;2026-05-01T09:00:00Z;2026-05-01T09:30:00Z;power failure\n", encoding="utf-8")
    run = invoke("charging", "metrics", str(dynamique), "--tickets", str(tickets),
                 "--ruleset", "us-nevi-2023", "--ruleset", "cn-alliance-wp-2026",
                 "--from", "2026-05-01T08:00:00Z", "--to", "2026-05-01T10:00:00Z",
                 "--format", "json")
    assert run.exit_code == 0, run.output
    ports = {p["port_id"]: p for p in json.loads(run.output)["ports"]}
    for port_id in ("P1", "P2"):  # vandalism, utility outage: 30 of 120 minutes back
        nevi = ports[port_id]["availability"]["us-nevi-2023"]
        assert (nevi["excluded_minutes"], nevi["unavailable_minutes"]) == (30, 90)
        assert ports[port_id]["availability"]["cn-alliance-wp-2026"]["excluded_minutes"] == 0
    assert [o["ticket_id"] for o in ports["P2"]["outages"]] == ["T2"]
