"""A small central system for the simulator's tests, built on the ``ocpp`` library's
central-system role (``ocpp.routing.on`` handlers) over a real ``websockets`` server.

It accepts ``/ocpp/{station}`` with ocpp1.6 or ocpp2.0.1, checks HTTP Basic when given a
password, and records every frame in both directions with the time it passed, per connection.
It runs on its own event loop in a thread, so a test can drive the simulator as a user would.
"""

from __future__ import annotations

import asyncio
import base64
import http
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as CentralSystem16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as CentralSystem201
from ocpp.v201 import call_result as result201
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

HEARTBEAT_S = 60


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Frame:
    direction: str  # "in" (station → us) or "out"
    at: float  # wall-clock time.time()
    frame: list[Any]


@dataclass
class Connection:
    station: str
    subprotocol: str | None
    frames: list[Frame] = field(default_factory=list)


class _Recording:
    """The socket as the library sees it, noting every frame that passes."""

    def __init__(self, ws: ServerConnection, record: Connection) -> None:
        self._ws, self._record = ws, record

    async def recv(self) -> str:
        text = await self._ws.recv()
        assert isinstance(text, str)
        self._record.frames.append(Frame("in", time.time(), json.loads(text)))
        return text

    async def send(self, text: str) -> None:
        self._record.frames.append(Frame("out", time.time(), json.loads(text)))
        await self._ws.send(text)


_tx = itertools.count(1)


class Central16(CentralSystem16):  # type: ignore[misc]
    @on("BootNotification")
    def on_boot(self, **_: Any) -> Any:
        return result16.BootNotification(current_time=_now(), interval=HEARTBEAT_S,
                                         status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self) -> Any:
        return result16.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def on_status(self, **_: Any) -> Any:
        return result16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, **_: Any) -> Any:
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    def on_start(self, **_: Any) -> Any:
        return result16.StartTransaction(transaction_id=next(_tx),
                                         id_tag_info={"status": "Accepted"})

    @on("MeterValues")
    def on_meter(self, **_: Any) -> Any:
        return result16.MeterValues()

    @on("StopTransaction")
    def on_stop(self, **_: Any) -> Any:
        return result16.StopTransaction()


class Central201(CentralSystem201):  # type: ignore[misc]
    @on("BootNotification")
    def on_boot(self, **_: Any) -> Any:
        return result201.BootNotification(current_time=_now(), interval=HEARTBEAT_S,
                                          status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self) -> Any:
        return result201.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def on_status(self, **_: Any) -> Any:
        return result201.StatusNotification()

    @on("Authorize")
    def on_authorize(self, **_: Any) -> Any:
        return result201.Authorize(id_token_info={"status": "Accepted"})

    @on("TransactionEvent")
    def on_transaction(self, **_: Any) -> Any:
        return result201.TransactionEvent()

    @on("NotifyEvent")
    def on_notify(self, **_: Any) -> Any:
        return result201.NotifyEvent()


class CentralSystem:
    """Start with ``with CentralSystem(password=…) as cs:``; ``cs.url`` is the base URL."""

    def __init__(self, *, password: str | dict[str, str] | None = None) -> None:
        self.password = password
        self.connections: list[Connection] = []
        self.refused: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None
        self.url = ""

    def __enter__(self) -> CentralSystem:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ocpp"
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        asyncio.run_coroutine_threadsafe(self._server.wait_closed(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def restart(self, *, down_s: float) -> None:
        """Go away (closing every connection), stay down ``down_s``, listen again on the same
        port: what stations see of a central system restarted."""
        asyncio.run_coroutine_threadsafe(self._restart(down_s), self._loop).result(30)

    async def _restart(self, down_s: float) -> None:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        self._server.close()
        await self._server.wait_closed()
        await asyncio.sleep(down_s)
        self._server = await self._start(port)

    async def _start(self, port: int = 0) -> Server:
        return await serve(self._handle, "127.0.0.1", port,
                           subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
                           process_request=self._check)

    def _check(self, _ws: ServerConnection, request: Request) -> Response | None:
        station = request.path.rsplit("/", 1)[-1]
        if self.password is None:
            return None
        password = self.password if isinstance(self.password, str) else self.password.get(
            station, "")
        expected = base64.b64encode(f"{station}:{password}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            self.refused.append(station)
            return Response(http.HTTPStatus.UNAUTHORIZED, "Unauthorized", Headers(), b"")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        station = ws.request.path.rsplit("/", 1)[-1]
        record = Connection(station, ws.subprotocol)
        self.connections.append(record)
        kind = Central16 if ws.subprotocol == "ocpp1.6" else Central201
        try:
            await kind(station, _Recording(ws, record)).start()
        except Exception:
            return  # the station closed the socket

    def frames(self, station: str) -> list[Frame]:
        return [f for c in self.connections if c.station == station for f in c.frames]
