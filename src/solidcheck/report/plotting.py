"""What every plot shares: matplotlib settings for deterministic SVG, the colours, and one
lock, because matplotlib's settings are process-wide and plots are drawn on several threads
(the web service)."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from typing import Any

import matplotlib
from matplotlib.figure import Figure

__all__ = ["BLUE", "DARK", "GREEN", "GREY", "HOLD", "RED", "figure_bytes", "plot_style",
           "svg_of"]

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
