"""The plausibility rules as validated data (``plausibility.toml``): one pydantic model per
rule, its thresholds, provenance and bilingual templates, and the words templates are filled
with. The checks that use them are in ``plausibility.py``.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from importlib import resources
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..model import Severity
from ..rules import Rule, parse_data_file

__all__ = [
    "PlausibilityRule",
    "PlausibilityRules",
    "load_plausibility_rules",
    "parse_plausibility_rules",
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
