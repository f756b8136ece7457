"""The operator scorecard: each metric of each rule set, its value read from the result, the
rule set's target and whether it is met. Pure; it reads figures, it computes none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..results import ChargingMetrics, Figures, SuccessCount
from ..rules import ChargingRuleset, Metric, TargetRule

__all__ = ["ScoreRow", "Status", "meets", "metric_value", "scorecard", "targets_of"]

Status = Literal["met", "missed", "not_measurable", "no_target"]


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One metric of one rule set on the scorecard."""

    ruleset_id: str
    metric_id: str
    metric: Metric
    value: float | None
    #: a percentile metric's values by name ('p50' …); empty otherwise
    percentiles: dict[str, float]
    target: TargetRule | None
    status: Status
    #: a port-scope target: how many ports miss it, of how many measured
    ports_missing: int | None
    ports_measured: int | None

    @property
    def formula_id(self) -> str:
        return f"{self.ruleset_id}.{self.metric_id}"


def _rate(count: SuccessCount | None) -> float | None:
    return None if count is None else count.rate_percent


def metric_value(figures: Figures, ruleset_id: str, metric_id: str, *, days: float
                 ) -> float | dict[str, float] | None:
    """The figure a rule set's metric reads in ``figures``: a number, percentiles by name,
    or None when the result does not carry it (not measurable from these data)."""
    availability = figures.availability.get(ruleset_id)
    closure = figures.closure
    by_metric: dict[str, float | dict[str, float] | None] = {
        "service_availability": availability.rate_percent if availability else None,
        "uptime": availability.rate_percent if availability else None,
        "reliability": availability.rate_percent if availability else None,
        "session_success": _rate(figures.session_success.get(ruleset_id)),
        "attempt_success": _rate(figures.session_success.get(ruleset_id)),
        "charge_start_success": _rate(figures.charge_start_success),
        "charge_end_success": _rate(figures.charge_end_success),
        "charge_start_time": figures.charge_start_time_s or None,
        "mtbf": figures.mtbf_h,
        "faults_per_1000_sessions": figures.faults_per_1000_sessions,
        "reboots_per_port_day": figures.reboots_per_port_day,
        "status_flaps_per_port_day": figures.status_flaps_per_port_day,
        "connection_drops_per_day": figures.connection_drops / days if days > 0 else None,
        # visits, utilisation, statuses against sessions (charging/more_sums.py)
        "first_attempt_visit_success": _rate(figures.first_attempt_visit_success),
        "utilisation": figures.utilisation_percent,
        "false_free_rate": figures.false_free_percent,
        "false_occupied_rate": figures.false_occupied_percent,
    }
    if closure is not None:
        by_metric.update({
            "closure_rate": closure.closure_rate_percent,
            "within_sla_rate": closure.within_sla_percent,
            "first_time_fix_rate": closure.first_time_fix_percent,
            "remote_resolution_rate": closure.remote_resolution_percent,
            "reopen_rate": closure.reopen_percent,
            "fault_coverage": closure.fault_coverage_percent,
            "time_to_acknowledge": closure.time_to_acknowledge_h or None,
            "time_to_repair": closure.time_to_repair_h or None,
        })
    return by_metric.get(metric_id)


def meets(value: float, target: TargetRule) -> bool:
    """Whether a value meets a target, by the target's own comparison."""
    if target.comparison == "above":
        return value > target.target_percent
    return value >= target.target_percent


def targets_of(ruleset: ChargingRuleset) -> dict[str, TargetRule]:
    """The rule set's targets by the metric they bound."""
    return {rule.metric: rule for rule in ruleset.defined_rules().values()
            if isinstance(rule, TargetRule)}


def _days(metrics: ChargingMetrics) -> float:
    return (metrics.period.to - metrics.period.from_).total_seconds() / 86_400


def scorecard(metrics: ChargingMetrics, rulesets: Sequence[ChargingRuleset]
              ) -> list[ScoreRow]:
    """Every metric of every rule set, in the rule sets' order, at the network level."""
    days = _days(metrics)
    rows: list[ScoreRow] = []
    for ruleset in rulesets:
        targets = targets_of(ruleset)
        for metric_id, metric in ruleset.defined_metrics().items():
            found = metric_value(metrics.network, ruleset.id, metric_id, days=days)
            value = found if isinstance(found, float | int) else None
            percentiles = found if isinstance(found, dict) else {}
            target = targets.get(metric_id)
            status: Status
            if target is None:
                status = "no_target"
            elif value is None:
                status = "not_measurable"
            else:
                status = "met" if meets(value, target) else "missed"
            missing = measured = None
            if target is not None and target.scope == "port":
                port_values = [metric_value(port, ruleset.id, metric_id, days=days)
                               for port in metrics.ports]
                numbers = [v for v in port_values if isinstance(v, float | int)]
                measured = len(numbers)
                missing = sum(not meets(v, target) for v in numbers)
            rows.append(ScoreRow(ruleset.id, metric_id, metric,
                                 None if value is None else float(value), percentiles, target,
                                 status, missing, measured))
    return rows
