"""The open report of a charging network (issue 16, principle 3: publish openly) and its table
renderers. Everything here takes a :class:`~solidcheck.charging.results.ChargingMetrics` (and,
for the open data, the canonical tables): it draws and writes figures, it never computes them.

Names are imported on use: the HTML report needs jinja2 and matplotlib, the PDF WeasyPrint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_exports

if TYPE_CHECKING:
    from .html import render_charging_html
    from .inputs import read_metrics_json
    from .opendata import charging_metrics_schema, write_open_data
    from .pdf import render_charging_pdf
    from .tables import metrics_table, write_metrics_table

__all__ = ["charging_metrics_schema", "metrics_table", "read_metrics_json",
           "render_charging_html", "render_charging_pdf", "write_metrics_table",
           "write_open_data"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "render_charging_html": ".html", "render_charging_pdf": ".pdf",
    "read_metrics_json": ".inputs",
    "charging_metrics_schema": ".opendata", "write_open_data": ".opendata",
    "metrics_table": ".tables", "write_metrics_table": ".tables"}, globals())
