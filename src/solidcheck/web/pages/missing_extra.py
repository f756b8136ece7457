"""The page a browser gets when it follows a link to something an optional extra makes — the
"Report (PDF)" link without WeasyPrint — and the server lacks the extra: what to install, in
the page's language, instead of the API's JSON problem (which API clients keep)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ...errors import MissingDependencyError, MissingSystemLibraryError
from ..accept import media_quality
from ..problems import error_response, request_id_of
from .frame import View, render

__all__ = ["install_missing_extra_page", "missing_extra_page", "wants_html"]


def wants_html(accept: str) -> bool:
    """True when the Accept header names text/html and prefers it to JSON, as a browser's
    navigation does; ``*/*`` alone (curl, scripts) is not a browser."""
    qualities: dict[str, float] = {}
    for item in accept.split(","):
        media, _, params = item.partition(";")
        media = media.strip().lower()
        qualities[media] = max(qualities.get(media, 0.0), media_quality(params))
    html = qualities.get("text/html", 0.0)
    return html > 0 and html >= qualities.get("application/json", 0.0)


def _back_link(request: Request) -> str | None:
    """The page the link was followed from, when it is one of this site's (path and query
    only, so the link never leads elsewhere)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path.startswith("/") or referer.netloc != request.url.netloc:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def missing_extra_page(request: Request, exc: MissingDependencyError) -> HTMLResponse:
    """The site's problem page (501) naming the package and the command that installs it;
    for a package installed without its system libraries, those and the system's command
    (pip cannot help there)."""
    view = View(request)
    system = exc if isinstance(exc, MissingSystemLibraryError) else None
    needs = "missing_library_needs" if system else "missing_extra_needs"
    return render(view, "missing_extra.html.j2", title=view.t("missing_extra_title"),
                  status=501, explanation=view.t(needs), package=exc.package,
                  extra=exc.extra, system=system, technical=str(exc),
                  back=_back_link(request))


async def _handle(request: Request, exc: Exception) -> HTMLResponse | JSONResponse:
    assert isinstance(exc, MissingDependencyError)
    if wants_html(request.headers.get("accept", "")):
        return missing_extra_page(request, exc)
    return error_response(exc, request_id_of(request))


def install_missing_extra_page(app: FastAPI) -> None:
    """Browsers get :func:`missing_extra_page`, API clients the JSON problem (501); after
    ``problems.install_exception_handlers``, whose handler for the class this replaces."""
    app.add_exception_handler(MissingDependencyError, _handle)
