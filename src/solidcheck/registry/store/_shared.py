"""The helpers every part of the store uses: SHA-256 in hex, the UTC clock, and stored
datetimes made timezone-aware again."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

__all__ = ["aware", "now", "sha256_hex"]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
