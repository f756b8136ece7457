"""Tickets that close the loop (issue 17 item 4) under ``/v1/charging/tickets``: listed and
read by any key, acted on (acknowledge, resolve, close, reopen) by an ``operator`` or
``admin`` key. The acts are the live desk's (``app.state.tickets``); an act its status does
not allow is a 409 naming the status and what is allowed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...charging.live import Alert
from ...charging.live.ticket_model import Sla, Ticket, TicketEvent, TicketStatus, sla_of
from ...charging.live.tickets import TicketStateError, checked_reason, checked_resolution
from ...registry import ApiKeyRecord
from ..deps import actor_of, require_role, ticket_key
from ..inputs import MAX_KEY_REQUEST_BYTES, accept_media, json_model, read_body
from ..live.tickets import TicketService
from ..problems import error_responses, request_id_of
from .openapi import KEY_REQUIRED, extra, json_body
from .params import NO_CONTROL, RegistryDep, v1_router

__all__ = ["router"]

router = v1_router()
_TAGS: list[str | Any] = ["charging tickets"]
Lang = Literal["en", "zh"]
LangQuery = Annotated[Lang, Query(description="language of an error's message: en, zh")]
TicketId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,32}$", description="a ticket's id")]
_Text = Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL)]


async def reader_key(request: Request) -> ApiKeyRecord:
    """Any valid key reads tickets."""
    return require_role(request, "reader")


ReaderKey = Annotated[ApiKeyRecord, Depends(reader_key)]
OperatorKey = Annotated[ApiKeyRecord, Depends(ticket_key)]


class TicketOut(Ticket):
    """A ticket with its SLA clock now."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sla: Sla


class TicketList(BaseModel):
    tickets: list[TicketOut]
    total: int = Field(description="how many tickets match the filters in all")
    next: str | None = Field(description="pass as 'after' for the next page; null: the last")


class TicketAlert(BaseModel):
    id: str
    open: bool = Field(description="still open in this server's alert engine")
    alert: Alert | None = Field(description="the alert, while this server holds it open")


class TicketDetail(BaseModel):
    ticket: TicketOut
    events: list[TicketEvent]
    alerts: list[TicketAlert]


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cause: str | None = Field(default=None, description="what was found, in words")
    cause_code: str | None = Field(default=None, description="one of the cause codes "
                                   "(docs/charging.md, 'Tickets'); NEVI's excluded causes "
                                   "included")
    resolution: str | None = Field(default=None, description="remote or on_site")
    note: str | None = None


class ReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str | None = Field(default=None, description="why: kept in the audit trail")


def _service(request: Request) -> TicketService:
    service: TicketService = request.app.state.tickets
    return service


def _out(service: TicketService, ticket: Ticket, now: datetime) -> TicketOut:
    return TicketOut(**ticket.model_dump(), sla=sla_of(ticket, service.desk.sla, now=now))


def _conflict(request: Request, error: TicketStateError, lang: Lang) -> JSONResponse:
    return JSONResponse({"message": error.text(lang), "problems": [],
                         "request_id": request_id_of(request), "status": error.status,
                         "allowed": list(error.allowed)}, status_code=409)


async def _body(request: Request, model: type[Any]) -> Any:
    accept_media(request, frozenset({"", "application/json"}), "send JSON")
    data = await read_body(request, MAX_KEY_REQUEST_BYTES, what="the request body",
                           fix="send a smaller JSON object")
    return json_model(model, data or b"{}")


@router.get("/charging/tickets", response_model=TicketList, tags=_TAGS,
            summary="Tickets, newest first, filtered and paged",
            responses=error_responses(401, 403, 503), openapi_extra=KEY_REQUIRED)
def list_tickets(request: Request, key: ReaderKey, registry: RegistryDep,
                 status: Annotated[TicketStatus | None, Query()] = None,
                 station: _Text = None, port: _Text = None, severity: _Text = None,
                 breached: bool | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 after: Annotated[str | None, Query(max_length=120)] = None) -> TicketList:
    now = datetime.now(UTC)
    page = registry.list_charging_tickets(now=now, status=status, station_id=station,
                                          port_id=port, severity=severity,
                                          breached=breached, limit=limit, after=after)
    service = _service(request)
    return TicketList(tickets=[_out(service, t, now) for t in page.tickets], total=page.total,
                      next=page.next)


@router.get("/charging/tickets/{ticket_id}", response_model=TicketDetail, tags=_TAGS,
            summary="A ticket with its audit trail and its alerts",
            responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
def get_ticket(request: Request, ticket_id: TicketId, key: ReaderKey,
               registry: RegistryDep) -> TicketDetail:
    ticket, events = registry.charging_ticket(ticket_id)
    service = _service(request)
    held = {a.id: a for a in service.hub.engine.open_alerts()}
    return TicketDetail(ticket=_out(service, ticket, datetime.now(UTC)), events=events,
                        alerts=[TicketAlert(id=i, open=i in held, alert=held.get(i))
                                for i in ticket.alert_ids])


async def _act(request: Request, ticket_id: TicketId, act: str, key: ApiKeyRecord, lang: Lang,
               **what: Any) -> TicketOut | JSONResponse:
    service = _service(request)
    try:
        ticket = await service.act(ticket_id, act, actor=actor_of(key), **what)
    except TicketStateError as error:
        return _conflict(request, error, lang)
    return _out(service, ticket, datetime.now(UTC))


_ACT_RESPONSES = error_responses(401, 403, 404, 415, 503) | {
    409: {"description": "The ticket's status does not allow this: the body says the status "
          "and what is allowed."}}


@router.post("/charging/tickets/{ticket_id}/acknowledge", summary="Acknowledge a ticket "
             "(and its open alerts)", openapi_extra=KEY_REQUIRED,
             response_model=TicketOut, tags=_TAGS,
             responses=_ACT_RESPONSES)
async def acknowledge(request: Request, ticket_id: TicketId, key: OperatorKey,
                      lang: LangQuery = "en") -> Any:
    return await _act(request, ticket_id, "acknowledge", key, lang)


@router.post("/charging/tickets/{ticket_id}/resolve", summary="Resolve a ticket with its "
             "cause and how", openapi_extra=extra(json_body(ResolveRequest), KEY_REQUIRED),
             response_model=TicketOut, tags=_TAGS, responses=_ACT_RESPONSES)
async def resolve(request: Request, ticket_id: TicketId, key: OperatorKey,
                  lang: LangQuery = "en") -> Any:
    body: ResolveRequest = await _body(request, ResolveRequest)
    checked_resolution(cause=body.cause, cause_code=body.cause_code,
                       resolution=body.resolution, note=body.note, lang=lang)
    return await _act(request, ticket_id, "resolve", key, lang, cause=body.cause,
                      cause_code=body.cause_code, resolution=body.resolution, note=body.note)


@router.post("/charging/tickets/{ticket_id}/close", summary="Close a ticket, with a reason",
             openapi_extra=extra(json_body(ReasonRequest), KEY_REQUIRED),
             response_model=TicketOut, tags=_TAGS,
             responses=_ACT_RESPONSES)
async def close(request: Request, ticket_id: TicketId, key: OperatorKey,
                lang: LangQuery = "en") -> Any:
    body: ReasonRequest = await _body(request, ReasonRequest)
    return await _act(request, ticket_id, "close", key, lang,
                      reason=checked_reason(body.reason, lang=lang))


@router.post("/charging/tickets/{ticket_id}/reopen", summary="Reopen a ticket, with a reason",
             openapi_extra=extra(json_body(ReasonRequest), KEY_REQUIRED),
             response_model=TicketOut, tags=_TAGS,
             responses=_ACT_RESPONSES)
async def reopen(request: Request, ticket_id: TicketId, key: OperatorKey,
                 lang: LangQuery = "en") -> Any:
    body: ReasonRequest = await _body(request, ReasonRequest)
    return await _act(request, ticket_id, "reopen", key, lang,
                      reason=checked_reason(body.reason, lang=lang))
