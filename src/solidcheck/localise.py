"""A Result in the reader's language: every finding's words re-rendered from its data.

A finding is a message id, its parameters and the rule it cites; its ``message`` and
``clause`` are text for a person. :func:`localise_result` writes that text again in the
language asked for — the one function reports, pages and the command line call before they
show a result. Pure: the rule set is an installed one found by id, or the one given.
"""

from __future__ import annotations

from .errors import UnknownRulesetError
from .i18n import Display, load_catalogue, traditional
from .model import Finding, Result
from .rules import Rule, Ruleset, ruleset_by_id

__all__ = ["localise_finding", "localise_result", "rule_reference", "rule_summary"]


def localise_result(result: Result, lang: Display, *, ruleset: Ruleset | None = None) -> Result:
    """``result`` with every finding's ``message`` and ``clause`` in ``lang``.

    ``lang`` is ``en``, ``zh``, ``zh-Hant`` or ``both`` ("English / 中文"). The message is
    rendered from the catalogue by ``message_id`` and ``params``; the clause (or an
    assumption's reason) comes from the rule set's ``clause_zh``/``why_zh``. ``ruleset``: the
    rule set the result was made with, when it is not installed (a file given with ``-r``);
    otherwise the result's own ``ruleset`` id is looked up. Text that cannot be re-rendered
    stays as stored: a finding without ``message_id`` (a result from an older solidcheck), a
    rule set that is not at hand, or one without Chinese for that rule. Everything else —
    category, numbers, code, ids, ``params`` — is unchanged, so the result stays
    comparable; ``en`` gives back the English a fresh classification writes.
    """
    if ruleset is None or ruleset.id != result.ruleset:
        ruleset = _installed(result.ruleset)
    findings = [localise_finding(finding, lang, ruleset=ruleset) for finding in result.findings]
    return result.model_copy(update={"findings": findings})


def localise_finding(finding: Finding, lang: Display, *, ruleset: Ruleset | None = None
                     ) -> Finding:
    """One finding in ``lang`` (see :func:`localise_result`); the rule set is the installed
    one of the finding's id unless given."""
    if ruleset is None:
        ruleset = _installed(finding.ruleset)
    update: dict[str, str | None] = {}
    catalogue = load_catalogue()
    if finding.message_id is not None and finding.message_id in catalogue.ids():
        update["message"] = catalogue.render(finding.message_id, finding.params, lang)
    if ruleset is not None and ruleset.id == finding.ruleset:
        rule = getattr(ruleset.rules, finding.rule, None)
        if isinstance(rule, Rule):
            update["clause"] = rule_reference(rule, lang)
    return finding.model_copy(update=update) if update else finding


def rule_reference(rule: Rule, lang: Display) -> str:
    """The rule's clause (or an assumption's reason) in ``lang``; English when the rule set
    gives no Chinese."""
    return _in(lang, rule.reference, rule.reference_zh)


def rule_summary(rule: Rule, lang: Display) -> str:
    """The rule's one-line summary in ``lang``; English when the rule set gives no Chinese."""
    return _in(lang, rule.summary, rule.summary_zh)


def _in(lang: Display, english: str, chinese: str | None) -> str:
    if lang == "en" or chinese is None:
        return english
    if lang == "zh":
        return chinese
    if lang == "zh-Hant":
        return traditional(chinese)
    return f"{english} / {chinese}"


def _installed(ruleset_id: str) -> Ruleset | None:
    try:
        return ruleset_by_id(ruleset_id)
    except UnknownRulesetError:
        return None
