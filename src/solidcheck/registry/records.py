"""What the registry returns: plain pydantic records, the same ones the API serialises."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Category, Dossier, Result

__all__ = ["ApiKeyRecord", "CellDetail", "CellPage", "CellSummary", "CertificateRecord",
           "ChainReport", "EvidenceRecord", "GrantRecord", "IssuerRecord", "LogEntry",
           "ResultRecord", "Role", "StationRecord", "Submission", "VersionRecord"]
__all__ += ["DeliveryRecord", "PendingDelivery", "WebhookRecord"]  # ch18-hooks
__all__ += ["CategoryChange", "ReclassifyReport", "RulesetTally"]  # issue 20: rule sets

Role = Literal["reader", "lab", "admin", "operator"]  # operator: ch18-tickets


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResultRecord(_Record):
    """One stored classification: the result and what produced it."""

    id: str
    cell_id: str = Field(description="the dossier id")
    version: int = Field(description="the dossier version classified")
    ruleset: str
    solidcheck_version: str
    published: bool
    created_at: datetime
    created_by: str = Field(description="who stored it: a key's name, or the command line")
    sha256: str = Field(description="SHA-256 of the result's RFC 8785 form")
    result: Result


class VersionRecord(_Record):
    version: int
    sha256: str = Field(description="SHA-256 of the dossier's RFC 8785 form")
    created_at: datetime
    created_by: str
    dossier: Dossier


class EvidenceRecord(_Record):
    sha256: str
    filename: str
    size_bytes: int
    reader: str | None = Field(description="the solidcheck reader that recognised the file")
    kind: str | None = Field(description="oven_log, weighings or cycler, when recognised")
    summary: str | None
    created_at: datetime
    created_by: str


class CertificateRecord(_Record):
    id: int
    result_id: str
    version: int = Field(description="the dossier version certified")
    ruleset: str
    sha256: str
    issuer_fingerprint: str
    issuer_name: str | None = Field(description="the trusted issuer's name in the registry")
    created_at: datetime


class CellSummary(_Record):
    """A cell as listed: its latest version's result under the default rule set."""

    id: str
    manufacturer: str | None
    model: str | None
    latest_version: int
    category: str | None
    electrolyte_type: str | None
    conducting_ion: str | None
    code: str | None
    result_id: str | None
    updated_at: datetime


class CellPage(_Record):
    items: list[CellSummary]
    total: int
    limit: int
    offset: int


class CellDetail(_Record):
    """A cell with every version, result, evidence file and certificate, newest first."""

    id: str
    manufacturer: str | None
    model: str | None
    owner: str | None = Field(description="the lab that created the cell (None: the "
                              "registry's administrators)")
    latest_version: int
    created_at: datetime
    updated_at: datetime
    versions: list[VersionRecord]
    results: list[ResultRecord]
    evidence: list[EvidenceRecord]
    certificates: list[CertificateRecord]


class Submission(_Record):
    """What storing a dossier did: the version it became (new or unchanged) and its result."""

    cell_id: str
    version: int
    new_version: bool
    result: ResultRecord
    other_rulesets: list[ResultRecord] = Field(
        default_factory=list, description="the version's results under every other installed "
        "rule set: a stored dossier is classified under each of them")


class ApiKeyRecord(_Record):
    id: str
    name: str
    organisation: str = Field(description="the lab the key acts for: it owns the cells the "
                              "key creates")
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class IssuerRecord(_Record):
    """A certificate issuer the registry trusts (or trusted, until ``removed_at``)."""

    fingerprint: str
    name: str
    public_key: str | None
    added_at: datetime
    removed_at: datetime | None


class GrantRecord(_Record):
    """A lab allowed to write to a cell it does not own."""

    cell_id: str
    lab: str
    created_at: datetime


class LogEntry(_Record):
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, object]
    prev_hash: str
    entry_hash: str


class ChainReport(_Record):
    """The outcome of ``solidcheck registry verify``."""

    valid: bool
    entries: int
    head_hash: str = Field(description="publish it: a later verify proves nothing was cut "
                           "off the end since")
    problems: list[str]


class StationRecord(_Record):
    """A charging station registered for the live OCPP endpoint (never its password)."""

    charge_point_id: str = Field(description="its identity in ws://…/ocpp/{charge_point_id}")
    name: str
    station: str | None = Field(description="the site it is part of")
    created_at: datetime
    created_by: str


# --- ch18-hooks: webhook targets and their delivery log ------------------------------------


class WebhookRecord(_Record):
    """A registered receiver of alert changes (never its secret)."""

    id: str
    url: str
    kinds: list[str] | None = Field(description="alert kinds sent; null: every kind")
    min_severity: str | None = Field(description="the least severe tier sent; null: all")
    created_at: datetime
    created_by: str


class DeliveryRecord(_Record):
    """One line of a target's delivery log."""

    id: int = Field(description="the line's number: page with ?before=")
    delivery_id: str = Field(description="X-Solidcheck-Delivery, the same on every attempt")
    alert_id: str
    event: str
    attempt: int = Field(description="0: queued; 1, 2, …: attempts")
    outcome: Literal["queued", "delivered", "retry", "rejected", "failed", "dropped"]
    status_code: int | None
    error: str | None
    duration_ms: float | None
    at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class PendingDelivery(_Record):
    """A delivery still to be tried, as the sender reloads it (with the body it posts)."""

    delivery_id: str
    webhook_id: str
    alert_id: str
    event: str
    attempts_made: int
    next_attempt_at: datetime
    body: str


# --- issue 20: every cell under every installed rule set ------------------------------------


class CategoryChange(_Record):
    """Cells whose category under a rule set differs from the one they last had under it."""

    before: Category
    after: Category
    cells: int


class RulesetTally(_Record):
    """What a reclassification did under one rule set."""

    ruleset: str
    written: int = Field(description="results written (the cell had none for its latest "
                         "version by this solidcheck)")
    unchanged: int = Field(description="cells whose result was already stored")
    changes: list[CategoryChange] = Field(description="categories that differ from the "
                                          "cell's previous result under the rule set")


class ReclassifyReport(_Record):
    """What ``solidcheck registry reclassify`` did: a page of cells, or the whole run."""

    cells: int
    rulesets: list[RulesetTally]

    @classmethod
    def combined(cls, reports: list[ReclassifyReport]) -> ReclassifyReport:
        """The sum of pages' reports (an empty run: no cells, no rule sets)."""
        tallies: dict[str, tuple[int, int, dict[tuple[Category, Category], int]]] = {}
        for report in reports:
            for tally in report.rulesets:
                written, unchanged, changes = tallies.get(tally.ruleset, (0, 0, {}))
                for change in tally.changes:
                    key = (change.before, change.after)
                    changes[key] = changes.get(key, 0) + change.cells
                tallies[tally.ruleset] = (written + tally.written,
                                          unchanged + tally.unchanged, changes)
        return cls(cells=sum(r.cells for r in reports), rulesets=[
            RulesetTally(ruleset=ruleset, written=written, unchanged=unchanged,
                         changes=[CategoryChange(before=b, after=a, cells=n)
                                  for (b, a), n in sorted(changes.items())])
            for ruleset, (written, unchanged, changes) in tallies.items()])
