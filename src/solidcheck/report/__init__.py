"""Renderers: every human-facing form of a result is drawn from the Result (its JSON).

``load_report_item`` reads a dossier and its evidence (the only part that reads files);
the renderers are pure: ``render_result`` (terminal), ``render_html`` (one page, en/zh/both),
``render_pdf`` (that page as PDF), ``batch_figure`` (a batch run's summary). Each is imported
on first use, so a program that prints text never loads matplotlib or WeasyPrint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .batch import batch_figure, write_batch_plot
    from .html import Lang, render_html
    from .model import ReportItem, load_report_item
    from .pdf import render_pdf
    from .text import render_result, render_summary

__all__ = ["Lang", "ReportItem", "batch_figure", "load_report_item", "render_html",
           "render_pdf", "render_result", "render_summary", "write_batch_plot"]

__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(("batch_figure", "write_batch_plot"), ".batch"),
    **dict.fromkeys(("Lang", "render_html"), ".html"),
    **dict.fromkeys(("ReportItem", "load_report_item"), ".model"),
    "render_pdf": ".pdf",
    **dict.fromkeys(("render_result", "render_summary"), ".text")}, globals())
