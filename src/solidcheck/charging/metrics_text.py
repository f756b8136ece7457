"""The short text summary of ``charging metrics``: the period, the network's availability
under each rule set, stability, the worst stations (or ports, or operators) and the findings —
every line a catalogue message, in the language asked for."""

from __future__ import annotations

from typing import Literal

from ..errors import UnknownRulesetError
from ..i18n import Display, message
from .findings import metric_name
from .results import ChargingMetrics, Figures
from .rules import charging_ruleset_by_id

__all__ = ["metrics_text"]

#: how many of the worst subjects the summary lists
_WORST = 10


def _name(ruleset_id: str, lang: Display) -> str:
    """The name of the rule set's availability metric ('' for an operator's own file)."""
    try:
        ruleset = charging_ruleset_by_id(ruleset_id)
    except UnknownRulesetError:
        return ""
    metrics = ruleset.defined_metrics()
    metric = next((m for m in ("service_availability", "uptime", "reliability")
                   if m in metrics), None)
    return metric_name(ruleset, metric, lang) if metric is not None else ""


def _more_lines(net: Figures, lang: Display) -> list[str]:
    """Visits, utilisation, statuses against sessions: a line each where measured."""
    visit = net.first_attempt_visit_success
    found: list[tuple[str, float | None, dict[str, float | int]]] = [
        ("visits", visit.rate_percent if visit else None,
         {"successful": visit.successful, "visits": visit.attempts} if visit else {}),
        ("utilisation", net.utilisation_percent, {}),
        ("false_free", net.false_free_percent,
         {"minutes": round(net.false_free_minutes or 0.0, 1)}),
        ("false_occupied", net.false_occupied_percent,
         {"minutes": round(net.false_occupied_minutes or 0.0, 1)})]
    return [message(f"charging.metrics.{key}", {"rate": round(rate, 2), **params}, lang)
            for key, rate, params in found if rate is not None]


def metrics_text(result: ChargingMetrics, lang: Display, *,
                 by: Literal["port", "station", "operator"] = "station") -> list[str]:
    """The summary's lines."""
    net = result.network
    lines = [message("charging.metrics.period", {
        "start": result.period.from_.isoformat(), "end": result.period.to.isoformat(),
        "ports": net.ports, "stations": net.stations}, lang),
        message("charging.metrics.availability_heading", {}, lang)]
    for ref in result.rulesets:
        found = net.availability.get(ref.id)
        if found is None:
            continue
        name = _name(ref.id, lang)
        if found.rate_percent is None:
            lines.append(message("charging.metrics.network_rate_none",
                                 {"ruleset": ref.id, "name": name}, lang))
            continue
        lines.append(message("charging.metrics.network_rate", {
            "ruleset": ref.id, "name": name, "rate": round(found.rate_percent, 2),
            "available": round(found.available_minutes, 1),
            "unavailable": round(found.unavailable_minutes, 1),
            "excluded": round(found.excluded_minutes, 1),
            "ineligible": round(found.ineligible_minutes, 1)}, lang))
    lines.append(message("charging.metrics.stability", {
        "outages": net.outage_episodes, "faults": net.fault_episodes,
        "minutes": round(net.outage_minutes, 1), "drops": net.connection_drops,
        "reboots": sum(net.reboots.values()), "flaps": net.status_flaps}, lang))
    lines.append(message("charging.metrics.sessions", {
        "sessions": net.sessions, "energy": round(net.energy_kwh, 3)}, lang))
    lines += [message("charging.metrics.success_row", {
        "ruleset": rid, "rate": round(count.rate_percent, 2), "successful": count.successful,
        "attempts": count.attempts}, lang)
        for rid, count in net.session_success.items() if count.rate_percent is not None]
    lines += _more_lines(net, lang)
    subjects: list[tuple[str, Figures]] = (
        [(p.port_id, p) for p in result.ports] if by == "port"
        else [(o.operator, o) for o in result.operators] if by == "operator"
        else [(s.station_id, s) for s in result.stations])
    rated = sorted(((rate, key, f) for key, f in subjects
                    if (rate := f.service_availability_percent) is not None))
    if rated:
        lines.append(message(f"charging.metrics.worst_{by}", {}, lang))
        lines += [message("charging.metrics.worst_row", {
            "subject": key, "rate": round(rate, 2), "ports": f.ports,
            "outages": f.outage_episodes}, lang) for rate, key, f in rated[:_WORST]]
    lines.append(message("charging.metrics.findings_heading",
                         {"count": len(result.findings)}, lang))
    lines += [message("charging.metrics.finding_row", {
        "severity": f.severity, "ruleset": f.ruleset, "text": f.message}, lang)
        for f in result.findings]
    return lines
