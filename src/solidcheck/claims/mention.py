"""A term or claim found in a text, before any rule set or evidence is applied: what the
matcher (``terms_audit.py``) hands to the findings (``findings.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..terms import Label
from .context import Cue
from .cues import ClaimKind

__all__ = ["Mention", "MentionKind", "MentionLang"]

MentionKind = Literal["term", "claim"]
MentionLang = Literal["en", "zh", "zh-Hant"]


@dataclass(frozen=True, slots=True)
class Mention:
    """A term or claim found in a text, before any rule set or evidence is applied."""

    start: int
    end: int
    kind: MentionKind
    discussed: bool
    concept_id: str
    label: Label
    lang: MentionLang
    claim_kind: ClaimKind = "claim"
    cues: tuple[Cue, ...] = ()
