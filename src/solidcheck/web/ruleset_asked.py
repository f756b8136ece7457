"""The rule set a request asks for, from its query (``?ruleset=``) or its body: a dossier
body's top-level ``ruleset`` key, or a reclassification's JSON body ``{"ruleset": ID}``.
A rule set named in the body is honoured exactly as the query's is — never ignored — and
an unknown one, or a body and a query that disagree, is a 422 naming the installed ids
(issue 20)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from ..dossier import dossier_from_mapping, parse_mapping
from ..errors import InvalidInputError, Problem
from ..model import Dossier
from ..rules import Ruleset
from .inputs import RULESET_IDS, accept_media, installed_ruleset, read_body

__all__ = ["RECLASSIFY_BODY", "asked_ruleset", "dossier_and_ruleset", "reclassify_body",
           "reclassify_body_ruleset"]

_SOURCE = "<request body>"
#: ``{"ruleset": "csae-434-2025"}`` and room for spaces: nothing else is read
_MAX_RECLASSIFY_BODY_BYTES = 1024
#: the reclassification's optional body, as the OpenAPI document states it
RECLASSIFY_BODY: dict[str, Any] = {"requestBody": {
    "required": False,
    "description": "Optional: the rule set as JSON, instead of ?ruleset= (naming both with "
                   "different ids is a 422).",
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"ruleset": {"type": "string", "enum": list(RULESET_IDS)}}}}}}}


def asked_ruleset(query: str | None, body: str | None) -> Ruleset:
    """The rule set the query or the body names (the default when neither does); both
    naming different ones is refused rather than one silently winning."""
    if query is not None and body is not None and query != body:
        raise InvalidInputError([Problem(
            "ruleset", f"the query names {query!r} and the body {body!r}",
            "name the rule set once, in the query or in the body")], source=_SOURCE)
    return installed_ruleset(body if body is not None else query)


def _body_ruleset(data: Mapping[str, Any]) -> str | None:
    """The body's ``ruleset`` (None: no such key); given, it is a rule-set id — null too is
    refused, rather than read as "the default"."""
    if "ruleset" not in data:
        return None
    value = data["ruleset"]
    if isinstance(value, str):
        return value
    shown = "null" if value is None else f"a {type(value).__name__}"
    raise InvalidInputError([Problem(
        "ruleset", f"{shown}, not a rule-set id",
        f"give one of: {', '.join(RULESET_IDS)} (GET /v1/rulesets lists them), or leave "
        "the key out for the default")], source=_SOURCE)


def dossier_and_ruleset(body: bytes) -> tuple[Dossier, str | None]:
    """A dossier body (YAML or JSON) and the rule set its top-level ``ruleset`` key names —
    a key of the request, not of the dossier, so it is not stored with it."""
    data = parse_mapping(body, source=_SOURCE)
    ruleset = None
    if isinstance(data, Mapping) and "ruleset" in data:
        ruleset = _body_ruleset(data)
        data = {key: value for key, value in data.items() if key != "ruleset"}
    return dossier_from_mapping(data, source=_SOURCE), ruleset


async def reclassify_body(request: Request) -> bytes:
    """A reclassification's body as sent (empty: none), at most a small JSON object."""
    if request.headers.get("content-length", "") in ("", "0") and \
            "transfer-encoding" not in request.headers:
        return b""
    accept_media(request, frozenset({"", "application/json"}),
                 'send {"ruleset": "ID"} as application/json, or no body')
    return await read_body(request, _MAX_RECLASSIFY_BODY_BYTES, what="the request body",
                           fix='it holds only {"ruleset": "ID"}')


def reclassify_body_ruleset(body: bytes) -> str | None:
    """A reclassification's optional JSON body, ``{"ruleset": ID}``: the id, or None for no
    body. Anything else in it is refused with what it may hold."""
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise InvalidInputError([Problem("", "not a JSON object", 'send {"ruleset": "ID"}, '
                                         "or no body")], source=_SOURCE)
    unknown = sorted(set(data) - {"ruleset"})
    if unknown:
        raise InvalidInputError([Problem(key, "unknown key", 'remove it: the body holds only '
                                         '"ruleset"') for key in unknown], source=_SOURCE)
    return _body_ruleset(data)
