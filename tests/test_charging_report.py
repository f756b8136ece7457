"""The charging open report (HTML, PDF), its flat tables and its open data, built from a
realistic ChargingMetrics (tests/charging_report_example.py) through the pydantic model."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from charging_report_example import (
    AVAILABILITY_RULESETS,
    RULESETS,
    example_metrics,
    example_tables,
)
from language_scan import english_words, visible_text
from solidcheck.charging.ingest import ingest, write_tables
from solidcheck.charging.report import (
    metrics_table,
    render_charging_html,
    render_charging_pdf,
    write_metrics_table,
    write_open_data,
)
from solidcheck.charging.report.scorecard import metric_value, scorecard
from solidcheck.charging.results import ChargingMetrics
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError, MissingDependencyError
from solidcheck.i18n import format_quantity
from solidcheck.readers.contract import without_module

OCTT_LOG = Path(__file__).parents[1] / ".." / "shared" / "data" / "ocpp201-octt-inl" / (
    "example_log.log")
RULESET_OBJECTS = [charging_ruleset_by_id(r) for r in RULESETS]
#: names the user's data gives (operators) and names every language writes alike
ALLOWED = ("Op One", "Op Two", "ChargeX", "QualiCharge", "kW")


@pytest.fixture(scope="module")
def metrics() -> ChargingMetrics:
    return example_metrics()


@pytest.fixture(scope="module")
def pages(metrics: ChargingMetrics) -> dict[str, str]:
    return {lang: render_charging_html(metrics, RULESET_OBJECTS, lang=lang)  # type: ignore[arg-type]
            for lang in ("en", "zh", "both")}


def _row(page: str, ruleset: str, metric: str) -> str:
    found = re.search(rf'<tr id="score-{ruleset}-{metric}">(.*?)</tr>', page, re.S)
    assert found, f"no scorecard row for {ruleset}.{metric}"
    return found.group(1)


# --- the page ------------------------------------------------------------------------------

def test_the_page_is_one_self_contained_file(pages: dict[str, str]) -> None:
    for page in pages.values():
        assert "<script" not in page and "<link" not in page and "<img" not in page
        assert not re.findall(r'(?:src|href)="(?!#)[^"]*"', page)
        assert set(re.findall(r"https?://[^\s\"')<]+", page)) <= {
            "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
        assert page.count('role="img"') == 2  # the heatmap and the trend, each with a title
        assert len(re.findall(r'<title id="(heatmap|trend)-title">[^<]+</title>', page)) == 2


def test_the_scorecard_shows_every_metric_with_its_value_target_and_status(
        metrics: ChargingMetrics, pages: dict[str, str]) -> None:
    page = pages["en"]
    days = 14.0
    for ruleset in RULESET_OBJECTS:
        for metric_id, metric in ruleset.defined_metrics().items():
            row = _row(page, ruleset.id, metric_id)
            assert f"<code>{ruleset.id}.{metric_id}</code>" in row
            assert f"[{metric.certainty}]" in row
            assert metric.name in row
            value = metric_value(metrics.network, ruleset.id, metric_id, days=days)
            if isinstance(value, float) and metric.unit == "percent":
                target = next((r.target_percent for r in ruleset.defined_rules().values()
                               if getattr(r, "metric", None) == metric_id), None)
                shown = (format_quantity(value, "percent", against=target) if target
                         else format_quantity(round(value, 2), "percent"))
                assert shown in row, (ruleset.id, metric_id, shown)
            elif value is None:
                assert "—" in row
    nevi = _row(page, "us-nevi-2023", "uptime")
    uptime = metrics.network.availability["us-nevi-2023"].rate_percent
    assert uptime is not None
    assert ("met" if uptime > 97 else "missed") in nevi
    assert "&gt; 97 %" in nevi
    below = sum(p.availability["us-nevi-2023"].rate_percent <= 97  # type: ignore[operator]
                for p in metrics.ports)
    assert f"{below} of {len(metrics.ports)} port(s) miss it" in nevi


def test_a_metric_the_result_does_not_carry_is_not_measurable_not_zero(
        metrics: ChargingMetrics) -> None:
    stripped = metrics.model_copy(update={"network": metrics.network.model_copy(
        update={"availability": {}})})
    rows = {(r.ruleset_id, r.metric_id): r for r in scorecard(stripped, RULESET_OBJECTS)}
    assert rows["us-nevi-2023", "uptime"].status == "not_measurable"
    assert rows["us-nevi-2023", "uptime"].value is None
    assert rows["chargex-2024", "session_success"].status == "no_target"


def test_the_page_shows_stations_worst_ports_trend_tickets_inputs_and_findings(
        metrics: ChargingMetrics, pages: dict[str, str]) -> None:
    page = pages["en"]
    for station in metrics.stations:
        assert f"<code>{station.station_id}</code>" in page
    worst = min(metrics.ports, key=lambda p: p.service_availability_percent or 100)
    caption = re.search(rf"<caption><code>{worst.port_id}</code>.*?</caption>", page, re.S)
    assert caption and format_quantity(round(worst.service_availability_percent or 0, 2),
                                       "percent") in caption.group(0)
    for outage in worst.outages:
        assert outage.start.strftime("%Y-%m-%d %H:%M") in page
    shown = re.findall(r"<caption><code>([^<]+)</code>", page)
    assert shown and all(
        p.service_availability_percent < 100  # type: ignore[operator]
        for p in metrics.ports if p.port_id in shown)
    for day in metrics.network.daily:
        assert f'<time datetime="{day.date.isoformat()}">' in page
    closure = metrics.network.closure
    assert closure is not None
    for step in ("opened", "acknowledged", "resolved", "closed", "verified"):
        assert re.search(rf">{getattr(closure, step)}</td>", page)
    for item in metrics.inputs:
        assert item.sha256 in page and item.file in page
    assert "charging.rejected.time" in page
    for finding in metrics.findings:
        assert finding.message in page and finding.subject in page
    uptime = metrics.findings[0]
    assert uptime.value is not None and uptime.target is not None
    assert format_quantity(uptime.value, "percent", against=uptime.target) in page
    assert "23 CFR 680.116(b)" in page  # the clause from the rule set


def test_the_chinese_page_says_nothing_in_english_but_names(pages: dict[str, str]) -> None:
    page = pages["zh"]
    assert '<html lang="zh-CN">' in page
    text = visible_text(page, skip_marked_english=True)
    assert english_words(text, allowed=ALLOWED) == set()
    assert "运营商评分卡" in page and "达标" in page
    # the findings' stored English is marked as English, not passed off as Chinese
    assert '<span lang="en">port below the uptime target</span>' in page


def test_both_languages_mark_the_chinese(pages: dict[str, str]) -> None:
    page = pages["both"]
    assert '<html lang="en">' in page
    assert 'Operator scorecard / <span lang="zh-CN">运营商评分卡</span>' in page
    # a rule set's clause in both languages, the Chinese marked
    assert re.search(r'23 CFR 680\.116\(b\)[^<]*/ <span lang="zh-CN">美国联邦法规', page)


def test_a_network_without_ports_tickets_or_findings_still_reads(
        metrics: ChargingMetrics) -> None:
    empty = metrics.model_copy(update={
        "ports": [], "stations": [], "operators": [], "findings": [],
        "network": metrics.network.model_copy(update={"daily": [], "closure": None})})
    page = render_charging_html(empty, RULESET_OBJECTS)
    assert "No ticket figures" in page and "No finding" in page
    assert "The result has no daily figures." in page and 'role="img"' not in page


def test_an_unknown_language_or_a_missing_rule_set_is_refused(metrics: ChargingMetrics) -> None:
    with pytest.raises(ValueError, match="lang must be one of"):
        render_charging_html(metrics, RULESET_OBJECTS, lang="fr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="us-nevi-2023"):
        render_charging_html(metrics, RULESET_OBJECTS[1:])


# --- PDF -----------------------------------------------------------------------------------

def test_the_pdf_holds_the_scorecard(metrics: ChargingMetrics, tmp_path: Path) -> None:
    pdf = render_charging_pdf(metrics, RULESET_OBJECTS, lang="en")
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    assert "Operator scorecard" in text
    assert "us-nevi-2023.uptime" in text
    assert metrics.ports[0].port_id in text
    path.write_bytes(render_charging_pdf(metrics, RULESET_OBJECTS, lang="zh"))
    chinese = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                             capture_output=True, text=True, timeout=60).stdout
    assert "运营商评分卡" in chinese and "可用率最低" in chinese


def test_without_weasyprint_the_pdf_names_the_extra(metrics: ChargingMetrics) -> None:
    with without_module("weasyprint"), pytest.raises(MissingDependencyError) as caught:
        render_charging_pdf(metrics, RULESET_OBJECTS)
    assert caught.value.extra == "pdf"


# --- the flat tables -----------------------------------------------------------------------

@pytest.mark.parametrize("by", ["port", "station", "operator"])
def test_each_table_row_sums_to_the_network(metrics: ChargingMetrics, by: str) -> None:
    table = metrics_table(metrics, by=by)  # type: ignore[arg-type]
    rows = {"port": metrics.ports, "station": metrics.stations,
            "operator": metrics.operators}[by]
    assert table.num_rows == len(rows)
    network = metrics.network
    for column, total in [("sessions", network.sessions), ("ports", network.ports),
                          ("outage_minutes", network.outage_minutes),
                          ("energy_kwh", network.energy_kwh)]:
        assert sum(table.column(column).to_pylist()) == pytest.approx(total)
    for rid in AVAILABILITY_RULESETS:
        whole = network.availability[rid]
        available = sum(table.column(f"available_minutes__{rid}").to_pylist())
        excluded = sum(table.column(f"excluded_minutes__{rid}").to_pylist())
        unavailable = sum(table.column(f"unavailable_minutes__{rid}").to_pylist())
        assert available == pytest.approx(whole.available_minutes)
        assert 100 * (available + excluded) / (available + excluded + unavailable) == (
            pytest.approx(whole.rate_percent))
    success = network.session_success["fr-afirev"]
    assert sum(table.column("sessions_successful__fr-afirev").to_pylist()) == success.successful


def test_csv_and_parquet_hold_the_same_columns_and_nulls(metrics: ChargingMetrics,
                                                          tmp_path: Path) -> None:
    csv_path = write_metrics_table(metrics, tmp_path / "m.csv", by="port", format="csv")
    parquet_path = write_metrics_table(metrics, tmp_path / "m.parquet", by="port",
                                       format="parquet")
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    parquet = pq.read_table(parquet_path)
    assert list(rows[0]) == parquet.column_names
    for rid in RULESETS:
        assert f"availability_percent__{rid}" in parquet.column_names
    assert [r["port_id"] for r in rows] == [p.port_id for p in metrics.ports]
    # a rule set without an availability is an empty cell, never 0
    assert {r["availability_percent__chargex-2024"] for r in rows} == {""}
    assert parquet.column("availability_percent__chargex-2024").null_count == len(rows)


# --- open data -----------------------------------------------------------------------------

def test_the_open_data_reads_back_through_ingest_with_the_same_states(
        metrics: ChargingMetrics, tmp_path: Path) -> None:
    tables = example_tables()
    written = write_open_data(metrics, tables, tmp_path / "open")
    names = [p.name for p in written]
    assert names[-1] == "README.txt"
    back = ingest([tmp_path / "open" / n for n in ("irve-dynamique.csv", "irve-sessions.csv",
                                                   "irve-statique.csv")])
    assert back.tables["rejected"].num_rows == 0
    # IRVE has three service states: what stops a driver is hors_service, read back as
    # unavailable; a blocked bay is a working point whose bay is taken
    coarse = {"faulted": "unavailable", "offline": "unavailable", "blocked": "occupied"}
    original = sorted((r["port_id"], r["ts"], coarse.get(r["state"], r["state"]))
                      for r in tables["port_events"].to_pylist())
    again = sorted((r["port_id"], r["ts"], r["state"])
                   for r in back.tables["port_events"].to_pylist())
    assert again == original
    sessions = sorted((r["port_id"], r["start"], r["end"], r["energy_wh"])
                      for r in tables["sessions"].to_pylist())
    assert sorted((r["port_id"], r["start"], r["end"], pytest.approx(r["energy_wh"]))
                  for r in back.tables["sessions"].to_pylist()) == sessions
    inventory = back.tables["inventory"].to_pylist()
    assert {(r["port_id"], r["station_id"], r["operator"]) for r in inventory} == {
        (r["port_id"], r["station_id"], r["operator"])
        for r in tables["inventory"].to_pylist()}


def test_the_statuses_of_a_real_ocpp_log_survive_the_open_data(
        metrics: ChargingMetrics, tmp_path: Path) -> None:
    read = ingest([OCTT_LOG], charge_point_id="CS-1")  # the OCA test tool's OCPP 2.0.1 log
    statuses = [(r["port_id"], r["ts"], r["state"])
                for r in read.tables["port_events"].to_pylist()]
    assert statuses
    write_open_data(metrics, read.tables, tmp_path)
    back = ingest([tmp_path / "irve-dynamique.csv"])
    assert [(r["port_id"], r["ts"], r["state"])
            for r in back.tables["port_events"].to_pylist()] == statuses


def test_the_open_data_lists_every_file_with_its_sha256_and_the_schema_validates(
        metrics: ChargingMetrics, tmp_path: Path) -> None:
    import hashlib

    import jsonschema

    folder = tmp_path / "open"
    tables = example_tables()
    sessions = tables["sessions"].to_pylist()
    sessions[0]["energy_wh"] = None
    events = tables["port_events"].to_pylist()
    events[0] |= {"port_id": "CS-16:0", "station_wide": True}
    tables |= {"sessions": pa.Table.from_pylist(sessions, schema=tables["sessions"].schema),
               "port_events": pa.Table.from_pylist(events,
                                                   schema=tables["port_events"].schema)}
    written = write_open_data(metrics, tables, folder)
    readme = (folder / "README.txt").read_text("utf-8")
    assert "1 session(s) have no energy" in readme and "1 status(es) are for a whole" in readme
    for path in written[:-1]:
        assert f"{path.name}  sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}" in readme
    assert "hors_service/inconnu" in readme and "公开数据" in readme
    data = json.loads((folder / "metrics.json").read_text("utf-8"))
    schema = json.loads((folder / "charging-metrics.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert ChargingMetrics.model_validate(data) == metrics
    with (folder / "irve-dynamique.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == ["id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage",
                      "etat_prise_type_2", "etat_prise_type_combo_ccs",
                      "etat_prise_type_chademo", "etat_prise_type_ef"]


# --- the command ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def metrics_json(tmp_path_factory: pytest.TempPathFactory, metrics: ChargingMetrics) -> Path:
    path = tmp_path_factory.mktemp("metrics") / "metrics.json"
    path.write_text(metrics.model_dump_json(by_alias=True), encoding="utf-8")
    return path


def test_the_command_writes_the_html_report(metrics_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["charging", "report", str(metrics_json), "-o", str(out),
                                      "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert '<html lang="zh-CN">' in out.read_text("utf-8")


def test_a_gzipped_metrics_file_with_a_bom_is_read(metrics: ChargingMetrics,
                                                   tmp_path: Path) -> None:
    import gzip

    from solidcheck.charging.report import read_metrics_json

    path = tmp_path / "metrics.json.gz"
    path.write_bytes(gzip.compress(("\ufeff" + metrics.model_dump_json(by_alias=True))
                                   .encode("utf-8")))
    assert read_metrics_json(path) == metrics
    (tmp_path / "broken.json.gz").write_bytes(gzip.compress(b"{}")[:12])
    with pytest.raises(ChargingInputError, match="cannot be read"):
        read_metrics_json(tmp_path / "broken.json.gz")


def test_the_command_writes_open_data_from_an_ingested_folder(
        metrics_json: Path, tmp_path: Path) -> None:
    write_tables(example_tables(), tmp_path / "tables")
    result = CliRunner().invoke(app, ["charging", "report", str(metrics_json), "--to",
                                      "open-data", "--tables", str(tmp_path / "tables"),
                                      "-o", str(tmp_path / "open")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "open" / "irve-dynamique.csv").exists()
    assert str(tmp_path / "open" / "README.txt") in result.output


def test_a_wrong_input_is_exit_2_naming_the_problem(metrics_json: Path, tmp_path: Path
                                                    ) -> None:
    runner = CliRunner()
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"period": {"from": "2026-03-01T00:00:00Z"}}', encoding="utf-8")
    result = runner.invoke(app, ["charging", "report", str(wrong), "-o",
                                 str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "period.to" in result.output and "network" in result.output
    assert "Traceback" not in result.output
    not_json = tmp_path / "log.json"
    not_json.write_text("\ufeff{oops", encoding="utf-8")
    result = runner.invoke(app, ["charging", "report", str(not_json), "-o",
                                 str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "line 1" in result.output and "not JSON" in result.output
    result = runner.invoke(app, ["charging", "report", str(metrics_json), "-o",
                                 str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "--to" in result.output
    result = runner.invoke(app, ["charging", "report", str(metrics_json), "--to", "open-data",
                                 "-o", str(tmp_path / "open")])
    assert result.exit_code == 2 and "--tables" in result.output
    result = runner.invoke(app, ["charging", "report", str(metrics_json), "--to", "open-data",
                                 "--tables", str(tmp_path), "-o", str(tmp_path / "open")])
    assert result.exit_code == 2 and "none of the canonical tables" in result.output


def test_the_command_without_weasyprint_is_exit_4(metrics_json: Path, tmp_path: Path) -> None:
    with without_module("weasyprint"):
        result = CliRunner().invoke(app, ["charging", "report", str(metrics_json), "-o",
                                          str(tmp_path / "r.pdf")])
    assert result.exit_code == 4 and "solidcheck[pdf]" in result.output


# --- in a real browser ---------------------------------------------------------------------

@pytest.mark.browser
def test_the_report_passes_axe_in_chromium(pages: dict[str, str], tmp_path: Path) -> None:
    from test_browser_web import axe_of_files

    checked = axe_of_files(pages, tmp_path)
    assert checked == {"en": [], "zh": [], "both": []}


def test_a_large_network_draws_its_least_available_ports_and_says_so(
        metrics: ChargingMetrics) -> None:
    from solidcheck.charging.report.html import HEATMAP_PORTS

    template = metrics.ports[0]
    many = [template.model_copy(update={
        "port_id": f"FRBIGP{n:03d}", "service_availability_percent": 50.0 + n / 10,
        "daily_availability_percent": dict.fromkeys(template.daily_availability_percent,
                                                    50.0 + n / 10)})
        for n in range(HEATMAP_PORTS + 25)]
    page = render_charging_html(metrics.model_copy(update={"ports": many}), RULESET_OBJECTS)
    heatmap = page[page.index('<title id="heatmap-title">'):page.index("</figure>")]
    drawn = set(re.findall(r"FRBIGP\d{3}", heatmap))
    assert drawn == {f"FRBIGP{n:03d}" for n in range(HEATMAP_PORTS)}
    assert f"the {HEATMAP_PORTS} least available of the {len(many)} ports" in page


def test_every_word_the_page_can_show_is_in_the_catalogue() -> None:
    """Branches the example does not reach (a rule set without metrics, an unknown
    certainty …) must not fail for a missing word."""
    from typing import get_args

    from solidcheck.charging.model import STATES
    from solidcheck.charging.report.scorecard import Status
    from solidcheck.charging.report.words import Unit
    from solidcheck.charging.results import ChargingFinding
    from solidcheck.charging.rules import Certainty, ExcludedCause
    from solidcheck.i18n import load_catalogue
    from solidcheck.model import Severity

    template = (Path(__file__).parents[1] / "src" / "solidcheck" / "charging" / "report"
                / "templates" / "charging.html.j2").read_text("utf-8")
    keys = set(re.findall(r"\bt\('([a-z_]+)'", template))
    keys |= {f"status.{s}" for s in get_args(Status)}
    keys |= {f"certainty.{c}" for c in get_args(Certainty)}
    keys |= {f"severity.{s}" for s in get_args(Severity)}
    keys |= {f"scope.{s}" for s in get_args(ChargingFinding.model_fields["scope"].annotation)}
    keys |= {f"state.{s}" for s in STATES} | {f"cause.{c}" for c in get_args(ExcludedCause)}
    keys |= {f"unit.{u}" for u in get_args(Unit) if u not in ("percent", "count")}
    keys |= {f"funnel.{step}" for step in ("opened", "acknowledged", "resolved", "closed",
                                           "verified")}
    assert len(keys) > 100
    missing = sorted(k for k in keys if f"charging.report.{k}" not in load_catalogue().ids())
    assert missing == []


def test_the_engines_result_for_the_real_ocpp_log_renders_and_tabulates() -> None:
    """The renderers against what ``compute_metrics`` really produces, on the real OCA log."""
    from solidcheck.charging.metrics import compute_metrics
    from solidcheck.charging.rules import available_charging_rulesets

    rulesets = available_charging_rulesets()
    result = compute_metrics(ingest([OCTT_LOG], charge_point_id="CS-1").tables, rulesets,
                             lang="zh")
    english = render_charging_html(result, rulesets)
    for ruleset in rulesets:
        for metric_id in ruleset.defined_metrics():
            assert f'<tr id="score-{ruleset.id}-{metric_id}">' in english
    first = "cn-alliance-wp-2026"
    availability = result.network.availability[first].rate_percent
    assert availability is not None
    assert format_quantity(round(availability, 2), "percent") in _row(
        english, first, "service_availability")
    chinese = render_charging_html(result, rulesets, lang="zh")
    assert english_words(visible_text(chinese, skip_marked_english=True),
                         allowed=ALLOWED) == set()
    for by in ("port", "station"):
        table = metrics_table(result, by=by)  # type: ignore[arg-type]
        assert sum(table.column("sessions").to_pylist()) == result.network.sessions
        assert sum(table.column(f"available_minutes__{first}").to_pylist()) == (
            pytest.approx(result.network.availability[first].available_minutes))


def test_the_open_data_publishes_the_projects_own_schema() -> None:
    """charging/ sits below schemas.py, so the export builds the schema itself: the same."""
    from solidcheck.charging.report import charging_metrics_schema
    from solidcheck.schemas import json_schema

    assert charging_metrics_schema() == json_schema("charging-metrics")


def test_a_rule_set_the_result_names_comes_installed_or_from_a_file(
        metrics: ChargingMetrics, tmp_path: Path) -> None:
    from importlib import resources

    from solidcheck.charging.results import RulesetRef

    text = (resources.files("solidcheck.charging") / "rulesets" / "fr-afirev.toml").read_text(
        "utf-8").replace('id = "fr-afirev"', 'id = "my-network"')
    own = tmp_path / "my-network.toml"
    own.write_text(text, encoding="utf-8")
    result = metrics.model_copy(update={"rulesets": [*metrics.rulesets, RulesetRef(
        id="my-network", title="Our own", title_zh="自定", document="ours")]})
    path = tmp_path / "metrics.json"
    path.write_text(result.model_dump_json(by_alias=True), encoding="utf-8")
    runner = CliRunner()
    unknown = runner.invoke(app, ["charging", "report", str(path), "-o",
                                  str(tmp_path / "r.html")])
    assert unknown.exit_code == 2 and "my-network" in unknown.output
    given = runner.invoke(app, ["charging", "report", str(path), "-o", str(tmp_path / "r.html"),
                                "-r", str(own)])
    assert given.exit_code == 0, given.output
    assert '<tr id="score-my-network-session_success">' in (tmp_path / "r.html").read_text(
        "utf-8")


def test_a_third_party_recomputes_every_figure_from_the_open_data(tmp_path: Path) -> None:
    """A synthetic network's IRVE files and tickets → the metrics → the open data → the
    metrics again: the same result, figure for figure (only the inputs differ)."""
    from datetime import datetime

    from solidcheck.charging.metrics import compute_metrics
    from solidcheck.charging.rules import available_charging_rulesets
    from solidcheck.charging.synth import make_spec, simulate, write_network

    network = tmp_path / "network"
    network.mkdir()
    write_network(simulate(make_spec(stations=4, days=5, seed=7,
                                     start="2026-03-02T00:00:00+01:00")), network)
    truth = json.loads((network / "truth.json").read_text("utf-8"))
    period = {"period_from": datetime.fromisoformat(truth["period"]["from"]),
              "period_to": datetime.fromisoformat(truth["period"]["to"])}
    rulesets = available_charging_rulesets()
    tables = ingest([network / name for name in ("irve_dynamique.csv", "irve_sessions.csv",
                                                 "irve_statique.csv", "tickets.csv")]).tables
    published = compute_metrics(tables, rulesets, **period)
    assert published.network.outage_episodes and published.network.closure
    chinese = render_charging_html(published, rulesets, lang="zh")
    operators = [o.operator for o in published.operators]  # names the data gives
    assert english_words(visible_text(chinese, skip_marked_english=True),
                         allowed=(*ALLOWED, *operators)) == set()
    write_open_data(published, tables, tmp_path / "open")
    again = ingest([tmp_path / "open" / name for name in (
        "irve-dynamique.csv", "irve-sessions.csv", "irve-statique.csv", "tickets.csv")])
    recomputed = compute_metrics(again.tables, rulesets, **period)
    assert recomputed.model_dump(exclude={"inputs"}) == published.model_dump(exclude={"inputs"})
