"""The terminal rendering of a result (rich)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..code import PROVISIONAL_NOTE
from ..conditions import ConditionsAnalysis
from ..model import Finding, Result

__all__ = ["render_conditions", "render_result", "render_summary"]

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

    parts.append(_findings_table(result.findings))
    return Group(*parts)


def _findings_table(findings: Sequence[Finding]) -> Table:
    reasons = Table(title="why", title_justify="left", expand=True, show_header=False)
    reasons.add_column("severity", no_wrap=True)
    reasons.add_column("finding")
    for finding in findings:
        reason = Text(finding.message)
        reason.append(f"\n{finding.rule} · {finding.source}", style="dim")
        reasons.add_row(Text(finding.severity, style=_SEVERITY[finding.severity]), reason)
    return reasons


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def render_conditions(analysis: ConditionsAnalysis) -> RenderableType:
    """The log's verdict on the test conditions, the hold, excursions and masses."""
    target = analysis.target
    verdict = "meets" if analysis.meets_conditions else "does NOT meet"
    banner = Text()
    banner.append(f"{verdict} the test conditions of {analysis.ruleset}\n",
                  style="bold green" if analysis.meets_conditions else "bold red")
    banner.append(f"asked: ≥ {target.min_duration_h:g} h at {target.temperature_c:g} ± "
                  f"{target.tolerance_c:g} °C, ≤ {target.max_pressure_pa:g} Pa, no gap over "
                  f"{target.max_gap_s:g} s\n")
    source = analysis.source
    banner.append(f"{source['format']} · {source['rows']} rows · sha256 {source['sha256'][:16]}…",
                  style="dim")
    parts: list[RenderableType] = [
        Panel(banner, title=Text(str(source["file"])), title_align="left",
              border_style="green" if analysis.meets_conditions else "red")
    ]
    hold = analysis.hold
    facts = Table(show_header=False, box=None, padding=(0, 1))
    facts.add_column(style="bold")
    facts.add_column()
    if hold is None:
        facts.add_row("hold", "none: no sample met every condition")
    else:
        facts.add_row("hold", f"{hold.duration_h:.4f} h ({_hms(hold.start_s)} → "
                      f"{_hms(hold.end_s)}, {hold.rows} samples)")
        facts.add_row("temperature", f"{hold.temperature_min_c:.3f} – {hold.temperature_max_c:.3f}"
                      f" °C, mean {hold.temperature_mean_c:.3f} °C")
        facts.add_row("worst pressure", "not in the log" if hold.pressure_max_pa is None
                      else f"{hold.pressure_max_pa:g} Pa")
    mass = analysis.mass
    if mass is not None:
        facts.add_row("m₀ → m₁", f"{mass.mass_before_g:g} g → {mass.mass_after_g:g} g: "
                      f"{mass.percent:.4f} % over the hold")
        stable = {True: "yes", False: "NO", None: "not judged"}[mass.stable]
        slope = ("" if mass.final_loss_rate_percent_per_h is None
                 else f" ({mass.final_loss_rate_percent_per_h:.4f} %/h over the last "
                 f"{mass.window_min:g} min)")
        facts.add_row("mass stable at end", stable + slope)
        facts.add_row("whole log", f"{mass.log_start_g:g} g → {mass.log_end_g:g} g: "
                      f"{mass.log_percent:.4f} %")
    parts.append(facts)
    if analysis.excursions:
        table = Table(title=f"{len(analysis.excursions)} excursion(s)", title_justify="left")
        for column in ("from", "to", "for (s)", "what", "T range (°C)", "max p (Pa)"):
            table.add_column(column, justify="right")
        for excursion in analysis.excursions[:50]:
            t_range = ("—" if excursion.temperature_min_c is None else
                       f"{excursion.temperature_min_c:.2f}–{excursion.temperature_max_c:.2f}")
            table.add_row(_hms(excursion.start_s), _hms(excursion.end_s),
                          f"{excursion.duration_s:g}", ", ".join(excursion.causes), t_range,
                          "—" if excursion.pressure_max_pa is None
                          else f"{excursion.pressure_max_pa:g}")
        if len(analysis.excursions) > 50:
            table.caption = f"first 50 of {len(analysis.excursions)}; --format json lists all"
        parts.append(table)
    parts.append(_findings_table(analysis.findings))
    return Group(*parts)


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
