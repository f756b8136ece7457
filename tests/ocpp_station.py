"""Real pieces for the live-endpoint tests: the server (uvicorn on loopback, in a thread of the
test process, the app as ``solidcheck serve`` builds it) and stations (real WebSocket clients
from ``websocket-client``, driven by the ``ocpp`` library's charge-point classes, or sending
raw frames to see what the endpoint answers to bad ones)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import uvicorn
import websocket  # websocket-client

from attack_server import free_port

#: a hang guard for the server's start, never a measure of speed
START_LIMIT_S = 30.0


@contextmanager
def running_server(app: Any) -> Iterator[str]:
    """The app served on a free loopback port; yields its ``ws://`` base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ws="wsproto", ws_max_size=app.state.ocpp.rule.max_frame_bytes)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_LIMIT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_LIMIT_S)


def basic(user: str, password: str) -> str:
    return "Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def connect(base: str, charge_point_id: str, password: str | None, *,
            subprotocols: tuple[str, ...] = ("ocpp1.6",)) -> websocket.WebSocket:
    """A raw WebSocket to the endpoint (raises ``WebSocketBadStatusException`` if refused)."""
    header = [basic(charge_point_id, password)] if password is not None else []
    return websocket.create_connection(f"{base}/ocpp/{charge_point_id}", timeout=30,
                                       subprotocols=list(subprotocols), header=header)


def ask(ws: websocket.WebSocket, frame: Any) -> Any:
    """Send one frame (a JSON value, or text sent as is) and return the answer."""
    ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(ws.recv())


class AsyncConnection:
    """A ``websocket-client`` socket as the ``ocpp`` library wants it (async recv/send)."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws

    async def recv(self) -> str:
        text: str = await asyncio.to_thread(self.ws.recv)
        return text

    async def send(self, text: str) -> None:
        await asyncio.to_thread(self.ws.send, text)


async def as_station(charge_point_class: Any, ws: websocket.WebSocket, charge_point_id: str,
                     calls: list[Any]) -> list[Any]:
    """Run the library's charge point on ``ws``, make ``calls`` in order, return the answers."""
    station = charge_point_class(charge_point_id, AsyncConnection(ws))
    listener = asyncio.create_task(station.start())
    try:
        return [await station.call(call) for call in calls]
    finally:
        ws.close()
        listener.cancel()
        with suppress(asyncio.CancelledError, websocket.WebSocketException, OSError):
            await listener
