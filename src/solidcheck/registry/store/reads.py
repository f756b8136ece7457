"""The reads of cells as a reader may see them: the filtered list page, a cell's detail, one
result, and the latest dossiers page by page for export. ``published_only`` hides what is
not published, except from the lab that may write the cell."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ...errors import NotFoundError
from ..records import CellDetail, CellPage, CellSummary, ResultRecord, VersionRecord
from ..schema import Cell, CellEvidence, DossierVersion, EvidenceFile, ResultRow
from . import cells, stored_certificates
from ._shared import aware
from .api_keys import shown_actor
from .evidence import evidence_record
from .ownership import lab_may_write, writable_cell

__all__ = ["cell_detail", "latest_page", "list_page", "visible_result"]


def list_page(session: Session, *, ruleset_id: str, category: str | None,
              electrolyte_type: str | None, conducting_ion: str | None,
              manufacturer: str | None, text: str | None, published_only: bool,
              lab: str | None, limit: int, offset: int) -> CellPage:
    shown: Any = Cell.latest_version
    result_filter: list[ColumnElement[bool]] = []
    if published_only:  # the newest version the reader may see; none: not listed
        version, row = aliased(DossierVersion), aliased(ResultRow)
        shown = (select(func.max(version.version))
                 .where(version.cell_id == Cell.id,
                        or_(exists().where(row.dossier_version_id == version.id,
                                           row.published.is_(True)),
                            writable_cell(lab)))
                 .correlate(Cell).scalar_subquery())
        result_filter.append(or_(ResultRow.published.is_(True), writable_cell(lab)))
    latest = (select(ResultRow.id)
              .where(ResultRow.dossier_version_id == DossierVersion.id,
                     ResultRow.ruleset == ruleset_id, *result_filter)
              .order_by(ResultRow.created_at.desc()).limit(1)
              .correlate(DossierVersion, Cell).scalar_subquery())
    query = (select(Cell, DossierVersion, ResultRow).select_from(Cell)
             .join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                   & (DossierVersion.version == shown))
             .outerjoin(ResultRow, ResultRow.id == latest))
    if category:
        query = query.where(ResultRow.category == category)
    if electrolyte_type:
        query = query.where(ResultRow.electrolyte_type == electrolyte_type)
    if conducting_ion:
        query = query.where(ResultRow.conducting_ion == conducting_ion)
    if manufacturer:
        query = query.where(func.lower(DossierVersion.manufacturer).contains(
            manufacturer.lower(), autoescape=True))
    if text:
        needle = text.lower()
        query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                  for column in (Cell.dossier_id, DossierVersion.manufacturer,
                                                 DossierVersion.model, ResultRow.code))))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(DossierVersion.created_at.desc(), Cell.dossier_id)
                           .limit(limit).offset(offset)).all()
    items = [CellSummary(id=cell.dossier_id, manufacturer=version.manufacturer,
                         model=version.model, latest_version=version.version,
                         category=row.category if row else None,
                         electrolyte_type=row.electrolyte_type if row else None,
                         conducting_ion=row.conducting_ion if row else None,
                         code=row.code if row else None, result_id=row.id if row else None,
                         updated_at=aware(version.created_at))
             for cell, version, row in rows]
    return CellPage(items=items, total=total, limit=limit, offset=offset)


def cell_detail(session: Session, cell_id: str, *, published_only: bool,
                lab: str | None) -> CellDetail:
    cell = cells.find_cell(session, cell_id)
    hidden = published_only and not lab_may_write(session, cell, lab)
    results_query = select(ResultRow).where(ResultRow.cell_id == cell.id)
    if hidden:
        results_query = results_query.where(ResultRow.published.is_(True))
    results = session.scalars(results_query.order_by(ResultRow.created_at.desc())).all()
    if hidden and not results:
        raise NotFoundError(f"no cell {cell_id!r} in the registry — list them with "
                            "GET /v1/cells or the search page")
    versions_query = select(DossierVersion).where(DossierVersion.cell_id == cell.id)
    if hidden:
        versions_query = versions_query.where(DossierVersion.id.in_(
            {r.dossier_version_id for r in results}))
    versions = session.scalars(versions_query.order_by(DossierVersion.version.desc())).all()
    number_of = {v.id: v.version for v in versions}
    evidence = session.execute(
        select(CellEvidence, EvidenceFile.size_bytes)
        .join(EvidenceFile, EvidenceFile.sha256 == CellEvidence.sha256)
        .where(CellEvidence.cell_id == cell.id)
        .order_by(CellEvidence.created_at.desc())).all()
    visible = {r.id for r in results}
    certificates = [row for row in stored_certificates.rows_where(
        session, ResultRow.cell_id == cell.id) if row[0].result_id in visible]
    newest = versions[0]  # what the reader may see of it: the newest visible version
    return CellDetail(
        id=cell.dossier_id, manufacturer=newest.manufacturer, model=newest.model,
        owner=cell.owner, latest_version=newest.version,
        created_at=aware(cell.created_at), updated_at=aware(newest.created_at),
        versions=[VersionRecord(version=v.version, sha256=v.sha256,
                                created_at=aware(v.created_at),
                                created_by=shown_actor(v.created_by),
                                dossier=cells.stored_dossier(v.content, cell.dossier_id,
                                                             v.version))
                  for v in versions],
        results=[cells.result_record(r, cell, number_of[r.dossier_version_id])
                 for r in results],
        evidence=[evidence_record(link, size) for link, size in evidence],
        certificates=[stored_certificates.certificate_record(*row) for row in certificates])


def visible_result(session: Session, result_id: str, *, published_only: bool,
                   lab: str | None) -> ResultRecord:
    row = session.get(ResultRow, result_id)
    cell = None if row is None else session.get_one(Cell, row.cell_id)
    if row is None or cell is None or (
            published_only and not row.published and not lab_may_write(session, cell, lab)):
        raise NotFoundError(f"no result {result_id!r} in the registry — a cell's "
                            "results are listed by GET /v1/cells/{id}")
    version = session.get_one(DossierVersion, row.dossier_version_id)
    return cells.result_record(row, cell, version.version)


def latest_page(session: Session, *, after: str | None,
                page_rows: int) -> list[tuple[str, dict[str, Any]]]:
    """Cell ids and their latest version's content, by cell id, after the id ``after``."""
    query = (select(Cell.dossier_id, DossierVersion.content)
             .join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                   & (DossierVersion.version == Cell.latest_version))
             .order_by(Cell.dossier_id).limit(page_rows))
    if after is not None:
        query = query.where(Cell.dossier_id > after)
    return [(cell_id, content) for cell_id, content in session.execute(query).all()]

