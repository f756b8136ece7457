"""Oven and thermobalance logs saved from Excel (.xlsx, .xlsm, legacy .xls), via fastexcel.

The first sheet with a recognisable time-and-temperature header is read, whatever rows of
notes precede that header; the headers, units and bad-row rules are those of the CSV reader
(``_headers``, ``_normalising``). Date-time cells become the time axis, as ISO 8601 text does
in a CSV.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, ClassVar

from ..errors import EvidenceError, Problem
from ._base import (
    MAX_READING_ROWS,
    Reading,
    ReadingKind,
    check_zip_container,
    too_many_rows,
    zip_members,
)
from ._headers import (
    MAX_HEADER_LINE,
    OVEN_FIELDS,
    OVEN_REQUIRED,
    Layout,
    choose_columns,
    find_layout,
    missing_problems,
)
from ._normalising import line_mapper, normalise_columns

__all__ = ["XlsxReader"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other Office 97 files)


class XlsxReader:
    """An Excel workbook whose first usable sheet is an oven log."""

    name: ClassVar[str] = "oven-xlsx"
    description: ClassVar[str] = "an oven or thermobalance log in Excel"
    kind: ClassVar[ReadingKind] = "oven_log"
    extensions: ClassVar[tuple[str, ...]] = (".xlsx", ".xlsm", ".xls")
    extra: ClassVar[str | None] = "xlsx"
    requires: ClassVar[str | None] = "fastexcel"

    def can_read(self, head: bytes, path: Path) -> bool:
        if head.startswith(_OLE_MAGIC):
            return path.suffix.lower() == ".xls"  # Word and Outlook files share the magic
        if not head.startswith(_ZIP_MAGIC):
            return False
        names = zip_members(path, head)
        if names is None:
            # a truncated workbook: say so when reading rather than "unknown format"
            return b"xl/" in head or path.suffix.lower() in (".xlsx", ".xlsm")
        return "xl/workbook.xml" in names

    def read(self, path: Path) -> Reading:
        import fastexcel  # optional extra

        from . import build_reading

        if path.suffix.lower() != ".xls" and not zipfile.is_zipfile(path):
            raise EvidenceError(
                [Problem("", "the workbook is not a complete zip archive (truncated or damaged)",
                         "save the workbook again from Excel, or copy the whole file")],
                source=str(path),
            )
        if path.suffix.lower() != ".xls" or zipfile.is_zipfile(path):
            # calamine unpacks a sheet whole: refuse a workbook that unpacks to gigabytes
            check_zip_container(path, what="workbook")
        workbook = fastexcel.read_excel(path)
        sheet, layout = _find_sheet(workbook, path)
        columns = choose_columns(layout, path)
        indices = sorted({column.index for column in columns})
        batch = workbook.load_sheet(
            sheet, header_row=layout.header_row, use_columns=indices, schema_sample_rows=None,
            n_rows=MAX_READING_ROWS + 1,
        ).to_arrow()
        if batch.num_rows > MAX_READING_ROWS:
            raise too_many_rows(path, "workbook's sheet")
        if batch.num_columns != len(indices):
            raise EvidenceError(
                [Problem("", f"sheet {sheet!r}: expected {len(indices)} columns under the "
                         f"header, found {batch.num_columns}",
                         "remove merged cells from the header row and save again")],
                source=str(path),
            )
        raw = {index: batch.column(position) for position, index in enumerate(indices)}
        result = normalise_columns(
            raw, columns, line_of=line_mapper(layout.header_row + 2, []),
            fields=OVEN_FIELDS, required=OVEN_REQUIRED, path=path,
            passed_over=[c for c in layout.columns if c not in columns],
        )
        metadata = {
            "sheet": sheet,
            "sheets": list(workbook.sheet_names),
            "header_row": layout.header_row + 1,
            "columns": list(layout.headers),
            **result.metadata,
        }
        return build_reading(
            self, path, result.table, metadata=metadata, origins=result.origins,
            notes=result.notes, problems=result.problems, started_at=result.started_at,
        )


def _find_sheet(workbook: Any, path: Path) -> tuple[str, Layout]:
    """The first sheet whose leading rows hold a complete header, and that header."""
    best: tuple[str, Layout] | None = None
    for sheet in workbook.sheet_names:
        # skip_rows=0 makes row numbers absolute even when the sheet starts below row 1
        probe = workbook.load_sheet(
            sheet, header_row=None, skip_rows=0, n_rows=MAX_HEADER_LINE, dtypes="string",
        ).to_arrow()
        cells = [probe.column(i).to_pylist() for i in range(probe.num_columns)]
        rows = [[column[r] or "" for column in cells] for r in range(probe.num_rows)]
        layout = find_layout(rows, OVEN_FIELDS, OVEN_REQUIRED)
        if layout is None:
            continue
        if layout.complete:
            return str(sheet), layout
        if best is None or len(layout.missing) < len(best[1].missing):
            best = (str(sheet), layout)
    if best is None:
        raise EvidenceError(
            [Problem("", "no sheet has a header row with at least two columns",
                     "put the log on one sheet with one header row, e.g. 'Time (s)', "
                     "'Temperature (°C)', 'Pressure (kPa)'")],
            source=str(path),
        )
    sheet, layout = best
    problems = [Problem(f"sheet {sheet!r}", p.message, p.fix)
                for p in missing_problems(layout, OVEN_FIELDS, "oven log")]
    raise EvidenceError(problems, source=str(path))
