"""Views several pages show: the rule sets to choose from, category and value names, a result
as its report shows it (verdict, sub-axes, limit, the rates plot with its text alternative),
and a stored result's downloads."""

from __future__ import annotations

import functools
from typing import Any

from markupsafe import Markup

from ...model import CATEGORIES, Dossier, Result
from ...report.parts import (
    ReportWords,
    accessible_svg,
    axis_rows,
    finding_text,
    limit_text,
    rates_figure,
    relation_symbol,
    specimen_rates,
)
from ...rules import Ruleset, available_rulesets
from ...terms import category_terms
from .frame import HTML_LANG, Lang, PageWords, View

__all__ = ["category_term", "downloads", "finding_text", "installed_ruleset", "result_view",
           "ruleset_options", "value_label"]

# finding_text(finding, lang) (report/parts.py) is the one seam through which the pages, like
# the HTML report, say a finding: its message id and parameters in the page's language when
# the finding has them (issue 15), else its English message.


def ruleset_options(view: View) -> list[tuple[str, str]]:
    return [(r.id, f"{r.id} — {view.t.pair(r.ruleset.title, r.ruleset.title_zh)}")
            for r in available_rulesets()]


def installed_ruleset(ruleset_id: str) -> Ruleset | None:
    return next((r for r in available_rulesets() if r.id == ruleset_id), None)


def category_term(view: View, category: str | None) -> str:
    if category not in CATEGORIES:
        return "—"
    terms = category_terms(category)
    return view.t.pair(terms.en, terms.zh)


def value_label(view: View, value: str | None) -> str:
    return view.t(f"value_{value}") if value else "—"


@functools.lru_cache(maxsize=128)
def _rates_svg(result_json: str, lang: Lang, uid: str) -> Markup | None:
    """The report's SVG of the specimens' rates against the limit of every installed rule
    set, with the report's text alternative. Cached: a result never changes, and a cell's
    page is drawn far more often than it is classified."""
    result = Result.model_validate_json(result_json)
    weight_loss = result.weight_loss
    if weight_loss is None:
        return None
    words = PageWords(lang)
    rulesets = available_rulesets()
    rates = specimen_rates(weight_loss)
    limits = ", ".join(f"{r.id} {limit_text(r)}" for r in rulesets)
    alt = f"{words('rates_alt')} {rates}. {words('limit')}: {limits}."
    svg = rates_figure(result, rulesets)  # solidcheck/plotting.py draws one plot at a time
    return accessible_svg(svg, f"{uid}-rates", alt)


def result_view(view: View, result: Result, dossier: Dossier | None, uid: str) -> dict[str, Any]:
    """Everything the verdict, the reasons and the weight-loss section show of a result."""
    ruleset = installed_ruleset(result.ruleset)
    weight_loss = result.weight_loss
    return {
        "uid": uid,
        "result": result,
        "dossier": dossier,
        "term": view.t.pair(result.terms.en, result.terms.zh),
        "other_term": result.terms.zh if view.lang == "en" else result.terms.en,
        "other_lang": HTML_LANG["zh" if view.lang == "en" else "en"],
        "axes": axis_rows(result, ReportWords(view.lang)),
        "ruleset_title": view.t.pair(ruleset.ruleset.title, ruleset.ruleset.title_zh)
        if ruleset else None,
        "limit": f"{relation_symbol(weight_loss.comparison)} {weight_loss.limit_percent:g} %"
        if weight_loss else None,
        "rates_svg": _rates_svg(result.model_dump_json(), view.lang, uid),
    }


def downloads(view: View, result_id: str) -> list[dict[str, str]]:
    return [{"href": view.result_href(result_id, fmt), "label": view.t(f"download_{fmt}"),
             "fmt": fmt} for fmt in ("html", "pdf", "json")]
