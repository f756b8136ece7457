"""Alert webhooks in the server (issue 17 item 3): a sink on the live hub turns each alert
change into one delivery per matching target, and one sender task per target posts them.

The alert path only puts a change on a bounded intake queue (never waits). An intake task
writes each delivery to the registry's delivery log (attempt 0, due now) — the log is the
queue, so what is still to be tried survives a restart — and wakes the target's sender.
Each target has its own sender, so a slow or dead receiver holds only its own deliveries.
When a target already has ``webhook_queue_max`` deliveries waiting, a new one is logged
``dropped`` for it (and counted); when the intake queue itself is full (the database has
stalled), the change is counted and logged as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from ...charging.webhooks import backoff_s, body_of, retryable, sign, target_matches
from ...registry import Registry
from ...registry.records import PendingDelivery, WebhookRecord
from ..settings import Settings
from .hub import AlertChange, cancel_task

__all__ = ["USER_AGENT", "WebhookDispatcher"]

LOG = logging.getLogger("solidcheck.webhooks")
USER_AGENT = "solidcheck-webhooks"
#: deliveries a sender reads from the log at a time
_BATCH = 50
#: how long a sender rests after the database failed it, before trying again
_DATABASE_REST_S = 5.0
#: told of every outcome (metrics): "queued", "delivered", "retry", "rejected", …
OutcomeHook = Callable[[str], None]
#: told of a target's queue depth when it changes
DepthHook = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class _Queued:
    webhook_id: str
    delivery_id: str
    alert_id: str
    event: str
    body: str


class WebhookDispatcher:
    """The sink, the intake task and the senders (see the module's docstring)."""

    def __init__(self, registry: Registry, settings: Settings, *,
                 severities: Sequence[str]) -> None:
        self.registry = registry
        self.settings = settings
        self.severities = tuple(severities)
        self.targets: dict[str, tuple[WebhookRecord, str]] = {}
        self.depth: dict[str, int] = {}
        self.outcome_hooks: list[OutcomeHook] = []
        self.depth_hooks: list[DepthHook] = []
        self._intake: asyncio.Queue[_Queued] = asyncio.Queue(settings.webhook_queue_max)
        self._senders: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ the sink
    def sink(self, change: AlertChange) -> None:
        """``LiveHub.sinks``: one delivery per matching target, queued without waiting."""
        alert = change.alert
        as_json: dict[str, object] | None = None  # made once, for the first target wanting it
        for webhook_id, (target, _secret) in list(self.targets.items()):
            if not target_matches(kinds=target.kinds, min_severity=target.min_severity,
                                  severities=self.severities, kind=alert.kind,
                                  severity=alert.severity):
                continue
            delivery_id = secrets.token_hex(16)
            if as_json is None:
                as_json = alert.model_dump(mode="json")
            body = body_of(delivery_id=delivery_id, event=change.event, alert=as_json).decode()
            try:
                self._intake.put_nowait(_Queued(webhook_id, delivery_id, alert.id,
                                                change.event, body))
            except asyncio.QueueFull:
                LOG.error("webhook intake full (is the database stalled?): %s %s of alert "
                          "%s not sent to %s", change.event, alert.kind, alert.id, webhook_id)
                self._tell("lost")

    # ------------------------------------------------------------- life cycle
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_s,
                                         follow_redirects=False,
                                         headers={"User-Agent": USER_AGENT})
        try:
            await self.refresh()
            for webhook_id, count in (await asyncio.to_thread(
                    self.registry.pending_counts)).items():
                self._set_depth(webhook_id, count)
        except Exception:  # the server starts even if the log cannot be read yet
            LOG.exception("webhook targets could not be loaded; retrying in the background")
        self._tasks = [loop.create_task(self._run_intake(), name="solidcheck-webhook-intake"),
                       loop.create_task(self._run_refresh(), name="solidcheck-webhook-refresh")]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._senders.values()]:
            with contextlib.suppress(Exception):  # a sender's failure is logged where it ran
                await cancel_task(task)
        self._tasks, self._senders = [], {}
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def refresh(self) -> None:
        """Read the targets again (after the API changed them, and every few seconds for
        changes made at the command line): start senders of new ones, stop removed ones."""
        targets = await asyncio.to_thread(self.registry.webhook_targets)
        self.targets = {record.id: (record, secret) for record, secret in targets}
        for webhook_id in list(self._senders):
            if webhook_id not in self.targets:
                self._senders.pop(webhook_id).cancel()
                self._wakes.pop(webhook_id, None)
                self._set_depth(webhook_id, None)
        loop = asyncio.get_running_loop()
        for webhook_id in self.targets:
            if webhook_id not in self._senders:
                self._set_depth(webhook_id, self.depth.get(webhook_id, 0))
                self._wakes[webhook_id] = asyncio.Event()
                self._senders[webhook_id] = loop.create_task(
                    self._run_sender(webhook_id), name=f"solidcheck-webhook-{webhook_id}")

    async def _run_refresh(self) -> None:
        while True:
            await asyncio.sleep(self.settings.webhook_refresh_s)
            try:
                await self.refresh()
            except Exception:
                LOG.exception("webhook targets could not be read")

    # ------------------------------------------------------------------ intake
    async def _run_intake(self) -> None:
        while True:
            item = await self._intake.get()
            try:
                queued = await asyncio.to_thread(
                    self.registry.queue_delivery, item.webhook_id, delivery_id=item.delivery_id,
                    alert_id=item.alert_id, event=item.event, body=item.body,
                    at=datetime.now(UTC), max_pending=self.settings.webhook_queue_max)
            except Exception:
                LOG.exception("delivery %s to %s could not be logged; not sent",
                              item.delivery_id, item.webhook_id)
                self._tell("lost")
                continue
            if not queued:
                LOG.warning("webhook %s has %d deliveries waiting: %s of alert %s dropped",
                            item.webhook_id, self.settings.webhook_queue_max, item.event,
                            item.alert_id)
                self._tell("dropped")
                continue
            self._tell("queued")
            self._set_depth(item.webhook_id, self.depth.get(item.webhook_id, 0) + 1)
            wake = self._wakes.get(item.webhook_id)
            if wake is not None:
                wake.set()

    # ----------------------------------------------------------------- senders
    async def _run_sender(self, webhook_id: str) -> None:
        wake = self._wakes[webhook_id]
        while True:
            wake.clear()  # before reading the log, so a delivery logged meanwhile wakes us
            try:
                pending = await asyncio.to_thread(self.registry.pending_deliveries,
                                                  webhook_id, limit=_BATCH)
            except Exception:
                LOG.exception("the delivery log of %s could not be read", webhook_id)
                await asyncio.sleep(_DATABASE_REST_S)
                continue
            now = datetime.now(UTC)
            due = [item for item in pending if item.next_attempt_at <= now]
            for item in due:
                await self._attempt(webhook_id, item)
            if due:
                continue
            wait_s = (min(item.next_attempt_at for item in pending) - now).total_seconds() \
                if pending else self.settings.webhook_backoff_cap_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.0, wait_s))

    async def _attempt(self, webhook_id: str, item: PendingDelivery) -> None:
        target = self.targets.get(webhook_id)
        if target is None or self._client is None:
            return
        record, secret = target
        body = item.body.encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Solidcheck-Event": item.event,
                   "X-Solidcheck-Delivery": item.delivery_id,
                   "X-Solidcheck-Timestamp": timestamp,
                   "X-Solidcheck-Signature": sign(secret, timestamp, body)}
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with self._client.stream("POST", record.url, content=body,
                                           headers=headers) as response:
                status = response.status_code  # the body is not read: only the status counts
        except httpx.TimeoutException:
            error = f"no answer within {self.settings.webhook_timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        duration_ms = (time.monotonic() - started) * 1000
        attempt = item.attempts_made + 1
        now = datetime.now(UTC)
        next_at: datetime | None = None
        if status is not None and 200 <= status < 300:
            outcome = "delivered"
        elif not retryable(status):
            outcome, error = "rejected", error or f"HTTP {status}: not tried again"
        elif attempt >= self.settings.webhook_max_attempts:
            outcome, error = "failed", error or f"HTTP {status}"
        else:
            outcome, error = "retry", error or f"HTTP {status}"
            next_at = now + timedelta(seconds=backoff_s(
                attempt, base_s=self.settings.webhook_backoff_base_s,
                cap_s=self.settings.webhook_backoff_cap_s))
        try:
            await asyncio.to_thread(self.registry.record_attempt, item, outcome=outcome, at=now,
                                    status_code=status, error=error,
                                    duration_ms=round(duration_ms, 3), next_attempt_at=next_at)
        except Exception:
            LOG.exception("attempt %d of delivery %s could not be logged", attempt,
                          item.delivery_id)
            await asyncio.sleep(_DATABASE_REST_S)
            return
        self._tell(outcome)
        if next_at is None:
            self._set_depth(webhook_id, max(0, self.depth.get(webhook_id, 1) - 1))

    # ------------------------------------------------------------------ metrics
    def _tell(self, outcome: str) -> None:
        for hook in self.outcome_hooks:
            hook(outcome)

    def _set_depth(self, webhook_id: str, depth: int | None) -> None:
        if depth is None:
            self.depth.pop(webhook_id, None)
        else:
            self.depth[webhook_id] = depth
        for hook in self.depth_hooks:
            hook(webhook_id, depth if depth is not None else -1)
