"""The vectorised classifier: ``classify_table`` takes a dossier table through the input
columns, what every rule set shares, each rule set's decision, the findings and the result
columns; the rows whose exact result is not proved are decided one by one by ``classify``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ...classify import classify
from ...errors import DossierError
from ...rules import Ruleset
from .._exact import Ints
from ..table import conform, table_to_dossiers
from .decision import Constants, Decision
from .findings import assemble_findings, finding_slots, mass_gains, param_columns
from .inputs import Rows, invalid_rows
from .results import result_columns, result_row, results_schema
from .shared import Shared

__all__ = ["classify_table", "rows_decided_one_by_one"]


def classify_table(table: pa.Table | pa.RecordBatch, rulesets: Sequence[Ruleset], *,
                   findings: bool = True, first_row: int = 1) -> pa.Table:
    """Classify every row of a dossier table (docs/batch.md) under every rule set.

    One output row per input row, in order; the columns of :data:`RESULT_FIELDS` for each
    rule set side by side; the findings as message ids and parameters (``batch.render``
    writes their text). ``findings=False`` leaves them out when only the outcome is wanted —
    what changes when one rule set replaces another.

    The table is read in the dossier table's schema (``table.conform``: Polars' or pandas'
    types are cast, absent optional columns are null). A row that is not a valid dossier
    raises one DossierError for all of them, rows numbered from ``first_row`` (a batch's
    place in a stream); nothing is classified then.
    """
    rules = list(rulesets)
    if not rules:
        raise ValueError("classify_table needs at least one rule set")
    table = conform(table, source="dossier table", first_row=first_row)
    schema = results_schema([r.id for r in rules], findings=findings)
    rows = Rows.read(table)
    problems = invalid_rows(table, rows, first_row)
    if problems:
        raise DossierError(problems, source="dossier table")
    shared = Shared.compute(rows)
    decisions = [Decision.compute(rows, shared, Constants.of(r)) for r in rules]
    unproved = np.zeros(rows.n, dtype=bool)
    for decision in decisions:
        unproved |= decision.unproved
    columns: list[pa.Array] = [rows.ids]
    if findings:
        params = param_columns(rows, shared, decisions)
        gains = mass_gains(rows, shared)
    for j, decision in enumerate(decisions):
        columns += result_columns(rows, shared, decision)
        if findings:
            slots = finding_slots(j, rows, decision, gains)
            columns.append(assemble_findings(rows.n, slots, params, rules[j]))
    out = pa.Table.from_arrays(columns, schema=schema)
    flagged = np.flatnonzero(unproved)
    if flagged.size:
        out = _with_exact_rows(out, table, flagged, rules, schema)
    return out


def rows_decided_one_by_one(table: pa.Table | pa.RecordBatch,
                            rulesets: Sequence[Ruleset]) -> Ints:
    """The rows ``classify_table`` hands to ``classify`` because their exact result is not
    proved in vectorised arithmetic (for benchmarks and tests: it should be almost none)."""
    rows = Rows.read(conform(table))
    shared = Shared.compute(rows)
    unproved = np.zeros(rows.n, dtype=bool)
    for ruleset in rulesets:
        unproved |= Decision.compute(rows, shared, Constants.of(ruleset)).unproved
    return np.flatnonzero(unproved)


# --- rows decided one by one ---------------------------------------------------------------

def _with_exact_rows(out: pa.Table, table: pa.Table, flagged: Ints, rules: list[Ruleset],
                     schema: pa.Schema) -> pa.Table:
    """``out`` with the flagged rows replaced by ``classify`` of their dossiers."""
    dossiers = list(table_to_dossiers(table.take(pa.array(flagged))))
    exact_rows: dict[str, list[object]] = {name: [] for name in schema.names}
    prefix = len(rules) > 1
    for dossier in dossiers:
        exact_rows["id"].append(dossier.id)
        for ruleset in rules:
            result = classify(dossier, ruleset)
            for name, value in result_row(result).items():
                column = f"{ruleset.id}.{name}" if prefix else name
                if column in exact_rows:
                    exact_rows[column].append(value)
    replacement = pa.Table.from_pydict(exact_rows, schema=schema)
    pieces, start = [], 0
    for i, row in enumerate(flagged.tolist()):  # slices share the buffers: no copy
        pieces += [out.slice(start, row - start), replacement.slice(i, 1)]
        start = row + 1
    pieces.append(out.slice(start))
    return pa.concat_tables(pieces).combine_chunks() if len(pieces) > 64 else pa.concat_tables(
        pieces)
