"""The pure part of the webhooks: who gets an alert, when a failure is tried again."""

from __future__ import annotations

import random

from solidcheck.charging.webhooks import (
    backoff_s,
    retryable,
    sign,
    signature_matches,
    target_matches,
)

TIERS = ("critical", "major", "minor")


def test_a_target_gets_its_kinds_at_or_above_its_severity() -> None:
    def wants(kinds: list[str] | None, least: str | None, kind: str, severity: str) -> bool:
        return target_matches(kinds=kinds, min_severity=least, severities=TIERS, kind=kind,
                              severity=severity)

    assert wants(None, None, "fault", "minor")
    assert wants(["fault"], "major", "fault", "critical")
    assert not wants(["fault"], "major", "fault", "minor")
    assert not wants(["offline"], None, "fault", "critical")
    assert wants(None, "critical", "fault", "unnamed tier")  # never silently lost


def test_only_connection_failures_5xx_and_429_are_tried_again() -> None:
    assert retryable(None) and retryable(429) and retryable(500) and retryable(503)
    assert not any(retryable(code) for code in (200, 301, 400, 401, 404, 410, 422))


def test_the_back_off_grows_and_stays_under_its_cap() -> None:
    rng = random.Random(7)
    waits = [[backoff_s(n, base_s=1.0, cap_s=8.0, rng=rng) for _ in range(200)]
             for n in range(1, 7)]
    assert all(0 <= w <= min(8.0, 2 ** (n - 1)) for n, ws in enumerate(waits, 1) for w in ws)
    assert max(waits[4]) > 4.0  # the fifth wait may reach beyond the first ones' ceilings


def test_a_signature_binds_the_timestamp_and_the_body() -> None:
    header = sign("s3cret", "1765000000", b'{"a":1}')
    assert signature_matches("s3cret", "1765000000", b'{"a":1}', header)
    assert not signature_matches("s3cret", "1765000001", b'{"a":1}', header)
    assert not signature_matches("s3cret", "1765000000", b'{"a":2}', header)
    assert not signature_matches("other", "1765000000", b'{"a":1}', header)
