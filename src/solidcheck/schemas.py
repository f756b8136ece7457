"""The published JSON Schemas: the result, the dossier, the audit report and the charging
metrics.

Apart from ``model.py`` because the audit report's model lives in the claims package, which
builds on the core models: the lowest layer cannot import it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .charging.results import ChargingMetrics
from .claims.model import AuditReport
from .model import Dossier, Result

__all__ = ["json_schema"]


def json_schema(name: Literal["result", "dossier", "audit", "charging-metrics"]
                ) -> dict[str, object]:
    """The published JSON Schema of the result, the dossier, the audit report or the
    charging metrics (draft 2020-12)."""
    models: dict[str, type[BaseModel]] = {"result": Result, "dossier": Dossier,
                                          "audit": AuditReport,
                                          "charging-metrics": ChargingMetrics}
    model = models[name]
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:solidcheck:schema:{name}:1",
    }
    schema.update(model.model_json_schema())
    return schema
