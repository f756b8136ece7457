"""API keys and the names of who acts: creating a key (only its secret's SHA-256 is kept),
checking a secret, roles, the organisation a key acts for, revocation; and the actor format
— ``key_actor`` for a key's writes, ``default_actor`` for the command line, ``shown_actor``
for what readers see."""

from __future__ import annotations

import getpass
import hmac
import re
import secrets
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import AccessDeniedError, InvalidInputError, NotFoundError, Problem
from ..records import ApiKeyRecord, Role
from ..schema import ApiKey, ChainHead
from . import audit_log
from ._shared import aware, now, sha256_hex

__all__ = [
    "ROLES",
    "all_keys",
    "checked_organisation",
    "create",
    "default_actor",
    "key_actor",
    "matching_key",
    "new_secret",
    "parsed_secret",
    "revoke",
    "shown_actor",
]

ROLES: tuple[Role, ...] = ("reader", "lab", "admin", "operator")  # operator: ch18-tickets
_KEY_PATTERN = re.compile(r"sc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
#: how the web service names a key in the audit log (``deps.actor_of``)
_KEY_ACTOR = re.compile(r"key:[0-9a-f]{12} \((.*)\)", re.DOTALL)
_ACTOR_MAX = 200  # the created_by and audit-log actor columns


def key_actor(key: ApiKeyRecord) -> str:
    """Who the audit log records for a write made with ``key``: its id and name, within the
    200 characters the log keeps (the name is cut, so :func:`shown_actor` still reads it)."""
    prefix = f"key:{key.id} ("
    return f"{prefix}{key.name[:_ACTOR_MAX - len(prefix) - 1]})"


def shown_actor(actor: str) -> str:
    """Who made a row, as readers see it: a key's name, never its id (the audit log keeps
    both)."""
    match = _KEY_ACTOR.fullmatch(actor)
    return match.group(1) if match else actor


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def checked_organisation(*, role: Role, name: str, organisation: str | None) -> str:
    """The organisation a new key acts for (default: its name), once role, name and
    organisation are valid; every problem at once otherwise."""
    organisation = (organisation if organisation is not None else name).strip()
    problems = []
    if role not in ROLES:
        problems.append(Problem("role", f"unknown role {role!r}",
                                f"use one of: {', '.join(ROLES)}"))
    for field, value, fix in (("name", name.strip(), "say whose key it is"),
                              ("organisation", organisation, "name the lab it acts for")):
        if not value or len(value) > 200 or not value.isprintable():
            problems.append(Problem(field, "blank, over 200 characters or with control "
                                    "characters", fix))
    if problems:
        raise InvalidInputError(problems)
    return organisation


def new_secret() -> tuple[str, str]:
    """A new key's id and its secret (``sc_<id>_<43 characters>``)."""
    key_id = secrets.token_hex(6)
    return key_id, f"sc_{key_id}_{secrets.token_urlsafe(32)}"


def create(session: Session, head: ChainHead, *, key_id: str, secret: str, role: Role,
           name: str, organisation: str, actor: str) -> ApiKeyRecord:
    row = ApiKey(id=key_id, name=name.strip(), organisation=organisation, role=role,
                 secret_sha256=sha256_hex(secret.encode()), created_at=now(),
                 revoked_at=None)
    session.add(row)
    session.flush()
    audit_log.append(session, head, actor=actor, action="key.create", subject=key_id,
                     details={"role": role, "name": row.name, "organisation": organisation})
    return key_record(row)


def revoke(session: Session, head: ChainHead, key_id: str, *, actor: str) -> ApiKeyRecord:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError(f"no API key {key_id!r}")
    if row.revoked_at is None and row.role == "admin" and not session.scalar(
            select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.id != key_id,
                                    ApiKey.revoked_at.is_(None)).limit(1)):
        raise InvalidInputError([Problem(
            "key", f"{key_id} is the last active admin key",
            "create another admin key first (`solidcheck registry keys create --role admin`), "
            "then revoke this one")])
    if row.revoked_at is None:
        row.revoked_at = now()
        audit_log.append(session, head, actor=actor, action="key.revoke", subject=key_id,
                         details={})
    return key_record(row)


def all_keys(session: Session) -> list[ApiKeyRecord]:
    return [key_record(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.created_at))]


def parsed_secret(secret: str | None) -> tuple[str, str | None]:
    """The secret as sent, stripped, and the key id it names (None: not of a key's shape);
    no secret at all is refused."""
    if not secret:
        raise AccessDeniedError("this needs an API key: send it as 'Authorization: "
                                "Bearer <key>' (create one with `solidcheck registry keys create`)",
                                authenticated=False)
    given = secret.strip()
    match = _KEY_PATTERN.fullmatch(given)
    return given, match.group(1) if match else None


def matching_key(row: ApiKey | None, given: str) -> ApiKeyRecord:
    """The key ``row`` if ``given`` is its secret and it is not revoked."""
    if (row is None or row.revoked_at is not None
            or not hmac.compare_digest(row.secret_sha256, sha256_hex(given.encode()))):
        raise AccessDeniedError("the API key is not valid (unknown, mistyped or revoked)",
                                authenticated=False)
    return key_record(row)


def key_record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(id=row.id, name=row.name, organisation=row.organisation,
                        role=cast(Role, row.role),
                        created_at=aware(row.created_at),
                        revoked_at=aware(row.revoked_at) if row.revoked_at else None)
