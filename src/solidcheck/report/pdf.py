"""The PDF report: the HTML report printed by WeasyPrint (the optional extra ``pdf``).

The page layout is the template's print stylesheet (A4, page numbers, tables and figures
kept whole); Chinese text needs a CJK font such as Noto Sans CJK SC (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

from ..pdf_engine import load_weasyprint

__all__ = ["render_pdf"]


def render_pdf(html: str) -> bytes:
    """Print a self-contained HTML report (``render_html``) to PDF bytes."""
    weasyprint = load_weasyprint()  # says what to install: the extra, or Pango
    # The report refers to no external resource; anything it might is refused, not fetched.
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse)
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def _refuse(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    raise ValueError(f"the report refers to an external resource ({url}); none is fetched")
