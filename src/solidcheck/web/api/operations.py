"""Operations outside ``/v1``: ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url

from ..._version import __version__
from ...errors import DatabaseError
from ...registry import Registry
from ..metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ..problems import error_responses
from ..schemas import Health
from .openapi import KEY_OPTIONAL
from .params import MetricsDep, ReaderDep, RegistryDep

__all__ = ["router"]

logger = logging.getLogger("solidcheck.web")

router = APIRouter()


def _database_kind(registry: Registry) -> str:
    return make_url(registry.url).get_backend_name()


@router.get("/healthz", response_model=Health, tags=["operations"],
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


@router.get("/metrics", response_class=Response, tags=["operations"],
            summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus' text format."},
                       **error_responses(401, 503)},
            openapi_extra=KEY_OPTIONAL)
def metrics_text(metrics: MetricsDep, reader: ReaderDep) -> Response:
    """Public like the registry's reads (a reader key when those are not)."""
    return Response(metrics.exposition(), media_type=METRICS_CONTENT_TYPE)
