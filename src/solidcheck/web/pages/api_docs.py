"""``/docs``: the REST API's interactive documentation, in the site's frame.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, so the server turns it off
(``docs_url=None``) and serves this page instead: Swagger UI's script and stylesheet are
the files the ``fastapi-offline`` package ships (a dependency of the ``server`` extra — only
its files are used, not its app), our initialiser and style are in ``web/static``, and all of
them are served from here under ``/static/api-docs/``. The page asks nothing of another host.
"""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import MissingDependencyError
from .frame import View, render
from .navigation import MenuEntry, Page

__all__ = ["PAGE"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/docs", "nav_api_docs", place=90))

_ASSETS_PATH = "/static/api-docs"
#: file name → (package, folder inside it, media type)
_ASSETS = {
    "swagger-ui-bundle.js": ("fastapi_offline", "static", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("fastapi_offline", "static", "text/css; charset=utf-8"),
    "api-docs.js": ("solidcheck", "web/static", "text/javascript; charset=utf-8"),
    "api-docs.css": ("solidcheck", "web/static", "text/css; charset=utf-8"),
}


def _missing() -> MissingDependencyError:
    return MissingDependencyError("The interactive API documentation (/docs)", extra="server",
                                  package="fastapi-offline")


@functools.cache
def _asset(name: str) -> bytes:
    package, folder, _ = _ASSETS[name]
    try:
        root = resources.files(package)
    except ImportError:  # not installed, or its import fails
        raise _missing() from None
    return root.joinpath(*folder.split("/"), name).read_bytes()


@router.get("/docs")
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json; without the package that ships it, the problem page
    that says what to install (a browser) or the JSON problem (anything else)."""
    _asset("swagger-ui-bundle.js")  # MissingDependencyError now, not a page that stays empty
    view = View(request)
    return render(view, "api_docs.html.j2", title=view.t("api_docs_title"), assets=_ASSETS_PATH)


@router.get(_ASSETS_PATH + "/{name}")
def api_docs_asset(name: str) -> Response:
    """Swagger UI's files and ours, cached for an hour like the site's stylesheet."""
    if name not in _ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_asset(name), media_type=_ASSETS[name][2],
                    headers={"Cache-Control": "public, max-age=3600"})
