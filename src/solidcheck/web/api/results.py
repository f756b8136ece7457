"""A stored result as JSON, or its report as HTML or PDF, chosen by content negotiation
(the formats and their media ranges: ``formats.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeAlias, cast

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from ... import formats
from ...registry import ResultRecord
from ...report.html import Lang
from ..accept import media_quality
from ..problems import error_responses
from ..reports import ReportFormat, render_result
from .openapi import BINARY, KEY_OPTIONAL
from .params import ReaderDep, RegistryDep, ResultId, v1_router

__all__ = ["ResultFormat", "negotiate", "router"]

router = v1_router()


# the formats, and the Accept-header media ranges that choose them: formats.py's registry
_RESULT_FORMATS = "GET /v1/results"
if TYPE_CHECKING:
    ResultFormat: TypeAlias = str
else:
    ResultFormat = formats.choice_type(_RESULT_FORMATS)
_FORMAT_OF_MEDIA: dict[str, ResultFormat] = formats.by_media_range(_RESULT_FORMATS)


def negotiate(accept: str) -> ResultFormat:
    """The format an Accept header prefers among JSON, HTML and PDF (the first listed wins a
    tie); JSON when it names none of them."""
    best: ResultFormat = "json"
    best_quality = 0.0
    for item in accept.split(","):
        media, _, params = item.partition(";")
        fmt = _FORMAT_OF_MEDIA.get(media.strip().lower())
        quality = media_quality(params)
        if fmt is not None and quality > best_quality:
            best, best_quality = fmt, quality
    return best


@router.get("/results/{result_id}", response_model=ResultRecord, tags=["registry"],
            summary="A stored result: JSON, or its report as HTML or PDF",
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}},
                                         "application/pdf": BINARY},
                             "description": "The result (JSON), or its report, by the Accept "
                             "header or ?format="},
                       **error_responses(401, 404, 501, 503)},
            openapi_extra=KEY_OPTIONAL)
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

