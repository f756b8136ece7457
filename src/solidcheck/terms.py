"""The term vocabulary: look-up in English and Chinese, category names, SKOS export.

The vocabulary is data (``rulesets/vocabulary.toml``). Look-up ignores case, hyphens,
spaces and full-width forms, so ``Semi Solid``, ``semi-solid`` and ``ＳＥＭＩ－ＳＯＬＩＤ``
find the same entry, and says the term's status and the preferred term.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .model import Category, Phase, Terms
from .rules import parse_data_file

__all__ = [
    "Concept",
    "Label",
    "Language",
    "TermMatch",
    "TermStatus",
    "Vocabulary",
    "category_terms",
    "load_vocabulary",
    "lookup_term",
    "normalize_term",
    "phase_term",
    "vocabulary_to_skos",
]

TermStatus = Literal["preferred", "admitted", "non_preferred", "obsolete"]
Language = Literal["en", "zh", "zh-Hant"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Label(_Data):
    text: str = Field(min_length=1)
    lang: Language
    status: TermStatus
    note: str | None = None
    #: the note for readers of English / of Chinese when ``note`` is in the other language
    note_en: str | None = None
    note_zh: str | None = None

    def note_for(self, reader: Language) -> str | None:
        """The note in the reader's language when the vocabulary has it, else as written."""
        chinese_reader, chinese_label = reader.startswith("zh"), self.lang.startswith("zh")
        if chinese_reader == chinese_label:
            return self.note
        return (self.note_zh if chinese_reader else self.note_en) or self.note


class Concept(_Data):
    category: Category | None = None
    broader: str | None = None
    axis: Literal["electrolyte_type", "conducting_ion", "application"] | None = None
    value: str | None = None
    provenance: Literal["standard", "assumption"]
    clause: str | None = None
    why: str | None = None
    #: the clause or the reason in Chinese (the glossary shows the reader's)
    clause_zh: str | None = None
    why_zh: str | None = None
    definition: str
    definition_zh: str
    close_match: list[str] = []
    match_note: str | None = None
    #: the electrolyte phases a dossier declares for a cell of this concept (a category's
    #: concept): what a dossier should say instead of a term such as "semi-solid"
    phases: list[Phase] = []
    labels: list[Label] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_preferred_term_per_language(self) -> Concept:
        if self.provenance == "standard" and not self.clause:
            raise ValueError("a 'standard' concept needs a 'clause'")
        if self.provenance == "assumption" and not self.why:
            raise ValueError("an 'assumption' concept needs a 'why'")
        for lang in ("en", "zh"):
            count = sum(1 for x in self.labels if x.lang == lang and x.status == "preferred")
            if count != 1:
                raise ValueError(f"needs exactly one preferred {lang!r} label, has {count}")
        return self

    def preferred(self, lang: Language = "en") -> str:
        return next(x.text for x in self.labels if x.lang == lang and x.status == "preferred")


class Scheme(_Data):
    iri: str
    title: str
    title_zh: str
    source: str


class Vocabulary(_Data):
    format: Literal[1]
    scheme: Scheme
    concepts: dict[str, Concept]

    @model_validator(mode="after")
    def _broader_concepts_exist(self) -> Vocabulary:
        missing = sorted({c.broader for c in self.concepts.values()
                          if c.broader and c.broader not in self.concepts})
        if missing:
            raise ValueError(f"'broader' names unknown concepts: {', '.join(missing)}")
        return self


@functools.cache
def load_vocabulary() -> Vocabulary:
    """The installed vocabulary (validated once, then cached)."""
    text = resources.files(__package__).joinpath("rulesets", "vocabulary.toml").read_text("utf-8")
    return parse_data_file(text, Vocabulary, source="vocabulary.toml")


_IGNORED = {"Pd", "Zs", "Pc", "Cc"}  # dashes, spaces, connectors (_), control (tab, newline)


def normalize_term(text: str) -> str:
    """Fold case, full-width forms, hyphens and spaces: the key a term is found by."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(c for c in folded if unicodedata.category(c) not in _IGNORED)
    return folded.replace("batteries", "battery").strip("'\"“”‘’「」『』")


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A label that matches a query, with its concept and the preferred terms."""

    concept_id: str
    concept: Concept
    label: Label
    exact: bool

    @property
    def preferred_en(self) -> str:
        return self.concept.preferred("en")

    @property
    def preferred_zh(self) -> str:
        return self.concept.preferred("zh")

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.label.text,
            "lang": self.label.lang,
            "status": self.label.status,
            "note": self.label.note,
            "concept": self.concept_id,
            "category": self.concept.category,
            "preferred": {"en": self.preferred_en, "zh": self.preferred_zh},
            "definition": {"en": self.concept.definition, "zh": self.concept.definition_zh},
            "exact": self.exact,
        }


@functools.cache
def _index() -> tuple[tuple[str, str, Concept, Label], ...]:
    vocabulary = load_vocabulary()
    return tuple(
        (normalize_term(label.text), concept_id, concept, label)
        for concept_id, concept in vocabulary.concepts.items()
        for label in concept.labels
    )


def lookup_term(query: str) -> list[TermMatch]:
    """Labels matching ``query``: exact (normalized) matches first, then partial ones."""
    key = normalize_term(query)
    if not key:
        return []
    exact = [TermMatch(cid, c, lab, True) for norm, cid, c, lab in _index() if norm == key]
    partial = [TermMatch(cid, c, lab, False) for norm, cid, c, lab in _index()
               if norm != key and (key in norm or norm in key)]
    return exact + sorted(partial, key=lambda m: len(m.label.text))


def phase_term(word: str) -> TermMatch | None:
    """The vocabulary's term for a word written where an electrolyte phase belongs
    ("semi-solid", "半固态", "quasi-solid-state"), when it names a concept with phases: the
    word alone, or as "<word> battery" / "<word>电池" as the vocabulary spells its terms."""
    for query in (word, f"{word} battery", f"{word}电池", f"{word}電池"):
        found = [m for m in lookup_term(query) if m.exact and m.concept.phases]
        if found:
            return found[0]
    return None


def category_terms(category: Category) -> Terms:
    """The preferred English and Chinese terms for a classification category."""
    for concept in load_vocabulary().concepts.values():
        if concept.category == category and concept.broader is None:
            return Terms(en=concept.preferred("en"), zh=concept.preferred("zh"))
    raise KeyError(f"the vocabulary names no concept for category {category!r}")


_SKOS_LABEL = {"preferred": "skos:prefLabel", "admitted": "skos:altLabel",
               "non_preferred": "skos:hiddenLabel", "obsolete": "skos:hiddenLabel"}


def vocabulary_to_skos() -> dict[str, Any]:
    """The vocabulary as SKOS in JSON-LD.

    Preferred terms are ``skos:prefLabel``, admitted ones ``skos:altLabel``; non-preferred
    and obsolete terms are ``skos:hiddenLabel`` (found by search, never shown as a name),
    each with a ``skos:scopeNote`` giving its status.
    """
    vocabulary = load_vocabulary()
    base = vocabulary.scheme.iri
    graph: list[dict[str, Any]] = [{
        "@id": base,
        "@type": "skos:ConceptScheme",
        "dct:title": [{"@value": vocabulary.scheme.title, "@language": "en"},
                      {"@value": vocabulary.scheme.title_zh, "@language": "zh"}],
        "dct:source": vocabulary.scheme.source,
        "skos:hasTopConcept": [{"@id": f"{base}:{cid}"} for cid, c in
                               vocabulary.concepts.items() if c.broader is None],
    }]
    for concept_id, concept in vocabulary.concepts.items():
        node: dict[str, Any] = {
            "@id": f"{base}:{concept_id}",
            "@type": "skos:Concept",
            "skos:inScheme": {"@id": base},
            "skos:notation": concept_id,
            "skos:definition": [{"@value": concept.definition, "@language": "en"},
                                {"@value": concept.definition_zh, "@language": "zh"}],
            "dct:source": concept.clause or concept.why,
        }
        for label in concept.labels:
            literal = {"@value": label.text, "@language": label.lang}
            node.setdefault(_SKOS_LABEL[label.status], []).append(literal)
            if label.status in ("non_preferred", "obsolete"):
                note = f"{label.text!r} is a {label.status.replace('_', '-')} term"
                note += f": {label.note}" if label.note else ""
                node.setdefault("skos:scopeNote", []).append(
                    {"@value": note, "@language": label.lang})
        if concept.broader:
            node["skos:broader"] = {"@id": f"{base}:{concept.broader}"}
        else:
            node["skos:topConceptOf"] = {"@id": base}
        if concept.close_match:
            node["skos:closeMatch"] = [{"@id": iri} for iri in concept.close_match]
        if concept.match_note:
            node["skos:editorialNote"] = concept.match_note
        graph.append(node)
    return {
        "@context": {
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "dct": "http://purl.org/dc/terms/",
        },
        "@graph": graph,
    }
