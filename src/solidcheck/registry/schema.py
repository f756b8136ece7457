"""The registry's tables (SQLAlchemy 2). Alembic migrations in ``migrations/`` create them;
``tests/test_registry.py`` checks that the two agree.

Nothing is updated in place except a cell's summary columns (its latest version) and a key's
revocation time: dossier versions, results, evidence and certificates are only ever added,
and every addition is an entry of the hash-chained ``audit_log``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ApiKey", "AuditEntry", "Base", "Cell", "CellEvidence", "CellGrant", "Certificate",
           "ChainHead", "ChargingStation", "ChargingWebhook",
           "ChargingWebhookDelivery", "DossierVersion", "EvidenceFile", "ResultRow",
           "TrustedIssuer"]
__all__ += ["ChargingAlert", "ChargingAlertEvent", "ChargingPortState", "ChargingStationState"]

_SHA256 = String(64)
_TIME = DateTime(timezone=True)


class Base(DeclarativeBase):
    pass


class Cell(Base):
    """One cell, named by its dossier's id; the columns searched are its latest version's.

    ``owner`` is the lab (a key's organisation) that created it — only it, the labs an admin
    granted access, and admins write to it; None: created at the command line, admins only.
    ``revision`` grows with every write concerning the cell, so a cached view of it can tell
    it is stale from one small read.
    """

    __tablename__ = "cells"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[str] = mapped_column(String(200), unique=True)
    id_skeleton: Mapped[str] = mapped_column(String(400), index=True,
                                             doc="the id folded for look-alike checks")
    owner: Mapped[str | None] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)
    manufacturer: Mapped[str | None] = mapped_column(String(500))
    model: Mapped[str | None] = mapped_column(String(500))
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(_TIME)
    updated_at: Mapped[datetime] = mapped_column(_TIME)


class DossierVersion(Base):
    """A dossier as submitted: an edit is a new version, never a change to an old one."""

    __tablename__ = "dossier_versions"
    __table_args__ = (UniqueConstraint("cell_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, object]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(_SHA256, doc="of the RFC 8785 form of content")
    manufacturer: Mapped[str | None] = mapped_column(String(500), doc="as in content: "
                                                     "searched and listed for readers who "
                                                     "may not see the latest version")
    model: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


class ResultRow(Base):
    """One classification of one dossier version under one rule set; immutable."""

    __tablename__ = "results"
    __table_args__ = (Index("ix_results_search", "category", "electrolyte_type",
                            "conducting_ion"),
                      # each cell's latest result under a rule set, looked up by every list
                      Index("ix_results_version_ruleset", "dossier_version_id", "ruleset",
                            "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id"), index=True)
    dossier_version_id: Mapped[int] = mapped_column(ForeignKey("dossier_versions.id"))
    ruleset: Mapped[str] = mapped_column(String(100))
    solidcheck_version: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(40))
    electrolyte_type: Mapped[str | None] = mapped_column(String(40))
    conducting_ion: Mapped[str | None] = mapped_column(String(40))
    application: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, object]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(_SHA256, doc="of the RFC 8785 form of content")
    published: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


class EvidenceFile(Base):
    """An instrument file's bytes, stored once however many cells cite it."""

    __tablename__ = "evidence_files"

    sha256: Mapped[str] = mapped_column(_SHA256, primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(_TIME)


class CellEvidence(Base):
    """An evidence file attached to a cell, under the name it was uploaded with."""

    __tablename__ = "cell_evidence"
    __table_args__ = (UniqueConstraint("cell_id", "sha256", "filename"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"))
    filename: Mapped[str] = mapped_column(String(500))
    reader: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


class Certificate(Base):
    """A signed certificate of one result, as its canonical bytes."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(_SHA256, index=True)
    issuer_fingerprint: Mapped[str] = mapped_column(String(100))
    issuer_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


class CellGrant(Base):
    """A lab other than the owner that an admin allowed to write to a cell."""

    __tablename__ = "cell_grants"
    __table_args__ = (UniqueConstraint("cell_id", "lab"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id"), index=True)
    lab: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


class TrustedIssuer(Base):
    """A certificate issuer whose key the registry trusts; removal keeps the row (and the
    certificates it accepted) and stops new ones."""

    __tablename__ = "trusted_issuers"

    fingerprint: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str | None] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(_TIME)
    added_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime | None] = mapped_column(_TIME)


class ApiKey(Base):
    """An API key: only the SHA-256 of the secret is kept (the secret is 256 random bits, so
    a slow hash would add nothing)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), doc="the lab it acts for")
    role: Mapped[str] = mapped_column(String(20))
    secret_sha256: Mapped[str] = mapped_column(_SHA256)
    created_at: Mapped[datetime] = mapped_column(_TIME)
    revoked_at: Mapped[datetime | None] = mapped_column(_TIME)


class AuditEntry(Base):
    """One entry of the append-only log; ``entry_hash`` covers the entry and the previous
    entry's hash, so removing or altering any entry breaks the chain."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), doc="UTC, ISO 8601, as hashed")
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, object]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(_SHA256)
    entry_hash: Mapped[str] = mapped_column(_SHA256)


class ChainHead(Base):
    """The chain's last entry (one row). Writers lock it, which serialises appends on
    PostgreSQL; and a removed last entry no longer matches it."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(_SHA256)


class ChargingStation(Base):
    """A charging station allowed to connect to the live OCPP endpoint (issue 17): only the
    SHA-256 of its password is kept (the password is 240 random bits, as an API key's)."""

    __tablename__ = "charging_stations"

    charge_point_id: Mapped[str] = mapped_column(String(48), primary_key=True,
                                                 doc="its identity in the WebSocket URL")
    name: Mapped[str] = mapped_column(String(200))
    station: Mapped[str | None] = mapped_column(String(200), doc="the station (site) it is "
                                                "part of, as the canonical tables name it")
    password_sha256: Mapped[str] = mapped_column(_SHA256)
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


# --- ch18-hooks: webhook targets of the live alerts and their delivery log ------------------


class ChargingWebhook(Base):
    """A receiver of alert changes (issue 17 item 3). Its secret is kept as it is (the server
    signs every delivery with it), so reading this table is as good as holding the secrets:
    the database's own access control protects it (docs/charging.md, "Webhooks")."""

    __tablename__ = "charging_webhooks"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[list[str] | None] = mapped_column(JSON, doc="alert kinds sent; null: all")
    min_severity: Mapped[str | None] = mapped_column(String(40))
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(200))


class ChargingWebhookDelivery(Base):
    """One line of a target's delivery log: a change queued (attempt 0), each attempt, or a
    change dropped because the target's queue was full. ``next_attempt_at`` is set on the
    latest line of a delivery still to be tried, and only there (the restart reloads them)."""

    __tablename__ = "charging_webhook_deliveries"
    __table_args__ = (Index("ix_charging_webhook_deliveries_due", "webhook_id",
                            "next_attempt_at"),
                      Index("ix_charging_webhook_deliveries_delivery", "delivery_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(12))
    delivery_id: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), doc="queued, delivered, retry, "
                                         "rejected, failed or dropped")
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(_TIME)
    next_attempt_at: Mapped[datetime | None] = mapped_column(_TIME)
    delivered_at: Mapped[datetime | None] = mapped_column(_TIME)
    body: Mapped[str | None] = mapped_column(Text, doc="the JSON posted, on the queued line")
# --- ch18-tickets: tickets that close the loop (issue 17 item 4) ---------------------------


class ChargingTicket(Base):
    """A ticket of the live desk (charging/live/tickets.py) as it now is; its history is in
    ``charging_ticket_events``. The two due times are the SLA tier's, kept so that "breached"
    is a query."""

    __tablename__ = "charging_tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(48), index=True)
    port_id: Mapped[str | None] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    opened_at: Mapped[datetime] = mapped_column(_TIME, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(_TIME)
    resolved_at: Mapped[datetime | None] = mapped_column(_TIME)
    verified_at: Mapped[datetime | None] = mapped_column(_TIME)
    closed_at: Mapped[datetime | None] = mapped_column(_TIME)
    acknowledge_due_at: Mapped[datetime] = mapped_column(_TIME)
    repair_due_at: Mapped[datetime] = mapped_column(_TIME)
    healthy_since: Mapped[datetime | None] = mapped_column(_TIME)
    alert_ids: Mapped[list[str]] = mapped_column(JSON)
    open_alert_ids: Mapped[list[str]] = mapped_column(JSON)
    reopen_count: Mapped[int] = mapped_column(Integer)
    previous_ticket_id: Mapped[str | None] = mapped_column(String(32))
    cause: Mapped[str | None] = mapped_column(Text)
    cause_code: Mapped[str | None] = mapped_column(String(40))
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    close_reason: Mapped[str | None] = mapped_column(Text)


class ChargingTicketEvent(Base):
    """One step of a ticket (the audit trail): what, when, by whom, the status after."""

    __tablename__ = "charging_ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("charging_tickets.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(_TIME)
    actor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)

__all__ += ["ChargingTicket", "ChargingTicketEvent"]
# ---------------------------------------------------------------- ch18-alerts: live state
class ChargingAlert(Base):
    """A live alert (charging/live ``Alert``) as it now is: raised, then acknowledged and
    resolved in place. Its history is ``charging_alert_events``."""

    __tablename__ = "charging_alerts"
    __table_args__ = (Index("ix_charging_alerts_raised", "raised_at", "id"),
                      Index("ix_charging_alerts_station", "station_id", "raised_at"),
                      Index("ix_charging_alerts_port", "port_id", "raised_at"),
                      Index("ix_charging_alerts_kind", "kind", "severity"),
                      Index("ix_charging_alerts_resolved", "resolved_at"))

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(40))
    station_id: Mapped[str] = mapped_column(String(48))
    port_id: Mapped[str | None] = mapped_column(String(100))
    raised_at: Mapped[datetime] = mapped_column(_TIME)
    evidence: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    code: Mapped[str | None] = mapped_column(String(200))
    chargex_code: Mapped[str | None] = mapped_column(String(40))
    acknowledged_at: Mapped[datetime | None] = mapped_column(_TIME)
    resolved_at: Mapped[datetime | None] = mapped_column(_TIME)


class ChargingAlertEvent(Base):
    """Every alert change in the order it was committed: ``seq`` is the SSE event id, the
    same for every listener and after a restart; ``alert`` the alert as it was then."""

    __tablename__ = "charging_alert_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(16), index=True)
    event: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(_TIME, doc="when the server committed it")
    alert: Mapped[dict[str, object]] = mapped_column(JSON)


class ChargingStationState(Base):
    """A station as last known: written when it changes, ``last_message_at`` coarsely."""

    __tablename__ = "charging_station_state"

    station_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    connected: Mapped[bool] = mapped_column(Boolean)
    last_message_at: Mapped[datetime | None] = mapped_column(_TIME)
    heartbeat_interval_s: Mapped[float | None] = mapped_column(Float)
    vendor: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    firmware: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(_TIME)


class ChargingPortState(Base):
    """A port as last reported (part I's state, the raw status, the error code)."""

    __tablename__ = "charging_port_state"

    port_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(48), index=True)
    state: Mapped[str | None] = mapped_column(String(40))
    raw_status: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(100))
    charging: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime] = mapped_column(_TIME)
