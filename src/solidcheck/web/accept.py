"""Reading a request's Accept header: shared by the API's format negotiation and the pages'
"is this a browser?" (``wants_html``)."""

from __future__ import annotations

__all__ = ["media_quality"]


def media_quality(params: str) -> float:
    """The ``q`` of one Accept item's parameters ("q=0.8; level=1"), 1 when absent, 0 when
    unreadable, clamped to 0–1 (RFC 9110, 12.4.2)."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
