"""The pages' own files under ``/static`` (the stylesheet): no build step, no CDN."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_STATIC = {"site.css": "text/css; charset=utf-8",
           "charging.js": "text/javascript; charset=utf-8"}  # ch18-page: the live page


@functools.cache
def _static_bytes(name: str) -> bytes:
    return resources.files("solidcheck").joinpath("web", "static", name).read_bytes()


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The pages' stylesheet (no build step, no CDN)."""
    if name not in _STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_static_bytes(name), media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})
