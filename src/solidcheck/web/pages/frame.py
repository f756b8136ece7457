"""The frame every page shares: its language (asked for with ``?lang=`` or negotiated from
``Accept-Language``), its words, links that keep the language, the menu, a template rendered
into a response, the problem page, and what a user typed made safe to look up."""

from __future__ import annotations

import functools
from typing import Any, Literal
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from ..._version import __version__
from ...i18n import traditional
from ...model import Finding
from ...report.parts import label_table, read_labels, said_clause, said_finding
from .. import csrf
from .csrf_guard import form_token
from .navigation import menu

__all__ = ["HTML_LANG", "LANGS", "Lang", "PageWords", "View", "page_labels", "plain",
           "problem_page", "render", "whole_number"]

Lang = Literal["en", "zh", "zh-Hant"]
LANGS: tuple[Lang, ...] = ("en", "zh", "zh-Hant")
HTML_LANG: dict[Lang, str] = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-Hant"}
_LANG_NAME: dict[Lang, str] = {"en": "English", "zh": "中文", "zh-Hant": "繁體中文"}
#: language tags (lower case) that ask for traditional Chinese
_TRADITIONAL_TAGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


# --------------------------------------------------------------------------- words

@functools.cache
def page_labels() -> dict[str, dict[str, str]]:
    """The pages' own words: label id → {"en": …, "zh": …}. A label the report already has
    is not repeated here, so each word has one source."""
    table = read_labels("web", "locales", "pages.toml")  # with zh-Hant, by OpenCC unless given
    repeated = sorted(table.keys() & label_table().keys())
    if repeated:
        raise ValueError(f"pages.toml: {', '.join(repeated)} already report labels")
    return table


class PageWords:
    """The words of a page in its language; Jinja2 escapes what they return."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        entry = page_labels().get(key) or label_table()[key]
        return entry[self.lang]

    def pair(self, en: str, zh: str) -> str:
        if self.lang == "en":
            return en
        return traditional(zh) if self.lang == "zh-Hant" else zh

    def said(self, key: str) -> Markup:
        """A label as a message of this page's own, in its language (see :meth:`message`)."""
        return escape(self(key))

    def message(self, text: str) -> Markup:
        """A message shown to the user: the page's own (Markup, from :meth:`said`) as it
        is, one from the core (plain text, always English) marked as English."""
        return text if isinstance(text, Markup) else self.english(text)

    def finding(self, finding: Finding) -> Markup:
        """A finding's message in the page's language (see shared.finding_text)."""
        return said_finding(finding, self.lang, self.english)

    def clause(self, finding: Finding) -> Markup:
        """A finding's clause in the page's language where the rule set gives it."""
        return said_clause(finding, self.lang, self.english)

    def english(self, text: str) -> Markup:
        """Text only available in English (findings, clauses), marked as such on a Chinese
        page so that a screen reader reads it in English."""
        if self.lang != "en":
            return Markup('<span lang="en">{}</span>').format(text)
        return Markup("{}").format(text)


def _language_of_tag(tag: str) -> Lang | None:
    """``en-GB`` → en, ``zh-CN``/``zh-Hans`` → zh, ``zh-TW``/``zh-Hant-HK`` → zh-Hant."""
    tag = tag.strip().lower().replace("_", "-")
    primary = tag.split("-")[0]
    if primary == "en":
        return "en"
    if primary != "zh":
        return None
    return "zh-Hant" if tag.startswith(_TRADITIONAL_TAGS) else "zh"


def _accept_language(header: str) -> Lang:
    """The first of English and Chinese the browser prefers (by q-value, then by order)."""
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        found = _language_of_tag(tag)
        if found is None:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if quality > 0 and (best is None or (quality, -position) > best[:2]):
            best = (quality, -position, found)
    return best[2] if best else "en"


# --------------------------------------------------------------------------- the page frame

class View:
    """What every page needs: its language and words, and links that keep the language."""

    def __init__(self, request: Request) -> None:
        self.request = request
        asked = request.query_params.get("lang")
        self.chosen: Lang | None = _language_of_tag(asked) if asked else None
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
        other: Lang = "zh" if self.lang == "en" else "en"  # traditional readers: → English
        query = dict(self.request.query_params)
        query["lang"] = other
        return {"href": f"{self.request.url.path}?{urlencode(query)}", "label": _LANG_NAME[other],
                "html_lang": HTML_LANG[other]}

    def common(self, title: str) -> dict[str, Any]:
        path = self.request.url.path
        nav = [{"href": self.href(entry.path), "label": self.t(entry.label_key),
                "current": path == entry.path} for entry in menu()]
        return {"t": self.t, "english": self.t.english, "message": self.t.message,
                "lang": self.lang,
                "html_lang": HTML_LANG[self.lang], "title": title, "nav": nav,
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


def render(view: View, template: str, *, title: str, status: int = 200, form: bool = False,
           **context: Any) -> HTMLResponse:
    """A page; ``form`` pages carry a CSRF token (in the page and in its cookie)."""
    token = form_token(view.request) if form else None
    html = _templates().get_template(template).render(
        **view.common(title), csrf_field=csrf.FIELD_NAME, csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status)
    if token is not None:
        response.set_cookie(csrf.COOKIE_NAME, token, httponly=True, samesite="strict",
                            secure=view.request.url.scheme == "https", path="/")
        response.headers["Cache-Control"] = "no-store"
    return response


def problem_page(view: View, status: int, title_key: str, message: str) -> HTMLResponse:
    return render(view, "problem.html.j2", title=view.t(title_key), status=status,
                  explanation=message)


# --------------------------------------------------------------------------- what was typed

def plain(text: str, limit: int = 200) -> str:
    """A search word or an id as typed, without control characters (which no stored id has
    and PostgreSQL refuses in a query), cut at ``limit``."""
    return "".join(c for c in text if c.isprintable()).strip()[:limit]


def whole_number(text: str, *, below: int) -> int | None:
    """A positive whole number written in ASCII digits (``"²".isdigit()`` is true), or None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    number = int(text)
    return number if 0 < number < below else None
