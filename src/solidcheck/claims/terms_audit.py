"""Terms and claims in product text: non-preferred terms, and solid-state claims checked
against the evidence.

How a text is read (docs/audit.md has the tables):

1. ``normalize`` folds case, full-width forms, dashes, spaces and traditional characters, one
   character for one, so every offset found is an offset into the original text.
2. One Aho-Corasick automaton (pyahocorasick, built once per vocabulary) finds every pattern
   of ``patterns.pattern_specs`` in one pass, in C — over the whole text, or, when the text
   is mostly about other things, only around the few "anchors" every pattern contains
   (固, solid, assb), found with ``str.find``.
3. Each hit is checked in Python — only hits, so this costs nothing on text without them:
   English word boundaries, the battery word after an English stem, negation, discussion.
4. Overlapping mentions are resolved: the longest wins (ties: the leftmost), so
   半固态电池 is one term, not a term and the claim 固态电池.
5. ``audit_text`` turns mentions (``mention.py``) into findings (``findings.py``) with the
   rule set's severity and provenance, and checks claims against a classification result
   when one is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

import ahocorasick

from .._collector import collector_paused
from ..model import Result
from ..rules import Ruleset
from ..terms import Vocabulary, load_vocabulary
from .context import TextContext, context_for
from .findings import findings_for
from .mention import Mention, MentionKind, MentionLang
from .model import AuditFinding
from .normalize import Normalizer
from .patterns import (
    EN_CELL_NOT_BATTERY,
    EN_HEADS,
    EN_LABEL_WORDS,
    EN_MODIFIERS,
    EN_STOP_WORDS,
    ZH_DISCUSSION_AFTER,
    ZH_DISCUSSION_BEFORE,
    ZH_HEADS,
    ZH_NEGATION_FILLERS,
    ZH_NEGATIONS,
    ZH_QUALIFIER_PREFIXES,
    PatternSpec,
    chinese_characters,
    pattern_specs,
)

__all__ = ["Mention", "audit_text", "find_mentions", "matcher_for"]

AUDIT_RULES = ("non_preferred_term", "unsupported_claim", "contradicted_claim",
               "supported_claim", "term_discussed")

Engine = Literal["automaton", "regex"]


# --- regular expressions on the normalised text, used only around a hit -------------------

def _alternation(words: Sequence[str]) -> str:
    """Longest first; a hyphen in a word also matches a space or nothing ("li-ion", "li ion")."""
    forms = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\-", "[ -]?") for w in forms)


_SEP = r"(?: *- *| +)"
_MODS = rf"(?:{_SEP}(?:{_alternation(EN_MODIFIERS)})(?![a-z0-9])){{0,3}}"
_HEAD = (rf"{_SEP}(?:{_alternation(EN_HEADS)})(?![a-z0-9])"
         rf"(?!{_SEP}(?:{_alternation(EN_CELL_NOT_BATTERY)})(?![a-z0-9]))")
_TERM_TAIL = re.compile(rf"(?:{_SEP}?state)?{_MODS}{_HEAD}")
_CLAIM_TAIL = re.compile(rf"{_MODS}{_HEAD}")
_LABEL = rf"{_SEP}(?:{_alternation(EN_LABEL_WORDS)})(?![a-z0-9])"
_TERM_LABEL_TAIL = re.compile(rf"(?:{_SEP}?state)?{_MODS}{_LABEL}")
_CLAIM_LABEL_TAIL = re.compile(rf"{_MODS}{_LABEL}")
_STOP_AFTER = re.compile(rf"['\"”’]?{_MODS}{_SEP}(?:{_alternation(EN_STOP_WORDS)})(?![a-z0-9])")

_OPEN_QUOTES = frozenset("'\"“‘「『《〈«‹")
_CLOSE_QUOTES = frozenset("'\"”’」』》〉»›")

# What comes *before* a mention (negation, discussion, a qualifier) is matched on the window
# spelt backwards, with patterns spelt backwards: a ``match`` at the start of the reversed
# window costs what the words cost, where a forward ``search`` for "...\Z" tries every start
# position of the window (3–10 µs a hit, the largest cost of the audit on dense text).

_EN_NEGATORS = ("not", "never", "no longer", "isn't", "isn’t", "aren't", "aren’t", "wasn't",
                "wasn’t", "weren't", "weren’t", "cannot", "can't", "can’t", "nor", "neither",
                "non")
_EN_NEGATION_FILLERS = ("yet", "a", "an", "the", "true", "truly", "real", "really", "fully",
                        "genuine", "genuinely", "actually", "strictly", "quite", "be", "been",
                        "called", "considered", "classed", "classified", "counted", "as",
                        "described")
_EN_DETERMINERS = ("the", "a", "an", "this", "that", "these", "those", "its")
_EN_TERM_NOUNS = ("term", "terms", "word", "words", "label", "labels", "name", "names", "phrase",
                  "expression", "designation")
_EN_AGENTS = ("industry", "market", "marketers", "marketing", "some", "many", "others", "people",
              "makers", "companies")
_EN_CALLING = ("call", "calls", "called", "label", "labels", "brand", "brands")
_EN_BE = ("be", "is", "are", "was", "were", "been", "being")
_EN_NAMED = ("called", "labelled", "labeled", "named", "termed")
_EN_LIST_INTRO = ("such as", "like")
_EN_OTHER_DISCUSSION = ("so-called", "so called", "socalled", "no longer used", "define",
                        "defines", "definition of")


def _backwards(words: Sequence[str]) -> str:
    """An alternation of ``words`` spelt backwards; a space or hyphen matches [ -]+."""
    forms = sorted(words, key=len, reverse=True)
    return "|".join("[ -]+".join(re.escape(part[::-1]) for part in reversed(re.split("[ -]", w)))
                    for w in forms)


_B = _backwards
_WORD_END = "(?![a-z0-9])"  # backwards: the word began at a boundary
_NEGATION_BEFORE = re.compile(
    rf"[ -]*(?:(?:{_B(_EN_NEGATION_FILLERS)})[ -]+)*(?:{_B(_EN_NEGATORS)}){_WORD_END}"
    rf"|(?:{_B(ZH_NEGATION_FILLERS)})*(?:{_B(ZH_NEGATIONS)})")
_DISCUSSION_BEFORE = re.compile(
    rf"[ -]*(?:(?:{_B(('a', 'an', 'the'))})[ -]+)?(?:"
    rf"(?:(?:{_B(_EN_LIST_INTRO)})[ -]+)?(?:{_B(_EN_TERM_NOUNS)})(?:[ -]+[a-z-]+)?[ -]+"
    rf"(?:{_B(_EN_DETERMINERS)})"
    rf"|(?:{_B(_EN_CALLING)})[ -]+(?:{_B(_EN_AGENTS)})(?:[ -]+eht)?[ -]+(?:tahw|hcihw)"
    rf"|(?:{_B(_EN_NAMED)})[ -]+(?:{_B(_EN_BE)})"
    rf"|(?:{_B(_EN_LIST_INTRO)})[ -]+(?:{_B(_EN_TERM_NOUNS)})"
    rf"|{_B(_EN_OTHER_DISCUSSION)}){_WORD_END}"
    rf"|(?:{_B(ZH_DISCUSSION_BEFORE)})")
_DISCUSSION_AFTER = re.compile(
    r"(?:(?:is|are|was|were)[ -]+)?(?:no[ -]+longer[ -]+|not[ -]+)(?:used|an?[ -]+"
    r"(?:classification[ -]+|official[ -]+|standard[ -]+)?(?:term|category))"
    rf"|(?:{_alternation(ZH_DISCUSSION_AFTER)})")
_QUALIFIER_BEFORE = re.compile(
    rf"[ -]*(?:{_B(('semi', 'quasi', 'near', 'pseudo'))})|(?:{_B(ZH_QUALIFIER_PREFIXES)})")

_WINDOW_BEFORE = 60
_WINDOW_AFTER = 40


def _last_characters(*lists: Sequence[str]) -> frozenset[str]:
    """The characters the words end with: spelt backwards, what the patterns above begin
    with (besides the space and hyphen of ``[ -]*``)."""
    return frozenset(" -").union(w[-1] for words in lists for w in words)


# What must stand right before or after a mention for the patterns above to have a chance:
# most Chinese mentions have none of these characters beside them and skip the patterns.
_BEFORE_DISCUSSION = _OPEN_QUOTES | _last_characters(
    ("a", "an", "the"), _EN_LIST_INTRO, _EN_TERM_NOUNS, _EN_CALLING, _EN_NAMED,
    _EN_OTHER_DISCUSSION, ZH_DISCUSSION_BEFORE)
_BEFORE_CLAIM = _BEFORE_DISCUSSION | _last_characters(
    ("semi", "quasi", "near", "pseudo"), ZH_QUALIFIER_PREFIXES, _EN_NEGATION_FILLERS,
    _EN_NEGATORS, ZH_NEGATION_FILLERS, ZH_NEGATIONS)
_AFTER_DISCUSSION = _CLOSE_QUOTES | frozenset(  # is, are, was, were, no, not (above)
    " iawn").union(w[0] for w in ZH_DISCUSSION_AFTER)


def _is_word_char(char: str) -> bool:
    """A letter or digit of an alphabetic script: English words end where these stop."""
    return char.isalnum() and char < "\u2e80"


def _is_traditional(original: str, normalized: str) -> bool:
    """Was a traditional character folded? (Most mentions fold nothing: one comparison.)"""
    return original != normalized and any(
        o != n and ("\u3400" <= o <= "\u9fff" or "\uf900" <= o <= "\ufaff")
        for o, n in zip(original, normalized, strict=True))


# --- the matchers ---------------------------------------------------------------------------

_PRIORITY = {"term": 0, "claim": 1, "neutral": 2}


def _anchors(patterns: Sequence[str]) -> tuple[str, ...]:
    """A few substrings such that every pattern contains one (greedy set cover).

    Candidates are the patterns' Latin words and CJK characters; for the installed vocabulary
    the answer is ("固", "solid", "assb").
    """
    candidates = {w for p in patterns for w in re.findall(r"[a-z0-9]+|[^\x00-\x7f]", p)}
    uncovered = set(patterns)
    chosen: list[str] = []
    while uncovered:
        best = max(sorted(candidates),
                   key=lambda c: (sum(1 for p in uncovered if c in p), len(c)))
        chosen.append(best)
        uncovered = {p for p in uncovered if best not in p}
    return tuple(chosen)


class Matcher:
    """The vocabulary's patterns, normalised, in one Aho-Corasick automaton (and in one regex
    alternation, kept only as the benchmark's baseline)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.normalize = Normalizer(chinese_characters(vocabulary))
        chosen: dict[str, PatternSpec] = {}
        for spec in pattern_specs(vocabulary):
            key = self.normalize(spec.text)
            held = chosen.get(key)
            if held is None or _PRIORITY[spec.kind] < _PRIORITY[held.kind]:
                chosen[key] = spec
        active = [k for k, s in chosen.items() if s.kind != "neutral"]
        # a neutral pattern matters only if it can hide a term or claim inside it
        self.patterns: dict[str, PatternSpec] = {
            k: s for k, s in chosen.items()
            if s.kind != "neutral" or any(a in k for a in active)
        }
        self.automaton = ahocorasick.Automaton()
        for key, spec in self.patterns.items():
            self.automaton.add_word(key, (len(key), spec))
        self.automaton.make_automaton()
        self.regex = re.compile("|".join(re.escape(k) for k in
                                         sorted(self.patterns, key=len, reverse=True)))
        self.anchors = _anchors(list(self.patterns))
        self._margin = max(map(len, self.patterns))

    def windows(self, normalized: str) -> list[tuple[int, int]]:
        """The stretches of ``normalized`` a pattern can be in, or one stretch: all of it.

        Every pattern contains an anchor and is at most ``_margin`` long, so every
        occurrence lies within ``_margin`` of an anchor. ``str.count`` and ``str.find`` run
        at about 1 GB/s; when anchors are so dense that windows would cover much of the text
        (a text about batteries and nothing else), the whole text is scanned instead.
        """
        size = len(normalized)
        expected = sum(normalized.count(anchor) for anchor in self.anchors)
        if expected * 2 * self._margin > size // 4:
            return [(0, size)]
        spans: list[tuple[int, int]] = []
        for anchor in self.anchors:
            found = normalized.find(anchor)
            while found != -1:
                spans.append((found, found + len(anchor)))
                found = normalized.find(anchor, found + 1)
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            start, end = max(0, start - self._margin), min(size, end + self._margin)
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def hits(self, normalized: str, *, engine: Engine = "automaton", prefilter: bool = True
             ) -> Iterator[tuple[int, int, PatternSpec]]:
        """Every pattern occurrence as (start, end, spec) in the normalised text.

        The automaton reports overlapping occurrences too; the regex alternation (the
        benchmark's baseline) only leftmost-longest ones, which resolve to the same mentions.
        ``prefilter``: scan only the ``windows`` around anchors (same result, faster).
        """
        whole = [(0, len(normalized))]
        for offset, stop in self.windows(normalized) if prefilter else whole:
            # a slice, not start/end arguments: pyahocorasick copies its whole input per call
            window = normalized if (offset, stop) == whole[0] else normalized[offset:stop]
            if engine == "automaton":
                for last, (length, spec) in self.automaton.iter(window):
                    yield offset + last + 1 - length, offset + last + 1, spec
            else:
                patterns = self.patterns
                for match in self.regex.finditer(window):
                    yield offset + match.start(), offset + match.end(), patterns[match.group()]


_MATCHERS: dict[int, Matcher] = {}


def matcher_for(vocabulary: Vocabulary | None = None) -> Matcher:
    """The matcher of ``vocabulary`` (default: the installed one), built once and kept."""
    vocabulary = vocabulary or load_vocabulary()
    matcher = _MATCHERS.get(id(vocabulary))
    if matcher is None or matcher.vocabulary is not vocabulary:
        matcher = _MATCHERS[id(vocabulary)] = Matcher(vocabulary)
    return matcher


# --- from hits to mentions ------------------------------------------------------------------

@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    spec: PatternSpec
    outcome: Literal["term", "claim", "discussed", "neutral"]
    labelled: bool = False  # no battery word: a term only in a document about batteries


Tail = Literal["battery", "label", "bare"]


def _latin_span(norm: str, start: int, end: int, spec: PatternSpec) -> tuple[int, Tail] | None:
    """The end of an English mention and what ends it: a battery word, a label word such as
    "architecture" (a battery only in a battery document), or nothing; None: no mention."""
    if start > 0 and _is_word_char(norm[start - 1]):
        return None
    if spec.needs_tail:
        term = spec.kind == "term"
        tail = (_TERM_TAIL if term else _CLAIM_TAIL).match(norm, end)
        if tail:
            return tail.end(), "battery"
        if spec.kind != "neutral":
            label = (_TERM_LABEL_TAIL if term else _CLAIM_LABEL_TAIL).match(norm, end)
            if label:
                return label.end(), "label"
    if end < len(norm) and _is_word_char(norm[end]):
        return None
    if _STOP_AFTER.match(norm, end):  # "solid-state drive", "all-solid-state electrolyte"
        return None
    return end, "bare"


def _discussed(norm: str, start: int, end: int) -> bool:
    if (norm[start - 1:start] not in _BEFORE_DISCUSSION
            and norm[end:end + 1] not in _AFTER_DISCUSSION):
        return False  # "" (the text's edge) is in neither
    before = norm[max(0, start - _WINDOW_BEFORE):start]
    after = norm[end:end + _WINDOW_AFTER]
    if before[-1:] in _OPEN_QUOTES and after[:1] in _CLOSE_QUOTES:
        return True
    backwards = before[::-1].lstrip(" ")
    if backwards[:1] in _OPEN_QUOTES:
        backwards = backwards[1:].lstrip(" ")
    after = after.lstrip(" ")
    if after[:1] in _CLOSE_QUOTES:
        after = after[1:].lstrip(" ")
    return bool(_DISCUSSION_BEFORE.match(backwards) or _DISCUSSION_AFTER.match(after))


def _candidate(norm: str, start: int, end: int, spec: PatternSpec) -> _Candidate | None:
    if spec.kind == "neutral":
        if spec.latin:
            span = _latin_span(norm, start, end, spec)
            if span is None:
                return None
            end = span[0]
        return _Candidate(start, end, spec, "neutral")
    bare = False  # a Latin stem without a battery word (Chinese patterns are spelt out)
    if spec.latin:
        span = _latin_span(norm, start, end, spec)
        if span is None:
            return None
        end, tail = span
        bare, labelled = tail == "bare", tail == "label"
    else:  # the label 半固态
        labelled = spec.bare_term or (spec.kind == "term" and not spec.text.endswith(ZH_HEADS))
    if spec.kind == "claim" and norm[start - 1:start] in _BEFORE_CLAIM:
        backwards = norm[max(0, start - _WINDOW_BEFORE):start][::-1]
        if _QUALIFIER_BEFORE.match(backwards):
            return None  # 半固态电池, semi-solid-state: the term, not a claim
        if _NEGATION_BEFORE.match(backwards):
            return _Candidate(start, end, spec, "neutral")  # hides shorter claims inside it
    if _discussed(norm, start, end):
        return _Candidate(start, end, spec, "discussed", labelled)
    if bare and not spec.bare_claim:
        return None  # "semi-solid food": no battery word, not discussed
    return _Candidate(start, end, spec, spec.kind, labelled)


def _longest_first(cluster: list[_Candidate]) -> list[_Candidate]:
    if len(cluster) == 1:
        return cluster
    kept: list[_Candidate] = []
    for cand in sorted(cluster, key=lambda c: (c.start - c.end, c.start,
                                               _PRIORITY[c.spec.kind])):
        if all(cand.end <= k.start or k.end <= cand.start for k in kept):
            kept.append(cand)
    return kept


_BY_SPAN = attrgetter("start", "end")
_BY_START = attrgetter("start")


def _resolve(candidates: list[_Candidate]) -> list[_Candidate]:
    """Overlaps resolved, longest first; neutral mentions hide what they cover, then go."""
    candidates.sort(key=_BY_SPAN)
    resolved: list[_Candidate] = []
    cluster: list[_Candidate] = []
    cluster_end = -1
    for cand in candidates:
        if cluster and cand.start >= cluster_end:
            resolved.extend(_longest_first(cluster))
            cluster = []
        if not cluster or cand.end > cluster_end:
            cluster_end = cand.end
        cluster.append(cand)
    if cluster:
        resolved.extend(_longest_first(cluster))
    resolved.sort(key=_BY_START)
    return [c for c in resolved if c.outcome != "neutral"]


def find_mentions(text: str, *, vocabulary: Vocabulary | None = None,
                  engine: Engine = "automaton", prefilter: bool = True) -> list[Mention]:
    """Terms and claims in ``text``, sorted by start, overlaps resolved (longest wins).

    Offsets are into ``text`` itself. ``engine="regex"`` and ``prefilter=False`` exist for
    the benchmark (bench/audit.py) and the tests: every combination gives the same mentions.
    """
    matcher = matcher_for(vocabulary)
    with collector_paused():
        norm = matcher.normalize(text)
        hits = matcher.hits(norm, engine=engine, prefilter=prefilter)
        candidates = [cand for start, end, spec in hits
                      if (cand := _candidate(norm, start, end, spec)) is not None]
        return _mentions(text, norm, _resolve(candidates))


def _mentions(text: str, norm: str, resolved: list[_Candidate]) -> list[Mention]:
    """The resolved candidates read in their sentence and document: labels outside a
    battery document dropped, each mention's language and claim kind decided."""
    mentions: list[Mention] = []
    context = context_for(text, norm)
    for cand in resolved:
        if cand.labelled and not _battery_label(context, cand):
            continue
        spec = cand.spec
        lang: MentionLang = "en"
        if not spec.latin:
            lang = "zh-Hant" if _is_traditional(text[cand.start:cand.end],
                                                norm[cand.start:cand.end]) else "zh"
        kind: MentionKind = "term" if spec.kind == "term" else "claim"
        discussed = cand.outcome == "discussed"
        reading = context.read(cand.start, cand.end) if not discussed else None
        mentions.append(Mention(start=cand.start, end=cand.end, kind=kind, discussed=discussed,
                                concept_id=spec.concept_id, label=spec.label, lang=lang,
                                claim_kind=reading.kind if reading else "discussion",
                                cues=reading.cues if reading else ()))
    return mentions


def _battery_label(context: TextContext, cand: _Candidate) -> bool:
    """A qualifier without a battery word (半固态, "semi-solid architecture") is a battery
    term only outside every trap (claims/traps.toml) and — unless it is discussed ("the term
    'semi-solid'") — only in a document about batteries."""
    if context.trapped(cand.start, cand.end):
        return False
    return cand.outcome == "discussed" or context.about_batteries()


def audit_text(text: str, *, ruleset: Ruleset, evidence: Result | None = None,
               vocabulary: Vocabulary | None = None) -> list[AuditFinding]:
    """Findings on the terms and solid-state claims of ``text``, sorted by start.

    ``evidence``: the classification result of the cell the text is about. Without it, every
    claim is unsupported (a warning); with a non-solid-state result, contradicted (an error).
    Negated claims ("is not a solid-state battery") produce nothing; discussed terms ("the
    term 'semi-solid'") produce at most an ``info``.
    """
    vocabulary = vocabulary or load_vocabulary()
    with collector_paused():
        return findings_for(text, find_mentions(text, vocabulary=vocabulary), ruleset=ruleset,
                            evidence=evidence, vocabulary=vocabulary)
