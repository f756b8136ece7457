"""What the live monitoring page draws: its words (the catalogue's ``charging.page.*``), the
live state and open alerts as rows, ages, an alert's standing against its SLA tier, a port's
24-hour bar, and today's figures kept fresh by a worker thread (part I's engine is too slow for
the event loop and a day's figures need not be recomputed on every view)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from markupsafe import Markup

from ...charging.live import Alert, PortLive, alert_title
from ...charging.live.ticket_model import Ticket
from ...charging.monitor import Segment, sla_standing
from ...charging.rules import ChargingRuleset, SlaTier
from ...errors import SolidcheckError
from ...i18n import message
from .frame import Lang

__all__ = ["STATE_GLYPH", "Fresh", "Words", "age_text", "alert_row", "frame_folder",
           "port_chip", "ticket_row", "timeline_svg", "when_text"]

LOG = logging.getLogger("solidcheck.web.charging")
#: a shape beside each state's colour and word, so a state is never told by colour alone
STATE_GLYPH = {"available": "✓", "occupied": "◐", "reserved": "◆", "faulted": "✕",
               "unavailable": "⊘", "offline": "○", "unknown": "?", "blocked": "■"}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")


class Words:
    """The page's words in its language, from the catalogue."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: Any) -> str:
        return message(f"charging.page.{key}", params, self.lang)

    def state(self, state: str | None) -> str:
        return message(f"charging.report.state.{state or 'unknown'}", {}, self.lang)

    def templates(self) -> dict[str, str]:
        """The age templates the page's script fills in (``{n}`` left in place)."""
        return {f"{form}-{unit}": self(f"{form}_{unit}", n="{n}")
                for form in ("ago", "for") for unit in ("s", "min", "h")}


def age_text(words: Words, seconds: float, *, form: str = "for") -> str:
    """``12 s`` / ``5 min`` / ``3 h`` (``form="ago"``: … ago), whole units, as the script
    writes them each second."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        unit, n = "s", int(seconds)
    elif seconds < 7200:
        unit, n = "min", int(seconds // 60)
    else:
        unit, n = "h", int(seconds // 3600)
    return words(f"{form}_{unit}", n=str(n))


def when_text(lang: Lang, moment: datetime) -> str:
    """A moment in UTC written as the viewer reads dates."""
    at = moment.astimezone(UTC)
    if lang == "en":
        return f"{at.day} {_MONTHS_EN[at.month - 1]} {at:%H:%M} UTC"
    return f"{at.month}月{at.day}日 {at:%H:%M} UTC"


def port_chip(words: Words, port: PortLive, *, connected: bool) -> dict[str, Any]:
    """A port as the page shows it; a port of an offline station is shown offline (part I's
    rule: offline overrides every other state)."""
    state = port.state if connected else "offline"
    return {"id": port.port_id, "name": port.port_id.split(":", 1)[-1], "state": state,
            "label": words.state(state), "glyph": STATE_GLYPH.get(state, "?"),
            "error_code": port.error_code if port.error_code not in (None, "NoError") else None}


def _sla(words: Words, ruleset: ChargingRuleset, severity: str, *, age_s: float,
         acknowledged: bool) -> tuple[dict[str, Any] | None, SlaTier | None]:
    """The standing against the severity's SLA tier as the script updates it, and the tier."""
    tiers = ruleset.rules.sla_tiers.tiers if ruleset.rules.sla_tiers else []
    standing = sla_standing(severity, tiers, age_s=age_s, acknowledged=acknowledged)
    if standing is None:
        return None, None
    hours = f"{standing.allowed_s / 3600:g}"
    template = words(f"sla_{standing.step}", percent="{percent}", hours=hours)
    return ({"allowed_s": standing.allowed_s, "template": template,
             "text": template.replace("{percent}", f"{standing.used * 100:.0f} %"),
             "overdue": standing.overdue}, standing.tier)


def alert_row(words: Words, alert: Alert, ruleset: ChargingRuleset, *,
              now: datetime) -> dict[str, Any]:
    """An open alert: its title, severity (and tier name), port, age and SLA standing."""
    age_s = (now - alert.raised_at).total_seconds()
    sla, tier = _sla(words, ruleset, alert.severity, age_s=age_s,
                     acknowledged=alert.acknowledged_at is not None)
    return {"id": alert.id, "kind": alert.kind, "title": alert_title(alert, words.lang),
            "severity": alert.severity,
            "tier": (tier.name if words.lang == "en" else tier.name_zh) if tier else None,
            "station_id": alert.station_id, "port": alert.port_id or "—",
            "raised_at": alert.raised_at.isoformat(), "age": age_text(words, age_s),
            "acknowledged": alert.acknowledged_at is not None, "sla": sla}


def ticket_row(words: Words, ticket: Ticket, ruleset: ChargingRuleset, *,
               now: datetime) -> dict[str, Any]:
    """A ticket not yet verified or closed: its status, age and SLA standing, as an alert's
    (the clock runs from its opening; a resolved ticket's has stopped while it is verified)."""
    age_s = (now - ticket.opened_at).total_seconds()
    sla, tier = _sla(words, ruleset, ticket.severity, age_s=age_s,
                     acknowledged=ticket.acknowledged_at is not None)
    if ticket.resolved_at is not None:
        sla = None  # the clock stopped at the repair
    return {"id": ticket.id, "station_id": ticket.station_id, "port": ticket.port_id or "—",
            "severity": ticket.severity,
            "tier": (tier.name if words.lang == "en" else tier.name_zh) if tier else None,
            "status": message(f"charging.ticket.status.{ticket.status}", {}, words.lang),
            "alerts": len(ticket.alert_ids), "reopened": ticket.reopen_count,
            "opened_at": ticket.opened_at.isoformat(), "age": age_text(words, age_s),
            "sla": sla}


def timeline_svg(words: Words, port_id: str, segments: list[Segment], *, since: datetime,
                 until: datetime, uid: str) -> Markup:
    """A port's states as one bar (drawn here, no script), each state its colour and a
    title; the table beside it is the bar's text alternative."""
    span = (until - since).total_seconds() or 1.0
    label = words("timeline_of", port=port_id)
    rects = []
    for segment in segments:
        x = max(0.0, (segment.start - since).total_seconds() / span * 1000)
        width = max(0.5, (segment.end - segment.start).total_seconds() / span * 1000)
        rects.append(Markup('<rect class="seg st-{}" x="{:.1f}" y="0" width="{:.1f}" '
                            'height="24"><title>{}: {} – {}</title></rect>').format(
            segment.state, x, width, words.state(segment.state),
            when_text(words.lang, segment.start), when_text(words.lang, segment.end)))
    return Markup('<svg class="timeline" viewBox="0 0 1000 24" preserveAspectRatio="none" '
                  'role="img" aria-labelledby="{uid}-t" focusable="false"><title id="{uid}-t">'
                  '{label}</title>{rects}</svg>').format(uid=uid, label=label,
                                                         rects=Markup("").join(rects))


Value = TypeVar("Value")


@dataclass
class Fresh(Generic[Value]):
    """A value computed in a worker thread, at most once every ``max_age_s``. Only the first
    view waits for it (views arriving meanwhile share that computation); later, a view that
    finds it older starts a new computation in the background and is answered with the last
    value at once, so no view waits for a day's log to be read again. A failed computation is
    logged and leaves the last value (the page then says "not measurable yet", never fails)."""

    compute: Callable[[], Value]
    empty: Value
    max_age_s: float
    _value: Value | None = None
    _at: float | None = None
    _running: asyncio.Task[Value] | None = None

    async def get(self, *, wait_s: float | None = None) -> Value | None:
        """The value; None when the first computation takes longer than ``wait_s`` (it goes
        on, and a later view gets it)."""
        fresh = self._at is not None and time.monotonic() - self._at < self.max_age_s
        if not fresh and self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._refresh())
        if self._value is not None:
            return self._value
        task = self._running
        assert task is not None
        done, _ = await asyncio.wait({task}, timeout=wait_s)  # a timeout leaves it running
        return task.result() if done else None

    async def _refresh(self) -> Value:
        try:
            value = await asyncio.to_thread(self.compute)
        except (SolidcheckError, OSError, ValueError):
            LOG.warning("the monitoring page's figures could not be computed", exc_info=True)
            value = self._value if self._value is not None else self.empty
        finally:
            self._running = None
        self._value, self._at = value, time.monotonic()
        return value


def frame_folder(ocpp: Any) -> Path:
    """The folder of the endpoint's frame logs (``app.state.ocpp.log``)."""
    folder: Path = ocpp.log.folder
    return folder

