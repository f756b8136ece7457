"""The charging metrics' definitions (docs/charging.md, "Definitions"), each pinned on small
hand-built canonical tables: what an operator's figures mean depends on each of them."""

from __future__ import annotations

import pytest

from charging_tables import (
    at,
    boot_result,
    inventory,
    session,
    station_event,
    status,
    tables,
    ticket,
)
from solidcheck.charging.metrics import compute_metrics
from solidcheck.charging.results import ChargingMetrics, PortFigures
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.errors import ChargingInputError

CN = charging_ruleset_by_id("cn-alliance-wp-2026")
NEVI = charging_ruleset_by_id("us-nevi-2023")
UK = charging_ruleset_by_id("uk-pcpr-2023")


def run(tabled, *rulesets, start: float = 0, end: float = 60) -> ChargingMetrics:
    return compute_metrics(tabled, list(rulesets) or [CN], period_from=at(start),
                           period_to=at(end))


def port(result: ChargingMetrics, port_id: str) -> PortFigures:
    return next(p for p in result.ports if p.port_id == port_id)


def test_a_state_holds_until_the_next_event_and_is_unknown_before_the_first() -> None:
    result = run(tables(port_events=[status("S1:1", 10, "available"),
                                     status("S1:1", 40, "faulted")]))
    assert port(result, "S1:1").minutes_by_state == {"unknown": 10, "available": 30,
                                                     "faulted": 20}
    figures = result.network.availability[CN.id]
    assert (figures.available_minutes, figures.unavailable_minutes,
            figures.ineligible_minutes) == (30, 20, 10)
    assert result.network.service_availability_percent == pytest.approx(60)
    assert result.network.unknown_minutes == 10


def test_the_period_is_half_open_and_a_state_set_before_it_carries_in() -> None:
    result = run(tables(port_events=[status("S1:1", -30, "faulted"),
                                     status("S1:1", 60, "available")]))
    assert port(result, "S1:1").minutes_by_state == {"faulted": 60}
    assert result.period.from_ == at(0) and result.period.to == at(60)


def test_the_default_period_is_the_datas_own_span() -> None:
    result = compute_metrics(tables(port_events=[status("S1:1", 5, "available"),
                                                 status("S1:1", 35, "faulted")]), [CN])
    assert result.period.from_ == at(5)
    assert at(35) < result.period.to <= at(35.001)
    assert port(result, "S1:1").minutes_by_state["available"] == pytest.approx(30)


def test_offline_starts_at_the_last_message_after_k_heartbeats_of_silence() -> None:
    beats = [station_event("S1", m, "heartbeat") for m in (0, 1, 2, 10, 11)]
    result = run(tables(frames=[boot_result("S1", 0, 60)], station_events=beats,
                        port_events=[status("S1:1", 0, "available")]), end=12)
    # 60 s heartbeats, k = 2: silent 2 → 10 min is offline from the last message (2 min)
    assert port(result, "S1:1").minutes_by_state == {"available": 4, "offline": 8}
    assert result.network.connection_drops == 1
    assert result.network.outage_episodes == 1


def test_without_a_heartbeat_interval_the_fallback_silence_applies() -> None:
    beats = [station_event("S1", m, "heartbeat") for m in (0, 4, 10)]
    result = run(tables(station_events=beats, port_events=[status("S1:1", 0, "available")]),
                 end=10)
    # 300 s allowed: 4 minutes of silence is not offline, 6 is
    assert port(result, "S1:1").minutes_by_state == {"available": 4, "offline": 6}


def test_a_disconnection_is_offline_at_once_until_the_next_message() -> None:
    events = [station_event("S1", 0, "heartbeat"), station_event("S1", 1, "disconnected"),
              station_event("S1", 2, "connected")]
    result = run(tables(station_events=events, port_events=[status("S1:1", 0, "available")]),
                 end=3)
    assert port(result, "S1:1").minutes_by_state == {"available": 2, "offline": 1}


def test_offline_is_the_same_under_every_rule_set_and_a_disconnection_needs_no_rule() -> None:
    beats = [station_event("S1", m, "heartbeat") for m in (0, 10)]
    down = [station_event("S1", 12, "disconnected"), station_event("S1", 13, "connected")]
    data = tables(station_events=beats + down, port_events=[status("S1:1", 0, "available")])
    alone = run(data, NEVI, end=14)  # NEVI sets no silence rule: only the disconnection
    assert port(alone, "S1:1").minutes_by_state == {"available": 13, "offline": 1}
    both = run(data, NEVI, CN, end=14)  # the white paper's silence rule, NEVI's mapping
    assert port(both, "S1:1").minutes_by_state == {"available": 3, "offline": 11}
    assert both.network.availability[NEVI.id].unavailable_minutes == 11


def test_ports_without_frames_or_station_events_are_never_offline_by_silence() -> None:
    result = run(tables(port_events=[status("P1", 0, "available", station="P1"),
                                     status("P1", 100, "occupied", station="P1")]), end=120)
    assert port(result, "P1").minutes_by_state == {"available": 100, "occupied": 20}


def test_a_station_wide_status_applies_to_every_port_of_the_station() -> None:
    result = run(tables(port_events=[
        status("S1:1", 0, "available"), status("S1:2", 30, "occupied"),
        status("S1:0", 10, "faulted", wide=True), status("S1:0", 20, "available", wide=True)]),
        end=40)
    assert sorted(p.port_id for p in result.ports) == ["S1:1", "S1:2"]  # connector 0: no port
    # a station-wide fault overrides the port's own state …
    assert port(result, "S1:1").minutes_by_state == {"available": 30, "faulted": 10}
    # … and a station-wide status fills in while the port has said nothing itself
    assert port(result, "S1:2").minutes_by_state == {"unknown": 10, "faulted": 10,
                                                     "available": 10, "occupied": 10}


def test_uk_counts_only_rapid_ports_and_blocked_is_ineligible_unlike_nevi() -> None:
    events = [status(p, m, s) for p in ("S1:1", "S1:2", "S1:3")
              for m, s in ((10, "blocked"), (20, "available"))]
    result = run(tables(port_events=events,
                        inventory=[inventory("S1:1", "S1", 150.0),
                                   inventory("S1:2", "S1", 22.0)]), UK, NEVI)
    rapid, slow, unlisted = (port(result, p) for p in ("S1:1", "S1:2", "S1:3"))
    assert rapid.availability[UK.id].available_minutes == 40
    assert rapid.availability[UK.id].ineligible_minutes == 20
    assert rapid.availability[NEVI.id].available_minutes == 50
    assert rapid.availability[NEVI.id].ineligible_minutes == 10
    for small in (slow, unlisted):  # below 50 kW, or no power in the inventory
        assert small.availability[UK.id].ineligible_minutes == 60
        assert small.availability[UK.id].rate_percent is None
        assert small.availability[NEVI.id].available_minutes == 50
    assert result.network.availability[UK.id].available_minutes == 40


def test_excluded_minutes_need_a_ticket_of_an_excluded_cause() -> None:
    faulted = tables(port_events=[status("S1:1", 0, "faulted"), status("S1:2", 0, "faulted")],
                     tickets=[ticket("T1", 10, 30, "vandalism", port="S1:1"),
                              ticket("T2", 10, 30, "firmware_bug", port="S1:2")])
    result = run(faulted, CN, NEVI)
    covered, uncovered = port(result, "S1:1"), port(result, "S1:2")
    assert covered.availability[NEVI.id].excluded_minutes == 20
    assert covered.availability[NEVI.id].unavailable_minutes == 40
    assert covered.availability[NEVI.id].rate_percent == pytest.approx(100 * 20 / 60)
    assert uncovered.availability[NEVI.id].excluded_minutes == 0
    assert covered.availability[CN.id].excluded_minutes == 0  # no excluded causes in CN
    assert [(o.ticket_id, o.cause, o.excluded) for o in covered.outages] == [
        ("T1", "vandalism", True)]
    assert [(o.ticket_id, o.excluded) for o in uncovered.outages] == [("T2", False)]


def test_an_outage_names_the_earliest_ticket_that_overlaps_it() -> None:
    result = run(tables(port_events=[status("S1:1", 0, "available"),
                                     status("S1:1", 20, "faulted"),
                                     status("S1:1", 40, "available")],
                        tickets=[ticket("late", 30, 50, "vandalism", port="S1:1"),
                                 ticket("early", 15, 25, "firmware_bug", station="S1"),
                                 ticket("before", 0, 10, "vandalism", port="S1:1")]), NEVI)
    [outage] = port(result, "S1:1").outages
    assert (outage.ticket_id, outage.cause, outage.excluded) == ("early", "firmware_bug",
                                                                  True)
    # the minutes given back are those the vandalism ticket covers: 30 → 40
    assert port(result, "S1:1").availability[NEVI.id].excluded_minutes == 10


def test_a_station_ticket_covers_every_port_of_the_station_until_the_period_end() -> None:
    result = run(tables(port_events=[status("S1:1", 0, "faulted"), status("S1:2", 0, "faulted")],
                        tickets=[ticket("T1", 30, None, "utility_outage", station="S1")]), NEVI)
    assert [p.availability[NEVI.id].excluded_minutes for p in result.ports] == [30, 30]


def test_a_ticket_over_several_days_gives_back_each_days_minutes() -> None:
    day = 24 * 60
    result = run(tables(port_events=[status("S1:1", 0, "faulted")],
                        tickets=[ticket("T1", day / 2, day + day / 4, "scheduled_maintenance",
                                        port="S1:1")]), NEVI, end=3 * day)
    assert result.network.availability[NEVI.id].excluded_minutes == 18 * 60
    daily = port(result, "S1:1").daily_availability_percent  # under NEVI, the first here
    assert list(daily.values()) == [50.0, 25.0, 0.0]


def test_outage_minutes_outside_opening_hours_are_excluded_taken_as_utc() -> None:
    day = 24 * 60
    result = run(tables(port_events=[status("A", 0, "faulted", station="SA"),
                                     status("B", 0, "faulted", station="SB")],
                        inventory=[inventory("A", "SA", 50.0, hours="Mo-Fr 08:00-19:00"),
                                   inventory("B", "SB", 50.0, hours="sunrise-sunset")]),
                 CN, NEVI, end=day)
    assert port(result, "A").availability[NEVI.id].excluded_minutes == 13 * 60
    assert port(result, "A").availability[NEVI.id].unavailable_minutes == 11 * 60
    assert port(result, "B").availability[NEVI.id].excluded_minutes == 0  # not understood
    note = [f for f in result.findings if f.message_id == "charging.finding.opening_hours_unread"]
    assert len(note) == 1 and note[0].params["forms"] == ["sunrise-sunset"]


def test_stations_and_the_network_are_sums_over_sums_never_a_mean_of_ratios() -> None:
    day = 24 * 60
    result = run(tables(port_events=[status("S1:1", 9 * day, "available"),
                                     status("S1:2", 0, "faulted"),
                                     status("S1:2", 9 * day, "unknown")]), end=10 * day)
    assert port(result, "S1:1").service_availability_percent == 100
    assert port(result, "S1:2").service_availability_percent == 0
    assert result.stations[0].service_availability_percent == pytest.approx(10)
    assert result.network.service_availability_percent == pytest.approx(10)
    daily = result.network.daily
    assert [d.service_availability_percent for d in daily] == [0.0] * 9 + [100.0]
    assert port(result, "S1:1").daily_availability_percent[at(0).date()] is None


def test_outages_closer_than_the_merging_gap_are_one_episode() -> None:
    result = run(tables(port_events=[
        status("S1:1", 0, "available"), status("S1:1", 10, "faulted"),
        status("S1:1", 20, "available"), status("S1:1", 20.5, "unavailable"),
        status("S1:1", 30, "available"), status("S1:1", 40, "faulted"),
        status("S1:1", 50, "available")]))
    episodes = port(result, "S1:1").outages
    assert [(o.start, o.end) for o in episodes] == [(at(10), at(30)), (at(40), at(50))]
    assert episodes[0].minutes == pytest.approx(19.5)
    assert episodes[0].state == "faulted"  # 10 min faulted, 9.5 unavailable
    assert result.network.fault_episodes == 2
    available_h = result.network.available_minutes / 60
    assert result.network.mtbf_h == pytest.approx(available_h / 2)


def test_mtbf_is_null_without_an_outage_and_a_short_fault_is_a_flap() -> None:
    calm = run(tables(port_events=[status("S1:1", 0, "available")]))
    assert calm.network.mtbf_h is None and calm.network.outage_episodes == 0
    flap = run(tables(port_events=[status("S1:1", 0, "available"),
                                   status("S1:1", 10, "faulted"),
                                   status("S1:1", 10.5, "available")]))
    assert flap.network.status_flaps == 1
    assert flap.network.status_flaps_per_port_day == pytest.approx(1 / (60 / 1440))


def test_a_station_boot_is_a_reboot_of_each_of_its_ports_and_counted_once_above() -> None:
    result = run(tables(port_events=[status("S1:1", 0, "available"),
                                     status("S1:2", 0, "available")],
                        station_events=[station_event("S1", 5, "boot", "PowerUp"),
                                        station_event("S1", 6, "heartbeat"),
                                        station_event("S1", 7, "boot", "Watchdog")]), end=8)
    assert port(result, "S1:1").reboots == {"PowerUp": 1, "Watchdog": 1}
    # the station and the network count the station's two boots once, not once per port
    assert result.network.reboots == {"PowerUp": 1, "Watchdog": 1}
    assert result.stations[0].reboots == {"PowerUp": 1, "Watchdog": 1}
    # the rate stays Σ over ports / Σ port-days
    assert result.network.reboots_per_port_day == pytest.approx(4 / (2 * 8 / 1440))


def test_a_missed_target_is_a_finding_citing_its_rule_in_english_and_chinese() -> None:
    faulted = tables(port_events=[status("S1:1", 0, "available"), status("S1:1", 50, "faulted"),
                                  status("S1:2", 0, "available")])
    en = run(faulted, NEVI)
    [breach] = [f for f in en.findings if f.severity == "error"]
    assert (breach.rule, breach.scope, breach.subject) == ("uptime_target", "port", "S1:1")
    assert breach.value == pytest.approx(100 * 50 / 60) and breach.target == 97
    assert "680.116(b)" in (breach.clause or "") and "port uptime" in breach.message
    zh = compute_metrics(faulted, [NEVI], period_from=at(0), period_to=at(60), lang="zh")
    [breach_zh] = [f for f in zh.findings if f.severity == "error"]
    assert "端口正常运行率" in breach_zh.message and "美国联邦法规" in (breach_zh.clause or "")
    short = [f for f in en.findings if f.message_id == "charging.finding.period_short"]
    assert len(short) == 1 and short[0].params["needed_days"] == 365


def test_a_target_from_a_date_judges_only_chargers_installed_from_then() -> None:
    from datetime import date

    california = charging_ruleset_by_id("us-ca-cec")
    data = tables(port_events=[status(p, 0, "faulted", station=p) for p in "ABC"],
                  inventory=[inventory("A", "SA", 50.0, commissioned=date(2025, 12, 31)),
                             inventory("B", "SB", 50.0, commissioned=date(2026, 1, 1)),
                             inventory("C", "SC", 50.0)])
    findings = run(data, california).findings
    # uptime applies to every charger, whenever installed: three breaches
    uptime = [f for f in findings if f.rule == "uptime_target" and f.severity == "error"]
    assert sorted(f.subject for f in uptime) == ["SA", "SB", "SC"]
    found = {(f.rule, f.message_id): f for f in findings}
    # attempt success from 2026: SA is older, SC has no date, SB is judged (no attempts yet)
    assert found["attempt_success_target", "charging.finding.not_dated"].params["count"] == 1
    assert found["attempt_success_target",
                 "charging.finding.not_measurable"].params["count"] == 1


def test_a_metric_with_no_denominator_is_not_a_breach() -> None:
    result = run(tables(port_events=[status("S1:1", 0, "unknown")]), NEVI)
    assert not [f for f in result.findings if f.severity == "error"]
    [note] = [f for f in result.findings if f.message_id == "charging.finding.not_measurable"]
    assert note.params["count"] == 1


def test_bounds_without_an_offset_or_in_the_wrong_order_are_invalid_input() -> None:
    data = tables(port_events=[status("S1:1", 0, "available")])
    with pytest.raises(ChargingInputError) as caught:
        compute_metrics(data, [CN], period_from=at(0).replace(tzinfo=None))
    assert "offset" in str(caught.value)
    with pytest.raises(ChargingInputError, match="before it starts"):
        compute_metrics(data, [CN], period_from=at(10), period_to=at(5))
    with pytest.raises(ChargingInputError, match="--from and --to"):
        compute_metrics(tables(), [CN])


def test_each_port_subset_gives_the_intervals_the_whole_network_gives() -> None:
    """What a port-hash partition relies on: ports are computed independently."""
    from solidcheck.charging.intervals import Period, port_table, state_intervals

    data = tables(
        port_events=[status("S1:1", 0, "available"), status("S1:2", 5, "occupied"),
                     status("S1:0", 10, "faulted", wide=True), status("S2:1", 3, "faulted",
                                                                      station="S2")],
        station_events=[station_event("S1", 0, "heartbeat"), station_event("S1", 20, "boot")])
    period = Period(at(0), at(30))
    ports = port_table(data)
    whole = state_intervals(data, [CN], period, ports=ports)
    for port_id in ports["port_id"]:
        alone = state_intervals(data, [CN], period,
                                ports=ports.filter(ports["port_id"] == port_id))
        assert alone.to_dicts() == whole.filter(whole["port_id"] == port_id).to_dicts()
        assert alone["duration_s"].sum() == 30 * 60  # the period, exactly


@pytest.mark.parametrize(("hours", "week"), [
    ("24/7", None), (None, None), ("Mo-Su 00:00-24:00", None),
    ("Mo-Fr 08:00-19:00; Sa 09:00-12:00",
     {**{d: [(480, 1140)] for d in range(5)}, 5: [(540, 720)]}),
    ("Fr-Mo 06:00-10:00,16:00-20:00",
     {d: [(360, 600), (960, 1200)] for d in (4, 5, 6, 0)}),
])
def test_opening_hours_forms_understood(hours, week) -> None:
    from solidcheck.charging.hours import parse_opening_hours

    assert parse_opening_hours(hours) == week


@pytest.mark.parametrize("hours", ["sunrise-sunset", "Mo-Fr 08:00-19:00; PH off",
                                   "Mo 19:00-08:00", "Xy 08:00-09:00", "Mo-Fr"])
def test_opening_hours_forms_not_understood_are_refused(hours) -> None:
    from solidcheck.charging.hours import parse_opening_hours

    with pytest.raises(ValueError):
        parse_opening_hours(hours)


def test_rows_of_a_port_are_grouped_at_every_level_through_the_inventory() -> None:
    import polars as pl

    from solidcheck.charging.intervals import port_table
    from solidcheck.charging.metrics import by_level

    data = tables(port_events=[status("A", 0, "available", station="A"),
                               status("B", 0, "available", station="B")],
                  inventory=[inventory("A", "SX", 22.0, operator="Op"),
                             inventory("B", "SX", 22.0, operator="Op")])
    rows = pl.DataFrame({"port_id": ["A", "A", "B"], "station_id": ["stale"] * 3})

    def count(frame: pl.DataFrame, by: str | None) -> dict[str | None, int]:
        if by is None:
            return {None: frame.height}
        return dict(frame.group_by(by).len().iter_rows())

    assert by_level(rows, port_table(data), count) == {
        "port": {"A": 2, "B": 1}, "station": {"SX": 3}, "operator": {"Op": 3},
        "network": {None: 3}}


def test_sessions_success_and_closure_sum_over_ports_like_every_figure() -> None:
    afirev = charging_ruleset_by_id("fr-afirev")
    data = tables(
        port_events=[status("A", 0, "available", station="A"),
                     status("B", 0, "available", station="B"),
                     status("A", 100, "faulted", station="A"),
                     status("A", 110, "available", station="A")],
        inventory=[inventory("A", "SX", 22.0, operator="Op"),
                   inventory("B", "SX", 22.0, operator="Op")],
        sessions=[session("A", 10, 40), session("A", 50, 51, line=3),  # 1 min: a failure
                  session("B", 10, 30, line=4)],
        tickets=[ticket("T1", 100, 115, "firmware_bug", port="A")])
    result = run(data, CN, afirev, end=24 * 60)
    a, b = port(result, "A"), port(result, "B")
    assert (a.sessions, b.sessions, result.stations[0].sessions) == (2, 1, 3)
    assert a.session_success[afirev.id].rate_percent == 50
    assert result.stations[0].session_success[afirev.id].successful == 2
    assert result.operators[0].session_success[afirev.id].attempts == 3
    assert result.network.faults_per_1000_sessions == pytest.approx(1000 / 3)
    # successful under the first rule set that defines success: AFIREV, not the white paper
    assert [(d.sessions, d.successful_sessions) for d in result.network.daily] == [(3, 2)]
    assert result.network.closure is not None and result.network.closure.opened == 1
    assert a.closure is not None and a.closure.opened == 1
    [outage] = a.outages
    assert outage.ticket_id == "T1"
