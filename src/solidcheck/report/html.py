"""The HTML report: one self-contained page (inline CSS and SVG, no script, no external URL).

:func:`render_html` is a pure function of :class:`~solidcheck.report.model.ReportItem`\\ s:
it reads no dossier and no evidence file (``report.model.load_report_item`` does). Every
string from a dossier is escaped (Jinja2 autoescape); plots are drawn with matplotlib into
SVG in memory and carry a text alternative; the words of the page come from
``report/locales/labels.toml`` in English, Chinese or both.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .._version import __version__
from ..build import summary_said
from ..errors import InvalidInputError, Problem
from ..model import Evidence, Result
from ..plotting import DARK
from ..rules import Ruleset, available_rulesets, ruleset_by_id
from .model import ReportItem
from .oven import oven_alt, oven_figure
from .parts import (
    Lang,
    ReportWords,
    accessible_svg,
    axis_rows,
    limit_text,
    rates_figure,
    relation_symbol,
    specimen_rates,
)

__all__ = ["Lang", "ReportItem", "render_html"]

LANGS: tuple[Lang, ...] = ("en", "zh", "zh-Hant", "both")
_HTML_LANG = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-Hant", "both": "en"}

# --- the QR code --------------------------------------------------------------------------

def _qr_svg(payload: str, label: str) -> Markup:
    import segno  # a dependency; imported here so that pages without a QR code never load it

    try:
        code = segno.make(payload, error="m", micro=False)
    except segno.DataOverflowError:
        raise InvalidInputError([Problem("qr_payload", f"{len(payload)} characters are too "
                                         "many for a QR code", "give a shorter payload, e.g. "
                                         "a URL or a digest")]) from None
    svg = code.svg_inline(scale=3, dark=DARK, light="#ffffff", omitsize=False)
    return accessible_svg(svg, "qr", label)


# --- the page -------------------------------------------------------------------------------

def _ruleset_for(result: Result, applied: dict[str, Ruleset]) -> Ruleset:
    if result.ruleset in applied:
        return applied[result.ruleset]
    return ruleset_by_id(result.ruleset)


def _evidence_summary(evidence: Evidence, words: ReportWords) -> Markup | None:
    """The dossier's summary of an evidence file in the report's language; the stored English
    of a dossier built without a summary id, marked as English."""
    said = summary_said(evidence)
    if said is not None:
        return escape(said.text(words.lang))
    return None if evidence.summary is None else words.english(evidence.summary)


def _item_view(number: int, item: ReportItem, words: ReportWords, installed: Sequence[Ruleset],
               applied: dict[str, Ruleset]) -> dict[str, Any]:
    result = item.result
    ruleset = _ruleset_for(result, applied)
    plot_rulesets = list(installed)
    if all(r.id != ruleset.id for r in plot_rulesets):
        plot_rulesets.append(ruleset)
    uid = f"cell{number}"
    view: dict[str, Any] = {
        "uid": uid,
        "item": item,
        "result": result,
        "ruleset": ruleset,
        "ruleset_title": words.pair(ruleset.ruleset.title, ruleset.ruleset.title_zh),
        "term": words.pair(result.terms.en, result.terms.zh),
        "axes": axis_rows(result, words),
        "issues": sum(f.severity in ("error", "warning") for f in result.findings),
        "rates_svg": None,
        "oven_svg": None,
        "oven_note": None,
        "has_oven_evidence": any(e.kind == "oven_log" for e in item.dossier.evidence),
        "evidence": [(evidence, next((c for c in item.evidence_checks if c.evidence == evidence),
                                     None), _evidence_summary(evidence, words))
                     for evidence in item.dossier.evidence],
    }
    weight_loss = result.weight_loss
    if weight_loss is not None:
        view["limit"] = f"{relation_symbol(weight_loss.comparison)} {weight_loss.limit_percent:g} %"
        rates = specimen_rates(weight_loss)
        limits = ", ".join(f"{r.id} {limit_text(r)}" for r in plot_rulesets)
        alt = f"{words.plain('rates_alt')} {rates}. {words.plain('limit')}: {limits}."
        view["rates_svg"] = accessible_svg(rates_figure(result, plot_rulesets),
                                            f"{uid}-rates", alt)
        view["rates_alt"] = alt
    if item.oven_log is not None and item.oven_log_conditions is not None:
        evidence_file = (item.oven_log_evidence.file if item.oven_log_evidence
                         else item.oven_log.source)
        alt = oven_alt(words.plain, evidence_file, item.oven_log, item.oven_log_conditions,
                       lang="en" if words.lang == "both" else words.lang)
        svg = oven_figure(item.oven_log, item.oven_log_conditions, words=words.plain)
        view["oven_svg"] = accessible_svg(svg, f"{uid}-oven", alt)
        view["oven_alt"] = alt
        view["oven_file"] = evidence_file
    else:
        for check in item.evidence_checks:
            if check.evidence.kind == "oven_log" and check.status != "verified":
                view["oven_note"] = check
                break
    return view


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("solidcheck", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(results: Sequence[ReportItem], *, lang: Lang = "en",
                qr_payload: str | None = None) -> str:
    """One self-contained HTML page: a summary (for several cells) and a section per cell."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if not results:
        raise ValueError("a report needs at least one result")
    words = ReportWords(lang)
    installed = available_rulesets()
    applied = {r.id: r for r in installed}
    cells = [_item_view(number, item, words, installed, applied)
             for number, item in enumerate(results, start=1)]
    title = words.plain("report_title")
    if len(results) == 1:
        title += f" — {results[0].result.dossier_id}"
    qr = None
    if qr_payload is not None:
        qr = _qr_svg(qr_payload, f"{words.plain('scan_to_verify')}: {qr_payload}")
    template = _environment().get_template("report.html.j2")
    return template.render(
        t=words, english=words.english, lang=lang, html_lang=_HTML_LANG[lang], title=title,
        cells=cells, version=__version__, qr=qr, qr_payload=qr_payload,
        rulesets=sorted({c["ruleset"].id: c["ruleset"] for c in cells}.values(),
                        key=lambda r: r.id),
    )
