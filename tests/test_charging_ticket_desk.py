"""The ticket desk (issue 17 item 4): every transition and its edges, with the rule set's
verified-closure window and SLA tiers, and no clock but the times given."""

from __future__ import annotations

import itertools
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from solidcheck.charging.live import Alert
from solidcheck.charging.live.ticket_model import CAUSE_CODES, EXCLUDED_CAUSES, sla_of
from solidcheck.charging.live.tickets import TicketDesk, TicketStateError
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.charging.tickets import CAUSE_SPELLINGS
from solidcheck.errors import InvalidInputError

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")
WINDOW = timedelta(seconds=RULESET.rules.verified_closure.window_s)  # type: ignore[union-attr]
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
_alert_ids = itertools.count(1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def alert(minutes: float, *, port: str | None = "CP1:1", severity: str = "major",
          kind: str = "fault", station: str = "CP1") -> Alert:
    return Alert(id=f"a{next(_alert_ids)}", kind=kind, severity=severity,  # type: ignore[arg-type]
                 station_id=station, port_id=port, raised_at=at(minutes), evidence=[])


def cleared(raised: Alert, minutes: float) -> Alert:
    return raised.model_copy(update={"resolved_at": at(minutes)})


def desk() -> TicketDesk:
    ids = itertools.count(1)
    return TicketDesk(RULESET, new_id=lambda: f"T{next(ids)}")


def resolve(d: TicketDesk, ticket_id: str, minutes: float, how: str = "remote") -> None:
    d.resolve(ticket_id, at=at(minutes), actor="op", cause="contactor stuck",
              cause_code="hardware", resolution=how)  # type: ignore[arg-type]


def test_a_raised_alert_opens_a_ticket_and_the_ports_next_alert_joins_it() -> None:
    d = desk()
    first, second = alert(0), alert(5, severity="critical")
    [opened] = d.alert_raised(first)
    [joined] = d.alert_raised(second)
    assert (opened.event.action, opened.ticket.status, opened.event.actor) == (
        "opened", "opened", "system")
    assert joined.event.action == "alert_joined"
    assert joined.ticket.id == opened.ticket.id
    assert joined.ticket.alert_ids == (first.id, second.id)
    assert joined.ticket.severity == "critical"  # the graver alert raises the ticket
    [other] = d.alert_raised(alert(6, port="CP1:2"))
    [station] = d.alert_raised(alert(7, port=None, kind="offline"))
    assert len({opened.ticket.id, other.ticket.id, station.ticket.id}) == 3
    assert station.ticket.port_id is None
    assert d.alert_raised(second) == []  # the same alert twice joins once


def test_full_loop_verified_after_the_window_dated_when_it_became_true() -> None:
    d = desk()
    fault = alert(0)
    ticket_id = d.alert_raised(fault)[0].ticket.id
    [acked] = d.acknowledge(ticket_id, at=at(10), actor="op")
    assert (acked.ticket.status, acked.event.actor) == ("acknowledged", "op")
    resolve(d, ticket_id, 60)
    assert d.tick(at(60) + WINDOW) == []  # its alert is still open: not healthy yet
    [clear] = d.alert_resolved(cleared(fault, 70))
    assert clear.ticket.healthy_since == at(70)
    assert d.next_due() == at(70) + WINDOW
    assert d.tick(at(70) + WINDOW - timedelta(seconds=1)) == []
    [verified] = d.tick(at(70) + WINDOW + timedelta(hours=3))
    assert verified.ticket.status == "verified"
    assert verified.ticket.verified_at == at(70) + WINDOW
    assert d.live_ticket_of("CP1", "CP1:1") is None
    [closed] = d.close(ticket_id, at=at(70) + WINDOW * 2, actor="op", reason="done")
    assert closed.ticket.status == "closed" and closed.ticket.verified_at is not None


def test_alert_cleared_before_resolution_starts_the_clock_at_the_resolution() -> None:
    d = desk()
    fault = alert(0)
    ticket_id = d.alert_raised(fault)[0].ticket.id
    d.alert_resolved(cleared(fault, 5))
    resolve(d, ticket_id, 30)
    assert d.get(ticket_id).acknowledged_at == at(30)  # resolving acknowledges
    assert d.next_due() == at(30) + WINDOW
    assert [c.ticket.verified_at for c in d.tick(at(30) + WINDOW)] == [at(30) + WINDOW]


def test_recurrence_before_verification_reopens_the_same_ticket() -> None:
    d = desk()
    fault = alert(0)
    ticket_id = d.alert_raised(fault)[0].ticket.id
    d.acknowledge(ticket_id, at=at(1), actor="op")
    d.alert_resolved(cleared(fault, 2))
    resolve(d, ticket_id, 3)
    [reopened] = d.alert_raised(alert(3 + 60))
    assert reopened.event.action == "reopened"
    assert reopened.ticket.id == ticket_id
    assert (reopened.ticket.status, reopened.ticket.reopen_count) == ("acknowledged", 1)
    assert reopened.ticket.resolved_at is None and reopened.ticket.healthy_since is None
    assert d.tick(at(3) + WINDOW * 2) == []


def test_recurrence_after_verification_opens_a_new_ticket_linked_to_the_old() -> None:
    d = desk()
    fault = alert(0)
    first = d.alert_raised(fault)[0].ticket.id
    d.alert_resolved(cleared(fault, 1))
    resolve(d, first, 2)
    d.tick(at(2) + WINDOW)
    [again] = d.alert_raised(alert(2 + WINDOW.total_seconds() / 60 + 1))
    assert again.event.action == "opened"
    assert again.ticket.id != first and again.ticket.previous_ticket_id == first
    assert d.get(first).status == "verified" and d.get(first).reopen_count == 0


def test_operator_close_without_verification_and_reopen() -> None:
    d = desk()
    ticket_id = d.alert_raised(alert(0))[0].ticket.id
    [closed] = d.close(ticket_id, at=at(5), actor="op", reason="false alarm")
    assert (closed.ticket.status, closed.ticket.close_reason) == ("closed", "false alarm")
    assert closed.ticket.verified_at is None
    [reopened] = d.reopen(ticket_id, at=at(6), actor="op", reason="it is back")
    assert (reopened.ticket.status, reopened.ticket.reopen_count) == ("opened", 1)
    assert reopened.ticket.closed_at is None
    assert d.live_ticket_of("CP1", "CP1:1") == reopened.ticket


@pytest.mark.parametrize(("status_steps", "act", "allowed"), [
    ("opened", "reopen", ("acknowledge", "resolve", "close")),
    ("acknowledged", "acknowledge", ("resolve", "close")),
    ("resolved", "resolve", ("close", "reopen")),
    ("verified", "acknowledge", ("close", "reopen")),
    ("closed", "close", ("reopen",)),
])
def test_a_wrong_act_names_the_status_and_what_is_allowed(
        status_steps: str, act: str, allowed: tuple[str, ...]) -> None:
    d = desk()
    fault = alert(0)
    ticket_id = d.alert_raised(fault)[0].ticket.id
    if status_steps == "acknowledged":
        d.acknowledge(ticket_id, at=at(1), actor="op")
    if status_steps in ("resolved", "verified"):
        d.alert_resolved(cleared(fault, 1))
        resolve(d, ticket_id, 2)
    if status_steps == "verified":
        d.tick(at(2) + WINDOW)
    if status_steps == "closed":
        d.close(ticket_id, at=at(1), actor="op", reason="duplicate")
    assert d.get(ticket_id).status == status_steps
    act_of = {"acknowledge": lambda: d.acknowledge(ticket_id, at=at(9), actor="op"),
              "resolve": lambda: resolve(d, ticket_id, 9),
              "close": lambda: d.close(ticket_id, at=at(9), actor="op", reason="x"),
              "reopen": lambda: d.reopen(ticket_id, at=at(9), actor="op", reason="x")}
    with pytest.raises(TicketStateError) as caught:
        act_of[act]()
    assert (caught.value.status, caught.value.allowed) == (status_steps, allowed)
    assert status_steps in str(caught.value) and act in str(caught.value)
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == str(caught.value)


def test_reopening_an_old_ticket_is_refused_while_its_port_has_a_newer_live_one() -> None:
    d = desk()
    first = d.alert_raised(alert(0))[0].ticket.id
    d.close(first, at=at(1), actor="op", reason="duplicate")
    second = d.alert_raised(alert(2))[0].ticket
    assert second.previous_ticket_id == first
    with pytest.raises(TicketStateError, match=second.id):
        d.reopen(first, at=at(3), actor="op", reason="x")


def test_a_bad_resolution_lists_every_problem() -> None:
    d = desk()
    ticket_id = d.alert_raised(alert(0))[0].ticket.id
    with pytest.raises(InvalidInputError) as caught:
        d.resolve(ticket_id, at=at(1), actor="op", cause=" ", cause_code="gremlins",
                  resolution="by_magic")  # type: ignore[arg-type]
    assert {p.path for p in caught.value.problems} == {"cause", "cause_code", "resolution"}
    with pytest.raises(InvalidInputError):
        d.close(ticket_id, at=at(1), actor="op", reason="")
    assert d.get(ticket_id).status == "opened"


def test_cause_codes_include_every_excluded_cause_part_one_reads() -> None:
    assert set(CAUSE_SPELLINGS.values()) == set(EXCLUDED_CAUSES) <= set(CAUSE_CODES)


def test_sla_clock_per_tier_and_breach_at_the_second_after_the_deadline() -> None:
    d = desk()
    ticket = d.alert_raised(alert(0, severity="critical"))[0].ticket  # 0.25 h / 4 h
    sla = sla_of(ticket, d.sla, now=at(15))
    assert (sla.sla_due_at, sla.breached) == (at(15), False)
    assert sla_of(ticket, d.sla, now=at(15) + timedelta(seconds=1)).breached
    acked = d.acknowledge(ticket.id, at=at(15), actor="op")[0].ticket
    sla = sla_of(acked, d.sla, now=at(200))
    assert (sla.sla_due_at, sla.breached) == (at(240), False)
    late = d.alert_raised(alert(0, port="CP1:2", severity="minor"))[0].ticket  # 4 h / 72 h
    late = d.acknowledge(late.id, at=at(241), actor="op")[0].ticket
    assert sla_of(late, d.sla, now=at(242)).breached
    unknown = d.alert_raised(alert(0, port="CP1:3", severity="cosmic"))[0].ticket
    assert sla_of(unknown, d.sla, now=at(0)).acknowledge_due_at == at(15)  # strictest tier


def test_a_desk_rebuilt_from_its_tickets_goes_on_where_it_stopped() -> None:
    d = desk()
    fault = alert(0)
    ticket_id = d.alert_raised(fault)[0].ticket.id
    resolve(d, ticket_id, 1)
    tickets = [d.get(ticket_id)]
    again = TicketDesk(RULESET, tickets=tickets)
    assert again.next_due() is None  # its alert is open, as far as the tables know
    again.forget_open_alerts()  # a restarted engine will never resolve it
    assert again.next_due() == at(1) + WINDOW
    [verified] = again.tick(at(1) + WINDOW)
    assert verified.ticket.id == ticket_id


def test_an_alert_the_restarted_engine_restored_still_holds_its_ticket() -> None:
    d = desk()
    fault = alert(0)
    ticket_id = d.alert_raised(fault)[0].ticket.id
    resolve(d, ticket_id, 1)
    again = TicketDesk(RULESET, tickets=[d.get(ticket_id)])
    again.forget_open_alerts(still_open=frozenset({fault.id}))  # the engine restored it
    assert again.next_due() is None  # verification still waits for the fault to clear
    again.alert_resolved(fault.model_copy(update={"resolved_at": at(2)}))
    assert again.next_due() == at(2) + WINDOW
