"""The result columns: their types (:data:`RESULT_FIELDS`, repeating strings as
dictionaries), the schema of several rule sets side by side, the columns of one rule set's
decision, and a Result as the values of a row."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ...code import CodeFields, encode_code
from ...model import APPLICATIONS, CATEGORIES, IONS, SOLID_TYPES, Application, Result
from .._exact import Bools
from .decision import SOLID, Decision
from .inputs import Rows
from .shared import Shared

__all__ = ["FINDING_TEXT_TYPE", "FINDING_TYPE", "RESULT_FIELDS", "WORDS", "result_columns",
           "result_row", "results_schema", "words"]

WORDS = pa.dictionary(pa.int32(), pa.large_string())
"""Strings that repeat (a category, a code, a rule, most messages) are dictionary-encoded:
each distinct text is stored once per batch, which makes the output several times smaller
and spares copying every message into place."""
FINDING_TYPE = pa.struct([pa.field("severity", WORDS), pa.field("rule", WORDS),
                          pa.field("message_id", WORDS),
                          pa.field("params", pa.large_string()),
                          pa.field("source", WORDS), pa.field("clause", WORDS)])
"""A finding as data: its message id in the catalogue, its parameters as a JSON object
(numbers that read back as the same floats), the rule's source and clause (or reason)."""
FINDING_TEXT_TYPE = pa.struct([*FINDING_TYPE, pa.field("message", pa.large_string())])
"""A finding with its text (``--findings text``), in the language asked for."""
RESULT_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("category", WORDS),
    ("electrolyte_type", WORDS),
    ("conducting_ion", WORDS),
    ("application", WORDS),
    ("application_basis", WORDS),
    ("power_energy_ratio_w_per_wh", pa.float64()),
    ("weight_loss.percent", pa.float64()),
    ("weight_loss.passed", pa.bool_()),
    ("weight_loss.conditions_valid", pa.bool_()),
    ("weight_loss.margin_percent", pa.float64()),
    ("weight_loss.uncertainty_percent", pa.float64()),
    ("code", WORDS),
    ("findings", pa.large_list(FINDING_TYPE)),
)
"""The result columns of one rule set (prefixed ``<rule-set id>.`` when there are several)."""


def results_schema(ruleset_ids: Sequence[str], *, findings: bool = True) -> pa.Schema:
    """The schema of ``classify_table``'s output for these rule sets, in this order."""
    prefix = len(ruleset_ids) > 1
    fields = [pa.field("id", pa.string())]
    for rid in ruleset_ids:
        fields += [pa.field(f"{rid}.{name}" if prefix else name, kind)
                   for name, kind in RESULT_FIELDS if findings or name != "findings"]
    return pa.schema(fields)


@functools.cache
def _code_table(ruleset_id: str) -> tuple[str, ...]:
    """Every code of a rule set: categories 0–3 (not solid-state), then solid-state by
    (electrolyte, ion, application or none)."""
    codes = [encode_code(CodeFields(category=cat, ruleset=ruleset_id)) if cat != "solid_state"
             else "" for cat in CATEGORIES]
    apps: list[Application | None] = [*APPLICATIONS, None]
    for solid_type in SOLID_TYPES:
        for ion in IONS:
            for app in apps:
                codes.append(encode_code(CodeFields(
                    category="solid_state", electrolyte_type=solid_type, conducting_ion=ion,
                    application=app, ruleset=ruleset_id)))
    return tuple(codes)


def words(values: Sequence[str], index: npt.NDArray[np.integer[Any]] | pa.Array,
           valid: Bools | None = None) -> pa.Array:
    """``values[index]`` as a dictionary array (:data:`WORDS`), null where not ``valid``."""
    indices = index if isinstance(index, pa.Array) else pa.array(
        index.astype(np.int32, copy=False), mask=None if valid is None else ~valid)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(values), pa.large_string()))


def result_columns(rows: Rows, shared: Shared, d: Decision) -> list[pa.Array]:
    """The result columns of one rule set but the findings."""
    c = d.constants
    solid = d.category == SOLID
    tested = rows.tested
    apps = len(APPLICATIONS) + 1
    app_code = np.where(d.application >= 0, d.application, len(APPLICATIONS))
    code_index = np.where(solid, len(CATEGORIES) + (rows.solid_type * len(IONS) + rows.ion)
                          * apps + app_code, d.category)
    basis = np.where(rows.application >= 0, 0, 1)
    return [
        words(CATEGORIES, d.category),
        words(SOLID_TYPES, np.maximum(rows.solid_type, 0), solid),
        words(IONS, np.maximum(rows.ion, 0), solid),
        words(APPLICATIONS, np.maximum(d.application, 0), d.application >= 0),
        words(("declared", "power_energy_ratio"), basis, d.application >= 0),
        pa.array(shared.ratio_float, pa.float64(), mask=~rows.rated),
        pa.array(d.percent, pa.float64(), mask=~tested),
        pa.array(d.passed, pa.bool_(), mask=~(tested & d.conditions_valid)),
        pa.array(d.conditions_valid, pa.bool_(), mask=~tested),
        pa.array(d.margin, pa.float64(), mask=~tested),
        pa.array(d.uncertainty, pa.float64(), mask=~rows.resolved),
        words(_code_table(c.ruleset.id), code_index),
    ]


def result_row(result: Result) -> dict[str, Any]:
    """A Result as the values of :data:`RESULT_FIELDS` (one rule set's part of a row); the
    findings' parameters as the JSON the findings column holds."""
    wl = result.weight_loss
    return {
        "category": result.category,
        "electrolyte_type": result.electrolyte_type,
        "conducting_ion": result.conducting_ion,
        "application": result.application,
        "application_basis": result.application_basis,
        "power_energy_ratio_w_per_wh": result.power_energy_ratio_w_per_wh,
        "weight_loss.percent": wl.percent if wl else None,
        "weight_loss.passed": wl.passed if wl else None,
        "weight_loss.conditions_valid": wl.conditions_valid if wl else None,
        "weight_loss.margin_percent": wl.margin_percent if wl else None,
        "weight_loss.uncertainty_percent": wl.uncertainty_percent if wl else None,
        "code": result.code,
        "findings": [{"severity": f.severity, "rule": f.rule, "message_id": f.message_id,
                      "params": json.dumps(f.params, separators=(",", ":")),
                      "source": f.source, "clause": f.clause}
                     for f in result.findings],
    }
