"""The webhooks' registry part on SQLite and PostgreSQL: targets, the delivery log as the
queue (what is pending, in what order, with what body), the per-target bound, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from solidcheck.errors import InvalidInputError, NotFoundError
from solidcheck.registry import Registry

SEVERITIES = ("critical", "major", "minor")


def test_targets_and_their_log_on_each_database(database_url: str) -> None:
    start = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    with Registry.open(database_url, create=True) as registry:
        record, secret = registry.add_webhook("https://ops.example.com/hook", actor="t",
                                              severities=SEVERITIES, kinds=["offline", "fault"],
                                              min_severity="major")
        assert record.kinds == ["fault", "offline"] and record.min_severity == "major"
        assert [(r.id, s) for r, s in registry.webhook_targets()] == [(record.id, secret)]
        assert secret not in repr(registry.list_webhooks())
        for n in range(3):
            assert registry.queue_delivery(record.id, delivery_id=f"d{n}", alert_id=f"a{n}",
                                           event="raised", body=f'{{"n":{n}}}',
                                           at=start + timedelta(seconds=n), max_pending=2) \
                is (n < 2)
        pending = registry.pending_deliveries(record.id, limit=10)
        assert [(p.delivery_id, p.attempts_made, p.body) for p in pending] == [
            ("d0", 0, '{"n":0}'), ("d1", 0, '{"n":1}')]
        registry.record_attempt(pending[0], outcome="retry", at=start, status_code=503,
                                error="HTTP 503", duration_ms=1.5,
                                next_attempt_at=start + timedelta(hours=1))
        registry.record_attempt(pending[1], outcome="delivered", at=start, status_code=200,
                                duration_ms=2.0)
        again = registry.pending_deliveries(record.id, limit=10)
        assert [(p.delivery_id, p.attempts_made, p.body) for p in again] == [
            ("d0", 1, '{"n":0}')]
        assert again[0].next_attempt_at == start + timedelta(hours=1)
        assert registry.pending_counts() == {record.id: 1}
        log = registry.webhook_deliveries(record.id, limit=2)
        assert [(line.delivery_id, line.outcome) for line in log] == [
            ("d1", "delivered"), ("d0", "retry")]
        older = registry.webhook_deliveries(record.id, limit=10, before=log[-1].id)
        assert [(line.delivery_id, line.outcome) for line in older] == [
            ("d2", "dropped"), ("d1", "queued"), ("d0", "queued")]
        assert log[0].delivered_at is not None and log[1].delivered_at is None
        registry.remove_webhook(record.id, actor="t")
        assert registry.list_webhooks() == [] and registry.pending_counts() == {}
        with pytest.raises(NotFoundError):
            registry.webhook_deliveries(record.id)
        with pytest.raises(NotFoundError):
            registry.remove_webhook(record.id, actor="t")
        assert registry.verify_chain().valid


def test_a_bad_target_lists_every_problem(database_url: str) -> None:
    with Registry.open(database_url, create=True) as registry, \
            pytest.raises(InvalidInputError) as caught:
        registry.add_webhook("javascript:alert(1)", actor="t", severities=SEVERITIES,
                             kinds=["meteor"], min_severity="dire")
    assert [p.path for p in caught.value.problems] == ["url", "kinds", "min_severity"]


@pytest.mark.parametrize("url", ["http://user:pw@host/x", "https:///no-host", "ws://h/x",
                                 "http://h/\nx"])
def test_urls_refused(url: str, tmp_path: object) -> None:
    from solidcheck.charging.webhooks import webhook_problems

    assert [p.path for p in webhook_problems(url, kinds=None, min_severity=None,
                                             severities=SEVERITIES)] == ["url"]
