"""Oven and thermobalance logs as delimited text (CSV, TSV, TXT), in any lab's dialect.

A log needs a time column (a number with its unit, ISO 8601 date-times or ``H:MM:SS``) and
a temperature column; pressure and mass are read when present. A log without pressure is
still readable — the analysis then says the vacuum cannot be judged. Rows that cannot be
read are left out and each is reported by its line (see docs/readers.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ._base import Reading, ReadingKind
from ._headers import OVEN_FIELDS, OVEN_REQUIRED
from ._sniffing import sniff_text_layout
from ._text_table import read_text_table

__all__ = ["OvenCsvReader"]

_LOGGED = frozenset({"temperature_c", "pressure_pa", "mass_g"})


class OvenCsvReader:
    """Delimited text with a recognisable time and temperature header."""

    name: ClassVar[str] = "oven-csv"
    description: ClassVar[str] = "an oven or thermobalance log in CSV/text"
    kind: ClassVar[ReadingKind] = "oven_log"
    extensions: ClassVar[tuple[str, ...]] = (".csv", ".txt", ".tsv")
    extra: ClassVar[str | None] = None
    requires: ClassVar[str | None] = None

    def can_read(self, head: bytes, path: Path) -> bool:
        """Text whose header has a time column and a temperature (or at least a pressure or
        mass) column: a log lacking its temperature is still claimed, so that reading it
        says "no temperature column" instead of "unknown format"."""
        sniffed = sniff_text_layout(head, OVEN_FIELDS, OVEN_REQUIRED, truncated=True)
        if sniffed is None or sniffed[0] is None:
            return False
        channels = {column.channel for column in sniffed[0].columns}
        return "time_s" in channels and bool(channels & _LOGGED)

    def read(self, path: Path) -> Reading:
        from . import build_reading

        result = read_text_table(path, fields=OVEN_FIELDS, required=OVEN_REQUIRED,
                                 what="oven log")
        return build_reading(
            self, path, result.table, metadata=result.metadata, origins=result.origins,
            notes=result.notes, problems=result.problems, started_at=result.started_at,
        )
