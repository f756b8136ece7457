"""The search desk's small chart: one stacked bar per rule set, its cells by category, drawn
as inline SVG on the server (no script, no plotting library: a page draws it on every
search; ``Markup.format`` escapes every value). Colour is never alone: each segment has its
number written in it when it fits, a <title> naming it, and the same numbers are in the
table beside the chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

__all__ = ["Bar", "Segment", "counts_svg", "described"]

#: the segments' fills, the categories' colours of the site (site.css, `.cat-*`)
FILLS = {"solid_state": "#1d5e24", "hybrid_solid_liquid": "#b36200", "liquid": "#1d4f91",
         "undetermined": "#a8201a", "": "#8a8a8a"}
_WIDTH, _LABEL, _BAR, _GAP = 400, 18, 24, 10  # a rule set's id above its bar


@dataclass(frozen=True)
class Segment:
    category: str  # "" for the cells not classified under the bar's rule set
    label: str
    count: int


@dataclass(frozen=True)
class Bar:
    ruleset: str
    segments: list[Segment]

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)


def counts_svg(bars: Sequence[Bar], *, uid: str, title: str, description: str) -> Markup:
    """The bars as an accessible image: ``title`` and ``description`` (which should say the
    numbers in words) are its name and description."""
    step = _LABEL + _BAR + _GAP
    height = len(bars) * step
    parts = [Markup('<svg class="plot counts" role="img" viewBox="0 0 {} {}" '
                    'aria-labelledby="{}-title {}-desc" focusable="false">').format(
                        _WIDTH, height, uid, uid),
             Markup('<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>').format(
                 uid, title, uid, description)]
    scale = max((bar.total for bar in bars), default=0) or 1
    for row, bar in enumerate(bars):
        y = row * step + _LABEL
        parts.append(Markup('<text x="0" y="{}" font-size="13">{}</text>').format(
            y - 5, bar.ruleset))
        x = 0.0
        for segment in bar.segments:
            if not segment.count:
                continue
            width = _WIDTH * segment.count / scale
            parts.append(Markup(
                '<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}" stroke="#ffffff">'
                '<title>{}: {} — {}</title></rect>').format(
                    x, y, width, _BAR, FILLS.get(segment.category, FILLS[""]), bar.ruleset,
                    segment.label, segment.count))
            if width >= 9 * len(str(segment.count)) + 4:
                parts.append(Markup(
                    '<text x="{:.1f}" y="{}" font-size="13" fill="#ffffff" text-anchor="middle"'
                    ' dominant-baseline="middle" aria-hidden="true">{}</text>').format(
                        x + width / 2, y + _BAR / 2, segment.count))
            x += width
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def described(bars: Sequence[Bar]) -> str:
    """The numbers of the chart in words, for its description."""
    return "; ".join(f"{bar.ruleset}: " + ", ".join(
        f"{segment.label} {segment.count}" for segment in bar.segments if segment.count)
        for bar in bars)

