"""An audit finding in the reader's language: its message, suggestion and basis.

A finding keeps its words as data (``message_id`` and ``params``); ``message`` is their English
rendering, kept for the consumers that read it. Terms and claims are messages of the catalogue
(``i18n/audit.toml``); a plausibility rule's message is its own template in
``plausibility.toml`` (``plausibility.<rule>.<template>``), beside the thresholds it cites.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..i18n import Display, Language, Param, load_catalogue, traditional
from .model import AuditFinding

__all__ = ["finding_basis", "finding_kind", "finding_message", "finding_suggestion",
           "in_language", "note_text", "render_message"]

PLAUSIBILITY_PREFIX = "plausibility."


def in_language(params: Mapping[str, Param], lang: Language) -> dict[str, Param]:
    """``params`` for a template in ``lang``: ``name@en``/``name@zh`` become ``name`` (the
    Chinese value serves traditional Chinese too, converted with the template)."""
    suffix = "@en" if lang == "en" else "@zh"
    chosen: dict[str, Param] = {}
    for name, value in params.items():
        base, at, tag = name.partition("@")
        if not at:
            chosen.setdefault(name, value)
        elif "@" + tag == suffix:
            chosen[base] = value
    return chosen


def render_message(message_id: str, params: Mapping[str, Param], lang: Display) -> str:
    """The message ``message_id`` with ``params`` in ``lang`` (``both``: "English / 中文")."""
    if lang == "both":
        return " / ".join(render_message(message_id, params, one) for one in ("en", "zh"))
    if message_id.startswith(PLAUSIBILITY_PREFIX):
        from .plausibility import load_plausibility_rules

        _, rule_id, template = message_id.split(".", 2)
        rule = load_plausibility_rules().rule(rule_id)
        text = rule.render_in(template, in_language(params, lang),
                              "en" if lang == "en" else "zh")
        return traditional(text) if lang == "zh-Hant" else text
    chosen = in_language(params, lang)
    if lang == "zh-Hant":  # the Chinese values are simplified; the template converts them
        return traditional(load_catalogue().render(message_id, chosen, "zh"))
    return load_catalogue().render(message_id, chosen, lang)


_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\Adecoded as UTF-16 \(byte-order mark\)\Z"), "audit.note.utf16"),
    (re.compile(r"\Anot valid UTF-8 \(first invalid byte at offset (?P<offset>\d+)\); "
                r"decoded as GB18030\Z"), "audit.note.gb18030"),
    (re.compile(r"\Athe PDF has no text layer "), "audit.note.no_text_layer"),
    (re.compile(r"\Ano text layer on pages? (?P<pages>[\d, ]+) \(scanned images\?\); "
                r"not audited\Z"), "audit.note.pages_without_text"),
)


def note_text(note: str, lang: Display) -> str | None:
    """A note of the extraction (``claims/extract.py``, kept in English in the report's
    ``source.notes``) in ``lang``; None for a note not known here."""
    if lang == "en":
        return note
    for pattern, message_id in _NOTES:
        found = pattern.match(note)
        if found:
            params: dict[str, Param] = {}
            if "offset" in pattern.groupindex:
                params["offset"] = int(found["offset"])
            if "pages" in pattern.groupindex:
                params["pages"] = found["pages"].split(", ")
            return render_message(message_id, params, lang)
    return None


def finding_message(finding: AuditFinding, lang: Display) -> str:
    """What the finding says, in ``lang``; ``message`` for a finding without an id."""
    if finding.message_id is None or lang == "en":
        return finding.message
    return render_message(finding.message_id, finding.params, lang)


def finding_suggestion(finding: AuditFinding, lang: Display) -> str | None:
    """The suggestion in ``lang``; a suggested term stays as it is (the text's language)."""
    if finding.suggestion_id is None or lang == "en":
        return finding.suggestion
    return render_message(finding.suggestion_id, finding.params, lang)


def finding_kind(finding: AuditFinding, lang: Display) -> str | None:
    """How the mention was read — a claim about a product, talk about the technology, or
    about the term — with the words that decided it; None for a figure check."""
    if finding.claim_kind is None:
        return None
    cues = ("、" if lang in ("zh", "zh-Hant") else ", ").join(c.text for c in finding.claim_cues)
    key = f"audit.kind.{finding.claim_kind}" + ("" if cues else "_no_cues")
    return render_message(key, {"cues": cues}, lang)


def finding_basis(finding: AuditFinding, lang: Display) -> str:
    """Where the rule comes from, in ``lang`` when the rule gives it in Chinese."""
    if lang == "en" or finding.basis_zh is None:
        return finding.basis
    if lang == "both":
        return f"{finding.basis} / {finding.basis_zh}"
    return traditional(finding.basis_zh) if lang == "zh-Hant" else finding.basis_zh
