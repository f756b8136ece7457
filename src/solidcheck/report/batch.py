"""The picture of a batch run (``solidcheck batch --plot``): how many dossiers fall in each
category under each rule set, and where their weight-loss rates lie against each rule set's
limit — what a change of limit does to a population at a glance."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..batch.summary import RATE_BIN_PERCENT, RATE_BINS, BatchSummary
from ..errors import InvalidInputError, Problem
from ..i18n import Display, message
from ..model import CATEGORIES
from ..plotting import BLUE, DARK, GREEN, GREY, RED, figure_bytes, plot_style
from ..rules import Ruleset
from .parts import limit_text

__all__ = ["batch_figure", "plot_format", "write_batch_plot"]

PLOT_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "Microsoft YaHei", "PingFang SC")
_SHADES = [BLUE, RED, GREEN, GREY]
_LINES = ["-", "--", ":", "-."]


@functools.cache
def _cjk_fonts() -> list[str]:
    """The CJK fonts of :data:`_CJK_FONTS` this machine has (asking for others warns)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in _CJK_FONTS if name in installed]


def batch_figure(summary: BatchSummary, rulesets: Sequence[Ruleset], *,
                 lang: Display = "en") -> Figure:
    """Categories per rule set (bars side by side) over the histogram of weight-loss rates
    with every rule set's limit; its words in ``lang`` (``i18n/batch.toml``)."""
    by_id = {r.id: r for r in rulesets}
    ids = summary.ruleset_ids
    # Chinese glyphs from a CJK font where DejaVu Sans has none (fixed when the text is made)
    with plot_style(), matplotlib.rc_context({"font.family": ["DejaVu Sans", *_cjk_fonts()]}):
        figure = Figure(figsize=(7.0, 5.6), layout="constrained")
        bars, rates = figure.subplots(2, 1, height_ratios=[1.0, 1.3])
        width = 0.8 / len(ids)
        places = np.arange(len(CATEGORIES), dtype=float)
        top = max([1, *(n for rid in ids for n in summary.categories[rid].values())])
        for number, rid in enumerate(ids):
            counts = [summary.categories[rid][c] for c in CATEGORIES]
            drawn = bars.bar(places + (number - (len(ids) - 1) / 2) * width, counts,
                             width=width * 0.95, color=_SHADES[number % len(_SHADES)],
                             label=rid)
            bars.bar_label(drawn, labels=[f"{n:,}" for n in counts], padding=2, fontsize=7,
                           color=DARK)
        bars.set_xticks(places, [message(f"batch.category.{c}", {}, lang)
                                 for c in CATEGORIES])
        bars.set_ylim(0, top * 1.18)
        bars.set_ylabel(message("batch.plot.dossiers", {}, lang))
        bars.set_title(message("batch.plot.by_category", {"rows": summary.rows}, lang),
                       loc="left")
        if len(ids) > 1:
            bars.legend(frameon=False, loc="upper right")
        _histogram(rates, summary, ids, by_id, lang)
        for axes in (bars, rates):
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(axis="y", color="#dddddd", linewidth=0.5)
            axes.set_axisbelow(True)
    return figure


def _histogram(axes: Axes, summary: BatchSummary, ids: Sequence[str],
               by_id: dict[str, Ruleset], lang: Display) -> None:
    edges = np.arange(RATE_BINS + 1) * RATE_BIN_PERCENT
    reference = summary.rates[ids[0]]
    axes.stairs(reference.counts, edges, fill=True, color=BLUE, alpha=0.35,
                label=message("batch.plot.deciding_rate", {"ruleset": ids[0]}, lang))
    for number, rid in enumerate(ids[1:], start=1):  # drawn only where it differs
        if not np.array_equal(summary.rates[rid].counts, reference.counts):
            axes.stairs(summary.rates[rid].counts, edges, color=_SHADES[number % 4],
                        linestyle=_LINES[number % 4], label=rid)
    peak = max(1, int(reference.counts.max(initial=0)))
    for number, rid in enumerate(ids):
        if rid not in by_id:
            continue
        limit = by_id[rid].rules.weight_loss_limit.limit_percent
        axes.axvline(limit, color=DARK, linewidth=1.2, linestyle=_LINES[number % 4])
        axes.annotate(f"{rid}  {limit_text(by_id[rid])}", xy=(limit, peak * (1.12 - 0.1 *
                      number)), xytext=(4, 0), textcoords="offset points", fontsize=7,
                      color=DARK, va="center",
                      bbox={"boxstyle": "square,pad=0.15", "facecolor": "white",
                            "edgecolor": "none"})
    axes.set_xlim(0, edges[-1])
    axes.set_ylim(0, peak * 1.2)
    axes.set_xlabel(message("batch.plot.rate_axis", {}, lang))
    axes.set_ylabel(message("batch.plot.per_bin", {"width": RATE_BIN_PERCENT}, lang))
    tested = int(reference.counts.sum()) + reference.below + reference.above
    axes.set_title(message("batch.plot.rates_title", {"tested": tested}, lang), loc="left")
    outside = [message("batch.plot.at_or_above", {"rows": reference.above,
                                                  "rate": float(edges[-1])}, lang)
               ] if reference.above else []
    if reference.below:
        outside.append(message("batch.plot.mass_gain", {"rows": reference.below}, lang))
    if outside:
        axes.text(0.99, 0.97, message("batch.plot.not_shown", {"what": outside}, lang),
                  transform=axes.transAxes, ha="right", va="top", fontsize=7, color=GREY)
    if len(ids) > 1 and any(not np.array_equal(summary.rates[rid].counts, reference.counts)
                            for rid in ids[1:]):
        axes.legend(frameon=False, loc="center right")


def write_batch_plot(summary: BatchSummary, rulesets: Sequence[Ruleset],
                     path: str | Path, *, lang: Display = "en") -> None:
    """The figure to ``path``: SVG, PNG or PDF by its extension."""
    image_format = plot_format(path)
    data = figure_bytes(batch_figure(summary, rulesets, lang=lang), image_format)
    Path(path).write_bytes(data)


def plot_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise InvalidInputError([Problem("--plot", f"cannot tell the image format of {path}",
                                         "name it .svg, .png or .pdf")])
    return PLOT_FORMATS[suffix]
