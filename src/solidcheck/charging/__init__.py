"""Charging-station service quality: the China Charging Alliance's operations white paper
(2026) judged with the published formulas it borrows (US NEVI, ChargeX, UK PCPR, France's
AFIREV and QualiCharge, California), from what operators really have — OCPP frame logs,
open-data status tables, sessions and maintenance tickets.

The same shape as the battery part: readers (recognised by content) → one canonical columnar
model → metrics driven by versioned rule sets (every number with its provenance) → renderers.
The domain facts and how sure we are of each: docs/charging.md.
"""
