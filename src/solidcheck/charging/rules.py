"""Charging rule sets: each document's metric definitions and thresholds as versioned data.

One TOML file per document version lives in ``solidcheck/charging/rulesets/``; the grammar is
in docs/charging.md ("Charging rule sets"). It is the battery grammar's shape (strict, closed,
every rule with its provenance, Chinese beside English) with one addition: each rule carries the
certainty mark of docs/charging.md, so a report can say how sure the project is of each number.
A rule set names only the metrics and rules its document defines; every key is optional, every
unknown key is an error naming it.

The metrics take a ChargingRuleset or an installed id (:func:`charging_ruleset_by_id`); a path
is for the adapters (:func:`load_charging_ruleset`, :func:`read_charging_ruleset_file`).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import Problem, RulesetError, UnknownRulesetError
from ..rules import parse_data_file, read_data_file
from .alert_rules import AlertRules
from .model import STATES, State
from .risk.rules import RiskModelRule, RiskRule
from .rules_base import Certainty, ChargingRule

__all__ = [
    "PORT_STATES",
    "Certainty",
    "ChargingRule",
    "ChargingRuleset",
    "EndpointRule",
    "Metric",
    "SlaRule",
    "SlaTier",
    "available_charging_rulesets",
    "charging_ruleset_by_id",
    "load_charging_ruleset",
    "parse_charging_ruleset",
    "read_charging_ruleset_file",
]

_PACKAGE_DIR = "rulesets"

#: the canonical per-port states (charging/model.py)
PortState = State
PORT_STATES: tuple[str, ...] = STATES
#: NEVI's excluded outage causes (23 CFR 680.116(b)), as the tickets name them
ExcludedCause = Literal["utility_outage", "vehicle_fault", "scheduled_maintenance",
                        "vandalism", "natural_disaster"]
Principle = Literal["user_quality", "coordination_innovation", "accountability_transparency"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Metric(ChargingRule):
    """A metric's definition: its names, its formula in words, its unit and how it sums up."""

    name: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    formula: str = Field(min_length=1)
    formula_zh: str | None = Field(default=None, min_length=1)
    unit: Literal["percent", "minutes", "seconds", "hours", "count", "per_1000_sessions",
                  "per_port_day", "per_day"]
    #: networks and stations: Σ numerators / Σ denominators, or a percentile of the pooled
    #: values — never a mean of ratios
    aggregation: Literal["sum_over_sum", "percentiles", "sum"]
    percentiles: list[float] | None = None
    #: the white paper's principle this metric serves (cn-alliance-wp-2026)
    principle: Principle | None = None


class StateMappingRule(ChargingRule):
    """Which canonical states count as available, unavailable, excluded (counted as up, e.g.
    NEVI's excluded causes) or ineligible (in neither numerator nor denominator)."""

    available: list[PortState]
    unavailable: list[PortState]
    excluded: list[PortState] = Field(default_factory=list)
    ineligible: list[PortState]

    @model_validator(mode="after")
    def _each_state_once(self) -> StateMappingRule:
        given = [*self.available, *self.unavailable, *self.excluded, *self.ineligible]
        twice = sorted({s for s in given if given.count(s) > 1})
        missing = [s for s in PORT_STATES if s not in given]
        if twice or missing:
            raise ValueError(f"every state in exactly one list: twice {twice}, "
                             f"missing {missing}")
        return self


class SuccessRule(ChargingRule):
    """When a session counts as successful: longer than, and delivering more than, a floor;
    or ending with one of the completion stop reasons."""

    min_duration_s: float | None = Field(default=None, ge=0)
    min_energy_kwh: float | None = Field(default=None, ge=0)
    #: "above" = strictly greater (AFIREV, QualiCharge), "at_least" = ≥ (ChargeX's energy)
    comparison: Literal["above", "at_least"]
    stop_reasons: list[str] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> SuccessRule:
        if self.min_duration_s is None and self.min_energy_kwh is None and not self.stop_reasons:
            raise ValueError("give min_duration_s, min_energy_kwh or stop_reasons")
        return self


class TargetRule(ChargingRule):
    """A threshold on a metric of the same rule set; a breach is a finding citing this rule."""

    metric: str
    target_percent: float = Field(gt=0, le=100)
    comparison: Literal["above", "at_least"]
    scope: Literal["port", "station", "network", "charger"]
    period: Literal["trailing_12_months", "calendar_year", "calendar_month", "report_period"]
    #: a fixed denominator when the document gives one (NEVI: 525,600 minutes)
    period_minutes: int | None = Field(default=None, gt=0)
    recomputed: Literal["monthly", "quarterly", "yearly", "per_report"] = "per_report"
    min_power_kw: float | None = Field(default=None, gt=0)
    applies_from: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ExcludedCausesRule(ChargingRule):
    """Outage minutes that count as up, when a ticket shows one of these causes."""

    causes: list[ExcludedCause]
    requires_ticket: bool
    outside_opening_hours: bool


class OfflineRule(ChargingRule):
    """A station is offline once silent for more than k × its heartbeat interval (or the
    fallback when the interval is not known); the outage starts at its last message."""

    heartbeat_multiple: float = Field(gt=1)
    fallback_s: float = Field(gt=0)


class GapRule(ChargingRule):
    """Events closer than this are one: outage episodes (MTBF counts episodes), a driver's
    attempts at one station (a visit)."""

    max_gap_s: float = Field(ge=0)


class WindowRule(ChargingRule):
    """A time window: a closed ticket is verified when no fault follows it within the window;
    an Authorize binds to a transaction within it."""

    window_s: float = Field(gt=0)


class FaultCoverageRule(ChargingRule):
    min_outage_s: float = Field(gt=0)


class SlaTier(_Data):
    severity: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    acknowledge_h: float = Field(gt=0)
    resolve_h: float = Field(gt=0)


class SlaRule(ChargingRule):
    tiers: list[SlaTier] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_tiers(self) -> SlaRule:
        names = [t.severity for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("each severity tier once")
        return self


class LimitRule(ChargingRule):
    """A data-quality or latency limit: a value that must not be exceeded."""

    limit: float = Field(gt=0)
    unit: Literal["seconds", "statuses_per_point_per_day", "times_nominal_energy"]


class EndpointRule(ChargingRule):
    """What the live OCPP endpoint tells and allows a station (issue 17): the heartbeat
    interval its BootNotification answer sets, the largest frame, the frames a minute."""

    heartbeat_interval_s: int = Field(gt=0)
    max_frame_bytes: int = Field(gt=0)
    max_frames_per_minute: int = Field(gt=0)


class CheckRule(ChargingRule):
    """A data-quality rule with no number (e.g. sessions never overlap on a point)."""

    enforced: bool


class Metrics(_Data):
    """The metrics a document defines; the key is the metric id results and findings use."""

    service_availability: Metric | None = None
    uptime: Metric | None = None
    reliability: Metric | None = None
    utilisation: Metric | None = None
    session_success: Metric | None = None
    attempt_success: Metric | None = None
    charge_start_success: Metric | None = None
    charge_end_success: Metric | None = None
    charge_start_time: Metric | None = None
    first_attempt_visit_success: Metric | None = None
    false_free_rate: Metric | None = None
    false_occupied_rate: Metric | None = None
    mtbf: Metric | None = None
    faults_per_1000_sessions: Metric | None = None
    reboots_per_port_day: Metric | None = None
    connection_drops_per_day: Metric | None = None
    status_flaps_per_port_day: Metric | None = None
    closure_rate: Metric | None = None
    within_sla_rate: Metric | None = None
    time_to_acknowledge: Metric | None = None
    time_to_repair: Metric | None = None
    first_time_fix_rate: Metric | None = None
    remote_resolution_rate: Metric | None = None
    reopen_rate: Metric | None = None
    fault_coverage: Metric | None = None
    alert_latency: Metric | None = None


class Rules(_Data):
    """The thresholds and parameters a document (or the project, labelled) sets."""

    state_mapping: StateMappingRule | None = None
    session_success: SuccessRule | None = None
    availability_target: TargetRule | None = None
    uptime_target: TargetRule | None = None
    reliability_target: TargetRule | None = None
    attempt_success_target: TargetRule | None = None
    closure_target: TargetRule | None = None
    excluded_causes: ExcludedCausesRule | None = None
    offline_detection: OfflineRule | None = None
    outage_merging: GapRule | None = None
    visit_grouping: GapRule | None = None
    verified_closure: WindowRule | None = None
    authorize_binding: WindowRule | None = None
    fault_coverage: FaultCoverageRule | None = None
    sla_tiers: SlaRule | None = None
    status_freshness: LimitRule | None = None
    status_rate: LimitRule | None = None
    energy_plausibility: LimitRule | None = None
    session_overlap: CheckRule | None = None
    out_of_service_occupied: CheckRule | None = None
    alert_latency: LimitRule | None = None
    offline_detection_latency: LimitRule | None = None
    #: the live alert kinds (charging/alert_rules.py); not a rule itself, so not in
    #: :meth:`ChargingRuleset.defined_rules`
    alerts: AlertRules | None = None
    live_endpoint: EndpointRule | None = None
    #: what a risk model predicts (charging/risk/rules.py)
    risk: RiskRule | None = None
    #: issue 18: the risk models' counts and windows (charging/risk/rules.py)
    risk_model: RiskModelRule | None = None


class ChargingRulesetInfo(_Data):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)
    title: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    document: str = Field(min_length=1)
    status: str = Field(min_length=1)
    language: Literal["en", "zh", "fr"] = Field(
        default="en", description="the language of the document the clauses cite")


class ChargingRuleset(_Data):
    """One document version's metrics and rules, as loaded from its data file."""

    format: Literal[1]
    ruleset: ChargingRulesetInfo
    metrics: Metrics = Metrics()
    rules: Rules = Rules()

    @model_validator(mode="after")
    def _targets_name_metrics(self) -> ChargingRuleset:
        for rule_id in Rules.model_fields:
            rule = getattr(self.rules, rule_id)
            if isinstance(rule, TargetRule) and getattr(self.metrics, rule.metric, None) is None:
                raise ValueError(f"rules.{rule_id}.metric: {rule.metric!r} is not a metric of "
                                 "this rule set; define it under [metrics]")
        tiers = self.rules.sla_tiers
        for kind, alert in self.alert_rules():
            if alert is not None and tiers is not None and \
                    alert.severity not in {t.severity for t in tiers.tiers}:
                raise ValueError(f"rules.alerts.{kind}.severity: {alert.severity!r} is not a "
                                 "severity of rules.sla_tiers")
        if self.alert_rules().offline is not None and self.rules.offline_detection is None:
            raise ValueError("rules.alerts.offline takes its threshold from "
                             "rules.offline_detection; define it")
        if not self.defined_metrics() and not self.defined_rules() and \
                not any(rule for _, rule in self.alert_rules()):
            raise ValueError("a rule set defines at least one metric or rule")
        return self

    @property
    def id(self) -> str:
        return self.ruleset.id

    def defined_metrics(self) -> dict[str, Metric]:
        return {k: v for k, v in self.metrics if v is not None}

    def defined_rules(self) -> dict[str, ChargingRule]:
        return {k: v for k, v in self.rules if isinstance(v, ChargingRule)}

    def alert_rules(self) -> AlertRules:
        """The live alert kinds (none when the rule set defines none)."""
        return self.rules.alerts or AlertRules()

    def rule(self, rule_id: str) -> ChargingRule:
        """A rule of ``[rules]`` (a metric and a rule may share an id: session_success)."""
        found = self.defined_rules().get(rule_id)
        if found is None:
            raise KeyError(f"charging rule set {self.id!r} has no rule {rule_id!r}")
        return found

    def metric(self, metric_id: str) -> Metric:
        found = self.defined_metrics().get(metric_id)
        if found is None:
            raise KeyError(f"charging rule set {self.id!r} has no metric {metric_id!r}")
        return found


def parse_charging_ruleset(text: str, *, source: str = "<string>") -> ChargingRuleset:
    """Parse and validate charging rule-set TOML; raise RulesetError naming every bad key."""
    return parse_data_file(text, ChargingRuleset, source=source)


def read_charging_ruleset_file(path: str | Path) -> ChargingRuleset:
    """A charging rule set from a ``.toml`` file, for the adapters."""
    return read_data_file(path, ChargingRuleset)


@functools.cache
def _installed() -> dict[str, ChargingRuleset]:
    # Read once per process: the files ship with the package and do not change under it.
    found: dict[str, ChargingRuleset] = {}
    folder = resources.files(__package__).joinpath(_PACKAGE_DIR)
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".toml"):
            continue
        ruleset = parse_charging_ruleset(entry.read_text(encoding="utf-8"), source=entry.name)
        if entry.name != f"{ruleset.id}.toml":
            raise RulesetError([Problem("ruleset.id", f"{ruleset.id!r} does not match the "
                                        "file name", "name the file after the id")],
                               source=entry.name)
        found[ruleset.id] = ruleset
    return found


def available_charging_rulesets() -> list[ChargingRuleset]:
    """The installed charging rule sets, by id."""
    return [ruleset for _, ruleset in sorted(_installed().items())]


def charging_ruleset_by_id(ruleset_id: str) -> ChargingRuleset:
    """An installed charging rule set by id — what the metrics take."""
    installed = _installed()
    if ruleset_id in installed:
        return installed[ruleset_id]
    raise UnknownRulesetError(ruleset_id, sorted(installed))


def load_charging_ruleset(ruleset: str | Path) -> ChargingRuleset:
    """An installed id or a ``.toml`` file path: what a user may name, for the adapters."""
    if isinstance(ruleset, str) and ruleset in _installed():
        return charging_ruleset_by_id(ruleset)
    path = Path(ruleset)
    if path.suffix == ".toml" and path.is_file():
        return read_charging_ruleset_file(path)
    raise UnknownRulesetError(str(ruleset), sorted(_installed()))
