"""The helpers every part of the store uses: SHA-256 in hex, the UTC clock, stored
datetimes made timezone-aware again, and the write that takes no audit-log entry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ...errors import DatabaseError

__all__ = ["aware", "now", "sha256_hex", "unchained_write"]


@contextmanager
def unchained_write(write: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction that takes no audit-log entry, so it never waits for the chain's head:
    the live rows, tickets (their events table is their trail) and webhook deliveries, written
    many times a second. A database failure is a DatabaseError."""
    try:
        with write.begin() as session:
            yield session
    except SQLAlchemyError as exc:
        raise DatabaseError(f"the registry database failed: {exc.__class__.__name__}") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
