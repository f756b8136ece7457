"""Which claimed temperatures the temperature rules look at, and the words near them: the
electrolyte mentions of the class-specific rules (solid polymer, hybrid solid-liquid) and the
'without loss' cues of the rule for every class (``wide_operating_temperature``).

Everything here runs on figures already found and on short windows around them, never over
the whole text character by character.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .figures import Figure, fold_for_matching

__all__ = ["Mention", "hybrid_mentions", "lossless_cue", "operating", "solid_polymer_mentions",
           "wide_or_lossless"]

#: purposes that are not operation: such temperatures are never checked
NOT_OPERATING = ("storage", "test", "property")

# A solid polymer electrolyte, not a gel polymer or a 'lithium polymer' (LiPo) consumer cell,
# which both hold liquid.
_SOLID_POLYMER = re.compile(
    r"(?i:solid[- ]?polymer|polymer[- ](?:based[- ])?(?:all[- ])?(?:solid|electrolyte)"
    r"|(?<![A-Za-z])PEO(?![A-Za-z])|poly ?\(ethylene oxide\))"
    r"|聚合物基?(?:全固态|固态|固体电解质|电解质)|固态聚合物|聚环氧乙烷")
_NOT_SOLID_POLYMER = re.compile(
    r"(?<![A-Za-z])(?i:gel|li(?:thium)?[- ]?(?:ion )?polymer|lipo(?![A-Za-z])|plastici[sz])"
    r"|凝胶|锂聚合物|聚合物锂")
_HYBRID = re.compile(
    r"(?i:semi[- ]?solid|quasi[- ]?solid|near[- ]?solid|hybrid solid[- ]liquid"
    r"|solid[- ]liquid hybrid)|半固态|准固态|类固态|固液混合|混合固液")
# The end of a sentence: a cue beyond it says nothing about the figure.
_SENTENCE_END = re.compile(r"[。！？；!?;\n]|\.(?=\s|\Z)")
#: how far from a figure a 'without loss' cue is looked for (within its sentence)
_CUE_REACH = 80


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str


def solid_polymer_mentions(text: str, folded: str) -> list[Mention]:
    mentions = []
    for match in _SOLID_POLYMER.finditer(folded):
        lo, hi = max(0, match.start() - 20), min(len(folded), match.end() + 10)
        if _NOT_SOLID_POLYMER.search(folded, lo, hi) is None:
            mentions.append(Mention(match.start(), match.end(), text[match.start():match.end()]))
    return mentions


def hybrid_mentions(text: str, folded: str) -> list[Mention]:
    return [Mention(m.start(), m.end(), text[m.start():m.end()])
            for m in _HYBRID.finditer(folded)]


def operating(figure: Figure) -> bool:
    """A temperature claimed for operation: not storage, transport, a test or a property."""
    return figure.kind == "temperature" and figure.purpose not in NOT_OPERATING


def cue_pattern(cues: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern for the cue words, folded like the text (full width, traditional)."""
    if not cues:
        return None
    words = sorted({fold_for_matching(cue) for cue in cues}, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def lossless_cue(folded: str, figure: Figure, cues: re.Pattern[str]) -> re.Match[str] | None:
    """The nearest 'without loss' cue in the figure's sentence, within a short reach."""
    lo = max(0, figure.start - _CUE_REACH)
    hi = min(len(folded), figure.end + _CUE_REACH)
    for stop in _SENTENCE_END.finditer(folded, lo, figure.start):
        lo = stop.end()
    stop_after = _SENTENCE_END.search(folded, figure.end, hi)
    if stop_after is not None:
        hi = stop_after.start()
    best: re.Match[str] | None = None
    for match in cues.finditer(folded, lo, hi):
        if match.start() < figure.end and match.end() > figure.start:
            continue
        distance = (figure.start - match.end() if match.end() <= figure.start
                    else match.start() - figure.end)
        if best is None or distance < (figure.start - best.end() if best.end() <= figure.start
                                       else best.start() - figure.end):
            best = match
    return best


def wide_or_lossless(folded: str, figures: Sequence[Figure], *, max_low: float,
                     min_high: float, lossless_max_low: float,
                     cues: re.Pattern[str] | None) -> list[tuple[Figure, re.Match[str] | None]]:
    """The operating temperatures out of reach of any cell: a range from ``max_low`` or
    colder to ``min_high`` or hotter, or a cold end at ``lossless_max_low`` or below claimed
    with a 'without loss' cue (returned with the figure; None for a wide range alone)."""
    found: list[tuple[Figure, re.Match[str] | None]] = []
    for figure in figures:
        if not operating(figure):
            continue
        cue = (lossless_cue(folded, figure, cues)
               if cues is not None and figure.low <= lossless_max_low else None)
        wide = figure.is_range and figure.low <= max_low and figure.high >= min_high
        if cue is not None or wide:
            found.append((figure, cue))
    return found
