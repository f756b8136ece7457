"""The audit page (``/audit``): a pasted text or an uploaded document with every term, claim
and implausible figure marked where it occurs, as ``solidcheck audit --format html`` marks
it; claims optionally checked against a registered cell's published result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ...claims.audit import audit
from ...claims.extract import extract_from_bytes
from ...claims.model import AuditFinding, AuditReport
from ...errors import InvalidInputError, NotFoundError
from ...model import Result
from ...report.parts import SEVERITY_RANK, finding_place, marked_segments, text_language
from ...rules import Ruleset, available_rulesets
from .. import heavy
from ..classify_form import FormErrors
from ..deps import get_registry, get_settings
from ..inputs import FORM_OVERHEAD_BYTES
from .forms import add_problems, check_one_given, error_list, read_form
from .frame import HTML_LANG, View, plain, render
from .navigation import MenuEntry, Page
from .shared import installed_ruleset, ruleset_options

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/audit", "nav_audit", place=50))

_AUDIT_LABELS = {"text": "field_audit_text", "document": "field_audit_document",
                 "cell_id": "field_audit_cell", "ruleset": "ruleset"}


def _marked_pieces(text: str, findings: list[AuditFinding]) -> list[dict[str, Any]]:
    """The text cut where findings start and end; each marked piece with its worst
    severity and the numbers of the findings covering it."""
    pieces: list[dict[str, Any]] = []
    for start, end, covering in marked_segments(len(text), findings):
        piece: dict[str, Any] = {"text": text[start:end], "severity": None}
        if covering:
            piece["severity"] = min((findings[i].severity for i in covering),
                                    key=SEVERITY_RANK.__getitem__)
            piece["numbers"] = [i + 1 for i in covering]
            piece["title"] = "; ".join(f"{findings[i].severity}: {findings[i].message}"
                                       for i in covering)
        pieces.append(piece)
    return pieces


def _evidence_result(view: View, cell_id: str, ruleset: Ruleset,
                     errors: FormErrors) -> Result | None:
    """The stored result claims are checked against: the cell's latest version under the
    audit's rule set, else under any."""
    if not get_settings(view.request).public_reads:
        errors.add("cell_id", view.t.said("not_public_message"))
        return None
    try:
        detail = get_registry(view.request).get_cell(cell_id, published_only=True)
    except NotFoundError as exc:
        errors.add("cell_id", str(exc))
        return None
    latest = [r for r in detail.results if r.version == detail.latest_version]
    chosen = next((r for r in latest if r.ruleset == ruleset.id), latest[0] if latest else None)
    if chosen is None:
        errors.add("cell_id", view.t.said("no_published_result"))
        return None
    return chosen.result


def _audit_document(data: bytes, source: str, ruleset: Ruleset, evidence: Result | None,
                    errors: FormErrors, field: str) -> tuple[AuditReport, str] | None:
    try:
        extracted = extract_from_bytes(data, source=source)
    except InvalidInputError as exc:
        add_problems(errors, field, exc.problems)
        return None
    return audit(extracted, ruleset=ruleset, evidence=evidence), extracted.text


def _audit_page(view: View, *, values: Mapping[str, str], errors: FormErrors,
                audited: tuple[AuditReport, str] | None) -> HTMLResponse:
    report, text = audited if audited else (None, "")
    findings = [{"number": n, "finding": f, "where": finding_place(f)}
                for n, f in enumerate(report.findings if report else [], start=1)]
    return render(
        view, "audit.html.j2", title=view.t("audit_title"), form=True,
        status=422 if errors else 200, values=values, report=report,
        pieces=_marked_pieces(text, report.findings) if report else [],
        text_lang=HTML_LANG["zh" if text_language(text) == "zh" else "en"], findings=findings,
        options={"ruleset": ruleset_options(view)},
        errors=error_list(view, errors, _AUDIT_LABELS, "audit-form"),
        errors_by_field=errors.by_field)


@router.get("/audit", response_class=HTMLResponse)
def audit_form_page(request: Request) -> HTMLResponse:
    """The form: paste text or upload a document, optionally name a registered cell."""
    return _audit_page(View(request), values={}, errors=FormErrors(), audited=None)


@router.post("/audit", response_class=HTMLResponse)
async def audit_submit(request: Request) -> HTMLResponse:
    """Every term, claim and implausible figure of the text, marked where it occurs."""
    view = View(request)
    max_bytes = get_settings(request).max_audit_bytes
    posted = await read_form(view, max_bytes + FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    values = {name: posted.text(name) for name in ("text", "cell_id", "ruleset")}
    document = posted.files.get("document")
    errors = FormErrors()
    given = document.content if document else values["text"].encode()
    if len(given) > max_bytes:
        errors.add("document" if document else "text",
                   f"the text is {len(given)} bytes, over this server's limit of {max_bytes}"
                   " — audit a shorter text, or the document in parts")
    ruleset = (installed_ruleset(values["ruleset"]) if values["ruleset"]
               else available_rulesets()[0])
    if ruleset is None:
        errors.add("ruleset", view.t.said("unknown_choice"))
    check_one_given(view, errors, pasted=("text", values["text"]),
                    uploaded=("document", document), missing="audit_text_missing")
    evidence = None
    if plain(values["cell_id"]) and ruleset is not None:
        evidence = await run_in_threadpool(_evidence_result, view, plain(values["cell_id"]),
                                           ruleset, errors)
    audited = None
    if not errors and ruleset is not None:
        data, source, field = ((document.content, document.filename, "document") if document
                               else (values["text"].encode(), view.t("pasted"), "text"))
        audited = await heavy.run(_audit_document, data, source, ruleset, evidence, errors,
                                  field)
    # marking a long text's findings in place is heavy too
    return await heavy.run(_audit_page, view, values=values, errors=errors, audited=audited)
