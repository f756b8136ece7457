"""Terminal renderings of instrument evidence: what was read, the test conditions, ratings —
in the language asked for (the labels are in ``i18n/cli.toml``; the readers' notes, the
ratings' method, warnings and notes and the conditions' findings are messages of
``i18n/evidence.toml``, rendered here)."""

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
from ..i18n import Display, message
from ..ratings import RatingsAnalysis
from ..readers import Reading
from .text import findings_table, say, word

__all__ = ["render_conditions", "render_ratings", "render_reading"]


def _lines(rows: list[tuple[str, str]]) -> Table:
    """Label–value lines, the labels bold, values never parsed as markup."""
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(label, Text(value))
    return table


def render_reading(summary: dict[str, Any], lang: Display = "en") -> RenderableType:
    """What a reader took from a file: channels and their origins, notes, skipped rows."""
    title = Text(say("evidence.reading_title", lang, source=str(summary["source"]),
                     format=str(summary["format"]), kind=f"kind.{summary['kind']}",
                     size=summary["size_bytes"], sha256=summary["sha256"][:16]))
    channels = Table(say("evidence.column.channel", lang), say("evidence.column.unit", lang),
                     say("evidence.column.from", lang))
    for channel in summary["channels"]:
        channels.add_row(channel["name"], channel["unit"] or "—", escape(channel["from"]))
    rows = [(say("evidence.rows", lang), str(summary["rows"]))]
    span = summary["time_span_s"]
    if span is not None:
        rows.append((say("evidence.time_span", lang),
                     say("evidence.time_span_value", lang, span=span / 3600, seconds=span)))
    if summary["started_at"]:
        rows.append((say("evidence.started_at", lang), str(summary["started_at"])))
    notes = [message(note["message_id"], note["params"], lang) for note in summary["said"]] \
        if "said" in summary else list(summary["notes"])
    rows += [(say("evidence.note", lang), note) for note in notes]
    rows += [(say("evidence.skipped", lang), f"{p['path']}: {p['message']}")
             for p in summary["skipped_rows"]]
    for key, value in summary["metadata"].items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((say("evidence.metadata", lang, key=key),
                     text if len(text) <= 80 else text[:77] + "..."))
    return Group(title, channels, _lines(rows))


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def render_ratings(analysis: RatingsAnalysis, reading: Reading,
                   lang: Display = "en") -> RenderableType:
    """The discharge steps found, the derived ratings, and how each was obtained."""
    title = Text(say("evidence.ratings_title", lang, source=str(reading.source),
                     format=reading.format, rows=reading.rows, sha256=reading.sha256[:16]))
    # a light frame fits the eleven columns in 110 characters
    table = Table(say("evidence.column.step", lang), say("evidence.column.type", lang),
                  say("evidence.column.from_s", lang), say("evidence.column.for_s", lang),
                  "I A", say("evidence.column.c_rate", lang),
                  say("evidence.column.constant_current", lang), "Ah", "∫V·I Wh",
                  say("evidence.column.counter_wh", lang), "Δ %",
                  title=say("evidence.discharge_steps", lang), box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for step in analysis.discharge_steps:
        table.add_row(
            "—" if step.step is None else str(step.step), escape(step.step_type or "—"),
            f"{step.start_s:.0f}", f"{step.duration_s:.1f}", _number(step.mean_current_a, 3),
            _number(step.c_rate, 3), say("text.yes" if step.constant_current else "text.no", lang),
            _number(step.capacity_ah, 3), _number(step.energy_integrated_wh, 3),
            _number(step.energy_counter_wh, 3),
            "—" if step.counter_difference_percent is None
            else f"{step.counter_difference_percent:+.3f}")
    basis = (say("text.parenthesis", lang, text=word(f"nominal.{analysis.nominal_capacity_basis}",
                                                      lang))
             if analysis.nominal_capacity_basis else "")
    energy_at = (say("evidence.energy_1c_at", lang, c_rate=round(analysis.energy_1c_c_rate, 3))
                 if analysis.energy_1c_c_rate else "")
    rows = [
        (say("evidence.nominal_capacity", lang),
         f"{_number(analysis.nominal_capacity_ah)} Ah{basis}"),
        (say("evidence.energy_1c", lang), f"{_number(analysis.energy_1c_wh)} Wh" + energy_at),
        (say("evidence.max_power", lang),
         say("evidence.power_held", lang, power=_number(analysis.max_power_w),
             seconds=analysis.power_duration_s)),
        (say("evidence.power_energy", lang),
         f"{_number(analysis.power_energy_ratio_w_per_wh)} W/Wh"),
        (say("evidence.ratings", lang),
         "—" if analysis.ratings is None else json.dumps(analysis.ratings)),
    ]
    for part, label in (("method", "evidence.method"), ("warning", "evidence.warning"),
                        ("note", "evidence.note")):
        rows += [(say(label, lang), line.text(lang)) for line in analysis.said
                 if line.part == part]
    return Group(title, table, _lines(rows))


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def render_conditions(analysis: ConditionsAnalysis, lang: Display = "en") -> RenderableType:
    """The log's verdict on the test conditions, the hold, excursions and masses."""
    target = analysis.target
    banner = Text()
    banner.append(say("evidence.conditions_met" if analysis.meets_conditions
                      else "evidence.conditions_not_met", lang, ruleset=analysis.ruleset) + "\n",
                  style="bold green" if analysis.meets_conditions else "bold red")
    banner.append(say("evidence.conditions_asked", lang, duration=target.min_duration_h,
                      temperature=target.temperature_c, tolerance=target.tolerance_c,
                      pressure=target.max_pressure_pa, gap=target.max_gap_s) + "\n")
    source = analysis.source
    banner.append(say("evidence.log_source", lang, format=str(source["format"]),
                      rows=int(source["rows"]), sha256=str(source["sha256"])[:16]), style="dim")
    parts: list[RenderableType] = [
        Panel(banner, title=Text(str(source["file"])), title_align="left",
              border_style="green" if analysis.meets_conditions else "red")
    ]
    hold = analysis.hold
    facts = Table(show_header=False, box=None, padding=(0, 1))
    facts.add_column(style="bold")
    facts.add_column()
    if hold is None:
        facts.add_row(say("evidence.hold", lang), say("evidence.no_hold", lang))
    else:
        facts.add_row(say("evidence.hold", lang), say(
            "evidence.hold_value", lang, duration=hold.duration_h, start=_hms(hold.start_s),
            end=_hms(hold.end_s), samples=hold.rows))
        facts.add_row(say("evidence.temperature", lang), say(
            "evidence.temperature_range", lang, low=f"{hold.temperature_min_c:.3f}",
            high=f"{hold.temperature_max_c:.3f}", mean=f"{hold.temperature_mean_c:.3f}"))
        facts.add_row(say("evidence.worst_pressure", lang),
                      say("evidence.not_in_log", lang) if hold.pressure_max_pa is None
                      else f"{hold.pressure_max_pa:g} Pa")
    mass = analysis.mass
    if mass is not None:
        facts.add_row("m₀ → m₁", say("evidence.masses_value", lang,
                                      before=f"{mass.mass_before_g:g}",
                                      after=f"{mass.mass_after_g:g}", rate=mass.percent))
        stable = {True: word("stable.yes", lang), False: word("stable.no", lang),
                  None: say("evidence.not_judged", lang)}[mass.stable]
        slope = ("" if mass.final_loss_rate_percent_per_h is None
                 else say("evidence.final_slope", lang,
                          slope=f"{mass.final_loss_rate_percent_per_h:.4f}",
                          window=mass.window_min))
        facts.add_row(say("evidence.mass_stable", lang), stable + slope)
        facts.add_row(say("evidence.whole_log", lang), say(
            "evidence.whole_log_value", lang, start=f"{mass.log_start_g:g}",
            end=f"{mass.log_end_g:g}", rate=mass.log_percent))
    parts.append(facts)
    if analysis.excursions:
        table = Table(title=say("evidence.excursions_title", lang, count=len(analysis.excursions)),
                      title_justify="left")
        for column in (say("evidence.column.start", lang), say("evidence.column.to", lang),
                       say("evidence.column.for_seconds", lang),
                       say("evidence.column.what", lang),
                       say("evidence.column.temperature_range", lang),
                       say("evidence.column.max_pressure", lang)):
            table.add_column(column, justify="right")
        for excursion in analysis.excursions[:50]:
            t_range = ("—" if excursion.temperature_min_c is None else
                       f"{excursion.temperature_min_c:.2f}–{excursion.temperature_max_c:.2f}")
            causes = ", " if lang in ("en", "both") else "、"
            table.add_row(_hms(excursion.start_s), _hms(excursion.end_s),
                          f"{excursion.duration_s:g}",
                          causes.join(word(f"cause.{cause}", lang) for cause in excursion.causes),
                          t_range, "—" if excursion.pressure_max_pa is None
                          else f"{excursion.pressure_max_pa:g}")
        if len(analysis.excursions) > 50:
            table.caption = say("evidence.first_excursions", lang, shown=50,
                                count=len(analysis.excursions))
        parts.append(table)
    parts.append(findings_table(analysis.findings, lang))
    return Group(*parts)
