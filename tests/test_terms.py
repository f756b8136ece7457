"""The term vocabulary: look-up, category names, and the SKOS export read back as RDF."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from solidcheck import category_terms, lookup_term, vocabulary_to_skos
from solidcheck.model import APPLICATIONS, CATEGORIES, IONS, SOLID_TYPES
from solidcheck.terms import load_vocabulary, normalize_term

VOCABULARY = load_vocabulary()
SCHEME = URIRef(VOCABULARY.scheme.iri)
EMMO_SOLID_STATE_BATTERY = URIRef(
    "https://w3id.org/emmo/domain/battery#battery_ef6a6244_fe3d_406e_8456_f72b45bb1fdf")
ALL_LABELS = [(cid, label) for cid, concept in VOCABULARY.concepts.items()
              for label in concept.labels]


def iri(concept_id: str) -> URIRef:
    return URIRef(f"{VOCABULARY.scheme.iri}:{concept_id}")


def full_width(text: str) -> str:
    """ASCII letters and punctuation as their full-width forms, space as ideographic space."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c
                   for c in text)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(data=json.dumps(vocabulary_to_skos()), format="json-ld")


# --- look-up ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["semi-solid", "Semi Solid", "ＳＥＭＩ－ＳＯＬＩＤ",
                                   "semi_solid batteries", "SEMI-SOLID BATTERY",
                                   "“semi-solid battery”"])
def test_lookup_ignores_case_hyphens_spaces_and_full_width(query: str):
    first = lookup_term(query)[0]
    assert first.label.text == "semi-solid battery"
    assert first.concept_id == "hybrid_solid_liquid_battery"
    assert first.concept.category == "hybrid_solid_liquid"
    assert first.label.status == "non_preferred"
    assert first.preferred_en == "hybrid solid-liquid battery"
    assert first.preferred_zh == "混合固液电池"


def test_spelling_variants_give_the_same_matches():
    def texts(query: str) -> list[str]:
        return [m.label.text for m in lookup_term(query)]

    expected = texts("semi-solid")
    assert expected
    assert texts("Semi Solid") == expected
    assert texts("ＳＥＭＩ－ＳＯＬＩＤ") == expected
    assert texts("semi\tsolid") == expected
    assert texts("semi_solid batteries") == texts("semi-solid battery")


@pytest.mark.parametrize(("query", "concept_id", "category", "status", "exact"), [
    ("半固态电池", "hybrid_solid_liquid_battery", "hybrid_solid_liquid", "non_preferred", True),
    ("半固態電池", "hybrid_solid_liquid_battery", "hybrid_solid_liquid", "non_preferred", True),
    ("准固态", "hybrid_solid_liquid_battery", "hybrid_solid_liquid", "non_preferred", False),
    ("固液电池", "hybrid_solid_liquid_battery", "hybrid_solid_liquid", "non_preferred", True),
    ("全固态电池", "solid_state_battery", "solid_state", "admitted", True),
    ("全固態電池", "solid_state_battery", "solid_state", "admitted", True),
    ("混合固液电池", "hybrid_solid_liquid_battery", "hybrid_solid_liquid", "preferred", True),
    ("固态电池", "solid_state_battery", "solid_state", "preferred", True),
    ("固態電池", "solid_state_battery", "solid_state", "preferred", True),
    ("液态电池", "liquid_battery", "liquid", "preferred", True),
    ("all-solid-state battery", "solid_state_battery", "solid_state", "admitted", True),
    ("Quasi-Solid-State Batteries", "hybrid_solid_liquid_battery", "hybrid_solid_liquid",
     "non_preferred", True),
    ("near solid battery", "hybrid_solid_liquid_battery", "hybrid_solid_liquid",
     "non_preferred", True),
    ("硫化物固态电池", "sulfide_solid_state_battery", "solid_state", "preferred", True),
])
def test_lookup_finds_concept_category_and_status(query, concept_id, category, status, exact):
    first = lookup_term(query)[0]
    assert first.concept_id == concept_id
    assert first.concept.category == category
    assert first.label.status == status
    assert first.exact is exact
    as_dict = first.as_dict()
    assert as_dict["concept"] == concept_id and as_dict["status"] == status
    assert as_dict["category"] == category


def test_exact_matches_come_before_partial_ones():
    matches = lookup_term("半固态电池")
    assert matches[0].exact and matches[0].concept_id == "hybrid_solid_liquid_battery"
    flags = [m.exact for m in matches]
    assert flags == sorted(flags, reverse=True)
    partial = [len(m.label.text) for m in matches if not m.exact]
    assert partial == sorted(partial)


@pytest.mark.parametrize("query", ["", "   ", "-", "zinc-air battery", "燃料电池"])
def test_lookup_of_an_unknown_term_finds_nothing(query: str):
    assert lookup_term(query) == []


@pytest.mark.parametrize(("concept_id", "label"), ALL_LABELS,
                         ids=[label.text for _, label in ALL_LABELS])
def test_every_label_is_found_exactly_in_any_case_and_width(concept_id, label):
    for query in (label.text, label.text.upper(), full_width(label.text),
                  label.text.replace("-", " ")):
        exact = [m for m in lookup_term(query) if m.exact]
        assert [(m.concept_id, m.label.text) for m in exact] == [(concept_id, label.text)], query


def test_no_two_labels_share_a_lookup_key():
    keys = Counter(normalize_term(label.text) for _, label in ALL_LABELS)
    assert [key for key, n in keys.items() if n > 1] == []


# --- what the standard says about the non-preferred terms --------------------------------

HYBRID_MARKERS = ("semi", "quasi", "near", "半固", "准固", "準固", "类固", "類固", "固液")


def test_every_non_preferred_term_maps_to_the_category_it_denotes():
    non_preferred = [(cid, lab) for cid, lab in ALL_LABELS if lab.status == "non_preferred"]
    assert len(non_preferred) >= 10
    for concept_id, label in non_preferred:
        first = lookup_term(label.text)[0]
        assert first.exact and first.label == label
        assert first.concept.category in ("hybrid_solid_liquid", "solid_state"), label.text
        if any(marker in label.text.casefold() for marker in HYBRID_MARKERS):
            assert concept_id == "hybrid_solid_liquid_battery", label.text
            assert first.concept.category == "hybrid_solid_liquid"


@pytest.mark.parametrize("term", ["semi-solid battery", "semi-solid-state battery",
                                  "quasi-solid battery", "quasi-solid-state battery",
                                  "near-solid battery", "near-solid-state battery",
                                  "半固态电池", "准固态电池", "半固態電池", "準固態電池"])
def test_semi_quasi_near_solid_are_hybrid_not_solid_state(term: str):
    first = lookup_term(term)[0]
    assert first.exact
    assert first.label.status == "non_preferred"
    assert first.concept.category == "hybrid_solid_liquid"


def test_marketing_terms_are_never_preferred_or_admitted():
    for _, label in ALL_LABELS:
        if any(marker in label.text.casefold() for marker in ("semi", "quasi", "near", "半固",
                                                               "准固", "準固")):
            assert label.status == "non_preferred", label.text


# --- category names ----------------------------------------------------------------------


@pytest.mark.parametrize(("category", "en", "zh"), [
    ("liquid", "liquid battery", "液态电池"),
    ("hybrid_solid_liquid", "hybrid solid-liquid battery", "混合固液电池"),
    ("solid_state", "solid-state battery", "固态电池"),
    ("undetermined", "undetermined", "未能判定"),
])
def test_category_terms_are_the_preferred_terms(category: str, en: str, zh: str):
    terms = category_terms(category)
    assert (terms.en, terms.zh) == (en, zh)


def test_every_category_has_a_name():
    assert {category_terms(c).en for c in CATEGORIES} == {
        "liquid battery", "hybrid solid-liquid battery", "solid-state battery", "undetermined"}


def test_unknown_category_is_refused():
    with pytest.raises(KeyError):
        category_terms("semi_solid")  # type: ignore[arg-type]


# --- the vocabulary file -----------------------------------------------------------------


def test_vocabulary_loads_and_is_consistent():
    vocabulary = load_vocabulary()
    assert vocabulary.format == 1
    concepts = vocabulary.concepts
    axis_values = {"electrolyte_type": set(SOLID_TYPES), "conducting_ion": set(IONS),
                   "application": set(APPLICATIONS)}
    for concept_id, concept in concepts.items():
        assert concept.definition.strip() and concept.definition_zh.strip(), concept_id
        if concept.provenance == "standard":  # in both languages: the glossary shows both
            assert concept.clause and concept.clause_zh, concept_id
        else:
            assert concept.why and concept.why_zh, concept_id
        if concept.broader is not None:
            assert concept.broader in concepts, concept_id
            assert concepts[concept.broader].category == concept.category, concept_id
        assert (concept.axis is None) == (concept.value is None), concept_id
        if concept.axis is not None:
            assert concept.value in axis_values[concept.axis], concept_id
            assert concept.broader == "solid_state_battery", concept_id
        prefs = Counter(label.lang for label in concept.labels if label.status == "preferred")
        assert prefs["en"] == 1 and prefs["zh"] == 1 and prefs["zh-Hant"] <= 1, concept_id
    top_categories = sorted(c.category for c in concepts.values()
                            if c.category is not None and c.broader is None)
    assert top_categories == sorted(CATEGORIES)


# --- the SKOS export, read back as RDF ---------------------------------------------------


def test_skos_export_is_json_that_parses_as_rdf(graph: Graph):
    json.dumps(vocabulary_to_skos(), ensure_ascii=False)
    assert len(graph) > 0


def test_skos_has_one_concept_scheme(graph: Graph):
    assert list(graph.subjects(RDF.type, SKOS.ConceptScheme)) == [SCHEME]
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert concepts == {iri(cid) for cid in VOCABULARY.concepts}
    for concept in concepts:
        assert (concept, SKOS.inScheme, SCHEME) in graph


def test_skos_one_pref_label_per_language_per_concept(graph: Graph):
    rows = graph.query("""
        SELECT ?concept ?lang (COUNT(?label) AS ?n)
        WHERE { ?concept a skos:Concept ; skos:prefLabel ?label . BIND(LANG(?label) AS ?lang) }
        GROUP BY ?concept ?lang
    """, initNs={"skos": SKOS})
    counts = {(str(r.concept), str(r.lang).lower()): int(r.n) for r in rows}
    assert set(counts.values()) == {1}
    for concept_id, concept in VOCABULARY.concepts.items():
        for label in concept.labels:
            if label.status == "preferred":
                assert counts[(str(iri(concept_id)), label.lang.lower())] == 1
                assert (iri(concept_id), SKOS.prefLabel, Literal(label.text, lang=label.lang)) \
                    in graph
    assert (iri("solid_state_battery"), SKOS.prefLabel, Literal("固态电池", lang="zh")) in graph
    assert (iri("solid_state_battery"), SKOS.prefLabel,
            Literal("solid-state battery", lang="en")) in graph


def test_skos_statuses_map_to_label_properties(graph: Graph):
    prop = {"preferred": SKOS.prefLabel, "admitted": SKOS.altLabel,
            "non_preferred": SKOS.hiddenLabel, "obsolete": SKOS.hiddenLabel}
    for concept_id, label in ALL_LABELS:
        literal = Literal(label.text, lang=label.lang)
        assert (iri(concept_id), prop[label.status], literal) in graph, label.text
        others = {SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel} - {prop[label.status]}
        for other in others:
            assert (None, other, literal) not in graph, (label.text, other)


def test_skos_non_preferred_terms_are_hidden_labels(graph: Graph):
    hidden = {str(label) for label in graph.objects(iri("hybrid_solid_liquid_battery"),
                                                    SKOS.hiddenLabel)}
    assert {"semi-solid battery", "quasi-solid battery", "near-solid battery",
            "半固态电池", "准固态电池", "半固態電池"} <= hidden
    rows = graph.query("""
        SELECT ?label WHERE { ?c skos:hiddenLabel ?label . ?c skos:prefLabel ?label . }
    """, initNs={"skos": SKOS})
    assert list(rows) == []
    # each hidden label says why, in its own language
    notes = [str(n) for n in graph.objects(iri("hybrid_solid_liquid_battery"), SKOS.scopeNote)]
    assert any(n.startswith("'semi-solid battery' is a non-preferred term") for n in notes)


def test_skos_broader_links_for_sub_classes(graph: Graph):
    rows = graph.query("""
        SELECT ?narrower WHERE { ?narrower skos:broader ?parent . }
    """, initNs={"skos": SKOS}, initBindings={"parent": iri("solid_state_battery")})
    narrower = {str(r.narrower).rsplit(":", 1)[1] for r in rows}
    expected = {cid for cid, c in VOCABULARY.concepts.items() if c.broader == "solid_state_battery"}
    assert narrower == expected
    assert {"sulfide_solid_state_battery", "oxide_solid_state_battery",
            "polymer_solid_state_battery", "halide_solid_state_battery",
            "composite_solid_state_battery", "solid_state_lithium_ion_battery",
            "solid_state_sodium_ion_battery", "high_energy_solid_state_battery",
            "high_power_solid_state_battery"} == narrower
    for cid, concept in VOCABULARY.concepts.items():
        if concept.broader is None:
            assert (iri(cid), SKOS.topConceptOf, SCHEME) in graph
            assert (SCHEME, SKOS.hasTopConcept, iri(cid)) in graph
            assert (iri(cid), SKOS.broader, None) not in graph
        else:
            assert (SCHEME, SKOS.hasTopConcept, iri(cid)) not in graph


def test_skos_close_match_to_emmo_solid_state_battery(graph: Graph):
    rows = graph.query("""
        SELECT ?concept WHERE { ?concept skos:closeMatch ?emmo . }
    """, initNs={"skos": SKOS}, initBindings={"emmo": EMMO_SOLID_STATE_BATTERY})
    assert [r.concept for r in rows] == [iri("solid_state_battery")]
    assert (iri("hybrid_solid_liquid_battery"), SKOS.closeMatch, None) not in graph
