"""The pieces a rendering is made of, shared by the reports and the web pages.

A cell looks the same on its web page as in its report, and an audit as in ``solidcheck audit
--format html``, because both draw it with these: the labels and the words in a language, the
sub-axes, limits, the rates plot with its text alternative, and the audit's cutting of a text
at its findings. matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Callable, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Literal

from markupsafe import Markup, escape

from ..i18n import Display, format_quantity, message, traditional
from ..localise import localise_finding
from ..plotting import accessible_svg

if TYPE_CHECKING:
    from ..claims.model import AuditFinding
    from ..model import Finding, Result, WeightLossResult
    from ..rules import Ruleset

__all__ = [
    "SEVERITY_RANK",
    "Lang",
    "ReportWords",
    "accessible_svg",
    "axis_rows",
    "clause_text",
    "finding_is_localised",
    "finding_place",
    "finding_text",
    "label_table",
    "limit_text",
    "marked_segments",
    "rates_figure",
    "read_labels",
    "relation_symbol",
    "said_clause",
    "said_finding",
    "specimen_rates",
    "text_language",
]

Lang = Literal["en", "zh", "zh-Hant", "both"]
_ZH = "zh-CN"

#: the audit's severities, worst first
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


# --- words ----------------------------------------------------------------------------------

def read_labels(*path: str) -> dict[str, dict[str, str]]:
    """A labels file of the package (TOML, one table per label with exactly a non-empty
    'en' and 'zh', and optionally 'zh-Hant'), checked: label id → {"en": …, "zh": …,
    "zh-Hant": …} (zh-Hant made from zh with OpenCC unless given)."""
    data = tomllib.loads(resources.files("solidcheck").joinpath(*path).read_text("utf-8"))
    table: dict[str, dict[str, str]] = {}
    for key, entry in data.items():
        if (not isinstance(entry, dict) or not {"en", "zh"} <= set(entry) <= {
                "en", "zh", "zh-Hant"}
                or not all(isinstance(v, str) and v for v in entry.values())):
            raise ValueError(f"{path[-1]}: [{key}] needs exactly a non-empty 'en' and 'zh' "
                             "(and optionally 'zh-Hant')")
        table[key] = {"en": entry["en"], "zh": entry["zh"],
                      "zh-Hant": entry.get("zh-Hant") or traditional(entry["zh"])}
    return table


@functools.cache
def label_table() -> dict[str, dict[str, str]]:
    """The report's UI strings: label id → {"en": …, "zh": …}."""
    return read_labels("report", "locales", "labels.toml")


class ReportWords:
    """The page's words in its language; every method escapes what it is given."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def plain(self, key: str) -> str:
        """A label as plain text (for <title> and attributes)."""
        entry = label_table()[key]
        return f"{entry['en']} / {entry['zh']}" if self.lang == "both" else entry[self.lang]

    def __call__(self, key: str) -> Markup:
        entry = label_table()[key]
        return self.pair(entry["en"], entry["zh"])

    def pair(self, en: str, zh: str) -> Markup:
        """English, Chinese, or "English / 中文" with the Chinese part marked as such."""
        if self.lang == "en":
            return escape(en)
        if self.lang == "zh":
            return escape(zh)
        if self.lang == "zh-Hant":
            return escape(traditional(zh))
        return Markup('{} / <span lang="{}">{}</span>').format(en, _ZH, zh)

    def english(self, text: str) -> Markup:
        """Text only available in English (findings, clauses), marked on a Chinese page."""
        if self.lang in ("zh", "zh-Hant"):
            return Markup('<span lang="en">{}</span>').format(text)
        return escape(text)

    def finding(self, finding: Finding) -> Markup:
        """A finding's message in the page's language (marked English until it has one)."""
        return said_finding(finding, self.lang, self.english)

    def clause(self, finding: Finding) -> Markup:
        """A finding's clause in the page's language where the rule set gives it."""
        return said_clause(finding, self.lang, self.english)


# --- a result -------------------------------------------------------------------------------

def relation_symbol(comparison: str) -> str:
    return "≤" if comparison == "at_most" else "<"


def limit_text(ruleset: Ruleset) -> str:
    limit = ruleset.rules.weight_loss_limit
    return f"{relation_symbol(limit.comparison)} {limit.limit_percent:g} %"


def axis_rows(result: Result, words: ReportWords) -> list[tuple[Markup, Markup]]:
    if result.category != "solid_state":
        return []
    application: Markup
    if result.application is None:
        application = words("not_determined")
    else:
        application = words(f"value_{result.application}")
        if result.application_basis:
            application = Markup("{} ({})").format(
                application, words(f"basis_{result.application_basis}"))
    def value(name: str | None) -> Markup:
        return words(f"value_{name}") if name else words("not_determined")

    rows = [(words("electrolyte"), value(result.electrolyte_type)),
            (words("ion"), value(result.conducting_ion)),
            (words("application"), application)]
    if result.power_energy_ratio_w_per_wh is not None:
        rows.append((Markup("P/E"), escape(f"{result.power_energy_ratio_w_per_wh:.4g} W/Wh")))
    return rows


def finding_text(finding: Finding, lang: Display) -> str:
    """A finding's message in ``lang``, rendered from its message id and parameters; a
    finding stored by an older solidcheck (no id) keeps its English text."""
    return localise_finding(finding, lang).message


def finding_is_localised(finding: Finding, lang: Display) -> bool:
    """Whether :func:`finding_text` gives ``lang`` (else it is English, to be marked so)."""
    return lang == "en" or finding.message_id is not None


def clause_text(finding: Finding, lang: Display) -> str | None:
    """A finding's clause (or an assumption's reason) in ``lang``, from its rule set's
    Chinese where the rule set gives it."""
    return localise_finding(finding, lang).clause


def said_finding(finding: Finding, lang: Display,
                 english: Callable[[str], Markup]) -> Markup:
    text = finding_text(finding, lang)
    return escape(text) if finding_is_localised(finding, lang) else english(text)


def said_clause(finding: Finding, lang: Display, english: Callable[[str], Markup]) -> Markup:
    text = clause_text(finding, lang)
    if text is None:
        return escape("—")
    return english(text) if text == finding.clause and lang != "en" else escape(text)




def rates_figure(result: Result, rulesets: Sequence[Ruleset]) -> str:
    """The specimens' rates as bars against the limit of each rule set, as SVG."""
    import numpy as np  # with matplotlib, only where a plot is drawn
    from matplotlib.figure import Figure

    from ..plotting import BLUE, DARK, GREY, RED, plot_style, svg_of

    weight_loss = result.weight_loss
    assert weight_loss is not None
    specimens = weight_loss.specimens
    rates = [s.percent for s in specimens]
    limits = [r.rules.weight_loss_limit.limit_percent for r in rulesets]
    with plot_style():
        figure = Figure(figsize=(6.4, 2.9), layout="constrained")
        axes = figure.add_subplot()
        positions = np.arange(len(rates), dtype=float)
        colours = [BLUE if s.within_limit else RED for s in specimens]
        hatches = ["" if s.within_limit else "//" for s in specimens]
        bars = axes.bar(positions, rates, width=0.6, color=colours, edgecolor=DARK,
                        linewidth=0.6)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        axes.set_xticks(positions, [s.name for s in specimens])
        top = max([*limits, *rates, 0.0]) * 1.3
        bottom = min([*rates, 0.0]) * 1.3
        axes.set_ylim(bottom, top if top > bottom else 1.0)
        axes.set_xlim(-0.6, len(rates) - 0.4 + 1.6)  # room on the right for the limit labels
        styles = ["-", "--", ":", "-."]
        for number, ruleset in enumerate(rulesets):
            limit = ruleset.rules.weight_loss_limit.limit_percent
            applied = ruleset.id == result.ruleset
            axes.axhline(limit, color=DARK if applied else GREY, linewidth=1.4 if applied else 1,
                         linestyle="-" if applied else styles[1 + number % 3])
            axes.annotate(f"{ruleset.id}  {limit_text(ruleset)}", xy=(1.0, limit),
                          xycoords=("axes fraction", "data"), xytext=(-3, 3 + 9 * (number % 2)),
                          textcoords="offset points", ha="right", va="bottom",
                          color=DARK, fontweight="bold" if applied else "normal")
        if bottom < 0:
            axes.axhline(0, color=DARK, linewidth=0.6)
        axes.set_ylabel("(m₀ − m₁)/m₀ (%)")
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", color="#dddddd", linewidth=0.5)
        axes.set_axisbelow(True)
    return svg_of(figure)


# --- an audit -------------------------------------------------------------------------------

def finding_place(finding: AuditFinding, lang: Display = "en") -> str:
    """Where a finding is in its source file: page, line and column, element."""
    location = finding.location
    if location is None:
        return f"@{finding.start}"
    parts = []
    if location.page:
        parts.append(message("audit.place.page", {"page": location.page}, lang))
    if location.line and location.column:
        parts.append(message("audit.place.line_column",
                             {"line": location.line, "column": location.column}, lang))
    elif location.line:
        parts.append(message("audit.place.line", {"line": location.line}, lang))
    if location.element:
        parts.append(f"<{location.element}>")
    return ("，" if lang in ("zh", "zh-Hant") else ", ").join(parts) or f"@{finding.start}"


def marked_segments(length: int,
                    findings: Sequence[AuditFinding]) -> list[tuple[int, int, list[int]]]:
    """The text cut at every finding boundary, each piece with the findings covering it
    (one sweep over the boundaries, so thousands of findings stay fast)."""
    opening: dict[int, list[int]] = {}
    closing: dict[int, list[int]] = {}
    for index, finding in enumerate(findings):
        opening.setdefault(finding.start, []).append(index)
        closing.setdefault(finding.end, []).append(index)
    cuts = sorted({0, length, *opening, *closing})
    active: set[int] = set()
    pieces = []
    for start, end in itertools.pairwise(cuts):
        active.difference_update(closing.get(start, ()))
        active.update(i for i in opening.get(start, ()) if findings[i].end > start)
        pieces.append((start, end, sorted(active)))
    return pieces


def text_language(text: str) -> str:
    """'zh' when a fifth or more of the letters are CJK ideographs, else 'en'."""
    sample = text[:20_000]
    letters = sum(1 for c in sample if c.isalpha())
    ideographs = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    return "zh" if letters and ideographs * 5 >= letters else "en"


def specimen_rates(weight_loss: WeightLossResult) -> str:
    """Each specimen's rate, "S1 0.15 %, S2 0.21 %", with the digits that decide against the
    limit: the rates plot's text alternative, in the report and on the page alike."""
    return ", ".join(f"{spec.name} " + format_quantity(
        spec.percent, "percent", against=weight_loss.limit_percent)
        for spec in weight_loss.specimens)
