"""Certificates: kept by the registry, read back byte for byte, and verified."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Response

from ...certificates import verify
from ...registry import CertificateRecord
from .. import heavy
from ..deps import writer
from ..inputs import certificate_body
from ..problems import error_responses
from ..schemas import VerificationOut
from .openapi import CERTIFICATE_BODY, KEY_OPTIONAL, KEY_REQUIRED, extra
from .params import CertificateId, LabKey, ReaderDep, RegistryDep, v1_router

__all__ = ["router"]

router = v1_router()


@router.post("/certificates", status_code=201, response_model=CertificateRecord,
             tags=["certificates"], summary="Keep a certificate of a registered cell",
             responses={200: {"model": CertificateRecord, "description": "The registry has "
                              "this certificate already: nothing changed."},
                        **error_responses(401, 403, 404, 413, 415, 503)},
             openapi_extra=extra(CERTIFICATE_BODY, KEY_REQUIRED))
def add_certificate(key: LabKey, body: Annotated[bytes, Depends(certificate_body)],
                    registry: RegistryDep, response: Response) -> CertificateRecord:
    """The certificate must verify, be signed by one of the registry's trusted issuers
    (GET /v1/issuers), and certify exactly the result the registry itself gives the
    certified version of a cell the key's lab may write (422 with each difference
    otherwise). The same certificate again: 200 with the stored one."""
    since = datetime.now(UTC)
    record = registry.add_certificate(body, **writer(key))
    response.status_code = 201 if record.created_at >= since else 200
    return record


@router.get("/certificates/{certificate_id}", response_class=Response, tags=["certificates"],
            summary="A stored certificate file, as issued",
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                             "description": "The certificate file's exact bytes."},
                       **error_responses(401, 404, 503)},
            openapi_extra=KEY_OPTIONAL)
def get_certificate(certificate_id: CertificateId, registry: RegistryDep,
                    reader: ReaderDep) -> Response:
    name = f"certificate-{certificate_id}.cert.json"
    return Response(registry.get_certificate(certificate_id, **reader.scope()),
                    media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/verify", response_model=VerificationOut, tags=["certificates"],
             summary="Verify a certificate file",
             responses=error_responses(413, 415, 503), openapi_extra=CERTIFICATE_BODY)
async def verify_certificate(body: Annotated[bytes, Depends(certificate_body)]
                             ) -> VerificationOut:
    """Every check of ``solidcheck verify``, every failure listed; a file that is not a
    certificate at all is a 422. Who signed it is not checked against a trust list."""
    verification = await heavy.run(verify, body, source="<request body>")
    return VerificationOut.model_validate(verification.as_dict())

