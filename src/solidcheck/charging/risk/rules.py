"""The grammar of ``[rules.risk]`` (what counts as a port failure and the horizons it is
predicted over: charging/risk/labels.py) and of ``[rules.risk_model]`` (every count and window
the risk models and their evaluation use: model.py, evaluate.py), as rule-set data with
provenance.

Kept apart from charging/rules.py as the alert grammar is; ``Rules.risk`` and
``Rules.risk_model`` hold one each.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..rules_base import ChargingRule

__all__ = ["RiskBaseline", "RiskModelRule", "RiskRule", "horizon_hours"]

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


class RiskBaseline(BaseModel):
    """A ranking an operator already uses: the ports with the highest ``column`` first (a
    feature column; the baseline is left out, and the report says so, when it is absent)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    column: str = Field(min_length=1)


class RiskModelRule(ChargingRule):
    """How the risk models are trained and judged."""

    #: an operator with fewer training rows or positives shares the pooled model, with the
    #: operator as a feature
    min_operator_rows: int = Field(gt=0)
    min_operator_positives: int = Field(gt=0)
    #: the k ports a crew visits per day (``--k`` overrides)
    crew_ports_per_day: int = Field(gt=0)
    #: each test window of the rolling-origin evaluation, and how many windows at most
    test_weeks: int = Field(gt=0)
    max_folds: int = Field(gt=0)
    #: fewest training days before the first test window
    min_train_days: int = Field(gt=0)
    #: the reliability curve's bins
    calibration_bins: int = Field(ge=2)
    #: the gradient boosting's rounds, learning rate and leaves
    boosting_rounds: int = Field(gt=0)
    learning_rate: float = Field(gt=0, le=1)
    max_leaf_nodes: int = Field(ge=2)
    #: the Isolation Forest's trees and rows per tree (networks without labels)
    isolation_trees: int = Field(gt=0)
    isolation_rows_per_tree: int = Field(gt=1)
    #: how many features that drove a port's score are listed
    drivers_listed: int = Field(gt=0)
    baselines: list[RiskBaseline] = Field(min_length=1)
