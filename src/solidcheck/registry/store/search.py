"""The search desk's reads: the cells a search finds, sorted by any column and paged by key
(never OFFSET: a page deep in a million rows costs what the first one does), their counts
per category under each rule set, and the whole search a page at a time for export.

A row is a cell's newest version the reader may see and its latest result under the rule set
searched (none: not classified under it). The deciding weight-loss rate and its margin to the
limit are read from the stored result (``content.weight_loss``), so nothing new is stored.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Select

from ...errors import InvalidInputError, Problem
from ...model import CATEGORIES
from ...rules import ruleset_by_id
from ..schema import Cell, DossierVersion, ResultRow
from ._shared import aware
from .ownership import writable_cell

__all__ = ["SORT_KEYS", "CategoryCounts", "SearchMixin", "SearchPage", "SearchQuery",
           "SearchRow"]

SortKey = Literal["updated", "cell", "manufacturer", "model", "category", "electrolyte",
                  "ion", "code", "rate", "margin"]
#: the columns a search sorts by, as the page's ``sort`` parameter names them
SORT_KEYS: tuple[SortKey, ...] = ("updated", "cell", "manufacturer", "model", "category",
                                  "electrolyte", "ion", "code", "rate", "margin")


@dataclass(frozen=True)
class SearchQuery:
    """What a search asks for: the rule set its results are under, its filters, its order."""

    #: a rule set's id; None: the default rule set
    ruleset: str | None = None
    text: str | None = None
    category: str | None = None
    electrolyte_type: str | None = None
    conducting_ion: str | None = None
    manufacturer: str | None = None
    sort: SortKey = "updated"
    descending: bool = True


@dataclass(frozen=True)
class SearchRow:
    """A cell as the desk lists it; the result's fields are None when it has no result under
    the rule set searched (``result_id`` None)."""

    cell_id: str
    manufacturer: str | None
    model: str | None
    version: int
    updated_at: datetime
    ruleset: str
    result_id: str | None
    category: str | None
    electrolyte_type: str | None
    conducting_ion: str | None
    code: str | None
    weight_loss_percent: float | None
    limit_percent: float | None
    margin_percent: float | None
    #: this row's place in the order: pass it as ``after`` (or ``before``) for the next page
    cursor: str


@dataclass(frozen=True)
class SearchPage:
    rows: list[SearchRow]
    #: every row the search finds, on all pages (-1: not counted)
    total: int
    #: the place of the first row among them, from 1 (0 when the page is empty; -1: not
    #: counted)
    first_position: int

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class CategoryCounts:
    """How the cells of a search are classified under one rule set."""

    ruleset: str
    #: category → cells (only the categories that occur)
    by_category: dict[str, int]
    #: cells with no result under this rule set
    unclassified: int

    @property
    def total(self) -> int:
        return sum(self.by_category.values()) + self.unclassified


# --------------------------------------------------------------------------- the query

_Rows: TypeAlias = Select[*tuple[Any, ...]]

_RATE = ResultRow.content["weight_loss"]["percent"].as_float()
_LIMIT = ResultRow.content["weight_loss"]["limit_percent"].as_float()
_MARGIN = ResultRow.content["weight_loss"]["margin_percent"].as_float()
_CATEGORY_RANK = case({c: rank for rank, c in enumerate(CATEGORIES)}, value=ResultRow.category)


def _latest_results(ruleset_id: str, *, published_only: bool, lab: str | None) -> Any:
    """Each dossier version's latest result under the rule set that the reader may see: a
    table (``version_pk``, ``result_pk``) ranked once by a window, not a subquery per row
    (which, without an index on the results' version, made a registry of 3000 cells take
    over a minute a page)."""
    ranked = (select(ResultRow.dossier_version_id.label("version_pk"),
                     ResultRow.id.label("result_pk"),
                     func.row_number().over(partition_by=ResultRow.dossier_version_id,
                                            order_by=ResultRow.created_at.desc())
                     .label("newest"))
              .where(ResultRow.ruleset == ruleset_id))
    if published_only:
        ranked = (ranked.join(Cell, Cell.id == ResultRow.cell_id)
                  .where(or_(ResultRow.published.is_(True), writable_cell(lab))))
    ranked_table = ranked.subquery()
    return (select(ranked_table.c.version_pk, ranked_table.c.result_pk)
            .where(ranked_table.c.newest == 1).subquery())


def _shown_versions(lab: str | None) -> Any:
    """Each cell's newest version the reader may see (one with a published result, or any
    of a cell ``lab`` may write): a table (``cell_pk``, ``version``)."""
    version, row = aliased(DossierVersion), aliased(ResultRow)
    return (select(version.cell_id.label("cell_pk"), func.max(version.version).label("version"))
            .join(Cell, Cell.id == version.cell_id)
            .outerjoin(row, (row.dossier_version_id == version.id) & row.published.is_(True))
            .where(or_(row.id.is_not(None), writable_cell(lab)))
            .group_by(version.cell_id).subquery())


def _found(query: SearchQuery, *, published_only: bool, lab: str | None) -> _Rows:
    """Cells, their shown version and latest result under the rule set, filtered."""
    found: _Rows = select(Cell.dossier_id, DossierVersion.manufacturer, DossierVersion.model,
                          DossierVersion.version, DossierVersion.created_at, ResultRow.id,
                          ResultRow.category, ResultRow.electrolyte_type,
                          ResultRow.conducting_ion, ResultRow.code, _RATE, _LIMIT,
                          _MARGIN).select_from(Cell)
    if published_only:  # the newest version the reader may see; none: not listed
        shown = _shown_versions(lab)
        found = (found.join(shown, shown.c.cell_pk == Cell.id)
                 .join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                       & (DossierVersion.version == shown.c.version)))
    else:
        found = found.join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                           & (DossierVersion.version == Cell.latest_version))
    latest = _latest_results(query.ruleset or "", published_only=published_only, lab=lab)
    found = (found.outerjoin(latest, latest.c.version_pk == DossierVersion.id)
             .outerjoin(ResultRow, ResultRow.id == latest.c.result_pk))
    for column, wanted in ((ResultRow.category, query.category),
                           (ResultRow.electrolyte_type, query.electrolyte_type),
                           (ResultRow.conducting_ion, query.conducting_ion)):
        if wanted:
            found = found.where(column == wanted)
    if query.manufacturer:
        found = found.where(func.lower(DossierVersion.manufacturer).contains(
            query.manufacturer.lower(), autoescape=True))
    if query.text:
        needle = query.text.lower()
        found = found.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                  for column in (Cell.dossier_id, DossierVersion.manufacturer,
                                                 DossierVersion.model, ResultRow.code))))
    return found


def _sort_columns(sort: SortKey) -> list[tuple[ColumnElement[Any], Any]]:
    """The order's columns, each with the value standing in for NULL: a nullable column is
    preceded by a flag that puts its empty rows last whichever way it is sorted."""
    column: ColumnElement[Any] = {
        "updated": DossierVersion.created_at, "cell": Cell.dossier_id,
        "manufacturer": DossierVersion.manufacturer, "model": DossierVersion.model,
        "category": _CATEGORY_RANK, "electrolyte": ResultRow.electrolyte_type,
        "ion": ResultRow.conducting_ion, "code": ResultRow.code, "rate": _RATE,
        "margin": _MARGIN}[sort]
    filler: Any = {"category": 0, "rate": 0.0, "margin": 0.0}.get(sort, "")
    if sort in ("updated", "cell"):
        return [(column, None)]
    return [(column, filler)]


@dataclass(frozen=True)
class _Key:
    """One term of the order: an expression and its direction."""

    expression: ColumnElement[Any]
    descending: bool


def _keys(query: SearchQuery) -> list[_Key]:
    keys: list[_Key] = []
    for column, filler in _sort_columns(query.sort):
        if filler is None:
            keys.append(_Key(column, query.descending))
        else:
            keys.append(_Key(case((column.is_(None), 1), else_=0), False))
            keys.append(_Key(func.coalesce(column, literal(filler)), query.descending))
    if query.sort != "cell":  # the cell id breaks ties: every row has its own place
        keys.append(_Key(Cell.__table__.c.dossier_id, query.descending))
    return keys


def _beyond(keys: list[_Key], values: list[Any], *, forward: bool) -> ColumnElement[bool]:
    """Rows after (``forward``) or before the row whose key is ``values``, in the order."""
    alternatives = []
    for index, key in enumerate(keys):
        greater = key.descending != forward  # ascending and forward: a greater value is beyond
        step = key.expression > values[index] if greater else key.expression < values[index]
        alternatives.append(and_(*(k.expression == v for k, v in
                                   zip(keys[:index], values[:index], strict=True)), step))
    return or_(*alternatives)


def _encoded(query: SearchQuery, values: Sequence[Any]) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    text = json.dumps([query.sort, query.descending, plain], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decoded(query: SearchQuery, cursor: str, keys: list[_Key], name: str) -> list[Any]:
    """A cursor's key; one from another order or altered is refused with how to go on."""
    try:
        sort, descending, plain = json.loads(base64.urlsafe_b64decode(
            cursor + "=" * (-len(cursor) % 4)))
        if [sort, descending] != [query.sort, query.descending] or len(plain) != len(keys):
            raise ValueError("another order")
        return [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in plain]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError([Problem(
            name, "this page link does not belong to the search's order",
            "start again from the first page of the search")]) from None


def _with_keys(found: _Rows, keys: list[_Key]) -> _Rows:
    return found.add_columns(*(key.expression for key in keys))


def _ordered(found: _Rows, keys: list[_Key], *, reverse: bool) -> _Rows:
    return found.order_by(*(key.expression.desc() if key.descending != reverse
                            else key.expression.asc() for key in keys))


def _row(query: SearchQuery, record: Any, keys: list[_Key]) -> SearchRow:
    (cell_id, manufacturer, model, version, created_at, result_id, category, electrolyte, ion,
     code, rate, limit, margin) = record[:13]
    return SearchRow(cell_id=cell_id, manufacturer=manufacturer, model=model, version=version,
                     updated_at=aware(created_at), ruleset=query.ruleset or "", result_id=result_id,
                     category=category, electrolyte_type=electrolyte, conducting_ion=ion,
                     code=code, weight_loss_percent=rate, limit_percent=limit,
                     margin_percent=margin, cursor=_encoded(query, record[13:13 + len(keys)]))


def search_page(session: Session, query: SearchQuery, *, after: str | None,
                before: str | None, limit: int, published_only: bool,
                lab: str | None, counted: bool = True) -> SearchPage:
    """A page of rows; ``counted``: with the total and the page's place (two counts more;
    an export reading every page needs neither: its total and places are -1)."""
    found = _found(query, published_only=published_only, lab=lab)
    keys = _keys(query)
    total = (session.scalar(select(func.count()).select_from(found.subquery())) or 0
             if counted else -1)
    page = _with_keys(found, keys)
    if before is not None:
        values = _decoded(query, before, keys, "before")
        page = _ordered(page.where(_beyond(keys, values, forward=False)), keys, reverse=True)
        records = list(reversed(session.execute(page.limit(limit)).all()))
    else:
        if after is not None:
            page = page.where(_beyond(keys, _decoded(query, after, keys, "after"),
                                      forward=True))
        records = list(session.execute(_ordered(page, keys, reverse=False).limit(limit)).all())
    rows = [_row(query, record, keys) for record in records]
    first_position = 0 if counted else -1
    if rows and counted:
        first_values = list(records[0][13:13 + len(keys)])
        earlier = found.where(_beyond(keys, first_values, forward=False))
        first_position = 1 + (session.scalar(
            select(func.count()).select_from(earlier.subquery())) or 0)
    return SearchPage(rows=rows, total=total, first_position=first_position)


def category_counts(session: Session, query: SearchQuery, ruleset_id: str, *,
                    published_only: bool, lab: str | None) -> CategoryCounts:
    """The cells ``query`` finds, counted by their category under ``ruleset_id``."""
    found = (_found(query, published_only=published_only, lab=lab)
             .with_only_columns(DossierVersion.id.label("version_pk"))
             .subquery())
    latest = _latest_results(ruleset_id, published_only=published_only, lab=lab)
    shown = aliased(ResultRow)
    counted = (select(shown.category, func.count())
               .select_from(found)
               .outerjoin(latest, latest.c.version_pk == found.c.version_pk)
               .outerjoin(shown, shown.id == latest.c.result_pk)
               .group_by(shown.category))
    by_category: dict[str, int] = {}
    unclassified = 0
    for category, number in session.execute(counted).all():
        if category is None:
            unclassified = number
        else:
            by_category[category] = number
    return CategoryCounts(ruleset=ruleset_id, by_category=by_category,
                          unclassified=unclassified)


class SearchMixin:
    """The search desk's reads of ``Registry`` (one read transaction each)."""

    if TYPE_CHECKING:
        def _reading(self) -> AbstractContextManager[Session]: ...

    def search_cells(self, query: SearchQuery, *, after: str | None = None,
                     before: str | None = None, limit: int = 20, published_only: bool = False,
                     lab: str | None = None) -> SearchPage:
        """A page of the cells ``query`` finds: the first, or the one after (before) the row
        whose ``cursor`` is given. ``published_only`` and ``lab`` as for ``list_cells``."""
        checked = _checked(query)
        with self._reading() as session:
            return search_page(session, checked, after=after, before=before, limit=limit,
                               published_only=published_only, lab=lab)

    def search_counts(self, query: SearchQuery, *, rulesets: Sequence[str],
                      published_only: bool = False,
                      lab: str | None = None) -> list[CategoryCounts]:
        """The cells ``query`` finds, counted by category under each of ``rulesets``."""
        checked = _checked(query)
        ids = [ruleset_by_id(ruleset).id for ruleset in rulesets]
        with self._reading() as session:
            return [category_counts(session, checked, ruleset_id,
                                    published_only=published_only, lab=lab)
                    for ruleset_id in ids]

    def search_all(self, query: SearchQuery, *, page_rows: int = 1000,
                   published_only: bool = False,
                   lab: str | None = None) -> Iterator[list[SearchRow]]:
        """Every row ``query`` finds, in its order, a page at a time, each page read in its
        own transaction (an export of a large registry holds no long one)."""
        if page_rows < 1:
            raise ValueError("page_rows must be at least 1")
        checked = _checked(query)
        after: str | None = None
        while True:
            with self._reading() as session:
                page = search_page(session, checked, after=after, before=None,
                                   limit=page_rows, published_only=published_only, lab=lab,
                                   counted=False)
            if not page.rows:
                return
            yield page.rows
            if len(page.rows) < page_rows:
                return
            after = page.rows[-1].cursor


def _checked(query: SearchQuery) -> SearchQuery:
    """The query with its rule set's id as installed (an unknown one is refused)."""
    if query.sort not in SORT_KEYS:
        raise InvalidInputError([Problem("sort", f"cannot sort by {query.sort!r}",
                                         f"sort by one of {', '.join(SORT_KEYS)}")])
    return replace(query, ruleset=ruleset_by_id(query.ruleset).id)
