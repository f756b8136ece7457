"""What ``solidcheck charging metrics`` reads before computing: input files through
``ingest``, folders written by ``charging ingest`` (their Parquet tables), the period bounds
and the rule sets. Every problem of every input is gathered into one ChargingInputError."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ChargingInputError, InvalidInputError, Problem, UnknownRulesetError
from .ingest import ingest, read_tables
from .model import TABLES
from .results import InputFile
from .rules import ChargingRuleset, available_charging_rulesets, load_charging_ruleset

__all__ = ["DEFAULT_FIRST", "MetricsInputs", "default_rulesets", "input_files",
           "parse_bound", "read_metrics_inputs", "rulesets_named"]

#: the rule set listed first by default: its availability is the top-level one
DEFAULT_FIRST = "cn-alliance-wp-2026"


@dataclass(frozen=True, slots=True)
class MetricsInputs:
    """The canonical tables; ``port_event_files``: the folders' port events left on disk
    (``read_metrics_inputs(..., port_events_on_disk=True)``), not in ``tables``;
    ``files_on_disk``: each table left on disk (``on_disk``) → the folders' files of it."""

    tables: dict[str, pa.Table]
    inputs: tuple[InputFile, ...]
    port_event_files: tuple[Path, ...] = ()
    files_on_disk: dict[str, tuple[Path, ...]] = field(default_factory=dict)

    @property
    def port_events(self) -> int:
        """How many port events there are, in the tables and on disk."""
        on_disk = sum(pq.ParquetFile(f).metadata.num_rows for f in self.port_event_files)
        return int(self.tables["port_events"].num_rows + on_disk)


def default_rulesets() -> list[ChargingRuleset]:
    """Every installed rule set, the white paper's first."""
    return sorted(available_charging_rulesets(), key=lambda r: (r.id != DEFAULT_FIRST, r.id))


def parse_bound(option: str, text: str | None, problems: list[Problem]) -> datetime | None:
    """An ISO 8601 time with its offset; a problem (not an exception) otherwise."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        problems.append(Problem(option, f"{text!r} is not an ISO 8601 time",
                                "write e.g. 2026-06-01T00:00:00+08:00"))
        return None
    if value.utcoffset() is None:
        problems.append(Problem(option, f"{text!r} has no UTC offset",
                                "add one, e.g. 2026-06-01T00:00:00+08:00 or …Z"))
        return None
    return value


def rulesets_named(names: Sequence[str], problems: list[Problem]) -> list[ChargingRuleset]:
    if not names:
        return default_rulesets()
    found = []
    for name in names:
        try:
            found.append(load_charging_ruleset(name))
        except (UnknownRulesetError, InvalidInputError) as exc:
            problems.append(Problem("--ruleset", str(exc).splitlines()[0],
                                    "see `solidcheck charging rulesets`, or give a .toml file"))
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _canonical(folder: Path) -> bool:
    return any((folder / f"{name}.parquet").is_file() for name in TABLES)


#: files a folder of raw inputs may hold beside them: ``charging synth``'s truth and notes
_NOT_INPUTS = frozenset({"truth.json", "readme.md", "readme.txt", "readme"})


def input_files(paths: Sequence[Path]) -> list[Path]:
    """The paths with each folder of raw inputs replaced by its files (for ``ingest``, which
    reads files only); every empty folder in one error."""
    problems: list[Problem] = []
    found: list[Path] = []
    for path in paths:
        found += _raw_files(path, problems) if path.is_dir() else [path]
    if problems:
        raise ChargingInputError(problems)
    return found


def _raw_files(folder: Path, problems: list[Problem]) -> list[Path]:
    """A folder without canonical tables (one ``charging synth`` wrote, or an operator's
    export): its files, each read as if named on the command line."""
    found = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.name.lower() not in _NOT_INPUTS)
    if not found:
        problems.append(Problem(str(folder), "holds no input files and none of the canonical "
                                f"tables ({', '.join(TABLES)})",
                                "give OCPP logs, IRVE or session files, or the folder "
                                "`solidcheck charging ingest -o DIR` or `charging synth` wrote"))
    return found


def _folder(path: Path, problems: list[Problem], *, on_disk: dict[str, list[Path]]
            ) -> tuple[dict[str, pa.Table], list[InputFile]]:
    """The folder's tables; those named in ``on_disk`` are listed there, not read."""
    skip = tuple(on_disk)
    try:
        tables = read_tables(path, skip=skip)
    except ChargingInputError as exc:
        problems += exc.problems
        return {}, []
    inputs = []
    for name in TABLES:
        file = path / f"{name}.parquet"
        if not file.is_file():
            continue
        rows = tables[name].num_rows
        if name in on_disk:
            on_disk[name].append(file)
            rows = pq.ParquetFile(file).metadata.num_rows
        inputs.append(InputFile(file=str(file), sha256=_sha256(file), format=f"parquet {name}",
                                rows=rows, rejected=0))
    return tables, inputs


def read_metrics_inputs(paths: Sequence[Path], *, charge_point_id: str | None = None,
                        ocpp_version: str | None = None,
                        port_events_on_disk: bool = False,
                        on_disk: Sequence[str] = ()) -> MetricsInputs:
    """The canonical tables of every input: files are ingested, folders read (with
    ``port_events_on_disk``, but for their port events; with ``on_disk``, but for those
    tables: see MetricsInputs)."""
    problems: list[Problem] = []
    parts: list[dict[str, pa.Table]] = []
    inputs: list[InputFile] = []
    left: dict[str, list[Path]] = {name: [] for name in on_disk}
    if port_events_on_disk:
        left.setdefault("port_events", [])
    files = [p for p in paths if not p.is_dir()]
    for folder in (p for p in paths if p.is_dir()):
        if not _canonical(folder):
            files += _raw_files(folder, problems)
            continue
        tables, read = _folder(folder, problems, on_disk=left)
        parts.append(tables)
        inputs += read
    missing = [p for p in files if not p.exists()]
    problems += [Problem(str(p), "no such file or folder", "check the path") for p in missing]
    files = [p for p in files if p.exists()]
    if files:
        try:
            result = ingest(files, charge_point_id=charge_point_id, ocpp_version=ocpp_version)
        except ChargingInputError as exc:
            problems += exc.problems
        else:
            parts.append(result.tables)
            rejected = result.tables["rejected"]
            for item in result.inputs:
                reasons = [r for s, r in zip(rejected.column("source").to_pylist(),
                                             rejected.column("reason").to_pylist(), strict=True)
                           if s == item.source]
                inputs.append(InputFile(
                    file=item.source, sha256=item.sha256, format=item.format,
                    rows=item.frames if item.ocpp_version is not None else item.rows,
                    rejected=item.rejected,
                    rejected_reasons={r: reasons.count(r) for r in sorted(set(reasons))}))
    if problems:
        raise ChargingInputError(problems)
    tables = {name: pa.concat_tables([part[name] for part in parts if name in part]
                                     or [schema.empty_table()])
              for name, schema in TABLES.items()}
    return MetricsInputs(tables, tuple(inputs), tuple(left.get("port_events", ())),
                         {name: tuple(files) for name, files in left.items()})
