"""Findings: every breach of a rule set's target, at the target's scope, and the data-quality
rules the data let us check (QualiCharge's status rate, overlapping sessions, energy above
what the port's power allows, points both out of service and occupied, and statuses logged
later than the freshness limit after the change they report).

A metric with no denominator is not a breach: it is one ``info`` finding saying how many
subjects could not be measured. A target that ``applies_from`` a date judges only the ports
and stations installed from then (a station: its earliest port, by the inventory's
commissioning date); those with no date are not judged and are counted in one ``info``
finding. Every finding cites its rule and clause; its text is a
catalogue message (i18n/charging.toml) rendered in the language asked for, the metric named
by its rule set (``name`` / ``name_zh``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
import pyarrow as pa

from ..i18n import Display, message, traditional
from ..localise import rule_reference
from ..model import Severity
from .intervals import Period, to_polars
from .results import ChargingFinding, Figures, NetworkFigures, PortFigures, StationFigures
from .rules import ChargingRule, ChargingRuleset, TargetRule

__all__ = ["charging_findings", "metric_name", "metric_value"]

_PERIOD_MINUTES = {"trailing_12_months": 525_600, "calendar_year": 525_600}
_TS = pl.Datetime("ms", "UTC")


def metric_value(figures: Figures, ruleset: ChargingRuleset, metric: str) -> float | None:
    """The value of a target's metric in ``figures`` under ``ruleset`` (None: unmeasurable
    or not computed)."""
    if metric in ("service_availability", "uptime", "reliability"):
        found = figures.availability.get(ruleset.id)
        return found.rate_percent if found else None
    if metric in ("session_success", "attempt_success"):
        success = figures.session_success.get(ruleset.id)
        return success.rate_percent if success else None
    if metric == "closure_rate":
        return figures.closure.closure_rate_percent if figures.closure else None
    return _more_value(figures, metric)


def _more_value(figures: Figures, metric: str) -> float | None:
    """Visits, utilisation and statuses against sessions (more_sums.py)."""
    visit = figures.first_attempt_visit_success
    return {"first_attempt_visit_success": visit.rate_percent if visit else None,
            "utilisation": figures.utilisation_percent,
            "false_free_rate": figures.false_free_percent,
            "false_occupied_rate": figures.false_occupied_percent}.get(metric)


def metric_name(ruleset: ChargingRuleset, metric: str, lang: Display) -> str:
    """The rule set's name of one of its metrics, in ``lang``."""
    found = ruleset.metric(metric)
    if lang == "zh-Hant":
        return traditional(found.name_zh)
    return {"en": found.name, "both": f"{found.name} / {found.name_zh}"}.get(lang, found.name_zh)


def _finding(ruleset: ChargingRuleset, rule_id: str, rule: ChargingRule, lang: Display, *,
             severity: Severity, message_id: str, params: dict[str, Any],
             metric: str | None, scope: str, subject: str, value: float | None = None,
             target: float | None = None) -> ChargingFinding:
    return ChargingFinding(
        severity=severity, rule=rule_id, message=message(message_id, params, lang),
        message_id=message_id, params=params, source=rule.provenance,
        clause=rule_reference(rule, lang), ruleset=ruleset.id, metric=metric,
        scope=scope,
        subject=subject, value=value, target=target)


def _subjects(rule: TargetRule, network: NetworkFigures, stations: Sequence[StationFigures],
              ports: Sequence[PortFigures]) -> list[tuple[str, str, Figures]]:
    if rule.scope == "port":
        return [("port", p.port_id, p) for p in ports]
    if rule.scope in ("station", "charger"):
        return [("station", s.station_id, s) for s in stations]
    return [("network", "network", network)]


def _installed(port_table: pl.DataFrame) -> dict[str, date | None]:
    """Port and station ids → when installed (a station: its earliest port; None: unknown)."""
    out: dict[str, date | None] = dict(port_table.select("port_id", "commissioned").iter_rows())
    stations = port_table.group_by("station_id").agg(pl.col("commissioned").min())
    out.update(dict(stations.iter_rows()))
    return out


def _from(applies_from: str) -> date:
    """``2026``, ``2026-07`` or ``2026-07-01`` as the first day it names."""
    parts = [*applies_from.split("-"), "01", "01"][:3]
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def _target_findings(ruleset: ChargingRuleset, period: Period, network: NetworkFigures,
                     stations: Sequence[StationFigures], ports: Sequence[PortFigures],
                     installed: Mapping[str, date | None], lang: Display
                     ) -> list[ChargingFinding]:
    out: list[ChargingFinding] = []
    for rule_id, rule in ruleset.defined_rules().items():
        if not isinstance(rule, TargetRule):
            continue
        metric = metric_name(ruleset, rule.metric, lang)
        needed = rule.period_minutes or _PERIOD_MINUTES.get(rule.period)
        short = needed is not None and period.minutes < needed
        unmeasured = undated = 0
        for scope, subject, figures in _subjects(rule, network, stations, ports):
            if rule.applies_from is not None and scope != "network":
                when = installed.get(subject)
                if when is None:
                    undated += 1
                    continue
                if when < _from(rule.applies_from):
                    continue
            value = metric_value(figures, ruleset, rule.metric)
            if value is None:
                unmeasured += 1
                continue
            met = value > rule.target_percent if rule.comparison == "above" \
                else value >= rule.target_percent
            if met:
                continue
            params: dict[str, Any] = {"metric": metric, "value": round(value, 4),
                                      "target": rule.target_percent}
            if scope != "network":
                params["subject"] = subject
            whose = "network_" if scope == "network" else ""
            out.append(_finding(ruleset, rule_id, rule, lang, severity="error",
                                message_id=f"charging.finding.{whose}target_{rule.comparison}",
                                params=params, metric=rule.metric, scope=scope,
                                subject=subject, value=value, target=rule.target_percent))
        if unmeasured:
            out.append(_finding(ruleset, rule_id, rule, lang, severity="info",
                                message_id="charging.finding.not_measurable",
                                params={"metric": metric, "count": unmeasured},
                                metric=rule.metric, scope="network", subject="network",
                                target=rule.target_percent))
        if undated:
            out.append(_finding(ruleset, rule_id, rule, lang, severity="info",
                                message_id="charging.finding.not_dated",
                                params={"metric": metric, "count": undated,
                                        "applies_from": rule.applies_from or ""},
                                metric=rule.metric, scope="network", subject="network"))
        if short:
            out.append(_finding(ruleset, rule_id, rule, lang, severity="info",
                                message_id="charging.finding.period_short",
                                params={"metric": metric,
                                        "days": round(period.minutes / 1440, 4),
                                        "needed_days": round(needed / 1440) if needed else 0},
                                metric=rule.metric, scope="network", subject="network"))
    return out


def _status_rate(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset, period: Period,
                 lang: Display) -> list[ChargingFinding]:
    rule = ruleset.rules.status_rate
    if rule is None:
        return []
    events = to_polars(tables, "port_events").filter(
        (pl.col("ts") >= pl.lit(period.start).cast(_TS)) & (pl.col("ts") < pl.lit(period.end)
                                                             .cast(_TS)))
    counts = events.group_by("port_id", pl.col("ts").dt.date().alias("day")).agg(
        pl.len().alias("count")).filter(pl.col("count") > rule.limit).sort("port_id", "day")
    return [_finding(ruleset, "status_rate", rule, lang, severity="warning",
                     message_id="charging.finding.status_rate",
                     params={"subject": row["port_id"], "day": row["day"].isoformat(),
                             "count": row["count"], "limit": rule.limit},
                     metric=None, scope="port", subject=row["port_id"], value=row["count"],
                     target=rule.limit) for row in counts.iter_rows(named=True)]


def _per_port(ruleset: ChargingRuleset, rule_id: str, rule: ChargingRule, lang: Display,
              offending: pl.DataFrame, *, limit: float | None = None
              ) -> list[ChargingFinding]:
    """One warning per port with offending rows (``charging.finding.{rule_id}``): how many,
    and where the first one is (its file and line)."""
    found = offending.sort("port_id", "source", "line").group_by(
        "port_id", maintain_order=True).agg(pl.len().alias("count"), pl.col("source").first(),
                                            pl.col("line").first())
    out = []
    for row in found.iter_rows(named=True):
        params = {"subject": row["port_id"], "count": row["count"], "source": row["source"],
                  "line": row["line"], **({"limit": limit} if limit is not None else {})}
        out.append(_finding(ruleset, rule_id, rule, lang, severity="warning",
                            message_id=f"charging.finding.{rule_id}", params=params,
                            metric=None, scope="port", subject=row["port_id"],
                            value=row["count"], target=limit))
    return out


def _session_overlap(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset,
                     lang: Display) -> list[ChargingFinding]:
    rule = ruleset.rules.session_overlap
    if rule is None or not rule.enforced:
        return []
    sessions = to_polars(tables, "sessions").sort("port_id", "start")
    reach = pl.col("end").cum_max().shift(1).over("port_id")
    return _per_port(ruleset, "session_overlap", rule, lang,
                     sessions.filter(pl.col("start") < reach))


def _energy(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset, ports: pl.DataFrame,
            lang: Display) -> list[ChargingFinding]:
    """Sessions delivering more than ``limit`` × the port's nominal power × their duration
    (ports of unknown power are not checked)."""
    rule = ruleset.rules.energy_plausibility
    if rule is None:
        return []
    sessions = to_polars(tables, "sessions").join(ports.select("port_id", "power_kw"),
                                                  on="port_id")
    ceiling = rule.limit * pl.col("power_kw") * pl.col("duration_s") / 3.6  # Wh
    return _per_port(ruleset, "energy_plausibility", rule, lang,
                     sessions.filter(pl.col("energy_wh") > ceiling), limit=rule.limit)


def _out_of_service_occupied(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset,
                             lang: Display) -> list[ChargingFinding]:
    """IRVE status rows both out of service and occupied (``hors_service/occupe``)."""
    rule = ruleset.rules.out_of_service_occupied
    if rule is None or not rule.enforced:
        return []
    return _per_port(ruleset, "out_of_service_occupied", rule, lang,
                     to_polars(tables, "port_events").filter(
                         pl.col("raw_status") == "hors_service/occupe"))


def _freshness(tables: Mapping[str, pa.Table], ruleset: ChargingRuleset, lang: Display
               ) -> list[ChargingFinding]:
    """Statuses logged more than ``limit`` seconds after the time they carry."""
    rule = ruleset.rules.status_freshness
    if rule is None:
        return []
    late_s = (pl.col("logged_ts") - pl.col("ts")).dt.total_milliseconds() / 1000
    rows = to_polars(tables, "port_events").filter(late_s > rule.limit).sort(
        "port_id", "source", "line")
    found = rows.group_by("port_id", maintain_order=True).agg(
        pl.len().alias("count"), pl.col("source").first(), pl.col("line").first())
    return [_finding(ruleset, "status_freshness", rule, lang, severity="warning",
                     message_id="charging.finding.status_freshness",
                     params={"subject": row["port_id"], "count": row["count"],
                             "limit": rule.limit, "source": row["source"],
                             "line": row["line"]},
                     metric=None, scope="port", subject=row["port_id"], value=row["count"],
                     target=rule.limit) for row in found.iter_rows(named=True)]


def _unread_hours(rulesets: Sequence[ChargingRuleset], forms: Sequence[str],
                  lang: Display) -> list[ChargingFinding]:
    ruleset = next((r for r in rulesets if r.rules.excluded_causes is not None
                    and r.rules.excluded_causes.outside_opening_hours), None)
    if not forms or ruleset is None or ruleset.rules.excluded_causes is None:
        return []
    return [_finding(ruleset, "excluded_causes", ruleset.rules.excluded_causes, lang,
                     severity="info", message_id="charging.finding.opening_hours_unread",
                     params={"count": len(forms), "forms": list(forms)}, metric=None,
                     scope="input", subject="inventory")]


def charging_findings(tables: Mapping[str, pa.Table], rulesets: Sequence[ChargingRuleset], *,
                      period: Period, network: NetworkFigures,
                      stations: Sequence[StationFigures], ports: Sequence[PortFigures],
                      port_table: pl.DataFrame, unparsed_hours: Sequence[str] = (),
                      lang: Display = "en") -> list[ChargingFinding]:
    """Every finding of every rule set, in rule-set order; ``port_table`` is
    intervals.port_table's (the ports' power)."""
    out: list[ChargingFinding] = []
    installed = _installed(port_table)
    for ruleset in rulesets:
        out += _target_findings(ruleset, period, network, stations, ports, installed, lang)
        out += _status_rate(tables, ruleset, period, lang)
        out += _session_overlap(tables, ruleset, lang)
        out += _energy(tables, ruleset, port_table, lang)
        out += _out_of_service_occupied(tables, ruleset, lang)
        out += _freshness(tables, ruleset, lang)
    return out + _unread_hours(rulesets, unparsed_hours, lang)
