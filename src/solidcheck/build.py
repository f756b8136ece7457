"""Complete a dossier from instrument evidence, recording where every number came from.

The cell file states what only the maker knows (electrolyte, ion, application); the oven log
gives the test conditions, the log's mass channel or a weighings file gives the masses, and a
cycler file can give the ratings. Values drawn from a file replace declared ones — the change
is reported — and the file's SHA-256 goes into the dossier's ``evidence`` list, so anyone can
check that the dossier was built from the file they hold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .conditions import ConditionsAnalysis, analyse_conditions
from .dossier import dossier_from_mapping
from .errors import DossierError, Problem
from .i18n import Display, Param, load_catalogue
from .i18n.said import Said, said
from .model import Dossier, Evidence
from .ratings import RatingsAnalysis, derive_ratings
from .readers import Reading
from .rules import Ruleset

__all__ = ["BuiltDossier", "build_dossier", "column_decimals", "evidence_summary",
           "resolved", "summary_said"]

#: the most decimals a file's number is taken to have (beyond: float noise, not a digit)
_MAX_DECIMALS = 12
#: how far a written number may be from its binary value: float64's noise, float32's precision
_FLOAT64_NOISE = 1e-12
_FLOAT32_PRECISION = 2.0**-24
#: 10**-4 h = 0.36 s: the fewest decimals of an hour that keep a whole second
_HOUR_DECIMALS_PER_SECOND = 4


@dataclass(frozen=True)
class BuiltDossier:
    dossier: Dossier
    conditions: ConditionsAnalysis | None
    ratings: RatingsAnalysis | None
    #: what the build did that a user should read (replaced declarations), as data
    said: tuple[Said, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The build's notes in English (:attr:`said` renders them in any language)."""
        return tuple(note.text("en") for note in self.said)


def _evidence(reading: Reading, fields: list[str], summary: Said) -> dict[str, Any]:
    """The dossier's record of a file: the summary as data (``summary_id``, rendered in the
    reader's language) and in English (``summary``, for readers of the id-less format)."""
    return {
        "kind": reading.kind,
        "file": Path(reading.source).name,
        "sha256": reading.sha256,
        "size_bytes": reading.size_bytes,
        "format": reading.format,
        "fields": fields,
        "summary": summary.text("en"),
        "summary_id": summary.message_id,
        "summary_params": dict(summary.params),
    }


def summary_said(evidence: Evidence) -> Said | None:
    """A dossier's summary of an evidence file as data, when it has one this solidcheck can
    render: ``None`` for a dossier built by an older solidcheck, an id this version does not
    know, or parameters not as the message needs (the dossier is the user's file)."""
    if evidence.summary_id is None or evidence.summary_id not in load_catalogue().ids():
        return None
    found = Said(evidence.summary_id, evidence.summary_params or {})
    try:
        found.text("en")
    except (KeyError, TypeError, ValueError):
        return None
    return found


def evidence_summary(evidence: Evidence, lang: Display) -> str | None:
    """A dossier's summary of an evidence file in ``lang``, from ``summary_id`` and
    ``summary_params``; else the stored ``summary`` as written (English)."""
    found = summary_said(evidence)
    return evidence.summary if found is None else found.text(lang)


# --- numbers to the digits the instruments resolve ------------------------------------------

def column_decimals(values: Iterable[float | None]) -> int:
    """The decimals a file's numbers were written with: the fewest (at most 12) that give
    every finite value back — to float64's precision, or float32's for a binary file that
    stored float32 (a thermobalance's temperatures). ``51.203399999999995`` (51203.4 mg in
    g) has 4; ``25.895000457763672`` (float32) has 3."""
    finite = np.asarray([float(v) for v in values if v is not None and math.isfinite(v)],
                        dtype=np.float64)
    stored_as_float32 = bool(finite.size) and bool(np.all(
        finite.astype(np.float32).astype(np.float64) == finite))
    relative = _FLOAT32_PRECISION if stored_as_float32 else _FLOAT64_NOISE
    tolerance = relative * np.maximum(1.0, np.abs(finite))
    for decimals in range(_MAX_DECIMALS + 1):
        if np.all(np.abs(np.round(finite, decimals) - finite) <= tolerance):
            return decimals
    return _MAX_DECIMALS


def resolved(value: float, decimals: int, *, bounds: Sequence[float] = ()) -> float:
    """``value`` rounded to ``decimals``, with more decimals where the rounding would move it
    to the other side of (or onto) a rule set's bound: what the test decides never changes."""
    def side(number: float, bound: float) -> int:
        return (number > bound) - (number < bound)

    for places in range(decimals, 16):
        rounded = round(value, places)
        if all(side(rounded, b) == side(value, b) for b in bounds):
            return rounded
    return value


def _column_values(reading: Reading, name: str) -> list[float | None]:
    return reading.table.column(name).to_pylist() if reading.has(name) else []


def _resolved_conditions(block: Mapping[str, Any], log: Reading,
                         conditions: ConditionsAnalysis) -> dict[str, Any]:
    """The log's conditions at the resolution of the log: temperature and pressure to the
    decimals the oven wrote, the duration to the decimals of an hour that keep the log's clock
    (its time column's decimals of a second: 4 for whole seconds), masses as weighed."""
    target = conditions.target
    clock_decimals = column_decimals(_column_values(log, "time_s"))
    rules: dict[str, tuple[int, tuple[float, ...]]] = {
        "temperature_c": (column_decimals(_column_values(log, "temperature_c")),
                          (target.temperature_c - target.tolerance_c,
                           target.temperature_c + target.tolerance_c)),
        "pressure_pa": (column_decimals(_column_values(log, "pressure_pa")),
                        (target.max_pressure_pa,)),
        "duration_h": (clock_decimals + _HOUR_DECIMALS_PER_SECOND, (target.min_duration_h,)),
    }
    shown = dict(block)
    for key, (decimals, bounds) in rules.items():
        if isinstance(shown.get(key), float):
            shown[key] = resolved(shown[key], decimals, bounds=bounds)
    if isinstance(shown.get("specimens"), list):
        mass_decimals = column_decimals(_column_values(log, "mass_g"))
        shown["specimens"] = [{k: round(v, mass_decimals) for k, v in specimen.items()}
                              for specimen in shown["specimens"]]
    return shown


def _weighed_specimens(weighings: Reading) -> list[dict[str, Any]]:
    """The weighed masses as the balance printed them (the file's decimals: no float noise
    from a unit conversion), with the file's specimen ids when it names them."""
    before = weighings.table.column("mass_before_g").to_pylist()
    after = weighings.table.column("mass_after_g").to_pylist()
    decimals = column_decimals([*before, *after])
    named = weighings.has("specimen") and not weighings.origins.get(
        "specimen", "").startswith("row order")
    ids = weighings.table.column("specimen").to_pylist() if named else [None] * len(before)
    specimens: list[dict[str, Any]] = []
    for specimen_id, m0, m1 in zip(ids, before, after, strict=True):
        entry: dict[str, Any] = {"mass_before_g": round(float(m0), decimals),
                                 "mass_after_g": round(float(m1), decimals)}
        if specimen_id is not None and str(specimen_id).strip():
            entry = {"id": str(specimen_id).strip(), **entry}
        specimens.append(entry)
    return specimens


def build_dossier(
    cell: Any,
    *,
    ruleset: Ruleset,
    oven_log: Reading | None = None,
    weighings: Reading | None = None,
    cycler: Reading | None = None,
    nominal_capacity_ah: float | None = None,
    source: str | None = None,
) -> BuiltDossier:
    """The cell's declarations completed from the evidence, validated as a dossier.

    Raises ``DossierError`` listing everything still missing or invalid, ``EvidenceError``
    for a file that is not what its role needs.
    """
    if not isinstance(cell, Mapping):
        return BuiltDossier(dossier_from_mapping(cell, source=source), None, None)
    data: dict[str, Any] = dict(cell)
    notes: list[Said] = []
    evidence: list[dict[str, Any]] = list(data.get("evidence") or [])
    conditions: ConditionsAnalysis | None = None
    problems: list[Problem] = []

    if oven_log is not None or weighings is not None:
        declared = data.get("weight_loss_test")
        test: dict[str, Any] = dict(declared) if isinstance(declared, Mapping) else {}
        if oven_log is not None:
            conditions = analyse_conditions(oven_log, ruleset=ruleset)
            taken = _take_conditions(test, conditions, oven_log, notes, problems)
            evidence.append(_evidence(oven_log, taken, _conditions_summary(
                conditions, oven_log, duration_h=test.get("duration_h"))))
        if weighings is not None:
            test["specimens"] = _weighed_specimens(weighings)
            evidence.append(_evidence(
                weighings, ["weight_loss_test.specimens"],
                said("evidence.summary.weighings", count=weighings.rows),
            ))
            notes.append(said("build.specimens", count=weighings.rows,
                              file=Path(weighings.source).name))
        if "specimens" not in test:
            problems.append(Problem(
                "weight_loss_test.specimens",
                "no masses: the log has no mass channel and no weighings were given",
                "give --weighings FILE (specimen, mass_before_g, mass_after_g) or list the "
                "specimens in the cell file",
            ))
        data["weight_loss_test"] = test

    ratings: RatingsAnalysis | None = None
    if cycler is not None:
        ratings = derive_ratings(cycler, ruleset=ruleset, nominal_capacity_ah=nominal_capacity_ah)
        _take_ratings(data, ratings, cycler, evidence, notes, problems)

    if problems:
        raise DossierError(problems, source=source)
    data["evidence"] = evidence
    return BuiltDossier(dossier_from_mapping(data, source=source), conditions, ratings,
                        tuple(notes))


def _take_ratings(
    data: dict[str, Any], ratings: RatingsAnalysis, cycler: Reading,
    evidence: list[dict[str, Any]], notes: list[Said], problems: list[Problem],
) -> None:
    name = Path(cycler.source).name
    if ratings.ratings is None:
        reasons = "; ".join(ratings.warnings) or "no discharge with both figures was found"
        problems.append(Problem(
            "ratings", f"{name} gives no ratings: {reasons}",
            "give the rated capacity with --nominal-capacity-ah, use a file with a 1C "
            "discharge, or leave out --cycler and declare ratings in the cell file",
        ))
        return
    declared = data.get("ratings")
    if isinstance(declared, Mapping) and dict(declared) != ratings.ratings:
        notes.append(said("build.ratings_replaced", declared=str(dict(declared)), file=name))
    data["ratings"] = dict(ratings.ratings)
    evidence.append(_evidence(
        cycler, ["ratings.energy_1c_wh", "ratings.max_power_w"],
        said("evidence.summary.ratings", energy=ratings.ratings["energy_1c_wh"],
             power=ratings.ratings["max_power_w"], held=ratings.power_duration_s / 3600),
    ))


def _take_conditions(
    test: dict[str, Any], conditions: ConditionsAnalysis, log: Reading,
    notes: list[Said], problems: list[Problem],
) -> list[str]:
    """Copy the log's conditions (and masses) into ``test``; return the fields taken."""
    block = conditions.weight_loss_test
    name = Path(log.source).name
    taken: list[str] = []
    if block is None:
        # Without a pressure channel the log still gives temperature and time.
        if "pressure_pa" not in test:
            problems.append(Problem(
                "weight_loss_test.pressure_pa",
                f"{name} has no pressure channel and the cell file gives no pressure",
                "use an oven log that records the absolute pressure, or state pressure_pa "
                "under weight_loss_test in the cell file (it is then a declaration, not evidence)",
            ))
        hold = conditions.hold
        block = {
            "temperature_c": round(hold.temperature_mean_c, 3) if hold
            else conditions.log_temperature_max_c,
            "duration_h": hold.duration_h if hold else 0.0,
        }
        if conditions.mass is not None:
            block["specimens"] = [{"mass_before_g": conditions.mass.mass_before_g,
                                   "mass_after_g": conditions.mass.mass_after_g}]
    block = _resolved_conditions(block, log, conditions)
    for key, value in block.items():
        if key in test and test[key] != value:
            notes.append(said("build.replaced", field=f"weight_loss_test.{key}",
                              declared=repr(test[key]), value=repr(value), file=name))
        test[key] = value
        taken.append(f"weight_loss_test.{key}")
    return taken


def _conditions_summary(conditions: ConditionsAnalysis, log: Reading, *,
                        duration_h: Any = None) -> Said:
    """The log's summary, its numbers as the log resolves them; the duration as the dossier
    states it (``duration_h``)."""
    hold = conditions.hold
    verdict = "conditions.meets" if conditions.meets_conditions else "conditions.does_not_meet"
    if hold is None:
        return said("evidence.summary.no_hold", verdict=verdict, ruleset=conditions.ruleset)
    duration = duration_h if isinstance(duration_h, float) else hold.duration_h
    degrees = column_decimals(_column_values(log, "temperature_c"))
    shown: dict[str, Param] = {"duration": duration, "low": round(hold.temperature_min_c, degrees),
                              "high": round(hold.temperature_max_c, degrees),
                              "verdict": verdict, "ruleset": conditions.ruleset}
    if hold.pressure_max_pa is None:
        return said("evidence.summary.hold", **shown)
    pressure = round(hold.pressure_max_pa, column_decimals(_column_values(log, "pressure_pa")))
    return said("evidence.summary.hold_vacuum", **shown, pressure=pressure)
