"""The inputs and the result, as pydantic models.

The dossier models are strict (no silent type coercion) and closed (an unknown key is an
error), because a misspelt key silently ignored is a wrong answer nobody sees. The result
model is the published contract: its JSON Schema is ``solidcheck schema result``.
Units are in the field names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

__all__ = [
    "APPLICATIONS",
    "CATEGORIES",
    "IONS",
    "MAX_SPECIMENS",
    "SOLID_TYPES",
    "Application",
    "Category",
    "ConductingIon",
    "Dossier",
    "Electrolyte",
    "Evidence",
    "Finding",
    "FindingParam",
    "Phase",
    "Ratings",
    "Result",
    "Severity",
    "SolidType",
    "Specimen",
    "SpecimenResult",
    "Terms",
    "WeightLossResult",
    "WeightLossTest",
]

Category = Literal["liquid", "hybrid_solid_liquid", "solid_state", "undetermined"]
Phase = Literal["solid", "liquid"]
SolidType = Literal["sulfide", "oxide", "polymer", "halide", "composite", "other"]
ConductingIon = Literal["lithium", "sodium", "other"]
Application = Literal["high_energy", "high_power", "other"]
Severity = Literal["error", "warning", "info"]
Provenance = Literal["standard", "assumption"]

CATEGORIES: tuple[Category, ...] = ("liquid", "hybrid_solid_liquid", "solid_state", "undetermined")
SOLID_TYPES: tuple[SolidType, ...] = ("sulfide", "oxide", "polymer", "halide", "composite", "other")
IONS: tuple[ConductingIon, ...] = ("lithium", "sodium", "other")
APPLICATIONS: tuple[Application, ...] = ("high_energy", "high_power", "other")

DOSSIER_SCHEMA_VERSION: Literal[1] = 1
RESULT_SCHEMA_VERSION: Literal[1] = 1

# Plausibility bounds on inputs: far outside any cell, they catch wrong units (kg for g,
# mg for g) and keep the arithmetic of every result finite.
MIN_SPECIMEN_G = 0.001
MAX_SPECIMEN_G = 100_000.0
MIN_ENERGY_WH = 0.001
MAX_ENERGY_WH = 1_000_000_000.0
MAX_POWER_W = 1_000_000_000.0
#: A test weighs a handful of specimens; the cap keeps the work of one dossier (validation,
#: the per-specimen result, a bar per specimen in a report) bounded. docs/dossier.md says so.
MAX_SPECIMENS = 1000


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Electrolyte(_Input):
    """The electrolyte phases that conduct ions between the electrodes, as the maker declares."""

    phases: list[Phase] = Field(min_length=1, max_length=2)
    solid_type: SolidType | None = None
    liquid_fraction_wt_percent: float | None = Field(default=None, ge=0, le=100)

    @field_validator("phases")
    @classmethod
    def _phases_unique(cls, phases: list[Phase]) -> list[Phase]:
        if len(set(phases)) != len(phases):
            raise ValueError("phases repeat a value; list each of 'solid' and 'liquid' once")
        return phases

    @model_validator(mode="after")
    def _solid_type_matches_phases(self) -> Electrolyte:
        if "solid" in self.phases and self.solid_type is None:
            raise ValueError(
                "solid_type is required when 'solid' is among the phases; "
                "give one of sulfide, oxide, polymer, halide, composite, other"
            )
        if "solid" not in self.phases and self.solid_type is not None:
            raise ValueError(
                "solid_type is given but 'solid' is not among the phases; "
                "add 'solid' to phases or remove solid_type"
            )
        return self


class Ratings(_Input):
    """Rated performance, for the high-energy / high-power ratio."""

    max_power_w: float = Field(gt=0, le=MAX_POWER_W)
    energy_1c_wh: float = Field(ge=MIN_ENERGY_WH, le=MAX_ENERGY_WH)


#: a specimen's id as the lab wrote it ("S1-A"): printable, no line breaks
SPECIMEN_ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"


def _drop_absent(data: Any, names: tuple[str, ...]) -> Any:
    """Optional fields added after a format was published dump only when set, so the canonical
    form of what was written before (hashed in certificates and the registry) does not change."""
    if isinstance(data, dict):
        for name in names:
            if data.get(name, ...) is None:
                del data[name]
    return data


class Specimen(_Input):
    """One specimen's masses before and after the vacuum drying."""

    id: str | None = Field(default=None, min_length=1, max_length=100,
                           pattern=SPECIMEN_ID_PATTERN,
                           description="the lab's name for the specimen, e.g. 'S1-A' (from a "
                           "weighings file's specimen column); absent: numbered S1, S2, …")
    mass_before_g: float = Field(ge=MIN_SPECIMEN_G, le=MAX_SPECIMEN_G)
    mass_after_g: float = Field(ge=0, le=MAX_SPECIMEN_G)

    @model_serializer(mode="wrap")
    def _absent_when_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _drop_absent(handler(self), ("id",))


class WeightLossTest(_Input):
    """The conditions and masses of a vacuum weight-loss test."""

    temperature_c: float = Field(ge=-273.15, le=2000)
    duration_h: float = Field(ge=0, le=10_000)
    pressure_pa: float = Field(ge=0, le=10_000_000, description="absolute pressure in the oven")
    visible_liquid: bool | None = Field(
        default=None, description="liquid seen in the opened cell; null = not inspected"
    )
    balance_resolution_mg: float | None = Field(default=None, gt=0, le=MAX_SPECIMEN_G * 1000)
    specimens: list[Specimen] = Field(min_length=1, max_length=MAX_SPECIMENS)


#: what a finding's parameter may hold (JSON: numbers, text, lists of text)
FindingParam = float | int | str | bool | list[str] | None


class Evidence(_Input):
    """A file some of the dossier's numbers were drawn from, identified by its content."""

    kind: Literal["oven_log", "weighings", "cycler"]
    file: str = Field(min_length=1, max_length=500, description="the file's name when read")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file's bytes")
    size_bytes: int = Field(ge=0, le=2**53 - 1)  # exact in every JSON reader
    format: str = Field(min_length=1, max_length=60, description="the solidcheck reader used")
    fields: list[str] = Field(description="dossier fields drawn from it, e.g. "
                              "'weight_loss_test.duration_h'")
    summary: str | None = Field(default=None, max_length=2000, description="what the file "
                                "gave, in English (older readers show this)")
    summary_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="the summary as a message of "
        "solidcheck's catalogue, e.g. 'evidence.summary.hold', rendered in the reader's "
        "language with summary_params; absent in dossiers built before it was written")
    summary_params: dict[str, FindingParam] | None = Field(
        default=None, max_length=20, description="the summary message's parameters: numbers "
        "in the units the catalogue declares, and texts")

    @model_serializer(mode="wrap")
    def _absent_when_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A dossier written without a summary id dumps as before, so its canonical form
        (hashed in certificates) does not change."""
        return _drop_absent(handler(self), ("summary_id", "summary_params"))


class Dossier(_Input):
    """What is known about one cell: declarations, ratings and test evidence (format v1)."""

    schema_version: Literal[1] = DOSSIER_SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=200)
    manufacturer: str | None = None
    model: str | None = None
    electrolyte: Electrolyte
    conducting_ion: ConductingIon
    application: Application | None = None
    ratings: Ratings | None = None
    weight_loss_test: WeightLossTest | None = None
    evidence: list[Evidence] = Field(
        default_factory=list, description="instrument files the numbers were drawn from"
    )

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("id is blank; give the cell's identifier, e.g. ACME-S1")
        return value


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Finding(_Output):
    """One reason for the result, citing the rule that produced it.

    The reason is data — ``message_id`` and ``params`` — and ``message`` its text, rendered
    from solidcheck's message catalogue (English unless a language was asked for:
    ``solidcheck.localise.localise_result``). Results stored by an older solidcheck have no
    ``message_id``; their ``message`` is all there is.
    """

    severity: Severity
    rule: str = Field(description="id of the rule in the rule set, e.g. 'weight_loss_limit'")
    message: str = Field(description="the finding in words: English by default, or in the "
                         "language asked for (rendered from message_id and params)")
    message_id: str | None = Field(
        default=None, description="id of the message in solidcheck's catalogue, e.g. "
        "'weight_loss.duration_short'; stable across releases; null in results stored before "
        "findings carried it")
    params: dict[str, FindingParam] = Field(
        default_factory=dict, description="the message's parameters, as numbers (in the units "
        "the catalogue declares for them) and texts, so a reader can render the message in any "
        "language or compute with it")
    source: Provenance = Field(description="'standard' or a project 'assumption'")
    clause: str | None = Field(description="the clause, or the assumption's reason (English by "
                               "default, or in the language asked for)")
    ruleset: str


class Terms(_Output):
    """The preferred term of the category, in English and Chinese."""

    en: str
    zh: str


class SpecimenResult(_Output):
    index: int = Field(ge=1)
    id: str | None = Field(default=None, description="the dossier's specimen id, when it "
                           "gives one (absent otherwise)")
    mass_before_g: float
    mass_after_g: float
    percent: float = Field(description="weight-loss rate (m₀ − m₁)/m₀ × 100; negative = gain")
    within_limit: bool

    @model_serializer(mode="wrap")
    def _absent_when_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _drop_absent(handler(self), ("id",))

    @property
    def name(self) -> str:
        """How pages and reports name the specimen: its id, else S1, S2, …"""
        return self.id or f"S{self.index}"


class WeightLossResult(_Output):
    percent: float = Field(description="the deciding rate (largest specimen rate, or the mean)")
    limit_percent: float
    comparison: Literal["at_most", "below"]
    passed: bool | None = Field(description="null when the test conditions are not valid")
    conditions_valid: bool
    uncertainty_percent: float | None = Field(
        description="expanded uncertainty of the deciding rate; null if resolution not given"
    )
    margin_percent: float = Field(description="limit minus the deciding rate")
    specimens: list[SpecimenResult]


class Result(_Output):
    """The classification of one dossier under one rule set (schema version 1)."""

    schema_version: Literal[1] = RESULT_SCHEMA_VERSION
    solidcheck_version: str
    dossier_id: str
    ruleset: str
    category: Category
    terms: Terms
    electrolyte_type: SolidType | None
    conducting_ion: ConductingIon | None
    application: Application | None
    application_basis: Literal["declared", "power_energy_ratio"] | None
    power_energy_ratio_w_per_wh: float | None
    weight_loss: WeightLossResult | None
    code: str
    code_status: Literal["provisional"] = "provisional"
    findings: list[Finding]

