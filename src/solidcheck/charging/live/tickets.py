"""Tickets that close the loop (问题闭环): a pure :class:`TicketDesk` fed alert changes, an
operator's acts and a timer — no database, no clock of its own, like alerts.py.

Lifecycle (docs/charging.md, "Tickets"): a raised alert opens a ticket for its port (its
station when the alert has no port) or joins the port's live ticket; an operator acknowledges
and resolves it (cause, cause code, remote or on site); once all its alerts are resolved and
no alert of the port is raised for the rule set's ``verified_closure`` window after the
resolution, the timer verifies it. A fault that comes back before verification reopens the
ticket (``reopen_count`` + 1, part I's ``reopened``); after verification, or after an
operator closed it, it opens a new ticket naming the previous one. An operator may close a
ticket at any step with a reason, and reopen a resolved, verified or closed one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ...errors import InvalidInputError, Problem, SolidcheckError
from ...i18n import Display, message
from ..rules import ChargingRuleset, SlaRule, WindowRule, charging_ruleset_by_id
from .alerts import Alert
from .ticket_model import (
    CAUSE_CODES,
    DONE,
    LIVE,
    RESOLUTIONS,
    Resolution,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketStatus,
    tier_of,
)

__all__ = ["ALLOWED", "TicketChange", "TicketDesk", "TicketStateError", "checked_reason",
           "checked_resolution"]

SYSTEM: Final = "system"
#: which operator act each status allows (the 409's "what is allowed")
ALLOWED: Final[dict[str, tuple[str, ...]]] = {
    "opened": ("acknowledge", "resolve", "close"),
    "acknowledged": ("resolve", "close"),
    "resolved": ("close", "reopen"),
    "verified": ("close", "reopen"),
    "closed": ("reopen",),
}
_TEXT_MAX: Final = 2000


class TicketStateError(SolidcheckError):
    """An act the ticket's status does not allow (HTTP 409): says the status and what is.
    ``why`` names a live ticket of the same place when that is what stands in the way."""

    def __init__(self, ticket_id: str, *, status: str, act: str,
                 allowed: tuple[str, ...], why: str = "") -> None:
        self.ticket_id, self.status, self.act, self.allowed, self.why = (
            ticket_id, status, act, allowed, why)
        super().__init__(self.text("en"))

    def text(self, lang: Display = "en") -> str:
        def word(kind: str, name: str) -> str:
            return message(f"charging.ticket.{kind}.{name}", None, lang)
        if self.why:
            return message("charging.ticket.place_busy", {
                "ticket": self.ticket_id, "status": word("status", self.status),
                "live": self.why}, lang)
        allowed = ", ".join(word("act", a) for a in self.allowed) or message(
            "charging.ticket.nothing", None, lang)
        return message("charging.ticket.not_allowed", {
            "ticket": self.ticket_id, "status": word("status", self.status),
            "act": word("act", self.act), "allowed": allowed}, lang)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.ticket_id, self.status, self.act, self.allowed, self.why))


def _rebuild(ticket_id: str, status: str, act: str, allowed: tuple[str, ...],
             why: str) -> TicketStateError:
    return TicketStateError(ticket_id, status=status, act=act, allowed=allowed, why=why)


@dataclass(frozen=True, slots=True)
class TicketChange:
    """A ticket as it now is and the event that made it so (persist both, in order)."""

    ticket: Ticket
    event: TicketEvent


def checked_resolution(*, cause: str | None, cause_code: str | None, resolution: str | None,
                       note: str | None, lang: Display = "en") -> None:
    """Every problem of a resolution at once (InvalidInputError), or nothing."""
    problems = []
    for field, value, choices in (("cause_code", cause_code, CAUSE_CODES),
                                  ("resolution", resolution, RESOLUTIONS)):
        if value not in choices:
            problems.append(Problem(
                field, message("charging.ticket.bad_choice", {"value": repr(value)}, lang),
                message("charging.ticket.use_one_of", {"choices": ", ".join(choices)},
                        lang)))
    for field, value, fix in (("cause", cause, "say_cause"), ("note", note, "shorten")):
        blank = field == "cause" and not (value or "").strip()
        if blank or (value is not None and len(value) > _TEXT_MAX):
            problems.append(Problem(
                field, message("charging.ticket.too_long", {"limit": _TEXT_MAX}, lang),
                message(f"charging.ticket.{fix}", None, lang)))
    if problems:
        raise InvalidInputError(problems)


def checked_reason(reason: str | None, *, lang: Display = "en") -> str:
    """A close or reopen reason, stripped; InvalidInputError when blank or too long."""
    text = (reason or "").strip()
    if not text or len(text) > _TEXT_MAX:
        raise InvalidInputError([Problem(
            "reason", message("charging.ticket.too_long", {"limit": _TEXT_MAX}, lang),
            message("charging.ticket.say_why", None, lang))])
    return text


class TicketDesk:
    """The tickets of one rule set. Every method returns the :class:`TicketChange` s it made;
    the desk keeps the live tickets and, per place, the last finished one (for the link)."""

    def __init__(self, ruleset: ChargingRuleset | None = None, *,
                 tickets: Iterable[Ticket] = (),
                 new_id: Callable[[], str] = lambda: secrets.token_hex(8)) -> None:
        fallback = charging_ruleset_by_id("cn-alliance-wp-2026")
        rules = (ruleset or fallback).rules
        window = rules.verified_closure or fallback.rules.verified_closure
        sla = rules.sla_tiers or fallback.rules.sla_tiers
        assert isinstance(window, WindowRule) and isinstance(sla, SlaRule)
        self.window = timedelta(seconds=window.window_s)
        self.sla = sla
        self._new_id = new_id
        self._tickets: dict[str, Ticket] = {}
        self._live: dict[tuple[str, str | None], str] = {}
        self._done: dict[tuple[str, str | None], Ticket] = {}
        for ticket in sorted(tickets, key=lambda t: t.opened_at):
            self._keep(ticket)

    # --------------------------------------------------------------------- reads
    def get(self, ticket_id: str) -> Ticket:
        """A ticket the desk holds (live, or the last finished of its place); KeyError."""
        return self._tickets[ticket_id]

    def live_tickets(self) -> list[Ticket]:
        return [self._tickets[i] for i in self._live.values()]

    def live_ticket_of(self, station_id: str, port_id: str | None) -> Ticket | None:
        found = self._live.get((station_id, port_id))
        return None if found is None else self._tickets[found]

    def held(self, ticket: Ticket) -> None:
        """Hold a ticket read back from storage (a finished one for its link, or one an
        operator reopens); the newer of the same place wins."""
        self._keep(ticket)

    # ------------------------------------------------------------------- alerts
    def alert_raised(self, alert: Alert) -> list[TicketChange]:
        """A raised alert opens, joins or reopens its place's ticket."""
        place = (alert.station_id, alert.port_id)
        at, detail = alert.raised_at, {"alert_id": alert.id, "kind": alert.kind,
                                       "severity": alert.severity}
        live = self.live_ticket_of(*place)
        if live is None:
            previous = self._done.get(place)
            ticket = Ticket(id=self._new_id(), station_id=alert.station_id,
                            port_id=alert.port_id, severity=alert.severity, opened_at=at,
                            alert_ids=(alert.id,), open_alert_ids=(alert.id,),
                            previous_ticket_id=None if previous is None else previous.id)
            return [self._change(ticket, "opened", at, SYSTEM, detail)]
        if alert.id in live.alert_ids:
            return []
        joined = live.model_copy(update={
            "alert_ids": (*live.alert_ids, alert.id),
            "open_alert_ids": (*live.open_alert_ids, alert.id),
            "severity": self._graver(live.severity, alert.severity), "healthy_since": None})
        if live.status != "resolved":
            return [self._change(joined, "alert_joined", at, SYSTEM, detail)]
        reopened = self._reopened(joined)
        return [self._change(reopened, "reopened", at, SYSTEM,
                             {**detail, "reason": "fault_recurred"})]

    def alert_resolved(self, alert: Alert) -> list[TicketChange]:
        """One of a ticket's alerts cleared; when the ticket is resolved and none is left
        open, the verification clock starts."""
        live = self.live_ticket_of(alert.station_id, alert.port_id)
        if live is None or alert.id not in live.open_alert_ids:
            return []
        at = alert.resolved_at or alert.raised_at
        left = tuple(i for i in live.open_alert_ids if i != alert.id)
        healthy = max(live.resolved_at, at) if live.resolved_at is not None and not left \
            else None
        ticket = live.model_copy(update={"open_alert_ids": left, "healthy_since": healthy})
        return [self._change(ticket, "alert_resolved", at, SYSTEM, {"alert_id": alert.id})]

    def forget_open_alerts(self, *, still_open: frozenset[str] = frozenset()) -> None:
        """After a restart: alerts open before it that the new alert engine does not hold
        (``still_open`` are those it restored) will never be resolved, so they are let go; a
        fault still present raises a new alert that joins the ticket."""
        for ticket_id in self._live.values():
            ticket = self._tickets[ticket_id]
            kept = tuple(a for a in ticket.open_alert_ids if a in still_open)
            if kept != ticket.open_alert_ids:
                healthy = ticket.healthy_since
                if not kept:
                    healthy = healthy or ticket.resolved_at
                self._tickets[ticket_id] = ticket.model_copy(
                    update={"open_alert_ids": kept, "healthy_since": healthy})

    # -------------------------------------------------------------------- timer
    def tick(self, now: datetime) -> list[TicketChange]:
        """Verify each resolved ticket whose place stayed healthy for the window; the
        verification is dated when it became true, not when the timer noticed."""
        out = []
        for ticket in self.live_tickets():
            if ticket.status == "resolved" and ticket.healthy_since is not None \
                    and not ticket.open_alert_ids and now >= ticket.healthy_since + self.window:
                at = ticket.healthy_since + self.window
                verified = ticket.model_copy(update={"status": "verified", "verified_at": at})
                out.append(self._change(verified, "verified", at, SYSTEM,
                                        {"window_s": self.window.total_seconds()}))
        return out

    def next_due(self) -> datetime | None:
        """The earliest time :meth:`tick` could verify something, or None."""
        return min((t.healthy_since + self.window for t in self.live_tickets()
                    if t.status == "resolved" and t.healthy_since is not None
                    and not t.open_alert_ids), default=None)

    # --------------------------------------------------------------- operator acts
    def acknowledge(self, ticket_id: str, *, at: datetime, actor: str) -> list[TicketChange]:
        ticket = self._acting(ticket_id, "acknowledge")
        return [self._change(ticket.model_copy(update={"status": "acknowledged",
                                                       "acknowledged_at": at}),
                             "acknowledged", at, actor, {})]

    def resolve(self, ticket_id: str, *, at: datetime, actor: str, cause: str,
                cause_code: str, resolution: Resolution,
                note: str | None = None) -> list[TicketChange]:
        """Resolved with what was found; resolving acknowledges a ticket not yet
        acknowledged (whoever repaired it had seen it)."""
        checked_resolution(cause=cause, cause_code=cause_code, resolution=resolution,
                           note=note)
        ticket = self._acting(ticket_id, "resolve")
        healthy = at if not ticket.open_alert_ids else None
        resolved = ticket.model_copy(update={
            "status": "resolved", "resolved_at": at, "healthy_since": healthy,
            "acknowledged_at": ticket.acknowledged_at or at, "cause": cause.strip(),
            "cause_code": cause_code, "resolution": resolution, "note": note})
        return [self._change(resolved, "resolved", at, actor,
                             {"cause_code": cause_code, "resolution": resolution})]

    def close(self, ticket_id: str, *, at: datetime, actor: str,
              reason: str) -> list[TicketChange]:
        """Closed by an operator: a verified ticket's last step, or any earlier one's end
        without verification (a false alarm, a duplicate)."""
        text = checked_reason(reason)
        ticket = self._acting(ticket_id, "close")
        closed = ticket.model_copy(update={"status": "closed", "closed_at": at,
                                           "close_reason": text, "healthy_since": None})
        return [self._change(closed, "closed", at, actor, {"reason": text})]

    def reopen(self, ticket_id: str, *, at: datetime, actor: str,
               reason: str) -> list[TicketChange]:
        """Reopened by an operator: the fault is not gone. A place holds one live ticket, so
        a finished ticket whose place has a newer live one is refused."""
        text = checked_reason(reason)
        ticket = self._acting(ticket_id, "reopen")
        live = self.live_ticket_of(*ticket.place)
        if live is not None and live.id != ticket.id:
            raise TicketStateError(ticket.id, status=ticket.status, act="reopen", allowed=(),
                                   why=live.id)
        return [self._change(self._reopened(ticket), "reopened", at, actor, {"reason": text})]

    # ------------------------------------------------------------------ inside
    def _acting(self, ticket_id: str, act: str) -> Ticket:
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            raise KeyError(ticket_id)
        if act not in ALLOWED[ticket.status]:
            raise TicketStateError(ticket.id, status=ticket.status, act=act,
                                   allowed=ALLOWED[ticket.status])
        return ticket

    def _reopened(self, ticket: Ticket) -> Ticket:
        status: TicketStatus = "opened" if ticket.acknowledged_at is None else "acknowledged"
        return ticket.model_copy(update={
            "status": status, "reopen_count": ticket.reopen_count + 1, "resolved_at": None,
            "verified_at": None, "closed_at": None, "healthy_since": None,
            "close_reason": None})

    def _graver(self, one: str, other: str) -> str:
        def rank(severity: str) -> tuple[float, float, int]:
            tier = tier_of(self.sla, severity)
            named = any(t.severity == severity for t in self.sla.tiers)
            return (tier.resolve_h, tier.acknowledge_h, int(named))
        return min((one, other), key=rank)

    def _change(self, ticket: Ticket, action: TicketAction, at: datetime, actor: str,
                detail: dict[str, Any]) -> TicketChange:
        self._keep(ticket)
        return TicketChange(ticket, TicketEvent(ticket_id=ticket.id, action=action, at=at,
                                                actor=actor, status=ticket.status,
                                                detail=detail))

    def _keep(self, ticket: Ticket) -> None:
        place = ticket.place
        self._tickets[ticket.id] = ticket
        if ticket.status in LIVE:
            self._live[place] = ticket.id
            return
        assert ticket.status in DONE
        if self._live.get(place) == ticket.id:
            del self._live[place]
        before = self._done.get(place)
        if before is not None and before.id != ticket.id and before.opened_at <= \
                ticket.opened_at:
            self._tickets.pop(before.id, None)
        if before is None or before.opened_at <= ticket.opened_at:
            self._done[place] = ticket
