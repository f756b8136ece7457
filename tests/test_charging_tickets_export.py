"""The desk's tickets feed part I's closure metrics (issue 17 item 4): `charging tickets
export` writes part I's ticket format, and `charging metrics` reading it gives the desk's own
funnel — opened, acknowledged, resolved, verified, reopened, remote, first-time fix, within
SLA — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from solidcheck.charging.live import Alert
from solidcheck.charging.live.ticket_model import Ticket, sla_of
from solidcheck.charging.live.tickets import TicketChange, TicketDesk
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.cli import app as cli_app
from solidcheck.registry import Registry

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
END = T0 + 10 * DAY
_n = itertools.count(1)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def raised(hours: float, port: str | None, severity: str = "major") -> Alert:
    return Alert(id=f"a{next(_n)}", kind="fault", severity=severity, station_id="CP1",
                 port_id=port, raised_at=h(hours), evidence=[])


def scenario() -> tuple[TicketDesk, list[TicketChange]]:
    """Six tickets through every path: verified in time, reopened by a recurrence then
    verified, closed as a false alarm, still open, a station ticket awaiting verification,
    and a recurrence after verification (a new ticket)."""
    ids = itertools.count(1)
    desk = TicketDesk(RULESET, new_id=lambda: f"T{next(ids)}")
    log: list[TicketChange] = []

    def resolve(ticket_id: str, hours: float, how: str, code: str = "hardware") -> None:
        log.extend(desk.resolve(ticket_id, at=h(hours), actor="op", cause="found it",
                                cause_code=code, resolution=how))  # type: ignore[arg-type]

    a = raised(0, "CP1:1")
    log += desk.alert_raised(a)
    log += desk.acknowledge("T1", at=h(0.5), actor="op")
    log += desk.alert_resolved(a.model_copy(update={"resolved_at": h(1)}))
    resolve("T1", 2, "remote")
    b = raised(1, "CP1:2", "minor")
    log += desk.alert_raised(b)
    log += desk.acknowledge("T2", at=h(5), actor="op")  # late: 4 h to acknowledge a minor
    log += desk.alert_resolved(b.model_copy(update={"resolved_at": h(6)}))
    resolve("T2", 6, "on_site")
    again = raised(7, "CP1:2", "minor")  # back before verification: reopened
    log += desk.alert_raised(again)
    log += desk.alert_resolved(again.model_copy(update={"resolved_at": h(7.5)}))
    resolve("T2", 8, "on_site")
    log += desk.alert_raised(raised(2, "CP1:3"))
    log += desk.close("T3", at=h(3), actor="op", reason="false alarm")
    log += desk.alert_raised(raised(3, "CP1:4", "critical"))
    log += desk.acknowledge("T4", at=h(3.1), actor="op")
    log += desk.alert_raised(raised(4, None))
    resolve("T5", 4.5, "remote", code="utility_outage")
    log += desk.tick(h(8) + DAY)  # T1 and T2; T5's alert never cleared, it waits
    log += desk.alert_raised(raised(40, "CP1:1"))  # after T1's verification: T6, linked
    log += desk.tick(END)
    return desk, log


def test_export_read_back_by_the_metrics_gives_the_desks_funnel(
        database_url: str, tmp_path: Path) -> None:
    desk, log = scenario()
    tickets = {c.ticket.id: c.ticket for c in log}
    assert tickets["T6"].previous_ticket_id == "T1"
    assert tickets["T2"].reopen_count == 1 and tickets["T2"].status == "verified"
    assert tickets["T5"].status == "resolved"  # its alert never cleared: not verified
    with Registry.open(database_url, create=True) as registry:
        registry.record_ticket_changes(log, sla=desk.sla)
    runner = CliRunner()
    for name in ("tickets.csv", "tickets.json"):
        out = tmp_path / name
        exported = runner.invoke(cli_app, [
            "charging", "tickets", "export", "-o", str(out), "--database", database_url,
            "--from", T0.isoformat(), "--to", END.isoformat()])
        assert exported.exit_code == 0, exported.output
        assert "6" in exported.output
        metrics = runner.invoke(cli_app, [
            "charging", "metrics", str(out), "--from", T0.isoformat(), "--to",
            END.isoformat(), "--format", "json"])
        assert metrics.exit_code == 0, metrics.output
        closure = json.loads(metrics.stdout)["network"]["closure"]
        assert {k: closure[k] for k in expected(list(tickets.values()), desk)} == \
            expected(list(tickets.values()), desk), name


def expected(tickets: list[Ticket], desk: TicketDesk) -> dict[str, Any]:
    """The desk's own funnel, from its tickets alone."""
    resolved = [t for t in tickets if t.resolved_at is not None]
    return {
        "opened": len(tickets),
        "acknowledged": sum(t.acknowledged_at is not None for t in tickets),
        "resolved": len(resolved),
        "verified": sum(t.verified_at is not None for t in tickets),
        "reopened": sum(t.reopen_count > 0 for t in tickets),
        "remote": sum(t.resolution == "remote" for t in resolved),
        "first_time_fix": sum(t.reopen_count == 0 for t in resolved),
        "within_sla": sum(t.acknowledged_at is not None and not sla_of(
            t, desk.sla, now=END).breached for t in resolved),
    }


def test_a_bad_export_lists_every_problem(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, [
        "charging", "tickets", "export", "-o", str(tmp_path / "t.xlsx"), "--from", "June",
        "--database", f"sqlite:///{tmp_path / 'r.sqlite3'}"])
    assert result.exit_code == 2
    assert "--from" in result.output and "--output" in result.output


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
