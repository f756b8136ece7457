"""The terminal rendering of a result (rich)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..code import PROVISIONAL_NOTE
from ..model import Finding, Result

__all__ = ["findings_table", "render_result", "render_summary"]

_STYLE = {"solid_state": "bold green", "hybrid_solid_liquid": "bold yellow",
          "liquid": "bold cyan", "undetermined": "bold red"}
_SEVERITY = {"error": "red", "warning": "yellow", "info": "dim"}


def _axes(result: Result) -> str:
    if result.category != "solid_state":
        return "sub-classification: only for solid-state cells"
    application = result.application.replace("_", "-") if result.application else "not determined"
    basis = f" ({result.application_basis.replace('_', ' ')})" if result.application_basis else ""
    return (f"electrolyte: {result.electrolyte_type} · ion: {result.conducting_ion} · "
            f"application: {application}{basis}")


def render_result(result: Result) -> RenderableType:
    """A verdict banner, the weight-loss table and every finding with its rule and source."""
    banner = Text()
    banner.append(f"{result.terms.en}  {result.terms.zh}\n", style=_STYLE[result.category])
    banner.append(_axes(result) + "\n")
    banner.append(f"code {result.code}", style="bold")
    banner.append(f"  ({PROVISIONAL_NOTE})\n", style="dim")
    banner.append(f"rule set {result.ruleset} · solidcheck {result.solidcheck_version}",
                  style="dim")
    parts: list[RenderableType] = [
        Panel(banner, title=Text(result.dossier_id), title_align="left",
              border_style=_STYLE[result.category].split()[-1])
    ]

    weight_loss = result.weight_loss
    if weight_loss is not None:
        relation = "≤" if weight_loss.comparison == "at_most" else "<"
        table = Table(title=f"weight loss (limit {relation} {weight_loss.limit_percent:g} %)",
                      title_justify="left")
        for column in ("specimen", "m₀ (g)", "m₁ (g)", "rate (%)", "within limit"):
            table.add_column(column, justify="right")
        for spec in weight_loss.specimens:
            table.add_row(str(spec.index), f"{spec.mass_before_g:g}", f"{spec.mass_after_g:g}",
                          f"{spec.percent:.4f}", "yes" if spec.within_limit else "no")
        uncertainty = (f" ± {weight_loss.uncertainty_percent:.2g} %"
                       if weight_loss.uncertainty_percent is not None else "")
        passed = {True: "passed", False: "failed", None: "no verdict"}[weight_loss.passed]
        table.caption = (f"deciding rate {weight_loss.percent:.4f} %{uncertainty}, margin "
                         f"{weight_loss.margin_percent:.4f} %, {passed}, conditions "
                         f"{'valid' if weight_loss.conditions_valid else 'NOT valid'}")
        parts.append(table)

    parts.append(findings_table(result.findings))
    return Group(*parts)


def findings_table(findings: Sequence[Finding]) -> Table:
    """Each finding with its severity, rule and source: the 'why' of every rendering."""
    reasons = Table(title="why", title_justify="left", expand=True, show_header=False)
    reasons.add_column("severity", no_wrap=True)
    reasons.add_column("finding")
    for finding in findings:
        reason = Text(finding.message)
        reason.append(f"\n{finding.rule} · {finding.source}", style="dim")
        reasons.add_row(Text(finding.severity, style=_SEVERITY[finding.severity]), reason)
    return reasons


def render_summary(results: Sequence[Result]) -> RenderableType:
    """One line per dossier: the overview after several results."""
    table = Table(title=f"{len(results)} dossiers", title_justify="left", box=None,
                  padding=(0, 1))
    table.add_column("id", no_wrap=True)
    table.add_column("category", no_wrap=True)
    table.add_column("loss %", justify="right", no_wrap=True)
    table.add_column("code (provisional)", no_wrap=True)
    table.add_column("!", justify="right")
    for result in results:
        rate = f"{result.weight_loss.percent:.3f}" if result.weight_loss else "—"
        issues = sum(f.severity in ("error", "warning") for f in result.findings)
        table.add_row(result.dossier_id, Text(result.terms.en, style=_STYLE[result.category]),
                      rate, result.code, str(issues) if issues else "")
    table.caption = "!: number of errors and warnings among the findings"
    return table
