"""Sniffing a text table: its encoding, header line, delimiter and decimal separator.

Only the first :data:`SNIFF_BYTES` of a file are looked at; every delimiter is tried on
every leading line, and the most complete header, then the earliest, wins.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Sequence

from ._headers import MAX_HEADER_LINE, Field, Layout, find_layout

__all__ = ["SNIFF_BYTES", "decimal_point", "sniff_text_layout"]

#: How much of a text file is looked at to find the header, delimiter and decimal separator.
SNIFF_BYTES = 1 << 16
#: How many leading characters show whether a file is text or binary.
SNIFF_CONTROL_CHARS = 4096
#: Unicode category Cc (C0 and C1 controls) except tab, line feed and carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> tuple[str, str] | None:
    """The text of a file's leading bytes and its encoding, or None for a binary file.

    UTF-8 (with or without BOM) is tried first, then GB18030, the superset of the GBK that
    Chinese lab software writes. A character cut by the end of ``data`` is not an error.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=False)
        except UnicodeDecodeError:
            continue
        start = text[:SNIFF_CONTROL_CHARS]  # a binary file shows itself at once
        controls = len(_CONTROL.findall(start))
        if "\x00" in start or controls > len(start) // 100:
            return None
        return text, encoding
    return None


_NEWLINE = re.compile(r"\r\n|\n|\r")
_DELIMITERS = (",", ";", "\t")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _text_lines(text: str, *, truncated: bool, limit: int) -> list[str]:
    """The first ``limit`` complete lines (only these are ever looked at)."""
    parts = _NEWLINE.split(text, maxsplit=limit)
    if len(parts) > limit:
        return parts[:limit]  # the remainder is dropped, every line kept is whole
    if truncated and len(parts) > 1:
        parts = parts[:-1]  # the last line was cut by the end of the sniffed bytes
    return parts


def sniff_text_layout(
    data: bytes, fields: Sequence[Field], required: Sequence[str], *, truncated: bool
) -> tuple[Layout | None, str, list[str]] | None:
    """Header layout (None if no line splits into cells), encoding and leading lines of a
    text table, or None if ``data`` is not text.

    Every delimiter is tried on every leading line; a header must split into at least two
    cells, so ``120,5`` in a ``;`` file is never mistaken for two columns.
    """
    decoded = decode_text(data)
    if decoded is None:
        return None
    text, encoding = decoded
    lines = _text_lines(text, truncated=truncated, limit=MAX_HEADER_LINE + 8)
    best: Layout | None = None
    sample = "\n".join(lines[:MAX_HEADER_LINE])
    for delimiter in (d for d in _DELIMITERS if d in sample):
        # split lazily: the header is nearly always the first line
        rows = (_split(line, delimiter) for line in lines[:MAX_HEADER_LINE])
        layout = find_layout(rows, fields, required, delimiter=delimiter)
        if layout is not None and (best is None or _rank(layout) < _rank(best)):
            best = layout
    return best, encoding, lines


def _rank(layout: Layout) -> tuple[int, int, int]:
    """Complete headers first, the earliest line first, then the most columns recognised."""
    return (len(layout.missing), layout.header_row if layout.complete else 0,
            -len(layout.columns))


_DECIMAL_COMMA_CELL = re.compile(r"^\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*$")


def decimal_point(layout: Layout, lines: Sequence[str]) -> str:
    """``,`` when the data cells of a ``;``/tab file are written like ``120,5``."""
    if layout.delimiter == ",":
        return "."
    numeric = [column.index for column in layout.columns if column.field.dimension]
    for line in lines[layout.header_row + 1:layout.header_row + 40]:
        cells = _split(line, layout.delimiter or ",")
        for index in numeric:
            if index < len(cells) and _DECIMAL_COMMA_CELL.match(cells[index]):
                return ","
    return "."

