"""The oven log on a page — the cell page and the classify form's result — drawn by the
report's own figure code (``report/oven.py``), so a page and the report it links to show the
same curve; or one sentence saying why there is none."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from ...conditions import ConditionsAnalysis
from ...errors import InvalidInputError, MissingDependencyError, NotFoundError
from ...model import Dossier
from ...readers import Reading
from ...registry import Registry
from ...report.model import ReportItem
from ...report.oven import oven_alt, oven_figure
from ...report.parts import accessible_svg
from .. import heavy
from ..reports import report_item
from .frame import View

__all__ = ["OvenView", "oven_view", "stored_oven_view"]


@dataclass(frozen=True, slots=True)
class OvenView:
    """What the page's oven-log section shows: the figure and its caption, or why not."""

    svg: Markup | None = None
    caption: str | None = None
    file: str | None = None
    #: the label (web/locales/pages.toml) of the sentence shown instead of a figure
    absent: str | None = None


def oven_view(view: View, *, reading: Reading | None, analysis: ConditionsAnalysis | None,
              dossier: Dossier | None, uid: str, file: str | None = None) -> OvenView:
    """The figure of a log that was read; else the reason: the dossier names no oven log, or
    names one that is not here to draw (``oven_log_not_available``)."""
    if reading is not None and analysis is not None and reading.has("time_s"):
        shown = file or Path(reading.source).name
        alt = oven_alt(view.t, shown, reading, analysis, lang=view.lang)
        svg = accessible_svg(oven_figure(reading, analysis, words=view.t), f"{uid}-oven", alt)
        return OvenView(svg=svg, caption=alt, file=shown)
    named = dossier is not None and any(e.kind == "oven_log" for e in dossier.evidence)
    return OvenView(absent="oven_log_not_available" if named else "no_oven_log")


def stored_oven_view(view: View, registry: Registry, result_id: str,
                     dossier: Dossier | None) -> OvenView:
    """The oven log of a stored result's dossier, from the evidence the registry holds (the
    same files and checks as the result's HTML report)."""
    item: ReportItem | None = None
    if dossier is not None and any(e.kind == "oven_log" for e in dossier.evidence):
        with suppress(NotFoundError, InvalidInputError, MissingDependencyError):
            item, _ = report_item(registry, result_id, published_only=True)
    file = (item.oven_log_evidence.file if item is not None and item.oven_log_evidence
            else None)
    if item is None or item.oven_log is None:
        return oven_view(view, reading=None, analysis=None, dossier=dossier, uid="cell")
    # drawing is heavy work (about a second of matplotlib): the bounded pool, within the
    # request budget, as the report it links to is drawn
    return heavy.run_blocking(oven_view, view, reading=item.oven_log,
                              analysis=item.oven_log_conditions, dossier=dossier, uid="cell",
                              file=file)
