"""The web pages: server-rendered HTML over the registry and the same core calls as the CLI.

Every page works without JavaScript. Every form is a plain POST guarded by a signed
double-submit CSRF token (``csrf_guard.py``); every string from a user, a dossier or a
document is escaped by Jinja2's autoescape. The words come from ``web/locales/pages.toml``
and, for what a report already says, ``report/locales/labels.toml`` — English or Chinese,
chosen by ``?lang=`` and otherwise by the browser's ``Accept-Language``. Downloads (reports,
evidence, certificates) link to the REST API under ``/v1``. A cell looks the same on its page
as in its report, an audit as in ``solidcheck audit --format html``: both are drawn with
``report/parts.py``.

The package: ``frame.py`` (language, words, the menu, rendering, problem pages),
``csrf_guard.py``, ``static.py``, ``forms.py`` (a posted form read and its errors shown),
``shared.py`` (views several pages show), ``navigation.py`` (what a page declares, the
menu), and one module per page (search, a cell, classify, glossary, verify, audit), each
declaring its ``PAGE``. :data:`router` holds them all; a new page needs no line here.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import static
from .missing_extra import install_missing_extra_page
from .navigation import pages

__all__ = ["install_missing_extra_page", "router"]



def _all_routes() -> APIRouter:
    every = APIRouter(include_in_schema=False)
    every.include_router(static.router)
    for page in pages():
        every.include_router(page.router)
    return every


#: every page's routes and the static files: what ``web/app.py`` mounts
router = _all_routes()
