"""What an audit of product text reports: findings located in the extracted text.

Offsets are Python string indices (Unicode code points) into the *extracted* text — the
text as read for a plain-text or Markdown file, the visible text for HTML, the text layer for
PDF — so ``text[start:end] == finding.text`` always holds. ``location`` says, for HTML and
PDF, where in the source file the finding is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..i18n import Param
from ..model import Severity

__all__ = ["AuditFinding", "AuditReport", "AuditSummary", "ClaimCue", "SourceLocation"]

AUDIT_SCHEMA_VERSION: Literal[1] = 1


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceLocation(_Out):
    """Where in the source file a stretch of extracted text came from."""

    page: int | None = Field(default=None, ge=1, description="PDF page, 1-based")
    line: int | None = Field(default=None, ge=1, description="HTML/text source line, 1-based")
    column: int | None = Field(default=None, ge=1, description="source column, 1-based")
    element: str | None = Field(default=None, description="HTML element holding the text")


class ClaimCue(_Out):
    """A word of the mention's sentence that decided its claim_kind (claims/claim_cues.toml)."""

    text: str = Field(description="the cue as written: extracted_text[start:end]")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    side: Literal["product", "generic"] = Field(description="'product': a specific product is "
                                                "meant; 'generic': the technology in general")


class AuditFinding(_Out):
    """One sentence-level problem (or confirmation) found in the text."""

    rule: str = Field(description="id of the audit rule, e.g. 'non_preferred_term'")
    severity: Severity
    start: int = Field(ge=0, description="offset of the first character in the extracted text")
    end: int = Field(ge=0, description="offset just past the last character")
    text: str = Field(description="the matched words: extracted_text[start:end]")
    message: str = Field(description="the finding in English (claims/localise.py renders it "
                         "in another language from message_id and params)")
    message_id: str | None = Field(default=None, description="id of the message in the "
                                   "catalogue (i18n/audit.toml), or 'plausibility.<rule>."
                                   "<template>' for a plausibility rule's own template")
    params: dict[str, Param] = Field(default_factory=dict, description="the message's "
                                     "parameters; '<name>@en'/'<name>@zh' give one value per "
                                     "language")
    suggestion: str | None = None
    suggestion_id: str | None = Field(default=None, description="id of the suggestion, "
                                      "rendered with the same params; None when the "
                                      "suggestion is a term, already in the text's language")
    basis: str = Field(description="where the rule comes from: a clause of the standard, or "
                       "the project's reason (physics, published state of the art)")
    basis_zh: str | None = Field(default=None, description="the basis in Chinese, where the "
                                 "rule gives it")
    location: SourceLocation | None = None
    claim_kind: Literal["claim", "mention", "discussion"] | None = Field(
        default=None, description="for terms and claims: 'claim' (a specific product is said "
        "to be so), 'mention' (the technology in general) or 'discussion' (the term itself is "
        "talked about); None for plausibility findings")
    claim_cues: list[ClaimCue] = Field(default_factory=list, description="the words that "
                                       "decided claim_kind, in text order")


class AuditSummary(_Out):
    total: int
    by_severity: dict[str, int]
    by_rule: dict[str, int]


class AuditReport(_Out):
    """Everything `solidcheck audit` reports about one input."""

    schema_version: Literal[1] = AUDIT_SCHEMA_VERSION
    source: dict[str, object] = Field(description="file, format, sha256, characters")
    ruleset: str
    evidence: dict[str, object] | None = Field(
        description="the dossier or result the claims were checked against, if any")
    findings: list[AuditFinding]
    summary: AuditSummary
