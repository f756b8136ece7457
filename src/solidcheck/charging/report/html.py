"""The open report as one self-contained HTML page (inline CSS and SVG, no script, no
external URL): a pure function of a :class:`~solidcheck.charging.results.ChargingMetrics`
and the rule sets it was computed under. It draws the figures; it computes none (an
import-linter contract keeps the metric engines out of this package)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..._version import __version__
from ...i18n import Display, load_catalogue, message, traditional
from ...localise import rule_reference
from ...plotting import accessible_svg
from ..results import ChargingFinding, ChargingMetrics, PortFigures
from ..risk.listing import RiskList
from ..rules import ChargingRuleset
from .drawing import heatmap_svg, trend_svg
from .scorecard import ScoreRow, scorecard
from .words import Words, html_lang

__all__ = ["HEATMAP_PORTS", "WORST_PORTS", "render_charging_html"]

#: how many of the least available ports the report details with their outages
WORST_PORTS = 5
#: the most ports the heatmap draws (a row each): beyond, the least available, and it says so
HEATMAP_PORTS = 40
_FUNNEL = ("opened", "acknowledged", "resolved", "closed", "verified")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("solidcheck", "charging/report/templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)


def _score_view(row: ScoreRow, words: Words) -> dict[str, Any]:
    metric = row.metric
    target = row.target
    against = target.target_percent if target is not None else None
    if row.percentiles:
        value = ", ".join(f"{name} {words.quantity(v, metric.unit)}"
                          for name, v in row.percentiles.items())
    else:
        value = words.quantity(row.value, metric.unit, against=against)
    target_text = "—"
    if target is not None:
        symbol = ">" if target.comparison == "above" else "≥"
        target_text = f"{symbol} {words.percent(target.target_percent)}"
    ports = None
    if row.ports_missing is not None:
        ports = words("ports_missing", missing=row.ports_missing, measured=row.ports_measured)
    return {"row": row, "name": words.pair(metric.name, metric.name_zh), "value": value,
            "target": target_text, "status": words("status." + row.status),
            "certainty": words("certainty." + metric.certainty), "ports": ports,
            "target_certainty": (words("certainty." + target.certainty)
                                 if target is not None else None)}


def _worst(ports: Sequence[PortFigures]) -> list[PortFigures]:
    """The least available ports, worst first; a port that lost no minute is not among
    them, however few the others."""
    lost = [p for p in ports if p.service_availability_percent is not None
            and (p.outages or p.service_availability_percent < 100)]
    return sorted(lost, key=lambda p: (p.service_availability_percent, p.port_id)
                  )[:WORST_PORTS]


def _message(finding: ChargingFinding, ruleset: ChargingRuleset | None, lang: Display
             ) -> str:
    """The finding's message in ``lang``. Its ``metric`` and ``subject`` parameters are text
    written in the language the result was computed in; the metric's name and the word for
    the network are put back in ``lang`` from the rule set and the catalogue."""
    params = dict(finding.params)
    if "metric" in params and ruleset is not None and finding.metric in (
            ruleset.defined_metrics()):
        metric = ruleset.metric(finding.metric)
        params["metric"] = metric.name if lang == "en" else (
            traditional(metric.name_zh) if lang == "zh-Hant" else metric.name_zh)
    if "subject" in params and finding.scope == "network":
        params["subject"] = message("charging.report.scope.network", {}, lang)
    assert finding.message_id is not None
    return message(finding.message_id, params, lang)


def _finding_view(finding: ChargingFinding, words: Words,
                  rulesets: dict[str, ChargingRuleset]) -> dict[str, Any]:
    ruleset = rulesets.get(finding.ruleset)
    localised = finding.message_id in load_catalogue().ids()
    text = (words.rendered(lambda lang: _message(finding, ruleset, lang)) if localised
            else escape(finding.message) if words.lang == "en"
            else words.english(finding.message))
    clause: Markup = escape("—")
    rule = None
    if ruleset is not None and finding.rule in ruleset.defined_rules():
        rule = ruleset.rule(finding.rule)
    elif ruleset is not None and finding.rule in ruleset.defined_metrics():
        rule = ruleset.metric(finding.rule)
    if rule is not None:
        cited = rule
        clause = words.rendered(lambda lang: rule_reference(cited, lang))
    elif finding.clause:
        clause = words.english(finding.clause)
    unit = (ruleset.metric(finding.metric).unit if ruleset is not None and finding.metric
            in ruleset.defined_metrics() else None)

    def shown(value: float | None, against: float | None = None) -> str:
        if unit is None:
            return words.number(value, against=against)
        return words.quantity(value, unit, against=against)

    return {"finding": finding, "text": text, "clause": clause,
            "value": shown(finding.value, finding.target), "target": shown(finding.target),
            "severity": words("severity." + finding.severity),
            "scope": words("scope." + finding.scope)}


def _least_available(ports: Sequence[PortFigures], count: int) -> list[PortFigures]:
    """The ``count`` ports of least service availability (unmeasured last), in id order."""
    def key(port: PortFigures) -> tuple[bool, float, str]:
        value = port.service_availability_percent
        return (value is None, 0.0 if value is None else value, port.port_id)

    return sorted(sorted(ports, key=key)[:count], key=lambda p: p.port_id)


def _heatmap(metrics: ChargingMetrics, words: Words) -> tuple[Markup, Markup] | None:
    """The heatmap and its caption."""
    dated = [p for p in metrics.ports if p.daily_availability_percent]
    if not dated:
        return None
    ports = _least_available(dated, HEATMAP_PORTS)
    caption = words("heatmap_caption")
    if len(ports) < len(dated):
        caption += Markup(" ") + words("heatmap_some", shown=len(ports), ports=len(dated))
    cells = [(p.port_id, day, v) for p in ports
             for day, v in p.daily_availability_percent.items() if v is not None]
    lowest = min(cells, key=lambda c: (c[2], c[0], c[1])) if cells else None
    days = len({d for p in ports for d in p.daily_availability_percent})
    alt = words.plain("heatmap_alt", ports=len(ports), days=days)
    if lowest is not None:
        alt += " " + words.plain("heatmap_lowest", port=lowest[0], day=lowest[1].isoformat(),
                                 value=words.percent(lowest[2]))
    return accessible_svg(heatmap_svg(ports), "heatmap", alt), caption


def _trend(metrics: ChargingMetrics, words: Words) -> Markup | None:
    daily = metrics.network.daily
    if not daily:
        return None
    availability = [d.service_availability_percent for d in daily
                    if d.service_availability_percent is not None]
    rates = [100 * d.successful_sessions / d.sessions for d in daily if d.sessions]
    alt = words.plain(
        "trend_alt", days=len(daily), first=daily[0].date.isoformat(),
        last=daily[-1].date.isoformat(),
        availability=(f"{words.percent(min(availability))}–"
                      f"{words.percent(max(availability))}" if availability else "—"),
        success=(f"{words.percent(min(rates))}–{words.percent(max(rates))}"
                 if rates else "—"))
    return accessible_svg(trend_svg(daily), "trend", alt)


def render_charging_html(metrics: ChargingMetrics, rulesets: Sequence[ChargingRuleset], *,
                         lang: Display = "en", risk: RiskList | None = None) -> str:
    """The open report: scorecard per rule set, stations, the port × day heatmap, the worst
    ports with their outages, the daily trend, the ticket funnel, inputs and findings; with
    ``risk`` (a risk list file), the ports at risk."""
    from .risk import risk_view

    words = Words(lang)
    by_id = {r.id: r for r in rulesets}
    missing = [ref.id for ref in metrics.rulesets if ref.id not in by_id]
    if missing:
        raise ValueError(f"the rule sets {', '.join(missing)} of the result were not given")
    ordered = [by_id[ref.id] for ref in metrics.rulesets]
    score_rows = scorecard(metrics, ordered)
    closure = metrics.network.closure
    template = _environment().get_template("charging.html.j2")
    return template.render(
        t=words, m=metrics, lang=lang, html_lang=html_lang(lang), version=__version__,
        title=words.plain("title"),
        rulesets=[(r, words.pair(r.ruleset.title, r.ruleset.title_zh),
                   [_score_view(row, words) for row in score_rows if row.ruleset_id == r.id])
                  for r in ordered],
        stations=metrics.stations, operators=metrics.operators, worst=_worst(metrics.ports),
        heatmap=_heatmap(metrics, words), trend=_trend(metrics, words),
        funnel=[(step, getattr(closure, step)) for step in _FUNNEL] if closure else [],
        closure=closure,
        findings=[_finding_view(f, words, by_id) for f in metrics.findings],
        availability_ids=[r.id for r in ordered if r.id in metrics.network.availability],
        success_ids=[r.id for r in ordered if r.id in metrics.network.session_success],
        risk=risk_view(risk, words) if risk is not None else None,
    )
