"""Terminal renderings of instrument evidence: what was read, the test conditions, ratings."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..conditions import ConditionsAnalysis
from ..ratings import RatingsAnalysis
from ..readers import Reading
from .text import findings_table

__all__ = ["render_conditions", "render_ratings", "render_reading"]


def _lines(rows: list[tuple[str, str]]) -> Table:
    """Label–value lines, the labels bold, values never parsed as markup."""
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(label, Text(value))
    return table


def render_reading(summary: dict[str, Any]) -> RenderableType:
    """What a reader took from a file: channels and their origins, notes, skipped rows."""
    title = Text(f"{summary['source']} — {summary['format']} "
                 f"({summary['kind'].replace('_', ' ')}), {summary['size_bytes']} bytes, "
                 f"sha256 {summary['sha256'][:16]}…")
    channels = Table("channel", "unit", "from")
    for channel in summary["channels"]:
        channels.add_row(channel["name"], channel["unit"] or "—", escape(channel["from"]))
    rows = [("rows", str(summary["rows"]))]
    span = summary["time_span_s"]
    if span is not None:
        rows.append(("time span", f"{span / 3600:.3f} h ({span:g} s)"))
    if summary["started_at"]:
        rows.append(("started at", str(summary["started_at"])))
    rows += [("note", note) for note in summary["notes"]]
    rows += [("skipped", f"{p['path']}: {p['message']}") for p in summary["skipped_rows"]]
    for key, value in summary["metadata"].items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((f"metadata {key}", text if len(text) <= 80 else text[:77] + "..."))
    return Group(title, channels, _lines(rows))


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def render_ratings(analysis: RatingsAnalysis, reading: Reading) -> RenderableType:
    """The discharge steps found, the derived ratings, and how each was obtained."""
    title = Text(f"{reading.source} — {reading.format}, {reading.rows} rows, "
                 f"sha256 {reading.sha256[:16]}…")
    # a light frame fits the eleven columns in 110 characters
    table = Table("step", "type", "from s", "for s", "I A", "C-rate", "CC", "Ah",
                  "∫V·I Wh", "counter Wh", "Δ %", title="discharge steps", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for step in analysis.discharge_steps:
        table.add_row(
            "—" if step.step is None else str(step.step), escape(step.step_type or "—"),
            f"{step.start_s:.0f}", f"{step.duration_s:.1f}", _number(step.mean_current_a, 3),
            _number(step.c_rate, 3), "yes" if step.constant_current else "no",
            _number(step.capacity_ah, 3), _number(step.energy_integrated_wh, 3),
            _number(step.energy_counter_wh, 3),
            "—" if step.counter_difference_percent is None
            else f"{step.counter_difference_percent:+.3f}")
    basis = f" ({analysis.nominal_capacity_basis})" if analysis.nominal_capacity_basis else ""
    rows = [
        ("nominal capacity", f"{_number(analysis.nominal_capacity_ah)} Ah{basis}"),
        ("1C energy", f"{_number(analysis.energy_1c_wh)} Wh"
         + (f" at {analysis.energy_1c_c_rate:.3g}C" if analysis.energy_1c_c_rate else "")),
        ("max power", f"{_number(analysis.max_power_w)} W held "
         f"{analysis.power_duration_s:g} s"),
        ("power/energy", f"{_number(analysis.power_energy_ratio_w_per_wh)} W/Wh"),
        ("ratings", "—" if analysis.ratings is None else json.dumps(analysis.ratings)),
    ]
    rows += [("method", line) for line in analysis.method]
    rows += [("WARNING", line) for line in analysis.warnings]
    rows += [("note", line) for line in analysis.notes]
    return Group(title, table, _lines(rows))


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
    parts.append(findings_table(analysis.findings))
    return Group(*parts)
