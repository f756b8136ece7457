"""The live side of the server (issue 17): the alert engine fed by the OCPP endpoint and a
timer, and the fan-out of every alert change to whoever listens — SSE clients, the registry's
tables, tickets, webhooks, Prometheus. ``docs/architecture.md`` draws where each joins."""

from __future__ import annotations

from .hooks import install_hooks, start_hooks, stop_hooks
from .hub import AlertChange, AlertSink, Bus, LiveHub, StateChange, StateSink, Subscription
from .persist import keep_in_registry, start_keeping, stop_keeping
from .relay import start_relay
from .risk import RiskScorer
from .tickets import TicketService
from .writer import LiveWriter

__all__ = ["AlertChange", "AlertSink", "Bus", "LiveHub", "LiveWriter", "RiskScorer",
           "StateChange", "StateSink", "Subscription", "TicketService", "install_hooks",
           "keep_in_registry", "start_hooks", "start_keeping", "start_relay", "stop_hooks",
           "stop_keeping"]
