"""``solidcheck charging ingest`` as a function: OCPP logs, France's IRVE files, OCPI
exports, T/CEC 102 messages, maintenance tickets and the project's inventory in, canonical
tables out. A file is tried by each table reader of :data:`READERS` in turn (its header names
or first object's keys say which), else read as an OCPP log.

Every input is read before anything is refused, so one error lists every problem of every
file (unreadable, unrecognised, no charge point for the OCA tool's log, no OCPP version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ChargingInputError, Problem
from .canonical import VERSIONS, canonical_tables, infer_version
from .inventory import parse_inventory
from .irve import IrveRead, parse_irve
from .model import TABLES
from .ocpi import parse_ocpi
from .ocpp_logs import LogRead, read_log
from .rows import TableRead
from .tcec import parse_tcec
from .tickets import parse_tickets

__all__ = ["READERS", "Ingested", "InputSummary", "Reader", "ingest", "read_tables",
           "write_tables"]


class Reader(Protocol):
    """A table reader: a file's bytes to its rows, or None when they are not its format (a
    whole-file problem of a recognised file raises ChargingInputError)."""

    def __call__(self, data: bytes, *, source: str) -> TableRead | None: ...


#: the table readers, tried in this order before the OCPP log fallback; each recognises its
#: format by content (IRVE first: the hot path for large national files)
READERS: tuple[Reader, ...] = (parse_irve, parse_ocpi, parse_tcec, parse_tickets,
                               parse_inventory)


@dataclass(frozen=True, slots=True)
class InputSummary:
    """One input as the summary shows it; an IRVE file has no OCPP version and gives
    ``rows`` (of port_events, sessions or inventory) rather than frames."""

    source: str
    sha256: str
    format: str
    ocpp_version: str | None
    frames: int
    rejected: int
    other_lines: int
    rows: int = 0


@dataclass(frozen=True, slots=True)
class Ingested:
    inputs: tuple[InputSummary, ...]
    tables: dict[str, pa.Table]


def ingest(paths: Sequence[Path | str], *, charge_point_id: str | None = None,
           ocpp_version: str | None = None) -> Ingested:
    """Read every log into the canonical tables. A frame's OCPP version is its row's own
    (JSON Lines ``ocpp_version``), else ``ocpp_version``, else the file's (the OCA log's
    header), else the one its actions betray; a file with none of these is invalid input."""
    files = [Path(path) for path in paths]
    problems: list[Problem] = []
    if ocpp_version is not None and ocpp_version not in VERSIONS:
        problems.append(Problem("--ocpp-version", f"unknown OCPP version {ocpp_version!r}",
                                "use " + ", ".join(VERSIONS)))
    reads: list[tuple[LogRead, str]] = []
    irve_reads: list[TableRead] = []
    for path in files:
        try:
            table = _table_read(path)
        except ChargingInputError as exc:
            problems += exc.problems
            continue
        if table is not None:
            irve_reads.append(table)
            continue
        try:
            read = read_log(path, charge_point_id=charge_point_id)
        except ChargingInputError as exc:  # gathered: one error lists every file's
            problems += exc.problems
            continue
        version = ocpp_version or read.ocpp_version or _row_version(read) \
            or infer_version(read.frames)  # the file's default; a row's own version wins
        if version is None:
            problems.append(Problem(str(path), "the OCPP version is not known",
                                    "give it with --ocpp-version"))
        elif version not in VERSIONS:
            problems.append(Problem(str(path), f"unknown OCPP version {version!r}",
                                    "use " + ", ".join(VERSIONS)))
        else:
            reads.append((read, version))
    if problems:
        raise ChargingInputError(problems)
    # IRVE files alone need no OCPP schemas (nor the optional ``ocpp`` library)
    ocpp_tables = canonical_tables(reads) if reads else {
        name: schema.empty_table() for name, schema in TABLES.items()}
    tables = _with_irve(ocpp_tables, irve_reads)
    rejected = tables["rejected"].column("source").to_pylist()
    frames = tables["frames"].column("source").to_pylist()
    inputs = tuple(InputSummary(read.source, read.sha256, read.format, version,
                                frames.count(read.source), rejected.count(read.source),
                                read.other_lines) for read, version in reads)
    inputs += tuple(InputSummary(read.source, read.sha256, read.format, None, 0,
                                 len(read.rejected), read.other_lines,
                                 rows=sum(len(rows) for rows in read.rows.values())
                                 + sum(t.num_rows for t in _tables_of(read).values()))
                    for read in irve_reads)
    return Ingested(inputs, tables)


def _table_read(path: Path) -> TableRead | None:
    """The first table reader's rows for the file, or None (not a table file, or not
    readable: the OCPP reader then says why)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    for reader in READERS:
        found = reader(data, source=str(path))
        if found is not None:
            return found
    return None


def _with_irve(tables: dict[str, pa.Table],
               reads: list[TableRead]) -> dict[str, pa.Table]:
    """The OCPP tables with the table files' rows (as rows, or already as tables: the
    column-wise IRVE dynamique path) and rejections appended, file by file."""
    added: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    for read in reads:
        for name, rows in read.rows.items():
            if rows:
                added[name].append(pa.Table.from_pylist(rows, schema=TABLES[name]))
        for name, table in _tables_of(read).items():
            added[name].append(table)
        if read.rejected:
            added["rejected"].append(pa.Table.from_pylist(
                [{"source": r.source, "line": r.line, "reason": r.reason, "detail": r.detail,
                  "text": r.text} for r in read.rejected], schema=TABLES["rejected"]))
    return {name: pa.concat_tables([table, *added[name]]) if added[name] else table
            for name, table in tables.items()}


def _tables_of(read: TableRead) -> dict[str, pa.Table]:
    """The rows a reader gave as Arrow tables (only IRVE's column-wise path does)."""
    return read.tables if isinstance(read, IrveRead) else {}


def _row_version(read: LogRead) -> str | None:
    return next((raw.ocpp_version for raw in read.frames if raw.ocpp_version), None)


def write_tables(tables: dict[str, pa.Table], folder: Path) -> list[Path]:
    """One Parquet file per table in ``folder`` (made if missing): ``frames.parquet``,
    ``port_events.parquet`` … — a folder, so later sources and metrics add tables beside."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written


def read_tables(folder: Path, *, skip: Sequence[str] = ()) -> dict[str, pa.Table]:
    """The canonical tables of a folder :func:`write_tables` wrote, each cast to its schema (a
    table not there is empty); every unreadable table, or a folder with none, in one error.
    The tables named in ``skip`` are returned empty (their schema checked, their rows left on
    disk: partitioned.py reads them in batches)."""
    fix = "give the folder `solidcheck charging ingest -o DIR` wrote"
    if not folder.is_dir():
        raise ChargingInputError([Problem(str(folder), "is not a folder", fix)])
    problems: list[Problem] = []
    tables: dict[str, pa.Table] = {}
    for name, schema in TABLES.items():
        path = folder / f"{name}.parquet"
        if not path.is_file():
            tables[name] = schema.empty_table()
            continue
        try:
            if name in skip:
                pq.read_schema(path).empty_table().select(schema.names).cast(schema)
                tables[name] = schema.empty_table()
                continue
            tables[name] = pq.read_table(path).select(schema.names).cast(schema)
        except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
            problems.append(Problem(str(path), f"not a canonical {name} table ({exc})",
                                    "write the folder again with `solidcheck charging ingest`"))
    if not any((folder / f"{name}.parquet").is_file() for name in TABLES):
        problems.append(Problem(str(folder), "holds none of the canonical tables "
                                f"({', '.join(TABLES)})", fix))
    if problems:
        raise ChargingInputError(problems)
    return tables
