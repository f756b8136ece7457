"""The desk's tickets in part I's ticket format (charging/tickets.py reads it back), so
``charging metrics --tickets`` gives the closure figures the desk lived through.

The one mapping to know: part I's ``closed`` is when the loop closed, and part I verifies a
closed ticket unless a fault follows it within the window. The desk verifies before it
closes, so ``closed`` is written as the desk's ``verified_at``; a ticket an operator closed
without verification has no ``closed`` (it did not close the loop) and carries its status and
reason in the extra columns (part I ignores them). ``cause`` is the cause code, whose NEVI
names are part I's; the operator's words are in ``cause_text``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from .ticket_model import Ticket

__all__ = ["COLUMNS", "tickets_csv", "tickets_json", "tickets_rows"]

#: part I's canonical header, then the desk's own columns
COLUMNS: Final = ("ticket_id", "port_id", "station_id", "severity", "opened", "acknowledged",
                  "resolved", "closed", "cause", "resolution", "reopened", "status",
                  "cause_text", "verified", "closed_at", "close_reason", "previous_ticket_id")


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def tickets_rows(tickets: Iterable[Ticket]) -> list[dict[str, Any]]:
    """One row per ticket, oldest first, in :data:`COLUMNS`."""
    return [{"ticket_id": t.id, "port_id": t.port_id, "station_id": t.station_id,
             "severity": t.severity, "opened": _time(t.opened_at),
             "acknowledged": _time(t.acknowledged_at), "resolved": _time(t.resolved_at),
             "closed": _time(t.verified_at), "cause": t.cause_code,
             "resolution": t.resolution, "reopened": t.reopen_count, "status": t.status,
             "cause_text": t.cause, "verified": t.verified_at is not None,
             "closed_at": _time(t.closed_at), "close_reason": t.close_reason,
             "previous_ticket_id": t.previous_ticket_id}
            for t in sorted(tickets, key=lambda t: (t.opened_at, t.id))]


def tickets_csv(tickets: Iterable[Ticket]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in tickets_rows(tickets):
        writer.writerow({k: ("" if v is None else str(v).lower() if isinstance(v, bool) else v)
                         for k, v in row.items()})
    return out.getvalue()


def tickets_json(tickets: Iterable[Ticket]) -> str:
    return json.dumps({"tickets": tickets_rows(tickets)}, ensure_ascii=False, indent=1) + "\n"
