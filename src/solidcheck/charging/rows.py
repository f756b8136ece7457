"""What the table readers (IRVE, OCPI, T/CEC 102, tickets, inventory) share: bytes to text,
CSV and JSON Lines to numbered rows, a row's bad field as :class:`RowError`, numbers and
times. Pure: no file is opened here.

A reader turns each item into a canonical row or a :class:`~.ocpp_logs.Rejection`; an item
that is ``None`` (a blank line, a header) is counted, never dropped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from .ocpp_logs import Rejection

__all__ = ["CHINA_STANDARD_TIME", "TEXT_KEPT", "Item", "RowError", "TableRead", "csv_items",
           "decode", "delimiter_of", "first_line", "json_document", "jsonl_items", "number",
           "open_table", "optional_text", "required_text", "utc_time", "with_format"]

_GZIP_MAGIC = b"\x1f\x8b"
#: China Standard Time (T/CEC 102's times): one fixed offset, no daylight saving since 1991
CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "CST")
#: how much of a rejected line the ``rejected`` table keeps
TEXT_KEPT: Final = 200

#: an item: (line number, the row's fields | None for a blank or header line | a rejection
#: reason, (the line's text, the rejection's detail))
Item = tuple[int, dict[str, Any] | str | None, tuple[str, str]]


@dataclass(slots=True)
class TableRead:
    """What one table file (OCPI, T/CEC 102, tickets, inventory) gave: canonical rows by
    table, rejections, and the lines that are not rows (headers, blank lines)."""

    source: str
    sha256: str
    format: str
    layout: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    other_lines: int = 0

    def add(self, table: str, row: dict[str, Any], number: int) -> None:
        row.update(source=self.source, line=number)
        self.rows.setdefault(table, []).append(row)

    def reject(self, number: int, reason: str, detail: str, text: str) -> None:
        self.rejected.append(Rejection(self.source, number, reason, detail, text[:TEXT_KEPT]))

    def take(self, items: Iterable[Item], add: Callable[[int, dict[str, Any], str], None]
             ) -> TableRead:
        """Every item read: a line that is no row (a header, a blank) counted, a line that
        cannot be a row rejected, each row given to ``add`` — whose RowError rejects it."""
        for number, row, (line, detail) in items:
            if row is None:
                self.other_lines += 1
            elif isinstance(row, str):
                self.reject(number, row, detail, line)
            else:
                try:
                    add(number, row, line)
                except RowError as bad:
                    self.reject(number, bad.reason, bad.detail, line)
        return self


def open_table(data: bytes, *, source: str, tables: Sequence[str],
               items_of: Callable[[str], tuple[str, str, Iterator[Item]] | None]
               ) -> tuple[TableRead, Iterator[Item]] | None:
    """A table file's empty read and its items, or None when the bytes are not text or
    ``items_of`` (the reader's recogniser: text → format, layout, items) does not claim it."""
    decoded = decode(data)
    if decoded is None:
        return None
    sha256, text = decoded
    found = items_of(text)
    if found is None:
        return None
    kind, layout, items = found
    return TableRead(source, sha256, kind, layout, rows={name: [] for name in tables}), items


def with_format(kind: str, found: tuple[str, Iterator[Item]] | None
                ) -> tuple[str, str, Iterator[Item]] | None:
    """A recogniser's (layout, items) with the format it always reads, for :func:`open_table`."""
    return None if found is None else (kind, *found)


class RowError(Exception):
    """A row's first bad field: its catalogue reason and what was found."""

    def __init__(self, reason: str, detail: object) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, "" if detail is None else str(detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.reason, self.detail)


def decode(data: bytes) -> tuple[str, str] | None:
    """The SHA-256 of the bytes as given and their text (gzip undone, a UTF-8 BOM dropped),
    or None when they are not UTF-8 text: the next reader decides."""
    sha256 = hashlib.sha256(data).hexdigest()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    try:
        return sha256, data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def mac_lines(text: str) -> str:
    """A text whose lines end with a lone CR (Excel's "CSV (Macintosh)") with LF line ends;
    any other text as it is."""
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def first_line(text: str) -> str:
    """The first line with text, stripped, without splitting a whole (large) file."""
    text = mac_lines(text)
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end].strip()
        if line:
            return line
        start = end + 1
    return ""


def delimiter_of(header: str) -> str:
    """``;`` when the header has more of them than commas (French and Chinese exports)."""
    return ";" if header.count(";") > header.count(",") else ","


def csv_items(text: str, names: list[str], delimiter: str, *,
              cells_reason: str = "charging.rejected.cells_header") -> Iterator[Item]:
    """The rows of a CSV text under its (already read) header ``names``."""
    reader = csv.reader(io.StringIO(mac_lines(text)), delimiter=delimiter)
    last, seen_header = 0, False
    for cells in reader:
        number, last = last + 1, reader.line_num
        line = delimiter.join(cells)
        if not any(cell.strip() for cell in cells) or not seen_header:
            seen_header = seen_header or any(cell.strip() for cell in cells)
            yield number, None, (line, "")
        elif len(cells) != len(names):
            yield number, cells_reason, (line, f"{len(cells)}/{len(names)}")
        else:
            yield number, dict(zip(names, (cell.strip() for cell in cells), strict=True)), \
                (line, "")


def jsonl_items(lines: list[str], *, lower: bool = True) -> Iterator[Item]:
    """One object a line; keys lower-cased unless ``lower`` is False."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            yield number, None, (line, "")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, "charging.rejected.not_json", (line, exc.msg)
            continue
        if isinstance(row, dict):
            yield number, {(str(k).lower() if lower else str(k)): v for k, v in row.items()}, \
                (line, "")
        else:
            yield number, "charging.rejected.not_an_object", (line, type(row).__name__)


def json_document(text: str) -> Any:
    """The text as one JSON document, or None when it is not one (JSON Lines, CSV …)."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None


def required_text(row: dict[str, Any], *names: str,
                  reason: str = "charging.rejected.missing") -> str:
    """The first of ``names`` that holds text; a row with none is rejected naming the first."""
    value = optional_text(row, *names)
    if value is None:
        raise RowError(reason, names[0])
    return value


def optional_text(row: dict[str, Any], *names: str) -> str | None:
    value = next((row[name] for name in names if row.get(name) not in (None, "")), None)
    return str(value).strip() or None if value is not None else None


def number(value: object, name: str, *, reason: str = "charging.rejected.number") -> float:
    """A non-negative number; a decimal comma (``7,4``) is read as a point."""
    if isinstance(value, bool):
        raise RowError(reason, f"{name}={value}")
    text = str(value).strip().replace(",", ".") if value is not None else ""
    try:
        found = float(text)
    except ValueError:
        raise RowError(reason, f"{name}={value}") from None
    if found < 0 or found != found or found == float("inf"):
        raise RowError(reason, f"{name}={value}")
    return found


def utc_time(value: object, *, epoch_ms: bool = False, naive: timezone | None = None,
             no_offset: str = "charging.rejected.no_offset") -> datetime:
    """An ISO 8601 time (or, with ``epoch_ms``, whole epoch milliseconds) in UTC. A time
    without an offset takes ``naive`` when the format fixes one, else is refused with
    ``no_offset``."""
    text = str(value).strip() if value is not None else ""
    if epoch_ms and text.isdigit() and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        except (OverflowError, ValueError, OSError):
            raise RowError("charging.rejected.time", text) from None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise RowError("charging.rejected.time", text) from None
    if when.tzinfo is None:
        if naive is None:
            raise RowError(no_offset, text)
        when = when.replace(tzinfo=naive)
    try:
        return when.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past the last datetime
        raise RowError("charging.rejected.time", text) from None
