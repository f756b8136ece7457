"""The hash-chained audit log: appending an entry within a write, reading entries back, and
``verify_chain`` — every entry against the one before it, and what the log records against
what is stored (dossier versions, results, evidence, certificates, trusted issuers, grants).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...certificates import canonical_json
from ..records import ChainReport, LogEntry
from ..schema import (
    AuditEntry,
    Cell,
    CellEvidence,
    CellGrant,
    Certificate,
    ChainHead,
    DossierVersion,
    EvidenceFile,
    ResultRow,
    TrustedIssuer,
)
from ._shared import now, sha256_hex

__all__ = ["append", "entries", "verify_chain"]

GENESIS_HASH = "0" * 64


def _entry_hash(fields: Mapping[str, object]) -> str:
    return sha256_hex(canonical_json(dict(fields)))


def append(session: Session, head: ChainHead, *, actor: str, action: str, subject: str,
           details: Mapping[str, object]) -> None:
    """Add the next entry in the write transaction that holds ``head``, and move the head."""
    entry = {"seq": head.seq + 1, "at": now().isoformat(timespec="microseconds"),
             "actor": actor, "action": action, "subject": subject,
             "details": dict(details), "prev_hash": head.entry_hash}
    entry_hash = _entry_hash(entry)
    session.add(AuditEntry(**entry, entry_hash=entry_hash))
    head.seq, head.entry_hash = cast(int, entry["seq"]), entry_hash
    session.flush()


def entries(session: Session, *, after: int, limit: int) -> list[LogEntry]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > after)
                           .order_by(AuditEntry.seq).limit(limit)).all()
    return [LogEntry(seq=r.seq, at=r.at, actor=r.actor, action=r.action, subject=r.subject,
                     details=r.details, prev_hash=r.prev_hash, entry_hash=r.entry_hash)
            for r in rows]


def verify_chain(session: Session) -> ChainReport:
    """Check the log entry by entry, then what it records against what is stored."""
    problems: list[str] = []
    access = _LoggedAccess()
    expected_prev, count, seq = GENESIS_HASH, 0, 0
    logged: dict[str, dict[tuple[str, str], str]] = {"dossier.version": {},
                                                      "result.create": {},
                                                      "evidence.add": {},
                                                      "certificate.add": {}}
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        count += 1
        seq += 1
        if entry.seq != seq:
            problems.append(f"entry {entry.seq}: expected entry {seq} — entries "
                            f"{seq}–{entry.seq - 1} are missing")
            seq = entry.seq
        if entry.prev_hash != expected_prev:
            problems.append(f"entry {entry.seq}: its previous-entry hash does not "
                            "match the entry before it (an entry was removed or "
                            "altered)")
        recomputed = _entry_hash({
            "seq": entry.seq, "at": entry.at, "actor": entry.actor,
            "action": entry.action, "subject": entry.subject,
            "details": entry.details, "prev_hash": entry.prev_hash})
        if recomputed != entry.entry_hash:
            problems.append(f"entry {entry.seq}: its content does not match its hash "
                            "(the entry was altered)")
        expected_prev = entry.entry_hash
        if entry.action in logged:
            details = entry.details
            key = _logged_key(entry.action, entry.subject, details)
            logged[entry.action][key] = str(details.get("sha256"))
        access.replay(entry.action, entry.subject, entry.details)
    head = session.get(ChainHead, 1)
    if head is None or head.seq != seq or head.entry_hash != expected_prev:
        problems.append("the chain head does not match the last entry (entries were "
                        "removed from the end, or the head was altered)")
    problems += _check_stored(session, logged)
    problems += access.differences(session)
    return ChainReport(valid=not problems, entries=count, head_hash=expected_prev,
                       problems=problems)


def _check_stored(session: Session, logged: dict[str, dict[tuple[str, str], str]]) -> list[str]:
    problems = []
    stored: dict[str, dict[tuple[str, str], str]] = {action: {} for action in logged}
    for cell_id, version, content, digest in session.execute(
            select(Cell.dossier_id, DossierVersion.version, DossierVersion.content,
                   DossierVersion.sha256).join(Cell, Cell.id == DossierVersion.cell_id)):
        if sha256_hex(canonical_json(content)) != digest:
            problems.append(f"cell {cell_id!r} version {version}: its content does not "
                            "match its SHA-256 (altered)")
        stored["dossier.version"][(cell_id, str(version))] = digest
    for result_id, content, digest in session.execute(
            select(ResultRow.id, ResultRow.content, ResultRow.sha256)):
        if sha256_hex(canonical_json(content)) != digest:
            problems.append(f"result {result_id}: its content does not match its SHA-256 "
                            "(altered)")
        stored["result.create"][("", result_id)] = digest
    for cell_id, filename, digest, data in session.execute(
            select(Cell.dossier_id, CellEvidence.filename, CellEvidence.sha256,
                   EvidenceFile.content)
            .join(Cell, Cell.id == CellEvidence.cell_id)
            .join(EvidenceFile, EvidenceFile.sha256 == CellEvidence.sha256)):
        if sha256_hex(data) != digest:
            problems.append(f"evidence {filename!r} of cell {cell_id!r}: its bytes do not "
                            "match its SHA-256 (altered)")
        stored["evidence.add"][(cell_id, f"{filename}\x00{digest}")] = digest
    for certificate_id, data, digest in session.execute(
            select(Certificate.id, Certificate.content, Certificate.sha256)):
        if sha256_hex(data) != digest:
            problems.append(f"certificate {certificate_id}: its bytes do not match its "
                            "SHA-256 (altered)")
        stored["certificate.add"][("", str(certificate_id))] = digest
    names = {"dossier.version": "dossier version", "result.create": "result",
             "evidence.add": "evidence file", "certificate.add": "certificate"}
    for action, in_log in logged.items():
        in_store = stored[action]
        for key in sorted(in_log.keys() - in_store.keys()):
            problems.append(f"{names[action]} {_show(key)} is in the log but not stored "
                            "(removed)")
        for key in sorted(in_store.keys() - in_log.keys()):
            problems.append(f"{names[action]} {_show(key)} is stored but not in the log "
                            "(added outside solidcheck)")
        for key in sorted(in_log.keys() & in_store.keys()):
            if in_log[key] != in_store[key]:
                problems.append(f"{names[action]} {_show(key)}: its SHA-256 differs from "
                                "the logged one (replaced)")
    return problems


class _LoggedAccess:
    """Who may do what, as the audit log says it was decided — trusted issuers and access
    grants, which a direct database edit would otherwise change unseen."""

    def __init__(self) -> None:
        self.issuers: dict[str, tuple[str, bool]] = {}  # fingerprint → (name, trusted now)
        self.grants: set[tuple[str, str]] = set()  # (cell id, lab)

    def replay(self, action: str, subject: str, details: Mapping[str, object]) -> None:
        if action == "issuer.add":
            self.issuers[subject] = (str(details.get("name")), True)
        elif action == "issuer.remove" and subject in self.issuers:
            self.issuers[subject] = (self.issuers[subject][0], False)
        elif action == "cell.grant":
            self.grants.add((subject, str(details.get("lab"))))
        elif action == "cell.ungrant":
            self.grants.discard((subject, str(details.get("lab"))))

    def differences(self, session: Session) -> list[str]:
        problems = []
        stored = {row.fingerprint: (row.name, row.removed_at is None)
                  for row in session.scalars(select(TrustedIssuer))}
        for key in sorted(stored.keys() | self.issuers.keys()):
            if stored.get(key) != self.issuers.get(key):
                problems.append(f"trusted issuer {key}: the table says "
                                f"{_trust_state(stored.get(key))}, the log "
                                f"{_trust_state(self.issuers.get(key))} (changed outside "
                                "solidcheck)")
        granted = {(cell_id, lab) for cell_id, lab in session.execute(
            select(Cell.dossier_id, CellGrant.lab).join(Cell, Cell.id == CellGrant.cell_id))}
        for cell_id, lab in sorted(granted ^ self.grants):
            state = "stored but not in the log" if (cell_id, lab) in granted else \
                "in the log but not stored"
            problems.append(f"access of lab {lab!r} to cell {cell_id!r} is {state} (changed "
                            "outside solidcheck)")
        return problems


def _trust_state(state: tuple[str, bool] | None) -> str:
    if state is None:
        return "nothing"
    name, trusted = state
    return f"{name!r} {'trusted' if trusted else 'removed'}"


def _logged_key(action: str, subject: str, details: Mapping[str, object]) -> tuple[str, str]:
    if action == "dossier.version":
        return subject, str(details.get("version"))
    if action == "result.create":
        return "", str(details.get("result"))
    if action == "evidence.add":
        return subject, f"{details.get('file')}\x00{details.get('sha256')}"
    return "", str(details.get("certificate"))


def _show(key: tuple[str, str]) -> str:
    first, second = key
    second = second.split("\x00")[0]
    return f"{first!r} {second}" if first else second
