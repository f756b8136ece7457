"""CSRF protection for the pages' forms: a signed double-submit token.

The server hands out a token ``<nonce>.<mac>`` twice: in a cookie (``SameSite=Strict``,
``HttpOnly``) and in a hidden form field. A POST is accepted only when both are present,
equal, and the MAC is ours (HMAC-SHA256 of the nonce under ``settings.secret_key``). Another
site can neither read the cookie nor make a browser send it with a cross-site POST, and it
cannot forge a token that passes the MAC — so a form posted from elsewhere is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["COOKIE_NAME", "FIELD_NAME", "is_signed", "new_token", "tokens_match"]

COOKIE_NAME = "solidcheck_csrf"
FIELD_NAME = "csrf_token"
_PURPOSE = b"solidcheck-csrf-v1:"  # keeps these MACs apart from any other use of the key


def _mac(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_token(secret: str) -> str:
    """A fresh token: a random nonce and its MAC."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_mac(secret, nonce)}"


def is_signed(secret: str, token: str | None) -> bool:
    """Whether ``token`` was made by :func:`new_token` with this secret."""
    if not token or token.count(".") != 1:
        return False
    nonce, mac = token.split(".")
    # compared as bytes: compare_digest refuses non-ASCII str, and tokens come from clients
    return bool(nonce) and hmac.compare_digest(mac.encode(), _mac(secret, nonce).encode())


def tokens_match(secret: str, cookie_token: str | None, form_token: str | None) -> bool:
    """The double-submit check: the form's token is the cookie's, and it is signed."""
    if not cookie_token or not form_token:
        return False
    return (hmac.compare_digest(cookie_token.encode(), form_token.encode())
            and is_signed(secret, cookie_token))
