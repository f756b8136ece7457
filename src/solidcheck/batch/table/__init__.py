"""The dossier table (docs/batch.md): ``model.py`` the table itself — its Arrow schema,
dossiers ↔ table, a foreign table conformed, problems by row —, ``files.py`` its files —
Parquet, CSV with specimens, JSON Lines; read, streamed and written.

This is the table's public surface; the rest of the package is internal.
"""

from __future__ import annotations

from .files import (
    DEFAULT_ROW_GROUP_ROWS,
    TableFormat,
    TableWriter,
    iter_batches,
    list_positions,
    read_table,
    specimens_csv_path,
    table_format,
    write_table,
)
from .model import (
    DEFAULT_BATCH_ROWS,
    DOSSIER_TABLE_SCHEMA,
    MAX_REPORTED_ROWS,
    SPECIMEN_TYPE,
    SPECIMENS_CSV_SCHEMA,
    capped,
    conform,
    counts_unlisted_rows,
    dossier_mappings,
    dossiers_to_table,
    row_of,
    table_to_dossiers,
)

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_ROW_GROUP_ROWS",
    "DOSSIER_TABLE_SCHEMA",
    "MAX_REPORTED_ROWS",
    "SPECIMENS_CSV_SCHEMA",
    "SPECIMEN_TYPE",
    "TableFormat",
    "TableWriter",
    "capped",
    "conform",
    "counts_unlisted_rows",
    "dossier_mappings",
    "dossiers_to_table",
    "iter_batches",
    "list_positions",
    "read_table",
    "row_of",
    "specimens_csv_path",
    "table_format",
    "table_to_dossiers",
    "write_table",
]
