"""The risk list as a file: what ``charging risk score --format json`` writes, and what the
open report (``charging report --risk``) and the monitoring page draw.

Self-describing, so a reader needs no model: the day scored, the model's horizon, training
window, rule set and sha256, the kind of each score (a probability, or an anomaly percentile
that is not one) and how the drivers were found. No dataframe and no scikit-learn here: the
report reads this without either (an import-linter contract).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..json_files import read_json_model

__all__ = ["FORMAT", "RiskDriver", "RiskList", "RiskPort", "TrainingWindow", "read_risk_json",
           "risk_list"]

#: the ``format`` key of a risk list file
FORMAT = "solidcheck-risk-scores/1"
ScoreKind = Literal["probability", "anomaly_percentile"]
_FIX = ("give the JSON `solidcheck charging risk score MODEL INPUT... --format json` wrote "
        "(with this version of solidcheck)")


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class RiskDriver(_Read):
    """A feature that raised the score, and by how much (in the score's own unit)."""

    feature: str
    contribution: float


class RiskPort(_Read):
    """One port's risk after the day; ``score`` in [0, 1] of kind ``score_kind``."""

    port_id: str
    station_id: str
    operator: str | None = None
    day: date
    score: float = Field(ge=0, le=1)
    score_kind: ScoreKind
    group: str
    drivers: list[RiskDriver]
    method: str


class TrainingWindow(_Read):
    """The first and last UTC day the model learned from."""

    from_: date = Field(alias="from")
    to: date


class RiskList(_Read):
    """The ports at highest risk after ``day``, highest first, with what the reader needs to
    know what the list is."""

    format: Literal["solidcheck-risk-scores/1"]
    day: date
    horizon: str
    training_window: TrainingWindow
    ruleset: str
    method: str
    model_sha256: str | None = None
    scored_at: datetime | None = None
    score_kinds: list[ScoreKind]
    crew_ports_per_day: int | None = None
    ports: list[RiskPort]


def risk_list(ports: list[dict[str, Any]], *, day: str, card: dict[str, Any], method: str,
              scored_at: datetime | None = None) -> dict[str, Any]:
    """The file's content for the scored rows of a model with ``card`` (keys of the first
    version kept: day, horizon, method, model_sha256, ports)."""
    rule = card.get("rule") or {}
    data: dict[str, Any] = {
        "format": FORMAT, "day": day, "horizon": card["horizon"], "method": method,
        "model_sha256": card.get("model_sha256"),
        "training_window": card["training_window"], "ruleset": card["ruleset"],
        "score_kinds": sorted({p["score_kind"] for p in ports}),
        "crew_ports_per_day": rule.get("crew_ports_per_day"), "ports": ports}
    if scored_at is not None:
        data["scored_at"] = scored_at.isoformat()
    return data


def read_risk_json(path: Path) -> RiskList:
    """A risk list file, validated; one ChargingInputError naming every problem."""
    return read_json_model(path, RiskList, field="--risk", fix=_FIX)
