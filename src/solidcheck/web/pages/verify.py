"""The verify page (``/verify``): every check of a certificate — pasted, uploaded or kept in
the registry (``?certificate=<id>``) — optionally against a public key and a dossier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from ...certificates import MAX_CERTIFICATE_BYTES, Verification, parse_public_key, verify
from ...dossier import MAX_DOSSIER_BYTES
from ...errors import InvalidInputError, NotFoundError
from ...i18n import message
from ...i18n.said import Said
from .. import heavy
from ..classify_form import FormErrors, Upload
from ..deps import get_registry, get_settings
from ..inputs import FORM_OVERHEAD_BYTES
from .forms import add_problems, check_one_given, error_list, errors_by_field, read_form
from .frame import Lang, View, render, whole_number
from .navigation import MenuEntry, Page
from .shared import category_term

__all__ = ["PAGE", "router", "verify_reasons"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/verify", "nav_verify", place=40))

_VERIFY_LABELS = {"certificate_text": "field_certificate_text",
                  "certificate_file": "field_certificate_file",
                  "public_key": "field_public_key", "dossier_file": "field_verify_dossier"}


@dataclass(frozen=True)
class _VerifyOutcome:
    verification: Verification
    source: str


def verify_reasons(verification: Verification, lang: Lang) -> list[Markup | str]:
    """Why a certificate does not verify, in the page's language.

    The seam for issue 15: when a verification carries its reasons as message ids and
    parameters (``reason_messages``: ``(message_id, params)`` pairs, certificates/
    verification.py), they are said in ``lang``; until then its English ``reasons`` are shown,
    marked as English by the page."""
    said = getattr(verification, "reason_messages", None)
    if said:
        return [escape(message(message_id, params, lang)) for message_id, params in said]
    return list(verification.reasons)


def _verify_page(view: View, *, values: Mapping[str, str], errors: FormErrors,
                 outcome: _VerifyOutcome | None, status: int | None = None) -> HTMLResponse:
    verification = outcome.verification if outcome else None
    return render(
        view, "verify.html.j2", title=view.t("verify_title"), form=True,
        status=status or (422 if errors else 200), values=values, outcome=outcome,
        reasons=verify_reasons(verification, view.lang) if verification else [],
        errors=error_list(view, errors, _VERIFY_LABELS, "verify-form"),
        errors_by_field=errors_by_field(view, errors),
        category=category_term(view, verification.category) if verification else None)


def _verify(certificate: bytes, public_key_text: str, dossier: Upload | None, source: str,
            errors: FormErrors, certificate_field: str) -> _VerifyOutcome | None:
    """Every check of a certificate; a malformed one or an unusable key is a field error."""
    public_key = None
    if public_key_text:
        try:
            public_key = parse_public_key(public_key_text, source="public key")
        except InvalidInputError as exc:
            add_problems(errors, "public_key", exc.problems)
    if errors:
        return None
    try:
        verification = verify(certificate, public_key=public_key, source=source,
                              dossier_bytes=dossier.content if dossier else None)
    except InvalidInputError as exc:
        add_problems(errors, certificate_field, exc.problems)
        return None
    return _VerifyOutcome(verification, source)


@router.get("/verify", response_class=HTMLResponse)
def verify_form_page(request: Request) -> HTMLResponse:
    """The form; ``?certificate=<id>`` verifies a certificate kept in the registry."""
    view = View(request)
    errors = FormErrors()
    stored_id = request.query_params.get("certificate", "")
    certificate_id = whole_number(stored_id, below=2**63)
    if certificate_id is None:
        return _verify_page(view, values={}, errors=errors, outcome=None)
    if not get_settings(request).public_reads:
        errors.add("certificate_text", view.t.said("not_public_message"))
        return _verify_page(view, values={}, errors=errors, outcome=None, status=403)
    try:
        data = get_registry(request).get_certificate(certificate_id, published_only=True)
    except NotFoundError:
        errors.add("certificate_text", Said("web.form.no_published_certificate",
                                            {"certificate_id": stored_id}))
        return _verify_page(view, values={}, errors=errors, outcome=None, status=404)
    outcome = _verify(data, "", None, f"certificate {stored_id}", errors, "certificate_text")
    return _verify_page(view, values={}, errors=errors, outcome=outcome)


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(request: Request) -> HTMLResponse:
    """Verify a pasted or uploaded certificate, optionally against a key and a dossier."""
    view = View(request)
    posted = await read_form(view, 2 * MAX_CERTIFICATE_BYTES + MAX_DOSSIER_BYTES
                             + FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    values = {name: posted.text(name) for name in ("certificate_text", "public_key")}
    uploaded = posted.files.get("certificate_file")
    dossier = posted.files.get("dossier_file")
    errors = FormErrors()
    pasted = values["certificate_text"].strip()
    check_one_given(view, errors, pasted=("certificate_text", pasted),
                    uploaded=("certificate_file", uploaded), missing="certificate_missing")
    if errors:
        return _verify_page(view, values=values, errors=errors, outcome=None)
    # A pasted certificate has lost its exact bytes; its one line plus the newline is what a
    # certificate file holds. An uploaded one is checked byte for byte.
    data, source, field = ((uploaded.content, uploaded.filename, "certificate_file") if uploaded
                           else ((pasted + "\n").encode(), view.t("pasted"), "certificate_text"))
    outcome = await heavy.run(_verify, data, values["public_key"].strip(), dossier,
                              source, errors, field)
    return _verify_page(view, values=values, errors=errors, outcome=outcome)
