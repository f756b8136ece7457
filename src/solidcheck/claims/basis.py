"""The basis of a term or claim finding, as a reader can look it up: the rule set's id and
title (as the rule set gives them) and the rule's clause, or the project's reason for a rule
that is an assumption. Never a file of the project's own notes."""

from __future__ import annotations

from ..rules import Ruleset

__all__ = ["Cited", "cite_rule"]

#: a finding's basis in English and, where the rule set gives it, in Chinese
Cited = tuple[str, str | None]


def cite_rule(ruleset: Ruleset, rule_id: str) -> Cited:
    """``rule_id`` of ``ruleset`` cited with the rule set it belongs to.

    >>> from solidcheck import load_ruleset
    >>> cite_rule(load_ruleset("gbt-ssb-1-2026"), "solid_state_requires_test")[0][:62]
    'gbt-ssb-1-2026 (Solid-state battery for electric vehicle — Par'
    """
    rule = ruleset.rule(rule_id)
    info = ruleset.ruleset
    standard = rule.provenance == "standard"
    english = f"{info.id} ({info.title}), " + (rule.reference if standard
                                                 else f"project assumption: {rule.reference}")
    chinese = rule.reference_zh
    if chinese is None:
        return english, None
    return english, f"{info.id}（{info.title_zh}），" + (chinese if standard
                                                        else f"项目假设：{chinese}")
