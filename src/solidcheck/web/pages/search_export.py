"""The search desk's exports: ``GET /search.csv|.xlsx|.parquet`` with the search page's own
parameters gives every row the search finds (all its pages, in its order), read from the
registry a page at a time. CSV is streamed as it is read; XLSX (openpyxl, the ``server``
extra) and Parquet (pyarrow) are written page by page and sent whole.

The columns are the registry's field names (the API's words), the same in every language,
so a file made from the English page and one from the Chinese page read the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from ...errors import MissingDependencyError, NotFoundError
from ...registry import Registry, SearchQuery, SearchRow
from .. import heavy
from ..deps import get_registry, get_settings
from .frame import View, problem_page
from .navigation import Page
from .search_params import EXPORT_FORMATS, asked_search

__all__ = ["COLUMNS", "PAGE", "router", "rows_of"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router)

#: the export's columns, in order
COLUMNS = ("cell_id", "manufacturer", "model", "version", "updated_at", "ruleset",
           "classified", "category", "electrolyte_type", "conducting_ion",
           "weight_loss_percent", "limit_percent", "margin_percent", "code", "result_id")
#: rows read from the registry per transaction
EXPORT_PAGE_ROWS = 1000
#: what makes a spreadsheet read a text cell as a formula (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows_of(row: SearchRow) -> tuple[Any, ...]:
    """A row's values in the order of :data:`COLUMNS`."""
    return (row.cell_id, row.manufacturer, row.model, row.version, row.updated_at,
            row.ruleset, row.result_id is not None, row.category, row.electrolyte_type,
            row.conducting_ion, row.weight_loss_percent, row.limit_percent,
            row.margin_percent, row.code, row.result_id)


def _pages(registry: Registry, query: SearchQuery) -> Iterator[list[SearchRow]]:
    return registry.search_all(query, page_rows=EXPORT_PAGE_ROWS, published_only=True)


def _csv_text(value: Any) -> Any:
    """A value as the CSV writes it: a text a spreadsheet would run as a formula (a maker
    named "=HYPERLINK(…)") is kept as text by a leading apostrophe, as OWASP advises."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_lines(pages: Iterable[list[SearchRow]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for page in pages:
        for row in page:
            writer.writerow([_csv_text(value) for value in rows_of(row)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _xlsx(pages: Iterable[list[SearchRow]]) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
    except ImportError:  # pragma: no cover - the link says what to install
        raise MissingDependencyError("exporting a search as XLSX", extra="server",
                                     package="openpyxl") from None
    book = Workbook(write_only=True)
    sheet = book.create_sheet("search")
    sheet.append(list(COLUMNS))

    def cell(value: Any) -> Any:
        if isinstance(value, datetime):  # Excel has no time zones: UTC, as the header says
            return value.astimezone(UTC).replace(tzinfo=None)
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"  # never a formula, whatever the text begins with
        return text

    for page in pages:
        for row in page:
            sheet.append([cell(value) for value in rows_of(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parquet(pages: Iterable[list[SearchRow]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("cell_id", pa.string()), ("manufacturer", pa.string()),
                        ("model", pa.string()), ("version", pa.int64()),
                        ("updated_at", pa.timestamp("us", tz="UTC")), ("ruleset", pa.string()),
                        ("classified", pa.bool_()), ("category", pa.string()),
                        ("electrolyte_type", pa.string()), ("conducting_ion", pa.string()),
                        ("weight_loss_percent", pa.float64()), ("limit_percent", pa.float64()),
                        ("margin_percent", pa.float64()), ("code", pa.string()),
                        ("result_id", pa.string())])
    out = io.BytesIO()
    with pq.ParquetWriter(out, schema) as writer:
        for page in pages:  # a row group per page read
            columns = list(zip(*(rows_of(row) for row in page), strict=True))
            writer.write_table(pa.table(
                {name: pa.array(values, type=schema.field(name).type)
                 for name, values in zip(COLUMNS, columns, strict=True)}, schema=schema))
    return out.getvalue()


@router.get("/search.{suffix}", response_class=Response)
def export_search(request: Request, suffix: str) -> Response:
    """The current search — its filters and order, every page — as a file."""
    view = View(request)
    export = EXPORT_FORMATS.get(suffix)
    if export is None:
        raise NotFoundError(f"no export as {suffix!r} — use one of: "
                            + ", ".join(f"/search.{s}" for s in EXPORT_FORMATS))
    if not get_settings(request).public_reads:
        return problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))
    asked = asked_search(view)
    if asked.errors:
        return _refused(view)
    registry = get_registry(request)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    filename = f"solidcheck-search-{asked.query.ruleset}-{stamp}.{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    pages = _pages(registry, asked.query)
    if suffix == "csv":
        return StreamingResponse(_csv_lines(pages), media_type=export.media_type,
                                 headers=headers)
    write = _xlsx if suffix == "xlsx" else _parquet
    return Response(heavy.run_blocking(write, pages), media_type=export.media_type,
                    headers=headers)


def _refused(view: View) -> HTMLResponse:
    """A search the page itself would refuse: say so and send the reader to it, where each
    problem is shown at its field."""
    return problem_page(view, 422, "desk_export_refused_title",
                        view.t.said("desk_export_refused"))
