"""Trust and access: the certificate issuers the registry trusts, and the labs other than
a cell's owner that may write to it."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from ...registry import GrantRecord, IssuerRecord
from ..deps import actor_of
from ..inputs import MAX_KEY_REQUEST_BYTES, accept_media, json_model, read_body
from ..problems import error_responses
from ..schemas import NewGrantRequest, NewIssuerRequest
from .openapi import KEY_OPTIONAL, KEY_REQUIRED, extra, json_body
from .params import AdminKey, CellId, Fingerprint, LabName, ReaderDep, RegistryDep, v1_router

__all__ = ["router"]

router = v1_router()

_Body = TypeVar("_Body", bound=BaseModel)


async def _small_json(request: Request, model: type[_Body], example: str) -> _Body:
    accept_media(request, frozenset({"", "application/json"}), f"send JSON {example}")
    body = await read_body(request, MAX_KEY_REQUEST_BYTES, what="the request body",
                           fix=f"send only {example}")
    return json_model(model, body)


async def new_issuer_body(request: Request) -> NewIssuerRequest:
    return await _small_json(request, NewIssuerRequest,
                             '{"name": "…", "public_key": "<base64>"}')


async def new_grant_body(request: Request) -> NewGrantRequest:
    return await _small_json(request, NewGrantRequest, '{"lab": "…"}')


@router.get("/issuers", response_model=list[IssuerRecord], tags=["certificates"],
            summary="The certificate issuers this registry trusts",
            responses=error_responses(401, 503), openapi_extra=KEY_OPTIONAL)
def list_issuers(registry: RegistryDep, reader: ReaderDep) -> list[IssuerRecord]:
    """Certificates are accepted (POST /v1/certificates) only from these keys."""
    return registry.trusted_issuers()


@router.post("/issuers", status_code=201, response_model=IssuerRecord, tags=["certificates"],
             summary="Trust a certificate issuer's key",
             responses=error_responses(401, 403, 415, 503),
             openapi_extra=extra(json_body(NewIssuerRequest), KEY_REQUIRED))
def add_issuer(key: AdminKey, issuer: Annotated[NewIssuerRequest, Depends(new_issuer_body)],
               registry: RegistryDep) -> IssuerRecord:
    return registry.add_trusted_issuer(name=issuer.name, public_key=issuer.public_key,
                                       actor=actor_of(key))


@router.delete("/issuers/{fingerprint}", response_model=IssuerRecord, tags=["certificates"],
               summary="Stop trusting an issuer (certificates kept stay)",
               responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
def remove_issuer(fingerprint: Fingerprint, key: AdminKey,
                  registry: RegistryDep) -> IssuerRecord:
    return registry.remove_trusted_issuer(fingerprint, actor=actor_of(key))


@router.get("/cells/{cell_id}/grants", response_model=list[GrantRecord], tags=["registry"],
            summary="The labs other than the owner that may write to a cell",
            responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
def list_grants(cell_id: CellId, key: AdminKey, registry: RegistryDep) -> list[GrantRecord]:
    return registry.grants(cell_id)


@router.post("/cells/{cell_id}/grants", status_code=201, response_model=GrantRecord,
             tags=["registry"], summary="Let another lab write to a cell",
             responses=error_responses(401, 403, 404, 415, 503),
             openapi_extra=extra(json_body(NewGrantRequest), KEY_REQUIRED))
def add_grant(cell_id: CellId, key: AdminKey,
              grant: Annotated[NewGrantRequest, Depends(new_grant_body)],
              registry: RegistryDep) -> GrantRecord:
    return registry.grant_access(cell_id, lab=grant.lab, actor=actor_of(key))


@router.delete("/cells/{cell_id}/grants/{lab}", status_code=204, response_class=Response,
               tags=["registry"], summary="Withdraw a lab's access to a cell",
               responses=error_responses(401, 403, 404, 503), openapi_extra=KEY_REQUIRED)
def remove_grant(cell_id: CellId, lab: LabName, key: AdminKey,
                 registry: RegistryDep) -> Response:
    registry.revoke_access(cell_id, lab=lab, actor=actor_of(key))
    return Response(status_code=204)

