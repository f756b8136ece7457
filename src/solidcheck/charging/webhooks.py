"""The pure part of the alert webhooks (issue 17 item 3): which targets an alert change goes
to, the body and signature of a delivery, whether a failed attempt is tried again and when,
and the checks of a target's registration. The sending (httpx, asyncio) and the delivery log
(the registry) are adapters around this."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Iterable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from ..errors import Problem
from .live.alerts import ALERT_KINDS
from .rules import ChargingRuleset

__all__ = ["EVENTS", "MAX_URL_CHARS", "backoff_s", "body_of", "retryable", "severities_of",
           "sign", "signature_matches", "target_matches", "webhook_problems"]

#: what happened to the alert: the ``X-Solidcheck-Event`` header and the body's ``event``
EVENTS: Final = ("raised", "resolved", "acknowledged")
#: longer URLs are refused, not cut (the registry's column)
MAX_URL_CHARS: Final = 2000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Solidcheck-Signature``: HMAC-SHA256 of ``timestamp + "." + body`` with the target's
    secret, so a receiver knows the body came from this server and when it was signed."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signature_matches(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (the docs show the same in a few lines)."""
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def body_of(*, delivery_id: str, event: str, alert: dict[str, Any]) -> bytes:
    """The JSON posted: the same bytes on every attempt (the delivery id lets a receiver
    drop a repeat it already handled)."""
    return json.dumps({"delivery_id": delivery_id, "event": event, "alert": alert},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def target_matches(*, kinds: Sequence[str] | None, min_severity: str | None,
                   severities: Sequence[str], kind: str, severity: str) -> bool:
    """Whether a target wants an alert: its kind among ``kinds`` (None: every kind) and its
    severity at least ``min_severity`` in ``severities`` (most severe first, the rule set's
    SLA tiers). A severity the tiers do not name is sent (never silently lost)."""
    if kinds is not None and kind not in kinds:
        return False
    if min_severity is None or min_severity not in severities or severity not in severities:
        return True
    return severities.index(severity) <= severities.index(min_severity)


def retryable(status: int | None) -> bool:
    """A connection error or timeout (None), 5xx and 429 are tried again; other answers
    (2xx done, other 4xx: the receiver refuses this body) are not."""
    return status is None or status == 429 or status >= 500


def backoff_s(attempt: int, *, base_s: float, cap_s: float,
              rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1`` ("full jitter": uniform up to base·2^(n-1),
    capped), so many targets failing at once do not come back in step."""
    ceiling = min(cap_s, base_s * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(0, ceiling)


def webhook_problems(url: str, *, kinds: Iterable[str] | None, min_severity: str | None,
                     severities: Sequence[str]) -> list[Problem]:
    """Every problem of a target's registration (empty: it can be registered). Only http
    and https are posted to; a private address is allowed (an operator's own receiver)."""
    problems: list[Problem] = []
    parts = urlsplit(url.strip()) if url.isprintable() else None
    if parts is None or len(url) > MAX_URL_CHARS:
        problems.append(Problem("url", f"over {MAX_URL_CHARS} characters or with control "
                                "characters", "give the receiver's URL as it stands"))
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(Problem("url", f"{url[:80]!r} is not an http:// or https:// URL with "
                                "a host", "give the receiver's URL, e.g. "
                                "https://ops.example.com/solidcheck"))
    elif parts.username is not None or parts.password is not None:
        problems.append(Problem("url", "holds a user name or password, which listings "
                                "would show", "authenticate the sender by the signature "
                                "instead"))
    for kind in kinds or ():
        if kind not in ALERT_KINDS:
            problems.append(Problem("kinds", f"{kind!r} is not an alert kind",
                                    "one of " + ", ".join(ALERT_KINDS)))
    if min_severity is not None and min_severity not in severities:
        problems.append(Problem("min_severity", f"{min_severity!r} is not a severity of the "
                                "rule set", "one of " + ", ".join(severities)))
    return problems


def severities_of(ruleset: ChargingRuleset) -> tuple[str, ...]:
    """The rule set's severity tiers, most severe first, as its ``sla_tiers`` lists them."""
    tiers = ruleset.rules.sla_tiers
    return tuple(tier.severity for tier in tiers.tiers) if tiers is not None else ()
