"""Risk features and labels per port and day (issue 18): exact values on a small hand-made
network, no look-ahead, and labels that are positive, negative or unknown at the edges."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from typing import Any

import polars as pl
import pytest

from charging_tables import T0, inventory, station_event, status, tables, ticket
from solidcheck.charging.intervals import data_span, state_intervals
from solidcheck.charging.risk import CATEGORICAL, FEATURES, port_day_features, port_day_labels
from solidcheck.charging.risk.features import WINDOWS_DAYS
from solidcheck.charging.rules import charging_ruleset_by_id, parse_charging_ruleset
from solidcheck.errors import ChargingInputError, RulesetError
from solidcheck.i18n import message

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")
DAY = 1440  # minutes


def at_day(day: int, hour: float) -> float:
    return day * DAY + hour * 60


def network(*extra_faults: int) -> dict[str, Any]:
    """S1:1 faulted on days 0, 2 and 9 (30, 20, 40 min, each from 10:00), unavailable 10 min
    on day 5; S1 silent from 23:00 on day 4 to 01:00 on day 5 (offline), a Watchdog boot on
    day 9; S2:1 always available, with a ticket opened on day 3 at 06:00. The data end at
    12:00 on day 12. ``extra_faults``: more 30-min faults of S1:1 (days)."""
    faults = [(0, 30), (2, 20), (9, 40), *((day, 30) for day in extra_faults)]
    rows = [status("S1:1", 0, "available"), status("S2:1", 0, "available", station="S2")]
    for day, minutes in faults:
        rows += [status("S1:1", at_day(day, 10), "faulted"),
                 status("S1:1", at_day(day, 10) + minutes, "available")]
    rows += [status("S1:1", at_day(5, 10), "unavailable"),
             status("S1:1", at_day(5, 10) + 10, "available"),
             status("S1:1", at_day(12, 12), "available")]
    silent = (at_day(4, 23), at_day(5, 1))
    beats = [station_event("S1", minute, "heartbeat") for minute in range(0, 12 * DAY + 721, 4)
             if not silent[0] < minute < silent[1]]
    return tables(
        port_events=[dict(row, line=line) for line, row in enumerate(rows, start=1)],
        station_events=[*beats, station_event("S1", at_day(9, 9), "boot", "Watchdog")],
        inventory=[inventory("S1:1", "S1", 50.0, operator="Op A",
                             commissioned=date(2026, 5, 1)),
                   inventory("S2:1", "S2", 50.0, operator="Op B")],
        tickets=[ticket("T1", at_day(3, 6), None, "hardware", port="S2:1")])


def row(frame: pl.DataFrame, port: str, day: int) -> dict[str, Any]:
    found = frame.filter((pl.col("port_id") == port)
                         & (pl.col("day") == T0.date() + timedelta(days=day)))
    assert found.height == 1
    return found.row(0, named=True)


@pytest.fixture(scope="module")
def features() -> pl.DataFrame:
    return port_day_features(network(), RULESET)


def test_one_row_per_port_and_day_with_the_named_columns(features: pl.DataFrame) -> None:
    assert features.columns == ["port_id", "station_id", "operator", "day", *FEATURES,
                                *CATEGORICAL]
    assert features.height == 2 * 13
    assert features.select(pl.struct("port_id", "day").is_unique().all()).item()
    assert row(features, "S1:1", 0)["operator"] == "Op A"


def test_faults_are_counted_over_the_last_1_7_and_28_days(features: pl.DataFrame) -> None:
    day2, day9 = row(features, "S1:1", 2), row(features, "S1:1", 9)
    assert (day2["faults_1d"], day2["faults_7d"], day2["faults_28d"]) == (1, 2, 2)
    assert (day9["faults_1d"], day9["faults_7d"], day9["faults_28d"]) == (1, 1, 3)
    # the 10-minute unavailable spell is an outage, not a fault
    assert row(features, "S1:1", 5)["outages_1d"] == 1
    assert row(features, "S1:1", 5)["faults_1d"] == 0
    assert row(features, "S2:1", 9)["faults_28d"] == 0


def test_offline_minutes_are_part_one_s_interval_minutes(features: pl.DataFrame) -> None:
    assert row(features, "S1:1", 4)["offline_minutes_1d"] == pytest.approx(60.0)
    assert row(features, "S1:1", 5)["offline_minutes_1d"] == pytest.approx(60.0)
    assert row(features, "S1:1", 5)["offline_minutes_7d"] == pytest.approx(120.0)
    span = data_span(network())
    assert span is not None
    intervals = state_intervals(network(), [RULESET], span)
    offline = intervals.filter(pl.col("state") == "offline")["duration_s"].sum() / 60
    by_day = features.filter(pl.col("port_id") == "S1:1")["offline_minutes_1d"].sum()
    assert by_day == pytest.approx(offline)


def test_reboots_by_reason_repair_and_age(features: pl.DataFrame) -> None:
    day9 = row(features, "S1:1", 9)
    assert (day9["reboots_1d"], day9["reboots_watchdog_1d"], day9["reboots_unknown_1d"]) == \
        (1, 1, 0)
    assert row(features, "S2:1", 9)["reboots_1d"] == 0  # another station's boot
    # the fault of day 9 ended at 10:40: repaired 13 h 20 min before the day's end
    assert day9["days_since_repair"] == pytest.approx((13 * 60 + 20) / DAY, abs=1e-6)
    assert row(features, "S1:1", 0)["days_since_first_seen"] == pytest.approx(32, abs=1e-6)
    assert row(features, "S2:1", 0)["days_since_first_seen"] == pytest.approx(1, abs=1e-6)


def test_features_absent_from_the_data_are_null_not_zero(features: pl.DataFrame) -> None:
    day9 = row(features, "S1:1", 9)
    for name in ("max_temperature_c_7d", "meter_gap_median_s_7d", "start_delay_drift_s",
                 "energy_per_session_trend"):
        assert day9[name] is None, name
    assert day9["vendor"] is None


def test_a_later_fault_does_not_change_an_earlier_day(features: pl.DataFrame) -> None:
    later = port_day_features(network(11), RULESET)
    before = T0.date() + timedelta(days=10)
    assert later.filter(pl.col("day") <= before).equals(
        features.filter(pl.col("day") <= before))
    assert row(later, "S1:1", 11)["faults_1d"] == 1
    assert row(features, "S1:1", 11)["faults_1d"] == 0


def test_days_can_be_chosen_and_bad_days_are_one_error() -> None:
    chosen = port_day_features(network(), RULESET, start_day=date(2026, 6, 10),
                               end_day=date(2026, 6, 11))
    assert chosen["day"].unique().sort().to_list() == [date(2026, 6, 10), date(2026, 6, 11)]
    assert row(chosen, "S1:1", 9)["faults_28d"] == 3  # the windows reach before start_day
    with pytest.raises(ChargingInputError) as caught:
        port_day_features(network(), RULESET, start_day=date(2027, 1, 1),
                          end_day=date(2026, 1, 1))
    assert [p.path for p in caught.value.problems] == ["start_day", "end_day", "end_day"]


def test_labels_positive_negative_and_unknown_at_the_edges() -> None:
    found = port_day_labels(network(), RULESET, horizons=("24h", "7d"))
    assert found.columns == ["port_id", "day", "label_24h", "label_7d", "next_failure_at"]
    p1 = {d: row(found, "S1:1", d) for d in range(13)}
    assert [p1[d]["label_24h"] for d in range(13)] == [
        False, True, False, True, False, False, False, False, True, False, False, None, None]
    # day 3 is positive for the offline spell of 2 h that starts at 23:00 on day 4
    # the 10-minute outage of day 5 is under the rule set's 15 minutes: no failure
    assert p1[4]["label_24h"] is False
    assert [p1[d]["label_7d"] for d in (0, 4, 5, 12)] == [True, True, None, None]
    assert p1[0]["next_failure_at"] == T0 + timedelta(days=2, hours=10)
    assert p1[10]["next_failure_at"] is None
    # a ticket is a failure too
    assert row(found, "S2:1", 2)["label_24h"] is True
    assert row(found, "S2:1", 3)["label_24h"] is False


def test_labels_need_the_rule_sets_failure_and_a_readable_horizon() -> None:
    with pytest.raises(ChargingInputError) as caught:
        port_day_labels(network(), RULESET, horizons=("24h", "soon", "0d"))
    assert len(caught.value.problems) == 2
    bare = charging_ruleset_by_id("us-nevi-2023")
    with pytest.raises(ChargingInputError, match=r"\[rules.risk\]"):
        port_day_labels(network(), bare)


def test_the_risk_rule_is_data_with_its_provenance() -> None:
    rule = RULESET.rules.risk
    assert rule is not None
    assert rule.failure_min_outage_minutes == 15.0 and rule.horizons == ["24h", "7d"]
    assert rule.provenance == "assumption" and rule.why and rule.why_zh
    text = (resources.files("solidcheck.charging").joinpath("rulesets")
            .joinpath("cn-alliance-wp-2026.toml").read_text(encoding="utf-8"))
    assert 'horizons = ["24h", "7d"]' in text
    with pytest.raises(RulesetError) as caught:
        parse_charging_ruleset(text.replace('horizons = ["24h", "7d"]', 'horizons = ["1w"]'))
    assert [p.path for p in caught.value.problems] == ["rules.risk.horizons"]


def test_every_feature_has_a_description_in_english_and_chinese() -> None:
    assert len(set(FEATURES)) == len(FEATURES) and WINDOWS_DAYS == (1, 7, 28)
    for name in (*FEATURES, *CATEGORICAL):
        english = message(f"charging.risk.feature.{name}", lang="en")
        chinese = message(f"charging.risk.feature.{name}", lang="zh")
        assert english and chinese and english != chinese, name


def test_polars_frames_are_taken_as_the_arrow_tables(features: pl.DataFrame) -> None:
    frames = {name: pl.from_arrow(table) for name, table in network().items()}
    assert port_day_features(frames, RULESET).equals(features)  # type: ignore[arg-type]
    assert port_day_labels(frames, RULESET).equals(port_day_labels(network(), RULESET))  # type: ignore[arg-type]
