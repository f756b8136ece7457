"""The cyclic garbage collector paused around the audit's bulk work.

Why: reading a text dense with claims makes tens of thousands of small acyclic objects (hits,
candidates, mentions, cues, findings); each few hundred trigger a collection that walks what
is kept so far, 10–20 % of the audit's time on press releases (bench/audit.py). Nothing the
audit makes refers to itself, so pausing the collector frees nothing later than it would.
The same pause as ``batch.table.model.without_gc`` (a sibling layer: not importable here).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector; restore it as it was (a caller who had paused it keeps it so)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
