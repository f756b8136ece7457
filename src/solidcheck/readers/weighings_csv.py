"""Specimen weighings before and after the 120 °C vacuum test, one row per specimen.

Every specimen counts towards the weight-loss result, so unlike a log (where one bad row
among thousands can be left out) any unreadable row here is an error naming its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ._base import Reading, ReadingKind
from ._headers import WEIGHING_FIELDS, WEIGHING_REQUIRED
from ._sniffing import sniff_text_layout
from ._text_table import read_text_table

__all__ = ["WeighingsCsvReader"]


class WeighingsCsvReader:
    """A CSV with mass-before and mass-after columns (and optionally specimen ids)."""

    name: ClassVar[str] = "weighings-csv"
    description: ClassVar[str] = "specimen weighings (CSV)"
    kind: ClassVar[ReadingKind] = "weighings"
    extensions: ClassVar[tuple[str, ...]] = (".csv",)
    extra: ClassVar[str | None] = None
    requires: ClassVar[str | None] = None

    def can_read(self, head: bytes, path: Path) -> bool:
        sniffed = sniff_text_layout(head, WEIGHING_FIELDS, WEIGHING_REQUIRED, truncated=True)
        return sniffed is not None and sniffed[0] is not None and sniffed[0].complete

    def read(self, path: Path) -> Reading:
        from . import build_reading

        result = read_text_table(path, fields=WEIGHING_FIELDS, required=WEIGHING_REQUIRED,
                                 what="weighings table", bad_rows_fatal=True)
        return build_reading(
            self, path, result.table, metadata=result.metadata, origins=result.origins,
            notes=result.notes, problems=result.problems, started_at=result.started_at,
        )
