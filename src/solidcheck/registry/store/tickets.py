"""The live desk's tickets in the registry (issue 17 item 4): each ticket as it now is and
every step of it (``charging_ticket_events``, the audit trail: action, actor, time, status
after). A batch of desk changes is one transaction; reads page by key (newest first).

Ticket writes do not take the audit chain's head: they come in bursts from the event loop's
queue and have their own trail; the operator's acts are in ``charging_ticket_events`` with
the key that did them.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import ColumnElement, DateTime, and_, bindparam, func, insert, or_, select

from ...charging.live.ticket_model import (
    DONE,
    LIVE,
    STATUSES,
    SlaRule,
    Ticket,
    TicketEvent,
    sla_of,
)
from ...errors import InvalidInputError, NotFoundError, Problem
from ..schema import ChargingTicket, ChargingTicketEvent
from ._shared import aware, unchained_write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ...charging.live.tickets import TicketChange

__all__ = ["TicketPage", "TicketsMixin"]

_TIMES = ("opened_at", "acknowledged_at", "resolved_at", "verified_at", "closed_at",
          "healthy_since")
_FIELDS = tuple(Ticket.model_fields)
MAX_PAGE = 500


class TicketPage(NamedTuple):
    """A page of tickets, how many match in all, and the next page's cursor (or None)."""

    tickets: list[Ticket]
    total: int
    next: str | None


def _ticket(row: ChargingTicket) -> Ticket:
    values: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
    for name in _TIMES:
        if values[name] is not None:
            values[name] = aware(values[name])
    values["alert_ids"] = tuple(values["alert_ids"])
    values["open_alert_ids"] = tuple(values["open_alert_ids"])
    return Ticket.model_validate(values)


def _event(row: ChargingTicketEvent) -> TicketEvent:
    return TicketEvent(ticket_id=row.ticket_id, action=row.action,
                       at=aware(row.at), actor=row.actor,
                       status=row.status, detail=dict(row.detail))


def _cursor_of(ticket: Ticket) -> str:
    return f"{ticket.opened_at.astimezone(UTC).isoformat()}~{ticket.id}"


def _after(cursor: str) -> tuple[datetime, str]:
    when, _, ticket_id = cursor.partition("~")
    try:
        at = datetime.fromisoformat(when)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or not ticket_id:
        raise InvalidInputError([Problem("after", "not a cursor this list gave",
                                         "pass the 'next' of the previous page as it was")])
    return at, ticket_id


def breached_at(now: datetime) -> ColumnElement[bool]:
    """SQL for :func:`~solidcheck.charging.live.ticket_model.sla_of`'s ``breached``."""
    t = ChargingTicket
    until = func.coalesce(t.closed_at, bindparam("now_", now, type_=DateTime(timezone=True)))
    return or_(and_(t.acknowledged_at.is_(None), until > t.acknowledge_due_at),
               t.acknowledged_at > t.acknowledge_due_at,
               and_(t.resolved_at.is_(None), until > t.repair_due_at),
               t.resolved_at > t.repair_due_at)


def checked_filters(*, status: str | None, limit: int) -> None:
    problems = []
    if status is not None and status not in STATUSES:
        problems.append(Problem("status", f"{status!r} is not a ticket status",
                                f"use one of: {', '.join(STATUSES)}"))
    if not 1 <= limit <= MAX_PAGE:
        problems.append(Problem("limit", f"{limit} is not 1–{MAX_PAGE}", "page with 'after'"))
    if problems:
        raise InvalidInputError(problems)


class TicketsMixin:
    """The ticket operations of ``Registry``."""

    if TYPE_CHECKING:
        _write: sessionmaker[Session]

        def _reading(self) -> AbstractContextManager[Session]: ...


    def record_ticket_changes(self, changes: Sequence[TicketChange], *, sla: SlaRule) -> None:
        """Keep a batch of the desk's changes in one transaction: each ticket's last state
        once, every event in order."""
        if not changes:
            return
        last = {change.ticket.id: change.ticket for change in changes}
        with unchained_write(self._write) as session:
            rows = {row.id: row for row in session.scalars(
                select(ChargingTicket).where(ChargingTicket.id.in_(list(last))))}
            for ticket in last.values():
                row = rows.get(ticket.id)
                if row is None:
                    row = ChargingTicket(id=ticket.id)
                    session.add(row)
                clock = sla_of(ticket, sla, now=ticket.opened_at)
                values = {k: v.astimezone(UTC) if isinstance(v, datetime) else v
                          for k, v in ticket.model_dump().items()}  # SQLite drops offsets
                values["alert_ids"] = list(ticket.alert_ids)
                values["open_alert_ids"] = list(ticket.open_alert_ids)
                for name, value in values.items():
                    setattr(row, name, value)
                row.acknowledge_due_at = clock.acknowledge_due_at.astimezone(UTC)
                row.repair_due_at = clock.repair_due_at.astimezone(UTC)
            session.flush()  # the tickets before the events that name them
            session.execute(insert(ChargingTicketEvent), [
                {"ticket_id": c.event.ticket_id, "action": c.event.action,
                 "at": c.event.at.astimezone(UTC),
                 "actor": c.event.actor, "status": c.event.status, "detail": c.event.detail}
                for c in changes])

    def charging_ticket(self, ticket_id: str) -> tuple[Ticket, list[TicketEvent]]:
        """A ticket and its events in order; NotFoundError."""
        with self._reading() as session:
            row = session.get(ChargingTicket, ticket_id)
            if row is None:
                raise NotFoundError(f"no ticket {ticket_id!r}")
            events = session.scalars(select(ChargingTicketEvent)
                                     .where(ChargingTicketEvent.ticket_id == ticket_id)
                                     .order_by(ChargingTicketEvent.id))
            return _ticket(row), [_event(e) for e in events]

    def list_charging_tickets(self, *, now: datetime, status: str | None = None,
                              station_id: str | None = None, port_id: str | None = None,
                              severity: str | None = None, breached: bool | None = None,
                              opened_from: datetime | None = None,
                              opened_to: datetime | None = None, limit: int = 100,
                              after: str | None = None) -> TicketPage:
        """Tickets newest first (by opening, then id), filtered; ``after`` is the previous
        page's cursor."""
        checked_filters(status=status, limit=limit)
        now = now.astimezone(UTC)  # SQLite compares times as text, without their offsets
        opened_from = None if opened_from is None else opened_from.astimezone(UTC)
        opened_to = None if opened_to is None else opened_to.astimezone(UTC)
        t = ChargingTicket
        where: list[ColumnElement[bool]] = []
        for column, value in ((t.status, status), (t.station_id, station_id),
                              (t.port_id, port_id), (t.severity, severity)):
            if value is not None:
                where.append(column == value)
        if breached is not None:
            where.append(breached_at(now) if breached else ~breached_at(now))
        if opened_from is not None:
            where.append(t.opened_at >= opened_from)
        if opened_to is not None:
            where.append(t.opened_at < opened_to)
        page = list(where)
        if after is not None:
            at, ticket_id = _after(after)
            at = at.astimezone(UTC)
            page.append(or_(t.opened_at < at, and_(t.opened_at == at, t.id < ticket_id)))
        with self._reading() as session:
            total = session.scalar(select(func.count()).select_from(t).where(*where)) or 0
            rows = list(session.scalars(select(t).where(*page)
                                        .order_by(t.opened_at.desc(), t.id.desc())
                                        .limit(limit + 1)))
        tickets = [_ticket(row) for row in rows[:limit]]
        more = len(rows) > limit
        return TicketPage(tickets, total, _cursor_of(tickets[-1]) if more else None)

    def desk_tickets(self) -> list[Ticket]:
        """What a restarted desk needs: every live ticket, and the newest finished ticket of
        each place (a recurrence's new ticket names it)."""
        t = ChargingTicket
        newest = (select(t.id, func.row_number().over(
            partition_by=(t.station_id, t.port_id),
            order_by=(t.opened_at.desc(), t.id.desc())).label("n"))
            .where(t.status.in_(sorted(DONE))).subquery())
        with self._reading() as session:
            live = session.scalars(select(t).where(t.status.in_(sorted(LIVE))))
            done = session.scalars(select(t).join(newest, newest.c.id == t.id)
                                   .where(newest.c.n == 1))
            return [_ticket(row) for row in [*live, *done]]
