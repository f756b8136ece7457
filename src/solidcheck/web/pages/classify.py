"""The classify page (``/classify``): a cell's fields or a dossier file, with evidence files,
classified as the command line does; with a lab's key, stored. Reading the form is
``classify_form.py``'s; this module shows it and its outcome."""

from __future__ import annotations

from collections.abc import Mapping

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...dossier import MAX_DOSSIER_BYTES
from ...model import APPLICATIONS, IONS, SOLID_TYPES, Dossier
from .. import csrf, heavy
from ..classify_form import (
    SPECIMEN_ROWS,
    ClassifyOutcome,
    ClassifySubmission,
    FormErrors,
    classify_submission,
    specimen_field,
)
from ..deps import get_registry, get_settings
from ..inputs import FORM_OVERHEAD_BYTES
from .forms import Posted, error_list, errors_by_field, read_form
from .frame import View, render
from .navigation import MenuEntry, Page
from .shared import downloads, result_view, ruleset_options, value_label

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/classify", "nav_classify", place=20))

_CLASSIFY_LABELS = {
    "id": "field_id", "manufacturer": "manufacturer", "model": "model",
    "phase_solid": "field_phases", "solid_type": "field_solid_type",
    "liquid_fraction": "field_liquid_fraction", "conducting_ion": "ion",
    "application": "application", "max_power_w": "field_max_power",
    "energy_1c_wh": "field_energy_1c", "wl_temperature_c": "field_temperature",
    "wl_duration_h": "field_duration", "wl_pressure_pa": "field_pressure",
    "wl_visible_liquid": "field_visible_liquid", "wl_balance_resolution_mg": "field_balance",
    "dossier_file": "field_dossier_file", "oven_log": "field_oven_log",
    "weighings": "field_weighings", "ruleset": "ruleset", "api_key": "field_api_key",
}


def _classify_options(view: View) -> dict[str, list[tuple[str, str]]]:
    return {
        "solid_type": [(v, value_label(view, v)) for v in SOLID_TYPES],
        "conducting_ion": [(v, value_label(view, v)) for v in IONS],
        "application": [(v, value_label(view, v)) for v in APPLICATIONS],
        "wl_visible_liquid": [("no", view.t("visible_liquid_no")),
                              ("yes", view.t("visible_liquid_yes"))],
        "ruleset": ruleset_options(view),
    }


def _dossier_yaml(dossier: Dossier) -> str:
    return yaml.safe_dump(dossier.model_dump(mode="json", exclude_none=True), sort_keys=False,
                          allow_unicode=True)


def _classify_page(view: View, *, values: Mapping[str, str], phases: tuple[str, ...],
                   outcome: ClassifyOutcome | None) -> HTMLResponse:
    errors = outcome.errors if outcome else FormErrors()
    shown = None
    if outcome is not None and outcome.result is not None:
        shown = result_view(view, outcome.result, outcome.dossier, "classified")
    stored = outcome.stored if outcome else None
    failed = outcome is not None and outcome.result is None
    return render(
        view, "classify.html.j2", title=view.t("classify_title"), form=True,
        status=422 if failed else 200, values=values, phases=phases,
        options=_classify_options(view), specimen_rows=range(1, SPECIMEN_ROWS + 1),
        specimen_field=specimen_field,
        errors=error_list(view, errors, _CLASSIFY_LABELS, "classify-form"),
        errors_by_field=errors_by_field(view, errors), outcome=outcome, shown=shown,
        dossier_yaml=_dossier_yaml(outcome.dossier) if outcome and outcome.dossier else None,
        stored=stored, stored_href=view.cell_href(stored.cell_id) if stored else None,
        downloads=downloads(view, stored.result.id) if stored else [])


@router.get("/classify", response_class=HTMLResponse)
def classify_form_page(request: Request) -> HTMLResponse:
    """The empty form: the cell's fields, or a dossier file, and evidence files."""
    return _classify_page(View(request), values={}, phases=(), outcome=None)


def _classify_submission(posted: Posted) -> ClassifySubmission:
    values = {name: value for name, value in posted.fields
              if name not in ("phase", "api_key", csrf.FIELD_NAME)}
    return ClassifySubmission(
        values=values, phases=tuple(posted.every("phase")),
        dossier_file=posted.files.get("dossier_file"), oven_log=posted.files.get("oven_log"),
        weighings=posted.files.get("weighings"), api_key=posted.text("api_key"),
        ruleset_id=posted.text("ruleset"))


@router.post("/classify", response_class=HTMLResponse)
async def classify_submit(request: Request) -> HTMLResponse:
    """Classify what the form sent; with a lab key, store it. Invalid input shows the form
    again with every problem at its field, and nothing is stored."""
    view = View(request)
    max_evidence_bytes = get_settings(request).max_evidence_bytes
    posted = await read_form(view, MAX_DOSSIER_BYTES + 2 * max_evidence_bytes
                             + FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    submission = _classify_submission(posted)
    # reading evidence, classifying and drawing the page (a plot of every specimen) are
    # heavy work: off the event loop, bounded, within the request budget
    return await heavy.run(_classify_and_show, view, submission, max_evidence_bytes)


def _classify_and_show(view: View, submission: ClassifySubmission,
                       max_evidence_bytes: int) -> HTMLResponse:
    outcome = classify_submission(submission, registry=get_registry(view.request),
                                  max_evidence_bytes=max_evidence_bytes)
    return _classify_page(view, values=submission.values, phases=submission.phases,
                          outcome=outcome)
