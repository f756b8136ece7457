"""The glossary page (``/glossary``): every term of the vocabulary in English and Chinese with
its status, and a look-up of any label."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from ...terms import Concept, Label, load_vocabulary, lookup_term
from .frame import HTML_LANG, View, render
from .navigation import MenuEntry, Page

__all__ = ["PAGE", "router"]

router = APIRouter(include_in_schema=False)
PAGE = Page(router, menu=MenuEntry("/glossary", "nav_glossary", place=30))

_STATUS_ORDER = {"preferred": 0, "admitted": 1, "non_preferred": 2, "obsolete": 3}
_LABEL_LANG = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-Hant"}


def _concept_view(view: View, concept_id: str, concept: Concept) -> dict[str, Any]:
    labels = sorted(concept.labels, key=lambda label: (_STATUS_ORDER[label.status],
                                                       label.lang != "en", label.lang))
    return {
        "id": concept_id,
        "concept": concept,
        "term": concept.preferred("en" if view.lang == "en" else "zh"),
        "other_term": concept.preferred("zh" if view.lang == "en" else "en"),
        "other_lang": HTML_LANG["zh" if view.lang == "en" else "en"],
        "definition": view.t.pair(concept.definition, concept.definition_zh),
        "basis": _basis(view, concept),
        "labels": [{"label": label, "html_lang": _LABEL_LANG[label.lang],
                    **_note(view, label)} for label in labels],
    }


def _basis(view: View, concept: Concept) -> Markup | str:
    """The clause it comes from, or why solidcheck assumes it: in the reader's language
    where the vocabulary has it (``clause_zh`` / ``why_zh``), else in English, marked so."""
    standard = concept.provenance == "standard"
    english = (concept.clause if standard else concept.why) or ""
    chinese = concept.clause_zh if standard else concept.why_zh
    return view.t.pair(english, chinese) if chinese else view.t.english(english)


def _note(view: View, label: Label) -> dict[str, str | None]:
    """The label's note in the reader's language where the vocabulary has it (``note_en`` /
    ``note_zh``), else as written, with the language it is written in."""
    note = label.note_for(view.lang)
    if note is None or note == label.note:
        return {"note": note, "note_lang": "en" if label.lang == "en" else _LABEL_LANG[label.lang]}
    return {"note": note, "note_lang": HTML_LANG[view.lang]}


def _glossary_groups(view: View) -> list[dict[str, Any]]:
    concepts = load_vocabulary().concepts
    groups: dict[str, list[dict[str, Any]]] = {"categories": [], "sub_classes": [],
                                               "other_terms": []}
    for concept_id, concept in concepts.items():
        group = ("sub_classes" if concept.broader else
                 "categories" if concept.category else "other_terms")
        groups[group].append(_concept_view(view, concept_id, concept))
    return [{"id": name, "title": view.t(f"glossary_{name}"), "concepts": items}
            for name, items in groups.items() if items]


@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request) -> HTMLResponse:
    """Every term of the vocabulary in English and Chinese, with its status."""
    view = View(request)
    query = request.query_params.get("q", "").strip()
    matches = [{"match": m, "html_lang": _LABEL_LANG[m.label.lang],
                "preferred": view.t.pair(m.preferred_en, m.preferred_zh), **_note(view, m.label)}
               for m in lookup_term(query)] if query else []
    return render(view, "glossary.html.j2", title=view.t("glossary_title"), query=query,
                  matches=matches, groups=_glossary_groups(view))
