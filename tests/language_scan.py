"""A scan of rendered text for English words, for the tests that a Chinese rendering (a page,
a report, the terminal) says nothing in English outside what every language writes the same
way: ids, codes, units, file names, rule-set ids, field paths, acronyms — and what the user
gave (names of cells and makers, the audited text), passed in as ``allowed``.

A scan, not a snapshot: any wording may change, but a new template or message that adds an
English word fails it.

    english_words(text, allowed=()) -> set[str]     the English words left, lower-cased
    visible_text(html) -> str                       what a reader sees or hears on a page
    words_of(texts) -> set[str]                     every word of texts (to allow them)

Excused without asking: tokens that are data rather than words — anything with a digit
(codes such as SCP1-SSB-…, hashes, gbt-ssb-1-2026, numbers with units), an underscore or an
inner dot (field paths such as weight_loss_test.visible_liquid, file names), a slash (paths,
W/Wh, GB/T), a leading hyphen (options such as --format) or an @; single letters (units and
symbols); words in capitals (acronyms: PDF, SHA); and the words of :data:`UNIVERSAL`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

__all__ = ["UNIVERSAL", "english_words", "visible_text", "words_of"]

#: units, formats, names and tags written the same in Chinese technical text (lower case)
UNIVERSAL = frozenset({
    "solidcheck", "mg", "pa", "kpa", "wh", "kwh", "ah", "mah", "kg", "cm", "min", "wt", "cc",
    "sha", "json", "yaml", "toml", "csv", "html", "pdf", "markdown", "text", "utc", "rfc",
    "ed", "skos", "gb", "csae", "scp", "base", "api", "rest", "url", "http", "https", "yyyy",
    "mm", "dd", "hh", "ss", "mpr", "nda", "ndax", "netzsch", "neware", "biologic", "excel",
    "xlsx", "qr", "pubkey", "ssb", "id", "ids", "li", "na", "true", "false", "english",
    "en", "zh", "hant", "e.g",
})

_TOKEN = re.compile(r"[^\s，。；：、（）“”‘’《》【】！？…—·│┃┏┓┗┛┡┩━─┌┐└┘├┤┬┴┼╭╮╯╰═║]+")
_WORD = re.compile(r"[A-Za-z]+")
_EDGE = "()[]{}<>,;:!?\"'`*=|~+"
_HIDDEN = re.compile(r"<(script|style|svg|code|textarea)\b.*?</\1>", re.S | re.I)
_HASH = re.compile(r'<span class="hash">.*?</span>', re.S)
_ATTRIBUTES = re.compile(r'\s(?:title|aria-label|alt|placeholder)="([^"]*)"')
_MARKED_ENGLISH = re.compile(r'<span lang="en">.*?</span>', re.S)
#: an element shown in English on purpose, beside its Chinese (a term's other name)
_SHOWN_IN_ENGLISH = re.compile(r'<(\w+)\s[^>]*\blang="en"[^>]*>.*?</\1>', re.S)


def visible_text(html: str, *, skip_marked_english: bool = False) -> str:
    """The words a reader sees or hears on a page: its text and the attributes read aloud
    (title, aria-label, alt, placeholder); code, hashes, scripts and plots left out.
    ``skip_marked_english``: also leave out what the page marks as English (``lang="en"``)."""
    if skip_marked_english:
        html = _MARKED_ENGLISH.sub(" ", html)
    html = _SHOWN_IN_ENGLISH.sub(" ", html.replace('<html lang="en"', "<html"))
    spoken = " ".join(_ATTRIBUTES.findall(html))
    html = _HASH.sub(" ", _HIDDEN.sub(" ", html))
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + spoken)


def words_of(texts: Iterable[str]) -> set[str]:
    """Every word of ``texts`` (to allow what the user gave: names, the audited text)."""
    return {word for text in texts for word in _WORD.findall(text)}


def _is_data(token: str) -> bool:
    inner = token.strip(_EDGE).rstrip(".")
    return (any(c.isdigit() for c in inner) or "_" in inner or "/" in inner or "@" in inner
            or inner.startswith("-") or "." in inner.strip("."))


def english_words(text: str, allowed: Iterable[str] = ()) -> set[str]:
    """The English words of ``text`` not excused (see the module's docstring), lower-cased."""
    excused = UNIVERSAL | {word.lower() for item in allowed for word in _WORD.findall(item)}
    found: set[str] = set()
    for token in _TOKEN.findall(text):
        if _is_data(token):
            continue
        for word in _WORD.findall(token):
            if len(word) > 1 and not word.isupper() and word.lower() not in excused:
                found.add(word.lower())
    return found
