"""Play the plan: one real WebSocket client per station, on a clock ``speed`` times faster.

The thin adapter around the plan: it connects to ``{url}/{station}`` with the version's
subprotocol (HTTP Basic for security profile 1 when a password is given), boots, heartbeats at
the interval the central system returns, plays the steps, and notes the wall-clock time each
injected fault's first frame was sent, for the report.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage
from websockets.typing import Subprotocol

from .plan import ALERT_FOR, Config, Injection, StationPlan, Step, plan_network, port_id
from .profile import profile
from .speak import Speaker, speaker_for

__all__ = ["Clock", "Report", "simulate"]

T = TypeVar("T")


@dataclass
class Clock:
    """Simulated seconds since the start; ``speed`` simulated seconds pass each wall second."""

    speed: float
    t0: float = field(default_factory=lambda: asyncio.get_running_loop().time())

    def now_s(self) -> float:
        return (asyncio.get_running_loop().time() - self.t0) * self.speed

    async def sleep_until(self, at_s: float) -> None:
        await asyncio.sleep(max(0.0, (at_s - self.now_s()) / self.speed))

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


@dataclass
class Report:
    """What was injected and when, and which stations could not play their plan."""

    config: Config
    started_at: str
    injected: list[tuple[str, Injection, float]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    #: times a station got its connection back after the central system went away
    reconnects: int = 0
    #: sessions whose Authorize the central system did not accept: (station, port, tag,
    #: status); their start, meter values and stop are not sent
    refused: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        c = self.config
        rows = sorted(self.injected, key=lambda r: (r[0], r[1].station))
        return {
            "format": 1,
            "simulator": {"url": c.url, "version": c.version, "stations": c.stations,
                          "seed": c.seed, "duration_s": c.duration_s, "speed": c.speed,
                          "faults": dict(c.faults), "first_station": c.first,
                          "meter_interval_s": c.meter_interval_s},
            "started_at": self.started_at,
            "injections": [{"station": i.station, "port": i.port, "kind": i.kind,
                            "alert": ALERT_FOR[i.kind], "at": at,
                            "planned_s": i.planned_s, "sent_s": round(sent_s, 3),
                            "detail": i.detail} for at, i, sent_s in rows],
            "errors": self.errors,
            "reconnects": self.reconnects,
            "refused_starts": self.refused,
        }


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def simulate(config: Config, *, plans: list[StationPlan] | None = None) -> Report:
    """Run every station of the plan (``plan_network(config)`` unless given) at once until
    the duration is over."""
    plans = plan_network(config) if plans is None else plans
    report = Report(config, _iso_now())
    clock = Clock(config.speed)
    tasks = [asyncio.create_task(_station(p, config, clock, report)) for p in plans]
    await asyncio.gather(*tasks)
    return report


class _Link:
    """A station's connection: the socket, the library's charge point reading it, heartbeats."""

    def __init__(self, plan: StationPlan, config: Config, clock: Clock) -> None:
        self.plan, self.config, self.clock = plan, config, clock
        self.ws: ClientConnection | None = None
        self.speaker: Speaker | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.lost = asyncio.Event()
        self.interval_s: float = profile().count("fallback_heartbeat_s")

    async def open(self) -> Speaker:
        headers = {}
        if self.config.passwords is not None:
            token = f"{self.plan.station}:{self.config.passwords[self.plan.station]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        sub = Subprotocol("ocpp1.6" if self.config.version == "1.6" else "ocpp2.0.1")
        tls = (ssl.create_default_context(cafile=str(self.config.ca_file))
               if self.config.ca_file is not None else None)  # None: the system's CAs
        self.ws = await connect(f"{self.config.url}/{self.plan.station}", subprotocols=[sub],
                                additional_headers=headers, open_timeout=30, ssl=tls)
        self.speaker = speaker_for(self.config.version, self.plan.station, self.ws)
        self.lost = asyncio.Event()
        self._tasks = [asyncio.create_task(self._read(self.speaker, self.lost))]
        return self.speaker

    async def _read(self, speaker: Speaker, lost: asyncio.Event) -> None:
        """The library's receive loop; its end, unless cancelled by ``close``, is a lost link."""
        with contextlib.suppress(Exception):
            await speaker.cp.start()
        lost.set()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """``work``, unless the connection is lost first (then :class:`_Lost`)."""
        task = asyncio.ensure_future(work)
        lost = asyncio.ensure_future(self.lost.wait())
        await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        lost.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise _Lost
        return task.result()

    async def boot(self, *, reason: str) -> None:
        """BootNotification; its answer's interval paces the heartbeats from then on."""
        assert self.speaker is not None
        interval = await self.speaker.boot(reason=reason)
        self.interval_s = interval if interval > 0 else profile().count("fallback_heartbeat_s")

    def beat(self) -> None:
        assert self.speaker is not None
        self._tasks.append(asyncio.create_task(self._beat(self.speaker, self.interval_s)))

    async def _beat(self, speaker: Speaker, interval_s: float) -> None:
        with contextlib.suppress(Exception):
            while True:
                await self.clock.sleep(interval_s)
                await speaker.heartbeat()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        if self.ws is not None:
            await self.ws.close()


class _Lost(Exception):
    """The central system went away under a station (not a drop the plan asked for)."""


#: what a station treats as a lost connection, and retries with back-off
_RETRY = (OSError, asyncio.TimeoutError, ConnectionClosed, InvalidMessage, _Lost)


async def _station(plan: StationPlan, config: Config, clock: Clock, report: Report) -> None:
    link = _Link(plan, config, clock)
    status = dict.fromkeys(range(1, plan.connectors + 1), "Available")
    refused: set[int] = set()  # sessions (tx) whose Authorize was refused
    try:
        speaker = await _come_up(link, plan, status, reason="PowerUp")
        steps = [s for s in plan.steps if s.at_s < config.duration_s]
        for step in [*steps, Step(config.duration_s, "end")]:
            noted = False
            while True:  # a step lost with the connection is sent again once back (queued)
                try:
                    await link.run(clock.sleep_until(step.at_s))
                    if step.kind == "end" or (step.tx and step.tx in refused):
                        break
                    if step.injection is not None and not noted:
                        noted = True
                        report.injected.append((_iso_now(), step.injection, clock.now_s()))
                    speaker, answer = await link.run(_play(step, link, speaker, plan, status))
                    if step.kind == "authorize" and answer != "Accepted":
                        refused.add(step.tx)
                        report.refused.append({
                            "station": plan.station, "port": port_id(
                                plan.station, step.connector, config.version),
                            "id_tag": step.id_tag, "status": str(answer), "at": _iso_now()})
                    break
                except _RETRY:
                    if not await _reconnect(link, plan, status, report):
                        return
                    assert link.speaker is not None
                    speaker = link.speaker
    except Exception as exc:  # a station that cannot go on is reported, not fatal to the rest
        report.errors.append({"station": plan.station, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        await link.close()


async def _reconnect(link: _Link, plan: StationPlan, status: dict[int, str],
                     report: Report) -> bool:
    """Reconnect with back-off (as a station does) until back or the run is over."""
    low_ms, high_ms = profile().span("reconnect_backoff_ms")
    delay_ms = low_ms
    while link.clock.now_s() < link.config.duration_s:
        await link.close()
        try:
            await _come_up(link, plan, status, reason=None)
        except _RETRY:
            await asyncio.sleep(delay_ms / 1000)
            delay_ms = min(2 * delay_ms, high_ms)
            continue
        report.reconnects += 1
        return True
    return False


async def _come_up(link: _Link, plan: StationPlan, status: dict[int, str], *,
                   reason: str | None) -> Speaker:
    """Connect; boot when ``reason`` is given (else a reconnection); then every port's status."""
    speaker = await link.open()
    if reason is not None:
        await link.boot(reason=reason)
    link.beat()
    for connector, state in status.items():
        await speaker.step(Step(0.0, "status", connector, state))
    return speaker


async def _play(step: Step, link: _Link, speaker: Speaker, plan: StationPlan,
                status: dict[int, str]) -> tuple[Speaker, str | None]:
    """The step played: the speaker from then on, and the answer of an Authorize."""
    if step.kind in ("drop", "reboot"):
        await link.close()
        await link.clock.sleep(step.seconds)
        return await _come_up(link, plan, status,
                              reason=step.reason if step.kind == "reboot" else None), None
    if step.kind == "status":
        status[step.connector] = step.status
    return speaker, await speaker.step(step)
