"""A scan of rendered text for English words, for the tests that a Chinese rendering (a page,
a report, the terminal) says nothing in English outside what every language writes the same
way: ids, codes, units, file names, rule-set ids, field paths — and what the user gave
(names of cells and makers, the audited text), passed in as ``allowed``. Column names and
commands a hint cites (``specimen``, ``certify``) are ids too; a test allows them by name.

A scan, not a snapshot: it fails on any English word a new template or message adds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

__all__ = ["UNIVERSAL", "english_words", "visible_text", "words_of"]

#: written the same in every language: units, formats, acronyms, the product's name
UNIVERSAL = frozenset({
    "solidcheck", "g", "mg", "h", "min", "s", "Pa", "kPa", "C", "Wh", "kg", "L", "W", "V",
    "mAh", "Ah", "cm", "S", "B", "wt", "UTC", "SHA-256", "GB/T", "T/CSAE", "REST", "API",
    "JSON", "HTML", "PDF", "CSV", "YAML", "QR", "UTF-8", "GB18030", "Ed25519", "P/E", "SEI",
    "LFP", "PEO", "CES", "EV", "SKOS", "English", "Li", "Na", "true", "false", "e.g", "text",
    "markdown", "Markdown", "html", "pdf", "base64", "Excel",
})
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’./-]*[A-Za-z0-9]|[A-Za-z]")
_HIDDEN = re.compile(r"<(script|style|svg|code|textarea)\b.*?</\1>", re.S | re.I)
_HASH = re.compile(r'<span class="hash">.*?</span>', re.S)
_ATTRIBUTES = re.compile(r'\s(?:title|aria-label|alt|placeholder)="([^"]*)"')
_MARKED_ENGLISH = re.compile(r'<span lang="en">.*?</span>', re.S)
#: an element shown in English on purpose, beside its Chinese (a term's other name)
_SHOWN_IN_ENGLISH = re.compile(r'<(\w+)\s[^>]*\blang="en"[^>]*>.*?</\1>', re.S)


def visible_text(html: str, *, skip_marked_english: bool = False) -> str:
    """The words a reader sees or hears on a page: its text and the attributes read aloud
    (title, aria-label, alt, placeholder); code, hashes, scripts and plots left out.
    ``skip_marked_english``: also leave out what the page marks as English (``lang="en"``),
    the text the core gives only in English."""
    if skip_marked_english:
        html = _MARKED_ENGLISH.sub(" ", html)
    html = _SHOWN_IN_ENGLISH.sub(" ", html.replace('<html lang="en"', "<html"))
    spoken = " ".join(_ATTRIBUTES.findall(html))
    html = _HASH.sub(" ", _HIDDEN.sub(" ", html))
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + spoken)


def words_of(texts: Iterable[str]) -> set[str]:
    """Every word of ``texts`` (to allow what the user gave: names, the audited text)."""
    return {word for text in texts for word in _WORD.findall(text)}


def _universal(word: str) -> bool:
    """An id, a code, a file name, a path, a unit or an acronym: not English prose."""
    return (word in UNIVERSAL or len(word) == 1 or any(c.isdigit() or c == "_" for c in word)
            or word.isupper() or ("." in word.strip(".") and not word.endswith("."))
            or "/" in word)


def english_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The English words of ``text`` that are neither universal nor ``allowed``, in order."""
    permitted = set(allowed)
    return [word for word in _WORD.findall(text)
            if word not in permitted and word.strip(".'’") not in permitted
            and not _universal(word.strip(".'’"))]
