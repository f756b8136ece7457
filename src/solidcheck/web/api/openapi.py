"""What the OpenAPI document says beyond the signatures: security, and the bodies read
as bytes (schemas FastAPI cannot infer from a ``bytes`` dependency)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ..inputs import RULESET_IDS

__all__ = ["AUDIT_BODY", "BINARY", "CERTIFICATE_BODY", "DOSSIER_BODY", "EVIDENCE_BODY",
           "KEY_OPTIONAL", "KEY_REQUIRED", "extra", "json_body"]

KEY_REQUIRED: dict[str, Any] = {"security": [{"bearerAuth": []}]}
KEY_OPTIONAL: dict[str, Any] = {"security": [{}, {"bearerAuth": []}]}
_DOSSIER_SCHEMA = {"$ref": "#/components/schemas/Dossier"}
DOSSIER_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "A dossier (docs/dossier.md): JSON, or the same document in YAML. A "
                   "top-level `ruleset` key (not stored with the dossier) names the rule "
                   "set as ?ruleset= does.",
    "content": {"application/json": {"schema": _DOSSIER_SCHEMA},
                "application/yaml": {"schema": _DOSSIER_SCHEMA}}}}
CERTIFICATE_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "A certificate file exactly as issued by `solidcheck certify` (its bytes "
                   "are checked: do not re-serialise it).",
    "content": {"application/json": {"schema": {"type": "object"}}}}}
EVIDENCE_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "additionalProperties": False,
        "properties": {"file": {"type": "string", "format": "binary", "description":
                                "an instrument file (oven log, weighings, cycler export)"}}}}}}}
AUDIT_BODY: dict[str, Any] = {"requestBody": {
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
BINARY = {"schema": {"type": "string", "format": "binary"}}


def extra(*parts: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}
