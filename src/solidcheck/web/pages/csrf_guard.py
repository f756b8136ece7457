"""The CSRF guard of the pages' forms, over the signed double-submit tokens of ``web/csrf.py``:
the token a form page carries (and sets as its cookie), and the check of a posted one."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData

from .. import csrf
from ..deps import get_settings

__all__ = ["form_token", "posted_token_ok"]


def form_token(request: Request) -> str:
    """The browser's token when it is ours (so several open forms stay valid), else new."""
    secret = get_settings(request).secret_key
    held = request.cookies.get(csrf.COOKIE_NAME)
    return held if held and csrf.is_signed(secret, held) else csrf.new_token(secret)


def posted_token_ok(request: Request, form: FormData) -> bool:
    """Whether the form's token is the one in the browser's cookie, and ours."""
    sent = form.get(csrf.FIELD_NAME)
    return csrf.tokens_match(get_settings(request).secret_key,
                             request.cookies.get(csrf.COOKIE_NAME),
                             sent if isinstance(sent, str) else None)
