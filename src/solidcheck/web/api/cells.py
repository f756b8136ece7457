"""The registry's cells and their evidence files: submit, search, read, reclassify, attach."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Query, Response

from ...errors import EvidenceError
from ...model import Category, ConductingIon, SolidType
from ...registry import CellDetail, CellPage, EvidenceRecord, ResultRecord, Submission
from .. import heavy
from ..cache import cached_cell_json
from ..deps import writer
from ..inputs import Upload, dossier_body, installed_ruleset, upload_name, uploaded_file
from ..metrics import Metrics
from ..problems import error_responses
from ..ruleset_asked import (
    RECLASSIFY_BODY,
    asked_ruleset,
    dossier_and_ruleset,
    reclassify_body,
    reclassify_body_ruleset,
)
from .openapi import BINARY, DOSSIER_BODY, EVIDENCE_BODY, KEY_OPTIONAL, KEY_REQUIRED, extra
from .params import (
    NO_CONTROL,
    CellId,
    LabKey,
    MetricsDep,
    ReaderDep,
    RegistryDep,
    RulesetQuery,
    SettingsDep,
    Sha256,
    TextQuery,
    v1_router,
)

__all__ = ["router"]

router = v1_router()

#: a bound far beyond any registry, so the database never sees an out-of-range offset
_MAX_OFFSET = 1_000_000_000


def _count_if_stored(metrics: Metrics, record: ResultRecord, since: datetime) -> None:
    """Count a result made by this request (not one the registry already had)."""
    if record.created_at >= since:
        metrics.result_stored(record.result.category)


@router.post("/cells", status_code=201, response_model=Submission, tags=["registry"],
             summary="Store a dossier and classify it",
             responses={200: {"model": Submission, "description": "The dossier is the "
                              "latest version already: nothing changed."},
                        **error_responses(401, 403, 413, 415, 503)},
             openapi_extra=extra(DOSSIER_BODY, KEY_REQUIRED))
def submit_cell(response: Response, key: LabKey,
                body: Annotated[bytes, Depends(dossier_body)], registry: RegistryDep,
                metrics: MetricsDep, ruleset: RulesetQuery = None,
                publish: Annotated[bool, Query(description="false keeps the result from "
                                               "anonymous readers")] = True) -> Submission:
    """201 with the new version when the dossier differs from the cell's latest (or the cell
    is new); 200 with the stored result when it is the same. The dossier is classified under
    every installed rule set: `result` under the one asked for (?ruleset=, or a top-level
    `ruleset` key of the body, which is not stored with the dossier), `other_rulesets` under
    the others."""
    installed_ruleset(ruleset)  # an unknown query: 422 before the body is parsed
    # up to 1 MB of YAML: seconds
    dossier, body_ruleset = heavy.run_blocking(dossier_and_ruleset, body)
    rules = asked_ruleset(ruleset, body_ruleset)
    since = datetime.now(UTC)
    submission = heavy.run_blocking(registry.submit, dossier, ruleset=rules, publish=publish,
                                    **writer(key))
    for record in (submission.result, *submission.other_rulesets):  # one per rule set
        _count_if_stored(metrics, record, since)
    response.status_code = 201 if submission.new_version else 200
    if submission.new_version:
        response.headers["Location"] = f"/v1/cells/{quote(submission.cell_id, safe='')}"
    return submission


@router.get("/cells", response_model=CellPage, tags=["registry"],
            summary="Search the registry's cells",
            responses=error_responses(401, 503), openapi_extra=KEY_OPTIONAL)
def search_cells(registry: RegistryDep, reader: ReaderDep,
                 category: Category | None = None, electrolyte_type: SolidType | None = None,
                 conducting_ion: ConductingIon | None = None,
                 manufacturer: TextQuery = None,
                 q: Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL,
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
            responses=error_responses(401, 404, 503), openapi_extra=KEY_OPTIONAL)
def get_cell(cell_id: CellId, registry: RegistryDep, reader: ReaderDep) -> Response:
    """Without a key (or with another lab's), a cell with no published result is not found,
    and only its published results, the versions they are of and their certificates show."""
    # read cache (cache.py): the serialised CellDetail, by the cell's revision and the reader
    return cached_cell_json(registry, cell_id, reader,
                            lambda: registry.get_cell(cell_id, **reader.scope()))


@router.post("/cells/{cell_id}/reclassify", response_model=ResultRecord, tags=["registry"],
             summary="Classify the cell's latest version under another rule set",
             responses=error_responses(401, 403, 404, 415, 503),
             openapi_extra=extra(RECLASSIFY_BODY, KEY_REQUIRED))
def reclassify_cell(cell_id: CellId, key: LabKey, registry: RegistryDep, metrics: MetricsDep,
                    body: Annotated[bytes, Depends(reclassify_body)],
                    ruleset: RulesetQuery = None) -> ResultRecord:
    """Earlier results stay; classifying again under the same rule set returns the stored
    result. The new result is published as the version's earlier results are. The rule set
    is named by ?ruleset= or by the body `{"ruleset": ID}`."""
    rules = asked_ruleset(ruleset, reclassify_body_ruleset(body))
    since = datetime.now(UTC)
    record = heavy.run_blocking(registry.reclassify, cell_id, ruleset=rules, **writer(key))
    _count_if_stored(metrics, record, since)
    return record


@router.post("/cells/{cell_id}/evidence", status_code=201, response_model=EvidenceRecord,
             tags=["registry"], summary="Attach an instrument file to a cell",
             responses=error_responses(401, 403, 404, 413, 415, 503),
             openapi_extra=extra(EVIDENCE_BODY, KEY_REQUIRED))
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
            responses={200: {"content": {"application/octet-stream": BINARY},
                             "description": "The file, as uploaded."},
                       **error_responses(401, 404, 503)},
            openapi_extra=KEY_OPTIONAL)
def get_evidence(sha256: Sha256, registry: RegistryDep, reader: ReaderDep) -> Response:
    """Always a download (``attachment``), never shown as a page, whatever the file holds.
    Only a file of a cell the reader may see."""
    return Response(registry.get_evidence(sha256, **reader.scope()),
                    media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{sha256}"'})

