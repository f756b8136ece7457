"""Alert changes across several server processes on one PostgreSQL (issue 17 item 7).

A station keeps one WebSocket to one process, so only that process's engine sees its frames
and raises its alerts; the SSE clients, pages and other listeners of the *other* processes
must hear of them too. :class:`PostgresRelay` sends each change the local live writer has
committed — with its event number, the SSE id every process shares — as a ``NOTIFY`` on one
channel, and a task that ``LISTEN``\\ s there republishes the changes of the other processes
on the local buses: the writer's numbered changes (the SSE stream) and the hub's (the page,
the latency metric). The buses only: the sinks (registry rows, tickets, webhooks) already ran
once, in the process that raised the alert.

PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more, so a change whose evidence would
pass :data:`MAX_PAYLOAD_BYTES` loses its last evidence entries (the count is kept) rather than
depending on a table another part owns. SQLite has no NOTIFY: one process, no relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

from ...charging.live import Alert
from ...registry.store.live import NumberedChange
from .hub import AlertChange, Bus, LiveHub, cancel_task
from .writer import LiveWriter

__all__ = ["CHANNEL", "MAX_PAYLOAD_BYTES", "PostgresRelay", "decode_change", "encode_change",
           "relay_conninfo", "start_relay"]

LOG = logging.getLogger("solidcheck.live.relay")
#: the channel every process of one deployment listens on
CHANNEL = "solidcheck_alert_changes"
#: under PostgreSQL's 8,000-byte NOTIFY limit, with room for the channel name
MAX_PAYLOAD_BYTES = 7_900
#: wall-clock seconds between attempts when the database connection is lost
RETRY_S = 1.0


def encode_change(change: NumberedChange, *, origin: str) -> str:
    """The change as a NOTIFY payload under :data:`MAX_PAYLOAD_BYTES`: evidence entries are
    dropped from the end until it fits, and ``evidence_dropped`` says how many (the row in
    ``charging_alerts`` keeps them all)."""
    alert = change.alert.model_dump(mode="json")
    evidence: list[Any] = alert["evidence"]
    for keep in range(len(evidence), -1, -1):
        alert["evidence"] = evidence[:keep]
        data = {"origin": origin, "seq": change.seq, "event": change.event, "alert": alert,
                "evidence_dropped": len(evidence) - keep}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(text.encode()) <= MAX_PAYLOAD_BYTES:
            return text
    raise ValueError(f"alert {change.alert.id} does not fit a NOTIFY even without evidence")


def decode_change(payload: str) -> tuple[str, NumberedChange]:
    """The sending process's origin and the change."""
    data = json.loads(payload)
    alert = Alert.model_validate(data["alert"])
    return data["origin"], NumberedChange(int(data["seq"]), data["event"], alert)


def relay_conninfo(database_url: str) -> str | None:
    """The psycopg connection string of a PostgreSQL registry URL; None for any other
    database (no relay)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class PostgresRelay:
    """The sink that NOTIFYs and the task that LISTENs (see the module's docstring)."""

    conninfo: str
    #: the hub's bus and the writer's bus of numbered (committed) changes
    bus: Bus[AlertChange]
    numbered: Bus[NumberedChange]
    #: this process's mark on what it sends, so it skips its own changes when they come back
    origin: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: changes republished from other processes, and changes sent (for the record)
    received: int = 0
    sent: int = 0
    _outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _listening: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        """Start the three tasks; returns once the listener is listening, so a change
        committed elsewhere from then on is heard."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._collect(), name="solidcheck-relay-collect"),
                       loop.create_task(self._send(), name="solidcheck-relay-send"),
                       loop.create_task(self._listen(), name="solidcheck-relay-listen")]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), 10 * RETRY_S)

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_task(task)
        self._tasks = []

    async def _collect(self) -> None:
        """This process's committed changes, into the outbox (a subscription the bus cuts off
        is taken up again: the other processes' SSE clients catch up by Last-Event-ID)."""
        while True:
            async for change in self.numbered.subscribe():
                if change.origin_local:
                    self._outbox.put_nowait(encode_change(change, origin=self.origin))
            await asyncio.sleep(RETRY_S)

    async def _connect(self) -> Any:
        import psycopg

        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def _send(self) -> None:
        payload: str | None = None
        while True:
            try:
                async with await self._connect() as conn:
                    while True:
                        payload = payload or await self._outbox.get()
                        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                        payload = None
                        self.sent += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: keep the payload, try again
                LOG.warning("the alert relay lost its sending connection: %s", exc)
                await asyncio.sleep(RETRY_S)

    async def _listen(self) -> None:
        while True:
            try:
                async with await self._connect() as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    async for notify in conn.notifies():
                        self._receive(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # changes sent meanwhile are missed: SSE clients catch up
                LOG.warning("the alert relay lost its listening connection: %s", exc)
                await asyncio.sleep(RETRY_S)

    def _receive(self, payload: str) -> None:
        try:
            origin, change = decode_change(payload)
        except (ValueError, KeyError, TypeError):
            LOG.exception("the alert relay could not read a change")
            return
        if origin != self.origin:
            self.received += 1
            self.numbered.publish(NumberedChange(change.seq, change.event, change.alert,
                                                 origin_local=False))
            self.bus.publish(AlertChange(change.alert, change.event,  # type: ignore[arg-type]
                                         time.monotonic()))


async def start_relay(hub: LiveHub, writer: LiveWriter,
                      database_url: str) -> PostgresRelay | None:
    """A started relay when the registry is on PostgreSQL, else None."""
    conninfo = relay_conninfo(database_url)
    if conninfo is None:
        return None
    relay = PostgresRelay(conninfo, hub.bus, writer.numbered)
    await relay.start()
    return relay
