"""A delimited text table (CSV, TSV, TXT) read into canonical columns.

Sniffed (:mod:`._sniffing`), its columns chosen (:mod:`._headers`), its rows counted against
MAX_READING_ROWS before parsing, then parsed in C++ by ``pyarrow.csv`` — numbers as float64
when every cell parses, as text otherwise — and normalised (:mod:`._normalising`). A log of
a million rows reads in about a second.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from ..errors import EvidenceError, Problem
from ._base import check_text_rows
from ._headers import MAX_HEADER_LINE, Column, Field, Layout, choose_columns, missing_problems
from ._normalising import BadRow, TableResult, line_mapper, normalise_columns
from ._sniffing import SNIFF_BYTES, decimal_point, sniff_text_layout

__all__ = ["read_text_table"]


def read_text_table(
    path: Path,
    *,
    fields: Sequence[Field],
    required: Sequence[str],
    what: str,
    bad_rows_fatal: bool = False,
) -> TableResult:
    """Read a delimited text table into canonical columns (see the module docstring)."""
    with path.open("rb") as handle:
        data = handle.read(SNIFF_BYTES)
    sniffed = sniff_text_layout(data, fields, required, truncated=len(data) == SNIFF_BYTES)
    if sniffed is None:
        raise EvidenceError(
            [Problem("", f"not a text table (binary content where a {what} was expected)",
                     "export the log as CSV text (UTF-8 or GBK)")],
            source=str(path),
        )
    layout, encoding, lines = sniffed
    if layout is None:
        raise EvidenceError(
            [Problem("", f"no header line found: no line of the first {MAX_HEADER_LINE} splits "
                     "into columns at ',', ';' or tab",
                     f"export the {what} as a table with one header line, e.g. "
                     f"{fields[0].example}, …")],
            source=str(path),
        )
    if not layout.complete:
        raise EvidenceError(missing_problems(layout, fields, what), source=str(path))
    decimal = decimal_point(layout, lines)
    columns = choose_columns(layout, path)
    check_text_rows(path, header_lines=layout.header_row + 1, what=what)
    raw, invalid = _read_csv_columns(path, layout, columns, encoding=encoding, decimal=decimal)
    first_line = layout.header_row + 2  # 1-based line of the first data row
    line_of = line_mapper(first_line, [bad.line for bad in invalid])
    # Where "," cannot separate fields it can only be a decimal comma, even in a file whose
    # first lines held no decimals: cells the fast path could not parse accept both.
    cell_decimal = "," if layout.delimiter != "," else decimal
    result = normalise_columns(
        raw, columns, line_of=line_of, extra_bad=invalid, decimal=cell_decimal, fields=fields,
        required=required, bad_rows_fatal=bad_rows_fatal, path=path,
        passed_over=[c for c in layout.columns if c not in columns],
    )
    preamble = [line for line in lines[:layout.header_row] if line.strip()][:20]
    metadata: dict[str, Any] = {
        "encoding": {"utf-8-sig": "utf-8", "gb18030": "gb18030"}[encoding]
        + (" (BOM)" if data.startswith(codecs.BOM_UTF8) else ""),
        "delimiter": {"\t": "tab"}.get(layout.delimiter or ",", layout.delimiter),
        "decimal_separator": decimal,
        "header_line": layout.header_row + 1,
        "columns": list(layout.headers),
        **result.metadata,
    }
    if preamble:
        metadata["preamble"] = preamble
    return TableResult(result.table, result.origins, result.notes, result.problems,
                       result.started_at, metadata)


def _read_csv_columns(
    path: Path, layout: Layout, columns: Sequence[Column], *, encoding: str, decimal: str
) -> tuple[dict[int, pa.ChunkedArray], list[BadRow]]:
    """The chosen columns as arrow arrays (numbers as float64 when every cell parses, text
    otherwise) and the rows with the wrong number of fields, by line."""
    names = [f"c{i}" for i in range(len(layout.headers))]
    numeric = {f"c{c.index}" for c in columns if c.field.dimension and c.unit is not None}
    include = [f"c{c.index}" for c in columns]

    def attempt(*, typed: bool, threads: bool) -> tuple[pa.Table, list[BadRow], bool]:
        invalid: list[BadRow] = []
        unnumbered = False

        def on_invalid(row: Any) -> str:
            nonlocal unnumbered
            if row.number is None:
                unnumbered = True
            if row.text.strip() or row.number is None:
                invalid.append(BadRow(
                    int(row.number or 0),
                    f"has {row.actual_columns} fields where the header has "
                    f"{row.expected_columns}",
                ))
            return "skip"

        types = {name: (pa.float64() if typed and name in numeric else pa.string())
                 for name in include}
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                skip_rows=layout.header_row + 1, column_names=names, use_threads=threads,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=layout.delimiter or ",", invalid_row_handler=on_invalid,
                ignore_empty_lines=False,  # keeps one table row per line, for line numbers
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=include, column_types=types, decimal_point=decimal,
                null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid, unnumbered

    typed = True
    try:  # fast path: every number parses in C++; else read text and sort out the bad cells
        table, invalid, unnumbered = attempt(typed=True, threads=True)
    except pa.ArrowInvalid as exc:
        if "conversion error" not in str(exc).casefold():
            raise
        typed = False
        table, invalid, unnumbered = attempt(typed=False, threads=True)
    if unnumbered:  # only the serial parser knows line numbers: re-read to name bad rows
        table, invalid, _ = attempt(typed=typed, threads=False)
    return {c.index: table.column(f"c{c.index}") for c in columns}, invalid

