"""The REST API under ``/v1``, and ``/healthz`` and ``/metrics``.

Routes parse and answer; every decision is the core's (``classify``, ``verify``, ``audit``)
or the registry's. Bodies that are files — a dossier, a certificate, an instrument file, a
document to audit — are read as the bytes sent, so the problems reported are solidcheck's own
(the same as the command line's) and a certificate is checked byte for byte. Their schemas
are declared in ``openapi_extra``; ``app.py`` adds the dossier's schema to the document.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeVar, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from starlette.concurrency import run_in_threadpool

from .. import formats
from .._version import __version__
from ..certificates import verify
from ..claims.audit import audit
from ..claims.extract import TextFormat, extract_from_bytes
from ..claims.model import AuditReport
from ..classify import classify
from ..errors import DatabaseError, EvidenceError, InvalidInputError, Problem
from ..model import Category, ConductingIon, Result, SolidType
from ..registry import (
    ApiKeyRecord,
    CellDetail,
    CellPage,
    CertificateRecord,
    EvidenceRecord,
    GrantRecord,
    IssuerRecord,
    Registry,
    ResultRecord,
    Submission,
)
from ..report.html import Lang
from ..rules import Ruleset, available_rulesets
from ..terms import lookup_term
from . import heavy
from .cache import cached_cell_json
from .deps import (
    Visibility,
    actor_of,
    admin_key,
    get_settings,
    lab_key,
    registry_dependency,
    settings_dependency,
    visibility,
    writer,
)
from .inputs import (
    MAX_KEY_REQUEST_BYTES,
    RULESET_IDS,
    Upload,
    accept_media,
    certificate_body,
    dossier_body,
    installed_ruleset,
    json_model,
    known_query_parameters,
    parse_dossier_body,
    read_body,
    read_upload,
    upload_name,
    uploaded_file,
)
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .metrics import Metrics
from .problems import error_responses
from .reports import ReportFormat, render_result
from .schemas import (
    AuditRequest,
    Health,
    NewGrantRequest,
    NewIssuerRequest,
    NewKey,
    NewKeyRequest,
    RulesetOut,
    TermOut,
    VerificationOut,
)
from .settings import Settings

__all__ = ["router", "system_router"]

logger = logging.getLogger("solidcheck.web")

router = APIRouter(prefix="/v1", dependencies=[Depends(known_query_parameters)],
                   responses=error_responses(400, 413, 422, 429, 500))
system_router = APIRouter()

#: a bound far beyond any registry, so the database never sees an out-of-range offset
_MAX_OFFSET = 1_000_000_000
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_RESULT_ID = re.compile(r"[0-9a-f]{32}")
#: a dossier this small (the examples are under 1 KB) is read and classified in under a
#: millisecond, a worst case of this size (thousands of one-character values) in a few: on
#: the event loop, which is quicker than a worker thread's round trip; a larger one goes to a
#: heavy worker (``heavy.py``: bounded, within the request budget) so that it never holds up
#: others (32 KB of values took 30–70 ms)
_INLINE_DOSSIER_BYTES = 2 * 1024

# ------------------------------------------------------------------ OpenAPI pieces

_KEY_REQUIRED: dict[str, Any] = {"security": [{"bearerAuth": []}]}
_KEY_OPTIONAL: dict[str, Any] = {"security": [{}, {"bearerAuth": []}]}
_DOSSIER_SCHEMA = {"$ref": "#/components/schemas/Dossier"}
_DOSSIER_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "A dossier (docs/dossier.md): JSON, or the same document in YAML.",
    "content": {"application/json": {"schema": _DOSSIER_SCHEMA},
                "application/yaml": {"schema": _DOSSIER_SCHEMA}}}}
_CERTIFICATE_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "A certificate file exactly as issued by `solidcheck certify` (its bytes "
                   "are checked: do not re-serialise it).",
    "content": {"application/json": {"schema": {"type": "object"}}}}}
_EVIDENCE_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "additionalProperties": False,
        "properties": {"file": {"type": "string", "format": "binary", "description":
                                "an instrument file (oven log, weighings, cycler export)"}}}}}}}
_AUDIT_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "The text as JSON, or a document (text, Markdown, HTML or PDF) uploaded as "
                   "the form field 'file'.",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/AuditRequest"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "additionalProperties": False,
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "evidence_result_id": {"type": "string", "pattern": "^([0-9a-f]{32})?$",
                                       "description": "empty: none"},
                "ruleset": {"type": "string", "enum": [*RULESET_IDS, ""],
                            "description": "empty: the default"}}}}}}}
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def _extra(*parts: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


RulesetQuery = Annotated[str | None, Query(
    max_length=60, description="A rule-set id (GET /v1/rulesets); default: the national "
    "standard.", json_schema_extra={"enum": list(RULESET_IDS)})]
TextQuery = Annotated[str | None, Query(max_length=200, pattern=_NO_CONTROL)]
CellId = Annotated[str, Path(min_length=1, max_length=200,
                             pattern=r"^[^/\\?#%\x00-\x1f\x7f]+$",
                             description="the cell's dossier id")]
ResultId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]
Fingerprint = Annotated[str, Path(pattern=r"^sha256:[0-9a-f]{64}$")]
LabName = Annotated[str, Path(min_length=1, max_length=200, pattern=_NO_CONTROL)]
CertificateId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RegistryDep = Annotated[Registry, Depends(registry_dependency)]
SettingsDep = Annotated[Settings, Depends(settings_dependency)]
LabKey = Annotated[ApiKeyRecord, Depends(lab_key)]
AdminKey = Annotated[ApiKeyRecord, Depends(admin_key)]
ReaderDep = Annotated[Visibility, Depends(visibility)]


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics (async: a dependency this cheap needs no worker thread)."""
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def _count_if_stored(metrics: Metrics, record: ResultRecord, since: datetime) -> None:
    """Count a result made by this request (not one the registry already had)."""
    if record.created_at >= since:
        metrics.result_stored(record.result.category)


# ------------------------------------------------------------------ classification


@router.post("/classify", response_model=Result, tags=["classification"],
             summary="Classify a dossier (nothing is stored)",
             responses=error_responses(413, 415, 503), openapi_extra=_DOSSIER_BODY)
async def classify_dossier(body: Annotated[bytes, Depends(dossier_body)],
                           ruleset: RulesetQuery = None) -> Response:
    """The dossier's classification under the rule set: the same result as
    ``solidcheck classify --format json``.

    A dossier the schema accepts may still break a rule the schema does not state, and is
    then refused with 422 listing every problem: `electrolyte.solid_type` is given exactly
    when `solid` is among the phases; `phases` lists no value twice; `id` is not blank; a
    dossier holds at most 1,000 specimens and 1,000,000 bytes (413 beyond)."""
    if len(body) <= _INLINE_DOSSIER_BYTES:
        return _classify(body, ruleset)
    return await heavy.run(_classify, body, ruleset)


def _classify(body: bytes, ruleset_id: str | None) -> Response:
    """The result serialised once (a Result returned would be validated again by FastAPI
    against ``response_model``, which documents it)."""
    result = classify(parse_dossier_body(body), installed_ruleset(ruleset_id))
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/rulesets", response_model=list[RulesetOut], tags=["classification"],
            summary="The installed rule sets, the default first")
def list_rulesets() -> list[RulesetOut]:
    return [RulesetOut(id=r.id, title=r.ruleset.title, title_zh=r.ruleset.title_zh,
                       document=r.ruleset.document, status=r.ruleset.status,
                       default=r.ruleset.default,
                       limit_percent=r.rules.weight_loss_limit.limit_percent,
                       comparison=r.rules.weight_loss_limit.comparison,
                       visual_check_required=r.rules.visual_check.mandatory)
            for r in available_rulesets()]


@router.get("/terms", response_model=list[TermOut], tags=["classification"],
            summary="Look a term up in English or Chinese")
def find_terms(q: Annotated[str, Query(min_length=1, max_length=200, description="a term, "
                                       "e.g. semi-solid or 半固态电池; insensitive to case, "
                                       "hyphens, spaces and full-width forms")]
               ) -> list[TermOut]:
    """Exact matches first, then partial ones; an empty list when nothing matches."""
    return [TermOut.model_validate(match.as_dict()) for match in lookup_term(q)]


# ------------------------------------------------------------------ the registry: cells


@router.post("/cells", status_code=201, response_model=Submission, tags=["registry"],
             summary="Store a dossier and classify it",
             responses={200: {"model": Submission, "description": "The dossier is the "
                              "latest version already: nothing changed."},
                        **error_responses(401, 403, 413, 415, 503)},
             openapi_extra=_extra(_DOSSIER_BODY, _KEY_REQUIRED))
def submit_cell(response: Response, key: LabKey,
                body: Annotated[bytes, Depends(dossier_body)], registry: RegistryDep,
                metrics: MetricsDep, ruleset: RulesetQuery = None,
                publish: Annotated[bool, Query(description="false keeps the result from "
                                               "anonymous readers")] = True) -> Submission:
    """201 with the new version when the dossier differs from the cell's latest (or the cell
    is new); 200 with the stored result when it is the same."""
    rules = installed_ruleset(ruleset)
    dossier = heavy.run_blocking(parse_dossier_body, body)  # up to 1 MB of YAML: seconds
    since = datetime.now(UTC)
    submission = heavy.run_blocking(registry.submit, dossier, ruleset=rules, publish=publish,
                                    **writer(key))
    _count_if_stored(metrics, submission.result, since)
    response.status_code = 201 if submission.new_version else 200
    if submission.new_version:
        response.headers["Location"] = f"/v1/cells/{quote(submission.cell_id, safe='')}"
    return submission


@router.get("/cells", response_model=CellPage, tags=["registry"],
            summary="Search the registry's cells",
            responses=error_responses(401, 503), openapi_extra=_KEY_OPTIONAL)
def search_cells(registry: RegistryDep, reader: ReaderDep,
                 category: Category | None = None, electrolyte_type: SolidType | None = None,
                 conducting_ion: ConductingIon | None = None,
                 manufacturer: TextQuery = None,
                 q: Annotated[str | None, Query(max_length=200, pattern=_NO_CONTROL,
                                                description="text in the id, manufacturer, "
                                                "model or code")] = None,
                 ruleset: RulesetQuery = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50,
                 offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0) -> CellPage:
    """Cells with their latest version's result under the rule set, newest first."""
    return registry.list_cells(category=category, electrolyte_type=electrolyte_type,
                               conducting_ion=conducting_ion, manufacturer=manufacturer,
                               text=q, ruleset=installed_ruleset(ruleset).id,
                               limit=limit, offset=offset, **reader.scope())


@router.get("/cells/{cell_id}", response_model=CellDetail, tags=["registry"],
            summary="A cell with every version, result, evidence file and certificate",
            responses=error_responses(401, 404, 503), openapi_extra=_KEY_OPTIONAL)
def get_cell(cell_id: CellId, registry: RegistryDep, reader: ReaderDep) -> Response:
    """Without a key (or with another lab's), a cell with no published result is not found,
    and only its published results, the versions they are of and their certificates show."""
    # read cache (cache.py): the serialised CellDetail, by the cell's revision and the reader
    return cached_cell_json(registry, cell_id, reader,
                            lambda: registry.get_cell(cell_id, **reader.scope()))


@router.post("/cells/{cell_id}/reclassify", response_model=ResultRecord, tags=["registry"],
             summary="Classify the cell's latest version under another rule set",
             responses=error_responses(401, 403, 404, 503), openapi_extra=_KEY_REQUIRED)
def reclassify_cell(cell_id: CellId, key: LabKey, registry: RegistryDep, metrics: MetricsDep,
                    ruleset: RulesetQuery = None) -> ResultRecord:
    """Earlier results stay; classifying again under the same rule set returns the stored
    result. The new result is published as the version's earlier results are."""
    rules = installed_ruleset(ruleset)
    since = datetime.now(UTC)
    record = heavy.run_blocking(registry.reclassify, cell_id, ruleset=rules, **writer(key))
    _count_if_stored(metrics, record, since)
    return record


@router.post("/cells/{cell_id}/evidence", status_code=201, response_model=EvidenceRecord,
             tags=["registry"], summary="Attach an instrument file to a cell",
             responses=error_responses(401, 403, 404, 413, 415, 503),
             openapi_extra=_extra(_EVIDENCE_BODY, _KEY_REQUIRED))
async def upload_evidence(cell_id: CellId, key: LabKey,
                          upload: Annotated[Upload, Depends(uploaded_file)],
                          registry: RegistryDep, settings: SettingsDep) -> EvidenceRecord:
    """The file must be one solidcheck reads (the reader's problems are the 422 otherwise);
    its bytes are kept once, by SHA-256. A report of the cell plots an oven log its dossier's
    ``evidence`` names by that SHA-256. Reading it (a spreadsheet can be slow) is heavy work:
    off the event loop, within the request budget."""
    name = upload_name(upload.filename)
    try:
        return await heavy.run(registry.add_evidence, cell_id, filename=name,
                               content=upload.content,
                               max_bytes=settings.max_evidence_bytes, **writer(key))
    except EvidenceError as exc:  # named by the upload, not by the server's temporary copy
        raise EvidenceError(exc.problems, source=name, unlisted=exc.unlisted) from None


@router.get("/evidence/{sha256}", response_class=Response, tags=["registry"],
            summary="An evidence file's bytes",
            responses={200: {"content": {"application/octet-stream": _BINARY},
                             "description": "The file, as uploaded."},
                       **error_responses(401, 404, 503)},
            openapi_extra=_KEY_OPTIONAL)
def get_evidence(sha256: Sha256, registry: RegistryDep, reader: ReaderDep) -> Response:
    """Always a download (``attachment``), never shown as a page, whatever the file holds.
    Only a file of a cell the reader may see."""
    return Response(registry.get_evidence(sha256, **reader.scope()),
                    media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{sha256}"'})


# ------------------------------------------------------------------ results and reports

# the formats, and the Accept-header media ranges that choose them: formats.py's registry
_RESULT_FORMATS = "GET /v1/results"
if TYPE_CHECKING:
    ResultFormat: TypeAlias = str
else:
    ResultFormat = formats.choice_type(_RESULT_FORMATS)
_FORMAT_OF_MEDIA: dict[str, ResultFormat] = formats.by_media_range(_RESULT_FORMATS)


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str) -> ResultFormat:
    """The format an Accept header prefers among JSON, HTML and PDF (the first listed wins a
    tie); JSON when it names none of them."""
    best: ResultFormat = "json"
    best_quality = 0.0
    for item in accept.split(","):
        media, _, params = item.partition(";")
        fmt = _FORMAT_OF_MEDIA.get(media.strip().lower())
        quality = _quality(params)
        if fmt is not None and quality > best_quality:
            best, best_quality = fmt, quality
    return best


@router.get("/results/{result_id}", response_model=ResultRecord, tags=["registry"],
            summary="A stored result: JSON, or its report as HTML or PDF",
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}},
                                         "application/pdf": _BINARY},
                             "description": "The result (JSON), or its report, by the Accept "
                             "header or ?format="},
                       **error_responses(401, 404, 501, 503)},
            openapi_extra=_KEY_OPTIONAL)
def get_result(result_id: ResultId, request: Request, registry: RegistryDep,
               reader: ReaderDep,
               format: Annotated[ResultFormat | None, Query(
                   description="overrides the Accept header (a link cannot set Accept)")] = None,
               lang: Annotated[Lang, Query(description="the report's language")] = "en",
               ) -> Response:
    """The report shows the stored result, its reasons and — when the dossier's evidence
    names an oven log the registry holds — the oven-log plot. PDF needs the server's 'pdf'
    extra (501 otherwise)."""
    chosen = format or negotiate(request.headers.get("accept", ""))
    headers = {"Vary": "Accept"}
    if chosen == "json":
        record = registry.get_result(result_id, **reader.scope())
        return JSONResponse(record.model_dump(mode="json"), headers=headers)
    report = render_result(registry, result_id, fmt=cast("ReportFormat", chosen), lang=lang,
                           **reader.scope())
    disposition = "attachment" if chosen == "pdf" else "inline"
    headers["Content-Disposition"] = f'{disposition}; filename="{report.filename}"'
    return Response(report.content, media_type=report.media_type, headers=headers)


# ------------------------------------------------------------------ certificates


@router.post("/certificates", status_code=201, response_model=CertificateRecord,
             tags=["certificates"], summary="Keep a certificate of a registered cell",
             responses={200: {"model": CertificateRecord, "description": "The registry has "
                              "this certificate already: nothing changed."},
                        **error_responses(401, 403, 404, 413, 415, 503)},
             openapi_extra=_extra(_CERTIFICATE_BODY, _KEY_REQUIRED))
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
            openapi_extra=_KEY_OPTIONAL)
def get_certificate(certificate_id: CertificateId, registry: RegistryDep,
                    reader: ReaderDep) -> Response:
    name = f"certificate-{certificate_id}.cert.json"
    return Response(registry.get_certificate(certificate_id, **reader.scope()),
                    media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/verify", response_model=VerificationOut, tags=["certificates"],
             summary="Verify a certificate file",
             responses=error_responses(413, 415, 503), openapi_extra=_CERTIFICATE_BODY)
async def verify_certificate(body: Annotated[bytes, Depends(certificate_body)]
                             ) -> VerificationOut:
    """Every check of ``solidcheck verify``, every failure listed; a file that is not a
    certificate at all is a 422. Who signed it is not checked against a trust list."""
    verification = await heavy.run(verify, body, source="<request body>")
    return VerificationOut.model_validate(verification.as_dict())


# ------------------------------------------------------------------ claim audit


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
             openapi_extra=_extra(_AUDIT_BODY, _KEY_OPTIONAL))
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


# ------------------------------------------------------------------ API keys


@router.get("/keys", response_model=list[ApiKeyRecord], tags=["keys"],
            summary="Every API key (never a secret)",
            responses=error_responses(401, 403, 503), openapi_extra=_KEY_REQUIRED)
def list_keys(key: AdminKey, registry: RegistryDep) -> list[ApiKeyRecord]:
    return registry.list_api_keys()


async def new_key_body(request: Request) -> NewKeyRequest:
    """The new key's role and name, as JSON."""
    accept_media(request, frozenset({"", "application/json"}),
                 "send JSON {\"role\": \"lab\", \"name\": \"…\"}")
    body = await read_body(request, MAX_KEY_REQUEST_BYTES, what="the request body",
                           fix='send only {"role": …, "name": …}')
    return json_model(NewKeyRequest, body)


_NEW_KEY_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/NewKeyRequest"}}}}}


@router.post("/keys", status_code=201, response_model=NewKey, tags=["keys"],
             summary="Create an API key; its secret is shown once",
             responses=error_responses(401, 403, 415, 503),
             openapi_extra=_extra(_NEW_KEY_BODY, _KEY_REQUIRED))
def create_key(key: AdminKey, new_key: Annotated[NewKeyRequest, Depends(new_key_body)],
               registry: RegistryDep, response: Response) -> NewKey:
    record, secret = registry.create_api_key(role=new_key.role, name=new_key.name,
                                             organisation=new_key.organisation,
                                             actor=actor_of(key))
    response.headers["Cache-Control"] = "no-store"
    return NewKey(key=record, secret=secret)


@router.delete("/keys/{key_id}", response_model=ApiKeyRecord, tags=["keys"],
               summary="Revoke an API key (it stays listed, with its revocation time)",
               responses=error_responses(401, 403, 404, 503), openapi_extra=_KEY_REQUIRED)
def revoke_key(key_id: KeyId, key: AdminKey, registry: RegistryDep) -> ApiKeyRecord:
    """The last active admin key cannot be revoked (422): create another first."""
    return registry.revoke_api_key(key_id, actor=actor_of(key))


# ------------------------------------------------------------------ trust and access

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


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


@router.get("/issuers", response_model=list[IssuerRecord], tags=["certificates"],
            summary="The certificate issuers this registry trusts",
            responses=error_responses(401, 503), openapi_extra=_KEY_OPTIONAL)
def list_issuers(registry: RegistryDep, reader: ReaderDep) -> list[IssuerRecord]:
    """Certificates are accepted (POST /v1/certificates) only from these keys."""
    return registry.trusted_issuers()


@router.post("/issuers", status_code=201, response_model=IssuerRecord, tags=["certificates"],
             summary="Trust a certificate issuer's key",
             responses=error_responses(401, 403, 415, 503),
             openapi_extra=_extra(_json_body(NewIssuerRequest), _KEY_REQUIRED))
def add_issuer(key: AdminKey, issuer: Annotated[NewIssuerRequest, Depends(new_issuer_body)],
               registry: RegistryDep) -> IssuerRecord:
    return registry.add_trusted_issuer(name=issuer.name, public_key=issuer.public_key,
                                       actor=actor_of(key))


@router.delete("/issuers/{fingerprint}", response_model=IssuerRecord, tags=["certificates"],
               summary="Stop trusting an issuer (certificates kept stay)",
               responses=error_responses(401, 403, 404, 503), openapi_extra=_KEY_REQUIRED)
def remove_issuer(fingerprint: Fingerprint, key: AdminKey,
                  registry: RegistryDep) -> IssuerRecord:
    return registry.remove_trusted_issuer(fingerprint, actor=actor_of(key))


@router.get("/cells/{cell_id}/grants", response_model=list[GrantRecord], tags=["registry"],
            summary="The labs other than the owner that may write to a cell",
            responses=error_responses(401, 403, 404, 503), openapi_extra=_KEY_REQUIRED)
def list_grants(cell_id: CellId, key: AdminKey, registry: RegistryDep) -> list[GrantRecord]:
    return registry.grants(cell_id)


@router.post("/cells/{cell_id}/grants", status_code=201, response_model=GrantRecord,
             tags=["registry"], summary="Let another lab write to a cell",
             responses=error_responses(401, 403, 404, 415, 503),
             openapi_extra=_extra(_json_body(NewGrantRequest), _KEY_REQUIRED))
def add_grant(cell_id: CellId, key: AdminKey,
              grant: Annotated[NewGrantRequest, Depends(new_grant_body)],
              registry: RegistryDep) -> GrantRecord:
    return registry.grant_access(cell_id, lab=grant.lab, actor=actor_of(key))


@router.delete("/cells/{cell_id}/grants/{lab}", status_code=204, response_class=Response,
               tags=["registry"], summary="Withdraw a lab's access to a cell",
               responses=error_responses(401, 403, 404, 503), openapi_extra=_KEY_REQUIRED)
def remove_grant(cell_id: CellId, lab: LabName, key: AdminKey,
                 registry: RegistryDep) -> Response:
    registry.revoke_access(cell_id, lab=lab, actor=actor_of(key))
    return Response(status_code=204)


# ------------------------------------------------------------------ operations


def _database_kind(registry: Registry) -> str:
    return make_url(registry.url).get_backend_name()


@system_router.get("/healthz", response_model=Health, tags=["operations"],
                   summary="Whether the service and its database answer",
                   responses={503: {"model": Health, "description": "The database does not "
                                    "answer."}})
def health(registry: RegistryDep) -> JSONResponse:
    status: Literal["ok", "unavailable"] = "ok"
    try:
        registry.ping()
    except DatabaseError as exc:
        logger.warning("health check: %s", exc)
        status = "unavailable"
    body = Health(status=status, version=__version__, database=_database_kind(registry))
    return JSONResponse(body.model_dump(), status_code=200 if status == "ok" else 503)


@system_router.get("/metrics", response_class=Response, tags=["operations"],
                   summary="Prometheus metrics",
                   responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                    "description": "Prometheus' text format."},
                              **error_responses(401, 503)},
                   openapi_extra=_KEY_OPTIONAL)
def metrics_text(metrics: MetricsDep, reader: ReaderDep) -> Response:
    """Public like the registry's reads (a reader key when those are not)."""
    return Response(metrics.exposition(), media_type=METRICS_CONTENT_TYPE)
