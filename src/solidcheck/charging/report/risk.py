"""The open report's "Ports at risk" section: a risk list file (``charging risk score
--format json``, read by :func:`~solidcheck.charging.risk.listing.read_risk_json`) as rows in
the page's language. It draws the file; it scores nothing.

A probability is written as a percentage; an anomaly percentile as a percentile, never as a
probability (the section says which).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ...i18n import Display, load_catalogue, message
from ..risk.listing import RiskList, RiskPort
from ..risk.rules import horizon_hours
from .words import Words

__all__ = ["EVALUATE", "feature_words", "risk_view"]

#: the command that measures how well the ranking finds failures
EVALUATE = "solidcheck charging risk evaluate"


def feature_words(feature: str, lang: Display) -> str | None:
    """A feature's description from the catalogue (``charging.risk.feature.<name>``), or
    None for a feature it does not describe."""
    key = f"charging.risk.feature.{feature}"
    return message(key, {}, lang) if key in load_catalogue().ids() else None


def _driver(words: Words, feature: str) -> Markup:
    if feature_words(feature, "en") is None:
        return Markup("<code>{}</code>").format(feature)
    return words.rendered(lambda lang: feature_words(feature, lang) or feature)


def _horizon(words: Words, horizon: str) -> Markup:
    hours = horizon_hours(horizon)
    if hours % 24 == 0:
        return words("risk_days", n=hours // 24)
    return words("risk_hours", n=hours)


def _score(words: Words, port: RiskPort) -> dict[str, Any]:
    if port.score_kind == "probability":
        return {"value": words.percent(100 * port.score), "kind": words("risk_probability")}
    return {"value": words("risk_percentile", value=f"{100 * port.score:.0f}"),
            "kind": words("risk_anomaly")}


def risk_view(risk: RiskList, words: Words) -> dict[str, Any]:
    """What the template draws: the intro, the notes that apply, one row per port."""
    rows = [{"rank": rank, "port": port, **_score(words, port),
             "drivers": [_driver(words, d.feature) for d in port.drivers]}
            for rank, port in enumerate(risk.ports, start=1)]
    notes = [words("risk_meaning", command="{command}").replace(
        "{command}", Markup("<code>{}</code>").format(EVALUATE))]
    if "probability" in risk.score_kinds:
        notes.append(words("risk_probability_note"))
    if "anomaly_percentile" in risk.score_kinds:
        notes.append(words("risk_anomaly_note"))
    return {"intro": words("risk_intro", day=risk.day.isoformat(),
                           start=risk.training_window.from_.isoformat(),
                           end=risk.training_window.to.isoformat(), ruleset=risk.ruleset),
            "horizon": _horizon(words, risk.horizon), "notes": notes, "rows": rows,
            "method": words.rendered(lambda lang: message("charging.risk.method", {}, lang)),
            "sha256": risk.model_sha256}
