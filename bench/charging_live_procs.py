"""The child processes of bench/charging_live.py, each started as
``python bench/charging_live_procs.py ROLE …``:

- ``serve PORT DATABASE CHANGES_FILE``: the server as ``solidcheck serve`` builds it, plus a
  sink writing each alert change with its wall time to a JSON Lines file — the in-bench source
  of alert arrivals, used only while the server has no SSE stream
  (``/v1/charging/alerts/stream``).
- ``echo PORT``: a bare ``websockets`` server answering each message with itself (the ceiling).
- ``echo-clients PORT N FRAMES_PER_S SECONDS``: N connections sending, together, FRAMES_PER_S
  realistic OCPP frames a second and reading each echo. Prints ``connected`` once all are
  open, then ``{"frames": …}`` when done.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path

#: a MeterValues CALL as the simulator sends it (~0.3 kB), the bulk of a network's traffic
FRAME = json.dumps([2, "4f1c2a9e-1b7d-4c55-9a9e-5d2b7c3e8f10", "MeterValues", {
    "connectorId": 1, "transactionId": 1042, "meterValue": [{
        "timestamp": "2026-12-06T12:00:00.000Z", "sampledValue": [{
            "value": "183411", "context": "Sample.Periodic", "measurand":
            "Energy.Active.Import.Register", "unit": "Wh"}]}]}])


def serve(port: int, database: str, changes_file: Path) -> None:
    import uvicorn

    from solidcheck.registry import Registry
    from solidcheck.web import Settings, create_app
    from solidcheck.web.live import AlertChange

    settings = Settings.from_env().model_copy(update={"database_url": database})
    out = changes_file.open("a", encoding="utf-8", buffering=1)

    def sink(change: AlertChange) -> None:
        out.write(json.dumps({"arrived": time.time(), "event": change.event,
                              "alert": change.alert.model_dump(mode="json")}) + "\n")

    with Registry.open(database, create=True) as registry:
        app = create_app(settings, registry=registry)
        app.state.live.sinks.append(sink)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning",
                    ws_max_size=app.state.ocpp.rule.max_frame_bytes)


async def echo(port: int) -> None:
    from websockets.asyncio.server import ServerConnection
    from websockets.asyncio.server import serve as ws_serve

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with ws_serve(handler, "127.0.0.1", port, max_size=2**20) as server:
        await server.serve_forever()


async def echo_clients(port: int, clients: int, frames_per_s: float, seconds: float) -> None:
    from websockets.asyncio.client import connect

    sockets = [await connect(f"ws://127.0.0.1:{port}/ocpp/E{n:05d}") for n in range(clients)]
    print("connected", flush=True)
    sys.stdin.readline()  # the bench has read the server's CPU time: go
    period_s = clients / frames_per_s
    end = time.monotonic() + seconds
    counts = [0] * clients

    async def play(n: int) -> None:
        ws = sockets[n]
        await asyncio.sleep(min(random.uniform(0, period_s), max(0.0, end - time.monotonic())))
        next_at = time.monotonic()
        while next_at < end:
            await ws.send(FRAME)
            await ws.recv()
            counts[n] += 1
            next_at += period_s
            await asyncio.sleep(max(0.0, min(next_at, end) - time.monotonic()))

    await asyncio.gather(*(play(n) for n in range(clients)))
    print(json.dumps({"frames": sum(counts)}), flush=True)
    for ws in sockets:
        await ws.close()


def main() -> None:
    role, args = sys.argv[1], sys.argv[2:]
    if role == "serve":
        serve(int(args[0]), args[1], Path(args[2]))
    elif role == "echo":
        asyncio.run(echo(int(args[0])))
    elif role == "echo-clients":
        asyncio.run(echo_clients(int(args[0]), int(args[1]), float(args[2]), float(args[3])))
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main()
