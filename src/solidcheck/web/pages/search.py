"""The search page (``/``), the registry's desk: the published cells searched by text and
filtered by category, electrolyte, ion, maker and rule set; sorted by any column (on the
server: the order is the registry's, so every page and the export agree) and paged by key;
their counts per category under every installed rule set, as a table and a small chart;
and links exporting the whole search (``search_export.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...errors import InvalidInputError
from ...model import CATEGORIES, IONS, SOLID_TYPES
from ...registry import CategoryCounts, SearchPage, SearchQuery, SearchRow
from ...rules import available_rulesets
from ..deps import get_registry, get_settings
from .forms import error_list, errors_by_field
from .frame import View, problem_page, render
from .navigation import MenuEntry, Page
from .search_chart import Bar, Segment, counts_svg, described
from .search_params import SEARCH_LABELS, AskedSearch, asked_search, export_links
from .shared import category_term, ruleset_options, value_label

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/", "nav_search", place=10))

PAGE_SIZE = 20
#: the table's columns: the sort key, the label of its header, whether it holds numbers
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("cell", "cell", False), ("manufacturer", "manufacturer", False),
    ("model", "model", False), ("category", "category", False),
    ("electrolyte", "electrolyte", False), ("ion", "ion", False),
    ("rate", "desk_rate_header", True), ("margin", "desk_margin_header", True),
    ("code", "code", False))


def _search_options(view: View) -> dict[str, list[tuple[str, str]]]:
    return {
        "category": [(c, category_term(view, c)) for c in CATEGORIES],
        "electrolyte": [(v, value_label(view, v)) for v in SOLID_TYPES],
        "ion": [(v, value_label(view, v)) for v in IONS],
        "ruleset": ruleset_options(view),
    }


def _number(value: float | None) -> str:
    """A stored percentage as written (``g``: no float noise added), minus as U+2212."""
    return "—" if value is None else f"{value:g}".replace("-", "\u2212")


def _row(view: View, row: SearchRow) -> dict[str, Any]:
    classified = row.result_id is not None
    return {"row": row, "href": view.cell_href(row.cell_id), "classified": classified,
            "category": category_term(view, row.category) if classified else
            view.t("desk_not_classified_under").format(ruleset=row.ruleset),
            "electrolyte": value_label(view, row.electrolyte_type),
            "ion": value_label(view, row.conducting_ion),
            "rate": _number(row.weight_loss_percent), "margin": _number(row.margin_percent)}


def _headers(view: View, asked: AskedSearch) -> list[dict[str, Any]]:
    """Each header: its words, the link that sorts by it, and how the table is sorted by it
    now (``aria-sort`` and the arrow)."""
    headers = []
    for key, label, numeric in COLUMNS:
        current = asked.sort == key
        state = ("descending" if asked.descending else "ascending") if current else None
        headers.append({"key": key, "label": view.t(label), "numeric": numeric,
                        "href": view.href("/", **asked.sorted_by(key)), "aria_sort": state,
                        "arrow": {"ascending": "▲", "descending": "▼"}.get(state or "", "↕"),
                        "code": key == "code"})
    return headers


def _counts(view: View, counts: list[CategoryCounts]) -> dict[str, Any]:
    """The counts per category per rule set as the chart and as a table (a row per category,
    a column per rule set: narrow enough for a phone)."""
    not_classified = view.t("desk_not_classified")
    bars = [Bar(c.ruleset, [*(Segment(cat, category_term(view, cat), c.by_category.get(cat, 0))
                              for cat in CATEGORIES),
                            Segment("", not_classified, c.unclassified)]) for c in counts]
    labels = [category_term(view, cat) for cat in CATEGORIES] + [not_classified]
    return {"rulesets": [bar.ruleset for bar in bars],
            "rows": [{"label": label, "category": category,
                      "counts": [bar.segments[index].count for bar in bars]}
                     for index, (label, category) in enumerate(zip(labels, [*CATEGORIES, ""],
                                                                  strict=True))],
            "totals": [bar.total for bar in bars],
            "svg": counts_svg(bars, uid="desk-counts", title=view.t("desk_counts_title"),
                              description=described(bars)) if bars else None}


def _place(view: View, asked: AskedSearch, found: SearchPage) -> dict[str, Any]:
    """'rows a–b of N' and the links to the pages before and after, keeping the search."""
    if not found.rows:
        return {"text": "", "previous": None, "next": None}
    return {"text": view.t("desk_rows_of").format(first=found.first_position,
                                                  last=found.last_position, total=found.total),
            "previous": view.href("/", **asked.params(before=found.rows[0].cursor))
            if found.first_position > 1 else None,
            "next": view.href("/", **asked.params(after=found.rows[-1].cursor))
            if found.last_position < found.total else None}


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    """The registry, searched, sorted and paged; counts per category under each rule set."""
    view = View(request)
    if not get_settings(request).public_reads:
        return problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))
    asked = asked_search(view)
    errors = asked.errors
    registry = get_registry(request)
    found = counts = None
    unclassified = 0
    if not errors:
        try:
            found = registry.search_cells(asked.query, after=asked.after, before=asked.before,
                                          limit=PAGE_SIZE, published_only=True)
        except InvalidInputError:  # a page link of another order, or altered
            errors.add("", view.t.said("desk_stale_link"))
    if found is not None:
        counts = registry.search_counts(asked.query, published_only=True,
                                        rulesets=[r.id for r in available_rulesets()])
        ruleset_id = asked.query.ruleset or ""
        unclassified = registry.search_counts(SearchQuery(ruleset=ruleset_id),
                                              rulesets=[ruleset_id],
                                              published_only=True)[0].unclassified
    return render(
        view, "search.html.j2", title=view.t("search_title"), filters=asked.filters,
        options=_search_options(view),
        sort={k: v for k, v in asked.params().items() if k in ("sort", "dir")},
        headers=_headers(view, asked),
        rows=[_row(view, row) for row in found.rows] if found else [],
        total=found.total if found else 0,
        place=_place(view, asked, found) if found else {"text": "", "previous": None,
                                                          "next": None},
        counts=_counts(view, counts) if counts else None,
        unclassified=unclassified, ruleset_id=asked.query.ruleset,
        exports=export_links(view, asked) if found and found.total else [],
        errors=error_list(view, errors, SEARCH_LABELS, "search-form"),
        errors_by_field=errors_by_field(view, errors), status=422 if errors else 200)
