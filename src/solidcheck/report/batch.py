"""The picture of a batch run (``solidcheck batch --plot``): how many dossiers fall in each
category under each rule set, and where their weight-loss rates lie against each rule set's
limit — what a change of limit does to a population at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..batch.summary import RATE_BIN_PERCENT, RATE_BINS, BatchSummary
from ..errors import InvalidInputError, Problem
from ..model import CATEGORIES
from ..rules import Ruleset
from .parts import limit_text
from .plotting import BLUE, DARK, GREEN, GREY, RED, figure_bytes, plot_style

__all__ = ["batch_figure", "plot_format", "write_batch_plot"]

PLOT_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_CATEGORY_LABELS = {"liquid": "liquid", "hybrid_solid_liquid": "hybrid solid-liquid",
                    "solid_state": "solid-state", "undetermined": "undetermined"}
_SHADES = [BLUE, RED, GREEN, GREY]
_LINES = ["-", "--", ":", "-."]


def batch_figure(summary: BatchSummary, rulesets: Sequence[Ruleset]) -> Figure:
    """Categories per rule set (bars side by side) over the histogram of weight-loss rates
    with every rule set's limit."""
    by_id = {r.id: r for r in rulesets}
    ids = summary.ruleset_ids
    with plot_style():
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
        bars.set_xticks(places, [_CATEGORY_LABELS[c] for c in CATEGORIES])
        bars.set_ylim(0, top * 1.18)
        bars.set_ylabel("dossiers")
        bars.set_title(f"{summary.rows:,} dossiers by category", loc="left")
        if len(ids) > 1:
            bars.legend(frameon=False, loc="upper right")
        _histogram(rates, summary, ids, by_id)
        for axes in (bars, rates):
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(axis="y", color="#dddddd", linewidth=0.5)
            axes.set_axisbelow(True)
    return figure


def _histogram(axes: Axes, summary: BatchSummary, ids: Sequence[str],
               by_id: dict[str, Ruleset]) -> None:
    edges = np.arange(RATE_BINS + 1) * RATE_BIN_PERCENT
    reference = summary.rates[ids[0]]
    axes.stairs(reference.counts, edges, fill=True, color=BLUE, alpha=0.35,
                label=f"{ids[0]} (deciding rate)")
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
    axes.set_xlabel("weight loss after 6 h at 120 °C under vacuum, (m₀ − m₁)/m₀ (%)")
    axes.set_ylabel(f"dossiers per {RATE_BIN_PERCENT:g} %")
    tested = int(reference.counts.sum()) + reference.below + reference.above
    axes.set_title(f"Weight-loss rates of the {tested:,} dossiers with a test", loc="left")
    outside = [f"{reference.above:,} at {edges[-1]:g} % or more"] if reference.above else []
    if reference.below:
        outside.append(f"{reference.below:,} with a mass gain")
    if outside:
        axes.text(0.99, 0.97, "not shown: " + "; ".join(outside), transform=axes.transAxes,
                  ha="right", va="top", fontsize=7, color=GREY)
    if len(ids) > 1 and any(not np.array_equal(summary.rates[rid].counts, reference.counts)
                            for rid in ids[1:]):
        axes.legend(frameon=False, loc="center right")


def write_batch_plot(summary: BatchSummary, rulesets: Sequence[Ruleset],
                     path: str | Path) -> None:
    """The figure to ``path``: SVG, PNG or PDF by its extension."""
    image_format = plot_format(path)
    data = figure_bytes(batch_figure(summary, rulesets), image_format)
    Path(path).write_bytes(data)


def plot_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise InvalidInputError([Problem("--plot", f"cannot tell the image format of {path}",
                                         "name it .svg, .png or .pdf")])
    return PLOT_FORMATS[suffix]
