"""The oven log's figure — temperature, pressure and mass against time with the qualifying
hold shaded — and its text alternative: one drawing for the HTML (and PDF) report, the cell
page and the classify form's result, so that every place shows the same evidence.

The axis labels are in the reader's language (``report/locales/labels.toml``,
``oven_axis_*``); the SVG keeps text as text, so the page's fonts draw the Chinese.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from ..conditions import ConditionsAnalysis
from ..i18n import Language, format_quantity
from ..plotting import BLUE, DARK, GREEN, HOLD, RED, plot_style, svg_of
from ..readers import Reading

__all__ = ["oven_alt", "oven_figure"]

Floats = npt.NDArray[np.float64]
#: a label id of report/locales/labels.toml → its text in the reader's language
Words = Callable[[str], str]

_MAX_PLOT_POINTS = 2000  # per channel; longer logs keep each bucket's minimum and maximum
_AXIS_LABELS = {"temperature_c": "oven_axis_temperature", "pressure_pa": "oven_axis_pressure",
                "mass_g": "oven_axis_mass"}


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


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


def oven_figure(reading: Reading, analysis: ConditionsAnalysis, *, words: Words) -> str:
    """The log's channels against time, one panel each, the rule set's bounds dashed and the
    qualifying hold shaded; SVG (``plotting.accessible_svg`` makes it ready to inline)."""
    # text stays text in the SVG (the page's fonts draw it): a glyph the plotting font lacks
    # only makes matplotlib guess a label's width, which the layout tolerates
    with plot_style(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font",
                                category=UserWarning)
        return svg_of(_drawn(reading, analysis, words))


def _drawn(reading: Reading, analysis: ConditionsAnalysis, words: Words) -> Figure:
    time_s = _column(reading, "time_s")
    assert time_s is not None
    hours = time_s / 3600.0
    channels: list[tuple[str, Floats, str]] = []
    for name, colour in (("temperature_c", RED), ("pressure_pa", BLUE), ("mass_g", GREEN)):
        values = _column(reading, name)
        if values is not None and not np.all(np.isnan(values)):
            channels.append((name, values, colour))
    target = analysis.target
    hold = analysis.hold
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
                         linewidth=0, gid="qualifying-hold")
        axes.set_ylabel(words(_AXIS_LABELS[name]))
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(color="#dddddd", linewidth=0.5)
        axes.set_axisbelow(True)
    if hold is not None:
        axes_list[0].annotate(f"{hold.duration_h:.4g} h", xy=(
            (hold.start_s + hold.end_s) / 7200, 0.5), xycoords=("data", "axes fraction"),
            ha="center", va="center", color=DARK, fontweight="bold")
    axes_list[-1].set_xlabel(words("oven_axis_time"))
    return figure


def oven_alt(words: Words, evidence_file: str, reading: Reading,
             analysis: ConditionsAnalysis, *, lang: Language = "en") -> str:
    """The figure in words: the file, its span, each channel's range, the hold, the masses."""
    time_s = _column(reading, "time_s")
    assert time_s is not None
    parts = [f"{words('oven_alt')} {evidence_file}: {reading.rows} × "
             f"{np.nanmax(time_s) / 3600:.3g} h"]
    for name, unit, key in (("temperature_c", "°C", "alt_temperature"),
                            ("pressure_pa", "Pa", "alt_pressure"), ("mass_g", "g", "alt_mass")):
        values = _column(reading, name)
        if values is None or np.all(np.isnan(values)):
            continue
        parts.append(f"{words(key)} {np.nanmin(values):.6g}–{np.nanmax(values):.6g} {unit}")
    hold = analysis.hold
    if hold is None:
        parts.append(words("no_hold"))
    else:
        pressure = ("" if hold.pressure_max_pa is None else f", ≤ {hold.pressure_max_pa:g} Pa")
        parts.append(f"{words('hold')} {_hms(hold.start_s)} → {_hms(hold.end_s)} "
                     f"({format_quantity(hold.duration_h, 'duration_h', lang)}), "
                     f"{hold.temperature_min_c:.2f}–"
                     f"{hold.temperature_max_c:.2f} °C{pressure}")
    if analysis.mass is not None:
        mass = analysis.mass
        parts.append(f"m₀ {mass.mass_before_g:g} g → m₁ {mass.mass_after_g:g} g "
                     f"({format_quantity(mass.percent, 'percent', lang)})")
    return "; ".join(parts) + "."
