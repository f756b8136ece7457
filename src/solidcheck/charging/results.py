"""What ``solidcheck charging metrics`` returns: one published object (``solidcheck schema
charging-metrics``), the contract between the metrics and every renderer (text, JSON, CSV,
Parquet, the open report, the open-data export).

The same figures exist at three levels — port, station, network — and are always sums of the
port figures (Σ numerators / Σ denominators, never a mean of ratios), so a reader can recompute
any station or network figure from the ports. Availability depends on the rule set (each maps
the states differently), so it is given per rule set; so is session success. A figure a rule set
does not define, or that has no denominator in the data, is null, never 0.
"""

from __future__ import annotations

from datetime import date as date_
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Finding

__all__ = [
    "SCHEMA_VERSION",
    "Availability",
    "ChargingFinding",
    "ChargingMetrics",
    "Closure",
    "Day",
    "Figures",
    "InputFile",
    "NetworkFigures",
    "OperatorFigures",
    "Outage",
    "Period",
    "PortFigures",
    "RulesetRef",
    "StartMode",
    "StationFigures",
    "SuccessCount",
]

SCHEMA_VERSION = 1


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Period(_Out):
    """The half-open period [from, to) the figures cover, in UTC."""

    from_: datetime = Field(alias="from")
    to: datetime


class RulesetRef(_Out):
    id: str
    title: str
    title_zh: str
    document: str


class InputFile(_Out):
    """One input file: what it was recognised as, and how much of it was read."""

    file: str
    sha256: str
    format: str
    rows: int = Field(ge=0, description="rows (or frames) read into the canonical tables")
    rejected: int = Field(ge=0, description="lines that could not be read")
    rejected_reasons: dict[str, int] = Field(
        default_factory=dict, description="rejected lines by catalogue reason id")


class Availability(_Out):
    """Minutes of one rule set's state mapping; ``rate_percent`` = (available + excluded) /
    (available + unavailable + excluded); ineligible minutes are in neither."""

    available_minutes: float = Field(ge=0)
    unavailable_minutes: float = Field(ge=0)
    excluded_minutes: float = Field(ge=0, description="outage minutes given back: a ticket "
                                    "of an excluded cause, or outside opening hours")
    ineligible_minutes: float = Field(ge=0, description="minutes in neither numerator nor "
                                      "denominator (unknown, before the first event …)")
    rate_percent: float | None = Field(ge=0, le=100)


class SuccessCount(_Out):
    attempts: int = Field(ge=0)
    successful: int = Field(ge=0)
    rate_percent: float | None = Field(ge=0, le=100)


class Closure(_Out):
    """The ticket funnel and closure figures (问题闭环); times in hours."""

    opened: int = Field(ge=0)
    acknowledged: int = Field(ge=0)
    resolved: int = Field(ge=0)
    closed: int = Field(ge=0)
    verified: int = Field(ge=0, description="closed, and no fault on the port within the "
                          "verification window after closing")
    within_sla: int = Field(ge=0)
    reopened: int = Field(ge=0)
    remote: int = Field(ge=0)
    first_time_fix: int = Field(ge=0)
    closure_rate_percent: float | None = Field(ge=0, le=100)
    within_sla_percent: float | None = Field(ge=0, le=100)
    first_time_fix_percent: float | None = Field(ge=0, le=100)
    remote_resolution_percent: float | None = Field(ge=0, le=100)
    reopen_percent: float | None = Field(ge=0, le=100)
    time_to_acknowledge_h: dict[str, float] = Field(
        default_factory=dict, description="percentiles by name: {'p50': …, 'p90': …}")
    time_to_repair_h: dict[str, float] = Field(default_factory=dict)
    covered_outages: int = Field(ge=0, description="outages longer than the coverage "
                                 "threshold that have a ticket")
    coverable_outages: int = Field(ge=0)
    fault_coverage_percent: float | None = Field(ge=0, le=100)


class Figures(_Out):
    """The figures shared by a port, a station and the network."""

    ports: int = Field(ge=0)
    port_days: float = Field(ge=0, description="ports × days of the period")
    available_minutes: float = Field(ge=0, description="under the first rule set given")
    unavailable_minutes: float = Field(ge=0)
    excluded_minutes: float = Field(ge=0)
    unknown_minutes: float = Field(ge=0)
    service_availability_percent: float | None = Field(ge=0, le=100)
    minutes_by_state: dict[str, float] = Field(
        default_factory=dict, description="minutes in each canonical state, and 'unknown' "
        "for before a port's first event")
    availability: dict[str, Availability] = Field(
        default_factory=dict, description="by rule set id")
    sessions: int = Field(ge=0)
    energy_kwh: float = Field(ge=0)
    session_success: dict[str, SuccessCount] = Field(
        default_factory=dict, description="by rule set id: that rule set's success rule")
    charge_start_success: SuccessCount | None = None
    charge_end_success: SuccessCount | None = None
    charge_start_time_s: dict[str, float] = Field(
        default_factory=dict, description="ChargeX percentiles: {'p10': …, 'p25': …}")
    outage_episodes: int = Field(ge=0, description="outages, merged when closer than the "
                                 "merging gap")
    fault_episodes: int = Field(ge=0)
    outage_minutes: float = Field(ge=0)
    mtbf_h: float | None = Field(ge=0, description="available hours / outage episodes")
    faults_per_1000_sessions: float | None = Field(ge=0)
    reboots: dict[str, int] = Field(default_factory=dict, description="by boot reason")
    reboots_per_port_day: float | None = Field(ge=0)
    connection_drops: int = Field(ge=0)
    status_flaps: int = Field(ge=0)
    status_flaps_per_port_day: float | None = Field(ge=0)
    closure: Closure | None = None
    first_attempt_visit_success: SuccessCount | None = Field(
        default=None, description="visits (a token's attempts at one station within the "
        "visit gap) whose first attempt succeeded; attempts = visits")
    utilisation_percent: float | None = Field(
        default=None, ge=0, le=100, description="minutes occupied / minutes in service")
    false_free_minutes: float | None = Field(
        default=None, ge=0, description="minutes announced free while a session ran, on the "
        "ports with both statuses and sessions")
    false_free_percent: float | None = Field(
        default=None, ge=0, le=100, description="false-free minutes / session minutes")
    false_occupied_minutes: float | None = Field(
        default=None, ge=0, description="minutes announced occupied while no session ran, on "
        "the ports with both statuses and sessions")
    false_occupied_percent: float | None = Field(
        default=None, ge=0, le=100,
        description="false-occupied minutes / minutes announced occupied")


class Outage(_Out):
    """One outage episode of a port (merged across the merging gap)."""

    start: datetime
    end: datetime
    minutes: float = Field(ge=0)
    state: str = Field(description="the canonical state that made it an outage (the longest "
                       "one when merged)")
    cause: str | None = Field(description="the cause of the ticket that covers it")
    ticket_id: str | None
    excluded: bool = Field(description="given back as up (an excluded cause, or outside "
                           "opening hours)")


class Day(_Out):
    """One UTC day of the network (the report's trends)."""

    date: date_
    service_availability_percent: float | None = Field(ge=0, le=100)
    sessions: int = Field(ge=0)
    successful_sessions: int = Field(ge=0, description="under the first rule set given "
                                     "that defines session success")


class PortFigures(Figures):
    port_id: str
    station_id: str
    power_kw: float | None
    outages: list[Outage] = Field(default_factory=list)
    daily_availability_percent: dict[date_, float | None] = Field(
        default_factory=dict, description="service availability of each UTC day of the "
        "period (the report's port × day heatmap)")


class StationFigures(Figures):
    station_id: str
    operator: str | None = Field(description="from the inventory, when it names one")


class OperatorFigures(Figures):
    operator: str
    stations: int = Field(ge=0)


class StartMode(_Out):
    """ChargeX's figures for the attempts of one start mode; the network's own figures are
    the weighted whole (Σ over the modes)."""

    sessions: int = Field(ge=0)
    session_success: dict[str, SuccessCount] = Field(
        default_factory=dict, description="by rule set id")
    charge_start_success: SuccessCount | None = None
    charge_end_success: SuccessCount | None = None
    charge_start_time_s: dict[str, float] = Field(default_factory=dict)


class NetworkFigures(Figures):
    stations: int = Field(ge=0)
    daily: list[Day] = Field(default_factory=list)
    by_start_mode: dict[str, StartMode] = Field(
        default_factory=dict, description="ChargeX per start mode (plug_in_first, "
        "authorize_first, remote, local), when a rule set defines charge start success")


class ChargingFinding(Finding):
    """A breach of a rule set's threshold (or a data-quality rule), on one port, station or
    the network."""

    metric: str | None
    scope: Literal["port", "station", "network", "input"]
    subject: str = Field(description="the port, station or input file; 'network' for the "
                         "network")
    value: float | None
    target: float | None


class ChargingMetrics(_Out):
    """The service quality of a charging network over a period, under one or more rule sets."""

    schema_version: int = SCHEMA_VERSION
    period: Period
    rulesets: list[RulesetRef]
    inputs: list[InputFile]
    network: NetworkFigures
    operators: list[OperatorFigures] = Field(
        default_factory=list, description="when the inventory names operators")
    stations: list[StationFigures]
    ports: list[PortFigures]
    findings: list[ChargingFinding]
