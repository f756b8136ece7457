"""The live monitoring page (``/charging``), a station's page (``/charging/stations/{id}``) and
the page's own event stream (``/charging/events``, text/event-stream).

The pages are drawn complete on the server (they work without JavaScript); ``charging.js``
then listens to the stream and recolours ports, adds and removes alert rows and updates ages.
The live state is read on the event loop (the alert engine is not thread-safe); the registry
and part I's engine run in worker threads. The stream is the page's light feed: it starts with
the state as it is and then forwards the hub's changes, and keeps nothing (the API's alert
stream, with its history and ``Last-Event-ID``, is another surface).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup, escape
from starlette.datastructures import State

from ...charging.live import Alert, PortLive
from ...charging.live.ticket_model import Ticket
from ...charging.monitor import (
    LogTables,
    Segment,
    StationToday,
    port_timelines,
    today_figures,
)
from ...charging.rules import ChargingRuleset, load_charging_ruleset
from .charging_risk import risk_section
from .charging_views import (
    Fresh,
    Words,
    age_text,
    alert_row,
    frame_folder,
    port_chip,
    ticket_row,
    timeline_svg,
    when_text,
)
from .frame import View, _templates, problem_page, render
from .navigation import MenuEntry, Page

__all__ = ["PAGE", "router", "tickets_of"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/charging", "nav_charging", place=60))
#: how often the stream tells the page when each station last spoke (the hub publishes states
#: on change only, so a heartbeat alone would leave the page's "last message" age growing); the
#: same beat keeps proxies from closing an idle stream. A display cadence, not a threshold.
SEEN_EVERY_S = 5.0
#: events encoded and waiting for a slow client, beyond the bus's own queues
OUT_QUEUE = 64
#: the longest a view waits for today's figures the first time (a busy day's log takes seconds
#: to read): then it says "being computed" and a later view has them. A page-latency cap.
FIRST_WAIT_S = 2.0
TIMELINE_HOURS = 24.0


@dataclass
class _Monitor:
    """The page's per-app state: the rule set the live alerts follow, and the cached figures."""

    ruleset: ChargingRuleset
    today: Fresh[dict[str, StationToday]]
    timelines: Fresh[tuple[datetime, datetime, dict[str, list[Segment]]]]


def _monitor(state: State) -> _Monitor:
    found: _Monitor | None = getattr(state, "charging_page", None)
    if found is None:
        settings = state.settings
        ruleset = load_charging_ruleset(settings.ocpp_ruleset)
        folder, logs = frame_folder(state.ocpp), LogTables()

        def today() -> dict[str, StationToday]:
            return today_figures(folder, ruleset, now=datetime.now(UTC), logs=logs)

        def timelines() -> tuple[datetime, datetime, dict[str, list[Segment]]]:
            now = datetime.now(UTC)
            since = now - timedelta(hours=TIMELINE_HOURS)
            return since, now, port_timelines(folder, ruleset, now=now, hours=TIMELINE_HOURS,
                                              logs=logs)

        never = datetime.fromtimestamp(0, UTC)
        found = _Monitor(ruleset,
                         Fresh(today, {}, settings.charging_figures_refresh_s),
                         Fresh(timelines, (never, never, {}), settings.charging_figures_refresh_s))
        state.charging_page = found
    return found


def tickets_of(state: State) -> list[Ticket]:
    """The desk's tickets not yet verified or closed, oldest first (copied on the event loop,
    like the live state: the desk replaces them as they change)."""
    return sorted(state.tickets.desk.live_tickets(), key=lambda ticket: ticket.opened_at)


def _ticket_rows(words: Words, tickets: list[Ticket], ruleset: ChargingRuleset, now: datetime,
                 *, station_id: str | None = None) -> list[dict[str, Any]]:
    return [ticket_row(words, t, ruleset, now=now) for t in tickets
            if station_id is None or t.station_id == station_id]


# ----------------------------------------------------------------------------- the views

@dataclass(frozen=True)
class _Live:
    """The live state at one moment, copied on the event loop so that the rows and the HTML
    can be made in a worker thread (the engine changes its objects in place)."""

    ports: dict[str, list[PortLive]]
    #: station → (online, when it last spoke)
    seen: dict[str, tuple[bool, datetime | None]]
    alerts: list[Alert]


def _snapshot(state: State) -> _Live:
    engine = state.live.engine
    ports: dict[str, list[PortLive]] = {}
    for port_id in sorted(engine.state.ports):
        ports.setdefault(port_id.split(":", 1)[0], []).append(
            dataclasses.replace(engine.state.ports[port_id]))
    seen = {sid: (live.connected and sid in state.ocpp.connected, live.last_message_at)
            for sid, live in engine.state.stations.items()}
    return _Live(ports, seen, sorted(engine.open_alerts(), key=lambda a: a.raised_at))


def _station_row(words: Words, live: _Live, station_id: str, name: str | None,
                 figures: dict[str, StationToday] | None, now: datetime) -> dict[str, Any]:
    """A station as both pages show it."""
    connected, last = live.seen.get(station_id, (False, None))
    today = figures.get(station_id) if figures is not None else None
    not_measurable = words("not_measurable" if figures is not None else "figures_pending")

    def percent(value: float | None) -> str:
        return not_measurable if value is None else f"{value:.1f} %"

    return {
        "id": station_id, "name": name if name and name != station_id else None,
        "connected": connected,
        "connection": words("connected") if connected else words("disconnected"),
        "last_at": last.isoformat() if last else None,
        "last_age": age_text(words, (now - last).total_seconds(), form="ago") if last
        else words("never"),
        "ports": [port_chip(words, p, connected=connected)
                  for p in live.ports.get(station_id, [])],
        "availability": percent(today.availability_percent) if today else not_measurable,
        "success": percent(today.success_percent) if today else not_measurable,
    }


async def _registered(request: Request) -> dict[str, str]:
    stations = await asyncio.to_thread(request.app.state.registry.list_stations)
    return {s.charge_point_id: s.name for s in stations}


def _open_alerts(words: Words, live: _Live, ruleset: ChargingRuleset, now: datetime, *,
                 station_id: str | None = None) -> list[dict[str, Any]]:
    return [alert_row(words, a, ruleset, now=now) for a in live.alerts
            if station_id is None or a.station_id == station_id]


def _common(view: View, words: Words, monitor: _Monitor) -> dict[str, Any]:
    return {"w": words, "templates": words.templates(),
            "events_href": view.href("/charging/events", lang=view.lang),
            "station_href": lambda sid: view.href("/charging/stations/" + quote(sid, safe="")),
            "figures_note": _quoted_as_code(words(
                "figures_note", ruleset=monitor.ruleset.id,
                seconds=round(view.request.app.state.settings.charging_figures_refresh_s)))}


def _quoted_as_code(text: str) -> Markup:
    """A sentence whose `quoted` command is shown as code, as the other pages show commands
    (and a reader of Chinese sees it as a command, not as English prose)."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _risk(view: View, *, station_id: str | None = None) -> dict[str, Any]:
    """risk-show: the ports at risk as last scored (web/live/risk.py keeps them)."""
    scorer = view.request.app.state.risk
    return risk_section(scorer.state, view.lang, shown=scorer.shown(),
                        when=lambda moment: when_text(view.lang, moment),
                        station_href=lambda sid: view.href("/charging/stations/"
                                                           + quote(sid, safe="")),
                        station_id=station_id)


def _not_public(view: View) -> HTMLResponse | None:
    """Like the registry's pages: with public reads off, the stations are not shown either."""
    if view.request.app.state.settings.public_reads:
        return None
    return problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))


@router.get("/charging", response_class=HTMLResponse)
async def charging_page(request: Request) -> HTMLResponse:
    """Every station, its ports, its open alerts and today's figures."""
    view, state = View(request), request.app.state
    if (refused := _not_public(view)) is not None:
        return refused
    words, monitor = Words(view.lang), _monitor(state)
    registered = await _registered(request)
    figures = await monitor.today.get(wait_s=FIRST_WAIT_S)
    live, tickets, now = _snapshot(state), tickets_of(state), datetime.now(UTC)

    def draw() -> HTMLResponse:  # a thousand stations take a few hundred ms: not on the loop
        stations = [_station_row(words, live, sid, registered.get(sid), figures, now)
                    for sid in sorted(set(registered) | set(live.seen))]
        return render(view, "charging.html.j2", title=words("title"), stations=stations,
                      alerts=_open_alerts(words, live, monitor.ruleset, now),
                      tickets=_ticket_rows(words, tickets, monitor.ruleset, now),
                      risk=_risk(view), **_common(view, words, monitor))

    return await asyncio.to_thread(draw)


@router.get("/charging/stations/{station_id}", response_class=HTMLResponse)
async def station_page(request: Request, station_id: str) -> HTMLResponse:
    """One station: its ports' last 24 hours, its open alerts and today's figures."""
    view, state, now = View(request), request.app.state, datetime.now(UTC)
    if (refused := _not_public(view)) is not None:
        return refused
    words, monitor = Words(view.lang), _monitor(state)
    registered = await _registered(request)
    if station_id not in registered and station_id not in state.live.engine.state.stations:
        return render(view, "problem.html.j2", title=words("not_found"), status=404,
                      explanation=words("not_found_message", id=station_id))
    figures = await monitor.today.get(wait_s=FIRST_WAIT_S)
    since, until, timelines = await monitor.timelines.get() or (now, now, {})
    live, tickets, now = _snapshot(state), tickets_of(state), datetime.now(UTC)
    station = _station_row(words, live, station_id, registered.get(station_id), figures, now)
    port_ids = sorted({p["id"] for p in station["ports"]} |
                      {p for p in timelines if p.split(":", 1)[0] == station_id})
    bars = [{"id": port_id, "svg": timeline_svg(words, port_id, timelines.get(port_id, []),
                                                since=since, until=until, uid=f"tl-{n}"),
             "rows": [{"state": s.state, "label": words.state(s.state),
                       "from": when_text(view.lang, s.start), "to": when_text(view.lang, s.end)}
                      for s in timelines.get(port_id, [])]}
            for n, port_id in enumerate(port_ids)]
    return render(view, "charging_station.html.j2",
                  title=words("station_title", id=station_id), station=station, bars=bars,
                  alerts=_open_alerts(words, live, monitor.ruleset, now, station_id=station_id),
                  tickets=_ticket_rows(words, tickets, monitor.ruleset, now,
                                       station_id=station_id),
                  risk=_risk(view, station_id=station_id), **_common(view, words, monitor))


# ------------------------------------------------------------------------------ the stream

def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _alert_html(words: Words, row: dict[str, Any], station_href: Callable[[str], str]) -> str:
    macros = _templates().get_template("charging_macros.html.j2").make_module(
        {"w": words, "station_href": station_href})
    return str(macros.alert_row(row))  # type: ignore[attr-defined]


@router.get("/charging/events")
async def charging_events(request: Request) -> Response:
    """The page's feed: the states and open alerts as they are, then every change."""
    view, state = View(request), request.app.state
    if (refused := _not_public(view)) is not None:
        return refused
    words, monitor, hub = Words(view.lang), _monitor(state), state.live
    station_href = _common(view, words, monitor)["station_href"]

    def state_event(change: Any) -> str:
        chip = port_chip(words, PortLive(change.port_id or "", change.state or "unknown",
                                         change.raw_status, change.error_code),
                         connected=change.connected) if change.port_id else None
        return _event("state", {
            "station_id": change.station_id, "port_id": change.port_id,
            "connected": change.connected,
            "connection": words("connected") if change.connected else words("disconnected"),
            "at": change.at.isoformat(), "port": chip})

    def alert_event(alert: Any, event: str) -> str:
        row = alert_row(words, alert, monitor.ruleset, now=datetime.now(UTC))
        return _event("alert", {"event": event, "id": alert.id, "station_id": alert.station_id,
                                "html": _alert_html(words, row, station_href)})

    async def stream() -> AsyncIterator[str]:
        alerts, states = hub.bus.subscribe(), hub.states.subscribe()
        # bounded: a client that does not read holds up its pumps, its subscriptions fill and
        # the bus cuts it off (then the stream ends and the page reconnects to a fresh state)
        out: asyncio.Queue[str | None] = asyncio.Queue(OUT_QUEUE)

        async def pump(subscription: Any, encode: Callable[[Any], str]) -> None:
            async for change in subscription:
                await out.put(encode(change))
            await out.put(None)  # cut off or the server stopping: the client reconnects

        last_seen: dict[str, datetime] = {}

        def seen_event() -> str:
            changed = {}
            for station_id, live in hub.engine.state.stations.items():
                at = live.last_message_at
                if at is not None and last_seen.get(station_id) != at:
                    last_seen[station_id] = at
                    changed[station_id] = at.isoformat()
            return _event("seen", {"stations": changed}) if changed else ": keepalive\n\n"

        # the snapshot is taken on the loop right after subscribing: no change falls between
        opening = [state_event(change) for change in hub.current_states()]
        opening.append(seen_event())
        opening.append(_event("open_alerts", {"ids": [a.id for a in
                                                      hub.engine.open_alerts()]}))
        opening += [alert_event(a, "raised") for a in hub.engine.open_alerts()]
        tasks = [asyncio.create_task(pump(states, state_event)),
                 asyncio.create_task(pump(alerts, lambda c: alert_event(c.alert, c.event)))]
        loop = asyncio.get_running_loop()
        try:
            yield "retry: 2000\n\n"
            for text in opening:
                yield text
            next_seen = loop.time() + SEEN_EVERY_S
            while True:
                try:
                    item = await asyncio.wait_for(out.get(), max(0.0, next_seen - loop.time()))
                except TimeoutError:
                    item = ""
                if item is None:
                    return
                if item:
                    yield item
                if loop.time() >= next_seen:
                    next_seen = loop.time() + SEEN_EVERY_S
                    yield seen_event()
        finally:
            alerts.close()
            states.close()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
