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
import numpy as np
import numpy.typing as npt
from markupsafe import Markup, escape
from matplotlib.figure import Figure

from .._version import __version__
from ..build import summary_said
from ..conditions import ConditionsAnalysis
from ..errors import InvalidInputError, Problem
from ..i18n import format_quantity
from ..model import Evidence, Result
from ..plotting import BLUE, DARK, GREEN, HOLD, RED, plot_style, svg_of
from ..readers import Reading
from ..rules import Ruleset, available_rulesets, ruleset_by_id
from .model import ReportItem
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
Floats = npt.NDArray[np.float64]

_MAX_PLOT_POINTS = 2000  # per channel; longer logs keep each bucket's minimum and maximum


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# --- the oven log --------------------------------------------------------------------------

def _column(reading: Reading, name: str) -> Floats | None:
    if not reading.has(name):
        return None
    column = reading.table.column(name).cast("float64")
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _decimate(time_s: Floats, values: Floats) -> tuple[Floats, Floats]:
    """At most about _MAX_PLOT_POINTS points, keeping every bucket's extremes (spikes show)."""
    if time_s.size <= _MAX_PLOT_POINTS:
        return time_s, values
    buckets = np.array_split(np.arange(time_s.size), _MAX_PLOT_POINTS // 2)
    keep: list[int] = []
    for bucket in buckets:
        chunk = values[bucket]
        if np.all(np.isnan(chunk)):
            keep.append(int(bucket[0]))
            continue
        low, high = int(bucket[np.nanargmin(chunk)]), int(bucket[np.nanargmax(chunk)])
        keep.extend(sorted({low, high}))
    index = np.asarray(keep, dtype=np.intp)
    return time_s[index], values[index]


def _oven_figure(reading: Reading, analysis: ConditionsAnalysis) -> str:
    time_s = _column(reading, "time_s")
    assert time_s is not None
    hours = time_s / 3600.0
    channels: list[tuple[str, Floats, str]] = []
    for name, colour in (("temperature_c", RED), ("pressure_pa", BLUE), ("mass_g", GREEN)):
        values = _column(reading, name)
        if values is not None and not np.all(np.isnan(values)):
            channels.append((name, values, colour))
    labels = {"temperature_c": "T (°C)", "pressure_pa": "p (Pa) — log", "mass_g": "m (g)"}
    target = analysis.target
    hold = analysis.hold
    with plot_style():
        figure = Figure(figsize=(6.4, 1.25 + 1.45 * len(channels)), layout="constrained")
        axes_list = figure.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
        for axes, (name, values, colour) in zip(axes_list, channels, strict=True):
            x, y = _decimate(hours, values)
            if name == "pressure_pa":
                positive = y > 0
                x, y = x[positive], y[positive]
                axes.set_yscale("log")
                axes.axhline(target.max_pressure_pa, color=DARK, linewidth=1, linestyle="--")
                axes.annotate(f"≤ {target.max_pressure_pa:g} Pa", xy=(1.0, target.max_pressure_pa),
                              xycoords=("axes fraction", "data"), xytext=(-3, 3),
                              textcoords="offset points", ha="right", va="bottom", color=DARK)
            elif name == "temperature_c":
                low = target.temperature_c - target.tolerance_c
                high = target.temperature_c + target.tolerance_c
                axes.axhline(low, color=DARK, linewidth=0.8, linestyle="--")
                axes.axhline(high, color=DARK, linewidth=0.8, linestyle="--")
                axes.annotate(f"{target.temperature_c:g} ± {target.tolerance_c:g} °C",
                              xy=(0.0, high), xycoords=("axes fraction", "data"),
                              xytext=(3, 3), textcoords="offset points", ha="left",
                              va="bottom", color=DARK)
            axes.plot(x, y, color=colour, linewidth=1.1)
            if hold is not None:
                axes.axvspan(hold.start_s / 3600, hold.end_s / 3600, color=HOLD, alpha=0.45,
                             linewidth=0)
            axes.set_ylabel(labels[name])
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(color="#dddddd", linewidth=0.5)
            axes.set_axisbelow(True)
        if hold is not None:
            axes_list[0].annotate(f"{hold.duration_h:.4g} h", xy=(
                (hold.start_s + hold.end_s) / 7200, 0.5), xycoords=("data", "axes fraction"),
                ha="center", va="center", color=DARK, fontweight="bold")
        axes_list[-1].set_xlabel("t (h)")
    return svg_of(figure)


def _oven_alt(words: ReportWords, evidence_file: str, reading: Reading,
              analysis: ConditionsAnalysis) -> str:
    time_s = _column(reading, "time_s")
    assert time_s is not None
    parts = [f"{words.plain('oven_alt')} {evidence_file}: {reading.rows} × "
             f"{np.nanmax(time_s) / 3600:.3g} h"]
    for name, unit, key in (("temperature_c", "°C", "alt_temperature"),
                            ("pressure_pa", "Pa", "alt_pressure"), ("mass_g", "g", "alt_mass")):
        values = _column(reading, name)
        if values is None or np.all(np.isnan(values)):
            continue
        parts.append(f"{words.plain(key)} {np.nanmin(values):.6g}–{np.nanmax(values):.6g} {unit}")
    hold = analysis.hold
    if hold is None:
        parts.append(words.plain("no_hold"))
    else:
        pressure = ("" if hold.pressure_max_pa is None else f", ≤ {hold.pressure_max_pa:g} Pa")
        parts.append(f"{words.plain('hold')} {_hms(hold.start_s)} → {_hms(hold.end_s)} "
                     f"({format_quantity(hold.duration_h, 'duration_h')}), "
                     f"{hold.temperature_min_c:.2f}–"
                     f"{hold.temperature_max_c:.2f} °C{pressure}")
    if analysis.mass is not None:
        mass = analysis.mass
        parts.append(f"m₀ {mass.mass_before_g:g} g → m₁ {mass.mass_after_g:g} g "
                     f"({format_quantity(mass.percent, 'percent')})")
    return "; ".join(parts) + "."


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
        alt = _oven_alt(words, evidence_file, item.oven_log, item.oven_log_conditions)
        view["oven_svg"] = accessible_svg(_oven_figure(item.oven_log, item.oven_log_conditions),
                                           f"{uid}-oven", alt)
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
