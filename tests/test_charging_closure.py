"""Issue-resolution closure (问题闭环) from maintenance tickets (charging/closure.py): SLA tiers,
the verification window's edges, reopening and first-time fix, remote resolution, closure
times, fault coverage, station tickets and the period cut (docs/charging.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from solidcheck.charging import model
from solidcheck.charging.closure import closure_figures, ticket_rows
from solidcheck.charging.rules import charging_ruleset_by_id, parse_charging_ruleset

pl = pytest.importorskip("polars")

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD = {"period_from": T0, "period_to": T0 + timedelta(days=30)}
CN = [charging_ruleset_by_id("cn-alliance-wp-2026")]
DAY = timedelta(hours=24)  # cn-alliance-wp-2026's verification window, typed from the spec


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _ticket(ticket_id: str, **fields: Any) -> dict[str, Any]:
    row = {"ticket_id": ticket_id, "port_id": "S1:1", "station_id": None,
           "severity": "major", "opened": _h(1), "acknowledged": None, "resolved": None,
           "closed": None, "cause": "hardware", "resolution": None, "reopened": 0,
           "source": "tickets.csv", "line": 2}
    return {**row, **fields}


def _fault(port: str, when: datetime, *, wide: bool = False) -> dict[str, Any]:
    return {"ts": when, "logged_ts": when, "station_id": port.split(":")[0], "port_id": port,
            "evse_id": None, "connector_id": None, "station_wide": wide, "state": "faulted",
            "raw_status": "Faulted", "error_code": None, "source": "log", "line": 1}


def _tables(tickets: list[dict[str, Any]],
            faults: list[dict[str, Any]] | None = None) -> dict[str, pa.Table]:
    inventory = [{"port_id": p, "station_id": p.split(":")[0], "power_kw": 50.0,
                  "operator": "OpA" if p.startswith("S1") else "OpB", "source": "i", "line": 2}
                 for p in ("S1:1", "S1:2", "S2:1")]
    return {"tickets": pa.Table.from_pylist(tickets, schema=model.TICKETS),
            "port_events": pa.Table.from_pylist(faults or [], schema=model.PORT_EVENTS),
            "inventory": pa.Table.from_pylist(inventory, schema=model.INVENTORY)}


NO_OUTAGES = pl.DataFrame(schema={"port_id": pl.String, "station_id": pl.String,
                                  "operator": pl.String, "minutes": pl.Float64,
                                  "ticket_id": pl.String})


def _rows(tables: dict[str, pa.Table]) -> pl.DataFrame:
    return ticket_rows(tables, NO_OUTAGES, CN, **PERIOD)


def _flag(tables: dict[str, pa.Table], column: str) -> dict[str, Any]:
    rows = _rows(tables)
    return dict(zip(rows["ticket_id"].to_list(), rows[column].to_list(), strict=True))


def test_sla_tiers_at_and_past_their_times() -> None:
    # critical: 0.25 h to acknowledge, 4 h to resolve; major 1 h / 24 h (the spec's defaults)
    tickets = [
        _ticket("edge", severity="critical", acknowledged=_h(1.25), resolved=_h(5)),
        _ticket("late-ack", severity="critical", acknowledged=_h(1.26), resolved=_h(2)),
        _ticket("late-fix", severity="critical", acknowledged=_h(1.1), resolved=_h(5.01)),
        _ticket("major", severity="major", acknowledged=_h(2), resolved=_h(25)),
        _ticket("unfixed", severity="minor", acknowledged=_h(1.5)),
        # no tier: held to the strictest times (0.25 h, 4 h)
        _ticket("unknown-ok", severity=None, acknowledged=_h(1.2), resolved=_h(4.9)),
        _ticket("unknown-late", severity="urgent", acknowledged=_h(1.5), resolved=_h(4.9)),
    ]
    assert _flag(_tables(tickets), "within_sla") == {
        "edge": True, "late-ack": False, "late-fix": False, "major": True, "unfixed": False,
        "unknown-ok": True, "unknown-late": False}


def test_verified_means_no_fault_on_the_port_within_the_window_after_closing() -> None:
    closed = _h(10)
    tickets = [_ticket(name, port_id=port, closed=closed, resolved=closed)
               for name, port in (("at-edge", "S1:1"), ("past-edge", "S2:1"))]
    tickets += [_ticket("other-port", port_id="S1:2", closed=_h(100), resolved=_h(100)),
                _ticket("wide", port_id="S1:2", closed=_h(200), resolved=_h(200)),
                _ticket("station", port_id=None, station_id="S1", closed=_h(300),
                        resolved=_h(300)),
                _ticket("open", port_id="S2:1")]
    faults = [_fault("S1:1", closed + DAY),                             # last instant: counts
              _fault("S2:1", closed + DAY + timedelta(milliseconds=1)),  # just after: no
              _fault("S1:1", _h(101)),                      # another port of the station
              _fault("S1:0", _h(201), wide=True),           # a 1.6 connector-0 fault: all
              _fault("S1:1", _h(301)),                      # any port of a station ticket
              _fault("S2:1", closed)]                       # at the closing itself: before
    tables = _tables(tickets, faults)
    assert _flag(tables, "verified") == {
        "at-edge": False, "past-edge": True, "other-port": True, "wide": False,
        "station": False, "open": False}
    network = closure_figures(_rows(tables), NO_OUTAGES, CN, by=None)[None]
    assert (network.opened, network.closed, network.verified) == (6, 5, 2)
    assert network.closure_rate_percent == pytest.approx(100 * 2 / 6)


def test_reopened_first_time_fix_and_remote_rates() -> None:
    tickets = [
        _ticket("a", resolved=_h(2), closed=_h(3), resolution="remote"),
        _ticket("b", resolved=_h(2), closed=_h(3), resolution="on_site", reopened=1),
        _ticket("c", resolved=_h(2), resolution="remote", reopened=2),  # reopened, not reclosed
        _ticket("d", acknowledged=_h(2)),                                 # not resolved
    ]
    network = closure_figures(_rows(_tables(tickets)), NO_OUTAGES, CN, by=None)[None]
    assert (network.resolved, network.first_time_fix, network.remote, network.reopened) == (
        3, 1, 2, 2)
    assert network.first_time_fix_percent == pytest.approx(100 / 3)
    assert network.remote_resolution_percent == pytest.approx(200 / 3)
    # reopened / tickets ever closed (closed now, or closed before their reopening)
    assert network.reopen_percent == pytest.approx(100 * 2 / 3)


def test_closure_times_are_p50_and_p90_pooled_in_hours() -> None:
    tickets = [_ticket(f"t{i}", opened=_h(0), acknowledged=_h(i), resolved=_h(10 * i))
               for i in (1, 2, 3, 4)]
    network = closure_figures(_rows(_tables(tickets)), NO_OUTAGES, CN, by=None)[None]
    # linear between closest ranks: p50 of 1..4 = 2.5, p90 = 3 + 0.7 × 1
    assert network.time_to_acknowledge_h == pytest.approx({"p50": 2.5, "p90": 3.7})
    assert network.time_to_repair_h == pytest.approx({"p50": 25.0, "p90": 37.0})


def test_fault_coverage_counts_outages_longer_than_the_threshold_with_a_ticket() -> None:
    outages = pl.DataFrame({"port_id": ["S1:1", "S1:1", "S1:2", "S2:1"],
                            "station_id": ["S1", "S1", "S1", "S2"],
                            "operator": ["OpA", "OpA", "OpA", "OpB"],
                            "minutes": [15.0, 15.01, 20.0, 600.0],  # 15 min exactly: not
                            "ticket_id": [None, "t", None, "u"]})
    rows = _rows(_tables([_ticket("t")]))
    network = closure_figures(rows, outages, CN, by=None)[None]
    assert (network.covered_outages, network.coverable_outages) == (2, 3)
    assert network.fault_coverage_percent == pytest.approx(200 / 3)
    stations = closure_figures(rows, outages, CN, by="station_id")
    assert {k: (v.opened, v.covered_outages, v.coverable_outages)
            for k, v in stations.items()} == {"S1": (1, 1, 2), "S2": (0, 1, 1)}
    operators = closure_figures(rows, outages, CN, by="operator")
    assert set(operators) == {"OpA", "OpB"}


def test_station_tickets_count_for_their_station_not_a_port() -> None:
    tickets = [_ticket("s", port_id=None, station_id="S2", resolved=_h(3)),
               _ticket("p", port_id="S1:2", resolved=_h(3))]
    rows = _rows(_tables(tickets))
    assert rows.filter(pl.col("ticket_id") == "p")["station_id"].item() == "S1"  # inventory
    assert rows.filter(pl.col("ticket_id") == "p")["operator"].item() == "OpA"
    by_port = closure_figures(rows, NO_OUTAGES, CN, by="port_id")
    by_station = closure_figures(rows, NO_OUTAGES, CN, by="station_id")
    assert {k: v.opened for k, v in by_port.items()} == {"S1:2": 1}
    assert {k: v.opened for k, v in by_station.items()} == {"S1": 1, "S2": 1}


def test_the_period_cuts_what_has_happened() -> None:
    end = PERIOD["period_to"]
    tickets = [_ticket("in", opened=end - timedelta(hours=2), acknowledged=end - timedelta(
        hours=1), resolved=end + timedelta(hours=1), closed=end + timedelta(hours=2)),
               _ticket("before", opened=T0 - timedelta(hours=1)),
               _ticket("after", opened=end)]
    rows = _rows(_tables(tickets))
    assert rows["ticket_id"].to_list() == ["in"]
    assert (rows["acknowledged"].item(), rows["resolved"].item(), rows["closed"].item()) == (
        True, False, False)
    assert rows["time_to_repair_h"].item() is None


def test_no_tickets_leave_closure_null() -> None:
    tables = _tables([])
    assert closure_figures(ticket_rows(tables, NO_OUTAGES, CN, **PERIOD), NO_OUTAGES, CN,
                           by=None) == {}


def test_closure_rules_come_from_the_first_rule_set_that_has_them() -> None:
    own = parse_charging_ruleset("""
format = 1
[ruleset]
id = "operator-sla"
title = "An operator's own SLA"
title_zh = "运营方自定 SLA"
document = "internal"
status = "internal"
[rules.verified_closure]
provenance = "assumption"
certainty = "assumed"
why = "one hour is enough for us"
summary = "one hour"
window_s = 3600.0
""")
    tickets = [_ticket("x", closed=_h(2), resolved=_h(2))]
    faults = [_fault("S1:1", _h(4))]  # 2 h after closing: inside 24 h, outside 1 h
    assert _flag(_tables(tickets, faults), "verified") == {"x": False}
    rows = ticket_rows(_tables(tickets, faults), NO_OUTAGES, [own], **PERIOD)
    assert rows["verified"].to_list() == [True]
    # the rules it lacks come from cn-alliance-wp-2026
    assert rows["within_sla"].to_list() == [False]  # never acknowledged
