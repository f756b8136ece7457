"""The cell page's Reclassify form (issue 20), posted to ``/cells/{id}`` with a lab's key
and the page's CSRF token: the same ``Registry.reclassify`` as ``POST
/v1/cells/{id}/reclassify``. Done, the browser is sent back to the page (303), which shows
the new result beside the others; a problem shows the page again with it at its field, and
nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...errors import AccessDeniedError, NotFoundError
from ...registry import ApiKeyRecord
from ...rules import available_rulesets
from .. import heavy
from ..deps import get_registry, writer
from ..inputs import FORM_OVERHEAD_BYTES
from .cell import cell_page_response
from .cell_rulesets import FormProblem
from .forms import read_form
from .frame import View
from .navigation import Page

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router)

#: the roles whose keys may store a result (a reader's may not)
_WRITING_ROLES = frozenset({"lab", "admin"})


def _key_or_problem(view: View, secret: str) -> ApiKeyRecord | FormProblem:
    if not secret:
        return "api_key", view.t.said("reclassify_key_missing")
    try:
        key = get_registry(view.request).authenticate(secret)
    except AccessDeniedError:
        return "api_key", view.t.said("reclassify_key_refused")
    if key.role not in _WRITING_ROLES:
        return "api_key", view.t.said("reclassify_key_role")
    return key


def _reclassify(view: View, cell_id: str, secret: str, ruleset_id: str) -> Response:
    problems: list[FormProblem] = []
    installed = {r.id: r for r in available_rulesets()}
    if ruleset_id not in installed:
        problems.append(("ruleset", view.t.said("reclassify_unknown_ruleset")))
    key = _key_or_problem(view, secret)
    if isinstance(key, tuple):
        problems.append(key)
    if problems or not isinstance(key, ApiKeyRecord):
        return cell_page_response(view.request, cell_id, status=422, problems=problems)
    try:
        record = get_registry(view.request).reclassify(cell_id, ruleset=installed[ruleset_id],
                                                       **writer(key))
    except AccessDeniedError:
        return cell_page_response(view.request, cell_id, status=403, problems=[
            ("api_key", view.t.said("reclassify_not_yours"))])
    except NotFoundError:  # the page says so, in its language
        return cell_page_response(view.request, cell_id)
    return RedirectResponse(view.cell_href(cell_id, result=record.id) + "#rulesets",
                            status_code=303)


@router.post("/cells/{cell_id}", response_class=HTMLResponse)
async def reclassify_from_the_page(request: Request, cell_id: str) -> Response:
    """Reclassify the cell's latest version under the rule set of the button pressed."""
    view = View(request)
    posted = await read_form(view, FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    # a key looked up, a dossier classified, a result written: off the event loop
    return await heavy.run(_reclassify, view, cell_id, posted.text("api_key").strip(),
                           posted.text("ruleset"))
