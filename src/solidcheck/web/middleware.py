"""The service's ASGI middleware (pure ASGI: no per-request task or body buffering).

Outermost first, as ``app.py`` installs them::

    RequestContext   a request id (``X-Request-ID``) and the Prometheus request metrics
    SecurityHeaders  nosniff, referrer policy, no framing, a Content-Security-Policy
    CatchUnexpected  an exception no handler mapped → 500 JSON with the request id, logged;
                     inside the two above, so even a 500 is counted and has the headers
    RateLimit        a token bucket per API key (per client address without one) → 429
    BodySizeLimit    the declared and the streamed body size against the limit → 413
    UseHeavyPool     the app's pool of heavy workers (``heavy.py``) for the request's work

Each kind of body has its own, smaller limit too, checked as it streams in by the route's
body-reading dependency (``inputs.limited``): this one is the ceiling for every route.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import AccessDeniedError
from ..registry import Registry
from . import heavy
from .deps import bearer_secret
from .metrics import Metrics
from .problems import error_response

__all__ = ["BodySizeLimit", "CatchUnexpected", "RateLimit", "RateLimiter", "RequestContext",
           "SecurityHeaders", "UseHeavyPool", "capped_receive"]

Clock = Callable[[], float]


def _request_id(scope: Scope) -> str | None:
    request_id: str | None = scope.get("state", {}).get("request_id")
    return request_id


async def _answer(scope: Scope, receive: Receive, send: Send, exc: BaseException) -> None:
    """Answer with the error body for ``exc``, from a middleware (before any route ran)."""
    await error_response(exc, _request_id(scope))(scope, receive, send)


class RequestContext:
    """Give each request an id (kept in ``request.state.request_id``, sent back as
    ``X-Request-ID``) and record its status and latency by route template."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # what the server answers if the app raises before starting a response
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.observe_request(method=scope["method"], route=self._template(scope),
                                         status=status, seconds=time.perf_counter() - started)

    @staticmethod
    def _template(scope: Scope) -> str:
        """The route's path template: a bounded label, never the raw path. ``unrouted``: no
        route took the request (404, 405, or a middleware's 400, 413 or 429)."""
        path = getattr(scope.get("route"), "path", None)
        return path if isinstance(path, str) else "unrouted"


#: a page's styles and plots are inline (the report's <style> and SVG); nothing is fetched
#: from elsewhere, no plugin runs, and no other site may frame a page or receive a form
HTML_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
#: JSON, PDF, evidence bytes: never a document that runs anything
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """Add the security headers to every response; a route that sets one of them itself
    (e.g. a page with a stricter policy) keeps its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                is_html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", HTML_CSP if is_html else OTHER_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchUnexpected:
    """Turn any exception that escaped the handlers into an error body (500 for a bug, and
    the mapped status for a known error raised by a middleware), logged with the request id;
    a user never sees a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if response_started:  # too late for an error body: the server drops the connection
                raise
            await _answer(scope, receive, send, exc)


class RateLimiter:
    """A token bucket per caller: a burst of ``per_minute`` requests, refilled evenly over a
    minute. In-process: each server process counts its own requests. ``clock`` is
    replaceable (tests move time forward instead of sleeping)."""

    def __init__(self, per_minute: int, *, clock: Clock = time.monotonic,
                 max_callers: int = 10_000) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1; 0 means no limiter at all")
        self.per_minute = per_minute
        self.clock = clock
        self.max_callers = max_callers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def _refill_per_second(self) -> float:
        return self.per_minute / 60.0

    def acquire(self, caller: str) -> float:
        """Take one request from ``caller``'s bucket: 0.0 if it may go ahead, else the
        seconds until it may."""
        now = self.clock()
        tokens, last = self._buckets.pop(caller, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * self._refill_per_second)
        if tokens >= 1.0:
            self._remember(caller, tokens - 1.0, now)
            return 0.0
        self._remember(caller, tokens, now)
        return (1.0 - tokens) / self._refill_per_second

    def _remember(self, caller: str, tokens: float, now: float) -> None:
        self._buckets[caller] = (tokens, now)  # most recent last
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)  # the caller idle longest: its bucket is fullest


class RateLimit:
    """Refuse a caller's requests beyond the limiter's rate with 429 and ``Retry-After``.

    The caller is the API key, authenticated here (and kept for the routes in
    ``request.state.api_key``), so a made-up key cannot dodge the limit: a request whose key
    does not authenticate counts against its client address.
    """

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, exempt: Sequence[str] = ()) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.acquire(await self._caller(scope))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            exc = HTTPException(429, f"too many requests: the limit is {self.limiter.per_minute}"
                                " per minute for each API key (or client address without one)"
                                f" — retry after {seconds} s", headers={"Retry-After":
                                                                        str(seconds)})
            await _answer(scope, receive, send, exc)
            return
        await self.app(scope, receive, send)

    async def _caller(self, scope: Scope) -> str:
        secret = bearer_secret(Headers(scope=scope))
        if secret is not None:
            registry: Registry = scope["app"].state.registry
            try:
                key = await run_in_threadpool(registry.authenticate, secret)
            except AccessDeniedError:
                key = None
            if key is not None:
                scope.setdefault("state", {})["api_key"] = key
                return f"key:{key.id}"
        client = scope.get("client")
        return f"address:{client[0] if client else 'unknown'}"


class BodySizeLimit:
    """Refuse a request body over ``max_bytes`` with 413: at once when Content-Length says so,
    and while it streams in otherwise (a chunked or lying client)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"the request body is larger than this server's limit of "
                             f"{self.max_bytes} bytes — send a smaller file, or ask the "
                             "administrator to raise SOLIDCHECK_MAX_BODY_BYTES")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _answer(scope, receive, send, HTTPException(
                    400, f"Content-Length {declared[:40]!r} is not a number of bytes"))
                return
            if int(declared) > self.max_bytes:
                await _answer(scope, receive, send, self._too_large())
                return
        # an HTTPException raised while streaming is handled like any other: an error body
        await self.app(scope, capped_receive(receive, self.max_bytes, self._too_large), send)


def capped_receive(receive: Receive, limit: int,
                   too_large: Callable[[], HTTPException]) -> Receive:
    """``receive``, raising ``too_large()`` once more than ``limit`` body bytes came in."""
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large()
        return message

    return counting_receive


class UseHeavyPool:
    """Send the heavy work of this app's requests to this app's pool (``heavy.run`` and
    ``heavy.run_blocking`` find it in a context variable, which sync routes' threads
    inherit): its size and budget are this app's settings, even beside another app."""

    def __init__(self, app: ASGIApp, *, pool: heavy.HeavyWork) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with heavy.using(self.pool):
            await self.app(scope, receive, send)
