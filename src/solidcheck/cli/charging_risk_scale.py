"""The risk data at scale for ``solidcheck charging risk``: ``--engine`` as ``charging
metrics`` has it (local, partitioned, dask, auto; charging/risk/partitioned.py), and a
features file (``charging risk features -o``) read in place of the inputs.

No import of charging_risk.py here: it imports this module.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import ChargingInputError, Problem
from .charging_compute import ENGINES, bucket_engine

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl
    import pyarrow as pa

    from ..charging.metrics_inputs import MetricsInputs
    from ..charging.rules import ChargingRuleset
    from ..i18n import Display

__all__ = ["Engine", "risk_data"]

#: rows of frames and events above which ``--engine auto`` splits the network: the in-memory
#: path peaks near 0.6 kB a row (bench/charging_risk.py), ~3 GB at this size
AUTO_ROWS = 5_000_000

Engine = Annotated[str, typer.Option(
    "--engine", metavar="|".join(ENGINES),
    help="local: in memory; partitioned: the frames and events split into station-hash "
    "buckets on disk, computed one at a time (bounded memory); dask: the buckets on a Dask "
    f"cluster; auto: partitioned above {AUTO_ROWS:,} frames and events.")]


def risk_data(inputs: Sequence[Path], ruleset: ChargingRuleset, *,
              start_day: date | None = None, end_day: date | None = None,
              engine: str = "local", scheduler: str | None = None,
              scratch: Path | None = None, lang: Display = "en",
              charge_point_id: str | None = None, ocpp_version: str | None = None,
              with_labels: bool = True
              ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """(features, labels, each input's sha256) of the inputs: a features file's own, else
    computed by ``engine`` (its problems are the caller's: engine_problems). Without
    ``with_labels`` (scoring needs none) the labels are not computed: an empty frame."""
    import polars as pl

    from ..charging.metrics_inputs import read_metrics_inputs
    from ..charging.risk import port_day_features, port_day_labels
    from ..charging.risk.features_file import is_features_file
    from ..charging.risk.partitioned import SPLIT_TABLES

    if any(is_features_file(p) for p in inputs):
        return _from_file(inputs, ruleset, start_day=start_day, end_day=end_day)
    parquet = [p for p in inputs if p.is_file() and p.suffix.lower() == ".parquet"]
    if parquet:  # a canonical table alone, or another Parquet file: read as a log, it fails
        raise ChargingInputError([Problem(
            str(p), "is a Parquet file but not a features file (it has no port_id and day "
            "columns)", "give the file `charging risk features -o` wrote, or the folder "
            "`charging ingest -o` wrote") for p in parquet])
    split = engine != "local"
    read = read_metrics_inputs(list(inputs), on_disk=tuple(SPLIT_TABLES) if split else (),
                               charge_point_id=charge_point_id, ocpp_version=ocpp_version)
    sha = {i.file: i.sha256 for i in read.inputs}
    if not split or (engine == "auto" and _rows(read) <= AUTO_ROWS):
        tables = _whole(read)
        return (port_day_features(tables, ruleset, start_day=start_day, end_day=end_day),
                port_day_labels(tables, ruleset) if with_labels else pl.DataFrame(), sha)
    from ..charging.risk.partitioned import partitioned_risk

    sources: dict[str, list[Path | pa.Table]] = {
        name: [*read.files_on_disk.get(name, ())] for name in SPLIT_TABLES}
    for name in SPLIT_TABLES:
        if read.tables[name].num_rows:
            sources[name].append(read.tables[name])
    small = {n: t for n, t in read.tables.items() if n not in SPLIT_TABLES}
    with bucket_engine(engine, scheduler, lang, label="charging.risk.buckets") as (
            mapper, on_bucket):
        features, found = partitioned_risk(sources, small, ruleset, start_day=start_day,
                                           end_day=end_day, scratch=scratch, mapper=mapper,
                                           on_bucket=on_bucket, with_labels=with_labels)
    return features, found, sha


def _rows(read: MetricsInputs) -> int:
    """Rows of the split tables, in memory and on disk."""
    import pyarrow.parquet as pq

    on_disk = sum(int(pq.ParquetFile(f).metadata.num_rows)
                  for files in read.files_on_disk.values() for f in files)
    return int(on_disk + sum(read.tables[name].num_rows for name in read.files_on_disk))


def _whole(read: MetricsInputs) -> dict[str, pa.Table]:
    """The tables with the ones left on disk read in."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return {name: pa.concat_tables([table, *(pq.read_table(f).select(table.schema.names)
                                             .cast(table.schema)
                                             for f in read.files_on_disk.get(name, ()))])
            for name, table in read.tables.items()}


def _from_file(inputs: Sequence[Path], ruleset: ChargingRuleset, *, start_day: date | None,
               end_day: date | None) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """A features file's frames, from ``start_day`` to ``end_day``; every problem in one
    error."""
    import polars as pl

    from ..charging.risk.features_file import read_features

    problems: list[Problem] = []
    if len(inputs) > 1:
        problems.append(Problem("inputs", "a features file is read alone",
                                "give either the features file or the inputs, not both"))
    try:
        read = read_features(inputs[0])
    except ChargingInputError as exc:
        raise ChargingInputError([*problems, *exc.problems]) from None
    if read.ruleset is not None and read.ruleset != ruleset.id:
        problems.append(Problem(str(inputs[0]), f"was computed under rule set {read.ruleset!r}, "
                                f"not {ruleset.id!r}", f"use --ruleset {read.ruleset}, or "
                                "write the features again under this rule set"))
    days = read.features.get_column("day")
    first, last = days.min(), days.max()
    if not isinstance(first, date) or not isinstance(last, date):
        raise ChargingInputError([*problems, Problem(str(inputs[0]), "holds no port-day",
                                                     "write it from a network's inputs")])
    problems += [Problem("--day", f"{value.isoformat()} is not a day of the features file "
                         f"({first} to {last})", "give a day within the file")
                 for value in sorted({d for d in (start_day, end_day) if d is not None})
                 if not first <= value <= last]
    if problems:
        raise ChargingInputError(problems)
    features = read.features
    if start_day is not None or end_day is not None:
        features = features.filter(pl.col("day").is_between(start_day or first,
                                                            end_day or last))
    return features, read.labels, read.inputs or {str(inputs[0]): _sha256(inputs[0])}


def _sha256(path: Path) -> str:
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
