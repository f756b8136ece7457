"""What every reader returns, and the contract a reader module fulfils.

A reader turns one instrument file into a :class:`Reading`: a columnar table (pyarrow) whose
columns carry solidcheck's canonical names and units (:data:`CHANNELS`), the file's own
metadata, its SHA-256, and notes on every normalisation made (a unit converted, a current
sign flipped, corrupt rows skipped). Analyses never see vendor names or vendor units.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import pyarrow as pa

from ..errors import Problem

__all__ = [
    "CHANNELS",
    "HEAD_BYTES",
    "Reader",
    "Reading",
    "ReadingKind",
    "digest_in_background",
    "file_digest",
    "zip_members",
]

#: How many leading bytes readers get to recognise a file by content.
HEAD_BYTES = 4096

ReadingKind = Literal["oven_log", "cycler", "weighings"]

#: Canonical channel names → unit. Readers convert into these; analyses rely on them.
CHANNELS: dict[str, str] = {
    "time_s": "s",  # seconds since the first row
    "temperature_c": "°C",
    "pressure_pa": "Pa",  # absolute
    "mass_g": "g",
    "voltage_v": "V",
    "current_a": "A",  # positive = charge, negative = discharge (normalised, see notes)
    "cycle": "",
    "step": "",
    "step_type": "",  # e.g. CC_Chg, CC_DChg, CV_Chg, Rest — the cycler's own labels
    "charge_capacity_ah": "Ah",
    "discharge_capacity_ah": "Ah",
    "charge_energy_wh": "Wh",
    "discharge_energy_wh": "Wh",
    "specimen": "",
    "mass_before_g": "g",
    "mass_after_g": "g",
}


@dataclass(frozen=True)
class Reading:
    """One instrument file, read: canonical columns plus where they came from."""

    format: str
    kind: ReadingKind
    table: pa.Table
    source: str
    sha256: str
    size_bytes: int
    metadata: dict[str, Any] = field(default_factory=dict)
    #: canonical column → the file's own column name (or how the value was obtained)
    origins: dict[str, str] = field(default_factory=dict)
    #: normalisations a user should know about (units converted, signs flipped)
    notes: tuple[str, ...] = ()
    #: rows that could not be read and were left out
    problems: tuple[Problem, ...] = ()
    #: absolute start time of the log, ISO 8601, when the file says
    started_at: str | None = None

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    def has(self, channel: str) -> bool:
        return channel in self.table.column_names

    def time_span_s(self) -> float | None:
        if not self.has("time_s") or self.rows == 0:
            return None
        column = self.table.column("time_s")
        first, last = column[0].as_py(), column[-1].as_py()
        return None if first is None or last is None else float(last - first)

    def summary(self) -> dict[str, Any]:
        """What was read, as a user wants to see it before trusting any analysis."""
        return {
            "format": self.format,
            "kind": self.kind,
            "source": self.source,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "rows": self.rows,
            "time_span_s": self.time_span_s(),
            "started_at": self.started_at,
            "channels": [
                {"name": name, "unit": CHANNELS.get(name, ""), "from": self.origins.get(name, name)}
                for name in self.table.column_names
            ],
            "notes": list(self.notes),
            "skipped_rows": [problem.as_dict() for problem in self.problems],
            "metadata": self.metadata,
        }


class Reader(Protocol):
    """A reader module's contract (see ``readers/oven_csv.py`` for a complete one).

    ``name`` is the ``--format``-style id shown to users; ``extra`` is the pip extra that
    provides ``requires`` when that package is optional (``None`` for core readers).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[ReadingKind]
    extensions: ClassVar[tuple[str, ...]]
    extra: ClassVar[str | None]
    requires: ClassVar[str | None]

    def can_read(self, head: bytes, path: Path) -> bool:
        """True when the leading bytes (and, for containers, the file) look like this format."""
        ...

    def read(self, path: Path) -> Reading:
        """Read the whole file; raise ``EvidenceError`` listing every problem."""
        ...


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)  # releases the GIL: runs beside the parser
            size += len(block)
    return digest.hexdigest(), size


#: a digest being computed in the background for the file now being read
_PENDING_DIGEST: ContextVar[tuple[Path, Future[tuple[str, int]]] | None] = ContextVar(
    "solidcheck_pending_digest", default=None)


@contextmanager
def digest_in_background(path: Path) -> Iterator[None]:
    """Hash ``path`` on another thread while the reader parses it; a large log's SHA-256
    then costs little more than its parse."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="solidcheck-sha256") as pool:
        token = _PENDING_DIGEST.set((path, pool.submit(_hash_file, path)))
        try:
            yield
        finally:
            _PENDING_DIGEST.reset(token)


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in blocks so large logs stay out of memory."""
    pending = _PENDING_DIGEST.get()
    if pending is not None and pending[0] == path:
        return pending[1].result()
    return _hash_file(path)


def zip_members(path: Path, head: bytes) -> frozenset[str] | None:
    """Member names of a zip container (NETZSCH, .ndax, .xlsx all are); None if unreadable.

    A truncated container cannot be listed; its readers then look at ``head`` instead.
    """
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return frozenset(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
