"""The trusted issuers: the signing keys whose certificates the registry keeps — added by
public key or fingerprint, removed (certificates kept stay), listed, and checked when a
certificate arrives."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...certificates import fingerprint, parse_public_key, public_key_base64
from ...errors import InvalidInputError, NotFoundError, Problem
from ..records import IssuerRecord
from ..schema import ChainHead, TrustedIssuer
from . import audit_log
from ._shared import aware, now

__all__ = ["add", "checked_key", "listed", "remove", "trusted"]

_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")


def checked_key(*, name: str, public_key: str | None,
                key_fingerprint: str | None) -> tuple[str, str | None]:
    """The issuer's fingerprint and its public key in base64 (None when only the fingerprint
    was given), once the name and key are valid; every problem at once otherwise."""
    problems = []
    if not name.strip():
        problems.append(Problem("name", "blank", "name the issuer, e.g. the lab"))
    if public_key is not None:
        try:
            key = parse_public_key(public_key, source="key")
        except InvalidInputError as exc:
            problems += [Problem("public_key", p.message, p.fix) for p in exc.problems]
        else:
            public_key, key_fingerprint_of = public_key_base64(key), fingerprint(key)
            if key_fingerprint not in (None, key_fingerprint_of):
                problems.append(Problem("fingerprint", "does not match public_key (the "
                                        f"key's is {key_fingerprint_of})", "give one"))
            key_fingerprint = key_fingerprint_of
    elif key_fingerprint is None or not _FINGERPRINT.fullmatch(key_fingerprint):
        problems.append(Problem("public_key", "give the issuer's public key or its "
                                "fingerprint (sha256:<64 hex>)",
                                "copy issuer.public_key from one of its certificates, "
                                "or use `solidcheck keys fingerprint`"))
    if problems:
        raise InvalidInputError(problems, source="trusted issuer")
    assert key_fingerprint is not None
    return key_fingerprint, public_key


def add(session: Session, head: ChainHead, *, key_fingerprint: str, public_key: str | None,
        name: str, actor: str) -> IssuerRecord:
    row = session.get(TrustedIssuer, key_fingerprint)
    if row is None:
        row = TrustedIssuer(fingerprint=key_fingerprint, name=name.strip(),
                            public_key=public_key, added_at=now(), added_by=actor,
                            removed_at=None)
        session.add(row)
    elif row.removed_at is None and row.name == name.strip():
        return issuer_record(row)
    else:
        row.name, row.removed_at = name.strip(), None
        row.public_key = public_key or row.public_key
    session.flush()
    audit_log.append(session, head, actor=actor, action="issuer.add",
                     subject=key_fingerprint, details={"name": row.name})
    return issuer_record(row)


def remove(session: Session, head: ChainHead, key_fingerprint: str, *,
           actor: str) -> IssuerRecord:
    row = session.get(TrustedIssuer, key_fingerprint)
    if row is None:
        raise NotFoundError(f"no trusted issuer {key_fingerprint!r} — list them with "
                            "`solidcheck registry issuers list`")
    if row.removed_at is None:
        row.removed_at = now()
        audit_log.append(session, head, actor=actor, action="issuer.remove",
                         subject=key_fingerprint, details={})
    return issuer_record(row)


def listed(session: Session, *, include_removed: bool) -> list[IssuerRecord]:
    query = select(TrustedIssuer).order_by(TrustedIssuer.added_at)
    if not include_removed:
        query = query.where(TrustedIssuer.removed_at.is_(None))
    return [issuer_record(row) for row in session.scalars(query)]


def trusted(session: Session, key_fingerprint: str, *, name: object) -> TrustedIssuer:
    """The issuer of a certificate, which must be trusted now (``name``: as the certificate
    gives it, for the error)."""
    issuer = session.get(TrustedIssuer, key_fingerprint)
    if issuer is None or issuer.removed_at is not None:
        raise InvalidInputError([Problem(
            "issuer.key_fingerprint",
            f"the issuer {name!r} ({key_fingerprint}) is not "
            "among this registry's trusted issuers",
            "ask an administrator to add the issuer's public key (`solidcheck "
            "registry issuers add`) if the registry should accept its certificates")],
            source="certificate")
    return issuer


def issuer_record(row: TrustedIssuer) -> IssuerRecord:
    return IssuerRecord(fingerprint=row.fingerprint, name=row.name,
                        public_key=row.public_key, added_at=aware(row.added_at),
                        removed_at=aware(row.removed_at) if row.removed_at else None)
