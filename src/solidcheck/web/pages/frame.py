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
from ...report.parts import label_table, read_labels
from .. import csrf
from .csrf_guard import form_token
from .navigation import menu

__all__ = ["HTML_LANG", "LANGS", "Lang", "PageWords", "View", "page_labels", "plain",
           "problem_page", "render", "whole_number"]

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
HTML_LANG: dict[Lang, str] = {"en": "en", "zh": "zh-CN"}
_LANG_NAME: dict[Lang, str] = {"en": "English", "zh": "中文"}


# --------------------------------------------------------------------------- words

@functools.cache
def page_labels() -> dict[str, dict[str, str]]:
    """The pages' own words: label id → {"en": …, "zh": …}. A label the report already has
    is not repeated here, so each word has one source."""
    table = read_labels("web", "locales", "pages.toml")
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
