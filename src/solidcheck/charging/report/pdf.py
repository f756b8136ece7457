"""The open report as PDF: the HTML report printed by WeasyPrint (the optional extra ``pdf``,
as the battery report); Chinese needs a CJK font such as Noto Sans CJK SC."""

from __future__ import annotations

from collections.abc import Sequence

from ...i18n import Display
from ...pdf_engine import load_weasyprint
from ..results import ChargingMetrics
from ..risk.listing import RiskList
from ..rules import ChargingRuleset
from .html import render_charging_html

__all__ = ["html_to_pdf", "render_charging_pdf"]


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained page to PDF bytes; an external resource is refused, never
    fetched."""
    weasyprint = load_weasyprint()  # says what to install: the extra, or Pango
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def render_charging_pdf(metrics: ChargingMetrics, rulesets: Sequence[ChargingRuleset], *,
                        lang: Display = "en", risk: RiskList | None = None) -> bytes:
    """The open report (:func:`~.html.render_charging_html`) as PDF bytes."""
    return html_to_pdf(render_charging_html(metrics, rulesets, lang=lang, risk=risk))


def _refuse(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    raise ValueError(f"the report refers to an external resource ({url}); none is fetched")
