"""The additive parts of the first-attempt visit success, utilisation and the statuses
against sessions (visits.py, consistency.py), per port, and the figures they give.

:class:`MoreSums` is one field of aggregate.Sums: adding it is adding its parts, so stations,
operators and the network are Σ/Σ over their ports, and a partitioned run adds partitions'
Sums as they are. ``defined`` holds the metrics some rule set given asks for: a figure no rule
set asks for is null, as is one with no denominator in the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from .consistency import in_service_states, utilisation_minutes
from .results import SuccessCount
from .rules import ChargingRuleset
from .visits import visit_counts, visits

__all__ = ["MoreSums", "consistency_defined", "more_figures", "more_sums"]

_VISITS = "first_attempt_visit_success"
_CONSISTENCY = ("false_free_rate", "false_occupied_rate")


@dataclass(frozen=True, slots=True)
class MoreSums:
    """Additive parts of one port, or of ports summed."""

    defined: frozenset[str] = frozenset()
    visits: int = 0
    visits_first_succeeded: int = 0
    occupied_minutes: float = 0.0
    in_service_minutes: float = 0.0
    #: ports with both statuses and sessions (the statuses-against-sessions figures' ports)
    compared_ports: int = 0
    false_free_minutes: float = 0.0
    session_minutes: float = 0.0
    false_occupied_minutes: float = 0.0
    announced_occupied_minutes: float = 0.0

    def __add__(self, other: MoreSums) -> MoreSums:
        return MoreSums(
            defined=self.defined | other.defined, visits=self.visits + other.visits,
            visits_first_succeeded=self.visits_first_succeeded + other.visits_first_succeeded,
            occupied_minutes=self.occupied_minutes + other.occupied_minutes,
            in_service_minutes=self.in_service_minutes + other.in_service_minutes,
            compared_ports=self.compared_ports + other.compared_ports,
            false_free_minutes=self.false_free_minutes + other.false_free_minutes,
            session_minutes=self.session_minutes + other.session_minutes,
            false_occupied_minutes=self.false_occupied_minutes + other.false_occupied_minutes,
            announced_occupied_minutes=(self.announced_occupied_minutes
                                        + other.announced_occupied_minutes))


def consistency_defined(rulesets: Sequence[ChargingRuleset]) -> bool:
    """Whether a rule set given asks for the statuses against the sessions."""
    return any(m in _CONSISTENCY for r in rulesets for m in r.defined_metrics())


def more_sums(port_ids: Sequence[str], rulesets: Sequence[ChargingRuleset], *,
              consistency: pl.DataFrame, by_state: pl.DataFrame, attempts: pl.DataFrame,
              ports: pl.DataFrame) -> dict[str, MoreSums]:
    """Every port's parts: ``consistency`` as consistency.status_session_minutes gives it
    (computed with the intervals, port by port: parts.py), ``by_state``, ``attempts`` and
    ``ports`` as metrics.assemble has them."""
    asked = {m for r in rulesets for m in r.defined_metrics()}
    in_service = in_service_states(rulesets)
    defined = frozenset(m for m in (_VISITS, *_CONSISTENCY) if m in asked) | (
        {"utilisation"} if in_service is not None else set())
    parts: dict[str, dict[str, Any]] = {p: {} for p in port_ids}
    if _VISITS in defined:
        counted = visit_counts(visits(attempts, rulesets, ports=ports), ports)
        for row in counted.iter_rows(named=True):
            if row["port_id"] in parts:
                parts[row["port_id"]].update(visits=row["visits"],
                                             visits_first_succeeded=row["first_succeeded"])
    if in_service is not None:
        for row in utilisation_minutes(by_state, in_service).iter_rows(named=True):
            if row["port_id"] in parts:
                parts[row["port_id"]].update(occupied_minutes=row["occupied_minutes"],
                                             in_service_minutes=row["in_service_minutes"])
    if defined & set(_CONSISTENCY):
        for row in consistency.iter_rows(named=True):
            port = row.pop("port_id")
            if port in parts:
                parts[port].update(compared_ports=1, **row)
    base = MoreSums(defined=defined)
    return {p: replace(base, **values) for p, values in parts.items()}


def _percent(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None


def more_figures(sums: MoreSums) -> dict[str, Any]:
    """The fields of results.Figures these parts give."""
    visit = None
    if _VISITS in sums.defined:
        visit = SuccessCount(attempts=sums.visits, successful=sums.visits_first_succeeded,
                             rate_percent=_percent(sums.visits_first_succeeded, sums.visits))
    compared = sums.compared_ports > 0
    free = "false_free_rate" in sums.defined and compared
    occupied = "false_occupied_rate" in sums.defined and compared
    return {
        "first_attempt_visit_success": visit,
        "utilisation_percent": (_percent(sums.occupied_minutes, sums.in_service_minutes)
                                if "utilisation" in sums.defined else None),
        "false_free_minutes": round(sums.false_free_minutes, 6) if free else None,
        "false_free_percent": (_percent(sums.false_free_minutes, sums.session_minutes)
                               if free else None),
        "false_occupied_minutes": round(sums.false_occupied_minutes, 6) if occupied else None,
        "false_occupied_percent": (_percent(sums.false_occupied_minutes,
                                            sums.announced_occupied_minutes)
                                   if occupied else None),
    }
