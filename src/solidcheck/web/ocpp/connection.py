"""One station's WebSocket as the ``ocpp`` library sees it (``recv``/``send``), with what the
endpoint adds around every frame: the size limit, the per-connection rate limit, the frame
log (a transaction-related answer is sent only once the log is on disk), recording a
retransmission once, and handing each frame on to the watchers (``Endpoint.frame_hooks``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ...charging.frame_log import TRANSACTION_ACTIONS, FrameLog, LoggedFrame, SeenCalls

__all__ = ["DurabilityHook", "FrameHook", "LoggedConnection", "RateWindow"]

LOG = logging.getLogger("solidcheck.ocpp")
#: called with every frame logged, in both directions (the alert engine's entry point)
FrameHook = Callable[[LoggedFrame], None]
#: awaited beside the log's fsync before a transaction-related answer: returns once what the
#: frame caused (state and alert rows) is durable too
DurabilityHook = Callable[[], Awaitable[None]]
#: WebSocket close code for a frame over the size limit (RFC 6455 §7.4.1)
_TOO_BIG = 1009


class RateWindow:
    """At most ``limit`` frames in any 60 s: a sliding window of arrival times."""

    def __init__(self, limit: int, *, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._times: deque[float] = deque()

    def admit(self, at_s: float) -> bool:
        while self._times and at_s - self._times[0] >= self.window_s:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return False
        self._times.append(at_s)
        return True


def _frame_of(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # kept as sent: the reader rejects it with its reason


def _call_parts(frame: Any) -> tuple[str, str] | None:
    """A CALL's message id and action, or None for anything else."""
    if (isinstance(frame, list) and len(frame) == 4 and frame[0] == 2
            and isinstance(frame[1], str) and isinstance(frame[2], str)):
        return frame[1], frame[2]
    return None


class LoggedConnection:
    """The WebSocket handed to the library's ChargePoint."""

    def __init__(self, websocket: WebSocket, *, charge_point_id: str, ocpp_version: str,
                 log: FrameLog, seen: SeenCalls, hooks: list[FrameHook],
                 max_frame_bytes: int, max_frames_per_minute: int,
                 durability: list[DurabilityHook] | None = None) -> None:
        self.websocket = websocket
        self.charge_point_id = charge_point_id
        self.ocpp_version = ocpp_version
        self._log = log
        self._seen = seen
        self._hooks = hooks
        self._durability = durability if durability is not None else []
        self._max_frame_bytes = max_frame_bytes
        self._rate = RateWindow(max_frames_per_minute)
        self._awaiting_sync: set[str] = set()  # ids of transaction-related CALLs unanswered

    async def recv(self) -> str:
        """The next frame to handle; frames refused here (too many) are answered here."""
        while True:
            text = await self._next_text()
            if len(text.encode()) > self._max_frame_bytes:
                LOG.warning("%s: frame of %d bytes refused", self.charge_point_id, len(text))
                await self.websocket.close(code=_TOO_BIG)
                raise WebSocketDisconnect(code=_TOO_BIG)
            frame = _frame_of(text)
            call = _call_parts(frame)
            if call is not None and not self._seen.first_time(self.charge_point_id, call[0]):
                LOG.info("%s: retransmission of %s answered again, recorded once",
                         self.charge_point_id, call[0])
            else:
                self._record("in", frame)
            if call is not None and call[1] in TRANSACTION_ACTIONS:
                self._awaiting_sync.add(call[0])
            if self._rate.admit(time.monotonic()):
                return text
            LOG.warning("%s: over %d frames a minute", self.charge_point_id, self._rate.limit)
            if call is not None:
                await self.send(json.dumps([4, call[0], "GenericError",
                                            f"over {self._rate.limit} frames a minute: "
                                            "send it again later", {}]))

    async def _next_text(self) -> str:
        """The next message as text: OCPP-J sends text frames; a binary one is read as UTF-8
        (what cannot be decoded is replaced), so it gets the protocol's answer, not a crash."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(code=message.get("code", 1000))
        if message.get("text") is not None:
            return str(message["text"])
        return bytes(message.get("bytes") or b"").decode("utf-8", errors="replace")

    async def send(self, text: str) -> None:
        """Log, make durable if it answers a transaction-related CALL (the log and, through
        the durability hooks, the rows the CALL caused), then send."""
        frame = _frame_of(text)
        self._record("out", frame)
        message_id = frame[1] if isinstance(frame, list) and len(frame) > 1 else None
        if message_id in self._awaiting_sync:
            self._awaiting_sync.discard(message_id)
            await asyncio.gather(asyncio.to_thread(self._log.sync),
                                 *(hook() for hook in self._durability))
        await self.websocket.send_text(text)

    def _record(self, direction: str, frame: Any) -> None:
        logged = LoggedFrame(ts=datetime.now(UTC), charge_point_id=self.charge_point_id,
                             direction="in" if direction == "in" else "out", frame=frame,
                             ocpp_version=self.ocpp_version)
        self._log.append(logged)
        for hook in self._hooks:
            try:
                hook(logged)
            except Exception:  # a watcher's failure is not the station's
                LOG.exception("%s: a frame hook failed", self.charge_point_id)
