"""What a search asks for, read from its address — the filters, the order, the page's place —
as the search page and its exports both read it: a value no menu offers is an error at its
field, an order or page link that does not fit is an error of the form."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any, cast

from ...model import CATEGORIES, IONS, SOLID_TYPES
from ...registry import SORT_KEYS, SearchQuery
from ...rules import default_ruleset_id
from ..classify_form import FormErrors
from .frame import View, plain
from .shared import installed_ruleset

__all__ = ["EXPORT_FORMATS", "FILTER_NAMES", "SEARCH_LABELS", "AskedSearch", "ExportFormat",
           "asked_search", "export_links"]

FILTER_NAMES = ("q", "category", "electrolyte", "ion", "manufacturer", "ruleset")
_MENUS: dict[str, tuple[str, ...]] = {"category": CATEGORIES, "electrolyte": SOLID_TYPES,
                                      "ion": IONS}
#: the form's fields in its order, with their labels (the error summary's order)
SEARCH_LABELS = {"q": "search_text", "manufacturer": "manufacturer", "category": "category",
                 "electrolyte": "electrolyte", "ion": "ion", "ruleset": "ruleset"}
#: the order when none is asked for (newest first), and each column's first direction
DEFAULT_SORT = "updated"
_FIRST_DESCENDING = {"updated"}


@dataclass(frozen=True)
class AskedSearch:
    """The search asked for: ``filters`` as typed (for the form and the links), ``query``
    for the registry, and the page's place (at most one of ``after`` and ``before``)."""

    filters: dict[str, str]
    query: SearchQuery
    sort: str
    descending: bool
    after: str | None
    before: str | None
    errors: FormErrors

    def params(self, **changes: str | None) -> dict[str, Any]:
        """The address's parameters of this search (filters and order), changed by
        ``changes`` (a None removes one): what a link that keeps the search carries."""
        kept: dict[str, Any] = {k: v for k, v in self.filters.items() if v}
        if self.sort != DEFAULT_SORT or self.descending != (self.sort in _FIRST_DESCENDING):
            kept["sort"] = self.sort
            kept["dir"] = "desc" if self.descending else "asc"
        kept.update(changes)
        return {k: v for k, v in kept.items() if v is not None}

    def sorted_by(self, sort: str) -> dict[str, Any]:
        """The parameters of this search ordered by ``sort``: the other direction when it
        is already ordered by it, else that column's first direction."""
        descending = (not self.descending if sort == self.sort
                      else sort in _FIRST_DESCENDING)
        return {**{k: v for k, v in self.filters.items() if v}, "sort": sort,
                "dir": "desc" if descending else "asc"}


def asked_search(view: View) -> AskedSearch:
    params = view.request.query_params
    filters = {name: plain(params.get(name, "")) for name in FILTER_NAMES}
    errors = FormErrors()
    for name, allowed in _MENUS.items():
        if filters[name] and filters[name] not in allowed:
            errors.add(name, view.t.said("unknown_choice"))
    if filters["ruleset"] and installed_ruleset(filters["ruleset"]) is None:
        errors.add("ruleset", view.t.said("unknown_choice"))
    sort = plain(params.get("sort", "")) or DEFAULT_SORT
    direction = plain(params.get("dir", ""))
    if sort not in SORT_KEYS:
        errors.add("", view.t.said("desk_unknown_sort"))
        sort = DEFAULT_SORT
    if direction not in ("", "asc", "desc"):
        errors.add("", view.t.said("desk_unknown_sort"))
        direction = ""
    descending = direction == "desc" if direction else sort in _FIRST_DESCENDING
    after = plain(params.get("after", ""), 2000) or None
    before = plain(params.get("before", ""), 2000) or None
    if after and before:
        errors.add("", view.t.said("desk_stale_link"))
        after = before = None
    query = SearchQuery(
        ruleset=filters["ruleset"] if installed_ruleset(filters["ruleset"]) else
        default_ruleset_id(),
        text=filters["q"] or None, category=filters["category"] or None,
        electrolyte_type=filters["electrolyte"] or None, conducting_ion=filters["ion"] or None,
        manufacturer=filters["manufacturer"] or None,
        sort=cast("Any", sort), descending=descending)
    return AskedSearch(filters=filters, query=query, sort=sort, descending=descending,
                       after=after, before=before, errors=errors)


@dataclass(frozen=True)
class ExportFormat:
    """A format the search exports to: its suffix, media type, label, and the library it
    needs with the extra that installs it."""

    suffix: str
    media_type: str
    label_key: str
    module: str
    extra: str


EXPORT_FORMATS: dict[str, ExportFormat] = {f.suffix: f for f in (
    ExportFormat("csv", "text/csv; charset=utf-8", "desk_export_csv", "csv", ""),
    ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "desk_export_xlsx", "openpyxl", "server"),
    ExportFormat("parquet", "application/vnd.apache.parquet", "desk_export_parquet", "pyarrow",
                 ""),
)}


def export_links(view: View, asked: AskedSearch) -> list[dict[str, Any]]:
    """A link per format exporting this search (filters and order, every page); a format
    whose library is not installed says what to install instead."""
    links = []
    for export in EXPORT_FORMATS.values():
        installed = importlib.util.find_spec(export.module) is not None
        links.append({"label": view.t(export.label_key), "suffix": export.suffix,
                      "href": view.href(f"/search.{export.suffix}", **asked.params())
                      if installed else None,
                      "install": None if installed else
                      f"pip install 'solidcheck[{export.extra}]'"})
    return links
