"""Prometheus metrics of the live side (issue 17 item 3), in the app's own registry
(``web/metrics.py``): fed by the endpoint's hooks, the hub's sinks, its bus and its timer,
and the webhook sender — none of them knows it is measured.

Label sets are bounded: an action is one OCPP defines (else ``other``), a CALLERROR code one
OCPP-J defines (else ``other``), a version one the endpoint serves, a webhook one registered
(its series goes when it is removed)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ...charging.frame_log import LoggedFrame
from ..ocpp.endpoint import Endpoint
from .hub import AlertChange, AlertSink, Bus, cancel_task

__all__ = ["LiveMetrics"]

#: every action OCPP 1.6 and 2.0.1 define; anything else is counted as "other"
ACTIONS: Final = frozenset(a.value for a in Action16) | frozenset(a.value for a in Action201)
#: the RPC framework's error codes (OCPP-J 1.6 §4.2.3, 2.0.1 part 4 §4.3)
ERROR_CODES: Final = frozenset({
    "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError",
    "FormationViolation", "FormatViolation", "PropertyConstraintViolation",
    "OccurenceConstraintViolation", "OccurrenceConstraintViolation",
    "TypeConstraintViolation", "GenericError", "MessageTypeNotSupported", "RpcFrameworkError"})
_VERSIONS: Final = frozenset({"1.6", "2.0.1", "2.1"})
#: calls awaiting their answer, to label the answer with the call's action (oldest dropped)
_MAX_OPEN_CALLS = 10_000
#: the white paper's "second-level alerting" is read as p99 within 1 s: buckets around it
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class LiveMetrics:
    """The live side's series; ``attach`` joins them to the endpoint and the hub."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connected = Gauge("solidcheck_ocpp_stations_connected", "Charging stations "
                               "connected to the OCPP endpoint now", registry=registry)
        self.frames = Counter("solidcheck_ocpp_frames", "OCPP frames received and sent, by "
                              "direction, OCPP version and action (an answer counts under its "
                              "call's action; unknown actions as other)",
                              ["direction", "ocpp_version", "action"], registry=registry)
        self.callerrors = Counter("solidcheck_ocpp_callerrors_sent", "CALLERRORs the "
                                  "endpoint sent, by error code", ["code"], registry=registry)
        self.alerts = Counter("solidcheck_alerts", "Alert changes: raised and resolved (and "
                              "acknowledged), by kind and severity",
                              ["event", "kind", "severity"], registry=registry)
        self.open_alerts = Gauge("solidcheck_alerts_open", "Alerts open now, by kind and "
                                 "severity", ["kind", "severity"], registry=registry)
        self.latency = Histogram("solidcheck_alert_latency_seconds", "From the arrival of "
                                 "the frame (or timer tick) that caused an alert change to "
                                 "its publication to the subscribers",
                                 buckets=_LATENCY_BUCKETS, registry=registry)
        self.timer_lag = Histogram("solidcheck_live_timer_lag_seconds", "How late the alert "
                                   "timer ran past the time it slept until (the engine's "
                                   "next due threshold, or a second)",
                                   buckets=_LATENCY_BUCKETS, registry=registry)
        self.deliveries = Counter("solidcheck_webhook_deliveries", "Webhook deliveries by "
                                  "outcome: queued, delivered, retry, rejected (4xx), failed "
                                  "(attempts used up), dropped (target's queue full), lost "
                                  "(not logged: database stalled)", ["outcome"],
                                  registry=registry)
        self.queue_depth = Gauge("solidcheck_webhook_queue_depth", "Deliveries waiting to be "
                                 "tried, by webhook", ["webhook"], registry=registry)
        self._calls: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._latency_task: asyncio.Task[None] | None = None

    def attach(self, endpoint: Endpoint, *, sinks: list[AlertSink],
               timer_hooks: list[Callable[[float], None]]) -> None:
        """Join the endpoint's hooks, the hub's sinks and its timer."""
        self.connected.set_function(lambda: len(endpoint.connected))
        endpoint.frame_hooks.append(self.on_frame)
        sinks.append(self.on_alert)
        timer_hooks.append(self.timer_lag.observe)

    # ---------------------------------------------------------------- frames
    def on_frame(self, frame: LoggedFrame) -> None:
        version = frame.ocpp_version if frame.ocpp_version in _VERSIONS else "other"
        direction = "received" if frame.direction == "in" else "sent"
        body = frame.frame
        action = "other"
        if isinstance(body, list) and len(body) >= 3 and isinstance(body[1], str):
            # a call's id is the caller's: an answer goes the other way
            caller = frame.direction if body[0] == 2 else (
                "out" if frame.direction == "in" else "in")
            key = (frame.charge_point_id, caller, body[1])
            if body[0] == 2 and isinstance(body[2], str):
                action = body[2] if body[2] in ACTIONS else "other"
                self._calls[key] = action
                if len(self._calls) > _MAX_OPEN_CALLS:
                    self._calls.popitem(last=False)
            elif body[0] in (3, 4):
                action = self._calls.pop(key, "other")
            if body[0] == 4 and frame.direction == "out":
                code = body[2] if body[2] in ERROR_CODES else "other"
                self.callerrors.labels(code).inc()
        self.frames.labels(direction, version, action).inc()

    # ---------------------------------------------------------------- alerts
    def on_alert(self, change: AlertChange) -> None:
        alert = change.alert
        self.alerts.labels(change.event, alert.kind, alert.severity).inc()
        if change.event == "raised":
            self.open_alerts.labels(alert.kind, alert.severity).inc()
        elif change.event == "resolved":
            self.open_alerts.labels(alert.kind, alert.severity).dec()

    def start(self, bus: Bus[AlertChange]) -> None:
        """Measure the latency where subscribers see a change: on the bus."""
        self._latency_task = asyncio.get_running_loop().create_task(
            self._watch(bus), name="solidcheck-alert-latency")

    async def stop(self) -> None:
        task, self._latency_task = self._latency_task, None
        if task is not None:
            await cancel_task(task)

    async def _watch(self, bus: Bus[AlertChange]) -> None:
        while True:  # a subscription cut off (1,000 behind) is taken up again
            async for change in bus.subscribe():
                self.latency.observe(time.monotonic() - change.cause_monotonic)
            await asyncio.sleep(0.1)

    # --------------------------------------------------------------- webhooks
    def on_delivery(self, outcome: str) -> None:
        self.deliveries.labels(outcome).inc()

    def on_depth(self, webhook_id: str, depth: int) -> None:
        if depth < 0:
            with contextlib.suppress(KeyError):
                self.queue_depth.remove(webhook_id)
        else:
            self.queue_depth.labels(webhook_id).set(depth)
