"""A cell's dossier versions and results as rows: what a dossier must be for the registry to
keep it, finding a cell, adding a version or a result (each logged), and a stored version or
result read back as the model or record it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..._validation import path_of
from ..._version import __version__
from ...certificates import canonical_json
from ...errors import DatabaseError, DossierError, NotFoundError, Problem
from ...model import Dossier, Result
from ..identity import cell_id_problems, id_skeleton
from ..records import ResultRecord
from ..schema import Cell, ChainHead, DossierVersion, ResultRow
from . import audit_log
from ._shared import aware, sha256_hex
from .api_keys import shown_actor
from .ownership import check_may_write

__all__ = [
    "add_result", "add_version", "check_storable", "find_cell", "publish_state",
    "refuse_look_alike", "result_for", "result_record", "store_version", "stored_dossier",
    "version_of",
]

_MAX_NAME = 500  # the cells table's manufacturer and model columns


def check_storable(dossier: Dossier) -> None:
    """What the dossier format allows but a registry cannot keep or address, as one error."""
    problems = cell_id_problems(dossier.id)
    for field in ("manufacturer", "model"):
        value = getattr(dossier, field)
        if value is not None and len(value) > _MAX_NAME:
            problems.append(Problem(field, f"{len(value)} characters, over the registry's "
                                    f"{_MAX_NAME}", "shorten it"))
    if any("\x00" in text for text in _strings(dossier.model_dump(mode="json"))):
        problems.append(Problem("", "a text field contains a NUL character (U+0000), which "
                                "databases cannot store", "remove it"))
    if problems:
        raise DossierError(problems, source=dossier.id)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_look_alike(session: Session, cell_id: str, skeleton: str) -> None:
    twin = session.scalar(select(Cell.dossier_id).where(Cell.id_skeleton == skeleton).limit(1))
    if twin is not None:
        raise DossierError([Problem("id", f"looks like the existing cell {twin!r} (they differ "
                                    "only in case, dashes or look-alike letters)",
                                    f"use {twin!r} exactly to add a version of that cell, or "
                                    "choose a clearly different id")], source=cell_id)


def stored_dossier(content: dict[str, Any], cell_id: str, version: int | None = None) -> Dossier:
    """A stored dossier version as the model. One stored before a limit it now breaks (more
    specimens than ``MAX_SPECIMENS``, say) is a ``DatabaseError`` naming it, not a crash."""
    try:
        return Dossier.model_validate(content)
    except ValidationError as exc:
        which = f"version {version} of cell {cell_id!r}" if version else f"cell {cell_id!r}"
        raise DatabaseError(f"{which} was stored before this solidcheck's limits and breaks "
                            f"them ({exc.error_count()} problems, e.g. "
                            f"{path_of(tuple(exc.errors()[0]['loc']))}): remove the cell "
                            "from the database, or classify it with the solidcheck that "
                            "stored it") from None


def publish_state(session: Session, version: DossierVersion, publish: bool | None) -> bool:
    """``publish`` if given, else as the version's earlier results are (published if none):
    classifying again never makes a hidden result public."""
    if publish is not None:
        return publish
    earlier = session.scalar(select(ResultRow.published)
                             .where(ResultRow.dossier_version_id == version.id)
                             .order_by(ResultRow.created_at).limit(1))
    return True if earlier is None else bool(earlier)


def find_cell(session: Session, cell_id: str) -> Cell:
    cell = session.scalar(select(Cell).where(Cell.dossier_id == cell_id))
    if cell is None:
        raise NotFoundError(f"no cell {cell_id!r} in the registry — list them with "
                            "GET /v1/cells or the search page")
    return cell


def version_of(session: Session, cell_pk: int, number: int) -> DossierVersion:
    return session.scalars(select(DossierVersion).where(
        DossierVersion.cell_id == cell_pk, DossierVersion.version == number)).one()


def result_for(session: Session, version_pk: int, ruleset_id: str) -> ResultRow | None:
    """The version's result under the rule set by this solidcheck, if one is stored."""
    return session.scalars(select(ResultRow).where(
        ResultRow.dossier_version_id == version_pk, ResultRow.ruleset == ruleset_id,
        ResultRow.solidcheck_version == __version__)).first()


def add_version(session: Session, head: ChainHead, cell: Cell, number: int,
                content: dict[str, Any], digest: str, actor: str,
                now: datetime) -> DossierVersion:
    version = DossierVersion(cell_id=cell.id, version=number, content=content,
                             sha256=digest, manufacturer=content.get("manufacturer"),
                             model=content.get("model"), created_at=now, created_by=actor)
    session.add(version)
    cell.revision += 1
    session.flush()
    audit_log.append(session, head, actor=actor, action="dossier.version",
                     subject=cell.dossier_id, details={"version": number, "sha256": digest})
    return version


def store_version(session: Session, head: ChainHead, dossier: Dossier, content: dict[str, Any],
                  digest: str, *, actor: str, lab: str | None, admin: bool,
                  now: datetime) -> tuple[Cell, DossierVersion, bool]:
    """The cell and its version holding ``content``: a new cell, a new latest version when
    the content differs from the latest, else the latest as it is (False: nothing new)."""
    cell = session.scalar(select(Cell).where(Cell.dossier_id == dossier.id))
    if cell is None:
        skeleton = id_skeleton(dossier.id)
        refuse_look_alike(session, dossier.id, skeleton)
        cell = Cell(dossier_id=dossier.id, id_skeleton=skeleton, owner=lab, revision=0,
                    manufacturer=dossier.manufacturer, model=dossier.model,
                    latest_version=1, created_at=now, updated_at=now)
        session.add(cell)
        session.flush()
        return cell, add_version(session, head, cell, 1, content, digest, actor, now), True
    check_may_write(session, cell, lab=lab, admin=admin)
    version = version_of(session, cell.id, cell.latest_version)
    if version.sha256 == digest:
        return cell, version, False
    version = add_version(session, head, cell, cell.latest_version + 1, content, digest,
                          actor, now)
    cell.latest_version = version.version
    cell.manufacturer, cell.model = dossier.manufacturer, dossier.model
    cell.updated_at = now
    return cell, version, True


def add_result(session: Session, head: ChainHead, cell: Cell, version: DossierVersion,
               result: Result, *, actor: str, publish: bool, now: datetime) -> ResultRow:
    content = result.model_dump(mode="json")
    row = ResultRow(id=uuid.uuid4().hex, cell_id=cell.id, dossier_version_id=version.id,
                    ruleset=result.ruleset, solidcheck_version=result.solidcheck_version,
                    category=result.category, electrolyte_type=result.electrolyte_type,
                    conducting_ion=result.conducting_ion, application=result.application,
                    code=result.code, content=content,
                    sha256=sha256_hex(canonical_json(content)), published=publish,
                    created_at=now, created_by=actor)
    session.add(row)
    cell.revision += 1
    session.flush()
    audit_log.append(session, head, actor=actor, action="result.create",
                     subject=cell.dossier_id,
                     details={"result": row.id, "version": version.version,
                              "ruleset": row.ruleset, "sha256": row.sha256})
    return row


def result_record(row: ResultRow, cell: Cell, version: int) -> ResultRecord:
    return ResultRecord(id=row.id, cell_id=cell.dossier_id, version=version,
                        ruleset=row.ruleset, solidcheck_version=row.solidcheck_version,
                        published=row.published, created_at=aware(row.created_at),
                        created_by=shown_actor(row.created_by), sha256=row.sha256,
                        result=Result.model_validate(row.content))
