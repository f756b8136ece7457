"""The classify page (``/classify``): a cell's fields or a dossier file, with evidence files,
classified as the command line does; with a lab's key, stored. Reading the form is
``classify_form.py``'s; this module shows it and its outcome."""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from ...dossier import MAX_DOSSIER_BYTES
from ...model import APPLICATIONS, IONS, SOLID_TYPES, Dossier, Finding
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
from ..form_fields import FIELD_LABELS, PATH_LABELS, REQUIRED_PATHS
from ..inputs import FORM_OVERHEAD_BYTES
from .evidence_views import oven_view
from .forms import Posted, error_list, errors_by_field, read_form
from .frame import PageWords, View, render
from .navigation import MenuEntry, Page
from .shared import downloads, result_view, ruleset_options, value_label

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/classify", "nav_classify", place=20))

#: a dossier path in a finding's text (longest first: a block's name is part of its fields');
#: a path that is also a plain word ("application", "model") is left as the prose it is
_PATHS = re.compile("|".join(rf"(?<![\w.]){re.escape(path)}(?![\w.])"
                             for path in sorted(PATH_LABELS, key=len, reverse=True)
                             if "." in path or "_" in path))


class FormWords(PageWords):
    """The page's words, with the findings naming the form's fields: "set
    weight_loss_test.visible_liquid" reads "set “Visible liquid after the test”" — the label a
    person sees on this form (``form_fields.PATH_LABELS``), in the page's language."""

    def finding(self, finding: Finding) -> Markup:
        said = super().finding(finding)
        return Markup(_PATHS.sub(lambda found: str(escape(
            f"“{self(PATH_LABELS[found[0]])}”")), str(said)))


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
                   outcome: ClassifyOutcome | None, typed: bool = True) -> HTMLResponse:
    """The form, and the outcome above it. ``typed``: the cell came from the fields, so the
    findings name the fields; from a dossier file they keep the file's keys, which is what
    its author edits."""
    errors = outcome.errors if outcome else FormErrors()
    shown = None
    if outcome is not None and outcome.result is not None:
        shown = result_view(view, outcome.result, outcome.dossier, "classified")
    stored = outcome.stored if outcome else None
    failed = outcome is not None and outcome.result is None
    oven = None
    if shown is not None and outcome is not None:
        oven = oven_view(view, reading=outcome.oven_log, analysis=outcome.oven_conditions,
                         dossier=outcome.dossier, uid="classified")
    if typed:
        view.t = FormWords(view.lang)
    return render(
        view, "classify.html.j2", title=view.t("classify_title"), form=True,
        status=422 if failed else 200, values=values, phases=phases,
        options=_classify_options(view), specimen_rows=range(1, SPECIMEN_ROWS + 1),
        specimen_field=specimen_field,
        errors=error_list(view, errors, FIELD_LABELS, "classify-form"),
        errors_by_field=errors_by_field(view, errors), outcome=outcome, shown=shown,
        dossier_yaml=_dossier_yaml(outcome.dossier) if outcome and outcome.dossier else None,
        stored=stored, stored_href=view.cell_href(stored.cell_id) if stored else None,
        downloads=downloads(view, stored.result.id) if stored else [], oven=oven)


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
    if _nothing_sent(submission):
        return _classify_page(view, values=submission.values, phases=(),
                              outcome=ClassifyOutcome(_nothing_to_classify(view)))
    # reading evidence, classifying and drawing the page (a plot of every specimen) are
    # heavy work: off the event loop, bounded, within the request budget
    return await heavy.run(_classify_and_show, view, submission, max_evidence_bytes)


def _nothing_sent(submission: ClassifySubmission) -> bool:
    return (not submission.describes_a_cell() and submission.dossier_file is None
            and not submission.uploads())


def _nothing_to_classify(view: View) -> FormErrors:
    """An empty form: one message naming the fields every cell needs (the dossier's required
    keys, by their labels), or the dossier file — not the model's words for each."""
    errors = FormErrors()
    fields = [view.t(PATH_LABELS[path]) for path in REQUIRED_PATHS]
    errors.add("", escape(view.t("nothing_to_classify")).format(
        fields=view.t("list_separator").join(fields)))
    return errors


def _classify_and_show(view: View, submission: ClassifySubmission,
                       max_evidence_bytes: int) -> HTMLResponse:
    outcome = classify_submission(submission, registry=get_registry(view.request),
                                  max_evidence_bytes=max_evidence_bytes)
    return _classify_page(view, values=submission.values, phases=submission.phases,
                          outcome=outcome, typed=submission.dossier_file is None)
