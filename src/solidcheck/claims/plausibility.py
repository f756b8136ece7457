"""Plausibility of figures in product text: claims beyond physics or the state of the art,
and combinations of figures that trade against each other.

The rules are data (``claims/plausibility.toml``): every threshold, the scope of "claimed
together", and each rule's provenance — all project assumptions, each with its physical basis
and the published state of the art it rests on. A finding is a prompt to ask for evidence,
never a verdict: its message says what would settle it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..i18n import Param
from ..model import Severity
from ..rules import Rule, parse_data_file
from .figures import Figure, find_figures, fold_for_matching
from .model import AuditFinding
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

_DATA_FILE = "plausibility.toml"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class PlausibilityRule(Rule):
    """A plausibility rule: provenance (from :class:`~solidcheck.rules.Rule`) and the
    templates of its message and suggestion, which may use only the rule's own fields."""

    why_zh: str = Field(min_length=1, description="the reason, in Chinese")
    message: str = Field(min_length=1)
    message_zh: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)
    suggestion_zh: str = Field(min_length=1)
    template_fields: ClassVar[frozenset[str]] = frozenset()
    template_names: ClassVar[tuple[str, ...]] = ("message", "message_zh", "suggestion",
                                                 "suggestion_zh")

    @model_validator(mode="after")
    def _templates_use_known_fields(self) -> PlausibilityRule:
        for name in self.template_names:
            template: str = getattr(self, name)
            try:
                used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
            except ValueError as exc:
                raise ValueError(f"{name}: not a valid template ({exc})") from None
            unknown = sorted(used - self.template_fields)
            if unknown:
                raise ValueError(f"{name} uses unknown {{names}}: {', '.join(unknown)}; "
                                 f"allowed: {', '.join(sorted(self.template_fields))}")
        return self

    def render(self, template: str, values: Mapping[str, object]) -> str:
        """The named template (``message``, ``suggestion``…) filled with ``values``."""
        text: str = getattr(self, template)
        return text.format_map(values)

    def render_in(self, template: str, params: Mapping[str, object],
                  lang: Literal["en", "zh"]) -> str:
        """The named template in ``lang``, its word parameters (a level, a charge window, a
        duty) written in that language from the catalogue (``i18n/audit.toml``)."""
        return self.render(template if lang == "en" else f"{template}_zh",
                           _worded(params, lang))


class Scope(Rule):
    """How close figures must be to count as claimed together."""

    why_zh: str = Field(min_length=1, description="the reason, in Chinese")
    max_span_chars: int = Field(gt=0, le=100_000)


class _LevelledRule(PlausibilityRule):
    """A rule with a warning and an error threshold on one figure."""

    error_message: str = Field(min_length=1)
    error_message_zh: str = Field(min_length=1)
    template_fields = frozenset({"value", "threshold", "level", "level_noun", "figure"})
    template_names = ("message", "message_zh", "error_message", "error_message_zh",
                      "suggestion", "suggestion_zh")


class SpecificEnergyRule(_LevelledRule):
    warning_above_cell_wh_per_kg: float = Field(gt=0)
    warning_above_pack_wh_per_kg: float = Field(gt=0)
    error_above_wh_per_kg: float = Field(gt=0)

    @model_validator(mode="after")
    def _error_above_warnings(self) -> SpecificEnergyRule:
        if self.error_above_wh_per_kg <= max(self.warning_above_cell_wh_per_kg,
                                             self.warning_above_pack_wh_per_kg):
            raise ValueError("error_above_wh_per_kg must be above both warning thresholds")
        return self


class EnergyDensityRule(_LevelledRule):
    warning_above_wh_per_l: float = Field(gt=0)
    error_above_wh_per_l: float = Field(gt=0)

    @model_validator(mode="after")
    def _error_above_warning(self) -> EnergyDensityRule:
        if self.error_above_wh_per_l <= self.warning_above_wh_per_l:
            raise ValueError("error_above_wh_per_l must be above warning_above_wh_per_l")
        return self


class ChargeEnergyCyclesRule(PlausibilityRule):
    severity: Severity
    max_full_charge_min: float = Field(gt=0)
    min_window_average_c_rate: float = Field(gt=0)
    count_unspecified_charge: bool
    min_specific_energy_wh_per_kg: float = Field(gt=0)
    min_cycles: float = Field(gt=0)
    template_fields = frozenset({"charge", "charge_note", "energy", "cycles"})


class CycleLifeRule(PlausibilityRule):
    severity: Severity
    min_cycles: float = Field(gt=0)
    exempt_words: list[str] = Field(default_factory=list)
    template_fields = frozenset({"value", "threshold", "figure"})


class PolymerTemperatureRule(PlausibilityRule):
    severity: Severity
    max_low_temperature_c: float
    template_fields = frozenset({"low", "threshold", "temperature", "mention"})


class HybridTemperatureRule(PlausibilityRule):
    severity: Severity
    min_high_temperature_c: float
    template_fields = frozenset({"high", "threshold", "temperature", "mention"})


class LosslessCue(_Data):
    """A word that claims no loss of performance, with a sentence it must be found in."""

    text: str = Field(min_length=1)
    example: str = Field(min_length=1)


class WideTemperatureRule(PlausibilityRule):
    """Temperatures out of reach of a cell of any electrolyte class."""

    severity: Severity
    max_low_temperature_c: float
    min_high_temperature_c: float
    lossless_max_low_temperature_c: float
    lossless_cues: list[LosslessCue] = Field(default_factory=list)
    lossless_message: str = Field(min_length=1)
    lossless_message_zh: str = Field(min_length=1)
    template_fields = frozenset({"low", "high", "temperature", "cue"})
    template_names = ("message", "message_zh", "lossless_message", "lossless_message_zh",
                      "suggestion", "suggestion_zh")

    @model_validator(mode="after")
    def _a_range_not_a_point(self) -> WideTemperatureRule:
        if self.max_low_temperature_c >= self.min_high_temperature_c:
            raise ValueError("max_low_temperature_c must be below min_high_temperature_c")
        return self


class CRateEnergyRule(PlausibilityRule):
    severity: Severity
    min_c_rate: float = Field(gt=0)
    min_specific_energy_wh_per_kg: float = Field(gt=0)
    count_unspecified_duty: bool
    template_fields = frozenset({"c_rate", "duty", "energy"})


class _Rules(_Data):
    specific_energy_beyond_state_of_art: SpecificEnergyRule
    energy_density_beyond_state_of_art: EnergyDensityRule
    charge_time_energy_cycles_together: ChargeEnergyCyclesRule
    cycle_life_extreme: CycleLifeRule
    polymer_wide_temperature: PolymerTemperatureRule
    hybrid_high_temperature: HybridTemperatureRule
    c_rate_high_energy: CRateEnergyRule
    wide_operating_temperature: WideTemperatureRule


class PlausibilityRules(_Data):
    """The plausibility rules as loaded from their data file; the keys are rule ids."""

    format: Literal[1]
    documentation: str = Field(min_length=1, description="where a reader finds the rules "
                               "(a document and anchor), cited in every finding's basis")
    scope: Scope
    rules: _Rules

    def cited(self, rule_id: str) -> tuple[str, str]:
        """A finding's basis in English and Chinese: the rule, where it is documented, and
        its physical reason with the published sources it names."""
        rule = self.rule(rule_id)
        return (f"plausibility rule {rule_id} ({self.documentation}): {rule.reference}",
                f"合理性规则 {rule_id}（{self.documentation}）：{rule.why_zh}")

    def rule(self, rule_id: str) -> PlausibilityRule:
        rule = getattr(self.rules, rule_id, None)
        if not isinstance(rule, PlausibilityRule):
            raise KeyError(f"no plausibility rule {rule_id!r}")
        return rule

    @property
    def rule_ids(self) -> list[str]:
        return list(_Rules.model_fields)


def parse_plausibility_rules(text: str, *, source: str = "<string>") -> PlausibilityRules:
    """Parse and validate plausibility-rule TOML; raise RulesetError naming every bad key."""
    return parse_data_file(text, PlausibilityRules, source=source)


@functools.cache
def load_plausibility_rules() -> PlausibilityRules:
    """The installed plausibility rules (validated once, then cached)."""
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text("utf-8")
    return parse_plausibility_rules(text, source=_DATA_FILE)


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


def _worded(params: Mapping[str, object], lang: Literal["en", "zh"]) -> dict[str, object]:
    """The parameters as a template in ``lang`` shows them: the word keys a finding stores
    (``level``, ``charge_note``, ``duty``) become words of the catalogue."""
    from ..i18n import load_catalogue

    catalogue = load_catalogue()
    shown = dict(params)
    if "level" in params:
        level = str(params["level"])
        shown["level"] = catalogue.word(f"audit.level.{level}", lang)
        shown["level_noun"] = catalogue.word(
            f"audit.level_noun.{'pack' if level == 'pack' else 'cell'}", lang)
    if "charge_note" in params:
        shown["charge_note"] = catalogue.word(f"audit.charge.{params['charge_note']}",
                                              lang).format(window=params.get("window", ""))
    if "duty" in params:
        shown["duty"] = catalogue.word(f"audit.duty.{params['duty']}", lang)
    return shown


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
