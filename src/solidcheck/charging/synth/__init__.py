"""Synthetic charging networks with known truth (``solidcheck charging synth``).

A deterministic simulation (:mod:`.network`, :mod:`.activities`) records what really happened
at every port and station; writers turn the record into the files an operator would have —
OCPP 1.6J and 2.0.1 frame logs (:mod:`.ocpp`), IRVE status, session and inventory tables and a
tickets file (:mod:`.tables`) — and :mod:`.truth` into the figures the metrics must find
(``truth.json``, its schema in docs/charging.md).
"""

from __future__ import annotations

from .network import DEFAULT_START, make_spec, simulate, thresholds
from .record import Network, SynthSpec
from .write import write_network

__all__ = ["DEFAULT_START", "Network", "SynthSpec", "make_spec", "simulate", "thresholds",
           "write_network"]
