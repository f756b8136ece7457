"""Alert webhooks (issue 17 item 3): an admin registers receivers of alert changes (the
signing secret is answered once), lists and removes them, and reads each one's delivery
log. The sending is ``web/live/webhooks.py``'s."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ...registry.records import DeliveryRecord, WebhookRecord
from ..deps import actor_of
from ..inputs import MAX_KEY_REQUEST_BYTES, accept_media, json_model, read_body
from ..problems import error_responses
from .openapi import KEY_REQUIRED, extra
from .params import AdminKey, RegistryDep, v1_router

__all__ = ["NewWebhook", "WebhookRequest", "router"]

router = v1_router()
WebhookId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]


class WebhookRequest(BaseModel):
    """A receiver to register."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="http:// or https:// URL posted to", max_length=4000)
    kinds: list[str] | None = Field(default=None, description="alert kinds sent (default "
                                    "all): fault, offline, reboot_loop, silent_failure, "
                                    "no_energy, temperature, callerror_burst")
    min_severity: str | None = Field(default=None, description="the least severe tier sent "
                                     "(default all): a severity of the rule set's SLA tiers")


class NewWebhook(BaseModel):
    webhook: WebhookRecord
    secret: str = Field(description="signs every delivery (X-Solidcheck-Signature); shown "
                        "only now")


#: inline, so the document needs no schema added by ``app.py``
_WEBHOOK_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": WebhookRequest.model_json_schema()}}}}


async def webhook_body(request: Request) -> WebhookRequest:
    accept_media(request, frozenset({"", "application/json"}),
                 'send JSON {"url": "https://…", "kinds": [...], "min_severity": "…"}')
    body = await read_body(request, MAX_KEY_REQUEST_BYTES, what="the request body",
                           fix="send only url, kinds and min_severity")
    return json_model(WebhookRequest, body)


@router.post("/charging/webhooks", status_code=201, response_model=NewWebhook,
             tags=["charging"], summary="Register a receiver of alert changes; its signing "
             "secret is shown once", responses=error_responses(401, 403, 415, 503),
             openapi_extra=extra(_WEBHOOK_BODY, KEY_REQUIRED))
async def add_webhook(key: AdminKey, new: Annotated[WebhookRequest, Depends(webhook_body)],
                      registry: RegistryDep, request: Request,
                      response: Response) -> NewWebhook:
    webhooks = request.app.state.webhooks
    record, secret = await asyncio.to_thread(
        registry.add_webhook, new.url, actor=actor_of(key), severities=webhooks.severities,
        kinds=new.kinds, min_severity=new.min_severity)
    await webhooks.refresh()
    response.headers["Cache-Control"] = "no-store"
    return NewWebhook(webhook=record, secret=secret)


@router.get("/charging/webhooks", response_model=list[WebhookRecord], tags=["charging"],
            summary="Every registered receiver (never a secret)",
            responses=error_responses(401, 403, 503), openapi_extra=KEY_REQUIRED)
def list_webhooks(key: AdminKey, registry: RegistryDep) -> list[WebhookRecord]:
    return registry.list_webhooks()


@router.delete("/charging/webhooks/{webhook_id}", response_model=WebhookRecord,
               tags=["charging"], summary="Remove a receiver and its delivery log",
               responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
async def remove_webhook(webhook_id: WebhookId, key: AdminKey, registry: RegistryDep,
                         request: Request) -> WebhookRecord:
    record = await asyncio.to_thread(registry.remove_webhook, webhook_id, actor=actor_of(key))
    await request.app.state.webhooks.refresh()
    return record


@router.get("/charging/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryRecord],
            tags=["charging"], summary="A receiver's delivery log, newest first: each change "
            "queued, each attempt, each change dropped",
            responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
def webhook_deliveries(webhook_id: WebhookId, key: AdminKey, registry: RegistryDep,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                       before: Annotated[int | None, Query(
                           ge=1, description="the next page: lines before this id")] = None,
                       ) -> list[DeliveryRecord]:
    return registry.webhook_deliveries(webhook_id, limit=limit, before=before)
