"""The live alerts (issue 17 item 3): the list with its filters and keyset pages, one alert,
and the Server-Sent Events stream of every change. Read from the registry's tables (the live
writer fills them), so a list, a replay and a restarted server agree."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ...charging.live import ALERT_KINDS, Alert, alert_title
from ...errors import InvalidInputError, NotFoundError, Problem
from ...i18n import message
from ...registry.store.live import AlertFilter, AlertStatus, NumberedChange, status_of
from ..live.hub import Subscription
from ..problems import error_responses
from .openapi import KEY_OPTIONAL
from .params import ReaderDep, RegistryDep, SettingsDep, v1_router

__all__ = ["AlertOut", "AlertPage", "router"]

router = v1_router()
#: events read from the table at a time when a reconnecting client catches up
_REPLAY_BATCH = 500
_EVENT_STREAM = "text/event-stream"
_MAX_LIMIT = 500


class AlertOut(Alert):
    """An alert with where it stands and its title in both languages."""

    status: Literal["open", "acknowledged", "resolved"]
    title_en: str
    title_zh: str


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int = Field(description="alerts matching the filters, on every page")
    next: str | None = Field(description="pass as ?cursor= for the next page; null on the "
                             "last")


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(**alert.model_dump(), status=status_of(alert),
                    title_en=alert_title(alert, "en"), title_zh=alert_title(alert, "zh"))


def _severities(request: Request) -> list[str]:
    rules = request.app.state.live.engine.rules
    return sorted({rule.severity for _, rule in rules if rule is not None})


_STATUSES: tuple[AlertStatus, ...] = ("open", "acknowledged", "resolved", "all")
_STATION = re.compile(r"[A-Za-z0-9._-]{1,48}")
_PORT = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def _text(description: str, **schema: object) -> Any:
    """A query parameter read as text: its checks are :func:`checked_filter`'s, so that one
    answer lists every problem (FastAPI's own checks would stop at the first kind)."""
    return Query(max_length=100, description=description, json_schema_extra=schema or None)


@dataclass(frozen=True, slots=True)
class RawFilter:
    kind: str | None
    severity: str | None
    station: str | None
    port: str | None
    status: str | None
    since: str | None
    until: str | None


async def raw_filter(
        kind: Annotated[str | None, _text("one kind", enum=list(ALERT_KINDS))] = None,
        severity: Annotated[str | None, _text("an SLA severity of the live rule set")] = None,
        station: Annotated[str | None, _text("a charge point id")] = None,
        port: Annotated[str | None, _text("a port id, e.g. CP-1:1")] = None,
        status: Annotated[str | None, _text(
            "open: neither acknowledged nor resolved; acknowledged: not yet resolved; "
            "default all", enum=list(_STATUSES))] = None,
        since: Annotated[str | None, _text("raised at or after (ISO 8601; UTC without an "
                                           "offset)", format="date-time")] = None,
        until: Annotated[str | None, _text("raised before", format="date-time")] = None,
) -> RawFilter:
    return RawFilter(kind, severity, station, port, status, since, until)


def _problem(path: str, key: str, fix_key: str, *, fix: dict[str, str] | None = None,
             **params: str) -> Problem:
    """A problem in the catalogue's words (English: the API speaks as the command line)."""
    return Problem(path, message(key, params), message(fix_key, fix or {}))


def _time(raw: str | None, name: str, problems: list[Problem]) -> datetime | None:
    """ISO 8601; a time without an offset is UTC."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        problems.append(_problem(f"query.{name}", "charging.alerts_api.bad_time",
                                 "charging.alerts_api.time_fix", value=raw))
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def checked_filter(raw: RawFilter, severities: list[str],
                   problems: list[Problem]) -> AlertFilter:
    """The filters, adding every problem found to ``problems``."""
    if raw.kind is not None and raw.kind not in ALERT_KINDS:
        problems.append(_problem("query.kind", "charging.alerts_api.unknown_value",
                                 "charging.alerts_api.value_fix", value=raw.kind,
                                 fix={"known": ", ".join(ALERT_KINDS)}))
    if raw.status is not None and raw.status not in _STATUSES:
        problems.append(_problem("query.status", "charging.alerts_api.unknown_value",
                                 "charging.alerts_api.value_fix", value=raw.status,
                                 fix={"known": ", ".join(_STATUSES)}))
    if raw.severity is not None and raw.severity not in severities:
        problems.append(_problem("query.severity", "charging.alerts_api.unknown_value",
                                 "charging.alerts_api.value_fix", value=raw.severity,
                                 fix={"known": ", ".join(severities)}))
    for name, value, pattern in (("station", raw.station, _STATION),
                                 ("port", raw.port, _PORT)):
        if value is not None and not pattern.fullmatch(value):
            problems.append(_problem(f"query.{name}", "charging.alerts_api.bad_id",
                                     "charging.alerts_api.id_fix", value=value))
    since, until = _time(raw.since, "since", problems), _time(raw.until, "until", problems)
    if since is not None and until is not None and since >= until:
        problems.append(_problem("query.since", "charging.alerts_api.since_after_until",
                                 "charging.alerts_api.since_fix", since=since.isoformat(),
                                 until=until.isoformat()))
    status = raw.status if raw.status in _STATUSES else "all"
    return AlertFilter(kind=raw.kind, severity=raw.severity, station=raw.station,
                       port=raw.port, status=status, since=since,
                       until=until)


RawFilterDep = Annotated[RawFilter, Depends(raw_filter)]


def _cursor(key: tuple[datetime, str]) -> str:
    text = json.dumps([key[0].isoformat(), key[1]])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _parse_cursor(cursor: str, problems: list[Problem]) -> tuple[datetime, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, alert_id = json.loads(raw)
        return datetime.fromisoformat(at), str(alert_id)
    except (binascii.Error, ValueError, TypeError):
        problems.append(_problem("query.cursor", "charging.alerts_api.bad_cursor",
                                 "charging.alerts_api.cursor_fix"))
        return None


@router.get("/charging/alerts/stream", response_class=StreamingResponse, tags=["charging"],
            summary="Every alert change as it happens (Server-Sent Events)",
            responses={200: {"content": {_EVENT_STREAM: {"schema": {"type": "string"}}},
                             "description": "`id: <event number>`, `event: raised | resolved "
                             "| acknowledged`, `data: <the alert as JSON, as in the list>`; a "
                             "comment line on an idle stream. Reconnect with Last-Event-ID "
                             "to receive what was missed."},
                       **error_responses(401, 503)},
            openapi_extra=KEY_OPTIONAL)
async def stream_alerts(
        request: Request, reader: ReaderDep, registry: RegistryDep, settings: SettingsDep,
        raw: RawFilterDep,
        last_event_id: Annotated[str | None, Query(max_length=20, description="as the "
                                                   "Last-Event-ID header (for clients that "
                                                   "cannot send it)")] = None,
        last_event_header: Annotated[str | None, Header(alias="Last-Event-ID",
                                                        max_length=20)] = None,
) -> StreamingResponse:
    """The changes after Last-Event-ID (header or query) from the table, then the live ones;
    without it, from now. A client too slow to keep up is cut off and reconnects."""
    problems: list[Problem] = []
    where = checked_filter(raw, _severities(request), problems)
    given = last_event_header if last_event_header is not None else last_event_id
    after = None
    if given is not None and given.strip().isdigit():
        after = int(given)
    elif given is not None:
        problems.append(_problem("header.Last-Event-ID" if last_event_header is not None
                                 else "query.last_event_id",
                                 "charging.alerts_api.last_event_id",
                                 "charging.alerts_api.last_event_id_fix", value=given))
    if problems:
        raise InvalidInputError(problems, source="request")
    writer = request.app.state.live_writer
    if not writer.running:  # an app served without its lifespan: nothing would ever come
        raise HTTPException(503, message("charging.alerts_api.not_live"),
                            headers={"Retry-After": "5"})
    subscription = writer.numbered.subscribe()  # before the replay
    events = _events(registry, subscription, where, after, settings.sse_heartbeat_s)
    return StreamingResponse(events, media_type=_EVENT_STREAM,
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/charging/alerts", response_model=AlertPage, tags=["charging"],
            summary="The live alerts, newest first",
            responses=error_responses(401, 503), openapi_extra=KEY_OPTIONAL)
def list_alerts(request: Request, registry: RegistryDep, reader: ReaderDep, raw: RawFilterDep,
                limit: Annotated[str, Query(json_schema_extra={
                    "type": "integer", "minimum": 1, "maximum": _MAX_LIMIT, "default": 50})
                                 ] = "50",
                cursor: Annotated[str | None, Query(max_length=400, description="the "
                                                    "previous page's next")] = None
                ) -> AlertPage:
    problems: list[Problem] = []
    where = checked_filter(raw, _severities(request), problems)
    if not (len(limit) <= 3 and limit.isdigit() and 1 <= int(limit) <= _MAX_LIMIT):
        problems.append(_problem("query.limit", "charging.alerts_api.bad_limit",
                                 "charging.alerts_api.limit_fix", value=limit[:20],
                                 most=str(_MAX_LIMIT), fix={"most": str(_MAX_LIMIT)}))
    after = _parse_cursor(cursor, problems) if cursor is not None else None
    if problems:
        raise InvalidInputError(problems, source="request")
    alerts, total, more = registry.list_alerts(where, limit=int(limit), after=after)
    return AlertPage(items=[alert_out(a) for a in alerts], total=total,
                     next=_cursor(more) if more is not None else None)


@router.get("/charging/alerts/{alert_id}", response_model=AlertOut, tags=["charging"],
            summary="One live alert with its evidence",
            responses=error_responses(401, 404, 503), openapi_extra=KEY_OPTIONAL)
def get_alert(alert_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
              registry: RegistryDep, reader: ReaderDep) -> AlertOut:
    try:
        return alert_out(registry.get_alert(alert_id))
    except NotFoundError:
        raise NotFoundError(message("charging.alerts_api.not_found", {"id": alert_id})
                            ) from None


def _sse(change: NumberedChange) -> bytes:
    data = alert_out(change.alert).model_dump_json()
    return f"id: {change.seq}\nevent: {change.event}\ndata: {data}\n\n".encode()


async def _events(registry: RegistryDep, subscription: Subscription[NumberedChange],
                  where: AlertFilter, after: int | None,
                  heartbeat_s: float) -> AsyncIterator[bytes]:
    try:
        yield b": solidcheck alert stream\n\n"
        last = after
        while last is not None:
            backlog = await asyncio.to_thread(registry.alert_events_after, last,
                                              limit=_REPLAY_BATCH)
            for change in backlog:
                last = change.seq
                if where.matches(change.alert):
                    yield _sse(change)
            if len(backlog) < _REPLAY_BATCH:
                break
        async for item in _with_heartbeats(subscription, heartbeat_s):
            if item is None:
                yield b": keep-alive\n\n"
            elif (last is None or item.seq > last) and where.matches(item.alert):
                yield _sse(item)
    finally:
        subscription.close()


async def _with_heartbeats(subscription: Subscription[NumberedChange],
                           every_s: float) -> AsyncIterator[NumberedChange | None]:
    """The subscription's changes, and None after each ``every_s`` without one; ends when
    the bus cuts the subscription off."""
    changes = aiter(subscription)
    pending: asyncio.Future[NumberedChange] = asyncio.ensure_future(anext(changes))
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=every_s)
            if not done:
                yield None
                continue
            try:
                change = pending.result()
            except StopAsyncIteration:
                return
            yield change
            pending = asyncio.ensure_future(anext(changes))
    finally:
        pending.cancel()

