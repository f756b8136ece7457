"""A mention read in its context: its sentence (claim, mention of the technology, or which
trap it falls into) and its document (about batteries or not).

Why rules and not a model: a reader must be able to see why a mention was taken for a product
claim — the cue words and their offsets are kept in the finding — and change the words in
``claim_cues.toml`` / ``traps.toml`` without touching code. Everything here runs per mention
(a sentence is read once however many mentions it holds) or once per document (a few
``str.find`` calls), never per character of the text in Python.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from .cues import ClaimCues, ClaimKind, Traps, WordSet, load_claim_cues, load_traps

__all__ = ["Cue", "Reading", "TextContext", "context_for"]

CueSide = Literal["product", "generic"]


class Cue(NamedTuple):
    """A word that decided a mention's kind, with its offsets in the original text (a named
    tuple: built by the thousand on dense text, where a frozen dataclass costs 3 µs each)."""

    text: str
    start: int
    end: int
    side: CueSide


class Reading(NamedTuple):
    kind: ClaimKind
    cues: tuple[Cue, ...] = ()


class CompiledCues:
    """The cue and trap data compiled for matching, built once."""

    def __init__(self, cues: ClaimCues, traps: Traps) -> None:
        sentence = cues.sentence
        self.candidates = _candidates_regex(cues)
        self.abbreviations = frozenset(a.lower() for a in sentence.abbreviations)
        self.list_markers = tuple(sentence.list_markers)
        self.periods = frozenset(sentence.period_enders)
        self.short_line = sentence.short_line_columns
        self.max_chars = sentence.max_chars
        self.words = WordSet({"product": cues.product.words, "generic": cues.generic.words})
        # one regex for the product patterns (each starts with its capital: `re` still skips
        # to the next capital); the generic ones apart, each keeps its literal prefix
        self.product_patterns = [re.compile("|".join(f"(?:{p})" for p in cues.product.patterns))]
        self.generic_patterns = [re.compile(p) for p in cues.generic.patterns]
        self.plural_heads = tuple(cues.generic.plural_heads)
        self.determiners = frozenset(cues.generic.determiners)
        self.default: ClaimKind = cues.default_kind
        self.battery_words = tuple(traps.context.battery_words)
        self.min_battery_words = traps.context.min_battery_words
        self.nearby = WordSet({"trap": traps.nearby_words()})


_BLOCK = 256
_WORD_BEFORE = re.compile(r"([a-z0-9'’]+)[ -]+\Z")
_TOKEN_BEFORE_PERIOD = re.compile(r"[A-Za-z][A-Za-z.]*\Z")
_Hit = tuple[int, int, CueSide]


def _candidates_regex(cues: ClaimCues) -> re.Pattern[str]:
    """Every character that may end a sentence, as ONE character class: ``re`` then skips
    between them in C (an alternation of named groups is six times slower)."""
    sentence = cues.sentence
    return re.compile(f"[{re.escape(''.join(sentence.enders + sentence.period_enders))}\n]")


@dataclass(slots=True)
class TextContext:
    """One document being read: its battery context, its sentence ends (found a block at a
    time, only where a mention needs them) and the cues of each sentence read."""

    rules: CompiledCues
    text: str
    norm: str
    _battery: bool | None = None
    _blocks: dict[int, list[int]] = field(default_factory=dict)
    _sentences: dict[tuple[int, int], list[_Hit]] = field(default_factory=dict)
    _last: tuple[int, int] = (-1, -1)

    def about_batteries(self) -> bool:
        """Battery words occur often enough in the whole text (traps.toml, ``context``)."""
        if self._battery is None:
            self._battery = _occurs(self.norm, self.rules.battery_words,
                                    self.rules.min_battery_words)
        return self._battery

    # --- sentences ---------------------------------------------------------------------

    def _period_ends(self, at: int) -> bool:
        """A period followed by a space or the end, not after an abbreviation or initial."""
        following = self.text[at + 1:at + 2]
        if following and not following.isspace():
            return False
        token = _TOKEN_BEFORE_PERIOD.search(self.text, max(0, at - 12), at)
        if token is None:
            return True
        word = token.group().lower()
        return len(word) > 1 and word not in self.rules.abbreviations

    def _line_ends(self, at: int, line_start: int) -> bool:
        """A line break ends a sentence after a short line (a headline, a list item, an
        empty line); wrapped prose goes on. Non-ASCII characters count two columns. (Before
        a list item it ends too: the caller checks that.)"""
        line = self.text[line_start:at].rstrip("\r")
        return 2 * len(line) - len(line.encode("ascii", "ignore")) < self.rules.short_line

    def _ends_in_block(self, block: int) -> list[int]:
        ends = self._blocks.get(block)
        if ends is None:
            ends = []
            low = block * _BLOCK
            text, periods, short = self.text, self.rules.periods, self.rules.short_line
            markers = self.rules.list_markers
            line_start = text.rfind("\n", 0, low) + 1
            for match in self.rules.candidates.finditer(text, low, low + _BLOCK):
                at = match.start()
                char = text[at]
                if char == "\n":  # long lines (wrapped prose) decided here, without a call
                    chars = at - line_start  # columns: at most twice the characters
                    if ((chars < short and (2 * chars < short or self._line_ends(at, line_start)))
                            or text.startswith(markers, at + 1)):
                        ends.append(at + 1)
                    line_start = at + 1
                elif char not in periods or self._period_ends(at):
                    ends.append(at + 1)
            self._blocks[block] = ends
        return ends

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """The mention's sentence, at most ``max_chars`` either side of it."""
        begin, stop = self._last
        if begin <= start and end <= stop:
            return begin, stop
        low, high = max(0, start - self.rules.max_chars), min(len(self.text),
                                                              end + self.rules.max_chars)
        blocks = self._blocks
        begin, block = low, start // _BLOCK
        while block >= low // _BLOCK:  # backwards from the mention's block, only as needed
            ends = blocks.get(block)
            if ends is None:
                ends = self._ends_in_block(block)
            i = bisect.bisect_right(ends, start)
            if i:
                begin = max(low, ends[i - 1])
                break
            block -= 1
        stop, block = high, end // _BLOCK
        while block <= (high - 1) // _BLOCK:  # forwards likewise
            ends = blocks.get(block)
            if ends is None:
                ends = self._ends_in_block(block)
            j = bisect.bisect_right(ends, end)
            if j < len(ends):
                stop = min(high, ends[j])
                break
            block += 1
        self._last = (begin, stop)
        return begin, stop

    # --- traps and cues ----------------------------------------------------------------

    def trapped(self, start: int, end: int) -> bool:
        """A trap's ``nearby`` word is in the mention's sentence (a casting, food, LiDAR…)."""
        begin, stop = self.sentence(start, end)
        return bool(self.rules.nearby.find(self.norm, begin, stop))

    def _cues(self, begin: int, stop: int) -> list[_Hit]:
        held = self._sentences.get((begin, stop))
        if held is None:
            held = self.rules.words.find(self.norm, begin, stop)
            for pattern in self.rules.product_patterns:
                held += [(m.start(), m.end(), "product")
                         for m in pattern.finditer(self.text, begin, stop) if m.group()]
            for pattern in self.rules.generic_patterns:
                held += [(m.start(), m.end(), "generic")
                         for m in pattern.finditer(self.norm, begin, stop) if m.group()]
            held.sort()
            self._sentences[(begin, stop)] = held
        return held

    def _plural(self, start: int, end: int) -> _Hit | None:
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
        return (end - len(head), end, "generic")

    def _reading(self, kind: ClaimKind, hits: list[_Hit]) -> Reading:
        text = self.text
        return Reading(kind, tuple([Cue(text[s:e], s, e, side) for s, e, side in hits]))

    def read(self, start: int, end: int) -> Reading:
        """Claim or mention, by the cues of the sentence (docs/audit.md has the rules): a
        product cue right before decides, then a generic cue right after, then the count."""
        product: list[_Hit] = []
        generic: list[_Hit] = []
        for hit in self._cues(*self.sentence(start, end)):  # sorted: "before" cues first
            if hit[1] <= start:
                if hit[2] == "product":
                    if start - hit[1] <= 1:
                        return self._reading("claim", [hit])
                    product.append(hit)
                else:
                    generic.append(hit)
            elif hit[0] >= end:
                if hit[2] == "generic":
                    if hit[0] - end <= 1:
                        return self._reading("mention", [hit])
                    generic.append(hit)
                else:
                    product.append(hit)
        if self.norm[end - 1:end] == "s":
            plural = self._plural(start, end)
            if plural is not None:
                generic.append(plural)
        if len(product) != len(generic):
            return (self._reading("claim", product) if len(product) > len(generic)
                    else self._reading("mention", generic))
        return self._reading(self.rules.default, sorted(product + generic))


def _occurs(text: str, words: tuple[str, ...], times: int) -> bool:
    """Do ``words`` occur at least ``times`` times in all? Stops as soon as they do, so a
    long battery document costs a few ``str.find`` calls, not a count over all of it."""
    seen = 0
    for word in words:
        found = text.find(word)
        while found != -1:
            seen += 1
            if seen >= times:
                return True
            found = text.find(word, found + len(word))
    return False


_RULES: list[CompiledCues] = []


def context_for(text: str, norm: str) -> TextContext:
    """A reading context for one document, with the installed cue and trap data."""
    if not _RULES:
        _RULES.append(CompiledCues(load_claim_cues(), load_traps()))
    return TextContext(_RULES[0], text, norm)
