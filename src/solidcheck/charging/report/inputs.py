"""What ``charging report`` reads: a metrics JSON (``charging metrics --format json``) and a
folder of canonical tables (``charging ingest -o DIR``); a wrong file is one
ChargingInputError naming every problem and how to fix it."""

from __future__ import annotations

from pathlib import Path

from ..json_files import read_json_model
from ..results import ChargingMetrics

__all__ = ["read_metrics_json"]

_FIX = ("give the JSON `solidcheck charging metrics --format json` wrote "
        "(schema: `solidcheck schema charging-metrics`)")


def read_metrics_json(path: Path) -> ChargingMetrics:
    """A ChargingMetrics from its JSON file, validated against the published model."""
    return read_json_model(path, ChargingMetrics, field="file", fix=_FIX)
