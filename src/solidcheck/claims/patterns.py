"""The words the text audit looks for, derived from the vocabulary plus a few fixed word lists.

Terms and claims come from the vocabulary, so a new label there is a new pattern here: every
``non_preferred``/``obsolete`` label is a *term* (reported, mapped to its concept), every label
of a concept whose category is ``solid_state`` is a *claim*, and every other label is *neutral*:
it is matched only so that a shorter term inside it is not reported ("hybrid solid-liquid
battery" contains "solid-liquid battery", 混合固液电池 contains 固液电池).

English labels are reduced to a *stem* (the label without its battery word, and without
"-state" after a qualifier): the battery word is looked for after the stem, across a few
modifiers, so "semi-solid-state lithium-ion pouch cells" is found and "semi-solid food" is not.
Chinese has no word boundaries and few variants, so Chinese patterns are spelt out in full.
The word lists below are the only hand-written part; docs/audit.md explains each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..terms import Label, Vocabulary
from .cues import load_claim_cues, load_traps

__all__ = [
    "EN_HEADS",
    "EN_LABEL_WORDS",
    "EN_MODIFIERS",
    "EN_STOP_WORDS",
    "ZH_EXCLUDED_AFTER_ALL_SOLID",
    "ZH_EXCLUDED_AFTER_QUALIFIER",
    "ZH_HEADS",
    "PatternSpec",
    "chinese_characters",
    "pattern_specs",
]

PatternKind = Literal["term", "claim", "neutral"]

# Words that name a battery ("head"), and modifiers that may stand between a stem and the head.
EN_HEADS = ("battery", "batteries", "cell", "cells")
EN_MODIFIERS = (
    "lithium", "li", "sodium", "na", "lithium-ion", "li-ion", "sodium-ion", "na-ion",
    "lithium-metal", "li-metal", "lithium-sulfur", "ion", "metal", "ev", "automotive",
    "traction", "power", "pouch", "prismatic", "cylindrical", "coin", "high-energy",
    "high-power", "high-nickel", "ternary", "lfp", "nmc", "ncm", "nca", "sulfide", "oxide",
    "polymer", "halide", "composite", "anode-free", "rechargeable",
)
# After a head "cell", these words mean biology, not batteries ("semi-solid cell culture").
EN_CELL_NOT_BATTERY = ("culture", "cultures", "biology", "line", "lines", "suspension",
                       "medium", "media", "wall", "walls", "growth")
# Words that make a bare "all-solid-state" a material or a device, not a battery claim.
EN_STOP_WORDS = (
    "electrolyte", "electrolytes", "drive", "drives", "ssd", "ssds", "relay", "relays",
    "lighting", "light", "physics", "chemistry", "ionics", "transformer", "transformers",
    "laser", "lasers", "amplifier", "amplifiers", "electronics", "storage", "device",
    "devices", "switch", "switches", "transmitter", "transmitters", "radar", "separator",
    "separators", "membrane", "membranes", "memory", "circuit", "circuits",
)

ZH_HEADS = ("电池", "电芯", "锂电")
ZH_MODIFIERS = ("", "锂", "锂离子", "锂金属", "钠离子", "钠", "动力", "锂离子动力")
# A bare qualifier (半固态) followed by one of these describes matter, a process or a device,
# not a battery: every trap's ``after`` words (claims/traps.toml, each with its reason).
ZH_EXCLUDED_AFTER_QUALIFIER = load_traps().after_words()
# English words that, after a qualifier or "solid-state", make it a battery label in a document
# about batteries ("the semi-solid architecture"); data in claims/traps.toml.
EN_LABEL_WORDS = tuple(load_traps().context.label_words_en)
# A bare 全固态 followed by one of these is a device or a material, not a battery claim.
ZH_EXCLUDED_AFTER_ALL_SOLID = (
    "激光", "电解质", "变压器", "继电器", "照明", "硬盘", "器件", "电子", "开关", "发射机",
    "雷达", "放大器", "物理", "功放", "光源", "调制器",
)
# Chinese words the discussion and negation checks look for (docs/audit.md); listed here so
# that the normaliser folds their traditional forms too.
ZH_DISCUSSION_BEFORE = ("所谓", "所谓的", "称为", "称作", "称之为", "叫做", "叫作", "不再使用",
                        "不再采用", "术语", "说法", "用语", "一词")
ZH_DISCUSSION_AFTER = ("这一说法", "这个说法", "这种说法", "的说法", "说法", "这一术语", "术语",
                       "名称", "称谓", "提法", "叫法", "概念", "用语", "一词", "不再使用",
                       "不再作为", "已不再")
ZH_NEGATIONS = ("非", "不是", "并不是", "不属于", "不算", "不算是", "算不上", "称不上", "不能称为",
                "不能称作", "不能算", "不能算作", "不可称为", "不得称为", "不应称为", "不能叫",
                "不能叫做")
ZH_NEGATION_FILLERS = ("真正的", "真正", "严格意义上的", "严格的", "一款", "一种", "一个", "所谓的",
                       "所谓", "的")
# Before 固态电池 these make it a hybrid term (半固态电池), never a claim; traditional forms
# (準, 類) are folded to these by the normaliser.
ZH_QUALIFIER_PREFIXES = ("半", "准", "类")

_EN_BATTERY_WORD = re.compile(r"[ -]+(?:batter(?:y|ies)|cells?)$")
_EN_STATE = re.compile(r"[ -]*state$")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One string the automaton looks for (not yet normalised), and what a match means.

    ``needs_tail``: an English stem; the battery word is looked for after it.
    ``bare_claim``: the stem alone is a claim (ASSB, all-solid-state, 全固态) unless a stop
    word follows. ``bare_term``: the stem alone is a term (半固态 — docs/audit.md says why).
    """

    text: str
    kind: PatternKind
    concept_id: str
    label: Label
    latin: bool
    needs_tail: bool = False
    bare_claim: bool = False
    bare_term: bool = False


def _kind(label: Label, category: str | None) -> PatternKind:
    if label.status in ("non_preferred", "obsolete"):
        return "term"
    return "claim" if category == "solid_state" else "neutral"


def _english_stem(text: str) -> tuple[str, bool]:
    """The label without its battery word (and "-state" after a qualifier); had it a head?"""
    lowered = text.lower()
    stem = _EN_BATTERY_WORD.sub("", lowered)
    had_head = stem != lowered
    return stem, had_head


def _spellings(stem: str) -> set[str]:
    """Hyphen, space and no-space spellings of a multi-word stem ("semi-solid" → 3 forms)."""
    words = [w for w in re.split(r"[ -]+", stem) if w]
    forms = {stem}
    if len(words) > 1:
        for joiner in ("-", " ", ""):
            forms.add(joiner.join(words))
        # mixed: "all-solid state", "all solid-state"
        for i in range(1, len(words)):
            for left in ("-", " "):
                for right in ("-", " "):
                    head = left.join(words[:i])
                    tail = right.join(words[i:])
                    forms.add(f"{head}{right}{tail}")
    return forms


def pattern_specs(vocabulary: Vocabulary) -> list[PatternSpec]:
    """Every pattern of the automaton, with its meaning, from ``vocabulary``."""
    specs: list[PatternSpec] = []
    for concept_id, concept in vocabulary.concepts.items():
        for label in concept.labels:
            kind = _kind(label, concept.category)
            if label.lang == "en":
                specs.extend(_english_specs(label, kind, concept_id))
            else:
                specs.extend(_chinese_specs(label, kind, concept_id))
    return specs


def _english_specs(label: Label, kind: PatternKind, concept_id: str) -> list[PatternSpec]:
    stem, had_head = _english_stem(label.text)
    if kind == "term":
        stem = _EN_STATE.sub("", stem)  # "semi-solid-state" → "semi-solid"; "-state" is a tail
    words = re.split(r"[ -]+", stem)
    bare_claim = kind == "claim" and (not had_head or words[0] == "all")
    forms = _spellings(stem)
    if bare_claim and not had_head and len(words) == 1:
        forms.add(stem + "s")  # ASSBs
    return [PatternSpec(text=form, kind=kind, concept_id=concept_id, label=label, latin=True,
                        needs_tail=had_head, bare_claim=bare_claim)
            for form in sorted(forms)]


def _chinese_specs(label: Label, kind: PatternKind, concept_id: str) -> list[PatternSpec]:
    text = label.text
    specs = [PatternSpec(text=text, kind=kind, concept_id=concept_id, label=label, latin=False)]
    head = next((h for h in ZH_HEADS if text.endswith(h)), None)
    if head is None or kind == "neutral":
        return specs
    stem = text[: -len(head)]
    for modifier in ZH_MODIFIERS:
        for other_head in ZH_HEADS:
            form = f"{stem}{modifier}{other_head}"
            if form != text:
                specs.append(PatternSpec(text=form, kind=kind, concept_id=concept_id,
                                         label=label, latin=False))
    # Bare stems: a qualifier + 固态 (半固态) is a term, 全固态 a claim; others (固液, 固态)
    # are too common outside batteries to stand alone (固液界面, 固态硬盘).
    qualifier = stem.endswith(("固态", "固態")) and len(stem) > 2
    excluded: tuple[str, ...]
    if kind == "term" and qualifier:
        specs.append(PatternSpec(text=stem, kind="term", concept_id=concept_id, label=label,
                                 latin=False, bare_term=True))
        excluded = ZH_EXCLUDED_AFTER_QUALIFIER
    elif kind == "claim" and stem in ("全固态", "全固態"):
        specs.append(PatternSpec(text=stem, kind="claim", concept_id=concept_id, label=label,
                                 latin=False, bare_claim=True))
        excluded = ZH_EXCLUDED_AFTER_ALL_SOLID
    else:
        return specs
    specs.extend(PatternSpec(text=stem + word, kind="neutral", concept_id=concept_id,
                             label=label, latin=False) for word in excluded)
    return specs


def chinese_characters(vocabulary: Vocabulary) -> frozenset[str]:
    """Every CJK character of a simplified-Chinese pattern or marker.

    The normaliser maps the traditional forms of exactly these characters back to them;
    traditional labels (zh-Hant) are then normalised like any text.
    """
    words: list[str] = [spec.text for spec in pattern_specs(vocabulary)
                        if not spec.latin and spec.label.lang == "zh"]
    words += [*ZH_DISCUSSION_BEFORE, *ZH_DISCUSSION_AFTER, *ZH_NEGATIONS, *ZH_NEGATION_FILLERS,
              *ZH_QUALIFIER_PREFIXES]
    cues, traps = load_claim_cues(), load_traps()  # read in context (claims/context.py)
    words += [*cues.product.words, *cues.generic.words, *traps.nearby_words(),
              *traps.context.battery_words]
    return frozenset(c for word in words for c in word if _CJK.match(c))
