"""Who may write a cell — the registry's operator (no lab), admins, the lab that owns it and
the labs granted access — as checks in a transaction and as SQL filters for reads; and the
grants themselves, an administrator's decision that the audit log records."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from ...errors import AccessDeniedError, InvalidInputError, NotFoundError, Problem
from ..records import GrantRecord
from ..schema import Cell, CellGrant, ChainHead, ResultRow
from . import audit_log
from ._shared import aware, now

__all__ = [
    "check_lab_name",
    "check_may_write",
    "grant",
    "grants_of",
    "lab_may_write",
    "revoke",
    "visible_cell",
    "writable_cell",
]


def may_write(session: Session, cell: Cell, *, lab: str | None, admin: bool) -> bool:
    """The operator (``lab`` None), admins, the owning lab and the labs granted access."""
    if lab is None or admin or cell.owner == lab:
        return True
    return session.scalar(select(CellGrant.id).where(CellGrant.cell_id == cell.id,
                                                     CellGrant.lab == lab)) is not None


def lab_may_write(session: Session, cell: Cell, lab: str | None) -> bool:
    """For reads: whether the reader's lab (None: anonymous) owns or was granted the cell."""
    return lab is not None and may_write(session, cell, lab=lab, admin=False)


def check_may_write(session: Session, cell: Cell, *, lab: str | None, admin: bool) -> None:
    if not may_write(session, cell, lab=lab, admin=admin):
        owner = "the registry's administrators" if cell.owner is None else "another lab"
        raise AccessDeniedError(f"cell {cell.dossier_id!r} belongs to {owner}: lab {lab!r} may "
                                "not change it — ask its lab to make the change, or an "
                                "administrator to grant access (`solidcheck registry grant`)",
                                authenticated=True)


def writable_cell(lab: str | None) -> ColumnElement[bool]:
    """A cell ``lab`` owns or was granted (SQL, correlated to ``Cell``); none for no lab."""
    if lab is None:
        return false()
    return or_(Cell.owner == lab,
               exists().where(CellGrant.cell_id == Cell.id, CellGrant.lab == lab))


def visible_cell(lab: str | None) -> ColumnElement[bool]:
    """For a reader who sees only published results: a cell with a published result, or one
    ``lab`` may write (SQL, correlated to ``Cell``)."""
    row = aliased(ResultRow)  # the query may select results too: not correlated to those
    published = exists().where(row.cell_id == Cell.id, row.published.is_(True))
    return or_(published, writable_cell(lab))


def check_lab_name(lab: str) -> None:
    if not lab.strip() or len(lab) > 200:
        raise InvalidInputError([Problem("lab", "blank or over 200 characters",
                                         "give the lab's name as its keys' organisation")])


def grant(session: Session, head: ChainHead, cell: Cell, *, lab: str,
          actor: str) -> GrantRecord:
    row = session.scalar(select(CellGrant).where(CellGrant.cell_id == cell.id,
                                                 CellGrant.lab == lab.strip()))
    if row is None:
        row = CellGrant(cell_id=cell.id, lab=lab.strip(), created_at=now(), created_by=actor)
        session.add(row)
        cell.revision += 1
        session.flush()
        audit_log.append(session, head, actor=actor, action="cell.grant",
                         subject=cell.dossier_id, details={"lab": row.lab})
    return GrantRecord(cell_id=cell.dossier_id, lab=row.lab, created_at=aware(row.created_at))


def revoke(session: Session, head: ChainHead, cell: Cell, *, lab: str, actor: str) -> None:
    row = session.scalar(select(CellGrant).where(CellGrant.cell_id == cell.id,
                                                 CellGrant.lab == lab))
    if row is None:
        raise NotFoundError(f"lab {lab!r} has no grant on cell {cell.dossier_id!r}")
    session.delete(row)
    cell.revision += 1
    session.flush()
    audit_log.append(session, head, actor=actor, action="cell.ungrant",
                     subject=cell.dossier_id, details={"lab": lab})


def grants_of(session: Session, cell: Cell) -> list[GrantRecord]:
    return [GrantRecord(cell_id=cell.dossier_id, lab=row.lab, created_at=aware(row.created_at))
            for row in session.scalars(select(CellGrant).where(
                CellGrant.cell_id == cell.id).order_by(CellGrant.lab))]
