"""Dossiers at scale: the columnar dossier table (``table``), a synthetic population for
benchmarks and demos (``synth``) and the vectorised classifier (``vector``).

Everything here wraps the same core: a table row is valid exactly when it is a valid
:class:`~solidcheck.model.Dossier` (docs/batch.md).
"""

from __future__ import annotations

from .table import (
    DEFAULT_BATCH_ROWS,
    DOSSIER_TABLE_SCHEMA,
    SPECIMENS_CSV_SCHEMA,
    TableFormat,
    TableWriter,
    conform,
    dossier_mappings,
    dossiers_to_table,
    iter_batches,
    read_table,
    specimens_csv_path,
    table_format,
    table_to_dossiers,
    write_table,
)

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DOSSIER_TABLE_SCHEMA",
    "SPECIMENS_CSV_SCHEMA",
    "TableFormat",
    "TableWriter",
    "conform",
    "dossier_mappings",
    "dossiers_to_table",
    "iter_batches",
    "read_table",
    "specimens_csv_path",
    "table_format",
    "table_to_dossiers",
    "write_table",
]
