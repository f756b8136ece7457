"""Tickets in the registry (issue 17 item 4), on SQLite and PostgreSQL: every step of the
desk kept with its actor and time, filters and keyset paging, and a desk rebuilt from the
tables going on where it stopped."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from solidcheck.charging.live import Alert
from solidcheck.charging.live.tickets import TicketDesk
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.errors import InvalidInputError, NotFoundError
from solidcheck.registry import Registry

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
WINDOW = timedelta(days=1)


def alert(n: int, minutes: float, *, port: str | None, severity: str = "major") -> Alert:
    return Alert(id=f"a{n}", kind="fault", severity=severity, station_id="CP1", port_id=port,
                 raised_at=T0 + timedelta(minutes=minutes), evidence=[])


def test_the_audit_trail_filters_paging_and_a_rebuilt_desk(database_url: str) -> None:
    ids = itertools.count(1)
    desk = TicketDesk(RULESET, new_id=lambda: f"T{next(ids):02d}")
    with Registry.open(database_url, create=True) as registry:
        def keep(changes: list) -> None:  # type: ignore[type-arg]
            registry.record_ticket_changes(changes, sla=desk.sla)

        fault = alert(1, 0, port="CP1:1", severity="critical")
        keep(desk.alert_raised(fault))
        keep(desk.alert_raised(alert(2, 1, port="CP1:1")))
        keep(desk.acknowledge("T01", at=T0 + timedelta(minutes=5), actor="key:op1"))
        keep(desk.alert_resolved(fault.model_copy(update={"resolved_at": T0})))
        for n in range(3, 8):  # five more ports, one ticket each, opened a minute apart
            keep(desk.alert_raised(alert(n, n, port=f"CP1:{n}", severity="minor")))
        keep(desk.close("T03", at=T0 + timedelta(minutes=9), actor="key:op1",
                        reason="duplicate"))

        ticket, events = registry.charging_ticket("T01")
        assert ticket == desk.get("T01")
        assert [(e.action, e.actor, e.status) for e in events] == [
            ("opened", "system", "opened"), ("alert_joined", "system", "opened"),
            ("acknowledged", "key:op1", "acknowledged"),
            ("alert_resolved", "system", "acknowledged")]
        assert events[2].at == T0 + timedelta(minutes=5)
        with pytest.raises(NotFoundError):
            registry.charging_ticket("T99")

        now = T0 + timedelta(minutes=20)  # critical: acknowledged in time, not yet late
        page = registry.list_charging_tickets(now=now, limit=2)
        assert ([t.id for t in page.tickets], page.total) == (["T06", "T05"], 6)
        seen = [t.id for t in page.tickets]
        while page.next is not None:
            page = registry.list_charging_tickets(now=now, limit=2, after=page.next)
            seen += [t.id for t in page.tickets]
        assert seen == ["T06", "T05", "T04", "T03", "T02", "T01"]
        assert [t.id for t in registry.list_charging_tickets(
            now=now, status="closed").tickets] == ["T03"]
        assert registry.list_charging_tickets(now=now, port_id="CP1:4").total == 1
        assert registry.list_charging_tickets(now=now, severity="minor").total == 5
        late = now + timedelta(hours=5)  # minor: 4 h to acknowledge; critical: 4 h to repair
        assert registry.list_charging_tickets(now=late, breached=True).total == 5
        assert registry.list_charging_tickets(now=now, breached=True).total == 0
        beijing = timezone(timedelta(hours=8))  # the same instants, written in another zone
        assert [t.id for t in registry.list_charging_tickets(
            now=now.astimezone(beijing), opened_from=(T0 + timedelta(minutes=4)).astimezone(
                beijing), opened_to=(T0 + timedelta(minutes=6)).astimezone(beijing)
        ).tickets] == ["T04", "T03"]
        with pytest.raises(InvalidInputError) as caught:
            registry.list_charging_tickets(now=now, status="lost", limit=0, after="x")
        assert {p.path for p in caught.value.problems} == {"status", "limit"}

        resolved = desk.resolve("T01", at=T0 + timedelta(minutes=30), actor="key:op1",
                                cause="fuse", cause_code="hardware", resolution="on_site")
        keep(resolved)
        again = TicketDesk(RULESET, tickets=registry.desk_tickets())
        assert {t.id for t in again.live_tickets()} == {"T01", "T02", "T04", "T05", "T06"}
        again.forget_open_alerts()
        [verified] = again.tick(T0 + timedelta(minutes=30) + WINDOW)
        registry.record_ticket_changes([verified], sla=again.sla)
        assert registry.charging_ticket("T01")[0].status == "verified"
        # the place's newest finished ticket is what the rebuilt desk links a recurrence to
        third = TicketDesk(RULESET, tickets=registry.desk_tickets())
        [reopen] = third.alert_raised(alert(9, 3000, port="CP1:1"))
        assert reopen.ticket.previous_ticket_id == "T01"
