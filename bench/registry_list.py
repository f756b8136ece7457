"""Benchmark: a page of the registry's cell list (``GET /v1/cells``, ``Registry.list_cells``)
and of the search desk (``Registry.search_cells``) on a registry of many cells, with the
index of results by dossier version (migration 0007) and, as the baseline in the same
process, without it.

Fills an SQLite registry with ``--cells`` copies of the examples (distinct ids), then times
the first page (50 cells) of each read, best of ``--repeat``. Prints one JSON object with the
ratio of the baseline's time to the indexed one; nothing here is asserted.

    python bench/registry_list.py [--cells 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import track

from solidcheck import __version__
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry, SearchQuery

EXAMPLES = Path(__file__).parents[1] / "examples"
INDEX = "ix_results_version_ruleset"


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def fill(registry: Registry, cells: int) -> None:
    """``cells`` cells: the examples' dossiers under numbered ids."""
    dossiers = [load_dossier(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    for number in track(range(cells), description="filling the registry", transient=True):
        dossier = dossiers[number % len(dossiers)]
        registry.submit(dossier.model_copy(update={"id": f"BENCH-{number:06d}"}),
                        actor="bench")


def timings(registry: Registry, repeat: int) -> dict[str, float]:
    return {
        "list_cells_s": round(best_of(repeat, lambda: registry.list_cells(limit=50)), 4),
        "search_cells_s": round(best_of(
            repeat, lambda: registry.search_cells(SearchQuery(), limit=50)), 4),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "registry.sqlite3"
        url = f"sqlite:///{database}"
        registry = Registry.open(url, create=True)
        fill(registry, args.cells)
        indexed = timings(registry, args.repeat)
        with sqlite3.connect(database) as connection:
            connection.execute(f"DROP INDEX {INDEX}")
        baseline = timings(registry, 1)
        registry.close()
    report = {
        "benchmark": "registry_list_page",
        "solidcheck": __version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cells": args.cells,
        "indexed": indexed,
        "baseline_without_index": baseline,
        "ratio_list_cells": round(baseline["list_cells_s"] / indexed["list_cells_s"], 1),
        "ratio_search_cells": round(baseline["search_cells_s"] / indexed["search_cells_s"], 1),
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
