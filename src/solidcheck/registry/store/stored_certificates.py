"""The certificates a registry keeps: one must verify, come from a trusted issuer, concern a
stored version of a registered cell, and certify exactly the result the registry itself
gives that version (the registry stores only results it computed); kept ones are read back
for the readers who may see their result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ...certificates import parse_certificate, result_differences, verify
from ...classify import classify
from ...errors import InvalidInputError, NotFoundError, Problem
from ...model import Result
from ...rules import available_rulesets
from ..records import CertificateRecord
from ..schema import Cell, Certificate, ChainHead, DossierVersion, ResultRow
from . import audit_log, cells
from ._shared import aware, now
from .issuers import trusted
from .ownership import check_may_write, lab_may_write

__all__ = ["certificate_record", "content_of", "keep", "rows_where", "verified"]


def verified(data: bytes) -> dict[str, Any]:
    """The certificate in ``data``, once it verifies by itself (signature, structure)."""
    cert = parse_certificate(data, source="certificate")
    outcome = verify(data, source="certificate")
    if not outcome.valid:
        raise InvalidInputError([Problem("", f"the certificate does not verify: {reason}",
                                         "upload the certificate file as issued")
                                 for reason in outcome.reasons], source="certificate")
    return cert


def keep(session: Session, head: ChainHead, data: bytes, cert: dict[str, Any], *, digest: str,
         actor: str, lab: str | None, admin: bool) -> CertificateRecord:
    """Store a verified certificate (``digest``: its bytes' SHA-256) once every check holds;
    the same certificate again returns the stored one."""
    subject = cert["subject"]
    issuer_fingerprint = str(cert["issuer"]["key_fingerprint"])
    issuer = trusted(session, issuer_fingerprint, name=cert["issuer"].get("name"))
    cell = cells.find_cell(session, str(subject["dossier_id"]))
    check_may_write(session, cell, lab=lab, admin=admin)
    known = rows_where(session, Certificate.sha256 == digest)
    if known:  # a replay: stored once
        return certificate_record(*known[0])
    version = session.scalar(select(DossierVersion).where(
        DossierVersion.cell_id == cell.id,
        DossierVersion.sha256 == subject["dossier_canonical_sha256"]))
    if version is None:
        raise InvalidInputError([Problem(
            "subject.dossier_canonical_sha256",
            f"no version of cell {cell.dossier_id!r} has the certified content",
            "submit the certified dossier first (POST /v1/cells)")],
            source="certificate")
    certified = Result.model_validate(cert["result"])
    rules = {r.id: r for r in available_rulesets()}.get(certified.ruleset)
    if rules is None:
        raise InvalidInputError([Problem(
            "result.ruleset", f"rule set {certified.ruleset!r} is not installed in "
            "this registry, so it cannot check the result",
            "certify under an installed rule set (GET /v1/rulesets)")],
            source="certificate")
    row = cells.result_for(session, version.id, rules.id)
    own = (Result.model_validate(row.content) if row is not None
           else classify(cells.stored_dossier(version.content, cell.dossier_id,
                                              version.version), rules))
    differences = result_differences(certified, own)
    if differences:
        raise InvalidInputError([Problem(
            f"result.{name}", f"the certificate says {mine}, but the registry "
            f"classifies version {version.version} of the dossier as {theirs}",
            "certify the registry's own result: re-issue the certificate from the "
            "stored dossier with `solidcheck certify`") for name, mine, theirs
            in differences], source="certificate")
    if row is None:
        row = cells.add_result(session, head, cell, version, own, actor=actor,
                               publish=cells.publish_state(session, version, None), now=now())
    stored = Certificate(result_id=row.id, content=data, sha256=digest,
                         issuer_fingerprint=issuer_fingerprint,
                         issuer_name=issuer.name, created_at=now(), created_by=actor)
    session.add(stored)
    cell.revision += 1
    session.flush()
    audit_log.append(session, head, actor=actor, action="certificate.add",
                     subject=cell.dossier_id,
                     details={"certificate": stored.id, "result": row.id, "sha256": digest})
    return certificate_record(stored, row.ruleset, version.version)


def content_of(session: Session, certificate_id: int, *, published_only: bool,
               lab: str | None) -> bytes:
    row = session.get(Certificate, certificate_id)
    if row is not None and published_only:
        result = session.get_one(ResultRow, row.result_id)
        cell = session.get_one(Cell, result.cell_id)
        if not result.published and not lab_may_write(session, cell, lab):
            row = None
    if row is None:
        raise NotFoundError(f"no certificate {certificate_id} in the registry")
    return row.content


def rows_where(session: Session, *where: ColumnElement[bool]
               ) -> list[tuple[Certificate, str, int]]:
    """Kept certificates with their result's rule set and version number, newest first."""
    query = (select(Certificate, ResultRow.ruleset, DossierVersion.version)
             .join(ResultRow, ResultRow.id == Certificate.result_id)
             .join(DossierVersion, DossierVersion.id == ResultRow.dossier_version_id)
             .where(*where).order_by(Certificate.created_at.desc()))
    return [(c, ruleset, version) for c, ruleset, version in session.execute(query).all()]


def certificate_record(row: Certificate, ruleset: str, version: int) -> CertificateRecord:
    return CertificateRecord(id=row.id, result_id=row.result_id, version=version,
                             ruleset=ruleset, sha256=row.sha256,
                             issuer_fingerprint=row.issuer_fingerprint,
                             issuer_name=row.issuer_name, created_at=aware(row.created_at))
