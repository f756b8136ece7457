"""The web pages: server-rendered HTML over the registry and the same core calls as the CLI.

Every page works without JavaScript. Every form is a plain POST guarded by a signed
double-submit CSRF token (``csrf.py``); every string from a user, a dossier or a document is
escaped by Jinja2's autoescape. The words come from ``web/locales/pages.toml`` and, for what
a report already says, ``report/locales/labels.toml`` — English or Chinese, chosen by
``?lang=`` and otherwise by the browser's ``Accept-Language``. Downloads (reports, evidence,
certificates) link to the REST API under ``/v1``.

The renderers' own pieces are used on purpose, from ``report/parts.py`` (the sub-axes, the
rates plot with its text alternative, the audit's cutting of the text at findings): a cell
looks the same on its page as in its report, an audit as in ``solidcheck audit --format html``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal
from urllib.parse import quote, urlencode

import jinja2
import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from .._version import __version__
from ..certificates import MAX_CERTIFICATE_BYTES, Verification, parse_public_key, verify
from ..claims.audit import audit
from ..claims.extract import extract_from_bytes
from ..claims.model import AuditFinding, AuditReport
from ..dossier import MAX_DOSSIER_BYTES
from ..errors import InvalidInputError, NotFoundError, Problem
from ..model import APPLICATIONS, CATEGORIES, IONS, SOLID_TYPES, Dossier, Result
from ..registry import CellDetail, CellSummary, ResultRecord
from ..report.parts import (
    SEVERITY_RANK,
    ReportWords,
    accessible_svg,
    axis_rows,
    finding_place,
    limit_text,
    marked_segments,
    rates_figure,
    read_labels,
    relation_symbol,
    text_language,
)
from ..report.parts import label_table as report_labels
from ..rules import Ruleset, available_rulesets
from ..terms import Concept, category_terms, load_vocabulary, lookup_term
from . import csrf, heavy
from .cache import cached_cell_page
from .classify_form import (
    SPECIMEN_ROWS,
    ClassifyOutcome,
    ClassifySubmission,
    FormErrors,
    Upload,
    classify_submission,
    specimen_field,
)
from .deps import get_registry, get_settings
from .inputs import FORM_OVERHEAD_BYTES, limited

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
_HTML_LANG: dict[Lang, str] = {"en": "en", "zh": "zh-CN"}
_LANG_NAME: dict[Lang, str] = {"en": "English", "zh": "中文"}
_LABEL_LANG = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-Hant"}
PAGE_SIZE = 20
_STATIC = {"site.css": "text/css; charset=utf-8"}
_NAV = (("/", "nav_search"), ("/classify", "nav_classify"), ("/glossary", "nav_glossary"),
        ("/verify", "nav_verify"), ("/audit", "nav_audit"))


# --------------------------------------------------------------------------- words

@functools.cache
def page_labels() -> dict[str, dict[str, str]]:
    """The pages' own words: label id → {"en": …, "zh": …}. A label the report already has
    is not repeated here, so each word has one source."""
    table = read_labels("web", "locales", "pages.toml")
    repeated = sorted(table.keys() & report_labels().keys())
    if repeated:
        raise ValueError(f"pages.toml: {', '.join(repeated)} already report labels")
    return table


class PageWords:
    """The words of a page in its language; Jinja2 escapes what they return."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        entry = page_labels().get(key) or report_labels()[key]
        return entry[self.lang]

    def pair(self, en: str, zh: str) -> str:
        return en if self.lang == "en" else zh

    def said(self, key: str) -> Markup:
        """A label as a message of this page's own, in its language (see :meth:`message`)."""
        return escape(self(key))

    def message(self, text: str) -> Markup:
        """A message shown to the user: the page's own (Markup, from :meth:`said`) as it
        is, one from the core (plain text, always English) marked as English."""
        return text if isinstance(text, Markup) else self.english(text)

    def english(self, text: str) -> Markup:
        """Text only available in English (findings, clauses), marked as such on a Chinese
        page so that a screen reader reads it in English."""
        if self.lang == "zh":
            return Markup('<span lang="en">{}</span>').format(text)
        return Markup("{}").format(text)


def _accept_language(header: str) -> Lang:
    """The first of English and Chinese the browser prefers (by q-value, then by order)."""
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        lang: Lang = "en" if primary == "en" else "zh"
        if quality > 0 and (best is None or (quality, -position) > best[:2]):
            best = (quality, -position, lang)
    return best[2] if best else "en"


# --------------------------------------------------------------------------- the page frame

class View:
    """What every page needs: its language and words, and links that keep the language."""

    def __init__(self, request: Request) -> None:
        self.request = request
        asked = request.query_params.get("lang")
        self.chosen: Lang | None = "en" if asked == "en" else "zh" if asked == "zh" else None
        self.lang: Lang = self.chosen or _accept_language(
            request.headers.get("accept-language", ""))
        self.t = PageWords(self.lang)

    def href(self, path: str, **params: str | int | None) -> str:
        """A link to one of our pages, carrying ``?lang=`` when the user chose it."""
        query = {name: str(value) for name, value in params.items()
                 if value is not None and value != ""}
        if self.chosen:
            query["lang"] = self.chosen
        return path + ("?" + urlencode(query) if query else "")

    def cell_href(self, cell_id: str, **params: str | int | None) -> str:
        return self.href("/cells/" + quote(cell_id, safe=""), **params)

    def result_href(self, result_id: str, fmt: str) -> str:
        """A stored result through the API: HTML and PDF reports in this page's language."""
        query = {"format": fmt} if fmt == "json" else {"format": fmt, "lang": self.lang}
        return f"/v1/results/{quote(result_id, safe='')}?{urlencode(query)}"

    def switch(self) -> dict[str, str]:
        """The link to this same page in the other language."""
        other: Lang = "zh" if self.lang == "en" else "en"
        query = dict(self.request.query_params)
        query["lang"] = other
        return {"href": f"{self.request.url.path}?{urlencode(query)}", "label": _LANG_NAME[other],
                "html_lang": _HTML_LANG[other]}

    def common(self, title: str) -> dict[str, Any]:
        path = self.request.url.path
        nav = [{"href": self.href(target), "label": self.t(key), "current": path == target}
               for target, key in _NAV]
        return {"t": self.t, "english": self.t.english, "message": self.t.message,
                "lang": self.lang,
                "html_lang": _HTML_LANG[self.lang], "title": title, "nav": nav,
                "switch": self.switch(), "href": self.href, "cell_href": self.cell_href,
                "version": __version__, "lang_param": self.chosen}


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("solidcheck", "web/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(view: View, template: str, *, title: str, status: int = 200, form: bool = False,
            **context: Any) -> HTMLResponse:
    """A page; ``form`` pages carry a CSRF token (in the page and in its cookie)."""
    token = _csrf_token(view.request) if form else None
    html = _templates().get_template(template).render(
        **view.common(title), csrf_field=csrf.FIELD_NAME, csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status)
    if token is not None:
        response.set_cookie(csrf.COOKIE_NAME, token, httponly=True, samesite="strict",
                            secure=view.request.url.scheme == "https", path="/")
        response.headers["Cache-Control"] = "no-store"
    return response


def _problem_page(view: View, status: int, title_key: str, message: str) -> HTMLResponse:
    return _render(view, "problem.html.j2", title=view.t(title_key), status=status,
                   explanation=message)


def _plain(text: str, limit: int = 200) -> str:
    """A search word or an id as typed, without control characters (which no stored id has
    and PostgreSQL refuses in a query), cut at ``limit``."""
    return "".join(c for c in text if c.isprintable()).strip()[:limit]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------- CSRF

def _csrf_token(request: Request) -> str:
    """The browser's token when it is ours (so several open forms stay valid), else new."""
    secret = get_settings(request).secret_key
    held = request.cookies.get(csrf.COOKIE_NAME)
    return held if held and csrf.is_signed(secret, held) else csrf.new_token(secret)


def _csrf_ok(request: Request, form: FormData) -> bool:
    sent = form.get(csrf.FIELD_NAME)
    return csrf.tokens_match(get_settings(request).secret_key,
                             request.cookies.get(csrf.COOKIE_NAME),
                             sent if isinstance(sent, str) else None)


def _csrf_refused(view: View) -> HTMLResponse:
    return _problem_page(view, 403, "csrf_title", view.t("csrf_message"))


# --------------------------------------------------------------------------- static files

@functools.cache
def _static_bytes(name: str) -> bytes:
    return resources.files("solidcheck").joinpath("web", "static", name).read_bytes()


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The pages' stylesheet (no build step, no CDN)."""
    if name not in _STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_static_bytes(name), media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})


# --------------------------------------------------------------------------- shared views

def _ruleset_options(view: View) -> list[tuple[str, str]]:
    return [(r.id, f"{r.id} — {view.t.pair(r.ruleset.title, r.ruleset.title_zh)}")
            for r in available_rulesets()]


def _installed(ruleset_id: str) -> Ruleset | None:
    return next((r for r in available_rulesets() if r.id == ruleset_id), None)


def _category_term(view: View, category: str | None) -> str:
    if category not in CATEGORIES:
        return "—"
    terms = category_terms(category)
    return view.t.pair(terms.en, terms.zh)


def _value_label(view: View, value: str | None) -> str:
    return view.t(f"value_{value}") if value else "—"


@functools.lru_cache(maxsize=128)
def _rates_svg(result_json: str, lang: Lang, uid: str) -> Markup | None:
    """The report's SVG of the specimens' rates against the limit of every installed rule
    set, with the report's text alternative. Cached: a result never changes, and a cell's
    page is drawn far more often than it is classified."""
    result = Result.model_validate_json(result_json)
    weight_loss = result.weight_loss
    if weight_loss is None:
        return None
    words = PageWords(lang)
    rulesets = available_rulesets()
    rates = ", ".join(f"S{s.index} {s.percent:.4f} %" for s in weight_loss.specimens)
    limits = ", ".join(f"{r.id} {limit_text(r)}" for r in rulesets)
    alt = f"{words('rates_alt')} {rates}. {words('limit')}: {limits}."
    svg = rates_figure(result, rulesets)  # report/plotting.py draws one plot at a time
    return accessible_svg(svg, f"{uid}-rates", alt)


def result_view(view: View, result: Result, dossier: Dossier | None, uid: str) -> dict[str, Any]:
    """Everything the verdict, the reasons and the weight-loss section show of a result."""
    ruleset = _installed(result.ruleset)
    weight_loss = result.weight_loss
    return {
        "uid": uid,
        "result": result,
        "dossier": dossier,
        "term": view.t.pair(result.terms.en, result.terms.zh),
        "other_term": result.terms.zh if view.lang == "en" else result.terms.en,
        "other_lang": _HTML_LANG["zh" if view.lang == "en" else "en"],
        "axes": axis_rows(result, ReportWords(view.lang)),
        "ruleset_title": view.t.pair(ruleset.ruleset.title, ruleset.ruleset.title_zh)
        if ruleset else None,
        "limit": f"{relation_symbol(weight_loss.comparison)} {weight_loss.limit_percent:g} %"
        if weight_loss else None,
        "rates_svg": _rates_svg(result.model_dump_json(), view.lang, uid),
    }


def _error_list(view: View, errors: FormErrors, labels: Mapping[str, str],
                form_id: str) -> list[dict[str, str]]:
    """The error summary: each message linked to its field, in the order of the form
    (``labels`` lists the fields in that order; specimen rows sit with the test)."""
    order = {name: float(rank) for rank, name in enumerate(labels)}

    def position(item: tuple[str, str]) -> tuple[float, str]:
        name = item[0]
        if name.startswith("specimen_"):
            return order.get("wl_balance_resolution_mg", 0.0) + 0.5, name
        return order.get(name, -1.0), ""

    return [{"href": f"#{name or form_id}", "label": _field_label(view, name, labels),
             "message": message} for name, message in sorted(errors.items(), key=position)]


def _field_label(view: View, name: str, labels: Mapping[str, str]) -> str:
    if name in labels:
        return view.t(labels[name])
    if name.startswith("specimen_"):
        _, row, which = name.split("_")
        return f"S{row} {view.t('mass_before' if which == 'before' else 'mass_after')}"
    return view.t("the_form")


@dataclass(frozen=True)
class _Posted:
    """A posted form, read whole (its temporary files closed): text values and uploads."""

    fields: list[tuple[str, str]]
    files: dict[str, Upload]

    def text(self, name: str) -> str:
        return next((value for field, value in self.fields if field == name), "")

    def every(self, name: str) -> list[str]:
        return [value for field, value in self.fields if field == name]


async def _read_form(view: View, max_bytes: int) -> _Posted | HTMLResponse:
    """The posted form, at most ``max_bytes`` (what its files may hold, plus the fields); a
    page saying why when it is larger (413, as soon as it streams past them) or its CSRF
    token is not the cookie's (403). A file input left empty (nothing chosen) is no upload."""
    request = view.request
    try:
        limited_request = limited(request, max_bytes, what="the form",
                                  fix="send smaller files, or a shorter text")
        return await _parse_form(request, limited_request, max_bytes)
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        return _problem_page(view, 413, "too_large_title",
                             view.t("too_large_message").format(limit=f"{max_bytes:,}"))


async def _parse_form(request: Request, limited_request: Request,
                      max_bytes: int) -> _Posted | HTMLResponse:
    async with limited_request.form(max_part_size=max_bytes) as form:
        if not _csrf_ok(request, form):
            return _csrf_refused(View(request))
        fields: list[tuple[str, str]] = []
        files: dict[str, Upload] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):
                fields.append((name, value))
                continue
            content = await value.read()
            if (content or value.filename) and name not in files:
                files[name] = Upload(value.filename or name, content)
        return _Posted(fields, files)


# --------------------------------------------------------------------------- search

_SEARCH_FILTERS: dict[str, tuple[str, ...]] = {"category": CATEGORIES, "electrolyte": SOLID_TYPES,
                                               "ion": IONS}
_SEARCH_LABELS = {"category": "category", "electrolyte": "electrolyte", "ion": "ion",
                  "ruleset": "ruleset"}


def _whole_number(text: str, *, below: int) -> int | None:
    """A positive whole number written in ASCII digits (``"²".isdigit()`` is true), or None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    number = int(text)
    return number if 0 < number < below else None


def _search_options(view: View) -> dict[str, list[tuple[str, str]]]:
    return {
        "category": [(c, _category_term(view, c)) for c in CATEGORIES],
        "electrolyte": [(v, _value_label(view, v)) for v in SOLID_TYPES],
        "ion": [(v, _value_label(view, v)) for v in IONS],
        "ruleset": _ruleset_options(view),
    }


def _search_filters(view: View) -> tuple[dict[str, str], FormErrors]:
    """The filters asked for; a value no menu offers is an error at its field."""
    params = view.request.query_params
    filters = {name: _plain(params.get(name, ""))
               for name in ("q", "category", "electrolyte", "ion", "manufacturer", "ruleset")}
    errors = FormErrors()
    for name, allowed in _SEARCH_FILTERS.items():
        if filters[name] and filters[name] not in allowed:
            errors.add(name, view.t.said("unknown_choice"))
    if filters["ruleset"] and _installed(filters["ruleset"]) is None:
        errors.add("ruleset", view.t.said("unknown_choice"))
    return filters, errors


def _search_row(view: View, cell: CellSummary) -> dict[str, Any]:
    return {"cell": cell, "href": view.cell_href(cell.id),
            "category": _category_term(view, cell.category),
            "electrolyte": _value_label(view, cell.electrolyte_type),
            "ion": _value_label(view, cell.conducting_ion)}


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    """The registry, searched by text and filtered by category, electrolyte, ion, maker."""
    view = View(request)
    if not get_settings(request).public_reads:
        return _problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))
    filters, errors = _search_filters(view)
    page_number = _whole_number(request.query_params.get("page", ""), below=1_000_000) or 1
    found = None if errors else get_registry(request).list_cells(
        text=filters["q"] or None, category=filters["category"] or None,
        electrolyte_type=filters["electrolyte"] or None, conducting_ion=filters["ion"] or None,
        manufacturer=filters["manufacturer"] or None, ruleset=filters["ruleset"] or None,
        published_only=True, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)

    def page_href(number: int) -> str:
        return view.href("/", **{k: v for k, v in filters.items() if v}, page=number)

    return _render(
        view, "search.html.j2", title=view.t("search_title"), filters=filters,
        options=_search_options(view),
        rows=[_search_row(view, cell) for cell in found.items] if found else [],
        total=found.total if found else 0, page=page_number,
        pages=max(1, -(-found.total // PAGE_SIZE)) if found else 0, page_href=page_href,
        errors=_error_list(view, errors, _SEARCH_LABELS, "search-form"),
        errors_by_field=errors.by_field, status=422 if errors else 200)


# --------------------------------------------------------------------------- a cell

def _selected_result(detail: CellDetail, wanted: str | None) -> ResultRecord | None:
    """The result asked for, else the latest version's under the default rule set, else
    the newest."""
    if not detail.results:
        return None
    if wanted:
        chosen = next((r for r in detail.results if r.id == wanted), None)
        if chosen is not None:
            return chosen
    default = available_rulesets()[0].id
    return next((r for r in detail.results
                 if r.version == detail.latest_version and r.ruleset == default),
                detail.results[0])


def _downloads(view: View, result_id: str) -> list[dict[str, str]]:
    return [{"href": view.result_href(result_id, fmt), "label": view.t(f"download_{fmt}"),
             "fmt": fmt} for fmt in ("html", "pdf", "json")]


def _cell_context(view: View, detail: CellDetail, wanted: str | None) -> dict[str, Any]:
    selected = _selected_result(detail, wanted)
    versions = {v.version: v for v in detail.versions}
    shown = None
    if selected is not None:
        shown = result_view(view, selected.result, versions[selected.version].dossier, "shown")
    results = [{"record": r, "term": _category_term(view, r.result.category),
                "href": view.cell_href(detail.id, result=r.id), "when": _when(r.created_at),
                "selected": selected is not None and r.id == selected.id,
                "downloads": _downloads(view, r.id)} for r in detail.results]
    return {
        "cell": detail,
        "updated": _when(detail.updated_at),
        "selected": selected,
        "shown": shown,
        "downloads": _downloads(view, selected.id) if selected else [],
        "versions": [{"record": v, "when": _when(v.created_at)} for v in detail.versions],
        "results": results,
        "evidence": [{"record": e, "when": _when(e.created_at),
                      "href": f"/v1/evidence/{e.sha256}"} for e in detail.evidence],
        "certificates": [{"record": c, "when": _when(c.created_at),
                          "href": f"/v1/certificates/{c.id}",
                          "verify_href": view.href("/verify", certificate=c.id)}
                         for c in detail.certificates],
    }


@router.get("/cells/{cell_id}", response_class=HTMLResponse)
def cell_page(request: Request, cell_id: str) -> Response:
    """One cell: the verdict and its reasons, the weight-loss test, every version, result,
    evidence file and certificate, and the downloads."""
    # read cache (cache.py): anonymous readers' page, by the cell's revision and the language
    return cached_cell_page(request, get_registry(request), cell_id, View(request).lang,
                            lambda: _cell_page(request, cell_id))


def _cell_page(request: Request, cell_id: str) -> HTMLResponse:
    view = View(request)
    if not get_settings(request).public_reads:
        return _problem_page(view, 403, "not_public_title", view.t.said("not_public_message"))
    detail = None
    if _plain(cell_id, limit=1000) == cell_id:  # no stored id has control characters
        with suppress(NotFoundError):
            detail = get_registry(request).get_cell(cell_id, published_only=True)
    if detail is None:
        return _problem_page(view, 404, "not_found_title",
                             view.t("cell_not_found").format(cell_id=cell_id))
    context = _cell_context(view, detail, request.query_params.get("result"))
    return _render(view, "cell.html.j2", title=detail.id, **context)


# --------------------------------------------------------------------------- classify

_CLASSIFY_LABELS = {
    "id": "field_id", "manufacturer": "manufacturer", "model": "model",
    "phase_solid": "field_phases", "solid_type": "field_solid_type",
    "liquid_fraction": "field_liquid_fraction", "conducting_ion": "ion",
    "application": "application", "max_power_w": "field_max_power",
    "energy_1c_wh": "field_energy_1c", "wl_temperature_c": "field_temperature",
    "wl_duration_h": "field_duration", "wl_pressure_pa": "field_pressure",
    "wl_visible_liquid": "field_visible_liquid", "wl_balance_resolution_mg": "field_balance",
    "dossier_file": "field_dossier_file", "oven_log": "field_oven_log",
    "weighings": "field_weighings", "ruleset": "ruleset", "api_key": "field_api_key",
}


def _classify_options(view: View) -> dict[str, list[tuple[str, str]]]:
    return {
        "solid_type": [(v, _value_label(view, v)) for v in SOLID_TYPES],
        "conducting_ion": [(v, _value_label(view, v)) for v in IONS],
        "application": [(v, _value_label(view, v)) for v in APPLICATIONS],
        "wl_visible_liquid": [("no", view.t("visible_liquid_no")),
                              ("yes", view.t("visible_liquid_yes"))],
        "ruleset": _ruleset_options(view),
    }


def _dossier_yaml(dossier: Dossier) -> str:
    return yaml.safe_dump(dossier.model_dump(mode="json", exclude_none=True), sort_keys=False,
                          allow_unicode=True)


def _classify_page(view: View, *, values: Mapping[str, str], phases: tuple[str, ...],
                   outcome: ClassifyOutcome | None) -> HTMLResponse:
    errors = outcome.errors if outcome else FormErrors()
    shown = None
    if outcome is not None and outcome.result is not None:
        shown = result_view(view, outcome.result, outcome.dossier, "classified")
    stored = outcome.stored if outcome else None
    failed = outcome is not None and outcome.result is None
    return _render(
        view, "classify.html.j2", title=view.t("classify_title"), form=True,
        status=422 if failed else 200, values=values, phases=phases,
        options=_classify_options(view), specimen_rows=range(1, SPECIMEN_ROWS + 1),
        specimen_field=specimen_field,
        errors=_error_list(view, errors, _CLASSIFY_LABELS, "classify-form"),
        errors_by_field=errors.by_field, outcome=outcome, shown=shown,
        dossier_yaml=_dossier_yaml(outcome.dossier) if outcome and outcome.dossier else None,
        stored=stored, stored_href=view.cell_href(stored.cell_id) if stored else None,
        downloads=_downloads(view, stored.result.id) if stored else [])


@router.get("/classify", response_class=HTMLResponse)
def classify_form_page(request: Request) -> HTMLResponse:
    """The empty form: the cell's fields, or a dossier file, and evidence files."""
    return _classify_page(View(request), values={}, phases=(), outcome=None)


def _classify_submission(posted: _Posted) -> ClassifySubmission:
    values = {name: value for name, value in posted.fields
              if name not in ("phase", "api_key", csrf.FIELD_NAME)}
    return ClassifySubmission(
        values=values, phases=tuple(posted.every("phase")),
        dossier_file=posted.files.get("dossier_file"), oven_log=posted.files.get("oven_log"),
        weighings=posted.files.get("weighings"), api_key=posted.text("api_key"),
        ruleset_id=posted.text("ruleset"))


@router.post("/classify", response_class=HTMLResponse)
async def classify_submit(request: Request) -> HTMLResponse:
    """Classify what the form sent; with a lab key, store it. Invalid input shows the form
    again with every problem at its field, and nothing is stored."""
    view = View(request)
    max_evidence_bytes = get_settings(request).max_evidence_bytes
    posted = await _read_form(view, MAX_DOSSIER_BYTES + 2 * max_evidence_bytes
                              + FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    submission = _classify_submission(posted)
    # reading evidence, classifying and drawing the page (a plot of every specimen) are
    # heavy work: off the event loop, bounded, within the request budget
    return await heavy.run(_classify_and_show, view, submission, max_evidence_bytes)


def _classify_and_show(view: View, submission: ClassifySubmission,
                       max_evidence_bytes: int) -> HTMLResponse:
    outcome = classify_submission(submission, registry=get_registry(view.request),
                                  max_evidence_bytes=max_evidence_bytes)
    return _classify_page(view, values=submission.values, phases=submission.phases,
                          outcome=outcome)


# --------------------------------------------------------------------------- glossary

_STATUS_ORDER = {"preferred": 0, "admitted": 1, "non_preferred": 2, "obsolete": 3}


def _concept_view(view: View, concept_id: str, concept: Concept) -> dict[str, Any]:
    labels = sorted(concept.labels, key=lambda label: (_STATUS_ORDER[label.status],
                                                       label.lang != "en", label.lang))
    return {
        "id": concept_id,
        "concept": concept,
        "term": concept.preferred("en" if view.lang == "en" else "zh"),
        "other_term": concept.preferred("zh" if view.lang == "en" else "en"),
        "other_lang": _HTML_LANG["zh" if view.lang == "en" else "en"],
        "definition": view.t.pair(concept.definition, concept.definition_zh),
        "labels": [{"label": label, "html_lang": _LABEL_LANG[label.lang]} for label in labels],
    }


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
                "preferred": view.t.pair(m.preferred_en, m.preferred_zh)}
               for m in lookup_term(query)] if query else []
    return _render(view, "glossary.html.j2", title=view.t("glossary_title"), query=query,
                   matches=matches, groups=_glossary_groups(view))


# --------------------------------------------------------------------------- verify

_VERIFY_LABELS = {"certificate_text": "field_certificate_text",
                  "certificate_file": "field_certificate_file",
                  "public_key": "field_public_key", "dossier_file": "field_verify_dossier"}


@dataclass(frozen=True)
class _VerifyOutcome:
    verification: Verification
    source: str


def _verify_page(view: View, *, values: Mapping[str, str], errors: FormErrors,
                 outcome: _VerifyOutcome | None, status: int | None = None) -> HTMLResponse:
    verification = outcome.verification if outcome else None
    return _render(
        view, "verify.html.j2", title=view.t("verify_title"), form=True,
        status=status or (422 if errors else 200), values=values, outcome=outcome,
        errors=_error_list(view, errors, _VERIFY_LABELS, "verify-form"),
        errors_by_field=errors.by_field,
        category=_category_term(view, verification.category) if verification else None)


def _add_problems(errors: FormErrors, name: str, problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        text = f"{problem.path}: {problem.message}" if problem.path else problem.message
        errors.add(name, f"{text} — {problem.fix}" if problem.fix else text)


def _verify(certificate: bytes, public_key_text: str, dossier: Upload | None, source: str,
            errors: FormErrors, certificate_field: str) -> _VerifyOutcome | None:
    """Every check of a certificate; a malformed one or an unusable key is a field error."""
    public_key = None
    if public_key_text:
        try:
            public_key = parse_public_key(public_key_text, source="public key")
        except InvalidInputError as exc:
            _add_problems(errors, "public_key", exc.problems)
    if errors:
        return None
    try:
        verification = verify(certificate, public_key=public_key, source=source,
                              dossier_bytes=dossier.content if dossier else None)
    except InvalidInputError as exc:
        _add_problems(errors, certificate_field, exc.problems)
        return None
    return _VerifyOutcome(verification, source)


@router.get("/verify", response_class=HTMLResponse)
def verify_form_page(request: Request) -> HTMLResponse:
    """The form; ``?certificate=<id>`` verifies a certificate kept in the registry."""
    view = View(request)
    errors = FormErrors()
    stored_id = request.query_params.get("certificate", "")
    certificate_id = _whole_number(stored_id, below=2**63)
    if certificate_id is None:
        return _verify_page(view, values={}, errors=errors, outcome=None)
    if not get_settings(request).public_reads:
        errors.add("certificate_text", view.t.said("not_public_message"))
        return _verify_page(view, values={}, errors=errors, outcome=None, status=403)
    try:
        data = get_registry(request).get_certificate(certificate_id, published_only=True)
    except NotFoundError as exc:
        errors.add("certificate_text", str(exc))
        return _verify_page(view, values={}, errors=errors, outcome=None, status=404)
    outcome = _verify(data, "", None, f"certificate {stored_id}", errors, "certificate_text")
    return _verify_page(view, values={}, errors=errors, outcome=outcome)


def _check_one_given(view: View, errors: FormErrors, *, pasted: tuple[str, str],
                     uploaded: tuple[str, object | None], missing: str) -> None:
    """A form that takes pasted text or an uploaded file wants exactly one of them."""
    (text_field, text), (file_field, upload) = pasted, uploaded
    if upload and text.strip():
        errors.add(file_field, view.t.said("paste_or_upload"))
    elif not upload and not text.strip():
        errors.add(text_field, view.t.said(missing))


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(request: Request) -> HTMLResponse:
    """Verify a pasted or uploaded certificate, optionally against a key and a dossier."""
    view = View(request)
    posted = await _read_form(view, 2 * MAX_CERTIFICATE_BYTES + MAX_DOSSIER_BYTES
                              + FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    values = {name: posted.text(name) for name in ("certificate_text", "public_key")}
    uploaded = posted.files.get("certificate_file")
    dossier = posted.files.get("dossier_file")
    errors = FormErrors()
    pasted = values["certificate_text"].strip()
    _check_one_given(view, errors, pasted=("certificate_text", pasted),
                     uploaded=("certificate_file", uploaded), missing="certificate_missing")
    if errors:
        return _verify_page(view, values=values, errors=errors, outcome=None)
    # A pasted certificate has lost its exact bytes; its one line plus the newline is what a
    # certificate file holds. An uploaded one is checked byte for byte.
    data, source, field = ((uploaded.content, uploaded.filename, "certificate_file") if uploaded
                           else ((pasted + "\n").encode(), view.t("pasted"), "certificate_text"))
    outcome = await heavy.run(_verify, data, values["public_key"].strip(), dossier,
                              source, errors, field)
    return _verify_page(view, values=values, errors=errors, outcome=outcome)


# --------------------------------------------------------------------------- audit

_AUDIT_LABELS = {"text": "field_audit_text", "document": "field_audit_document",
                 "cell_id": "field_audit_cell", "ruleset": "ruleset"}


def _marked_pieces(text: str, findings: list[AuditFinding]) -> list[dict[str, Any]]:
    """The text cut where findings start and end; each marked piece with its worst
    severity and the numbers of the findings covering it."""
    pieces: list[dict[str, Any]] = []
    for start, end, covering in marked_segments(len(text), findings):
        piece: dict[str, Any] = {"text": text[start:end], "severity": None}
        if covering:
            piece["severity"] = min((findings[i].severity for i in covering),
                                    key=SEVERITY_RANK.__getitem__)
            piece["numbers"] = [i + 1 for i in covering]
            piece["title"] = "; ".join(f"{findings[i].severity}: {findings[i].message}"
                                       for i in covering)
        pieces.append(piece)
    return pieces


def _evidence_result(view: View, cell_id: str, ruleset: Ruleset,
                     errors: FormErrors) -> Result | None:
    """The stored result claims are checked against: the cell's latest version under the
    audit's rule set, else under any."""
    if not get_settings(view.request).public_reads:
        errors.add("cell_id", view.t.said("not_public_message"))
        return None
    try:
        detail = get_registry(view.request).get_cell(cell_id, published_only=True)
    except NotFoundError as exc:
        errors.add("cell_id", str(exc))
        return None
    latest = [r for r in detail.results if r.version == detail.latest_version]
    chosen = next((r for r in latest if r.ruleset == ruleset.id), latest[0] if latest else None)
    if chosen is None:
        errors.add("cell_id", view.t.said("no_published_result"))
        return None
    return chosen.result


def _audit_document(data: bytes, source: str, ruleset: Ruleset, evidence: Result | None,
                    errors: FormErrors, field: str) -> tuple[AuditReport, str] | None:
    try:
        extracted = extract_from_bytes(data, source=source)
    except InvalidInputError as exc:
        _add_problems(errors, field, exc.problems)
        return None
    return audit(extracted, ruleset=ruleset, evidence=evidence), extracted.text


def _audit_page(view: View, *, values: Mapping[str, str], errors: FormErrors,
                audited: tuple[AuditReport, str] | None) -> HTMLResponse:
    report, text = audited if audited else (None, "")
    findings = [{"number": n, "finding": f, "where": finding_place(f)}
                for n, f in enumerate(report.findings if report else [], start=1)]
    return _render(
        view, "audit.html.j2", title=view.t("audit_title"), form=True,
        status=422 if errors else 200, values=values, report=report,
        pieces=_marked_pieces(text, report.findings) if report else [],
        text_lang=_HTML_LANG["zh" if text_language(text) == "zh" else "en"], findings=findings,
        options={"ruleset": _ruleset_options(view)},
        errors=_error_list(view, errors, _AUDIT_LABELS, "audit-form"),
        errors_by_field=errors.by_field)


@router.get("/audit", response_class=HTMLResponse)
def audit_form_page(request: Request) -> HTMLResponse:
    """The form: paste text or upload a document, optionally name a registered cell."""
    return _audit_page(View(request), values={}, errors=FormErrors(), audited=None)


@router.post("/audit", response_class=HTMLResponse)
async def audit_submit(request: Request) -> HTMLResponse:
    """Every term, claim and implausible figure of the text, marked where it occurs."""
    view = View(request)
    max_bytes = get_settings(request).max_audit_bytes
    posted = await _read_form(view, max_bytes + FORM_OVERHEAD_BYTES)
    if isinstance(posted, HTMLResponse):  # too large, or no valid CSRF token
        return posted
    values = {name: posted.text(name) for name in ("text", "cell_id", "ruleset")}
    document = posted.files.get("document")
    errors = FormErrors()
    given = document.content if document else values["text"].encode()
    if len(given) > max_bytes:
        errors.add("document" if document else "text",
                   f"the text is {len(given)} bytes, over this server's limit of {max_bytes}"
                   " — audit a shorter text, or the document in parts")
    ruleset = _installed(values["ruleset"]) if values["ruleset"] else available_rulesets()[0]
    if ruleset is None:
        errors.add("ruleset", view.t.said("unknown_choice"))
    _check_one_given(view, errors, pasted=("text", values["text"]),
                     uploaded=("document", document), missing="audit_text_missing")
    evidence = None
    if _plain(values["cell_id"]) and ruleset is not None:
        evidence = await run_in_threadpool(_evidence_result, view, _plain(values["cell_id"]),
                                           ruleset, errors)
    audited = None
    if not errors and ruleset is not None:
        data, source, field = ((document.content, document.filename, "document") if document
                               else (values["text"].encode(), view.t("pasted"), "text"))
        audited = await heavy.run(_audit_document, data, source, ruleset, evidence, errors,
                                  field)
    # marking a long text's findings in place is heavy too
    return await heavy.run(_audit_page, view, values=values, errors=errors, audited=audited)
