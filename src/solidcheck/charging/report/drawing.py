"""The open report's plots: a port × day availability heatmap and the network's daily trend,
drawn with matplotlib into SVG inlined in the page with a text alternative.

The drawing conventions are the battery report's (``report/plotting.py``, ``report/parts.py``:
deterministic SVG, text kept as text, colours of at least 4.5:1 on white, one plot at a
time); they are restated here because ``charging`` sits below ``report`` in the layers.
Plots carry ids, dates and numbers only — no words, which the caption and the alternative give
in the page's language (and a CJK glyph would be missing from the plot's font).
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup

from ..results import Day, PortFigures

__all__ = ["accessible_svg", "heatmap_svg", "trend_svg"]

_RC: dict[Any, Any] = {
    "svg.hashsalt": "solidcheck-charging-report", "svg.fonttype": "none", "font.size": 8.0,
    "font.family": ["DejaVu Sans"], "axes.titlesize": 8.0, "axes.labelsize": 8.0,
}
DARK = "#1f1f1f"
BLUE = "#24557f"
GREEN = "#1d5e24"
_PLOTTING = threading.RLock()


@contextlib.contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with _PLOTTING, matplotlib.rc_context(_RC):
        yield


def _svg(figure: Any) -> str:
    buffer = io.BytesIO()
    with _style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue().decode("utf-8")


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE = re.compile(r"\s*<defs>\s*<style type=\"text/css\">[^<]*</style>\s*</defs>", re.S)


def accessible_svg(svg: str, uid: str, alt: str) -> Markup:
    """Inline-ready SVG: no prolog or metadata, ids made unique, role="img" and a <title>."""
    svg = _METADATA.sub("", _PROLOG.sub("", svg, count=1), count=1)
    svg = _STYLE.sub("", svg, count=1)  # its `*{…}` would style the whole page
    referenced = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg))
    wanted = {name for pair in referenced for name in pair if name}
    svg = re.sub(r'\s\bid="([^"]+)"',
                 lambda m: f' id="{uid}-{m[1]}"' if m[1] in wanted else "", svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{uid}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{uid}-\1"', svg)
    opening = (f'<svg role="img" aria-labelledby="{uid}-title" focusable="false" '
               'class="plot"')
    svg = svg.replace("<svg", opening, 1)
    end = svg.index(">") + 1
    title = Markup('<title id="{}-title">{}</title>').format(uid, alt)
    return Markup(svg[:end]) + title + Markup(svg[end:])


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
    with _style():
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
    return _svg(figure)


def trend_svg(daily: Sequence[Day]) -> str:
    """Two panels over the days: service availability (%) above, session success (%)
    below; a day with no figure is a gap."""
    from matplotlib.figure import Figure

    days = [d.date for d in daily]
    availability = [float("nan") if d.service_availability_percent is None
                    else d.service_availability_percent for d in daily]
    success = [100 * d.successful_sessions / d.sessions if d.sessions else float("nan")
               for d in daily]
    with _style():
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
    return _svg(figure)
