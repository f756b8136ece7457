"""The claim audit: product text checked for misused terms and unsupported claims."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ...claims.audit import audit
from ...claims.extract import TextFormat, extract_from_bytes
from ...claims.model import AuditReport
from ...errors import InvalidInputError, Problem
from ...model import Result
from ...rules import Ruleset
from .. import heavy
from ..deps import get_settings, visibility
from ..inputs import accept_media, installed_ruleset, json_model, read_body, read_upload
from ..problems import error_responses
from ..schemas import AuditRequest
from .openapi import AUDIT_BODY, KEY_OPTIONAL, extra
from .params import RegistryDep, v1_router

__all__ = ["router"]

router = v1_router()

_RESULT_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class AuditInput:
    """A document to audit, however it was sent."""

    data: bytes
    source: str
    format: TextFormat | None
    evidence_result_id: str | None
    ruleset: str | None


async def audit_input(request: Request) -> AuditInput:
    """The document to audit: JSON ``{"text": …}`` or a multipart upload, either at most
    ``SOLIDCHECK_MAX_AUDIT_BYTES`` (413 while it streams in past that)."""
    media = accept_media(request, frozenset({"application/json", "multipart/form-data"}),
                         "send JSON {\"text\": …} or upload the document as the form field "
                         "'file'")
    limit: int = get_settings(request).max_audit_bytes
    if media == "multipart/form-data":
        upload = await read_upload(request, max_bytes=limit, what="the document",
                                   fields=("evidence_result_id", "ruleset"))
        result_id = upload.fields.get("evidence_result_id") or None
        if result_id is not None and not _RESULT_ID.fullmatch(result_id):
            raise InvalidInputError([Problem("evidence_result_id", "not a result id (32 "
                                             "lowercase hex digits)", "copy the id from GET "
                                             "/v1/cells/{id}")])
        return AuditInput(upload.content, upload.filename, None, result_id,
                          upload.fields.get("ruleset") or None)
    body = await read_body(request, limit, what="the request body",
                           fix="audit a shorter text, or the document in parts")
    parsed = json_model(AuditRequest, body)
    return AuditInput(parsed.text.encode("utf-8"), "text", parsed.format,
                      parsed.evidence_result_id, parsed.ruleset)


@router.post("/audit", response_model=AuditReport, tags=["claims"],
             summary="Audit product text for misused terms and unsupported claims",
             responses=error_responses(401, 404, 413, 415, 503),
             openapi_extra=extra(AUDIT_BODY, KEY_OPTIONAL))
async def audit_text(document: Annotated[AuditInput, Depends(audit_input)], request: Request,
                     registry: RegistryDep) -> AuditReport:
    """``solidcheck audit``: with ``evidence_result_id`` the claims are checked against that
    stored result (a registry read: public only when the registry is).

    An uploaded document must be text, Markdown, HTML or a PDF with a text layer (422
    otherwise: binary content, an image), and its file name a plain base name; the text is
    at most the server's `SOLIDCHECK_MAX_AUDIT_BYTES` (413 beyond)."""
    rules = installed_ruleset(document.ruleset)
    evidence = None
    if document.evidence_result_id is not None:
        reader = await visibility(request)
        record = await run_in_threadpool(registry.get_result, document.evidence_result_id,
                                         **reader.scope())
        evidence = record.result
    return await heavy.run(_audit_document, document, rules, evidence)


def _audit_document(document: AuditInput, rules: Ruleset, evidence: Result | None
                    ) -> AuditReport:
    extracted = extract_from_bytes(document.data, format=document.format,
                                   source=document.source)
    return audit(extracted, ruleset=rules, evidence=evidence)

