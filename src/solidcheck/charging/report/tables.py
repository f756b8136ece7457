"""The figures as one flat table — a row per port, station or operator — for spreadsheets and
dataframes (``charging metrics --format csv|parquet``). Columns are the result's own names;
what depends on a rule set is one column per rule set, ``{figure}__{ruleset id}``. Every
count and minute column sums over the rows to the network's figure (a rate does not: recompute
it from its numerator and denominator columns)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from ..model import STATES
from ..results import ChargingMetrics, Figures, SuccessCount

__all__ = ["TableBy", "TableFormat", "metrics_table", "write_metrics_table"]

TableBy = Literal["port", "station", "operator"]
TableFormat = Literal["csv", "parquet"]

_FLOAT = pa.float64()
_INT = pa.int64()
_STR = pa.string()

#: the figures every row has, in order, with their Arrow type
_SHARED: tuple[tuple[str, pa.DataType], ...] = (
    ("ports", _INT), ("port_days", _FLOAT), ("available_minutes", _FLOAT),
    ("unavailable_minutes", _FLOAT), ("excluded_minutes", _FLOAT), ("unknown_minutes", _FLOAT),
    ("service_availability_percent", _FLOAT), ("sessions", _INT), ("energy_kwh", _FLOAT),
    ("outage_episodes", _INT), ("fault_episodes", _INT), ("outage_minutes", _FLOAT),
    ("mtbf_h", _FLOAT), ("faults_per_1000_sessions", _FLOAT), ("reboots_per_port_day", _FLOAT),
    ("connection_drops", _INT), ("status_flaps", _INT), ("status_flaps_per_port_day", _FLOAT),
)
_KEYS: dict[TableBy, tuple[tuple[str, pa.DataType], ...]] = {
    "port": (("port_id", _STR), ("station_id", _STR), ("power_kw", _FLOAT)),
    "station": (("station_id", _STR), ("operator", _STR)),
    "operator": (("operator", _STR), ("stations", _INT)),
}
_SUCCESS = ("charge_start", "charge_end")
#: the canonical states (``unknown`` among them: also before a port's first event)
_STATE_COLUMNS = tuple(f"minutes_{state}" for state in STATES)
_CLOSURE_COUNTS = ("opened", "acknowledged", "resolved", "closed", "verified", "within_sla",
                   "reopened", "remote", "first_time_fix", "covered_outages",
                   "coverable_outages")
#: visits, utilisation, statuses against sessions (charging/more_sums.py)
_MORE: tuple[tuple[str, pa.DataType], ...] = (
    ("visits", _INT), ("visits_first_succeeded", _INT),
    ("first_attempt_visit_success_percent", _FLOAT), ("utilisation_percent", _FLOAT),
    ("false_free_minutes", _FLOAT), ("false_free_percent", _FLOAT),
    ("false_occupied_minutes", _FLOAT), ("false_occupied_percent", _FLOAT))
_CLOSURE_RATES = ("closure_rate_percent", "within_sla_percent", "first_time_fix_percent",
                  "remote_resolution_percent", "reopen_percent", "fault_coverage_percent")


def _success(prefix: str, count: SuccessCount | None) -> dict[str, Any]:
    return {f"{prefix}_attempts": None if count is None else count.attempts,
            f"{prefix}_successful": None if count is None else count.successful,
            f"{prefix}_percent": None if count is None else count.rate_percent}


def _row(figures: Figures, rulesets: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(figures, name) for name, _ in _SHARED}
    row["reboots"] = sum(figures.reboots.values())
    for state in STATES:
        row[f"minutes_{state}"] = figures.minutes_by_state.get(state, 0.0)
    for rid in rulesets:
        availability = figures.availability.get(rid)
        for name in ("available", "unavailable", "excluded", "ineligible"):
            row[f"{name}_minutes__{rid}"] = (None if availability is None
                                            else getattr(availability, f"{name}_minutes"))
        row[f"availability_percent__{rid}"] = (None if availability is None
                                               else availability.rate_percent)
        success = figures.session_success.get(rid)
        row[f"session_attempts__{rid}"] = None if success is None else success.attempts
        row[f"sessions_successful__{rid}"] = None if success is None else success.successful
        row[f"session_success_percent__{rid}"] = None if success is None else success.rate_percent
    row.update(_success("charge_start", figures.charge_start_success))
    row.update(_success("charge_end", figures.charge_end_success))
    closure = figures.closure
    for name in _CLOSURE_COUNTS:
        row[f"tickets_{name}"] = None if closure is None else getattr(closure, name)
    for name in _CLOSURE_RATES:
        row[f"tickets_{name}"] = None if closure is None else getattr(closure, name)
    visit = figures.first_attempt_visit_success
    row.update(visits=None if visit is None else visit.attempts,
               visits_first_succeeded=None if visit is None else visit.successful,
               first_attempt_visit_success_percent=None if visit is None else visit.rate_percent,
               **{name: getattr(figures, name) for name, _ in _MORE[3:]})
    return row


def _schema(by: TableBy, rulesets: Sequence[str]) -> pa.Schema:
    fields = [*_KEYS[by], *_SHARED, ("reboots", _INT)]
    fields += [(name, _FLOAT) for name in _STATE_COLUMNS]
    for rid in rulesets:
        fields += [(f"{name}_minutes__{rid}", _FLOAT)
                   for name in ("available", "unavailable", "excluded", "ineligible")]
        fields += [(f"availability_percent__{rid}", _FLOAT), (f"session_attempts__{rid}", _INT),
                   (f"sessions_successful__{rid}", _INT),
                   (f"session_success_percent__{rid}", _FLOAT)]
    for prefix in _SUCCESS:
        fields += [(f"{prefix}_attempts", _INT), (f"{prefix}_successful", _INT),
                   (f"{prefix}_percent", _FLOAT)]
    fields += [(f"tickets_{name}", _INT) for name in _CLOSURE_COUNTS]
    fields += [(f"tickets_{name}", _FLOAT) for name in _CLOSURE_RATES]
    fields += list(_MORE)
    return pa.schema([pa.field(name, kind) for name, kind in fields])


def metrics_table(metrics: ChargingMetrics, *, by: TableBy = "port") -> pa.Table:
    """One row per port, station or operator, with flat columns (see the module)."""
    rulesets = [ref.id for ref in metrics.rulesets]
    rows: list[dict[str, Any]] = []
    if by == "port":
        rows = [{"port_id": p.port_id, "station_id": p.station_id, "power_kw": p.power_kw,
                 **_row(p, rulesets)} for p in metrics.ports]
    elif by == "station":
        rows = [{"station_id": s.station_id, "operator": s.operator, **_row(s, rulesets)}
                for s in metrics.stations]
    elif by == "operator":
        rows = [{"operator": o.operator, "stations": o.stations, **_row(o, rulesets)}
                for o in metrics.operators]
    else:
        raise ValueError(f"by must be port, station or operator, not {by!r}")
    return pa.Table.from_pylist(rows, schema=_schema(by, rulesets))


def write_metrics_table(metrics: ChargingMetrics, path: Path, *, by: TableBy = "port",
                        format: TableFormat = "csv") -> Path:
    """Write :func:`metrics_table` as CSV (UTF-8, a header, empty cells for nulls) or
    Parquet; returns the path."""
    table = metrics_table(metrics, by=by)
    if format == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    elif format == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    else:
        raise ValueError(f"format must be csv or parquet, not {format!r}")
    return path
