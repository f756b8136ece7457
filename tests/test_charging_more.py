"""First-attempt visit success, utilisation and QualiCharge's statuses against sessions
(charging/visits.py, consistency.py, more_sums.py; docs/charging.md, decisions 19–21): each
definition at its edges on hand-built tables, Σ/Σ over a station, the real OCA log, and a
synthetic network's figures summing from its ports to the network."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from charging_tables import T0, at, inventory, session, status, tables
from solidcheck.charging.aggregate import Sums, total
from solidcheck.charging.findings import metric_value
from solidcheck.charging.ingest import ingest
from solidcheck.charging.intervals import Period, port_table, state_intervals
from solidcheck.charging.metrics import compute_metrics
from solidcheck.charging.metrics_text import metrics_text
from solidcheck.charging.more_sums import MoreSums, more_figures
from solidcheck.charging.report.scorecard import metric_value as scorecard_value
from solidcheck.charging.report.tables import metrics_table
from solidcheck.charging.rules import GapRule, charging_ruleset_by_id
from solidcheck.charging.synth import make_spec, simulate, write_network
from solidcheck.charging.usage import COLUMNS, attempts, success_column
from solidcheck.charging.visits import visit_counts, visits

pl = pytest.importorskip("polars")

CN = charging_ruleset_by_id("cn-alliance-wp-2026")
CHARGEX = charging_ruleset_by_id("chargex-2024")
QUALI = charging_ruleset_by_id("fr-qualicharge")
OCTT_LOG = Path(__file__).parents[1] / ".." / "shared" / "data" / "ocpp201-octt-inl" / \
    "example_log.log"


def _gap_s() -> float:
    rule = CN.rules.visit_grouping
    assert isinstance(rule, GapRule)
    return rule.max_gap_s


def _attempt(start: datetime, end: datetime | None, *, token: str | None, station: str = "S1",
             port: str | None = "P1", session_: bool = True,
             succeeded: bool | None = True) -> dict[str, Any]:
    return {"kind": "ocpp", "station_id": station, "port_id": port, "start": start, "end": end,
            "is_session": session_, "id_token_sha256": token,
            success_column(CHARGEX.id): succeeded if session_ else False}


def _attempts(*rows: dict[str, Any]) -> pl.DataFrame:
    schema = {**COLUMNS, success_column(CHARGEX.id): pl.Boolean}
    return pl.DataFrame(list(rows), schema=schema)


def _visits(*rows: dict[str, Any]) -> list[tuple[Any, ...]]:
    frame = visits(_attempts(*rows), [CN, CHARGEX])
    return list(frame.select("station_id", "attempts", "first_succeeded").iter_rows())


def test_an_attempt_exactly_the_gap_after_the_last_end_is_the_same_visit() -> None:
    gap = timedelta(seconds=_gap_s())
    refused = _attempt(T0, None, token="a", port=None, session_=False)
    same = _attempt(T0 + gap, T0 + gap + timedelta(hours=1), token="a")
    assert _visits(refused, same) == [("S1", 2, False)]  # the first attempt decides
    later = _attempt(T0 + gap + timedelta(milliseconds=1), T0 + 2 * gap, token="a")
    assert _visits(refused, later) == [("S1", 1, False), ("S1", 1, True)]


def test_the_gap_runs_from_the_latest_end_so_far_not_the_previous_start() -> None:
    long_ = _attempt(T0, T0 + timedelta(hours=3), token="a", succeeded=False)
    inside = _attempt(T0 + timedelta(minutes=5), T0 + timedelta(minutes=6), token="a")
    after = _attempt(T0 + timedelta(hours=3) + timedelta(seconds=_gap_s()), None, token="a",
                     port=None, session_=False)
    assert _visits(long_, inside, after) == [("S1", 3, False)]


def test_one_token_at_two_stations_and_anonymous_attempts_are_separate_visits() -> None:
    rows = [_attempt(T0, T0 + timedelta(minutes=1), token="a", station="S1"),
            _attempt(T0, T0 + timedelta(minutes=1), token="a", station="S2", port="P9"),
            _attempt(T0, T0 + timedelta(minutes=1), token=None),
            _attempt(T0 + timedelta(minutes=2), T0 + timedelta(minutes=3), token=None)]
    assert sorted(_visits(*rows)) == [("S1", 1, True), ("S1", 1, True), ("S1", 1, True),
                                      ("S2", 1, True)]


def test_a_first_session_the_rule_cannot_judge_leaves_the_visit_out() -> None:
    rows = [_attempt(T0, T0 + timedelta(minutes=1), token="a", succeeded=None),
            _attempt(T0 + timedelta(minutes=2), T0 + timedelta(minutes=30), token="a")]
    frame = visits(_attempts(*rows), [CN, CHARGEX])
    ports = port_table(tables(inventory=[inventory("P1", "S1", 22.0)]))
    assert frame["first_succeeded"].to_list() == [None]
    assert visit_counts(frame, ports).is_empty()


def test_no_visits_without_a_rule_set_asking_for_them_or_judging_sessions() -> None:
    row = _attempt(T0, T0 + timedelta(minutes=1), token="a")
    assert visits(_attempts(row), [CHARGEX]).is_empty()  # ChargeX does not define the metric
    assert visits(_attempts(row), [CN]).is_empty()  # nothing judges the session


def test_a_visit_that_names_no_port_counts_at_its_stations_first_port() -> None:
    rows = [_attempt(T0, None, token="a", port=None, session_=False),
            _attempt(T0, T0 + timedelta(minutes=20), token="b", port="P2")]
    ports = port_table(tables(inventory=[inventory("P2", "S1", 22.0),
                                         inventory("P1", "S1", 22.0)]))
    counts = visit_counts(visits(_attempts(*rows), [CN, CHARGEX]), ports).sort("port_id")
    assert counts.rows() == [("P1", 1, 0), ("P2", 1, 1)]


def _qualicharge(t: dict[str, pa.Table], minutes: float = 240) -> Any:
    return compute_metrics(t, [QUALI], period_from=T0, period_to=at(minutes))


def test_free_during_a_session_and_occupied_without_one() -> None:
    t = tables(port_events=[status("P1", 0, "available"), status("P1", 60, "occupied"),
                            status("P1", 120, "available")],
               sessions=[session("P1", 30, 90), session("P1", 150, 160)])
    port = _qualicharge(t).ports[0]
    # free 30–60 and 150–160 while a session runs, of 70 session minutes
    assert port.false_free_minutes == pytest.approx(40)
    assert port.false_free_percent == pytest.approx(100 * 40 / 70)
    # occupied 60–120, a session only until 90
    assert (port.false_occupied_minutes, port.false_occupied_percent) == (
        pytest.approx(30), pytest.approx(50))
    assert metric_value(port, QUALI, "false_free_rate") == port.false_free_percent
    assert metric_value(port, QUALI, "false_occupied_rate") == port.false_occupied_percent


def test_overlapping_sessions_are_one_busy_spell_and_are_cut_at_the_period() -> None:
    t = tables(port_events=[status("P1", 0, "available")],
               sessions=[session("P1", 10, 50), session("P1", 40, 60), session("P1", 60, 70),
                         session("P1", 230, 300)])
    port = _qualicharge(t).ports[0]
    assert port.false_free_minutes == pytest.approx(60 + 10)  # 10–70 once, then 230–240
    assert port.false_free_percent == pytest.approx(100)
    assert port.false_occupied_percent is None  # never announced occupied: no denominator


def test_only_ports_with_both_statuses_and_sessions_are_compared() -> None:
    t = tables(port_events=[status("P1", 0, "occupied")],
               sessions=[session("P2", 0, 30)],
               inventory=[inventory("P1", "S1", 22.0), inventory("P2", "S1", 22.0)])
    metrics = _qualicharge(t)
    assert all(p.false_occupied_minutes is None and p.false_free_percent is None
               for p in metrics.ports)
    assert metrics.network.false_occupied_percent is None


def test_the_station_rate_is_the_sum_over_the_sum_of_its_ports() -> None:
    t = tables(port_events=[status("P1", 0, "available"), status("P2", 0, "available")],
               sessions=[session("P1", 0, 10), session("P2", 0, 100)],
               inventory=[inventory("P1", "S1", 22.0), inventory("P2", "S1", 22.0)])
    metrics = _qualicharge(t)
    assert [p.false_free_percent for p in metrics.ports] == [pytest.approx(100)] * 2
    station = metrics.stations[0]
    assert station.false_free_minutes == pytest.approx(110)
    t2 = tables(port_events=[status("P1", 0, "available"), status("P2", 0, "occupied")],
                sessions=[session("P1", 0, 10), session("P2", 0, 100)],
                inventory=[inventory("P1", "S1", 22.0), inventory("P2", "S1", 22.0)])
    station = _qualicharge(t2).stations[0]
    # 10 false-free minutes of 110 session minutes, not the mean of 100 % and 0 %
    assert station.false_free_percent == pytest.approx(100 * 10 / 110)


def test_utilisation_is_occupied_over_in_service_and_reserved_is_not_occupied() -> None:
    t = tables(port_events=[status("P1", 0, "available"), status("P1", 60, "occupied"),
                            status("P1", 120, "reserved"), status("P1", 180, "faulted")])
    port = _qualicharge(t).ports[0]
    assert port.utilisation_percent == pytest.approx(100 * 60 / 180)  # faulted is out of service
    assert scorecard_value(port, QUALI.id, "utilisation", days=1.0) == port.utilisation_percent
    assert metric_value(port, QUALI, "utilisation") == port.utilisation_percent
    nevi = compute_metrics(t, [charging_ruleset_by_id("us-nevi-2023")], period_from=T0,
                           period_to=at(240)).ports[0]
    assert nevi.utilisation_percent is None and nevi.false_free_minutes is None
    assert nevi.first_attempt_visit_success is None


def test_the_real_log_is_one_visit_whose_first_attempt_chargex_cannot_judge() -> None:
    octt = ingest([OCTT_LOG], charge_point_id="CS-1").tables
    start, end = datetime(2000, 1, 1, tzinfo=T0.tzinfo), datetime(2100, 1, 1, tzinfo=T0.tzinfo)
    metrics = compute_metrics(octt, [CN, CHARGEX], period_from=start, period_to=end)
    rows = attempts(octt, [CN, CHARGEX], period_from=start, period_to=end)
    assert rows["id_token_sha256"].null_count() == 0  # the Authorize's token, carried
    assert visits(rows, [CN, CHARGEX])["attempts"].to_list() == [1]
    # no meter value in the log: ChargeX's energy floor cannot be checked, so not judged
    visit = metrics.network.first_attempt_visit_success
    assert visit is not None and (visit.attempts, visit.rate_percent) == (0, None)
    assert scorecard_value(metrics.network, CN.id, "first_attempt_visit_success",
                           days=1.0) is None


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("network")
    write_network(simulate(make_spec(stations=4, days=3, seed=7,
                                     start="2026-03-02T00:00:00+01:00")), folder)
    tables_ = ingest(sorted(p for p in folder.iterdir() if p.name != "truth.json")).tables
    return compute_metrics(tables_, [CN, CHARGEX, QUALI])


def test_a_synthetic_networks_figures_are_rates_and_sum_from_its_ports(
        synthetic: Any) -> None:
    network = synthetic.network
    visit = network.first_attempt_visit_success
    assert visit is not None and visit.attempts > 0
    assert network.utilisation_percent is not None
    for figures in [network, *synthetic.stations, *synthetic.ports]:
        for value in (figures.utilisation_percent, figures.false_free_percent,
                      figures.false_occupied_percent):
            assert value is None or 0 <= value <= 100
    assert sum(p.first_attempt_visit_success.attempts for p in synthetic.ports
               if p.first_attempt_visit_success) == visit.attempts
    compared = [p for p in synthetic.ports if p.false_free_minutes is not None]
    assert compared and sum(p.false_free_minutes for p in compared) == pytest.approx(
        network.false_free_minutes)
    table = metrics_table(synthetic, by="port")
    assert sum(v for v in table.column("visits").to_pylist() if v) == visit.attempts


def test_sums_carry_the_parts_through_addition() -> None:
    t = tables(port_events=[status("P1", 0, "available"), status("P2", 0, "occupied")],
               sessions=[session("P1", 0, 10), session("P2", 0, 100)],
               inventory=[inventory("P1", "S1", 22.0), inventory("P2", "S2", 22.0)])
    metrics = _qualicharge(t)
    parts = [Sums(more=MoreSums(defined=frozenset({"false_free_rate"}), compared_ports=1,
                                false_free_minutes=p.false_free_minutes or 0.0,
                                session_minutes=m))
             for p, m in zip(metrics.ports, (10.0, 100.0), strict=True)]
    summed = more_figures(total(parts).more)
    assert summed["false_free_percent"] == pytest.approx(metrics.network.false_free_percent)


def test_the_text_summary_says_each_measured_figure_in_both_languages() -> None:
    t = tables(port_events=[status("P1", 0, "available"), status("P1", 60, "occupied")],
               sessions=[session("P1", 30, 90)])
    metrics = _qualicharge(t, 120)
    english = "\n".join(metrics_text(metrics, "en"))
    chinese = "\n".join(metrics_text(metrics, "zh"))
    assert "utilisation: 50 %" in english and "利用率" in chinese
    assert "announced free while a session ran: 30 min, 50 %" in english
    assert "无会话却显示占用" in chinese
    assert "first-attempt visit success" not in english  # QualiCharge does not define it


def test_the_real_log_is_occupied_only_around_its_transaction() -> None:
    octt = ingest([OCTT_LOG], charge_point_id="CS-1").tables
    metrics = compute_metrics(octt, [QUALI, CHARGEX])
    period = Period(metrics.period.from_, metrics.period.to)
    (tx,) = attempts(octt, [QUALI], period_from=period.start, period_to=period.end).filter(
        pl.col("is_session")).iter_rows(named=True)
    # an independent count: the occupied time outside the transaction, interval by interval
    outside = 0.0
    for row in state_intervals(octt, [QUALI], period).iter_rows(named=True):
        if row["state"] == "occupied":
            inside = max(timedelta(0), min(row["end"], tx["end"]) - max(row["start"],
                                                                         tx["start"]))
            outside += (row["end"] - row["start"] - inside).total_seconds() / 60
    (port,) = metrics.ports
    assert port.false_free_minutes == 0  # never announced free during its transaction
    assert outside > 0 and port.false_occupied_minutes == pytest.approx(outside, abs=1e-6)
    assert port.utilisation_percent == 100  # in service only while occupied (else offline)


def test_two_charge_points_of_one_inventory_station_share_a_visit() -> None:
    rows = [_attempt(T0, None, token="a", station="CP1", port=None, session_=False),
            _attempt(T0 + timedelta(minutes=2), T0 + timedelta(minutes=40), token="a",
                     station="CP2", port="CP2:1")]
    t = tables(inventory=[inventory("CP1:1", "SITE", 22.0), inventory("CP2:1", "SITE", 22.0)],
               port_events=[status("CP1:1", 0, "available", station="CP1"),
                            status("CP2:1", 0, "available", station="CP2")])
    ports = port_table(t)
    sited = visits(_attempts(*rows), [CN, CHARGEX], ports=ports)
    assert sited.select("station_id", "port_id", "attempts", "first_succeeded").rows() == [
        ("SITE", "CP2:1", 2, False)]
    assert len(visits(_attempts(*rows), [CN, CHARGEX])) == 2  # by charge point alone
