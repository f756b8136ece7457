"""The API's own request and response bodies (the registry's records are the others)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Category
from ..registry import ApiKeyRecord, Role
from ..terms import Language, TermStatus
from .inputs import RULESET_IDS

__all__ = [
    "AuditRequest",
    "Health",
    "NewGrantRequest",
    "NewIssuerRequest",
    "NewKey",
    "NewKeyRequest",
    "RulesetOut",
    "TermOut",
    "VerificationOut",
]

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class RulesetOut(_Out):
    """An installed rule set: one version of one standard, with its weight-loss limit."""

    id: str
    title: str
    title_zh: str
    document: str
    status: str
    default: bool
    limit_percent: float = Field(description="the weight-loss limit, in percent")
    comparison: Literal["at_most", "below"] = Field(description="at_most: ≤ limit passes; "
                                                    "below: < limit passes")
    visual_check_required: bool = Field(description="whether an inspection of the opened "
                                        "cell for liquid must be recorded")


class LanguagePair(_Out):
    en: str | None
    zh: str | None


class TermOut(_Out):
    """A vocabulary label matching the query, with its status and the preferred terms."""

    term: str
    lang: Language
    status: TermStatus = Field(description="non_preferred: do not use it; the preferred term "
                               "is the one to use")
    note: str | None
    concept: str
    category: Category | None
    preferred: LanguagePair
    definition: LanguagePair
    exact: bool


class VerificationOut(_Out):
    """The outcome of verifying a certificate: valid only if every check passed."""

    valid: bool
    reasons: list[str] = Field(description="every failed check")
    warnings: list[str]
    issuer_trusted: bool | None = Field(description="null: the issuer was not checked "
                                        "against a trust list, or the signature does not "
                                        "verify (then nothing shows who issued the content)")
    signature_verified: bool = Field(description="the issuer's key is valid, of the stated "
                                     "fingerprint, and its signature verifies over the signed "
                                     "content: only then are the other members more than "
                                     "claims")
    issuer_name: str | None
    fingerprint: str | None
    issued_at: str | None
    dossier_id: str | None
    ruleset: str | None
    category: str | None
    code: str | None
    dossier_checked: bool


class AuditRequest(BaseModel):
    """Product text to audit for misused terms, unsupported claims and implausible figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(description="the text (UTF-8)")
    format: Literal["text", "markdown", "html"] | None = Field(
        default=None, description="how to read it; default: recognised from the content")
    evidence_result_id: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{32}$", description="a stored result the claims "
        "are checked against")
    ruleset: str | None = Field(default=None, max_length=60, json_schema_extra={
        "enum": list(RULESET_IDS)})


class NewKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role = Field(description="reader: reads; lab: submits; admin: manages keys; "
                      "operator: acts on charging tickets")
    name: str = Field(min_length=1, max_length=200, pattern=_NO_CONTROL,
                      description="whose key it is, e.g. the lab's or the instrument's name")
    organisation: str | None = Field(default=None, min_length=1, max_length=200,
                                     pattern=_NO_CONTROL,
                                     description="the lab the key acts for (it owns the cells "
                                     "the key creates); default: the name")


class NewIssuerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, pattern=_NO_CONTROL,
                      description="the issuer, e.g. the testing lab")
    public_key: str = Field(min_length=1, max_length=200, description="the base64 of the raw "
                            "32-byte Ed25519 key, as a certificate's issuer.public_key")


class NewGrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lab: str = Field(min_length=1, max_length=200, pattern=_NO_CONTROL,
                     description="the organisation of the lab's keys")


class NewKey(_Out):
    key: ApiKeyRecord
    secret: str = Field(description="the key itself: shown once, never again — store it now")


class Health(_Out):
    status: Literal["ok", "unavailable"]
    version: str
    database: str = Field(description="sqlite or postgresql")
