"""Evidence: the instrument files attached to cells — an upload's name and size checked, its
content recognised and read by solidcheck's readers, its bytes stored once by SHA-256 and
linked to the cell (logged), and read back for the readers who may see the cell."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import EvidenceError, MissingDependencyError, NotFoundError, Problem
from ..identity import file_name_problems
from ..records import EvidenceRecord
from ..schema import Cell, CellEvidence, ChainHead, EvidenceFile
from . import audit_log
from ._shared import aware, now
from .api_keys import shown_actor
from .ownership import visible_cell

__all__ = [
    "DEFAULT_MAX_EVIDENCE_BYTES", "attach", "check_size", "checked_name", "content_of",
    "evidence_record", "read_upload",
]

DEFAULT_MAX_EVIDENCE_BYTES = 50 * 1024 * 1024


def checked_name(filename: str) -> str:
    """The upload's base name, stripped; refused with the reasons if it may not be one."""
    name = filename.strip()
    problems = file_name_problems(name)
    if problems:
        raise EvidenceError(problems, source="the upload")
    return name


def check_size(name: str, content: bytes, *, max_bytes: int) -> None:
    if len(content) > max_bytes:
        raise EvidenceError([Problem("", f"the file is {len(content)} bytes, over the "
                                     f"registry's limit of {max_bytes} bytes",
                                     "upload a smaller export, or ask the registry's "
                                     "administrator to raise the limit")], source=name)


def read_upload(name: str, content: bytes) -> tuple[str, str, str]:
    """Recognise and read an uploaded instrument file; its reader, kind and a summary."""
    from ...readers import read_evidence

    with tempfile.TemporaryDirectory(prefix="solidcheck-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            reading = read_evidence(path)
        except MissingDependencyError as exc:
            raise EvidenceError([Problem("", str(exc), "ask the registry's administrator to "
                                         "install the extra")], source=name) from None
        except EvidenceError as exc:  # name the upload, not the server's temporary path
            raise EvidenceError(exc.problems, source=name, unlisted=exc.unlisted) from None
    span = reading.time_span_s()
    channels = ", ".join(reading.table.column_names)
    summary = (f"{reading.format}: {reading.rows} rows"
               + (f" over {span / 3600:.2f} h" if span else "") + f" ({channels})")
    return reading.format, reading.kind, summary


def attach(session: Session, head: ChainHead, cell: Cell, *, name: str, content: bytes,
           digest: str, reader: str, kind: str, summary: str, actor: str) -> EvidenceRecord:
    """Store the bytes (once, by their SHA-256 ``digest``) and link them to the cell under
    ``name`` (once)."""
    created_at = now()
    if session.get(EvidenceFile, digest) is None:
        session.add(EvidenceFile(sha256=digest, size_bytes=len(content), content=content,
                                 created_at=created_at))
    link = session.scalar(select(CellEvidence).where(
        CellEvidence.cell_id == cell.id, CellEvidence.sha256 == digest,
        CellEvidence.filename == name))
    if link is None:
        link = CellEvidence(cell_id=cell.id, sha256=digest, filename=name, reader=reader,
                            kind=kind, summary=summary, created_at=created_at,
                            created_by=actor)
        session.add(link)
        cell.revision += 1
        session.flush()
        audit_log.append(session, head, actor=actor, action="evidence.add",
                         subject=cell.dossier_id,
                         details={"file": name, "sha256": digest, "size_bytes": len(content),
                                  "reader": reader})
    return evidence_record(link, len(content))


def content_of(session: Session, sha256: str, *, published_only: bool,
               lab: str | None) -> bytes:
    row = session.get(EvidenceFile, sha256)
    if row is not None and published_only and session.scalar(
            select(CellEvidence.id).join(Cell, Cell.id == CellEvidence.cell_id)
            .where(CellEvidence.sha256 == sha256, visible_cell(lab)).limit(1)) is None:
        row = None
    if row is None:
        raise NotFoundError(f"no evidence file with SHA-256 {sha256} in the registry")
    return row.content


def evidence_record(link: CellEvidence, size: int) -> EvidenceRecord:
    return EvidenceRecord(sha256=link.sha256, filename=link.filename, size_bytes=size,
                          reader=link.reader, kind=link.kind, summary=link.summary,
                          created_at=aware(link.created_at),
                          created_by=shown_actor(link.created_by))
