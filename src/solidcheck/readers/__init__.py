"""Instrument files in, canonical columns out: the reader registry.

One module per format; each defines a class fulfilling :class:`Reader` and is listed in
:data:`BUILTIN_READERS` (third-party packages add theirs through the ``solidcheck.readers``
entry-point group). :func:`read_evidence` recognises a file by its content — the extension is
only a hint that orders the candidates — and returns a :class:`Reading`.

Readers whose library is optional (pyngb, NewareNDA, galvani) can still *recognise* their
files without it, so the user gets an install hint rather than "unknown format".
:func:`check_reader` holds a reader to all of this on a sample.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .._lazy import lazy_exports
from ..errors import EvidenceError, MissingDependencyError, Problem, file_problem
from ._base import (
    CHANNELS,
    HEAD_BYTES,
    MAX_READING_ROWS,
    Reader,
    Reading,
    ReadingKind,
    digest_in_background,
    file_digest,
    too_many_rows,
)

if TYPE_CHECKING:
    from .contract import ReaderContractError, check_reader

__all__ = [
    "BUILTIN_READERS",
    "CHANNELS",
    "MAX_READING_ROWS",
    "Reader",
    "ReaderContractError",
    "Reading",
    "ReadingKind",
    "build_reading",
    "check_reader",
    "detect",
    "file_digest",
    "install_hint",
    "instrument_file_problem",
    "read_evidence",
]

# the contract check imports this module's internals, so it is found on first use
__getattr__, __dir__ = lazy_exports(
    __name__, dict.fromkeys(("ReaderContractError", "check_reader"), ".contract"), globals())

#: ``module:Class`` of every reader shipped with solidcheck, most specific first.
BUILTIN_READERS: tuple[str, ...] = (
    "solidcheck.readers.netzsch_ngb:NetzschNgbReader",
    "solidcheck.readers.neware:NewareReader",
    "solidcheck.readers.biologic_mpr:BiologicMprReader",
    "solidcheck.readers.xlsx:XlsxReader",
    "solidcheck.readers.bdf_csv:BdfCsvReader",
    "solidcheck.readers.weighings_csv:WeighingsCsvReader",
    "solidcheck.readers.oven_csv:OvenCsvReader",
)

_ENTRY_POINT_GROUP = "solidcheck.readers"

T = TypeVar("T")


def _load(spec: str) -> Reader:
    module_name, _, class_name = spec.partition(":")
    module = importlib.import_module(module_name)
    return cast(Reader, getattr(module, class_name)())


@functools.cache
def _all_readers() -> tuple[Reader, ...]:
    # Scanning entry points costs milliseconds; plugins do not change within a process.
    readers = [_load(spec) for spec in BUILTIN_READERS]
    for entry in entry_points(group=_ENTRY_POINT_GROUP):
        readers.append(cast(Reader, entry.load()()))
    return tuple(readers)


def available_readers() -> list[Reader]:
    """Every installed reader: the built-in ones, then plugins, in detection order."""
    return list(_all_readers())


def is_installed(reader: Reader) -> bool:
    """Whether the optional library a reader needs can be imported."""
    return reader.requires is None or importlib.util.find_spec(reader.requires) is not None


def install_hint(reader: Reader) -> str:
    return "" if reader.extra is None else f"pip install 'solidcheck[{reader.extra}]'"


def get_reader(name: str) -> Reader:
    """The reader called ``name``; the error lists the names there are."""
    readers = available_readers()
    for reader in readers:
        if reader.name == name:
            return reader
    names = ", ".join(reader.name for reader in readers)
    raise EvidenceError(
        [Problem("format", f"no reader is called {name!r}", f"use one of: {names}")]
    )


def _installed_list(readers: list[Reader]) -> str:
    parts = []
    for reader in readers:
        extensions = "/".join(reader.extensions)
        state = "" if is_installed(reader) else f", needs {install_hint(reader)}"
        parts.append(f"{reader.name} ({extensions}{state})")
    return "; ".join(parts)


def _formats_list(readers: list[Reader]) -> str:
    """The formats a reader list reads, as codes only (the words around them are the
    catalogue's): "oven-csv (.csv/.txt); netzsch-ngb (.ngb-ss3, pip install …)"."""
    return "; ".join(f"{reader.name} ({'/'.join(reader.extensions)}"
                     f"{'' if is_installed(reader) else ', ' + install_hint(reader)})"
                     for reader in readers)


def detect(path: Path, head: bytes, *, kind: ReadingKind | None = None) -> Reader:
    """The reader for a file, chosen by content; the extension only breaks ties."""
    readers = [r for r in available_readers() if kind is None or r.kind == kind]
    matches = [reader for reader in readers if reader.can_read(head, path)]
    if not matches:
        wanted = f" {kind.replace('_', ' ')}" if kind else ""
        raise EvidenceError(
            [
                Problem(
                    "",
                    f"not a recognised{wanted} file format",
                    "export the data in one of the formats solidcheck reads: "
                    + _installed_list(readers)
                    + " (docs/readers.md describes each)",
                    "problem.unrecognised_format" if kind else "problem.unrecognised_any_format",
                    {"kind": f"kind.{kind}", "formats": _formats_list(readers)},
                )
            ],
            source=str(path),
        )
    suffix = path.suffix.lower()
    matches.sort(key=lambda reader: suffix not in reader.extensions)
    return matches[0]


def read_evidence(
    path: str | Path, *, format: str | None = None, kind: ReadingKind | None = None
) -> Reading:
    """Read an instrument file into a :class:`Reading`.

    Raises ``EvidenceError`` for a missing, empty, unrecognised, truncated or corrupt file,
    and ``MissingDependencyError`` (with the pip command) when the format needs an extra.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise EvidenceError([file_problem(path, exc)], source=str(path)) from None
    if not head:
        raise EvidenceError(
            [Problem("", "the file is empty", "export the log again; it holds no data",
                     "problem.empty_file")],
            source=str(path),
        )
    reader = get_reader(format) if format else detect(path, head, kind=kind)
    return _read_with(reader, path)


def _read_with(reader: Reader, path: Path) -> Reading:
    """Read a file with a chosen reader as :func:`read_evidence` does (the contract check
    reads a plug-in's sample this way, registered or not)."""
    if not is_installed(reader):
        raise MissingDependencyError(
            f"{path.name} ({reader.description})",
            extra=cast(str, reader.extra),
            package=cast(str, reader.requires),
        )
    with digest_in_background(path):
        return guarded(reader, path, reader.read)


def guarded(reader: Reader, path: Path, read: Callable[[Path], T]) -> T:
    """Run a reader; turn anything a vendor library throws into one clear EvidenceError."""
    try:
        return read(path)
    except (EvidenceError, MissingDependencyError):
        raise
    except Exception as exc:  # third-party parsers raise anything on a damaged file
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvidenceError(
            [
                Problem(
                    "",
                    f"could not be read as {reader.description}: {detail[:300]}",
                    "check that the file is complete (not truncated or still being written) "
                    "and is an unmodified export of the instrument software",
                )
            ],
            source=str(path),
        ) from exc


def build_reading(
    reader: Reader, path: Path, table: Any, **fields: Any
) -> Reading:
    """A Reading for ``path`` with its digest filled in.

    Every reading is held to MAX_READING_ROWS here, whatever its reader; readers of text
    and zip containers also check before parsing, where the cost is.
    """
    if int(table.num_rows) > MAX_READING_ROWS:
        raise too_many_rows(path, "file")
    sha256, size = file_digest(path)
    return Reading(
        format=reader.name,
        kind=reader.kind,
        table=table,
        source=str(path),
        sha256=sha256,
        size_bytes=size,
        **fields,
    )


#: the `dossier build` option that takes each kind of instrument file
_BUILD_OPTION = {"oven_log": "--oven-log", "weighings": "--weighings", "cycler": "--cycler"}


def instrument_file_problem(path: Path, data: bytes) -> Problem | None:
    """The problem of an instrument file given where a dossier belongs — which kind it is and
    how to make a dossier with it — or None when no reader recognises ``data``."""
    try:
        reader = detect(path, data[:HEAD_BYTES])
    except EvidenceError:
        return None
    option = _BUILD_OPTION.get(reader.kind, "")
    shown = str(path)
    return Problem(
        "", f"this is an instrument file, not a dossier: {reader.kind.replace('_', ' ')} "
        f"({reader.name})", f"make a dossier with it: solidcheck dossier build "
        f"DECLARATIONS.yaml {option} {shown} … -o cell.yaml (docs/readers.md)",
        "problem.dossier_is_evidence", {"kind": f"kind.{reader.kind}", "reader": reader.name,
                                        "option": option, "path": shown},
        about_file=True)
