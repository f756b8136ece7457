"""API keys: listed, created (the secret shown once) and revoked, by an admin key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from ...registry import ApiKeyRecord
from ..deps import actor_of
from ..inputs import MAX_KEY_REQUEST_BYTES, accept_media, json_model, read_body
from ..problems import error_responses
from ..schemas import NewKey, NewKeyRequest
from .openapi import KEY_REQUIRED, extra, json_body
from .params import AdminKey, KeyId, RegistryDep, v1_router

__all__ = ["router"]

router = v1_router()


@router.get("/keys", response_model=list[ApiKeyRecord], tags=["keys"],
            summary="Every API key (never a secret)",
            responses=error_responses(401, 403, 503), openapi_extra=KEY_REQUIRED)
def list_keys(key: AdminKey, registry: RegistryDep) -> list[ApiKeyRecord]:
    return registry.list_api_keys()


async def new_key_body(request: Request) -> NewKeyRequest:
    """The new key's role and name, as JSON."""
    accept_media(request, frozenset({"", "application/json"}),
                 "send JSON {\"role\": \"lab\", \"name\": \"…\"}")
    body = await read_body(request, MAX_KEY_REQUEST_BYTES, what="the request body",
                           fix='send only {"role": …, "name": …}')
    return json_model(NewKeyRequest, body)


@router.post("/keys", status_code=201, response_model=NewKey, tags=["keys"],
             summary="Create an API key; its secret is shown once",
             responses=error_responses(401, 403, 415, 503),
             openapi_extra=extra(json_body(NewKeyRequest), KEY_REQUIRED))
def create_key(key: AdminKey, new_key: Annotated[NewKeyRequest, Depends(new_key_body)],
               registry: RegistryDep, response: Response) -> NewKey:
    record, secret = registry.create_api_key(role=new_key.role, name=new_key.name,
                                             organisation=new_key.organisation,
                                             actor=actor_of(key))
    response.headers["Cache-Control"] = "no-store"
    return NewKey(key=record, secret=secret)


@router.delete("/keys/{key_id}", response_model=ApiKeyRecord, tags=["keys"],
               summary="Revoke an API key (it stays listed, with its revocation time)",
               responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
def revoke_key(key_id: KeyId, key: AdminKey, registry: RegistryDep) -> ApiKeyRecord:
    """The last active admin key cannot be revoked (422): create another first."""
    return registry.revoke_api_key(key_id, actor=actor_of(key))

