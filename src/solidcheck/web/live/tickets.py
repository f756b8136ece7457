"""The ticket desk inside the server: a sink on the live hub's alert changes, a writer thread
that keeps the desk's changes in the registry (one transaction per batch), a verification
timer, and the operator's acts for the API.

The desk runs on the event loop (it is not thread-safe, like the alert engine); only the
database work is on the writer thread. On start the desk is rebuilt from the tables: every
live ticket, and each place's newest finished one (for a recurrence's link).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from starlette.concurrency import run_in_threadpool

from ...charging.live.ticket_model import Resolution, Ticket
from ...charging.live.tickets import TicketChange, TicketDesk
from ...charging.rules import ChargingRuleset
from ...registry import Registry
from .hub import AlertChange, LiveHub, cancel_task

__all__ = ["VERIFY_EVERY_S", "TicketService"]

LOG = logging.getLogger("solidcheck.live.tickets")
#: the longest the verification timer sleeps: a ticket is verified within a minute of its
#: window's end at worst (its verified_at is the window's end, not the timer's)
VERIFY_EVERY_S: Final = 60.0


@dataclass
class _Batch:
    changes: list[TicketChange]
    done: Callable[[BaseException | None], None] | None = None


@dataclass
class TicketService:
    """The desk, its writer and its timer (see the module)."""

    hub: LiveHub
    registry: Registry
    desk: TicketDesk
    _queue: queue.Queue[_Batch | None] = field(default_factory=queue.Queue)
    _writer: threading.Thread | None = None
    _timer: asyncio.Task[None] | None = None
    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def of(cls, hub: LiveHub, registry: Registry, ruleset: ChargingRuleset) -> TicketService:
        """A service over the tables as they are; its sink is added to the hub."""
        desk = TicketDesk(ruleset, tickets=registry.desk_tickets())
        service = cls(hub=hub, registry=registry, desk=desk)
        hub.sinks.append(service.on_alert)
        return service

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """After the hub's engine got back the alerts open before a restart: the tickets let
        go of the others, which nothing will resolve."""
        self._loop = asyncio.get_running_loop()
        self.desk.forget_open_alerts(
            still_open=frozenset(alert.id for alert in self.hub.engine.open_alerts()))
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_batches, daemon=True,
                                            name="solidcheck-tickets-writer")
            self._writer.start()
        if self._timer is None:
            self._wake = asyncio.Event()
            self._timer = self._loop.create_task(self._run_timer(),
                                                 name="solidcheck-tickets-timer")

    async def stop(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            await cancel_task(timer)
        if self._writer is not None:
            self._queue.put(None)  # after what is queued: nothing is lost on a clean stop
            await asyncio.to_thread(self._writer.join)
            self._writer = None

    # --------------------------------------------------------------- the hub's sink
    def on_alert(self, change: AlertChange) -> None:
        """``LiveHub.sinks``: a raised alert opens, joins or reopens a ticket; a resolved one
        may start the verification clock. Quick: the writing is queued."""
        if change.event == "raised":
            changes = self.desk.alert_raised(change.alert)
        elif change.event == "resolved":
            changes = self.desk.alert_resolved(change.alert)
        else:
            return
        if not changes:
            return
        self._queue.put(_Batch(changes))
        for made in changes:  # an alert joining an acknowledged ticket is acknowledged too
            ticket = made.ticket
            if made.event.action in ("alert_joined", "reopened") and \
                    ticket.acknowledged_at is not None and self._loop is not None:
                self._loop.call_soon(self._acknowledge_alerts, (change.alert.id,),
                                     change.alert.raised_at)
        if self._wake is not None:
            self._wake.set()

    # ------------------------------------------------------------- operator acts
    async def act(self, ticket_id: str, act: str, *, actor: str,
                  **what: Any) -> Ticket:
        """Do an operator's act on the event loop, wait until it is in the registry, and
        return the ticket as it now is. TicketStateError (409), InvalidInputError (422),
        NotFoundError (404) pass through."""
        try:
            self.desk.get(ticket_id)
        except KeyError:  # a finished ticket the desk no longer holds
            ticket, _ = await run_in_threadpool(self.registry.charging_ticket, ticket_id)
            self.desk.held(ticket)
        at = datetime.now(UTC)
        if act == "acknowledge":
            changes = self.desk.acknowledge(ticket_id, at=at, actor=actor)
        elif act == "resolve":
            resolution: Resolution = what["resolution"]
            changes = self.desk.resolve(ticket_id, at=at, actor=actor, cause=what["cause"],
                                        cause_code=what["cause_code"],
                                        resolution=resolution, note=what.get("note"))
        elif act == "close":
            changes = self.desk.close(ticket_id, at=at, actor=actor, reason=what["reason"])
        elif act == "reopen":
            changes = self.desk.reopen(ticket_id, at=at, actor=actor, reason=what["reason"])
        else:
            raise ValueError(act)
        ticket = changes[-1].ticket
        if act == "acknowledge":
            self._acknowledge_alerts(ticket.open_alert_ids, at)
        await self._written(changes)
        if self._wake is not None:
            self._wake.set()
        return ticket

    def _acknowledge_alerts(self, alert_ids: tuple[str, ...], at: datetime) -> None:
        for alert_id in alert_ids:
            with contextlib.suppress(KeyError):  # resolved meanwhile, or another process's
                self.hub.acknowledge(alert_id, at=at)

    async def _written(self, changes: list[TicketChange]) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finished(error: BaseException | None) -> None:
            def settle() -> None:
                if done.done():
                    return
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)
            loop.call_soon_threadsafe(settle)

        self._queue.put(_Batch(changes, finished))
        if self._writer is None:  # not started (an app used without its lifespan)
            self._drain_now()
        await done

    def _drain_now(self) -> None:
        batches = []
        while True:
            try:
                batch = self._queue.get_nowait()
            except queue.Empty:
                break
            if batch is not None:
                batches.append(batch)
        self._keep(batches)

    # ---------------------------------------------------------------- the writer
    def _write_batches(self) -> None:
        while True:
            first = self._queue.get()
            batches, stop = ([] if first is None else [first]), first is None
            while not stop:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    batches.append(more)
            self._keep(batches)
            if stop:
                return

    def _keep(self, batches: list[_Batch]) -> None:
        if not batches:
            return
        error: BaseException | None = None
        try:
            self.registry.record_ticket_changes(
                [c for batch in batches for c in batch.changes], sla=self.desk.sla)
        except Exception as exc:  # the desk goes on; the failure is logged and answered
            LOG.exception("could not keep %d ticket change(s)",
                          sum(len(b.changes) for b in batches))
            error = exc
        for batch in batches:
            if batch.done is not None:
                batch.done(error)

    # ----------------------------------------------------------------- the timer
    def verify(self, now: datetime | None = None) -> list[TicketChange]:
        """One verification step (the timer calls this; tests may too)."""
        changes = self.desk.tick(now or datetime.now(UTC))
        if changes:
            self._queue.put(_Batch(changes))
        return changes

    async def _run_timer(self) -> None:
        assert self._wake is not None
        while True:
            try:
                self.verify()
            except Exception:
                LOG.exception("the ticket verification timer failed a step")
            self._wake.clear()
            due = self.desk.next_due()
            wait_s = VERIFY_EVERY_S if due is None else min(
                VERIFY_EVERY_S, max(0.0, (due - datetime.now(UTC)).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)
