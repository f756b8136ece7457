"""What every plot of every report shares (the battery report, the pages, the charging
report): matplotlib settings for deterministic SVG, the colours, one lock — matplotlib's
settings are process-wide and plots are drawn on several threads (the web service) — and SVG
made ready to inline in a page."""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure

__all__ = ["BLUE", "DARK", "GREEN", "GREY", "HOLD", "RED", "accessible_svg", "figure_bytes",
           "plot_style", "svg_of"]

# Deterministic SVG: a fixed hash salt for clip-path ids, text kept as text (searchable,
# selectable, drawn with the page's fonts), no date in the metadata.
_RC: dict[Any, Any] = {
    "svg.hashsalt": "solidcheck-report", "svg.fonttype": "none", "font.size": 9.0,
    "font.family": ["DejaVu Sans"], "axes.titlesize": 9.0, "axes.labelsize": 9.0,
}

# Colours: each at least 4.5:1 against white (WCAG AA for text).
DARK = "#1f1f1f"
BLUE = "#24557f"
RED = "#a8201a"
GREEN = "#1d5e24"
GREY = "#595959"
HOLD = "#f3d36b"

_PLOTTING = threading.RLock()


@contextlib.contextmanager
def plot_style() -> Iterator[None]:
    """Draw (and save) inside this: one plot at a time, in the project's style."""
    with _PLOTTING, matplotlib.rc_context(_RC):
        yield


def figure_bytes(figure: Figure, image_format: str) -> bytes:
    """The figure as SVG, PNG (150 dpi) or PDF, with no date in it."""
    buffer = io.BytesIO()
    options: dict[str, Any] = {"dpi": 150} if image_format == "png" else {
        "metadata": {"Date": None} if image_format == "svg" else {"CreationDate": None}}
    with plot_style():
        figure.savefig(buffer, format=image_format, **options)
    return buffer.getvalue()


def svg_of(figure: Figure) -> str:
    return figure_bytes(figure, "svg").decode("utf-8")


# --- SVG ------------------------------------------------------------------------------------

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE = re.compile(r"\s*<defs>\s*<style type=\"text/css\">[^<]*</style>\s*</defs>", re.S)


def accessible_svg(svg: str, uid: str, alt: str) -> Markup:
    """Inline-ready SVG: no prolog or metadata, ids made unique, role="img" and a <title>."""
    svg = _PROLOG.sub("", svg, count=1)
    svg = _METADATA.sub("", svg, count=1)
    # matplotlib's `*{…}` rule would apply to the whole page once inlined
    svg = _STYLE.sub("", svg, count=1)
    # keep only the ids something refers to (clip paths, markers), made unique on the page
    referenced = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg))
    wanted = {name for pair in referenced for name in pair if name}
    svg = re.sub(r'\s\bid="([^"]+)"',
                 lambda m: f' id="{uid}-{m[1]}"' if m[1] in wanted else "", svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{uid}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{uid}-\1"', svg)
    opening = (f'<svg role="img" aria-labelledby="{uid}-title" focusable="false" '
               'stroke-linejoin="round" stroke-linecap="butt" class="plot"')
    svg = svg.replace("<svg", opening, 1)
    end_of_tag = svg.index(">") + 1
    title = Markup('<title id="{}-title">{}</title>').format(uid, alt)
    # the SVG is our own drawing (matplotlib, segno); only the title's text is escaped
    return Markup(svg[:end_of_tag]) + Markup("\n ") + title + Markup(svg[end_of_tag:])
