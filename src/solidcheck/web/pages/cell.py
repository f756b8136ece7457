"""A cell's page (``/cells/{id}``): the verdict and its reasons, the weight-loss test, every
version, result, evidence file and certificate, and the downloads. Reached from the search,
not from the menu."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from ...build import summary_said
from ...errors import NotFoundError
from ...i18n import Param, message
from ...registry import CellDetail, Registry, ResultRecord
from ...rules import available_rulesets
from ..cache import cached_cell_page
from ..deps import get_registry, get_settings
from .cell_rulesets import FormProblem, rulesets_side_by_side
from .evidence_views import OvenView, stored_oven_view
from .frame import Lang, View, plain, problem_page, render
from .navigation import Page
from .shared import category_term, downloads, result_view

__all__ = ["PAGE", "cell_page_response", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router)


#: the summary the registry stores for an evidence file (registry/store/evidence.py)
_SUMMARY = re.compile(r"\A(?P<format>[^:]+): (?P<rows>\d+) rows(?: over (?P<hours>[0-9.]+) h)? "
                      r"\((?P<channels>.*)\)\Z", re.S)


def evidence_line(summary: str, lang: Lang) -> Markup | str:
    """An evidence file's stored summary ("oven-csv: 370 rows over 6.17 h (time_s, …)") in
    the page's language; a summary of another shape stays as stored (English)."""
    found = _SUMMARY.match(summary)
    if found is None:
        return summary
    params: dict[str, Param] = {"format": found["format"], "rows": int(found["rows"]),
                                "channels": found["channels"]}
    if found["hours"] is None:
        return escape(message("web.evidence.summary", params, lang))
    params["span"] = round(float(found["hours"]) * 60) / 60  # stored to 0.01 h: whole minutes
    return escape(message("web.evidence.summary_span", params, lang))


def _drawn_from(detail: CellDetail, lang: Lang) -> dict[str, Markup]:
    """What the latest version's dossier says it drew from each evidence file, by SHA-256, in
    the page's language: the build's summary (``summary_id``); a dossier built without one
    gives nothing here (its English summary adds nothing to the reader's own line)."""
    latest = next((v for v in detail.versions if v.version == detail.latest_version), None)
    if latest is None:
        return {}
    found = {}
    for evidence in latest.dossier.evidence:
        said = summary_said(evidence)
        if said is not None:
            found[evidence.sha256] = escape(said.text(lang))
    return found


def _oven(view: View, registry: Registry, detail: CellDetail,
          selected: ResultRecord | None) -> OvenView | None:
    """The oven log of the result shown, drawn as its report draws it."""
    if selected is None:
        return None
    dossier = next(v.dossier for v in detail.versions if v.version == selected.version)
    return stored_oven_view(view, registry, selected.id, dossier)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _selected_result(detail: CellDetail, wanted: str | None) -> ResultRecord | None:
    """The result asked for, else the latest version's under the default rule set, else
    the newest."""
    if not detail.results:
        return None
    if wanted:
        chosen = next((r for r in detail.results if r.id == wanted), None)
        if chosen is not None:
            return chosen
    default = available_rulesets()[0].id
    return next((r for r in detail.results
                 if r.version == detail.latest_version and r.ruleset == default),
                detail.results[0])


def _cell_context(view: View, detail: CellDetail, wanted: str | None) -> dict[str, Any]:
    selected = _selected_result(detail, wanted)
    versions = {v.version: v for v in detail.versions}
    shown = None
    if selected is not None:
        shown = result_view(view, selected.result, versions[selected.version].dossier, "shown")
    drawn = _drawn_from(detail, view.lang)
    results = [{"record": r, "term": category_term(view, r.result.category),
                "href": view.cell_href(detail.id, result=r.id), "when": _when(r.created_at),
                "selected": selected is not None and r.id == selected.id,
                "downloads": downloads(view, r.id)} for r in detail.results]
    return {
        "cell": detail,
        "updated": _when(detail.updated_at),
        "selected": selected,
        "shown": shown,
        "downloads": downloads(view, selected.id) if selected else [],
        "versions": [{"record": v, "when": _when(v.created_at)} for v in detail.versions],
        "results": results,
        "evidence": [{"record": e, "when": _when(e.created_at),
                      "summary": evidence_line(e.summary, view.lang) if e.summary else None,
                      "drawn": drawn.get(e.sha256), "href": f"/v1/evidence/{e.sha256}"}
                     for e in detail.evidence],
        "certificates": [{"record": c, "when": _when(c.created_at),
                          "href": f"/v1/certificates/{c.id}",
                          "verify_href": view.href("/verify", certificate=c.id)}
                         for c in detail.certificates],
    }


@router.get("/cells/{cell_id}", response_class=HTMLResponse)
def cell_page(request: Request, cell_id: str) -> Response:
    """One cell: the verdict and its reasons, the weight-loss test, every version, result,
    evidence file and certificate, and the downloads."""
    # read cache (cache.py): anonymous readers' page, by the cell's revision and the language
    return cached_cell_page(request, get_registry(request), cell_id, View(request).lang,
                            lambda: _cell_page(request, cell_id))


def _cell_page(request: Request, cell_id: str) -> HTMLResponse:
    return cell_page_response(request, cell_id)


def cell_page_response(request: Request, cell_id: str, *, status: int = 200,
                       problems: Sequence[FormProblem] = ()) -> HTMLResponse:
    """The cell's page; ``problems`` of its Reclassify form shown with ``status``."""
    view = View(request)
    if not get_settings(request).public_reads:
        return problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))
    detail = None
    if plain(cell_id, limit=1000) == cell_id:  # no stored id has control characters
        with suppress(NotFoundError):
            detail = get_registry(request).get_cell(cell_id, published_only=True)
    if detail is None:
        return problem_page(view, 404, "not_found_title",
                            view.t("cell_not_found").format(cell_id=cell_id))
    context = _cell_context(view, detail, request.query_params.get("result"))
    context["oven"] = _oven(view, get_registry(request), detail, context["selected"])
    # issue 20: the rule sets side by side; the Reclassify form (and its CSRF token, which
    # keeps the page out of the shared cache) only while a rule set has no result
    context.update(rulesets_side_by_side(view, detail, problems))
    return render(view, "cell.html.j2", title=detail.id, status=status,
                  form=bool(context["missing_rulesets"]), **context)
