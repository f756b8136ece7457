"""From mentions to findings: each term or claim with the rule set's severity, its message
(rendered from the catalogue) and its basis.

Why a builder per text: a text repeats its terms ("solid-state battery" a dozen times in one
press release), and rendering a message — formatting the test's temperature, duration and
pressure each time — costs some 30 µs, far more than finding the mention. The builder formats
the rule set's parameters once and renders each distinct message once per text.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..i18n import Param
from ..model import Result, Severity
from ..rules import Ruleset
from ..terms import Concept, Label, Vocabulary
from .basis import Cited, cite_rule
from .context import Cue
from .localise import render_message
from .mention import Mention, MentionLang
from .model import AuditFinding, ClaimCue

__all__ = ["findings_for"]


def _preferred(concept: Concept, lang: MentionLang) -> str:
    if lang == "zh-Hant":
        hant = [x.text for x in concept.labels if x.lang == "zh-Hant" and x.status == "preferred"]
        if hant:
            return hant[0]
        lang = "zh"
    return concept.preferred(lang)


def _plural(term: str) -> str:
    return term[: -len("battery")] + "batteries" if term.endswith("battery") else term


def _term_params(quoted: str, concept: Concept, label: Label) -> dict[str, Param]:
    """The parameters of a term finding: the concept's names in each language."""
    english, chinese = concept.preferred("en"), concept.preferred("zh")
    note = label.note
    return {"quoted": quoted, "note@en": f" ({note})" if note else "",
            "note@zh": f"（{note}）" if note and label.lang != "en" else "",
            "concept@en": english, "concept@zh": chinese,
            "concept_other@en": f" ({chinese})", "concept_other@zh": "",
            "concept_plural@en": _plural(english), "concept_plural@zh": chinese}


def _test_params(ruleset: Ruleset) -> dict[str, Param]:
    """The weight-loss test a solid-state claim needs under ``ruleset``."""
    rules = ruleset.rules
    limit = rules.weight_loss_limit
    return {"temperature": rules.test_temperature.temperature_c,
            "duration": rules.test_duration.min_duration_h,
            "pressure": rules.test_pressure.max_pressure_pa,
            "relation": "≤" if limit.comparison == "at_most" else "<",
            "limit": limit.limit_percent}


class _Builder:
    """The findings of one text under one rule set and evidence."""

    def __init__(self, text: str, *, ruleset: Ruleset, evidence: Result | None,
                 vocabulary: Vocabulary) -> None:
        self.text = text
        self.ruleset = ruleset
        self.evidence = evidence
        self.vocabulary = vocabulary
        self.test = _test_params(ruleset)
        self.term_basis = cite_rule(ruleset, "non_preferred_terms")
        self.claim_basis = cite_rule(ruleset, "solid_state_requires_test")
        self._rendered: dict[tuple[object, ...], str] = {}
        self._models: dict[tuple[object, ...], AuditFinding] = {}
        self._cues: dict[Cue, ClaimCue] = {}
        self._named: dict[tuple[object, ...], tuple[dict[str, Param], str]] = {}

    def render(self, message_id: str, params: dict[str, Param]) -> str:
        """``render_message`` in English, once per distinct message and parameters (within a
        text the rule set's numbers are the same objects, so equal keys render alike; every
        parameter made here is a scalar, so the key hashes)."""
        key = (message_id, *params.items())
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = self._rendered[key] = render_message(message_id, params, "en")
        return rendered

    def finding(self, rule_id: str, severity: Severity, mention: Mention, matched: str, *,
                message_id: str, params: dict[str, Param], suggestion: str | None,
                basis: Cited, suggestion_id: str | None = None) -> AuditFinding:
        """A finding whose message (and suggestion, when it is a sentence) is a catalogue
        message; ``message``/``suggestion`` hold its English rendering.

        Validating a finding costs ~10 µs (its parameters are a union per value), so each
        distinct finding is validated once per text and copied for every mention with its own
        offsets, text, cues and parameters (a fresh dict: findings share no mutable state)."""
        key = (rule_id, severity, message_id, suggestion, suggestion_id, basis,
               mention.claim_kind, *params.items())
        model = self._models.get(key)
        if model is None:
            shown = suggestion if suggestion_id is None else self.render(suggestion_id, params)
            model = self._models[key] = AuditFinding(
                rule=rule_id, severity=severity, start=0, end=0, text="",
                message=self.render(message_id, params), message_id=message_id,
                params=params, suggestion=shown, suggestion_id=suggestion_id,
                basis=basis[0], basis_zh=basis[1], claim_kind=mention.claim_kind,
                claim_cues=[])
        return model.model_copy(update={
            "start": mention.start, "end": mention.end, "text": matched,
            "params": dict(model.params), "claim_cues": [self._cue(c) for c in mention.cues]})

    def _cue(self, cue: Cue) -> ClaimCue:
        """A cue as reported (frozen, so one object serves every finding that cites it)."""
        held = self._cues.get(cue)
        if held is None:  # validated: in pydantic's core, quicker than model_construct
            held = self._cues[cue] = ClaimCue(text=cue.text, start=cue.start, end=cue.end,
                                              side=cue.side)
        return held

    def of(self, mention: Mention) -> AuditFinding:
        """The finding of one mention."""
        matched = self.text[mention.start:mention.end]
        quoted = f"“{matched}”"
        if mention.kind == "term":
            return self._term(mention, matched, quoted)
        if mention.discussed:
            return self.finding("term_discussed", "info", mention, matched,
                                message_id="audit.claim.discussed",
                                params={"quoted": quoted, **self.test}, suggestion=None,
                                basis=self.claim_basis)
        return self._claim(mention, quoted, matched)

    def _term(self, mention: Mention, matched: str, quoted: str) -> AuditFinding:
        key = (mention.concept_id, id(mention.label), mention.lang, quoted)
        named = self._named.get(key)
        if named is None:
            concept = self.vocabulary.concepts[mention.concept_id]
            named = self._named[key] = (_term_params(quoted, concept, mention.label),
                                        _preferred(concept, mention.lang))
        params, suggestion = named
        if mention.discussed:
            return self.finding("term_discussed", "info", mention, matched,
                                message_id="audit.term.discussed", params=params,
                                suggestion=suggestion, basis=self.term_basis)
        rules = self.ruleset.rules
        severity = (rules.claim_kinds.term_in_mention if mention.claim_kind == "mention"
                    else rules.non_preferred_terms.severity)
        return self.finding("non_preferred_term", severity, mention, matched,
                            message_id="audit.term.not_classification", params=params,
                            suggestion=suggestion, basis=self.term_basis)

    def _claim(self, mention: Mention, quoted: str, matched: str) -> AuditFinding:
        ruleset, evidence, basis = self.ruleset, self.evidence, self.claim_basis
        kinds = ruleset.rules.claim_kinds
        if mention.claim_kind == "mention":  # no product: the one cell's evidence does not apply
            params = {"quoted": quoted, "cues": ", ".join(c.text for c in mention.cues) or "-",
                      **self.test}
            return self.finding("unsupported_claim", kinds.unsupported_mention, mention,
                                matched, message_id="audit.claim.mention", params=params,
                                suggestion=None, basis=basis)
        if evidence is None:
            params = {"quoted": quoted, "ruleset": ruleset.id, **self.test}
            return self.finding("unsupported_claim", kinds.unsupported_claim, mention, matched,
                                message_id="audit.claim.unsupported", params=params,
                                suggestion=None, suggestion_id="audit.suggestion.give_evidence",
                                basis=basis)
        cited: dict[str, Param] = {
            "quoted": quoted, "dossier": repr(evidence.dossier_id),
            "category": evidence.category, "term@en": evidence.terms.en,
            "term@zh": evidence.terms.zh, "ruleset": evidence.ruleset, "code": evidence.code}
        if evidence.category == "solid_state":
            return self.finding("supported_claim", "info", mention, matched,
                                message_id="audit.claim.supported", params=cited,
                                suggestion=None, basis=basis)
        if evidence.category == "undetermined":
            return self.finding("contradicted_claim", "error", mention, matched,
                                message_id="audit.claim.contradicted_undetermined",
                                params={**cited, **self.test}, suggestion=None, basis=basis)
        kind = "hybrid" if evidence.category == "hybrid_solid_liquid" else "liquid"
        return self.finding(
            "contradicted_claim", "error", mention, matched,
            message_id="audit.claim.contradicted_misclassified",
            params={**cited, "kind": f"audit.kind.{kind}"},
            suggestion=evidence.terms.en if mention.lang == "en" else evidence.terms.zh,
            basis=basis)


def findings_for(text: str, mentions: Iterable[Mention], *, ruleset: Ruleset,
                 evidence: Result | None, vocabulary: Vocabulary) -> list[AuditFinding]:
    """The finding of each mention of ``text``, in the mentions' order."""
    builder = _Builder(text, ruleset=ruleset, evidence=evidence, vocabulary=vocabulary)
    return [builder.of(mention) for mention in mentions]
