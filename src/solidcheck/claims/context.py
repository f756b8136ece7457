"""A mention read in its context: its sentence (claim, mention of the technology, or which
trap it falls into) and its document (about batteries or not).

Why rules and not a model: a reader must be able to see why a mention was taken for a product
claim — the cue words and their offsets are kept in the finding — and change the words in
``claim_cues.toml`` / ``traps.toml`` without touching code. Everything here runs per mention
(a sentence is read once however many mentions it holds) or once per document (a few
``str.count`` calls), never per character of the text in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .cues import ClaimCues, ClaimKind, Traps, load_claim_cues, load_traps, word_regex

__all__ = ["Cue", "Reading", "TextContext", "context_for"]

CueSide = Literal["product", "generic"]


@dataclass(frozen=True, slots=True)
class Cue:
    """A word that decided a mention's kind, with its offsets in the original text."""

    text: str
    start: int
    end: int
    side: CueSide


@dataclass(frozen=True, slots=True)
class Reading:
    kind: ClaimKind
    cues: tuple[Cue, ...] = ()


class Rules:
    """The compiled cue and trap data, built once."""

    def __init__(self, cues: ClaimCues, traps: Traps) -> None:
        sentence = cues.sentence
        chars = re.escape("".join(sentence.enders))
        periods = re.escape("".join(sentence.period_enders))
        self.enders = re.compile(rf"[{chars}]+|[{periods}](?=\s|\Z)|\r?\n(?:[ \t]*\r?\n)*")
        self.list_markers = tuple(sentence.list_markers)
        self.short_line = sentence.short_line_columns
        self.abbreviations = frozenset(a.lower() for a in sentence.abbreviations)
        self.max_chars = sentence.max_chars
        self.words = re.compile(f"(?P<product>{word_regex(cues.product.words)})"
                                f"|(?P<generic>{word_regex(cues.generic.words)})")
        self.patterns = re.compile(
            "|".join(f"(?P<product{i}>{p})" for i, p in enumerate(cues.product.patterns))
            + "".join(f"|(?P<generic{i}>{p})" for i, p in enumerate(cues.generic.patterns)))
        self.plural_heads = tuple(cues.generic.plural_heads)
        self.determiners = frozenset(cues.generic.determiners)
        self.default: ClaimKind = cues.default_kind
        self.battery_words = tuple(traps.context.battery_words)
        self.min_battery_words = traps.context.min_battery_words
        self.nearby = re.compile(word_regex(traps.nearby_words()))


_WORD_BEFORE_PERIOD = re.compile(r"[A-Za-z][A-Za-z.]*\Z")
_WORD_BEFORE = re.compile(r"([a-z0-9'’]+)[ -]+\Z")


def _line_ends_sentence(rules: Rules, text: str, match: re.Match[str]) -> bool:
    """A line break ends a headline, a list item or a paragraph, not wrapped prose."""
    if match.group().count("\n") > 1:
        return True
    if text.startswith(rules.list_markers, match.end()):
        return True
    line = text[text.rfind("\n", 0, match.start()) + 1:match.start()]
    return len(line) + sum(1 for char in line if char >= "\u2e80") < rules.short_line


def _ends_sentence(rules: Rules, text: str, match: re.Match[str]) -> bool:
    """A period ends a sentence unless it closes an abbreviation or an initial."""
    first = match.group()[0]
    if first in "\r\n":
        return _line_ends_sentence(rules, text, match)
    if first not in ".．":
        return True
    word = _WORD_BEFORE_PERIOD.search(text, max(0, match.start() - 12), match.start())
    if word is None:
        return True
    token = word.group().lower()
    return len(token) > 1 and token not in rules.abbreviations


def _side(match: re.Match[str]) -> CueSide:
    """Which list a cue match came from: the group names start with the side."""
    return "product" if (match.lastgroup or "").startswith("product") else "generic"


def sentence_bounds(rules: Rules, text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding ``text[start:end]``, at most ``max_chars`` either side."""
    low = max(0, start - rules.max_chars)
    begin = low
    for match in rules.enders.finditer(text, low, start):
        if _ends_sentence(rules, text, match):
            begin = match.end()
    high = min(len(text), end + rules.max_chars)
    stop = high
    for match in rules.enders.finditer(text, end, high):
        if _ends_sentence(rules, text, match):
            stop = match.end()
            break
    return begin, stop


@dataclass(slots=True)
class TextContext:
    """One document being read: its battery context and the cues of each sentence read."""

    rules: Rules
    text: str
    norm: str
    _battery: bool | None = None
    _sentences: dict[tuple[int, int], tuple[Cue, ...]] = field(default_factory=dict)

    def about_batteries(self) -> bool:
        """Battery words occur often enough in the whole text (traps.toml, ``context``)."""
        if self._battery is None:
            count = sum(self.norm.count(word) for word in self.rules.battery_words)
            self._battery = count >= self.rules.min_battery_words
        return self._battery

    def trapped(self, start: int, end: int) -> bool:
        """A trap's ``nearby`` word is in the mention's sentence (a casting, food, LiDAR…)."""
        begin, stop = sentence_bounds(self.rules, self.text, start, end)
        return self.rules.nearby.search(self.norm, begin, stop) is not None

    def _cues(self, begin: int, stop: int) -> tuple[Cue, ...]:
        held = self._sentences.get((begin, stop))
        if held is None:
            found = [*self.rules.words.finditer(self.norm, begin, stop),
                     *self.rules.patterns.finditer(self.text, begin, stop)]
            held = tuple(sorted((Cue(self.text[m.start():m.end()], m.start(), m.end(),
                                     _side(m)) for m in found if m.end() > m.start()),
                                key=lambda c: c.start))
            self._sentences[(begin, stop)] = held
        return held

    def _plural(self, start: int, end: int) -> Cue | None:
        """An English plural without a determiner: the class, not a product."""
        head = next((h for h in self.rules.plural_heads if self.norm.endswith(h, start, end)),
                    None)
        if head is None:
            return None
        word = _WORD_BEFORE.search(self.norm, max(0, start - 30), start)
        if word is not None:
            before = word.group(1)
            if (before in self.rules.determiners or before.endswith(("'s", "’s"))
                    or before[:1].isdigit()):
                return None
        return Cue(self.text[end - len(head):end], end - len(head), end, "generic")

    def read(self, start: int, end: int) -> Reading:
        """Claim or mention, by the cues of the sentence (docs/audit.md has the rules)."""
        begin, stop = sentence_bounds(self.rules, self.text, start, end)
        cues = [c for c in self._cues(begin, stop) if c.end <= start or c.start >= end]
        plural = self._plural(start, end)
        if plural is not None:
            cues.append(plural)
        before = [c for c in cues if c.side == "product" and 0 <= start - c.end <= 1]
        if before:
            return Reading("claim", tuple(before))
        after = [c for c in cues if c.side == "generic" and 0 <= c.start - end <= 1]
        if after:
            return Reading("mention", tuple(after))
        product = tuple(c for c in cues if c.side == "product")
        generic = tuple(c for c in cues if c.side == "generic")
        if len(product) > len(generic):
            return Reading("claim", product)
        if len(generic) > len(product):
            return Reading("mention", generic)
        return Reading(self.rules.default, product + generic)


_RULES: list[Rules] = []


def context_for(text: str, norm: str) -> TextContext:
    """A reading context for one document, with the installed cue and trap data."""
    if not _RULES:
        _RULES.append(Rules(load_claim_cues(), load_traps()))
    return TextContext(_RULES[0], text, norm)
