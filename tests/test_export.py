"""Exports: the result as JSON-LD (read back with rdflib) and the battery-passport fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from typer.testing import CliRunner

from solidcheck import classify, load_dossier
from solidcheck.cli import app
from solidcheck.export import EMMO_BY_CATEGORY, EMMO_CELL, PASSPORT_FIELDS, result_jsonld
from solidcheck.terms import vocabulary_to_skos

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
runner = CliRunner()

LABELS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?label WHERE {
  ?cell dct:identifier ?id ; dct:type ?concept .
  ?concept skos:prefLabel ?label . FILTER(lang(?label) = "zh")
}"""


def graph_of(*documents: dict) -> rdflib.Graph:
    graph = rdflib.Graph()
    for document in documents:
        graph.parse(data=json.dumps(document), format="json-ld")
    return graph


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_result_reads_back_as_linked_data_with_its_preferred_terms(path):
    dossier = load_dossier(path)
    result = classify(dossier)
    graph = graph_of(result_jsonld(result, dossier=dossier), vocabulary_to_skos())
    labels = {str(row[0]) for row in graph.query(LABELS, initBindings={
        "id": rdflib.Literal(dossier.id)})}
    assert result.terms.zh in labels  # the category, as a SKOS concept of the vocabulary
    cell = rdflib.URIRef(result_jsonld(result)["@graph"][0]["@id"])
    types = set(graph.objects(cell, rdflib.RDF.type))
    assert rdflib.URIRef(EMMO_CELL) in types
    assert (rdflib.URIRef(EMMO_BY_CATEGORY["solid_state"]) in types) == (
        result.category == "solid_state")


def test_sub_axes_become_narrower_concepts():
    dossier = load_dossier(EXAMPLES / "sulfide-high-energy.yaml")
    graph = graph_of(result_jsonld(classify(dossier), dossier=dossier), vocabulary_to_skos())
    labels = {str(row[0]) for row in graph.query(LABELS, initBindings={
        "id": rdflib.Literal(dossier.id)})}
    assert {"固态电池", "硫化物固态电池"} <= labels


def test_the_weight_loss_is_a_typed_decimal_as_written():
    dossier = load_dossier(EXAMPLES / "exactly-at-national-limit.yaml")
    result = classify(dossier)
    node = result_jsonld(result, dossier=dossier)["@graph"][1]
    assert node["sc:weightLossPercent"] == {"@value": repr(result.weight_loss.percent),
                                            "@type": "xsd:decimal"}


def test_cli_export_passport_fills_every_documented_field():
    outcome = runner.invoke(app, ["export", str(EXAMPLES / "oxide-high-power.json"),
                                  "--to", "passport"])
    assert outcome.exit_code == 0, outcome.stderr
    passport = json.loads(outcome.stdout)
    assert set(passport["fields"]) == set(PASSPORT_FIELDS)
    fields = passport["fields"]
    assert fields["power_energy_ratio_w_per_wh"]["value"] == 30.0
    assert fields["original_power_capability_w"]["value"] == 3000
    assert "oxide solid electrolyte" in fields["battery_chemistry"]["value"]
    assert all(f["defined_in"].startswith("Regulation (EU) 2023/1542") for f in fields.values())


def test_a_hybrid_cell_is_not_exported_as_solid_state():
    outcome = runner.invoke(app, ["export", str(EXAMPLES / "semi-solid-marketed.yaml"),
                                  "--to", "passport"])
    chemistry = json.loads(outcome.stdout)["fields"]["battery_chemistry"]["value"]
    assert chemistry.startswith("hybrid solid-liquid battery")


def test_cli_export_of_an_invalid_dossier_exits_2(write_file):
    path = write_file("bad.yaml", "id: X\nelectrolyte: {phases: [plasma]}\n")
    outcome = runner.invoke(app, ["export", str(path), "--to", "jsonld"])
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert "invalid dossier" in outcome.stderr
