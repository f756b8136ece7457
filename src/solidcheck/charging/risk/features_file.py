"""A network's features joined with its labels in one Parquet file (``charging risk features
-o``): a large network is featurised once, then trained on and evaluated from the file.

The file is recognised by its columns (port_id and day), and checked against the features
and labels it must hold; the rule set and the inputs' sha256 it came from ride along in the
Parquet metadata, so a model card still names them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import ChargingInputError, Problem
from .features import CATEGORICAL, FEATURES

__all__ = ["FeaturesFile", "is_features_file", "read_features", "write_features"]

_KEYS: Final = ("port_id", "station_id", "operator", "day")
_META: Final = b"solidcheck.risk_features"


@dataclass(frozen=True, slots=True)
class FeaturesFile:
    """What a features file holds: features, labels, the rule set id, each input's sha256."""

    features: pl.DataFrame
    labels: pl.DataFrame
    ruleset: str | None
    inputs: dict[str, str]


def write_features(features: pl.DataFrame, labels: pl.DataFrame, path: Path, *,
                   ruleset: str, inputs: dict[str, str]) -> int:
    """Write the features with the labels of their port-days; the rows written."""
    joined = features.join(labels, on=["port_id", "day"], how="left")
    table = joined.to_arrow()
    meta = json.dumps({"ruleset": ruleset, "inputs": inputs}).encode()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META: meta})
    pq.write_table(table, path, compression="zstd")
    return joined.height


def is_features_file(path: Path) -> bool:
    """A Parquet file with port_id and day columns (a canonical table has no day)."""
    if not path.is_file() or path.suffix.lower() != ".parquet":
        return False
    try:
        names = pq.read_schema(path).names
    except (OSError, pa.ArrowException):
        return False
    return "port_id" in names and "day" in names


def read_features(path: Path) -> FeaturesFile:
    """The file's features and labels; every missing column in one error."""
    schema = pq.read_schema(path)
    names = set(schema.names)
    fix = "write it with `solidcheck charging risk features INPUT... -o FILE.parquet`"
    problems = [Problem(str(path), f"has no column {name!r}", fix)
                for name in (*_KEYS, *FEATURES, *CATEGORICAL, "next_failure_at")
                if name not in names]
    horizons = sorted(n for n in names if n.startswith("label_"))
    if not horizons:
        problems.append(Problem(str(path), "has no label column (label_24h, label_7d …)", fix))
    if problems:
        raise ChargingInputError(problems)
    frame = pl.read_parquet(path)
    meta = json.loads((schema.metadata or {}).get(_META, b"{}"))
    return FeaturesFile(frame.select(*_KEYS, *FEATURES, *CATEGORICAL),
                        frame.select("port_id", "day", *horizons, "next_failure_at"),
                        meta.get("ruleset"), dict(meta.get("inputs", {})))
