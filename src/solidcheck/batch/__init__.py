"""Dossiers at scale: the columnar dossier table (``table``), a synthetic population for
benchmarks and demos (``synth``) and the vectorised classifier (``vector``), run on one
machine (``run``) or on a Dask cluster (``dask_engine``).

The table's names are imported with the package; the engines (Polars, Dask) on first use.

Everything here wraps the same core: a table row is valid exactly when it is a valid
:class:`~solidcheck.model.Dossier` (docs/batch.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
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

if TYPE_CHECKING:
    from .dask_engine import classify_on_dask
    from .run import classify_file
    from .summary import BatchSummary
    from .synth import synthesize
    from .vector import classify_table

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DOSSIER_TABLE_SCHEMA",
    "SPECIMENS_CSV_SCHEMA",
    "BatchSummary",
    "TableFormat",
    "TableWriter",
    "classify_file",
    "classify_on_dask",
    "classify_table",
    "conform",
    "dossier_mappings",
    "dossiers_to_table",
    "iter_batches",
    "read_table",
    "specimens_csv_path",
    "synthesize",
    "table_format",
    "table_to_dossiers",
    "write_table",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "classify_on_dask": ".dask_engine", "classify_file": ".run", "BatchSummary": ".summary",
    "synthesize": ".synth", "classify_table": ".vector"}, globals())
