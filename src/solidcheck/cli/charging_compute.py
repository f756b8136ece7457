"""The charging metrics of the inputs, as ``charging metrics`` and ``charging report``
compute them: in memory, or in port-hash buckets one at a time or on Dask (``--engine``);
``charging risk`` shares the engine's choices and progress bar."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from ..errors import ChargingInputError, MissingDependencyError, Problem
from .common import say

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime
    from pathlib import Path

    import pyarrow as pa

    from ..charging.metrics_inputs import MetricsInputs
    from ..charging.partitioned import Mapper
    from ..charging.results import ChargingMetrics
    from ..charging.rules import ChargingRuleset
    from ..i18n import Display

__all__ = ["AUTO_EVENTS", "ENGINES", "bucket_engine", "computed", "engine_problems"]


def computed(inputs: Sequence[Path], *, inventory: Sequence[Path] = (),
             tickets: Sequence[Path] = (), period_from: str | None = None,
             period_to: str | None = None, rulesets: Sequence[str] = (),
             charge_point: str | None = None, ocpp_version: str | None = None,
             lang: Display = "en", problems: list[Problem] | None = None,
             engine: str = "local", scheduler: str | None = None,
             scratch: Path | None = None,
             ) -> tuple[ChargingMetrics, dict[str, pa.Table]]:
    """The metrics of the inputs and the canonical tables they came from; every problem of
    the options (``problems``, gathered by the caller) and of every input in one error.
    ``engine``: see :func:`engine_run` (the tables returned then hold no port events of the
    folders, which stay on disk)."""
    try:
        import polars  # noqa: F401  (the metrics' engine; say so before any work)
    except ImportError as exc:
        raise MissingDependencyError("The charging metrics", extra="charging",
                                     package=exc.name or "polars") from exc
    from ..charging.metrics import compute_metrics
    from ..charging.metrics_inputs import parse_bound, read_metrics_inputs, rulesets_named

    problems = [] if problems is None else problems
    start = parse_bound("--from", period_from, problems)
    end = parse_bound("--to", period_to, problems)
    chosen = rulesets_named(rulesets, problems)
    engine_problems(engine, scheduler, problems)
    try:
        read = read_metrics_inputs([*inputs, *inventory, *tickets],
                                   charge_point_id=charge_point, ocpp_version=ocpp_version,
                                   port_events_on_disk=engine != "local")
    except ChargingInputError as exc:
        raise ChargingInputError([*problems, *exc.problems]) from None
    if problems:
        raise ChargingInputError(problems)
    if engine == "local" or (engine == "auto" and read.port_events <= AUTO_EVENTS
                             and not read.port_event_files):
        result = compute_metrics(read.tables, chosen, period_from=start, period_to=end,
                                 inputs=read.inputs, lang=lang)
        return result, read.tables
    import pyarrow as pa

    if engine == "auto" and read.port_events <= AUTO_EVENTS:
        import pyarrow.parquet as pq

        tables = {**read.tables, "port_events": pa.concat_tables(
            [read.tables["port_events"], *(pq.read_table(f) for f in read.port_event_files)])}
        return compute_metrics(tables, chosen, period_from=start, period_to=end,
                               inputs=read.inputs, lang=lang), tables
    return engine_run(read, chosen, engine=engine, scheduler=scheduler, scratch=scratch,
                      period_from=start, period_to=end, lang=lang), read.tables


#: ``--engine``: local (in memory), partitioned (port-hash buckets on disk, one at a time),
#: dask (the buckets on a Dask cluster), auto (partitioned above AUTO_EVENTS port events)
ENGINES = ("auto", "local", "partitioned", "dask")
AUTO_EVENTS = 20_000_000


def engine_problems(engine: str, scheduler: str | None, problems: list[Problem]) -> None:
    """The problems of ``--engine`` and ``--scheduler`` (``charging metrics`` and ``charging
    risk`` say them alike)."""
    if engine not in ENGINES:
        problems.append(Problem("--engine", f"unknown engine {engine!r}",
                                "use " + ", ".join(ENGINES)))
    if scheduler is not None and engine != "dask":
        problems.append(Problem("--scheduler", "a scheduler is for --engine dask",
                                "add --engine dask, or leave --scheduler out"))


@contextmanager
def bucket_engine(engine: str, scheduler: str | None, lang: Display, *,
                  label: str = "charging.metrics.buckets"
                  ) -> Iterator[tuple[Mapper | None, Callable[[int], None]]]:
    """The mapper of ``engine`` (None: the buckets one after another; dask: on a Dask
    client) and an ``on_bucket`` showing a progress bar (``label``) on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if engine == "dask":
        try:
            from ..charging.dask_engine import dask_mapper
            from ..daskclient import dask_client
        except ImportError as exc:
            raise MissingDependencyError("The Dask engine", extra="dask",
                                         package=exc.name or "dask") from exc
        context: Any = dask_client(scheduler)
    else:
        context = nullcontext()
    console = Console(stderr=True)
    shown = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=console, transient=True,
                     disable=not console.is_terminal)
    with context as client, shown as progress:
        task = progress.add_task(say(label, lang), total=None)

        def on_bucket(step: int) -> None:
            if step < 0:
                progress.update(task, total=-step)
            else:
                progress.advance(task, step)

        yield dask_mapper(client) if client is not None else None, on_bucket


def engine_run(read: MetricsInputs, rulesets: Sequence[ChargingRuleset], *, engine: str,
               scheduler: str | None, scratch: Path | None, period_from: datetime | None,
               period_to: datetime | None, lang: Display) -> ChargingMetrics:
    """The metrics in port-hash buckets (charging/partitioned.py), one after another or on
    Dask, with a progress bar on a terminal."""
    from ..charging.partitioned import partitioned_metrics

    sources: list[Path | pa.Table] = [*read.port_event_files]
    if read.tables["port_events"].num_rows:
        sources.append(read.tables["port_events"])
    with bucket_engine(engine, scheduler, lang) as (mapper, on_bucket):
        return partitioned_metrics(
            sources, read.tables, rulesets, period_from=period_from, period_to=period_to,
            scratch=scratch, mapper=mapper, on_bucket=on_bucket, inputs=read.inputs, lang=lang)

