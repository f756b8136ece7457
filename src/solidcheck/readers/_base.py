"""What every reader returns, and the contract a reader module fulfils.

A reader turns one instrument file into a :class:`Reading`: a columnar table (pyarrow) whose
columns carry solidcheck's canonical names and units (:data:`CHANNELS`), the file's own
metadata, its SHA-256, and notes on every normalisation made (a unit converted, a current
sign flipped, corrupt rows skipped). Analyses never see vendor names or vendor units.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import pyarrow as pa

from ..errors import EvidenceError, Problem
from ..i18n.said import Said

__all__ = [
    "CHANNELS",
    "HEAD_BYTES",
    "MAX_COMPRESSION_RATIO",
    "MAX_INFLATED_BYTES",
    "MAX_READING_ROWS",
    "Reader",
    "Reading",
    "ReadingKind",
    "check_text_rows",
    "check_zip_container",
    "digest_in_background",
    "file_digest",
    "too_many_rows",
    "zip_members",
]

#: How many leading bytes readers get to recognise a file by content.
HEAD_BYTES = 4096

#: The most data rows a reading may have. A 6-hour oven log at 1 Hz is 21,600 rows and a
#: month of cycling at 1 Hz 2.6 million; the cap keeps the memory of one reading in the
#: hundreds of megabytes. Text files are counted before they are parsed (see count_lines).
MAX_READING_ROWS = 2_000_000
#: The most bytes a zip container (.xlsx, .ndax, .ngb-*) may inflate to, all members
#: together: about 500,000 rows of a four-column Excel log (a 6-hour log at 1 Hz is 4 MB),
#: two million Neware records. Checked before any library opens the file.
MAX_INFLATED_BYTES = 100 * 1024 * 1024
#: Above this many inflated bytes, a container may not inflate more than MAX_COMPRESSION_RATIO
#: times its compressed size: instrument files compress 3–15×, a "zip bomb" 300× and more.
MIN_RATIO_CHECKED_BYTES = 8 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100

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
    #: normalisations a user should know about (units converted, signs flipped), as catalogue
    #: messages (``i18n/evidence.toml``, ``reader.*``): ``note.text(lang)`` writes one
    notes: tuple[Said, ...] = ()
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
            "notes": [note.text("en") for note in self.notes],
            "said": [note.as_dict() for note in self.notes],
            "skipped_rows": [problem.as_dict() for problem in self.problems],
            "metadata": self.metadata,
        }


class Reader(Protocol):
    """A reader module's contract (see ``readers/oven_csv.py`` for a complete one; check a
    reader against it with ``readers.contract.check_reader``).

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


def _hash_file(path: Path, stop: threading.Event | None = None) -> tuple[str, int]:
    """SHA-256 and size; abandoned (a partial result nobody reads) once ``stop`` is set."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if stop is not None and stop.is_set():
                break
            digest.update(block)  # releases the GIL: runs beside the parser
            size += len(block)
    return digest.hexdigest(), size


#: a digest being computed in the background for the file now being read
_PENDING_DIGEST: ContextVar[tuple[Path, Future[tuple[str, int]]] | None] = ContextVar(
    "solidcheck_pending_digest", default=None)


@contextmanager
def digest_in_background(path: Path) -> Iterator[None]:
    """Hash ``path`` on another thread while the reader parses it; a large log's SHA-256
    then costs little more than its parse. A file refused before its digest was taken (too
    many rows, a zip bomb) stops being hashed: refusing a huge file must stay cheap."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="solidcheck-sha256") as pool:
        token = _PENDING_DIGEST.set((path, pool.submit(_hash_file, path, stop)))
        try:
            yield
        finally:
            _PENDING_DIGEST.reset(token)
            stop.set()  # a digest taken (file_digest) is complete; one not taken is dropped


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in blocks so large logs stay out of memory."""
    pending = _PENDING_DIGEST.get()
    if pending is not None and pending[0] == path:
        return pending[1].result()
    return _hash_file(path)


def too_many_rows(path: Path, what: str) -> EvidenceError:
    """The error for a file over MAX_READING_ROWS."""
    return EvidenceError([Problem(
        "rows", f"the {what} has more than {MAX_READING_ROWS:,} rows, the most solidcheck reads",
        "export only the run that matters, or at a lower sampling rate: a 6-hour oven log at "
        "1 Hz is 21,600 rows (docs/readers.md, \"Limits\")",
    )], source=str(path))


def count_lines(path: Path, *, stop_after: int) -> int:
    """Lines of a text file (``\\n`` or ``\\r`` ends one), counted on the raw bytes in 1 MiB
    blocks: no decoding, constant memory. Counting stops past ``stop_after``, so the cost of
    refusing a huge file is that of reading ``stop_after`` lines, not the whole file."""
    newlines = returns = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            newlines += block.count(b"\n")
            returns += block.count(b"\r")
            last = block[-1:]
            if max(newlines, returns) > stop_after:
                break
    unended = last not in (b"\n", b"\r")  # the last line needs no line end
    return max(newlines, returns) + unended


def check_text_rows(path: Path, *, header_lines: int, what: str) -> None:
    """Refuse a text table with more than MAX_READING_ROWS lines below its header before
    it is parsed (blank lines count: the parser keeps one row per line)."""
    limit = header_lines + MAX_READING_ROWS
    if count_lines(path, stop_after=limit) > limit:
        raise too_many_rows(path, what)


def _container_problem(path: Path, what: str, message: str) -> EvidenceError:
    return EvidenceError([Problem(
        "", f"the {what} {message}",
        "a real export is far smaller inside: export only the run that matters; a file "
        "built to expand when unpacked (a \"zip bomb\") is refused (docs/readers.md, "
        "\"Limits\")",
    )], source=str(path))


def _check_inflated(path: Path, what: str, inflated: int, compressed: int) -> None:
    if inflated > MAX_INFLATED_BYTES:
        raise _container_problem(
            path, what, f"unpacks to more than {MAX_INFLATED_BYTES // 2**20} MiB, the most "
            "solidcheck reads")
    if inflated > MIN_RATIO_CHECKED_BYTES and inflated > MAX_COMPRESSION_RATIO * compressed:
        raise _container_problem(
            path, what, f"unpacks to {inflated / max(compressed, 1):.0f} times its packed "
            f"size (instrument files: 3 to 15 times; at most {MAX_COMPRESSION_RATIO} "
            "accepted)")


def check_zip_container(path: Path, *, what: str) -> None:
    """Refuse a zip container (.xlsx, .ndax, .ngb-*) that unpacks to more than
    MAX_INFLATED_BYTES or at a ratio over MAX_COMPRESSION_RATIO, before a library unpacks it
    into memory.

    The sizes the zip directory declares are checked first (free); then every member is
    inflated in 1 MiB blocks and counted, nothing kept, because a directory can understate
    a member that a reader then inflates whole. A container that cannot be listed or
    inflated is left to its reader, which says what is wrong with it.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        members = archive.infolist()
        compressed = sum(member.compress_size for member in members)
        _check_inflated(path, what, sum(member.file_size for member in members), compressed)
        inflated = 0
        for member in members:
            probe = copy.copy(member)
            probe.file_size = MAX_INFLATED_BYTES + 1  # read past a size that understates
            try:
                with archive.open(probe) as stream:
                    while block := stream.read(1 << 20):
                        inflated += len(block)
                        _check_inflated(path, what, inflated, compressed)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
                    NotImplementedError):
                continue  # damaged, encrypted or an unknown method: its reader will say
        _check_inflated(path, what, inflated, compressed)


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
