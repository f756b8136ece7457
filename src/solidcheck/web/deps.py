"""What every route needs from the app: the registry, the settings, and who is asking.

Roles rank ``reader < lab < admin``: a key may do what its role and every role below it may.
An ``operator`` key (charging tickets) reads as a reader and acts on tickets, as an admin may.
A key acts for its organisation (its lab): a lab writes only the cells it owns or was granted,
and sees unpublished results only of those; an admin writes and sees everything. Without a
key, a caller may only read published results and cells, and only when the ``public_reads``
setting allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from ..errors import AccessDeniedError
from ..registry import ApiKeyRecord, Registry, Role
from ..registry.store import key_actor
from .settings import Settings

__all__ = [
    "Visibility",
    "actor_of",
    "admin_key",
    "bearer_secret",
    "get_registry",
    "get_settings",
    "lab_key",
    "published_only",
    "registry_dependency",
    "settings_dependency",
    "ticket_key",
    "visibility",
    "writer",
]

#: what each role may do, by the role it needs at least
_RANK: dict[Role, int] = {"reader": 0, "lab": 1, "admin": 2,
                          # ch18-tickets: reads as a reader; acts on tickets (ticket_key)
                          "operator": 0}


def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def registry_dependency(request: Request) -> Registry:
    """``get_registry`` as a route dependency: async, so it costs no worker thread."""
    return get_registry(request)


async def settings_dependency(request: Request) -> Settings:
    """``get_settings`` as a route dependency: async, so it costs no worker thread."""
    return get_settings(request)


def bearer_secret(headers: Headers) -> str | None:
    """The API key a request carries: ``Authorization: Bearer <key>`` or ``X-API-Key``."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or None


def current_key(request: Request) -> ApiKeyRecord | None:
    """The request's API key, or None; an invalid key is refused rather than treated as none.
    The rate limiter may already have authenticated it (``request.state.api_key``)."""
    state: dict[str, object] = request.scope.setdefault("state", {})
    if "api_key" in state:
        known = state["api_key"]
        return known if isinstance(known, ApiKeyRecord) else None
    secret = bearer_secret(request.headers)
    key = None if secret is None else get_registry(request).authenticate(secret)
    state["api_key"] = key
    return key


def require_role(request: Request, role: Role) -> ApiKeyRecord:
    """The request's key if its role is ``role`` or above; else AccessDeniedError."""
    key = current_key(request)
    if key is None:
        raise AccessDeniedError("this needs an API key: send it as 'Authorization: Bearer "
                                "<key>' (an administrator creates one with `solidcheck keys "
                                "create --role lab`)", authenticated=False)
    if _RANK[key.role] < _RANK[role]:
        raise AccessDeniedError(f"a {key.role!r} key may not do this; it needs a {role!r} key "
                                "or above", authenticated=True)
    return key


def ticket_key(request: Request) -> ApiKeyRecord:
    """Dependency of a ticket's acts (ch18-tickets): an ``operator`` or ``admin`` key — not a
    lab's, whose business is cells, nor a reader's."""
    key = require_role(request, "reader")
    if key.role not in ("operator", "admin"):
        raise AccessDeniedError(f"a {key.role!r} key may not act on tickets; it needs an "
                                "'operator' key (`solidcheck registry keys create --role "
                                "operator`)", authenticated=True)
    return key


def lab_key(request: Request) -> ApiKeyRecord:
    """Dependency of every write: a ``lab`` or ``admin`` key."""
    return require_role(request, "lab")


def admin_key(request: Request) -> ApiKeyRecord:
    """Dependency of key management: an ``admin`` key."""
    return require_role(request, "admin")


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a reader may see: everything (``published_only`` False: an admin key), or the
    published results plus every result of the cells ``lab`` may write."""

    published_only: bool
    lab: str | None = None

    def scope(self) -> dict[str, Any]:
        """The keyword arguments of the registry's reads."""
        return {"published_only": self.published_only, "lab": self.lab}


async def visibility(request: Request) -> Visibility:
    """Dependency of every registry read: who is reading, as the registry filters by it.
    Async: the key is usually known already (the rate limiter authenticated it), and a
    worker thread's round trip would cost more than this does; a key not yet looked up is
    looked up on a worker thread."""
    state: dict[str, object] = request.scope.setdefault("state", {})
    if "api_key" not in state and bearer_secret(request.headers) is not None:
        await run_in_threadpool(current_key, request)
    published_only(request)  # refuses a caller without a key when reads are not public
    key = current_key(request)
    if key is not None and key.role == "admin":
        return Visibility(published_only=False)
    return Visibility(published_only=True, lab=key.organisation if key else None)


def writer(key: ApiKeyRecord) -> dict[str, Any]:
    """The keyword arguments of the registry's writes for ``key``: who, for which lab."""
    return {"actor": actor_of(key), "lab": key.organisation, "admin": key.role == "admin"}


def published_only(request: Request) -> bool:
    """Dependency of every registry read: True when the caller, having no key, may see only
    published results; AccessDeniedError when the registry is not public and there is no key."""
    if current_key(request) is not None:
        return False
    if get_settings(request).public_reads:
        return True
    raise AccessDeniedError("this registry is not public: send a key as 'Authorization: "
                            "Bearer <key>' (any role may read; an administrator creates one "
                            "with `solidcheck registry keys create --role reader`)",
                            authenticated=False)


def actor_of(key: ApiKeyRecord) -> str:
    """Who the audit log records for a write made with ``key``."""
    return key_actor(key)
