"""The path and query parameters and the dependencies that several route modules share."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ...registry import ApiKeyRecord, Registry
from ..deps import (
    Visibility,
    admin_key,
    lab_key,
    registry_dependency,
    settings_dependency,
    visibility,
)
from ..inputs import RULESET_IDS, known_query_parameters
from ..metrics import Metrics
from ..problems import error_responses
from ..settings import Settings

__all__ = [
    "NO_CONTROL",
    "AdminKey",
    "CellId",
    "CertificateId",
    "Fingerprint",
    "KeyId",
    "LabKey",
    "LabName",
    "MetricsDep",
    "ReaderDep",
    "RegistryDep",
    "ResultId",
    "RulesetQuery",
    "SettingsDep",
    "Sha256",
    "TextQuery",
    "v1_router",
]

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"

RulesetQuery = Annotated[str | None, Query(
    max_length=60, description="A rule-set id (GET /v1/rulesets); default: the national "
    "standard.", json_schema_extra={"enum": list(RULESET_IDS)})]
TextQuery = Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL)]
CellId = Annotated[str, Path(min_length=1, max_length=200,
                             pattern=r"^[^/\\?#%\x00-\x1f\x7f]+$",
                             description="the cell's dossier id")]
ResultId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]
Fingerprint = Annotated[str, Path(pattern=r"^sha256:[0-9a-f]{64}$")]
LabName = Annotated[str, Path(min_length=1, max_length=200, pattern=NO_CONTROL)]
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


def v1_router() -> APIRouter:
    """A part of ``/v1``. Each part carries the prefix, the check of query parameters and the
    common error responses itself: its routes are then the ones requests reach, whose path
    template (``/v1/…``) labels the metrics."""
    return APIRouter(prefix="/v1", dependencies=[Depends(known_query_parameters)],
                     responses=error_responses(400, 413, 422, 429, 500))
