"""Rule sets: the standards as versioned data files, loaded, validated and found by id.

One TOML file per document version lives in ``solidcheck/rulesets/``; the grammar is in
``docs/rulesets.md``. A new version of a standard is a new file, not a code change. A file
that breaks the grammar fails to load with every offending key named. Other packages add
theirs as files too, through the ``solidcheck.rulesets`` entry-point group.

The decision takes a Ruleset or an installed id (:func:`ruleset_by_id`); a path to a file
is for the adapters to read (:func:`load_ruleset`, :func:`read_ruleset_file`).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path, PurePath
from typing import Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._validation import problems_from
from .errors import Problem, RulesetError, UnknownRulesetError, file_problem
from .i18n import message
from .model import Finding, FindingParam, Severity

__all__ = [
    "Rule",
    "Ruleset",
    "available_rulesets",
    "default_ruleset_id",
    "installed_ruleset_text",
    "load_ruleset",
    "parse_data_file",
    "parse_ruleset",
    "read_data_file",
    "read_ruleset_file",
    "ruleset_by_id",
]

_PACKAGE_DIR = "rulesets"
_NOT_RULESETS = {"vocabulary.toml"}
#: rule sets from other packages: each entry point names a package of *.toml rule-set files
_ENTRY_POINT_GROUP = "solidcheck.rulesets"
_READ_THE_FILE = ("a file is not an installed rule set's id: read it with "
                  "solidcheck.load_ruleset(path) and pass the Ruleset it returns")
_Model = TypeVar("_Model", bound=BaseModel)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Rule(_Data):
    """A rule and where it comes from: a clause of the standard, or a project assumption."""

    provenance: Literal["standard", "assumption"]
    summary: str = Field(min_length=1)
    clause: str | None = None
    why: str | None = None
    #: the same in Chinese: optional in the grammar, given for every built-in rule
    summary_zh: str | None = Field(default=None, min_length=1)
    clause_zh: str | None = Field(default=None, min_length=1)
    why_zh: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _cites_its_source(self) -> Rule:
        if self.provenance == "standard" and not self.clause:
            raise ValueError("a 'standard' rule needs a 'clause' naming where it comes from")
        if self.provenance == "assumption" and not self.why:
            raise ValueError("an 'assumption' rule needs a 'why' explaining the project default")
        if self.provenance == "standard" and self.why_zh is not None:
            raise ValueError("a 'standard' rule cites a clause: write 'clause_zh', not 'why_zh'")
        if self.provenance == "assumption" and self.clause_zh is not None:
            raise ValueError("an 'assumption' rule gives a reason: write 'why_zh', not "
                             "'clause_zh'")
        return self

    @property
    def reference(self) -> str:
        """The clause for a rule of the standard, the reason for an assumption."""
        return self.clause if self.provenance == "standard" else self.why  # type: ignore[return-value]

    @property
    def reference_zh(self) -> str | None:
        """:attr:`reference` in Chinese, or None when the rule set does not give it."""
        return self.clause_zh if self.provenance == "standard" else self.why_zh


class TemperatureRule(Rule):
    temperature_c: float


class ToleranceRule(Rule):
    tolerance_c: float = Field(ge=0)


class DurationRule(Rule):
    min_duration_h: float = Field(gt=0)


class PressureRule(Rule):
    max_pressure_pa: float = Field(gt=0)


class VisualCheckRule(Rule):
    mandatory: bool


class LimitRule(Rule):
    limit_percent: float = Field(gt=0, lt=100)
    comparison: Literal["at_most", "below"]


class LimitComparisonRule(Rule):
    method: Literal["full_value", "rounded"]
    decimals: int | None = Field(default=None, ge=0, le=6)

    @model_validator(mode="after")
    def _decimals_with_rounding(self) -> LimitComparisonRule:
        if self.method == "rounded" and self.decimals is None:
            raise ValueError("method 'rounded' needs 'decimals' (digits kept after the point)")
        return self


class AggregationRule(Rule):
    aggregation: Literal["all_must_pass", "mean"]
    min_specimens: int = Field(ge=1)


class ResolutionRule(Rule):
    max_resolution_mg: float = Field(gt=0)
    max_resolution_percent_of_mass: float = Field(gt=0)


class UncertaintyRule(Rule):
    coverage_factor: float = Field(gt=0)


class RatioRule(Rule):
    high_power_min_ratio_w_per_wh: float = Field(gt=0)


class SeverityRule(Rule):
    severity: Severity


class ClaimKindsRule(Rule):
    """Severities by what a mention is (docs/audit.md, "Claim, mention or discussion"): a
    product said to be solid-state, or the technology talked about in general."""

    unsupported_claim: Severity
    unsupported_mention: Severity
    term_in_mention: Severity


class LogSamplingRule(Rule):
    max_gap_s: float = Field(gt=0)


class MassStabilityRule(Rule):
    window_min: float = Field(gt=0)
    max_loss_rate_percent_per_h: float = Field(gt=0)


class RatingsMethodRule(Rule):
    power_duration_s: float = Field(gt=0)
    one_c_min_c_rate: float = Field(gt=0)
    one_c_max_c_rate: float = Field(gt=0)
    constant_current_tolerance_percent: float = Field(gt=0, lt=100)
    energy_counter_tolerance_percent: float = Field(gt=0, lt=100)

    @model_validator(mode="after")
    def _one_c_window(self) -> RatingsMethodRule:
        if not self.one_c_min_c_rate <= 1 <= self.one_c_max_c_rate:
            raise ValueError("one_c_min_c_rate ≤ 1 ≤ one_c_max_c_rate must hold")
        return self


class Rules(_Data):
    """Every rule the decision uses; the key is the rule id a finding cites."""

    classification_by_phases: Rule
    solid_state_requires_test: Rule
    test_temperature: TemperatureRule
    test_temperature_tolerance: ToleranceRule
    test_duration: DurationRule
    test_pressure: PressureRule
    visual_check: VisualCheckRule
    weight_loss_limit: LimitRule
    limit_comparison: LimitComparisonRule
    specimen_aggregation: AggregationRule
    weight_loss_rate: Rule
    mass_gain: Rule
    balance_resolution: ResolutionRule
    measurement_uncertainty: UncertaintyRule
    declared_liquid_fraction: Rule
    sub_classification: Rule
    application_ratio: RatioRule
    non_preferred_terms: SeverityRule
    claim_kinds: ClaimKindsRule
    classification_code: Rule
    log_sampling: LogSamplingRule
    mass_stability: MassStabilityRule
    ratings_from_cycler: RatingsMethodRule


class RulesetInfo(_Data):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)
    title: str
    title_zh: str
    document: str
    status: str
    default: bool = False
    language: Literal["en", "zh"] = Field(
        default="en", description="the language of the document the clauses cite: 'zh' when "
        "the Chinese clause (clause_zh) is the primary citation and the English a translation")


class Ruleset(_Data):
    """One document version's rules, as loaded from its data file."""

    format: Literal[1]
    ruleset: RulesetInfo
    rules: Rules

    @property
    def id(self) -> str:
        return self.ruleset.id

    def rule(self, rule_id: str) -> Rule:
        rule = getattr(self.rules, rule_id, None)
        if not isinstance(rule, Rule):
            raise KeyError(f"rule set {self.id!r} has no rule {rule_id!r}")
        return rule

    def finding(self, rule_id: str, severity: Severity, message_id: str,
                **params: FindingParam) -> Finding:
        """A finding that cites ``rule_id`` with this rule set's provenance for it: message
        ``message_id`` of the catalogue with ``params`` (numbers as floats or ints, in the
        catalogue's units), its text rendered in English."""
        rule = self.rule(rule_id)
        return Finding(
            severity=severity,
            rule=rule_id,
            message=_english(message_id, tuple(  # typed keys: 1, 1.0 and True are equal
                (name, type(value).__name__, tuple(value) if isinstance(value, list) else value)
                for name, value in params.items())),
            message_id=message_id,
            params=params,
            source=rule.provenance,
            clause=rule.reference,
            ruleset=self.id,
        )


@functools.lru_cache(maxsize=4096)
def _english(message_id: str,
             params: tuple[tuple[str, str, float | int | str | tuple[str, ...] | None], ...]
             ) -> str:
    """A finding's English text; cached, as most findings of a run repeat the rule set's own
    numbers (the decision's messages take nothing else)."""
    return message(message_id, {name: list(value) if isinstance(value, tuple) else value
                                for name, _, value in params}, "en")


def parse_data_file(text: str, model: type[_Model], *, source: str) -> _Model:
    """Parse TOML data (a rule set or the vocabulary) into ``model``, naming every bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError([Problem("", f"not valid TOML: {exc}", "fix the TOML syntax")],
                           source=source) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RulesetError(problems_from(exc, model), source=source) from None


def parse_ruleset(text: str, *, source: str = "<string>") -> Ruleset:
    """Parse and validate rule-set TOML; raise RulesetError naming every bad key."""
    return parse_data_file(text, Ruleset, source=source)


def read_data_file(path: str | Path, model: type[_Model]) -> _Model:
    """A TOML data file (a rule set of either framework) read into ``model``; an unreadable
    file is a RulesetError like a broken one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesetError([file_problem(path, exc)], source=str(path)) from None
    return parse_data_file(text, model, source=str(path))


def read_ruleset_file(path: str | Path) -> Ruleset:
    """A rule set from a ``.toml`` file. For the adapters (the command line's ``-r file.toml``):
    the decision itself takes a Ruleset or an installed id, never a path."""
    return read_data_file(path, Ruleset)


def _read_installed(entry: Traversable, *, source: str) -> Ruleset:
    """A rule set shipped as a package file, which must be named after its id."""
    ruleset = parse_ruleset(entry.read_text(encoding="utf-8"), source=source)
    if entry.name != f"{ruleset.id}.toml":
        raise RulesetError(
            [Problem("ruleset.id", f"{ruleset.id!r} does not match the file name",
                     "name the file after the id")], source=source)
    return ruleset


class _Installed(NamedTuple):
    ruleset: Ruleset
    file: Traversable
    origin: str  # for a message naming two files with one id


def _builtin() -> dict[str, _Installed]:
    found: dict[str, _Installed] = {}
    for entry in sorted(resources.files(__package__).joinpath(_PACKAGE_DIR).iterdir(), key=str):
        if entry.name.endswith(".toml") and entry.name not in _NOT_RULESETS:
            ruleset = _read_installed(entry, source=entry.name)
            found[ruleset.id] = _Installed(ruleset, entry, f"solidcheck's built-in {entry.name}")
    defaults = [i.ruleset.id for i in found.values() if i.ruleset.ruleset.default]
    if len(defaults) != 1:
        raise RulesetError([Problem("ruleset.default", f"{len(defaults)} installed rule sets "
                                    f"are the default ({', '.join(defaults) or 'none'})",
                                    "set default = true in exactly one")], source=_PACKAGE_DIR)
    return found


def _plugin_folder(entry: EntryPoint, *, distribution: str) -> Traversable:
    """The package an entry point names; its ``*.toml`` files are rule sets."""
    where = f"entry point {entry.name!r} of {distribution}"
    if entry.attr:
        raise RulesetError([Problem(
            "", f"{entry.value!r} names an object; a {_ENTRY_POINT_GROUP} entry point names a "
            "package whose *.toml files are rule sets",
            f"write it as `{entry.name} = {entry.module}` (see docs/rulesets.md)")],
            source=where)
    try:
        return resources.files(entry.module)
    except (ImportError, TypeError) as exc:  # TypeError: a module that is not a package
        raise RulesetError([Problem(
            "", f"the package {entry.module!r} cannot be opened: {exc}",
            f"reinstall {distribution}, or name a package in its entry point")],
            source=where) from None


def _from_plugins() -> Iterator[_Installed]:
    """Every rule set published under the entry-point group (docs/rulesets.md)."""
    for entry in entry_points(group=_ENTRY_POINT_GROUP):
        dist = entry.dist
        distribution = f"{dist.name} {dist.version}" if dist is not None else "a package"
        folder = _plugin_folder(entry, distribution=distribution)
        for file in sorted(folder.iterdir(), key=lambda item: item.name):
            if file.name.endswith(".toml") and file.is_file():
                source = f"{entry.module}/{file.name} from {distribution}"
                ruleset = _read_installed(file, source=source)
                if ruleset.ruleset.default:
                    raise RulesetError([Problem(
                        "ruleset.default", "a rule set from another package cannot be the "
                        "default: it would change every classification made without an id",
                        "set default = false; users choose it by its id")], source=source)
                yield _Installed(ruleset, file, source)


@functools.cache
def _installed() -> dict[str, _Installed]:
    # Scanning entry points costs milliseconds; plug-ins do not change within a process.
    found = _builtin()
    for plugin in _from_plugins():
        if plugin.ruleset.id in found:
            raise RulesetError([Problem(
                "ruleset.id", f"{plugin.ruleset.id!r} is also the id of "
                f"{found[plugin.ruleset.id].origin}",
                "give one of the two another id (and file name), or uninstall one package")],
                source=plugin.origin)
        found[plugin.ruleset.id] = plugin
    return found


def available_rulesets() -> list[Ruleset]:
    """The installed rule sets (built in, then from other packages), default first."""
    return sorted((i.ruleset for i in _installed().values()),
                  key=lambda r: (not r.ruleset.default, r.id))


def default_ruleset_id() -> str:
    return available_rulesets()[0].id


def installed_ruleset_text(ruleset_id: str) -> str:
    """The data file of an installed rule set (built in or from another package), as shipped."""
    return _installed()[ruleset_by_id(ruleset_id).id].file.read_text(encoding="utf-8")


def ruleset_by_id(ruleset_id: str | None = None) -> Ruleset:
    """An installed rule set by id (default: the national standard) — what the decision
    takes. A file path is refused with how to read it (:func:`load_ruleset`)."""
    installed = _installed()
    if ruleset_id is None:
        return installed[default_ruleset_id()].ruleset
    if isinstance(ruleset_id, str) and ruleset_id in installed:
        return installed[ruleset_id].ruleset
    fix = _READ_THE_FILE if _looks_like_a_path(ruleset_id) else ""
    raise UnknownRulesetError(str(ruleset_id), [r.id for r in available_rulesets()], fix=fix)


def _looks_like_a_path(value: object) -> bool:
    if isinstance(value, PurePath):
        return True
    return isinstance(value, str) and (
        "/" in value or "\\" in value or value.lower().endswith(".toml"))


def load_ruleset(ruleset: str | Path | None = None) -> Ruleset:
    """An installed rule set by id (default: the national standard), or a rule-set file path:
    what a user may name, for the adapters. The file is read each time; it is not installed."""
    if ruleset is None or (isinstance(ruleset, str) and ruleset in _installed()):
        return ruleset_by_id(ruleset)
    path = Path(ruleset)
    if path.suffix == ".toml":  # a file, there or not: a missing one is "no such file"
        return read_ruleset_file(path)
    raise UnknownRulesetError(str(ruleset), [r.id for r in available_rulesets()])
