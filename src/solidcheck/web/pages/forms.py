"""The pages' forms: a posted form read whole under a cap and checked for its CSRF token (a
page saying why when it is too large or forged), and what was wrong with it shown — the error
summary in the form's order, core problems as field errors, pasted text or an upload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.exceptions import HTTPException

from ...errors import Problem
from ..classify_form import FormErrors, ProblemSaid, Upload
from ..inputs import limited
from .csrf_guard import posted_token_ok
from .frame import View, problem_page
from .problem_words import form_message

__all__ = ["Posted", "add_problems", "check_one_given", "error_list", "errors_by_field",
           "read_form"]


def error_list(view: View, errors: FormErrors, labels: Mapping[str, str],
               form_id: str) -> list[dict[str, Any]]:
    """The error summary: each message linked to its field, in the order of the form
    (``labels`` lists the fields in that order; specimen rows sit with the test)."""
    order = {name: float(rank) for rank, name in enumerate(labels)}

    def position(name: str) -> tuple[float, str]:
        if name.startswith("specimen_"):
            return order.get("wl_balance_resolution_mg", 0.0) + 0.5, name
        return order.get(name, -1.0), ""

    return [{"href": f"#{name or form_id}", "label": _field_label(view, name, labels),
             "message": form_message(message, view.lang)}
            for name, message in sorted(errors.items(), key=lambda item: position(item[0]))]


def errors_by_field(view: View, errors: FormErrors) -> dict[str, list[Markup | str]]:
    """Each field's errors as the page shows them, in its language."""
    return {name: [form_message(message, view.lang) for message in messages]
            for name, messages in errors.by_field.items()}


def _field_label(view: View, name: str, labels: Mapping[str, str]) -> str:
    if name in labels:
        return view.t(labels[name])
    if name.startswith("specimen_"):
        _, row, which = name.split("_")
        return f"S{row} {view.t('mass_before' if which == 'before' else 'mass_after')}"
    return view.t("the_form")


def add_problems(errors: FormErrors, name: str, problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        errors.add(name, ProblemSaid(problem, with_path=True))


def check_one_given(view: View, errors: FormErrors, *, pasted: tuple[str, str],
                    uploaded: tuple[str, object | None], missing: str) -> None:
    """A form that takes pasted text or an uploaded file wants exactly one of them."""
    (text_field, text), (file_field, upload) = pasted, uploaded
    if upload and text.strip():
        errors.add(file_field, view.t.said("paste_or_upload"))
    elif not upload and not text.strip():
        errors.add(text_field, view.t.said(missing))


@dataclass(frozen=True)
class Posted:
    """A posted form, read whole (its temporary files closed): text values and uploads."""

    fields: list[tuple[str, str]]
    files: dict[str, Upload]

    def text(self, name: str) -> str:
        return next((value for field, value in self.fields if field == name), "")

    def every(self, name: str) -> list[str]:
        return [value for field, value in self.fields if field == name]


async def read_form(view: View, max_bytes: int) -> Posted | HTMLResponse:
    """The posted form, at most ``max_bytes`` (what its files may hold, plus the fields); a
    page saying why when it is larger (413, as soon as it streams past them) or its CSRF
    token is not the cookie's (403). A file input left empty (nothing chosen) is no upload."""
    request = view.request
    try:
        limited_request = limited(request, max_bytes, what="the form",
                                  fix="send smaller files, or a shorter text")
        return await _parse_form(request, limited_request, max_bytes)
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        return problem_page(view, 413, "too_large_title",
                            view.t("too_large_message").format(limit=f"{max_bytes:,}"))


async def _parse_form(request: Request, limited_request: Request,
                      max_bytes: int) -> Posted | HTMLResponse:
    async with limited_request.form(max_part_size=max_bytes) as form:
        if not posted_token_ok(request, form):
            return _csrf_refused(View(request))
        fields: list[tuple[str, str]] = []
        files: dict[str, Upload] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):
                fields.append((name, value))
                continue
            content = await value.read()
            if (content or value.filename) and name not in files:
                files[name] = Upload(value.filename or name, content)
        return Posted(fields, files)


def _csrf_refused(view: View) -> HTMLResponse:
    return problem_page(view, 403, "csrf_title", view.t("csrf_message"))
