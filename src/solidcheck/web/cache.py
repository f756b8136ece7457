"""Read caches of the web service: bounded, keyed so that a changed cell is never served stale
and one viewer's view is never served to another.

What is cached, and by what:

- **A cell's JSON** (``GET /v1/cells/{id}``): the serialised body, by the registry, the cell id,
  the cell's revision (``Registry.cell_revision``: it grows with every write concerning the
  cell — a version, a result, evidence, a certificate, an access grant) and the reader's
  visibility (anonymous, a lab, an admin: what the registry filters by). The revision is read
  *before* the cell, so a cached body is never older than its key.
- **A cell's page** (``GET /cells/{id}``): the HTML, by the same revision, the page's language,
  path and query (``lang`` and ``result`` only) — only for requests that carry no credentials
  (no API key, no cookie but the forms' CSRF token), which all see the same published view.
- **Reports** (HTML and PDF of a stored result): by a content hash of what they are drawn from
  (``report_key``: the result's and the dossier version's SHA-256, the evidence files' SHA-256,
  the certificate shown, the language and format), process-wide, since equal inputs give equal
  bytes whichever registry they come from. Who may read the result is checked on every
  request before the cache is consulted.

Every cache is an LRU bounded both in entries and in bytes (an estimate for objects). A cell's
revision is one indexed single-row read, so a hit costs that read and no parsing, validation
or rendering.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Request
from fastapi.responses import Response

from ..registry import CellDetail, Registry
from .csrf import COOKIE_NAME as _CSRF_COOKIE
from .deps import get_settings

__all__ = ["CELL_JSON_LIMITS", "CELL_PAGE_LIMITS", "REPORT_LIMITS", "BoundedCache",
           "CacheStats", "cached_cell_json", "cached_cell_page", "caches_of", "report_cache",
           "report_key"]

V = TypeVar("V")

#: (entries, bytes) of each cache
CELL_JSON_LIMITS = (2048, 32 * 1024 * 1024)
CELL_PAGE_LIMITS = (2048, 64 * 1024 * 1024)
REPORT_LIMITS = (256, 96 * 1024 * 1024)
_JSON = "application/json"
#: the query parameters a cell page takes; a page asked with others is drawn, not cached
_PAGE_QUERY = frozenset({"lang", "result"})


@dataclass(frozen=True, slots=True)
class CacheStats:
    entries: int
    bytes: int
    max_entries: int
    max_bytes: int
    hits: int
    misses: int
    evictions: int


class BoundedCache(Generic[V]):
    """A thread-safe LRU cache bounded in entries and in bytes (``size`` of each value, as
    given to :meth:`put`). A value larger than the byte bound is not kept."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache needs room for at least one entry and one byte")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self._misses += 1
                return None
            self._items.move_to_end(key)
            self._hits += 1
            return item[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
                self._evictions += 1

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(entries=len(self._items), bytes=self._bytes,
                              max_entries=self.max_entries, max_bytes=self.max_bytes,
                              hits=self._hits, misses=self._misses, evictions=self._evictions)


@dataclass(frozen=True, slots=True)
class _Page:
    body: bytes
    media_type: str


class RegistryCaches:
    """The caches of one registry's views (cell ids and revisions mean nothing elsewhere)."""

    def __init__(self) -> None:
        self.cell_json: BoundedCache[bytes] = BoundedCache(*CELL_JSON_LIMITS)
        self.cell_page: BoundedCache[_Page] = BoundedCache(*CELL_PAGE_LIMITS)


_BY_REGISTRY: weakref.WeakKeyDictionary[Registry, RegistryCaches] = weakref.WeakKeyDictionary()
_BY_REGISTRY_LOCK = threading.Lock()


def caches_of(registry: Registry) -> RegistryCaches:
    """The caches of ``registry`` (made on first use, gone with the registry)."""
    with _BY_REGISTRY_LOCK:
        caches = _BY_REGISTRY.get(registry)
        if caches is None:
            caches = _BY_REGISTRY[registry] = RegistryCaches()
        return caches


def _revision(registry: Registry, cell_id: str) -> int | None:
    return registry.cell_revision(cell_id)


def cached_cell_json(registry: Registry, cell_id: str, viewer: Hashable,
                     load: Callable[[], CellDetail]) -> Response:
    """``GET /v1/cells/{id}``: the JSON of ``load()`` (the registry's read for ``viewer``),
    served from the cache while the cell's revision is unchanged. ``viewer`` must tell apart
    every reader the registry would answer differently (the route's visibility)."""
    revision = _revision(registry, cell_id)  # first: a body is never older than its key
    if revision is None:  # no such cell: the read raises the 404
        return _json(_dump(load()))
    cache = caches_of(registry).cell_json
    key = (cell_id, revision, viewer)
    body = cache.get(key)
    if body is None:
        body = _dump(load())
        cache.put(key, body, len(body))
    return _json(body)


def _dump(detail: CellDetail) -> bytes:
    """The body FastAPI's ``response_model`` would send."""
    return detail.model_dump_json(by_alias=True).encode("utf-8")


def _json(body: bytes) -> Response:
    return Response(body, media_type=_JSON)


def anonymous(request: Request) -> bool:
    """True when the request carries no credentials: no API key and no cookie but the forms'
    CSRF token — so it is shown what every anonymous reader is."""
    headers = request.headers
    if "authorization" in headers or "x-api-key" in headers:
        return False
    return all(name == _CSRF_COOKIE for name in request.cookies)


def cached_cell_page(request: Request, registry: Registry, cell_id: str, lang: str,
                     render: Callable[[], Response]) -> Response:
    """``GET /cells/{id}``: ``render()``'s page, served from the cache for anonymous readers
    while the cell's revision is unchanged; only 200 pages are kept, without cookies."""
    if (not anonymous(request) or not cell_id.isprintable()
            or not get_settings(request).public_reads
            or not _PAGE_QUERY.issuperset(request.query_params.keys())):
        return render()
    revision = _revision(registry, cell_id)  # first: a page is never older than its key
    if revision is None:
        return render()
    cache = caches_of(registry).cell_page
    key = (cell_id, revision, lang, request.url.path, request.url.query)
    page = cache.get(key)
    if page is not None:
        return Response(page.body, media_type=page.media_type)
    response = render()
    if (response.status_code == 200 and "set-cookie" not in response.headers
            and isinstance(response.body, bytes)):
        media_type = response.headers.get("content-type", "text/html; charset=utf-8")
        cache.put(key, _Page(bytes(response.body), media_type), len(response.body))
    return response


# --------------------------------------------------------------------------- reports

_REPORTS: BoundedCache[tuple[bytes, str, str]] = BoundedCache(*REPORT_LIMITS)


def report_cache() -> BoundedCache[tuple[bytes, str, str]]:
    """The process-wide cache of rendered reports: content, media type, file name."""
    return _REPORTS


def report_key(*parts: str | int | None, evidence: Iterable[tuple[str, str]] = ()) -> str:
    """A content hash of a report's inputs (SHA-256 of each part and of the evidence files'
    names and SHA-256, in order)."""
    digest = hashlib.sha256()
    for part in (*parts, *(f"{name}\x00{sha}" for name, sha in evidence)):
        text = "" if part is None else str(part)
        digest.update(f"{len(text)}:{text};".encode())
    return digest.hexdigest()
