"""One :class:`LiveHub` per server process: it owns the :class:`AlertEngine`, feeds it every
frame the endpoint logs (``Endpoint.frame_hooks``) and every connect/disconnect
(``Endpoint.link_hooks``), ticks it from a timer (at least once a second, or sooner when the
engine says a threshold falls due), and hands each alert change to the sinks in order and then
to the subscribers of its :class:`AlertBus`.

Everything here runs on the server's one event loop (the engine is not thread-safe); a sink
that touches the database must hand the work to a thread itself and stay quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from ...charging.frame_log import LoggedFrame
from ...charging.live import Alert, AlertEngine, LiveFrame
from ...charging.rules import ChargingRuleset
from ..ocpp.endpoint import Endpoint

__all__ = ["AlertChange", "AlertSink", "Bus", "LiveHub", "StateChange", "StateSink",
           "Subscription", "cancel_task"]

LOG = logging.getLogger("solidcheck.live")
#: the longest the timer sleeps: offline is detected within this of its threshold at worst
MAX_TICK_S = 1.0


async def cancel_task(task: asyncio.Task[object]) -> None:
    """Cancel a background task and wait for its end — on its own loop: an app whose lifespan
    runs twice at once (two test clients) stops a task another loop started, and only that
    loop may wait for it."""
    if task.get_loop() is asyncio.get_running_loop():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    else:
        with contextlib.suppress(RuntimeError):  # that loop is already closed
            task.get_loop().call_soon_threadsafe(task.cancel)


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert as it is now, what just happened to it, and when the frame or timer that
    caused it reached the server (``time.monotonic()``, for the alert latency)."""

    alert: Alert
    event: Literal["raised", "resolved", "acknowledged"]
    cause_monotonic: float


@dataclass(frozen=True, slots=True)
class StateChange:
    """A station's connection or a port's state as it now is, published when it changed (not
    on every heartbeat): what the monitoring page colours and the state tables keep.
    ``port_id`` is None for the station itself (then only ``connected`` speaks)."""

    station_id: str
    port_id: str | None
    at: datetime
    connected: bool
    state: str | None = None
    raw_status: str | None = None
    error_code: str | None = None
    charging: bool = False


Change = TypeVar("Change")

#: told of every change, in order, before the bus's subscribers; runs on the event loop, so
#: it must be quick (a database write goes to a queue or a thread)
AlertSink = Callable[[AlertChange], None]
#: told of every station or port state change, before the state bus's subscribers
StateSink = Callable[[StateChange], None]


class Subscription(Generic[Change]):
    """One listener's queue. A listener that falls ``maxsize`` changes behind is cut off
    (``closed`` set, the iteration ends) rather than holding the server's memory: an SSE
    client then reconnects with ``Last-Event-ID`` and reads what it missed from the
    registry."""

    def __init__(self, bus: Bus[Change], maxsize: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize)
        self.closed = False

    def offer(self, change: Change) -> None:
        if self.closed:
            return
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus.unsubscribe(self)
            while not self._queue.empty():  # make room for the end marker
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[Change]:
        return self._changes()

    async def _changes(self) -> AsyncIterator[Change]:
        while (change := await self._queue.get()) is not None:
            yield change


class Bus(Generic[Change]):
    """In-process fan-out of changes to any number of subscribers."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: set[Subscription[Change]] = set()

    def subscribe(self) -> Subscription[Change]:
        subscription = Subscription(self, self.queue_size)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription[Change]) -> None:
        self._subscribers.discard(subscription)

    def publish(self, change: Change) -> None:
        for subscription in list(self._subscribers):
            subscription.offer(change)

    def close(self) -> None:
        for subscription in list(self._subscribers):
            subscription.close()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


@dataclass
class LiveHub:
    """The engine, its timer and the fan-out (see the module's docstring)."""

    engine: AlertEngine
    #: alert changes, after the sinks
    bus: Bus[AlertChange] = field(default_factory=Bus)
    sinks: list[AlertSink] = field(default_factory=list)
    #: station connections and port states, when they change
    states: Bus[StateChange] = field(default_factory=Bus)
    state_sinks: list[StateSink] = field(default_factory=list)
    _timer: asyncio.Task[None] | None = None
    _wake: asyncio.Event | None = None
    #: what was last published of each station and port, to publish changes only
    _shown: dict[tuple[str, str | None], StateChange] = field(default_factory=dict)
    _ports_of: dict[str, set[str]] = field(default_factory=dict)
    _ports_known: int = 0
    #: ch18-hooks: told how late (s) each timer tick ran past the time it slept until
    timer_hooks: list[Callable[[float], None]] = field(default_factory=list)

    @classmethod
    def of(cls, ruleset: ChargingRuleset) -> LiveHub:
        return cls(engine=AlertEngine(ruleset))

    def attach(self, endpoint: Endpoint) -> None:
        """Listen to an endpoint's frames and connections."""
        endpoint.frame_hooks.append(self.on_frame)
        endpoint.link_hooks.append(self.on_link)

    # ------------------------------------------------------------ endpoint hooks
    def on_frame(self, frame: LoggedFrame) -> None:
        """``Endpoint.frame_hooks``: every logged frame, both directions."""
        if not isinstance(frame.frame, list):
            return  # unparseable text: logged, answered with a CALLERROR, no state
        cause = time.monotonic()
        alerts = self.engine.feed(LiveFrame(frame.charge_point_id, frame.direction,
                                            frame.frame), received_at=frame.ts)
        self._emit(alerts, cause)
        self._show_states(frame.charge_point_id, frame.ts)
        self._poke()  # a new heartbeat interval or a charging port may move next_due

    def on_link(self, charge_point_id: str, what: str) -> None:
        """``Endpoint.link_hooks``: the station's WebSocket opened or closed."""
        cause, now = time.monotonic(), datetime.now(UTC)
        if what == "connected":
            alerts = self.engine.opened(charge_point_id, at=now)
        else:
            alerts = self.engine.closed(charge_point_id, at=now)
        self._emit(alerts, cause)
        self._show_states(charge_point_id, now)
        self._poke()

    def acknowledge(self, alert_id: str, *, at: datetime) -> Alert:
        """Mark an open alert acknowledged (a ticket's first step) and tell the listeners;
        KeyError if it is not open in this process."""
        alert = self.engine.acknowledge(alert_id, at=at)
        self._dispatch(AlertChange(alert, "acknowledged", time.monotonic()))
        return alert

    # --------------------------------------------------------------------- timer
    def start(self) -> None:
        """Start the timer on the running loop (the app's lifespan calls this)."""
        if self._timer is None:
            self._wake = asyncio.Event()
            self._timer = asyncio.get_running_loop().create_task(self._run_timer(),
                                                                 name="solidcheck-live-timer")

    async def stop(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            await cancel_task(timer)
        self.bus.close()
        self.states.close()

    def tick(self, now: datetime | None = None) -> list[Alert]:
        """One timer step (the timer calls this; tests may too)."""
        cause = time.monotonic()
        alerts = self.engine.tick(now or datetime.now(UTC))
        self._emit(alerts, cause)
        return alerts

    def seconds_to_next_tick(self, now: datetime) -> float:
        due = self.engine.next_due()
        if due is None:
            return MAX_TICK_S
        return min(MAX_TICK_S, max(0.0, (due - now).total_seconds()))

    async def _run_timer(self) -> None:
        assert self._wake is not None
        planned: float | None = None  # when the timer meant to wake (monotonic)
        while True:
            if planned is not None:
                self._tell_lag(time.monotonic() - planned)
            try:
                self.tick()
            except Exception:  # the timer must outlive any one bad step
                LOG.exception("the live alert timer failed a step")
            self._wake.clear()
            delay = self.seconds_to_next_tick(datetime.now(UTC))
            planned = time.monotonic() + delay
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                planned = None  # woken early by a frame: not a late tick
            except TimeoutError:
                pass

    def _tell_lag(self, lag_s: float) -> None:
        for hook in self.timer_hooks:
            try:
                hook(max(0.0, lag_s))
            except Exception:
                LOG.exception("a timer hook failed")

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # ------------------------------------------------------------------ fan-out
    def current_states(self) -> list[StateChange]:
        """Every station and port as last published (a page's first paint)."""
        return list(self._shown.values())

    def _show_states(self, station_id: str, at: datetime) -> None:
        state = self.engine.state
        if len(state.ports) != self._ports_known:  # a new port appeared somewhere
            self._ports_known = len(state.ports)
            for port_id in state.ports:
                self._ports_of.setdefault(port_id.split(":", 1)[0], set()).add(port_id)
        station = state.stations.get(station_id)
        connected = station is not None and station.connected
        changes = [StateChange(station_id, None, at, connected)]
        for port_id in sorted(self._ports_of.get(station_id, ())):
            port = state.ports[port_id]
            changes.append(StateChange(station_id, port_id, port.since or at, connected,
                                       port.state, port.raw_status, port.error_code,
                                       port.charging))
        for change in changes:
            key = (change.station_id, change.port_id)
            before = self._shown.get(key)
            if before is not None and _same(before, change):
                continue
            self._shown[key] = change
            for sink in self.state_sinks:
                try:
                    sink(change)
                except Exception:
                    LOG.exception("a state sink failed on %s", key)
            self.states.publish(change)

    def _emit(self, alerts: list[Alert], cause: float) -> None:
        for alert in alerts:
            event: Literal["raised", "resolved"] = (
                "resolved" if alert.resolved_at is not None else "raised")
            self._dispatch(AlertChange(alert, event, cause))

    def _dispatch(self, change: AlertChange) -> None:
        """Sinks first (the registry, tickets, webhooks), then the subscribers."""
        for sink in self.sinks:
            try:
                sink(change)
            except Exception:  # one listener's failure is not the others'
                LOG.exception("an alert sink failed on %s", change.alert.id)
        self.bus.publish(change)


def _same(before: StateChange, after: StateChange) -> bool:
    return (before.connected, before.state, before.raw_status, before.error_code,
            before.charging) == (after.connected, after.state, after.raw_status,
                                 after.error_code, after.charging)
