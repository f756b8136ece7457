"""Complete a dossier from instrument evidence, recording where every number came from.

The cell file states what only the maker knows (electrolyte, ion, application); the oven log
gives the test conditions, the log's mass channel or a weighings file gives the masses, and a
cycler file can give the ratings. Values drawn from a file replace declared ones — the change
is reported — and the file's SHA-256 goes into the dossier's ``evidence`` list, so anyone can
check that the dossier was built from the file they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conditions import ConditionsAnalysis, analyse_conditions
from .dossier import dossier_from_mapping
from .errors import DossierError, Problem
from .i18n import Display, Param, load_catalogue
from .i18n.said import Said, said
from .model import Dossier, Evidence
from .ratings import RatingsAnalysis, derive_ratings
from .readers import Reading
from .rules import Ruleset

__all__ = ["BuiltDossier", "build_dossier", "evidence_summary", "summary_said"]


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


def _weighed_specimens(weighings: Reading) -> list[dict[str, float]]:
    before = weighings.table.column("mass_before_g").to_pylist()
    after = weighings.table.column("mass_after_g").to_pylist()
    return [{"mass_before_g": float(m0), "mass_after_g": float(m1)}
            for m0, m1 in zip(before, after, strict=True)]


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
            evidence.append(_evidence(oven_log, taken, _conditions_summary(conditions)))
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
    for key, value in block.items():
        if key in test and test[key] != value:
            notes.append(said("build.replaced", field=f"weight_loss_test.{key}",
                              declared=repr(test[key]), value=repr(value), file=name))
        test[key] = value
        taken.append(f"weight_loss_test.{key}")
    return taken


def _conditions_summary(conditions: ConditionsAnalysis) -> Said:
    hold = conditions.hold
    verdict = "conditions.meets" if conditions.meets_conditions else "conditions.does_not_meet"
    if hold is None:
        return said("evidence.summary.no_hold", verdict=verdict, ruleset=conditions.ruleset)
    shown: dict[str, Param] = {"duration": hold.duration_h, "low": hold.temperature_min_c,
                              "high": hold.temperature_max_c, "verdict": verdict,
                              "ruleset": conditions.ruleset}
    if hold.pressure_max_pa is None:
        return said("evidence.summary.hold", **shown)
    return said("evidence.summary.hold_vacuum", **shown, pressure=hold.pressure_max_pa)
