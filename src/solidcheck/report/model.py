"""What a report is drawn from, and the file I/O that gathers it.

A :class:`ReportItem` holds one classified dossier together with what identifies its inputs
(the dossier file's name and SHA-256, and the check of every evidence file named in it). The
renderers (``report/html.py``, ``report/pdf.py``) are pure functions of report items;
:func:`load_report_item` is the only place that reads files.

Evidence files are looked for **beside the dossier**, by the base name recorded in its
``evidence`` list (a recorded path is never followed elsewhere), and are used only when their
SHA-256 matches the recorded one. An oven log that matches is read and analysed for the plot;
a missing file, a different hash or an unreadable log becomes a visible note instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..classify import classify
from ..conditions import ConditionsAnalysis, analyse_conditions
from ..dossier import parse_dossier, read_dossier_bytes
from ..errors import InvalidInputError, MissingDependencyError
from ..model import Dossier, Evidence, Result
from ..readers import Reading, file_digest, read_evidence
from ..rules import Ruleset

__all__ = ["EvidenceCheck", "EvidenceStatus", "ReportItem", "load_report_item"]

EvidenceStatus = Literal["verified", "missing", "mismatch", "unreadable"]


@dataclass(frozen=True, slots=True)
class EvidenceCheck:
    """What was found beside the dossier for one of its evidence entries."""

    evidence: Evidence
    status: EvidenceStatus
    #: where it was looked for (a path relative to nothing: the dossier's folder + base name)
    looked_for: str
    #: the SHA-256 of the file found, when there was one
    found_sha256: str | None = None
    #: why an unreadable file could not be read
    detail: str | None = None


@dataclass(frozen=True)
class ReportItem:
    """One classified dossier and what identifies its inputs: everything a report shows."""

    result: Result
    dossier: Dossier
    dossier_file: str
    dossier_sha256: str
    #: one check per entry of ``dossier.evidence``, in the same order
    evidence_checks: tuple[EvidenceCheck, ...] = ()
    #: the oven log named by the evidence, read, when it was found and its hash matched
    oven_log: Reading | None = None
    oven_log_conditions: ConditionsAnalysis | None = None
    #: the oven-log entry the plot is drawn from
    oven_log_evidence: Evidence | None = field(default=None)


def check_evidence(evidence: Evidence, folder: Path) -> tuple[EvidenceCheck, Path | None]:
    """Look for an evidence file beside the dossier and compare its SHA-256 with the record."""
    name = Path(evidence.file.replace("\\", "/")).name
    path = folder / name
    if not name or not path.is_file():
        return EvidenceCheck(evidence, "missing", name or evidence.file), None
    try:
        digest, _ = file_digest(path)
    except OSError as exc:
        return EvidenceCheck(evidence, "unreadable", name, detail=exc.strerror), None
    if digest != evidence.sha256:
        return EvidenceCheck(evidence, "mismatch", name, found_sha256=digest), None
    return EvidenceCheck(evidence, "verified", name, found_sha256=digest), path


def load_report_item(path: str | Path, ruleset: Ruleset) -> ReportItem:
    """Read a dossier file, classify it and check the evidence files beside it.

    Raises ``DossierError`` (every problem of the file) like ``load_dossier``.
    """
    path = Path(path)
    data = read_dossier_bytes(path)
    dossier = parse_dossier(data, source=str(path))
    checks: list[EvidenceCheck] = []
    reading: Reading | None = None
    conditions: ConditionsAnalysis | None = None
    log_evidence: Evidence | None = None
    for evidence in dossier.evidence:
        check, found = check_evidence(evidence, path.parent)
        if found is not None and evidence.kind == "oven_log" and reading is None:
            try:
                reading = read_evidence(found, format=evidence.format, kind="oven_log")
                conditions = analyse_conditions(reading, ruleset=ruleset)
                log_evidence = evidence
            except (InvalidInputError, MissingDependencyError) as exc:
                reading = None
                check = EvidenceCheck(evidence, "unreadable", check.looked_for,
                                      found_sha256=check.found_sha256,
                                      detail=str(exc).splitlines()[0])
        checks.append(check)
    return ReportItem(
        result=classify(dossier, ruleset),
        dossier=dossier,
        dossier_file=path.name,
        dossier_sha256=hashlib.sha256(data).hexdigest(),
        evidence_checks=tuple(checks),
        oven_log=reading,
        oven_log_conditions=conditions,
        oven_log_evidence=log_evidence,
    )
