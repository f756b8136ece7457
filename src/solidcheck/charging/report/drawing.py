"""The open report's plots: a port × day availability heatmap and the network's daily trend,
drawn with matplotlib into SVG inlined in the page with a text alternative.

The drawing conventions are every report's (``solidcheck/plotting.py``: deterministic SVG,
text kept as text, colours of at least 4.5:1 on white, one plot at a time). Plots carry ids,
dates and numbers only — no words, which the caption and the alternative give in the page's
language (and a CJK glyph would be missing from the plot's font).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ...plotting import BLUE, GREEN, plot_style, svg_of
from ..results import Day, PortFigures

__all__ = ["heatmap_svg", "trend_svg"]


def _days_of(ports: Sequence[PortFigures]) -> list[date]:
    return sorted({day for port in ports for day in port.daily_availability_percent})


def heatmap_svg(ports: Sequence[PortFigures]) -> str:
    """Ports (rows) × UTC days (columns), coloured by service availability; a day with no
    figure is left blank."""
    import numpy as np
    from matplotlib.figure import Figure

    days = _days_of(ports)
    grid = np.full((len(ports), len(days)), np.nan)
    for row, port in enumerate(ports):
        for column, day in enumerate(days):
            value = port.daily_availability_percent.get(day)
            if value is not None:
                grid[row, column] = value
    with plot_style():
        figure = Figure(figsize=(6.6, 1.0 + 0.22 * len(ports)), layout="constrained")
        axes = figure.add_subplot()
        # vector cells (pcolormesh), not an embedded raster image: crisp in print
        image = axes.pcolormesh(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=100,
                                edgecolors="#ffffff", linewidth=0.3)
        axes.invert_yaxis()
        axes.set_yticks([n + 0.5 for n in range(len(ports))], [p.port_id for p in ports])
        step = max(1, len(days) // 14)
        axes.set_xticks([n + 0.5 for n in range(0, len(days), step)],
                        [d.strftime("%m-%d") for d in days[::step]], rotation=90)
        colourbar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.01)
        colourbar.set_label("%")
        if colourbar.solids is not None:  # matplotlib rasterises a long gradient: keep it vector
            colourbar.solids.set_rasterized(False)
    return svg_of(figure)


def trend_svg(daily: Sequence[Day]) -> str:
    """Two panels over the days: service availability (%) above, session success (%)
    below; a day with no figure is a gap."""
    from matplotlib.figure import Figure

    days = [d.date for d in daily]
    availability = [float("nan") if d.service_availability_percent is None
                    else d.service_availability_percent for d in daily]
    success = [100 * d.successful_sessions / d.sessions if d.sessions else float("nan")
               for d in daily]
    with plot_style():
        figure = Figure(figsize=(6.6, 3.2), layout="constrained")
        top, bottom = figure.subplots(2, 1, sharex=True)
        for axes, values, colour in ((top, availability, BLUE), (bottom, success, GREEN)):
            axes.plot(range(len(days)), values, color=colour, marker="o", markersize=2.5,
                      linewidth=1.2)
            axes.set_ylabel("%")
            axes.set_ylim(max(0.0, min([v for v in values if v == v] or [0.0]) - 5), 100.5)
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(color="#dddddd", linewidth=0.5)
            axes.set_axisbelow(True)
        step = max(1, len(days) // 14)
        bottom.set_xticks(range(0, len(days), step),
                          [d.strftime("%m-%d") for d in days[::step]], rotation=90)
    return svg_of(figure)
