"""``ws://HOST:PORT/ocpp/{charge_point_id}``: the live OCPP-J endpoint in the project's own
server (a Starlette WebSocket route, so ``solidcheck serve`` runs one process, one port, one
registry; uvicorn's ``ws_max_size`` is set to the rule set's frame limit).

At the handshake (OCPP security profile 1): HTTP Basic with the station's identity and the
password ``solidcheck charging stations add`` printed; an unknown station or a wrong password
is answered HTTP 401 and logged. The subprotocol is the newest of ``ocpp2.1``, ``ocpp2.0.1``,
``ocpp1.6`` the station offers; offering none of them, the handshake completes without one and
the connection is closed at once (OCPP 2.0.1 part 4 §3.1).

A station that connects while its previous connection is still open replaces it: the newer
connection wins (a station that lost its network reconnects while the server still holds the
half-open old one), the old one is closed with 1000. For the watchers and the frame log the
station stayed connected: "connected" is told again, "disconnected" only when the station's
current connection closes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from ...charging.frame_log import FrameLog, LinkEvent, SeenCalls, day_file, remember_calls
from ...charging.rules import EndpointRule
from ...registry import Registry
from .connection import DurabilityHook, FrameHook, LoggedConnection
from .handlers import SUBPROTOCOLS, Answers, central_system_for

__all__ = ["Endpoint", "router"]

LOG = logging.getLogger("solidcheck.ocpp")
router = APIRouter()
#: told when a station's WebSocket opens or closes
LinkHook = Callable[[str, str], None]
#: WebSocket close code when no offered subprotocol is served (RFC 6455: protocol error)
_NO_SUBPROTOCOL = 1002
#: WebSocket close code for a connection a newer one of the same station replaced
_REPLACED = 1000


@dataclass
class Endpoint:
    """What the endpoint shares across connections: where frames go, what it answers, and
    ``frame_hooks`` — every logged frame is handed to each, in order (alerts join here) —
    and ``link_hooks``, told ``(charge_point_id, "connected" | "disconnected")`` when a
    station's WebSocket opens (a replacing one too) and when its current one closes (offline
    detection joins here; a replaced connection's close is not told)."""

    log: FrameLog
    rule: EndpointRule
    answers: Answers
    seen: SeenCalls = field(default_factory=SeenCalls)
    frame_hooks: list[FrameHook] = field(default_factory=list)
    link_hooks: list[LinkHook] = field(default_factory=list)
    connected: dict[str, str] = field(default_factory=dict)  # id → subprotocol
    #: each station's current connection: its number (a count of connections) and socket
    current: dict[str, tuple[int, WebSocket]] = field(default_factory=dict)
    connections_opened: int = 0
    #: awaited before a transaction-related CALLRESULT is sent, beside the log's fsync (the
    #: live writer's barrier: the rows the CALL caused are committed when it is answered)
    durability_hooks: list[DurabilityHook] = field(default_factory=list)

    @classmethod
    def of(cls, *, log_dir: Path, rule: EndpointRule,
           id_tokens: frozenset[str] | None = None) -> Endpoint:
        return cls(log=FrameLog(log_dir), rule=rule,
                   answers=Answers(heartbeat_interval_s=rule.heartbeat_interval_s,
                                   id_tokens=id_tokens))


    def remember_todays_calls(self, *, now: datetime | None = None) -> int:
        """Seed ``seen`` from today's log (on start), so a station's retransmission of a
        CALL sent before a restart is recorded once; the number of CALLs read."""
        return remember_calls(self.seen, day_file(self.log.folder, now or datetime.now(UTC)))


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """User and password of an ``Authorization: Basic`` header, or None."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def chosen_subprotocol(offered: list[str]) -> str | None:
    return next((name for name in SUBPROTOCOLS if name in offered), None)


async def _refuse(websocket: WebSocket, charge_point_id: str, reason: str) -> None:
    """HTTP 401 at the handshake (403 from a server without the denial extension)."""
    LOG.warning("OCPP connection of %r refused: %s (from %s)", charge_point_id, reason,
                websocket.client.host if websocket.client else "?")
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(PlainTextResponse(
            "unknown charging station or wrong password\n", status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="solidcheck OCPP"'}))
    else:
        await websocket.close(code=1008)


@router.websocket("/ocpp/{charge_point_id}")
async def ocpp_endpoint(websocket: WebSocket, charge_point_id: str) -> None:
    endpoint: Endpoint = websocket.app.state.ocpp
    registry: Registry = websocket.app.state.registry
    credentials = basic_credentials(websocket.headers.get("authorization"))
    if credentials is None:
        await _refuse(websocket, charge_point_id, "no HTTP Basic credentials")
        return
    user, password = credentials
    known = user == charge_point_id and await asyncio.to_thread(
        registry.station_password_matches, charge_point_id, password)
    if not known:
        await _refuse(websocket, charge_point_id, "unknown station or wrong password")
        return
    subprotocol = chosen_subprotocol(websocket.scope.get("subprotocols", []))
    if subprotocol is None:
        LOG.warning("%s offered no OCPP version served: %s", charge_point_id,
                    websocket.scope.get("subprotocols"))
        await websocket.accept()
        await websocket.close(code=_NO_SUBPROTOCOL)
        return
    await websocket.accept(subprotocol=subprotocol)
    await _serve(websocket, endpoint, charge_point_id, subprotocol)


async def _serve(websocket: WebSocket, endpoint: Endpoint, charge_point_id: str,
                 subprotocol: str) -> None:
    version = subprotocol.removeprefix("ocpp")
    connection = LoggedConnection(
        websocket, charge_point_id=charge_point_id, ocpp_version=version, log=endpoint.log,
        seen=endpoint.seen, hooks=endpoint.frame_hooks, durability=endpoint.durability_hooks,
        max_frame_bytes=endpoint.rule.max_frame_bytes,
        max_frames_per_minute=endpoint.rule.max_frames_per_minute)
    central = central_system_for(subprotocol)(charge_point_id, connection, endpoint.answers)
    endpoint.connections_opened += 1
    number = endpoint.connections_opened
    before = endpoint.current.get(charge_point_id)
    endpoint.current[charge_point_id] = (number, websocket)
    endpoint.connected[charge_point_id] = subprotocol
    endpoint.log.append(LinkEvent(datetime.now(UTC), charge_point_id, "connected", version,
                                  replaced=before is not None))
    if before is not None:
        LOG.warning("%s connected again (%s): its open connection is replaced",
                    charge_point_id, subprotocol)
        with contextlib.suppress(RuntimeError, OSError):  # already closing: nothing to do
            await before[1].close(code=_REPLACED, reason="replaced by a newer connection")
    else:
        LOG.info("%s connected (%s)", charge_point_id, subprotocol)
    _tell(endpoint, charge_point_id, "connected")
    try:
        await central.start()
    except WebSocketDisconnect:
        pass
    finally:
        if endpoint.current.get(charge_point_id, (None,))[0] == number:
            del endpoint.current[charge_point_id]
            endpoint.connected.pop(charge_point_id, None)
            endpoint.log.append(LinkEvent(datetime.now(UTC), charge_point_id, "disconnected",
                                          version))
            LOG.info("%s disconnected", charge_point_id)
            _tell(endpoint, charge_point_id, "disconnected")
        else:
            LOG.info("%s: a replaced connection closed", charge_point_id)


def _tell(endpoint: Endpoint, charge_point_id: str, what: str) -> None:
    for hook in endpoint.link_hooks:
        try:
            hook(charge_point_id, what)
        except Exception:  # a watcher's failure is not the station's
            LOG.exception("%s: a link hook failed", charge_point_id)
