"""The data that reads a mention in its context: claim cues (``claim_cues.toml``) and the
non-battery senses and document context (``traps.toml``).

Why data: every word that turns a mention into a claim, a general mention or no term at all
is a judgement a reader may question; each list carries its reason (``why``/``why_zh``) and
examples a test checks, and a word added there needs no code change. Both files are validated
like the rule sets: strict types, unknown keys refused, every problem reported at once
(``RulesetError``).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any, Literal

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..rules import Rule, parse_data_file

__all__ = [
    "ClaimCues",
    "CueList",
    "Traps",
    "WordSet",
    "load_claim_cues",
    "load_traps",
    "parse_claim_cues",
    "parse_traps",
]

ClaimKind = Literal["claim", "mention", "discussion"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def _compiles(patterns: list[str]) -> list[str]:
    problems = []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"{pattern!r}: {exc}")
    if problems:
        raise ValueError("not a valid regular expression: " + "; ".join(problems))
    return patterns


class CueExample(_Data):
    text: str = Field(min_length=1)
    kind: Literal["claim", "mention"]


class SentenceRule(Rule):
    enders: list[str] = Field(min_length=1)
    list_markers: list[str] = Field(min_length=1)
    short_line_columns: int = Field(ge=1, le=1000)
    period_enders: list[str] = Field(min_length=1)
    abbreviations: list[str]
    max_chars: int = Field(ge=20, le=5000)


class CueList(Rule):
    """Words (folded text) and patterns (original text) on one side, with examples."""

    words: list[str] = Field(min_length=1)
    patterns: list[str] = Field(default_factory=list)
    examples: list[CueExample] = Field(min_length=1)

    _check_patterns = field_validator("patterns")(_compiles)


class GenericCues(CueList):
    plural_heads: list[str] = Field(min_length=1)
    determiners: list[str] = Field(min_length=1)


class ClaimCues(_Data):
    format: Literal[1]
    default_kind: Literal["claim", "mention"]
    default_why: str = Field(min_length=1)
    default_why_zh: str = Field(min_length=1)
    sentence: SentenceRule
    product: CueList
    generic: GenericCues


class LabelExample(_Data):
    text: str = Field(min_length=1)
    found: str = Field(description="the term found, or '' for none")


class DocumentContext(Rule):
    battery_words: list[str] = Field(min_length=1)
    min_battery_words: int = Field(ge=1)
    label_words_en: list[str] = Field(min_length=1)
    label_examples: list[LabelExample] = Field(min_length=1)


class Trap(Rule):
    """A non-battery sense of the qualifiers, with the words that reveal it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    after: list[str]
    nearby: list[str]
    examples: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_words(self) -> Trap:
        if not self.after and not self.nearby:
            raise ValueError("a trap needs 'after' or 'nearby' words")
        return self


class Traps(_Data):
    format: Literal[1]
    context: DocumentContext
    traps: list[Trap] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Traps:
        ids = [trap.id for trap in self.traps]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"trap ids must be unique: {', '.join(repeated)} repeated")
        return self

    def after_words(self) -> tuple[str, ...]:
        """Every trap's ``after`` words: neutral patterns after a bare qualifier."""
        return tuple(sorted({w for trap in self.traps for w in trap.after}))

    def nearby_words(self) -> list[str]:
        return sorted({w for trap in self.traps for w in trap.nearby})


def parse_claim_cues(text: str, *, source: str = "<string>") -> ClaimCues:
    """Parse and validate claim-cue TOML; raise RulesetError naming every bad key."""
    return parse_data_file(text, ClaimCues, source=source)


def parse_traps(text: str, *, source: str = "<string>") -> Traps:
    """Parse and validate trap TOML; raise RulesetError naming every bad key."""
    return parse_data_file(text, Traps, source=source)


@functools.cache
def load_claim_cues() -> ClaimCues:
    """The installed claim cues (validated once, then cached)."""
    name = "claim_cues.toml"
    return parse_claim_cues(resources.files(__package__).joinpath(name).read_text("utf-8"),
                            source=name)


@functools.cache
def load_traps() -> Traps:
    """The installed traps and document context (validated once, then cached)."""
    name = "traps.toml"
    return parse_traps(resources.files(__package__).joinpath(name).read_text("utf-8"),
                       source=name)


def _letter(char: str) -> bool:
    return "a" <= char <= "z"


class WordSet:
    """Cue words in one Aho-Corasick automaton, found in a stretch of the folded text.

    Why not a regex alternation: Python's ``re`` tries each of some 150 words with their
    look-arounds at every position of a sentence (about 80 µs a sentence, the largest cost on
    dense text); the automaton reads the stretch once in C and only its few hits are checked
    in Python. Latin words match between letters (``launch*``: any ending; a space or hyphen
    inside also matches the other; a digit may touch them: ``150kwh``); Chinese words match
    anywhere.
    """

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.automaton = ahocorasick.Automaton()
        for side, words in groups.items():
            for word in words:
                stem = word.rstrip("*")
                latin = stem.isascii()
                forms = {stem, stem.replace(" ", "-"), stem.replace("-", " ")} if latin else {stem}
                for form in forms:
                    self.automaton.add_word(form, (len(form), side, latin, word.endswith("*")))
        self.automaton.make_automaton()

    def find(self, norm: str, begin: int, stop: int) -> list[tuple[int, int, Any]]:
        """The words in ``norm[begin:stop]`` as (start, end, side), non-overlapping, longest
        first where two overlap."""
        hits: list[tuple[int, int, Any]] = []
        size = len(norm)
        for last, (length, side, latin, wild) in self.automaton.iter(norm[begin:stop]):
            end = begin + last + 1
            start = end - length
            if latin:
                if start > 0 and _letter(norm[start - 1]):
                    continue
                if wild:
                    while end < stop and _letter(norm[end]):
                        end += 1
                elif end < size and _letter(norm[end]):
                    continue
            hits.append((start, end, side))
        if len(hits) < 2:
            return hits
        kept: list[tuple[int, int, Any]] = []
        for hit in sorted(hits, key=lambda h: (h[0], h[0] - h[1])):
            if not kept or hit[0] >= kept[-1][1]:
                kept.append(hit)
        return kept
