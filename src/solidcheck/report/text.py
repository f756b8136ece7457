"""The terminal rendering of a result (rich), in the language asked for.

Every word comes from the catalogue (``i18n/cli.toml``); a finding's text comes from one hook,
:func:`finding_text`, so that a finding carrying a message id is rendered in the reader's
language while one without keeps its English message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..i18n import Display, format_quantity, load_catalogue, message
from ..model import Finding, Result, Terms

__all__ = ["category_name", "finding_text", "findings_table", "render_result",
           "render_summary", "say", "word"]

_STYLE = {"solid_state": "bold green", "hybrid_solid_liquid": "bold yellow",
          "liquid": "bold cyan", "undetermined": "bold red"}
_SEVERITY = {"error": "red", "warning": "yellow", "info": "dim"}


def say(message_id: str, lang: Display, **params: Any) -> str:
    """A message of the catalogue in ``lang`` (a label is a message without parameters)."""
    return message(message_id, params, lang)


def category_name(terms: Terms, lang: Display) -> str:
    """The category's preferred term from the vocabulary, in ``lang``."""
    if lang == "en":
        return terms.en
    if lang == "zh":
        return terms.zh
    if lang == "zh-Hant":
        import opencc

        return str(opencc.OpenCC("s2t").convert(terms.zh))
    return f"{terms.en} / {terms.zh}"


def finding_text(finding: Finding, lang: Display) -> str:
    """A finding's sentence in ``lang``: rendered from the catalogue when the finding carries
    a message id and parameters, else its message as written (English)."""
    message_id = getattr(finding, "message_id", None)
    if lang == "en" or not message_id:
        return finding.message
    return message(message_id, getattr(finding, "params", None) or {}, lang)


def word(key: str, lang: Display) -> str:
    """A word of the catalogue (``[words]``) in ``lang`` (``both``: "English / 中文")."""
    catalogue = load_catalogue()
    if lang == "both":
        return f"{catalogue.word(key, 'en')} / {catalogue.word(key, 'zh')}"
    return catalogue.word(key, lang)


def _axes(result: Result, lang: Display) -> str:
    if lang == "both":  # each language's line whole, not words of both inside one line
        return f"{_axes(result, 'en')} / {_axes(result, 'zh')}"
    if result.category != "solid_state":
        return say("text.axes_not_solid", lang)
    application = result.application or "application.not_determined"
    shown = (say("text.application_basis", lang, application=application,
                 basis=f"basis.{result.application_basis}")
             if result.application_basis else word(application, lang))
    return say("text.axes", lang, electrolyte=f"electrolyte.{result.electrolyte_type}",
               ion=f"ion.{result.conducting_ion}", application=shown)


def render_result(result: Result, lang: Display = "en") -> RenderableType:
    """A verdict banner, the weight-loss table and every finding with its rule and source."""
    banner = Text()
    title = (f"{result.terms.en}  {result.terms.zh}" if lang in ("en", "both")
             else category_name(result.terms, lang))
    banner.append(title + "\n", style=_STYLE[result.category])
    banner.append(_axes(result, lang) + "\n")
    banner.append(say("text.code", lang, code=result.code), style="bold")
    banner.append(" " + say("text.parenthesis", lang, text=say("text.provisional_note", lang))
                  + "\n", style="dim")
    banner.append(say("text.ruleset_version", lang, ruleset=result.ruleset,
                      version=result.solidcheck_version), style="dim")
    parts: list[RenderableType] = [
        Panel(banner, title=Text(result.dossier_id), title_align="left",
              border_style=_STYLE[result.category].split()[-1])
    ]

    weight_loss = result.weight_loss
    if weight_loss is not None:
        relation = "≤" if weight_loss.comparison == "at_most" else "<"
        table = Table(title=say("text.weight_loss_title", lang, relation=relation,
                                limit=weight_loss.limit_percent), title_justify="left")
        for column in (say("text.column.specimen", lang), "m₀ (g)", "m₁ (g)",
                       say("text.column.rate_percent", lang),
                       say("text.column.within_limit", lang)):
            table.add_column(column, justify="right")
        for spec in weight_loss.specimens:
            table.add_row(spec.name, f"{spec.mass_before_g:g}", f"{spec.mass_after_g:g}",
                          format_quantity(spec.percent, "percent",
                                          against=weight_loss.limit_percent, with_unit=False),
                          say("text.yes" if spec.within_limit else "text.no", lang))
        uncertainty = (say("text.uncertainty", lang, uncertainty=weight_loss.uncertainty_percent)
                       if weight_loss.uncertainty_percent is not None else "")
        verdict = {True: "verdict.passed", False: "verdict.failed",
                   None: "verdict.none"}[weight_loss.passed]
        table.caption = say(
            "text.weight_loss_caption", lang, rate=weight_loss.percent, uncertainty=uncertainty,
            margin=weight_loss.margin_percent, verdict=verdict,
            conditions="conditions.valid" if weight_loss.conditions_valid
            else "conditions.not_valid")
        parts.append(table)

    parts.append(findings_table(result.findings, lang))
    return Group(*parts)


def findings_table(findings: Sequence[Finding], lang: Display = "en") -> Table:
    """Each finding with its severity, rule and source: the 'why' of every rendering."""
    reasons = Table(title=say("text.findings_title", lang), title_justify="left", expand=True,
                    show_header=False)
    reasons.add_column("severity", no_wrap=True)
    reasons.add_column("finding")
    for finding in findings:
        reason = Text(finding_text(finding, lang))
        reason.append("\n" + say("text.finding_basis", lang, rule=finding.rule,
                                 source=f"source.{finding.source}"), style="dim")
        reasons.add_row(Text(word(f"severity.{finding.severity}", lang),
                             style=_SEVERITY[finding.severity]), reason)
    return reasons


def render_summary(results: Sequence[Result], lang: Display = "en") -> RenderableType:
    """One line per dossier: the overview after several results."""
    table = Table(title=say("text.summary_title", lang, count=len(results)),
                  title_justify="left", box=None, padding=(0, 1))
    table.add_column(say("text.column.id", lang), no_wrap=True)
    table.add_column(say("text.column.category", lang), no_wrap=True)
    table.add_column(say("text.column.loss_percent", lang), justify="right", no_wrap=True)
    table.add_column(say("text.column.code", lang), no_wrap=True)
    table.add_column("!", justify="right")
    for result in results:
        rate = (format_quantity(result.weight_loss.percent, "percent",
                                against=result.weight_loss.limit_percent, with_unit=False)
                if result.weight_loss else "—")
        issues = sum(f.severity in ("error", "warning") for f in result.findings)
        table.add_row(result.dossier_id,
                      Text(category_name(result.terms, lang), style=_STYLE[result.category]),
                      rate, result.code, str(issues) if issues else "")
    table.caption = say("text.summary_caption", lang)
    return table
