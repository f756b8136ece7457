"""The live state and alerts into the registry, off the event loop: one writer thread takes
whatever accumulated and commits it as one transaction, so a burst of changes costs one
commit, not one each.

Fed on the event loop by three quick calls: :meth:`LiveWriter.on_alert` (a ``LiveHub`` sink),
:meth:`LiveWriter.on_state` (a state sink: connections and port states, on change only) and
:meth:`LiveWriter.on_frame` (an endpoint frame hook: the last-message time, coarsely, the
heartbeat interval and the BootNotification's vendor, model and firmware). :meth:`committed`
is the endpoint's durability barrier: it returns once everything queued before it is
committed. Each committed alert change, numbered by the database, goes to :attr:`numbered`
(the SSE stream's bus), so an event id a client saw is always in the table.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...charging.frame_log import LoggedFrame
from ...charging.live import LiveState
from ...errors import DatabaseError
from ...registry import Registry
from ...registry.store.live import LiveBatch, NumberedChange, PortWrite
from .hub import AlertChange, Bus, StateChange

__all__ = ["LiveWriter", "boot_identity"]

LOG = logging.getLogger("solidcheck.live")
#: a failed commit is tried again after this, doubling up to the cap (the database may be
#: restarting; the stations wait for their answers meanwhile, and retransmit)
_RETRY_FIRST_S, _RETRY_MAX_S = 0.1, 5.0


def boot_identity(payload: Any) -> dict[str, str]:
    """Vendor, model and firmware of a BootNotification (1.6 or 2.x), those it names."""
    if not isinstance(payload, dict):
        return {}
    station = payload.get("chargingStation")
    names = (("vendor", "vendorName"), ("model", "model"), ("firmware", "firmwareVersion")) \
        if isinstance(station, dict) else (("vendor", "chargePointVendor"),
                                           ("model", "chargePointModel"),
                                           ("firmware", "firmwareVersion"))
    source = station if isinstance(station, dict) else payload
    return {column: str(source[key])[:200] for column, key in names
            if isinstance(source.get(key), str)}


class LiveWriter:
    """See the module's docstring. ``state`` is the hub engine's (read on the loop only)."""

    def __init__(self, registry: Registry, state: LiveState, *,
                 last_message_resolution_s: float) -> None:
        self.registry = registry
        self.state = state
        self.resolution_s = last_message_resolution_s
        self.numbered: Bus[NumberedChange] = Bus()
        self._batch = LiveBatch()
        self._queued = 0  # changes handed over so far (the loop's count)
        self._committed = 0  # of those, committed (updated on the loop)
        self._lock = threading.Condition()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._last_written: dict[str, tuple[datetime | None, float | None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # ------------------------------------------------------------ on the event loop
    def on_alert(self, change: AlertChange) -> None:
        self._add(lambda batch: batch.alerts.append((change.event, change.alert)))

    def on_state(self, change: StateChange) -> None:
        if change.port_id is None:
            self._add(lambda batch: batch.stations.setdefault(change.station_id, {}).update(
                connected=change.connected))
            return
        port = PortWrite(change.port_id, change.station_id, change.state, change.raw_status,
                         change.error_code, change.charging, change.at)
        self._add(lambda batch: batch.ports.__setitem__(port.port_id, port))

    def on_frame(self, frame: LoggedFrame) -> None:
        """Written only when something the table keeps moved: the last-message time by at
        least ``resolution_s``, the heartbeat interval, a boot's identity."""
        cp, message = frame.charge_point_id, frame.frame
        values: dict[str, Any] = {}
        if frame.direction == "in" and isinstance(message, list) and len(message) == 4 \
                and message[0] == 2 and message[2] == "BootNotification":
            values.update(boot_identity(message[3]))
        written_at, written_hb = self._last_written.get(cp, (None, None))
        station = self.state.stations.get(cp)
        heartbeat = station.heartbeat_s if station is not None else None
        if frame.direction == "in" and (
                written_at is None or (frame.ts - written_at).total_seconds() >= self.resolution_s):
            values["last_message_at"], written_at = frame.ts, frame.ts
        if heartbeat != written_hb:
            values["heartbeat_interval_s"], written_hb = heartbeat, heartbeat
        if values:
            self._last_written[cp] = (written_at, written_hb)
            self._add(lambda batch: batch.stations.setdefault(cp, {}).update(values))

    async def committed(self) -> None:
        """The durability barrier: returns once every change queued so far is committed."""
        ticket = self._queued
        if self._committed >= ticket or self._thread is None:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((ticket, future))
        await future

    def _add(self, change: Callable[[LiveBatch], None]) -> None:
        with self._lock:
            change(self._batch)
            self._queued += 1
            self._lock.notify()

    def _after_commit(self, upto: int, changes: list[NumberedChange]) -> None:
        self._committed = max(self._committed, upto)
        for change in changes:
            self.numbered.publish(change)
        still = []
        for ticket, future in self._waiters:
            if ticket <= self._committed:
                if not future.done():
                    future.set_result(None)
            else:
                still.append((ticket, future))
        self._waiters = still

    # ---------------------------------------------------------------- the thread
    @property
    def running(self) -> bool:
        """Started by the app's lifespan (an app used without one has no live side)."""
        return self._thread is not None

    def start(self) -> None:
        """Start the writer thread (the app's lifespan, on the running loop)."""
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="solidcheck-live-writer",
                                            daemon=True)
            self._thread.start()

    async def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        if self._thread is None:
            return
        with self._lock:
            self._stopping = True
            self._lock.notify()
        await asyncio.to_thread(self._thread.join)
        self._thread = None
        self.numbered.close()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._batch and not self._stopping:
                    self._lock.wait()
                if not self._batch and self._stopping:
                    return
                batch, self._batch = self._batch, LiveBatch()
                upto = self._queued
            changes = self._write(batch)
            if changes is None:
                return
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._after_commit, upto, changes)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                return

    def _write(self, batch: LiveBatch) -> list[NumberedChange] | None:
        """Commit, trying again while the database fails (None: stopping and still failing:
        the frame log keeps what the stations sent)."""
        pause_s = _RETRY_FIRST_S
        while True:
            started = time.monotonic()
            try:
                return self.registry.write_live(batch)
            except DatabaseError as exc:
                LOG.error("live state not stored, trying again in %.1f s: %s", pause_s, exc)
                if self._stopping:
                    return None
            time.sleep(max(0.0, pause_s - (time.monotonic() - started)))
            pause_s = min(_RETRY_MAX_S, pause_s * 2)
