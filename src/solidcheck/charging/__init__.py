"""Charging-station service quality: the China Charging Alliance's operations white paper
(2026) judged with the published formulas it borrows (US NEVI, ChargeX, UK PCPR, France's
AFIREV and QualiCharge, California), from what operators really have — OCPP frame logs,
open-data status tables, sessions and maintenance tickets.

The same shape as the battery part: readers (recognised by content) → one canonical columnar
model → metrics driven by versioned rule sets (every number with its provenance) → renderers.
The domain facts and how sure we are of each: docs/charging.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .ingest import ingest, write_tables
    from .metrics import compute_metrics
    from .rules import (
        ChargingRuleset,
        available_charging_rulesets,
        charging_ruleset_by_id,
        load_charging_ruleset,
    )

__all__ = ["ChargingRuleset", "available_charging_rulesets", "charging_ruleset_by_id",
           "compute_metrics", "ingest", "load_charging_ruleset", "write_tables"]

__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(("ingest", "write_tables"), ".ingest"),
    "compute_metrics": ".metrics",
    **dict.fromkeys(("ChargingRuleset", "available_charging_rulesets", "charging_ruleset_by_id",
                     "load_charging_ruleset"), ".rules")}, globals())
