"""Exports of a result for other systems: linked data (JSON-LD) and battery-passport fields.

JSON-LD ties the result to the project's SKOS vocabulary (``solidcheck terms --export skos``)
and to the EMMO battery and electrochemistry ontologies where a class exists; relations are
solidcheck's own properties (``sc:``), because no EMMO object property is asserted that the
project has not checked. The battery-passport mapping names the fields of the EU Battery
Regulation's passport that a classification informs, and nothing more (docs/exports.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .model import Dossier, Result
from .terms import load_vocabulary

__all__ = ["PASSPORT_FIELDS", "passport_fields", "result_jsonld"]

VOCABULARY = "urn:solidcheck:vocabulary"
_EMMO_BATTERY = "https://w3id.org/emmo/domain/battery#"
_EMMO_ELECTROCHEMISTRY = "https://w3id.org/emmo/domain/electrochemistry#"

#: EMMO classes a classified cell is an instance of, by what solidcheck found.
EMMO_CELL = _EMMO_BATTERY + "battery_68ed592a_7924_45d0_a108_94d6275d57f0"  # BatteryCell
EMMO_BY_CATEGORY = {
    "solid_state": _EMMO_BATTERY + "battery_ef6a6244_fe3d_406e_8456_f72b45bb1fdf",  # SolidState…
}
EMMO_BY_ION = {
    "lithium": _EMMO_BATTERY + "battery_96addc62_ea04_449a_8237_4cd541dd8e5f",  # LithiumIonBattery
    "sodium": _EMMO_BATTERY + "battery_42329a95_03fe_4ec1_83cb_b7e8ed52f68a",  # SodiumIonBattery
}
EMMO_BY_PHASE = {
    "solid": _EMMO_ELECTROCHEMISTRY + "electrochemistry_0508a114_544a_4f54_a7de_9b947fb4b618",
    "liquid": _EMMO_ELECTROCHEMISTRY + "electrochemistry_609b340f_3450_4a10_95c2_c457e3eb8a89",
}

_CONTEXT: dict[str, Any] = {
    "sc": "urn:solidcheck:ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


def _concept_iri(category: str, axis: str | None = None, value: str | None = None) -> str:
    for concept_id, concept in load_vocabulary().concepts.items():
        if concept.category == category and concept.axis == axis and concept.value == value \
                and (axis is not None or concept.broader is None):
            return f"{VOCABULARY}:{concept_id}"
    raise KeyError(f"the vocabulary has no concept for {category}/{axis}={value}")


def _decimal(value: float) -> dict[str, str]:
    return {"@value": repr(value), "@type": "xsd:decimal"}


def result_jsonld(result: Result, *, dossier: Dossier | None = None) -> dict[str, Any]:
    """The result as JSON-LD: the cell, its categories as SKOS concepts, EMMO types."""
    cell_iri = f"urn:solidcheck:cell:{quote(result.dossier_id, safe='')}"
    types = ["sc:Cell", EMMO_CELL]
    types += [EMMO_BY_CATEGORY[c] for c in (result.category,) if c in EMMO_BY_CATEGORY]
    ion = dossier.conducting_ion if dossier is not None else result.conducting_ion
    if ion in EMMO_BY_ION:
        types.append(EMMO_BY_ION[ion])
    concepts = [{"@id": _concept_iri(result.category)}]
    for axis in ("electrolyte_type", "conducting_ion", "application"):
        value = getattr(result, axis)
        if value is not None and value != "other":
            try:
                concepts.append({"@id": _concept_iri(result.category, axis, value)})
            except KeyError:
                continue  # e.g. no concept for an axis value the vocabulary leaves out
    cell: dict[str, Any] = {
        "@id": cell_iri,
        "@type": types,
        "dct:identifier": result.dossier_id,
        "dct:type": concepts,
    }
    if dossier is not None:
        if dossier.manufacturer:
            cell["schema:manufacturer"] = dossier.manufacturer
        if dossier.model:
            cell["schema:model"] = dossier.model
        cell["sc:electrolytePhase"] = [
            {"@type": EMMO_BY_PHASE[phase], "sc:phase": phase}
            for phase in dossier.electrolyte.phases
        ]
    classification: dict[str, Any] = {
        "@id": f"{cell_iri}:classification:{result.ruleset}",
        "@type": ["sc:Classification", "prov:Entity"],
        "sc:about": {"@id": cell_iri},
        "sc:category": {"@id": _concept_iri(result.category)},
        "skos:prefLabel": [{"@value": result.terms.en, "@language": "en"},
                           {"@value": result.terms.zh, "@language": "zh"}],
        "sc:classificationCode": result.code,
        "sc:codeStatus": result.code_status,
        "sc:ruleset": {"@id": f"urn:solidcheck:ruleset:{result.ruleset}"},
        "prov:wasGeneratedBy": {
            "@type": "prov:Activity",
            "prov:wasAssociatedWith": {"@type": "prov:SoftwareAgent",
                                       "schema:name": "solidcheck",
                                       "schema:softwareVersion": result.solidcheck_version},
        },
        "sc:finding": [
            {"@type": "sc:Finding", "sc:rule": f.rule, "sc:severity": f.severity,
             "sc:provenance": f.source, "dct:source": f.clause, "rdfs:comment": f.message}
            for f in result.findings
        ],
    }
    if result.weight_loss is not None:
        classification["sc:weightLossPercent"] = _decimal(result.weight_loss.percent)
        classification["sc:weightLossLimitPercent"] = _decimal(result.weight_loss.limit_percent)
        classification["sc:conditionsValid"] = result.weight_loss.conditions_valid
    if result.power_energy_ratio_w_per_wh is not None:
        classification["sc:powerEnergyRatioWPerWh"] = _decimal(result.power_energy_ratio_w_per_wh)
    if dossier is not None and dossier.evidence:
        classification["prov:wasDerivedFrom"] = [
            {"@type": "prov:Entity", "dct:title": e.file, "sc:sha256": e.sha256,
             "sc:evidenceKind": e.kind} for e in dossier.evidence
        ]
    return {"@context": _CONTEXT, "@graph": [cell, classification]}


#: Passport field → (where it is defined, what of the classification fills it).
PASSPORT_FIELDS: dict[str, tuple[str, str]] = {
    "battery_chemistry": (
        "Regulation (EU) 2023/1542, Annex XIII (battery passport): battery chemistry",
        "the category's preferred term and, for solid-state cells, the solid-electrolyte type "
        "and conducting ion",
    ),
    "electrolyte_composition": (
        "Regulation (EU) 2023/1542, Annex XIII (battery passport): material composition, "
        "of which the electrolyte",
        "the declared electrolyte phases, the solid-electrolyte family, and the weight-loss "
        "result that confirms or refutes 'no liquid electrolyte'",
    ),
    "original_power_capability_w": (
        "Regulation (EU) 2023/1542, Annex XIII with Annex IV (performance and durability "
        "parameters): original power capability",
        "the dossier's ratings.max_power_w (declared or derived from a cycler file)",
    ),
    "power_energy_ratio_w_per_wh": (
        "Regulation (EU) 2023/1542, Annex XIII with Annex IV (performance and durability "
        "parameters): ratio between nominal battery power and battery energy",
        "max_power_w / energy_1c_wh, as the classification computed it",
    ),
}


def passport_fields(result: Result, dossier: Dossier) -> dict[str, Any]:
    """The EU battery-passport fields this classification informs, each with its basis."""
    chemistry = result.terms.en
    if result.category == "solid_state":
        parts = [f"{result.electrolyte_type} solid electrolyte"] if result.electrolyte_type else []
        if result.conducting_ion:
            parts.append(f"{result.conducting_ion} ion")
        chemistry += f" ({', '.join(parts)})" if parts else ""
    phases = " and ".join(dossier.electrolyte.phases)
    composition = f"declared electrolyte phases: {phases}"
    if dossier.electrolyte.solid_type:
        composition += f"; solid electrolyte: {dossier.electrolyte.solid_type}"
    if result.weight_loss is not None:
        relation = "≤" if result.weight_loss.comparison == "at_most" else "<"
        verdict = {True: "passed", False: "failed", None: "not judged (invalid conditions)"}
        composition += (f"; vacuum weight loss {result.weight_loss.percent:.4g} % "
                        f"(limit {relation} {result.weight_loss.limit_percent:g} %): "
                        f"{verdict[result.weight_loss.passed]}")
    values: dict[str, Any] = {
        "battery_chemistry": chemistry,
        "electrolyte_composition": composition,
        "original_power_capability_w": dossier.ratings.max_power_w if dossier.ratings else None,
        "power_energy_ratio_w_per_wh": result.power_energy_ratio_w_per_wh,
    }
    return {
        "regulation": "Regulation (EU) 2023/1542 (battery passport, Annex XIII)",
        "dossier_id": result.dossier_id,
        "ruleset": result.ruleset,
        "classification_code": result.code,
        "fields": {
            name: {"value": values[name], "defined_in": where, "filled_from": what}
            for name, (where, what) in PASSPORT_FIELDS.items()
        },
    }
