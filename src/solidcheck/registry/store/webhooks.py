"""Webhook targets of the live alerts and their delivery log (issue 17 item 3): registering
a target makes its signing secret (returned once, kept as it is: the server signs with it),
listing, removing; and the log the sender writes — a change queued, every attempt, a change
dropped when the target's queue is full — from which deliveries still to be tried are
reloaded after a restart. Adding and removing a target are audit-log entries; the delivery
log is not (it is operational, and large)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from ...charging.webhooks import webhook_problems
from ...errors import InvalidInputError, NotFoundError
from ..records import DeliveryRecord, PendingDelivery, WebhookRecord
from ..schema import ChargingWebhook, ChargingWebhookDelivery
from . import audit_log
from ._shared import aware, now, unchained_write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ..schema import ChainHead

__all__ = ["WebhooksMixin"]

#: 256 random bits, as hex: the HMAC key of a target's signatures
_SECRET_BYTES = 32
_Row = ChargingWebhookDelivery


def _record(row: ChargingWebhook) -> WebhookRecord:
    return WebhookRecord(id=row.id, url=row.url, kinds=row.kinds,
                         min_severity=row.min_severity, created_at=aware(row.created_at),
                         created_by=row.created_by)


def _delivery(row: _Row) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id, delivery_id=row.delivery_id, alert_id=row.alert_id, event=row.event,
        attempt=row.attempt, outcome=row.outcome,
        status_code=row.status_code, error=row.error, duration_ms=row.duration_ms,
        at=aware(row.at),
        next_attempt_at=aware(row.next_attempt_at) if row.next_attempt_at else None,
        delivered_at=aware(row.delivered_at) if row.delivered_at else None)


class WebhooksMixin:
    """The webhook operations of ``Registry`` (one transaction each)."""

    if TYPE_CHECKING:
        _write: sessionmaker[Session]

        def _reading(self) -> AbstractContextManager[Session]: ...
        def _writing(self) -> AbstractContextManager[tuple[Session, ChainHead]]: ...


    # ---------------------------------------------------------------- targets
    def add_webhook(self, url: str, *, actor: str, severities: Sequence[str],
                    kinds: Sequence[str] | None = None,
                    min_severity: str | None = None) -> tuple[WebhookRecord, str]:
        """Register a target; its secret is returned once. ``severities`` are the rule
        set's tiers, most severe first (``min_severity`` must be one)."""
        kinds_kept = sorted(set(kinds)) if kinds else None
        problems = webhook_problems(url, kinds=kinds_kept, min_severity=min_severity,
                                    severities=severities)
        if problems:
            raise InvalidInputError(problems)
        secret = secrets.token_hex(_SECRET_BYTES)
        with self._writing() as (session, head):
            row = ChargingWebhook(id=secrets.token_hex(6), url=url.strip(), kinds=kinds_kept,
                                  min_severity=min_severity, secret=secret,
                                  created_at=now(), created_by=actor)
            session.add(row)
            session.flush()
            audit_log.append(session, head, actor=actor, action="webhook.add",
                             subject=row.id, details={"url": row.url, "kinds": kinds_kept,
                                                      "min_severity": min_severity})
            return _record(row), secret

    def remove_webhook(self, webhook_id: str, *, actor: str) -> WebhookRecord:
        """Remove a target and its delivery log (its pending deliveries are not sent)."""
        with self._writing() as (session, head):
            row = session.get(ChargingWebhook, webhook_id)
            if row is None:
                raise NotFoundError(f"no webhook {webhook_id!r}")
            record = _record(row)
            session.execute(delete(_Row).where(_Row.webhook_id == webhook_id))
            session.delete(row)
            audit_log.append(session, head, actor=actor, action="webhook.remove",
                             subject=webhook_id, details={"url": record.url})
            return record

    def list_webhooks(self) -> list[WebhookRecord]:
        with self._reading() as session:
            rows = session.scalars(select(ChargingWebhook).order_by(ChargingWebhook.created_at,
                                                                    ChargingWebhook.id))
            return [_record(row) for row in rows]

    def webhook_targets(self) -> list[tuple[WebhookRecord, str]]:
        """Every target with its secret: for the server's sender only, never shown."""
        with self._reading() as session:
            rows = session.scalars(select(ChargingWebhook).order_by(ChargingWebhook.id))
            return [(_record(row), row.secret) for row in rows]

    # ------------------------------------------------------------- delivery log
    def queue_delivery(self, webhook_id: str, *, delivery_id: str, alert_id: str, event: str,
                       body: str, at: datetime, max_pending: int) -> bool:
        """Log a change to be sent (attempt 0, due at once) — or, with ``max_pending``
        deliveries already waiting for this target, log it ``dropped`` and return False."""
        with unchained_write(self._write) as session:
            waiting = session.scalar(select(func.count()).select_from(_Row).where(
                _Row.webhook_id == webhook_id, _Row.next_attempt_at.is_not(None))) or 0
            queued = waiting < max_pending
            session.add(_Row(webhook_id=webhook_id, delivery_id=delivery_id, alert_id=alert_id,
                             event=event, attempt=0, outcome="queued" if queued else "dropped",
                             error=None if queued else f"{waiting} deliveries already waiting",
                             at=at, next_attempt_at=at if queued else None,
                             body=body if queued else None))
            return queued

    def record_attempt(self, pending: PendingDelivery, *, outcome: str, at: datetime,
                       status_code: int | None = None, error: str | None = None,
                       duration_ms: float | None = None,
                       next_attempt_at: datetime | None = None) -> None:
        """Log one attempt; the delivery stays pending only if ``next_attempt_at`` is set."""
        with unchained_write(self._write) as session:
            session.execute(update(_Row).where(_Row.delivery_id == pending.delivery_id,
                                               _Row.next_attempt_at.is_not(None))
                            .values(next_attempt_at=None))
            session.add(_Row(webhook_id=pending.webhook_id, delivery_id=pending.delivery_id,
                             alert_id=pending.alert_id, event=pending.event,
                             attempt=pending.attempts_made + 1, outcome=outcome,
                             status_code=status_code, error=error, duration_ms=duration_ms,
                             at=at, next_attempt_at=next_attempt_at,
                             delivered_at=at if outcome == "delivered" else None))

    def pending_deliveries(self, webhook_id: str, *, limit: int) -> list[PendingDelivery]:
        """The target's deliveries still to be tried, soonest first, with their bodies."""
        with self._reading() as session:
            rows = list(session.scalars(
                select(_Row).where(_Row.webhook_id == webhook_id,
                                   _Row.next_attempt_at.is_not(None))
                .order_by(_Row.next_attempt_at, _Row.id).limit(limit)))
            ids = [row.delivery_id for row in rows]
            bodies: dict[str, Any] = {delivery: body for delivery, body in session.execute(
                select(_Row.delivery_id, _Row.body).where(_Row.delivery_id.in_(ids),
                                                          _Row.attempt == 0))}
        return [PendingDelivery(delivery_id=row.delivery_id, webhook_id=row.webhook_id,
                                alert_id=row.alert_id, event=row.event,
                                attempts_made=row.attempt,
                                next_attempt_at=aware(row.next_attempt_at),  # type: ignore[arg-type]
                                body=bodies.get(row.delivery_id) or "{}")
                for row in rows]

    def pending_counts(self) -> dict[str, int]:
        """Deliveries still to be tried, by target (the queue-depth gauge)."""
        with self._reading() as session:
            rows = session.execute(select(_Row.webhook_id, func.count())
                                   .where(_Row.next_attempt_at.is_not(None))
                                   .group_by(_Row.webhook_id)).all()
        return {webhook_id: count for webhook_id, count in rows}

    def webhook_deliveries(self, webhook_id: str, *, limit: int = 100,
                           before: int | None = None) -> list[DeliveryRecord]:
        """A target's delivery log, newest first; the next page is ``before`` the last id."""
        with self._reading() as session:
            if session.get(ChargingWebhook, webhook_id) is None:
                raise NotFoundError(f"no webhook {webhook_id!r}")
            query = select(_Row).where(_Row.webhook_id == webhook_id)
            if before is not None:
                query = query.where(_Row.id < before)
            rows = session.scalars(query.order_by(_Row.id.desc()).limit(limit))
            return [_delivery(row) for row in rows]
