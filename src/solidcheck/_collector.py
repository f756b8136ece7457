"""The cyclic garbage collector paused around bulk work that makes many small acyclic objects.

Why: a batch conversion (rows, dossiers) or an audit of a text dense with claims (hits,
mentions, cues, findings) makes tens of thousands of objects; each few hundred trigger a
collection that walks everything kept so far — three to six times a conversion's own time,
10–20 % of an audit's (bench/batch.py, bench/audit.py). Nothing they make refers to itself, so
pausing the collector frees nothing later than it would.
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
