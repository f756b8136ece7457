"""A scan for English left in text rendered for a Chinese reader (not a snapshot: any
wording may change, but no English word may appear outside ids, codes, units and file names).

    english_words(text, allowed=()) -> set[str]

The English words of ``text``, lower-cased, that are not excused. Excused without asking:
tokens that are identifiers or data rather than words — anything with a digit (codes such as
SCP1-SSB-…, hashes, rule-set ids such as gbt-ssb-1-2026, numbers with units), an underscore
or an inner dot (field paths such as weight_loss_test.visible_liquid, file names), a slash
(paths, W/Wh), a leading hyphen (options such as --format) or an @ (addresses); single letters
(units and symbols: h, s, g, C, T, p); and the units, acronyms and names of :data:`ALLOWED`.
``allowed`` adds more (e.g. the words of a file's own column names, or of text the test
knows is not yet localised). A test asserts the result is empty and shows it otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ALLOWED", "english_words"]

#: units, acronyms, formats and names that are the same in Chinese technical text
ALLOWED = frozenset({
    "solidcheck", "mg", "pa", "wh", "ah", "kwh", "min", "cc", "sha", "json", "yaml", "toml",
    "csv", "html", "pdf", "utc", "rfc", "ed", "skos", "gb", "csae", "scp", "base", "api",
    "url", "http", "https", "yyyy", "mm", "dd", "hh", "ss", "mpr", "nda", "ndax", "netzsch",
    "neware", "biologic", "excel", "xlsx", "wt", "qr", "pubkey", "ssb", "id", "ids",
    "en", "zh", "hant",  # language tags
})

_TOKEN = re.compile(r"[^\s，。；：、（）“”‘’《》【】！？…—·│┃┏┓┗┛┡┩━─┌┐└┘├┤┬┴┼╭╮╯╰═║]+")
_WORD = re.compile(r"[A-Za-z]+")
_EDGE = "()[]{}<>,;:!?\"'`*=|~+"


def _is_data(token: str) -> bool:
    inner = token.strip(_EDGE).rstrip(".")
    return (any(c.isdigit() for c in inner) or "_" in inner or "/" in inner or "@" in inner
            or inner.startswith("-") or "." in inner.strip("."))


def english_words(text: str, *, allowed: Iterable[str] = ()) -> set[str]:
    """The English words of ``text`` not excused (see the module's docstring), lower-cased."""
    excused = ALLOWED | {word.lower() for item in allowed for word in _WORD.findall(item)}
    found: set[str] = set()
    for token in _TOKEN.findall(text):
        if _is_data(token):
            continue
        for word in _WORD.findall(token):
            lowered = word.lower()
            if len(word) > 1 and lowered not in excused:
                found.add(lowered)
    return found
