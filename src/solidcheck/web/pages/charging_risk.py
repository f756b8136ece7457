"""The monitoring pages' "Ports at risk" (issue 18): the cached scoring of web/live/risk.py as
rows in the page's language. Drawn from the list; nothing is scored here.

A probability is shown as a percentage, an anomaly percentile as a percentile (the notes say
which is which); each driver by its catalogue description (``charging.risk.feature.*``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from ...charging.report.risk import EVALUATE, feature_words
from ...charging.risk.rules import horizon_hours
from ...errors import Problem
from ...i18n import load_catalogue, message
from ..live.risk import RiskState
from .frame import Lang

__all__ = ["risk_section"]


def _report(key: str, lang: Lang, **params: Any) -> str:
    """The open report's words for the same list (one wording on both surfaces)."""
    return message(f"charging.report.{key}", params, lang)


def _page(key: str, lang: Lang, **params: Any) -> str:
    return message(f"charging.page.{key}", params, lang)


#: the words set in code: commands, variables, what to install
_CODES = {"command": "solidcheck charging risk train", "setting": "SOLIDCHECK_RISK_MODEL",
          "install": "pip install 'solidcheck[risk]'"}


def _coded(text: str) -> Markup:
    """``text`` (made with each code's own ``{name}`` left in) with the codes in <code>."""
    out = escape(text)
    for name, code in {**_CODES, "evaluate": EVALUATE}.items():
        out = out.replace("{" + name + "}", Markup("<code>{}</code>").format(code))
    return out


#: the parameters of a risk problem that are set in code (a command, a setting, a file)
_CODE_PARAMS = frozenset({"path", "command", "setting", "ingest", "score", "detail"})


def _problem(problem: Problem, lang: Lang) -> dict[str, Any]:
    """A problem of the model in the page's language when the catalogue has its words
    (``charging.risk.problem.*``), its commands and settings in code; else its English,
    which the template marks as English."""
    messages = load_catalogue().messages
    fix_id = f"{problem.message_id}.fix"
    if problem.message_id not in messages or fix_id not in messages:
        return {"path": problem.path, "english": True, "text": problem.message,
                "fix": problem.fix}
    coded = {name: value for name, value in problem.params.items() if name in _CODE_PARAMS}
    params = {**problem.params, **{name: "{" + name + "}" for name in coded}}

    def said(message_id: str) -> Markup:
        out = escape(message(message_id, params, lang))
        for name, code in coded.items():
            out = out.replace("{" + name + "}", Markup("<code>{}</code>").format(code))
        return out

    return {"path": problem.path, "english": False, "text": said(problem.message_id),
            "fix": said(fix_id)}


def _row(port: dict[str, Any], rank: int, lang: Lang,
         station_href: Callable[[str], str]) -> dict[str, Any]:
    anomaly = port["score_kind"] == "anomaly_percentile"
    value = (_report("risk_percentile", lang, value=f"{100 * port['score']:.0f}") if anomaly
             else f"{100 * port['score']:.1f} %")
    return {"rank": rank, "port": port["port_id"], "station": port["station_id"],
            "href": station_href(port["station_id"]), "value": value,
            "kind": _report("risk_anomaly" if anomaly else "risk_probability", lang),
            "drivers": [{"text": feature_words(d["feature"], lang), "code": d["feature"]}
                        for d in port["drivers"]]}


def risk_section(state: RiskState, lang: Lang, *, shown: int, when: Callable[[Any], str],
                 station_href: Callable[[str], str], station_id: str | None = None
                 ) -> dict[str, Any]:
    """What the template draws: one line for every state but "ready"; then the intro, the
    notes and the rows (the top ``shown``, or the station's own ports with their rank)."""
    if state.status != "ready" or state.listing is None:
        line = {"off": "risk_off", "pending": "risk_pending", "empty": "risk_empty",
                "error": "risk_no_sklearn" if state.missing else "risk_error",
                "ready": "risk_empty"}[state.status]
        return {"line": _coded(_page(line, lang, **{k: "{" + k + "}" for k in _CODES})),
                "problems": [_problem(p, lang) for p in state.problems], "rows": []}
    listing = state.listing
    ports = listing["ports"]
    ranked = list(enumerate(ports, start=1))
    chosen = ([(r, p) for r, p in ranked if p["station_id"] == station_id] if station_id
              else ranked[:shown])
    hours = horizon_hours(listing["horizon"])
    notes: list[str] = [_coded(_report("risk_meaning", lang, command="{evaluate}"))]
    if "probability" in listing["score_kinds"]:
        notes.append(_report("risk_probability_note", lang))
    if "anomaly_percentile" in listing["score_kinds"]:
        notes.append(_report("risk_anomaly_note", lang))
    window = listing["training_window"]
    return {
        "line": None, "problems": [],
        "intro": _report("risk_intro", lang, day=listing["day"], start=window["from"],
                         end=window["to"], ruleset=listing["ruleset"]),
        "horizon": (_report("risk_days", lang, n=hours // 24) if hours % 24 == 0
                    else _report("risk_hours", lang, n=hours)),
        "scored": _page("risk_scored", lang, at=when(state.scored_at), total=len(ports)),
        "notes": notes, "station": station_id,
        "rows": [{**_row(p, rank, lang, station_href),
                  "of": _page("risk_rank_of", lang, rank=rank, total=len(ports))}
                 for rank, p in chosen],
        "none": _page("risk_station_none" if station_id else "risk_empty", lang),
    }
