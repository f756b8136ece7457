"""What a ticket is (问题闭环, issue 17 item 4): its record, the events of its audit trail, the
closed list of cause codes, and its SLA clock — pure, shared by the desk, the registry and the
API so the three say the same thing.

The SLA clock reads the rule set's ``sla_tiers`` exactly as part I's closure metrics do
(charging/closure.py): time to acknowledge and time to repair run from ``opened_at``; a
severity no tier names is held to the strictest tier; a deadline met to the second is met.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules import SlaRule, SlaTier
from ..tickets import CAUSE_SPELLINGS

__all__ = ["ACTIONS", "CAUSE_CODES", "DONE", "EXCLUDED_CAUSES", "LIVE", "RESOLUTIONS",
           "STATUSES", "Resolution", "Sla", "SlaRule", "Ticket", "TicketAction", "TicketEvent",
           "TicketStatus", "sla_of", "tier_of"]

TicketStatus = Literal["opened", "acknowledged", "resolved", "verified", "closed"]
STATUSES: Final[tuple[TicketStatus, ...]] = ("opened", "acknowledged", "resolved", "verified",
                                             "closed")
#: a ticket in one of these is the port's open ticket (alerts join it or reopen it)
LIVE: Final[frozenset[str]] = frozenset({"opened", "acknowledged", "resolved"})
#: the loop is over: a recurrence opens a new ticket that names this one
DONE: Final[frozenset[str]] = frozenset({"verified", "closed"})
TicketAction = Literal["opened", "alert_joined", "alert_resolved", "acknowledged", "resolved",
                       "verified", "closed", "reopened"]
ACTIONS: Final[tuple[TicketAction, ...]] = ("opened", "alert_joined", "alert_resolved",
                                            "acknowledged", "resolved", "verified", "closed",
                                            "reopened")
Resolution = Literal["remote", "on_site"]
RESOLUTIONS: Final[tuple[Resolution, ...]] = ("remote", "on_site")
#: NEVI's excluded causes (23 CFR 680.116(b)) under the names part I's ticket reader gives
#: them, so an exported ticket's minutes are excluded exactly as an imported one's
EXCLUDED_CAUSES: Final[tuple[str, ...]] = tuple(sorted(set(CAUSE_SPELLINGS.values())))
#: the operator's own causes (what the repair found), then the excluded ones
CAUSE_CODES: Final[tuple[str, ...]] = ("hardware", "connector", "power_module", "software",
                                       "communication", "site_power", "payment", "other",
                                       *EXCLUDED_CAUSES)


class Ticket(BaseModel):
    """One ticket as it now is; each change is a new copy (``model_copy``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    station_id: str
    #: None: a station-wide ticket (its alerts had no port, e.g. offline)
    port_id: str | None = None
    severity: str
    status: TicketStatus = "opened"
    opened_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    #: every alert that opened or joined it, in order
    alert_ids: tuple[str, ...] = ()
    #: those not yet resolved (verification waits for none)
    open_alert_ids: tuple[str, ...] = ()
    #: when the port was last seen healthy with the ticket resolved: the verification clock
    healthy_since: datetime | None = None
    reopen_count: int = Field(default=0, ge=0)
    #: the verified or closed ticket of the same port whose fault came back
    previous_ticket_id: str | None = None
    cause: str | None = None
    cause_code: str | None = None
    resolution: Resolution | None = None
    note: str | None = None
    close_reason: str | None = None

    @property
    def place(self) -> tuple[str, str | None]:
        return (self.station_id, self.port_id)


class TicketEvent(BaseModel):
    """One line of a ticket's audit trail: what happened, when, by whom (``system`` for the
    desk's own steps), and the status after it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket_id: str
    action: TicketAction
    at: datetime
    actor: str
    status: TicketStatus
    detail: dict[str, Any] = Field(default_factory=dict)


class Sla(BaseModel):
    """A ticket's SLA clock at a moment: the deadline it runs to next, and whether any
    deadline was or is missed."""

    model_config = ConfigDict(frozen=True)

    acknowledge_due_at: datetime
    repair_due_at: datetime
    #: the next deadline: to acknowledge, else to repair, else None (both met or missed)
    sla_due_at: datetime | None
    breached: bool


def tier_of(sla: SlaRule, severity: str) -> SlaTier:
    """The tier of a severity; the strictest (shortest to repair, then to acknowledge) when
    no tier names it, as part I's closure metrics hold an unnamed severity."""
    for tier in sla.tiers:
        if tier.severity == severity:
            return tier
    return min(sla.tiers, key=lambda t: (t.resolve_h, t.acknowledge_h))


def sla_of(ticket: Ticket, sla: SlaRule, *, now: datetime) -> Sla:
    """The ticket's SLA clock at ``now``. A closed ticket's clock stopped when it closed."""
    tier = tier_of(sla, ticket.severity)
    ack_due = ticket.opened_at + timedelta(hours=tier.acknowledge_h)
    fix_due = ticket.opened_at + timedelta(hours=tier.resolve_h)
    until = ticket.closed_at or now
    acked, fixed = ticket.acknowledged_at, ticket.resolved_at
    breached = ((acked is None and until > ack_due) or (acked is not None and acked > ack_due)
                or (fixed is None and until > fix_due) or (fixed is not None and fixed > fix_due))
    due = None
    if ticket.status not in DONE:
        due = ack_due if acked is None else fix_due if fixed is None else None
    return Sla(acknowledge_due_at=ack_due, repair_due_at=fix_due, sla_due_at=due,
               breached=breached)
