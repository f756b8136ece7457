"""What every route needs from the app: the registry, the settings, and who is asking."""

from __future__ import annotations

from fastapi import Request

from ..errors import AccessDeniedError
from ..registry import ApiKeyRecord, Registry, Role
from .settings import Settings

__all__ = ["current_key", "get_registry", "get_settings", "require_role"]

#: what each role may do, by the role it needs at least
_RANK: dict[Role, int] = {"reader": 0, "lab": 1, "admin": 2}


def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


def current_key(request: Request) -> ApiKeyRecord | None:
    """The request's API key (``Authorization: Bearer`` or ``X-API-Key``), or None; an
    invalid key is refused rather than treated as none."""
    if hasattr(request.state, "api_key"):
        cached: ApiKeyRecord | None = request.state.api_key
        return cached
    secret = _bearer(request)
    key = None if secret is None else get_registry(request).authenticate(secret)
    request.state.api_key = key
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
