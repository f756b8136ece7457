"""The audit page (``/audit``): a pasted text or an uploaded document with every term, claim
and implausible figure marked where it occurs, as ``solidcheck audit --format html`` marks
it; claims optionally checked against a registered cell's published result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from ...claims.audit import audit
from ...claims.extract import extract_from_bytes
from ...claims.localise import (
    finding_basis,
    finding_kind,
    finding_message,
    finding_suggestion,
    note_text,
)
from ...claims.model import AuditFinding, AuditReport
from ...errors import InvalidInputError, NotFoundError
from ...i18n.said import Said
from ...model import Result
from ...report.parts import SEVERITY_RANK, finding_place, marked_segments, text_language
from ...rules import Ruleset, available_rulesets
from .. import heavy
from ..classify_form import FormErrors
from ..deps import get_registry, get_settings
from ..inputs import FORM_OVERHEAD_BYTES
from .forms import add_problems, check_one_given, error_list, errors_by_field, read_form
from .frame import HTML_LANG, View, plain, render
from .navigation import MenuEntry, Page
from .shared import installed_ruleset, ruleset_options

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/audit", "nav_audit", place=50))

_AUDIT_LABELS = {"text": "field_audit_text", "document": "field_audit_document",
                 "cell_id": "field_audit_cell", "ruleset": "ruleset"}


def _marked_pieces(view: View, text: str,
                   findings: list[AuditFinding]) -> list[dict[str, Any]]:
    """The text cut where findings start and end; each marked piece with its worst
    severity and the numbers of the findings covering it."""
    said = [finding_message(finding, view.lang) for finding in findings]
    colon, semicolon = (": ", "; ") if view.lang == "en" else ("：", "；")
    pieces: list[dict[str, Any]] = []
    for start, end, covering in marked_segments(len(text), findings):
        piece: dict[str, Any] = {"text": text[start:end], "severity": None}
        if covering:
            piece["severity"] = min((findings[i].severity for i in covering),
                                    key=SEVERITY_RANK.__getitem__)
            piece["numbers"] = [i + 1 for i in covering]
            piece["title"] = semicolon.join(
                f"{view.t('severity_' + findings[i].severity)}{colon}{said[i]}"
                for i in covering)
        pieces.append(piece)
    return pieces


def _said(view: View, finding: AuditFinding, text: str) -> Markup:
    """A finding's words: in the page's language when it has a message id, else English."""
    if finding.message_id is None:
        return view.t.english(text)
    return escape(text)


def _said_basis(view: View, finding: AuditFinding) -> Markup:
    """The rule's basis in the page's language, where the rule gives it in Chinese."""
    if view.lang != "en" and finding.basis_zh is None:
        return view.t.english(finding.basis)
    return escape(finding_basis(finding, view.lang))


def _notes(view: View, report: AuditReport | None) -> list[Markup]:
    notes = report.source.get("notes") if report else None
    return [_said_note(view, str(note)) for note in notes] if isinstance(notes, list) else []


def _said_note(view: View, note: str) -> Markup:
    """A note on the extraction (a fallback encoding, pages without text) in the page's
    language where it is known, else in English, marked so."""
    said = note_text(note, view.lang)
    return view.t.english(note) if said is None else escape(said)


def _evidence_result(view: View, cell_id: str, ruleset: Ruleset,
                     errors: FormErrors) -> Result | None:
    """The stored result claims are checked against: the cell's latest version under the
    audit's rule set, else under any."""
    if not get_settings(view.request).public_reads:
        errors.add("cell_id", view.t.said("not_public_message"))
        return None
    try:
        detail = get_registry(view.request).get_cell(cell_id, published_only=True)
    except NotFoundError:
        errors.add("cell_id", Said("web.form.no_published_cell", {"cell_id": repr(cell_id)}))
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
    findings = [{"number": n, "finding": f, "where": finding_place(f, view.lang),
                 "message": _said(view, f, finding_message(f, view.lang)),
                 "suggestion": finding_suggestion(f, view.lang),
                 "basis": _said_basis(view, f), "kind": finding_kind(f, view.lang)}
                for n, f in enumerate(report.findings if report else [], start=1)]
    return render(
        view, "audit.html.j2", title=view.t("audit_title"), form=True,
        status=422 if errors else 200, values=values, report=report,
        pieces=_marked_pieces(view, text, report.findings) if report else [],
        text_lang=HTML_LANG["zh" if text_language(text) == "zh" else "en"], findings=findings,
        notes=_notes(view, report),
        options={"ruleset": ruleset_options(view)},
        errors=error_list(view, errors, _AUDIT_LABELS, "audit-form"),
        errors_by_field=errors_by_field(view, errors))


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
                   Said("web.form.text_too_large", {"size": len(given), "limit": max_bytes}))
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
