"""The search page (``/``): the registry's published cells, searched by text and filtered by
category, electrolyte, ion, maker and rule set, a page at a time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...model import CATEGORIES, IONS, SOLID_TYPES
from ...registry import CellSummary
from ..classify_form import FormErrors
from ..deps import get_registry, get_settings
from .forms import error_list, errors_by_field
from .frame import View, plain, problem_page, render, whole_number
from .navigation import MenuEntry, Page
from .shared import category_term, installed_ruleset, ruleset_options, value_label

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/", "nav_search", place=10))

PAGE_SIZE = 20
_SEARCH_FILTERS: dict[str, tuple[str, ...]] = {"category": CATEGORIES, "electrolyte": SOLID_TYPES,
                                               "ion": IONS}
_SEARCH_LABELS = {"category": "category", "electrolyte": "electrolyte", "ion": "ion",
                  "ruleset": "ruleset"}


def _search_options(view: View) -> dict[str, list[tuple[str, str]]]:
    return {
        "category": [(c, category_term(view, c)) for c in CATEGORIES],
        "electrolyte": [(v, value_label(view, v)) for v in SOLID_TYPES],
        "ion": [(v, value_label(view, v)) for v in IONS],
        "ruleset": ruleset_options(view),
    }


def _search_filters(view: View) -> tuple[dict[str, str], FormErrors]:
    """The filters asked for; a value no menu offers is an error at its field."""
    params = view.request.query_params
    filters = {name: plain(params.get(name, ""))
               for name in ("q", "category", "electrolyte", "ion", "manufacturer", "ruleset")}
    errors = FormErrors()
    for name, allowed in _SEARCH_FILTERS.items():
        if filters[name] and filters[name] not in allowed:
            errors.add(name, view.t.said("unknown_choice"))
    if filters["ruleset"] and installed_ruleset(filters["ruleset"]) is None:
        errors.add("ruleset", view.t.said("unknown_choice"))
    return filters, errors


def _search_row(view: View, cell: CellSummary) -> dict[str, Any]:
    return {"cell": cell, "href": view.cell_href(cell.id),
            "category": category_term(view, cell.category),
            "electrolyte": value_label(view, cell.electrolyte_type),
            "ion": value_label(view, cell.conducting_ion)}


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    """The registry, searched by text and filtered by category, electrolyte, ion, maker."""
    view = View(request)
    if not get_settings(request).public_reads:
        return problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))
    filters, errors = _search_filters(view)
    page_number = whole_number(request.query_params.get("page", ""), below=1_000_000) or 1
    found = None if errors else get_registry(request).list_cells(
        text=filters["q"] or None, category=filters["category"] or None,
        electrolyte_type=filters["electrolyte"] or None, conducting_ion=filters["ion"] or None,
        manufacturer=filters["manufacturer"] or None, ruleset=filters["ruleset"] or None,
        published_only=True, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)

    def page_href(number: int) -> str:
        return view.href("/", **{k: v for k, v in filters.items() if v}, page=number)

    return render(
        view, "search.html.j2", title=view.t("search_title"), filters=filters,
        options=_search_options(view),
        rows=[_search_row(view, cell) for cell in found.items] if found else [],
        total=found.total if found else 0, page=page_number,
        pages=max(1, -(-found.total // PAGE_SIZE)) if found else 0, page_href=page_href,
        errors=error_list(view, errors, _SEARCH_LABELS, "search-form"),
        errors_by_field=errors_by_field(view, errors), status=422 if errors else 200)
