"""The grammar of ``[rules.risk]``: what counts as a port failure a risk model predicts, and
the horizons it predicts it over, as rule-set data with provenance (charging/risk/labels.py).

Kept apart from charging/rules.py, like alert_rules.py; ``Rules.risk`` holds a
:class:`RiskRule`.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .rules_base import ChargingRule

__all__ = ["RiskRule", "horizon_hours"]

_HORIZON = re.compile(r"^([1-9][0-9]*)(h|d)$")


def horizon_hours(text: str) -> int:
    """A horizon's hours: ``24h`` → 24, ``7d`` → 168; ValueError for anything else."""
    found = _HORIZON.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a horizon: write hours or days, e.g. 24h or 7d")
    return int(found.group(1)) * (24 if found.group(2) == "d" else 1)


class RiskRule(ChargingRule):
    """A failure is an outage episode longer than ``failure_min_outage_minutes`` or a ticket
    opened on the port; a port-day is positive when one starts within a horizon after it."""

    failure_min_outage_minutes: float = Field(gt=0)
    horizons: list[str] = Field(min_length=1)

    @field_validator("horizons")
    @classmethod
    def _horizons_read(cls, value: list[str]) -> list[str]:
        for text in value:
            horizon_hours(text)
        if len(set(value)) != len(value):
            raise ValueError("each horizon once")
        return value
