"""The cell page's rule sets side by side (issue 20): for every installed rule set, the latest
version's category, code, deciding rate and margin — or why there is none ("not classified
under X yet", or only for an earlier version), with the Reclassify form a lab key fills in.
The form posts to the page itself (``cell_reclassify.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from ...i18n.numbers import format_quantity
from ...registry import CellDetail, ResultRecord
from ...rules import available_rulesets
from .frame import Lang, View
from .shared import category_term

__all__ = ["FormProblem", "missing_rulesets", "rulesets_side_by_side"]

#: a problem of the Reclassify form: the field it concerns and what the page says
FormProblem = tuple[str, Markup]


def _signed_percent(value: float, lang: Lang) -> str:
    text = format_quantity(value, "percent", lang, against=0.0)
    return f"+{text}" if value > 0 else text


def _latest_under(detail: CellDetail, ruleset_id: str) -> ResultRecord | None:
    """The newest visible result of the latest version under the rule set (results are
    newest first)."""
    return next((r for r in detail.results
                 if r.ruleset == ruleset_id and r.version == detail.latest_version), None)


def missing_rulesets(detail: CellDetail) -> list[str]:
    """The installed rule sets the cell's latest version has no result under."""
    return [r.id for r in available_rulesets() if _latest_under(detail, r.id) is None]


def _column(view: View, detail: CellDetail, ruleset_id: str, title: str) -> dict[str, Any]:
    record = _latest_under(detail, ruleset_id)
    column: dict[str, Any] = {"id": ruleset_id, "title": title, "record": record}
    if record is None:
        earlier = next((r for r in detail.results if r.ruleset == ruleset_id), None)
        column["reason"] = (view.t("ruleset_only_earlier").format(ruleset=ruleset_id,
                                                                   version=earlier.version)
                            if earlier else
                            view.t("ruleset_not_classified").format(ruleset=ruleset_id))
        return column
    result = record.result
    weight_loss = result.weight_loss
    column.update(term=category_term(view, result.category), code=result.code,
                  href=view.cell_href(detail.id, result=record.id), rate=None, margin=None)
    if weight_loss is not None:
        column.update(
            rate=format_quantity(weight_loss.percent, "percent", view.lang,
                                 against=weight_loss.limit_percent),
            margin=_signed_percent(weight_loss.margin_percent, view.lang))
    return column


def rulesets_side_by_side(view: View, detail: CellDetail,
                          problems: Sequence[FormProblem] = ()) -> dict[str, Any]:
    """What the page's rule-set table and Reclassify form show."""
    columns = [_column(view, detail, r.id, view.t.pair(r.ruleset.title, r.ruleset.title_zh))
               for r in available_rulesets()]
    by_field: dict[str, list[Markup]] = {}
    for field, said in problems:
        by_field.setdefault(field, []).append(said)
    labels = {"api_key": view.t("field_api_key_reclassify"), "ruleset": view.t("ruleset")}
    return {
        "ruleset_columns": columns,
        "missing_rulesets": [c["id"] for c in columns if c["record"] is None],
        "reclassify_action": view.cell_href(detail.id),
        "reclassify_errors": [{"href": f"#{field}", "label": labels.get(field, field),
                               "message": said} for field, said in problems],
        "errors_by_field": by_field,
    }
