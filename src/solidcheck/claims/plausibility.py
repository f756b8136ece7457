"""Plausibility of figures in product text: claims beyond physics or the state of the art,
and combinations of figures that trade against each other.

The rules are data (``claims/plausibility.toml``): every threshold, the scope of "claimed
together", and each rule's provenance — all project assumptions, each with its physical basis
and the published state of the art it rests on. A finding is a prompt to ask for evidence,
never a verdict: its message says what would settle it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ..i18n import Param
from ..model import Severity
from .figures import Figure, find_figures, fold_for_matching
from .model import AuditFinding
from .plausibility_rules import (
    ChargeEnergyCyclesRule,
    HybridTemperatureRule,
    PlausibilityRule,
    PlausibilityRules,
    PolymerTemperatureRule,
    WideTemperatureRule,
    load_plausibility_rules,
    parse_plausibility_rules,
)
from .temperature import (
    Mention,
    cue_pattern,
    hybrid_mentions,
    operating,
    solid_polymer_mentions,
    wide_or_lossless,
)

__all__ = [
    "PlausibilityRule",
    "PlausibilityRules",
    "load_plausibility_rules",
    "parse_plausibility_rules",
    "plausibility_findings",
]

# --- claimed together ----------------------------------------------------------------------


class _Located(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def _together(groups: Sequence[Sequence[_Located]], max_span: int) -> list[tuple[int, ...]]:
    """Non-overlapping sets of one item from each group within ``max_span`` characters, as
    the index of the chosen item in each group.

    Left to right: at each item, the latest item of every group is the tightest set ending
    there; the first set that fits is taken and the scan restarts after it. Linear in the
    number of items (times the number of groups), after sorting.
    """
    tagged = sorted((item.start, item.end, k, n) for k, group in enumerate(groups)
                    for n, item in enumerate(group))
    latest: list[int | None] = [None] * len(groups)
    floor = 0
    found: list[tuple[int, ...]] = []
    for start, _end, k, n in tagged:
        if start < floor:
            continue
        latest[k] = n
        chosen = [m for m in latest if m is not None]
        if len(chosen) < len(groups):
            continue
        items = [group[n] for group, n in zip(groups, chosen, strict=True)]
        lo = min(item.start for item in items)
        hi = max(item.end for item in items)
        if hi - lo <= max_span:
            found.append(tuple(chosen))
            floor = hi
            latest = [None] * len(groups)
    return found


# --- the checks ----------------------------------------------------------------------------


def _fmt(value: float) -> str:
    """1000.0 → '1,000', 1.5 → '1.5', -30.0 → '-30'."""
    return f"{value:,.10g}"


def _finding(rule_id: str, rules: PlausibilityRules, severity: Severity, text: str,
             items: Iterable[_Located], values: dict[str, Param], *,
             template: str = "message") -> AuditFinding:
    """A finding of rule ``rule_id``; ``values`` are its parameters (words as keys)."""
    rule = rules.rule(rule_id)
    basis, basis_zh = rules.cited(rule_id)
    located = list(items)
    start = min(item.start for item in located)
    end = max(item.end for item in located)
    return AuditFinding(rule=rule_id, severity=severity, start=start, end=end,
                        text=text[start:end], message=rule.render_in(template, values, "en"),
                        message_id=f"plausibility.{rule_id}.{template}", params=values,
                        suggestion=rule.render_in("suggestion", values, "en"),
                        suggestion_id=f"plausibility.{rule_id}.suggestion",
                        basis=basis, basis_zh=basis_zh)


def _beyond_state_of_art(rule_id: str, rules: PlausibilityRules,
                         text: str, figures: list[Figure], *, kind: str,
                         warning_above: Callable[[Figure], float],
                         error_above: float) -> list[AuditFinding]:
    """Figures of ``kind`` (not material-level) above the rule's warning or error level."""
    findings = []
    for fig in figures:
        if fig.kind != kind or fig.level == "material":
            continue
        if fig.high > error_above:
            severity: Severity = "error"
            threshold, template = error_above, "error_message"
        elif fig.high > warning_above(fig):
            severity, threshold, template = "warning", warning_above(fig), "message"
        else:
            continue
        values: dict[str, Param] = {"value": _fmt(fig.high), "threshold": _fmt(threshold),
                                    "level": fig.level or "unqualified", "figure": fig.text}
        findings.append(_finding(rule_id, rules, severity, text, [fig], values,
                                 template=template))
    return findings


def _specific_energy(text: str, figures: list[Figure],
                     rules: PlausibilityRules) -> list[AuditFinding]:
    rule = rules.rules.specific_energy_beyond_state_of_art
    return _beyond_state_of_art(
        "specific_energy_beyond_state_of_art", rules, text, figures, kind="specific_energy",
        warning_above=lambda fig: (rule.warning_above_pack_wh_per_kg if fig.level == "pack"
                                   else rule.warning_above_cell_wh_per_kg),
        error_above=rule.error_above_wh_per_kg)


def _energy_density(text: str, figures: list[Figure],
                    rules: PlausibilityRules) -> list[AuditFinding]:
    rule = rules.rules.energy_density_beyond_state_of_art
    return _beyond_state_of_art(
        "energy_density_beyond_state_of_art", rules, text, figures, kind="energy_density",
        warning_above=lambda fig: rule.warning_above_wh_per_l,
        error_above=rule.error_above_wh_per_l)


def _high_energy(figures: list[Figure], min_wh_per_kg: float) -> list[Figure]:
    return [f for f in figures if f.kind == "specific_energy" and f.level != "material"
            and f.high >= min_wh_per_kg]


def _charge_note(fig: Figure) -> dict[str, Param]:
    """How much of a charge a charge time covers: a word key, and the window if stated."""
    if fig.charge_scope == "full":
        return {"charge_note": "full"}
    if fig.soc_window_percent is not None:
        lo, hi = fig.soc_window_percent
        return {"charge_note": "window", "window": f"{_fmt(lo)}–{_fmt(hi)}"}
    if fig.charge_scope == "partial":
        return {"charge_note": "partial"}
    return {"charge_note": "unstated"}


def _fast_charge(fig: Figure, rule: ChargeEnergyCyclesRule) -> bool:
    """A full charge in at most ``max_full_charge_min``, or a stated window at an average
    rate of at least ``min_window_average_c_rate`` (an unstated window if the rule says so)."""
    if fig.kind != "charge_time":
        return False
    minutes = fig.low
    if fig.charge_scope == "full":
        return minutes <= rule.max_full_charge_min
    if fig.soc_window_percent is not None:
        lo, hi = fig.soc_window_percent
        average_c_rate = (hi - lo) / 100.0 * 60.0 / minutes
        return average_c_rate >= rule.min_window_average_c_rate
    if fig.charge_scope in ("partial", "unspecified"):
        return rule.count_unspecified_charge and minutes <= rule.max_full_charge_min
    return False  # range added (400 km in 10 min) says nothing about the state of charge


def _charge_energy_cycles(text: str, figures: list[Figure],
                          rules: PlausibilityRules) -> list[AuditFinding]:
    rule_id = "charge_time_energy_cycles_together"
    rule = rules.rules.charge_time_energy_cycles_together
    charges = [f for f in figures if _fast_charge(f, rule)]
    energies = _high_energy(figures, rule.min_specific_energy_wh_per_kg)
    cycles = [f for f in figures if f.kind == "cycles" and f.high >= rule.min_cycles]
    findings = []
    for i, j, k in _together([charges, energies, cycles], rules.scope.max_span_chars):
        charge, energy, cycle = charges[i], energies[j], cycles[k]
        values = {"charge": charge.text, **_charge_note(charge), "energy": energy.text,
                  "cycles": cycle.text}
        findings.append(_finding(rule_id, rules, rule.severity, text, [charge, energy, cycle],
                                 values))
    return findings


def _cycle_life(text: str, folded: str, figures: list[Figure],
                rules: PlausibilityRules) -> list[AuditFinding]:
    rule_id = "cycle_life_extreme"
    rule = rules.rules.cycle_life_extreme
    exempt = (re.compile("|".join(re.escape(fold_for_matching(w)) for w in rule.exempt_words),
                         re.IGNORECASE) if rule.exempt_words else None)
    reach = rules.scope.max_span_chars
    findings = []
    for fig in figures:
        if fig.kind != "cycles" or fig.high < rule.min_cycles:
            continue
        if exempt is not None and exempt.search(folded, max(0, fig.start - reach),
                                                min(len(folded), fig.end + reach)):
            continue
        values: dict[str, Param] = {"value": _fmt(fig.high),
                                    "threshold": _fmt(rule.min_cycles), "figure": fig.text}
        findings.append(_finding(rule_id, rules, rule.severity, text, [fig], values))
    return findings



def _temperature_near_mentions(rule_id: str,
                               rule: PolymerTemperatureRule | HybridTemperatureRule, text: str,
                               temperatures: list[Figure], mentions: list[Mention],
                               rules: PlausibilityRules, *, side: Literal["low", "high"],
                               threshold: float) -> list[AuditFinding]:
    """A finding for each claimed temperature near a mention of the electrolyte it does not
    suit; ``side`` is the end of the claimed range that is out of reach."""
    findings = []
    for i, j in _together([temperatures, mentions], rules.scope.max_span_chars):
        fig, mention = temperatures[i], mentions[j]
        values: dict[str, Param] = {side: _fmt(getattr(fig, side)),
                                    "threshold": _fmt(threshold), "temperature": fig.text,
                                    "mention": mention.text}
        findings.append(_finding(rule_id, rules, rule.severity, text, [fig, mention], values))
    return findings


def _polymer_temperature(text: str, folded: str, figures: list[Figure],
                         rules: PlausibilityRules) -> list[AuditFinding]:
    rule = rules.rules.polymer_wide_temperature
    cold = [f for f in figures if operating(f) and f.low <= rule.max_low_temperature_c]
    if not cold:
        return []
    return _temperature_near_mentions(
        "polymer_wide_temperature", rule, text, cold, solid_polymer_mentions(text, folded),
        rules, side="low", threshold=rule.max_low_temperature_c)


def _hybrid_temperature(text: str, folded: str, figures: list[Figure],
                        rules: PlausibilityRules) -> list[AuditFinding]:
    rule = rules.rules.hybrid_high_temperature
    hot = [f for f in figures if operating(f) and f.high >= rule.min_high_temperature_c
           and (f.is_range or f.purpose == "operation")]
    if not hot:
        return []
    return _temperature_near_mentions(
        "hybrid_high_temperature", rule, text, hot, hybrid_mentions(text, folded), rules,
        side="high", threshold=rule.min_high_temperature_c)


def _c_rate_energy(text: str, figures: list[Figure],
                   rules: PlausibilityRules) -> list[AuditFinding]:
    rule_id = "c_rate_high_energy"
    rule = rules.rules.c_rate_high_energy
    rates = [f for f in figures if f.kind == "c_rate" and f.high >= rule.min_c_rate
             and (f.duty == "continuous" or (f.duty is None and rule.count_unspecified_duty))]
    energies = _high_energy(figures, rule.min_specific_energy_wh_per_kg)
    findings = []
    for i, j in _together([rates, energies], rules.scope.max_span_chars):
        rate, energy = rates[i], energies[j]
        values: dict[str, Param] = {"c_rate": rate.text, "duty": rate.duty or "unstated",
                                    "energy": energy.text}
        findings.append(_finding(rule_id, rules, rule.severity, text, [rate, energy], values))
    return findings


def _wide_temperature(text: str, folded: str, figures: list[Figure], rules: PlausibilityRules,
                      reported: list[AuditFinding]) -> list[AuditFinding]:
    """Operating temperatures out of reach of any cell, whatever its electrolyte; a figure a
    class-specific rule (polymer, hybrid) already reported is left to that rule."""
    rule_id = "wide_operating_temperature"
    rule = rules.rules.wide_operating_temperature
    covered = _covered(reported)
    temperatures = [f for f in figures if operating(f) and not covered(f)]
    if not temperatures:
        return []
    cues = _cue_patterns(rule)
    findings = []
    for fig, cue in wide_or_lossless(folded, temperatures, max_low=rule.max_low_temperature_c,
                                     min_high=rule.min_high_temperature_c,
                                     lossless_max_low=rule.lossless_max_low_temperature_c,
                                     cues=cues):
        values: dict[str, Param] = {"low": _fmt(fig.low), "high": _fmt(fig.high),
                                    "temperature": fig.text}
        items: list[_Located] = [fig]
        if cue is not None:
            values["cue"] = text[cue.start():cue.end()]
            items.append(_Span(cue.start(), cue.end()))
        findings.append(_finding(rule_id, rules, rule.severity, text, items, values,
                                 template="message" if cue is None else "lossless_message"))
    return findings


def _covered(spans: Sequence[_Located]) -> Callable[[_Located], bool]:
    """Whether an item lies inside one of ``spans``: a bisection over the spans' starts and
    the furthest end reached so far, so each question costs log(len(spans))."""
    ordered = sorted((span.start, span.end) for span in spans)
    starts = [start for start, _ in ordered]
    reach = list(itertools.accumulate((end for _, end in ordered), max))

    def inside(item: _Located) -> bool:
        i = bisect.bisect_right(starts, item.start) - 1
        return i >= 0 and reach[i] >= item.end

    return inside


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int


def _cue_patterns(rule: WideTemperatureRule) -> re.Pattern[str] | None:
    """The rule's cues as one pattern (``re`` keeps compiled patterns, so this is cheap)."""
    return cue_pattern([cue.text for cue in rule.lossless_cues])


def plausibility_findings(text: str, *,
                          rules: PlausibilityRules | None = None) -> list[AuditFinding]:
    """Every implausible figure or combination of figures in ``text``, sorted by position.

    ``start``/``end`` cover the figure, or for a combination the first to the last figure
    (or material mention) involved; ``basis`` is the rule's reason from the data file.

    >>> [f.rule for f in plausibility_findings("A 1,200 Wh/kg cell.")]
    ['specific_energy_beyond_state_of_art']
    """
    rules = rules or load_plausibility_rules()
    figures = find_figures(text)
    folded = fold_for_matching(text)
    findings = [
        *_specific_energy(text, figures, rules),
        *_energy_density(text, figures, rules),
        *_charge_energy_cycles(text, figures, rules),
        *_cycle_life(text, folded, figures, rules),
        *_polymer_temperature(text, folded, figures, rules),
        *_hybrid_temperature(text, folded, figures, rules),
        *_c_rate_energy(text, figures, rules),
    ]
    findings += _wide_temperature(text, folded, figures, rules, [
        f for f in findings if f.rule in ("polymer_wide_temperature", "hybrid_high_temperature")])
    return sorted(findings, key=lambda f: (f.start, f.end, f.rule))
