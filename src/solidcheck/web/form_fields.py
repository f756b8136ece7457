"""The classify form's fields as data: each form name, the dossier path its value goes to, and
the label (``web/locales/pages.toml``) a person sees beside it — so a problem or a finding that
names a dossier path (``weight_loss_test.visible_liquid``) can be said with the field's
visible label instead. Numbers are read as the CSV readers read them (a decimal comma too)."""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "BLOCK_FIELDS",
    "CHOICE_FIELDS",
    "FIELD_LABELS",
    "NUMBER_FIELDS",
    "PATH_LABELS",
    "REQUIRED_PATHS",
    "SPECIMEN_ROWS",
    "TEXT_FIELDS",
    "VISIBLE_LIQUID",
    "field_for_path",
    "form_number",
    "specimen_field",
    "specimen_fields",
]

SPECIMEN_ROWS = 6

#: form field → where its value goes in the dossier
TEXT_FIELDS = {"id": "id", "manufacturer": "manufacturer", "model": "model"}
CHOICE_FIELDS = {"solid_type": "electrolyte.solid_type", "conducting_ion": "conducting_ion",
                 "application": "application"}
NUMBER_FIELDS = {
    "liquid_fraction": "electrolyte.liquid_fraction_wt_percent",
    "max_power_w": "ratings.max_power_w",
    "energy_1c_wh": "ratings.energy_1c_wh",
    "wl_temperature_c": "weight_loss_test.temperature_c",
    "wl_duration_h": "weight_loss_test.duration_h",
    "wl_pressure_pa": "weight_loss_test.pressure_pa",
    "wl_balance_resolution_mg": "weight_loss_test.balance_resolution_mg",
}
VISIBLE_LIQUID = {"yes": True, "no": False}
#: problems the model reports on a whole block, shown at the block's first field
BLOCK_FIELDS = {"electrolyte": "solid_type", "electrolyte.phases": "phase_solid",
                "ratings": "max_power_w", "weight_loss_test": "wl_temperature_c",
                "weight_loss_test.visible_liquid": "wl_visible_liquid",
                "weight_loss_test.specimens": "specimen_1_before"}
_SPECIMEN_PATH = re.compile(r"weight_loss_test\.specimens\[(\d+)\](?:\.(mass_before_g|"
                            r"mass_after_g))?")

#: form field → its visible label, in the form's order (the error summary's order too)
FIELD_LABELS = {
    "dossier_file": "field_dossier_file",
    "id": "field_id", "manufacturer": "manufacturer", "model": "model",
    "phase_solid": "field_phases", "solid_type": "field_solid_type",
    "liquid_fraction": "field_liquid_fraction", "conducting_ion": "ion",
    "application": "application", "max_power_w": "field_max_power",
    "energy_1c_wh": "field_energy_1c", "wl_temperature_c": "field_temperature",
    "wl_duration_h": "field_duration", "wl_pressure_pa": "field_pressure",
    "wl_visible_liquid": "field_visible_liquid", "wl_balance_resolution_mg": "field_balance",
    "oven_log": "field_oven_log", "weighings": "field_weighings", "ruleset": "ruleset",
    "api_key": "field_api_key",
}

#: dossier path → the label of the form field (or section) where a person gives it; the
#: findings a page shows name these labels rather than the dossier's keys
PATH_LABELS = {
    **{path: FIELD_LABELS[name]
       for table in (TEXT_FIELDS, CHOICE_FIELDS, NUMBER_FIELDS) for name, path in table.items()},
    "electrolyte.phases": FIELD_LABELS["phase_solid"],
    "weight_loss_test.visible_liquid": FIELD_LABELS["wl_visible_liquid"],
    "weight_loss_test.specimens": "field_specimens",
    "weight_loss_test": "weight_loss",
    "ratings": "section_ion_application",
}

#: what a dossier needs at the least (the model's required keys): named when nothing is sent
REQUIRED_PATHS = ("id", "electrolyte.phases", "conducting_ion")

#: a number as a person types it: digits, one decimal point or comma, an exponent
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def form_number(text: str) -> float | None:
    """A typed number; a decimal comma ("48,2311") is a decimal point, as the CSV readers
    take it. ``None`` for anything else (a thousands separator, two commas, words)."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", "."))


def specimen_field(row: int, which: Literal["before", "after"]) -> str:
    """The form name of one specimen mass: row 1 is the first line of the table."""
    return f"specimen_{row}_{which}"


def specimen_fields() -> list[str]:
    return [specimen_field(row, which) for row in range(1, SPECIMEN_ROWS + 1)
            for which in ("before", "after")]


def field_for_path(path: str, specimen_rows: list[int]) -> str:
    """The form field a dossier path is typed into (``""`` when none is: the whole form).
    ``specimen_rows[i]`` is the table row the dossier's i-th specimen came from."""
    for table in (TEXT_FIELDS, CHOICE_FIELDS, NUMBER_FIELDS):
        for name, field_path in table.items():
            if field_path == path:
                return name
    match = _SPECIMEN_PATH.fullmatch(path)
    if match:
        index = int(match[1])
        row = specimen_rows[index] if index < len(specimen_rows) else index + 1
        return specimen_field(row, "after" if match[2] == "mass_after_g" else "before")
    return BLOCK_FIELDS.get(path, "")
