"""One audit: extracted text in, every finding located and summarised out.

The rules live beside this module — terms and claims in ``terms_audit.py`` (vocabulary and
rule set), figures in ``plausibility.py`` (``plausibility.toml``) — and see only the text;
this module adds where each finding sits in the source file and what evidence was used.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..certificates import verify
from ..classify import classify
from ..dossier import parse_dossier, read_dossier_bytes
from ..errors import DossierError, Problem
from ..model import Result
from ..rules import Ruleset
from .extract import ExtractedText
from .model import AuditFinding, AuditReport, AuditSummary
from .plausibility import plausibility_findings
from .terms_audit import audit_text

__all__ = ["audit", "load_evidence"]

_SEVERITY_ORDER = ("error", "warning", "info")


def summarise(findings: list[AuditFinding]) -> AuditSummary:
    by_severity: Counter[str] = Counter(f.severity for f in findings)
    return AuditSummary(
        total=len(findings),
        by_severity={severity: by_severity[severity] for severity in _SEVERITY_ORDER},
        by_rule=dict(sorted(Counter(f.rule for f in findings).items())),
    )


def audit(
    extracted: ExtractedText, *, ruleset: Ruleset, evidence: Result | None = None
) -> AuditReport:
    """Every term, claim and plausibility finding of a text, with source locations."""
    text = extracted.text
    found = audit_text(text, ruleset=ruleset, evidence=evidence) + plausibility_findings(text)
    located = [
        finding.model_copy(update={"location": extracted.locate(finding.start, finding.end)})
        for finding in sorted(found, key=lambda f: (f.start, f.end, f.rule))
    ]
    evidence_info: dict[str, Any] | None = None
    if evidence is not None:
        evidence_info = {"dossier_id": evidence.dossier_id, "category": evidence.category,
                         "code": evidence.code, "ruleset": evidence.ruleset}
    return AuditReport(
        source={"file": Path(extracted.source).name, "format": extracted.format,
                "sha256": extracted.sha256, "characters": extracted.characters,
                "notes": list(extracted.notes)},
        ruleset=ruleset.id,
        evidence=evidence_info,
        findings=located,
        summary=summarise(located),
    )


def load_evidence(path: str | Path, *, ruleset: Ruleset) -> Result:
    """The result claims are checked against: from a dossier (classified now under
    ``ruleset``), a result JSON (``solidcheck classify --format json``) or a certificate
    (used only if it verifies)."""
    data = read_dossier_bytes(path)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"{":
        try:
            document = json.loads(data)
        except ValueError:
            document = None  # let the dossier parser give its precise message
        if isinstance(document, dict) and document.get("format") == "solidcheck-certificate":
            outcome = verify(data, source=str(path))
            if not outcome.valid:
                raise DossierError([Problem("", "the certificate does not verify: "
                                            + "; ".join(outcome.reasons),
                                            "give a valid certificate, or the dossier")],
                                   source=str(path))
            return Result.model_validate(document["result"])
        if isinstance(document, dict) and {"category", "code", "findings"} <= document.keys():
            try:
                return Result.model_validate(document)
            except ValidationError as exc:
                raise DossierError([Problem("", f"not a valid solidcheck result: {exc}",
                                            "give the output of `solidcheck classify "
                                            "--format json`, or the dossier")],
                                   source=str(path)) from None
    return classify(parse_dossier(data, source=str(path)), ruleset)
