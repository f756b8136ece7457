"""Renderings of a text audit: the terminal, and one HTML page with findings marked in place."""

from __future__ import annotations

from markupsafe import Markup, escape
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..claims.localise import finding_basis, finding_kind, finding_message, finding_suggestion
from ..claims.model import AuditFinding, AuditReport
from ..i18n import Display, load_catalogue, message
from .parts import SEVERITY_RANK, finding_place, marked_segments, text_language

__all__ = ["render_audit", "render_audit_html"]

_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def _shortened(text: str, limit: int) -> str:
    """The first sentence, cut at ``limit`` characters: the terminal shows the gist, the
    JSON and HTML reports the whole."""
    text = " ".join(text.split())
    sentence_end = text.find(". ")
    if 0 < sentence_end < limit:
        return text[:sentence_end + 1]
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _severity(severity: str, lang: Display) -> str:
    if lang == "both":
        return " / ".join(_severity(severity, one) for one in ("en", "zh"))
    return load_catalogue().word(f"audit.severity.{severity}", lang)


def _headline(report: AuditReport, lang: Display) -> str:
    counts = report.summary.by_severity
    source = report.source
    return message("audit.report.headline", {
        "file": str(source["file"]), "format": str(source["format"]),
        "characters": int(str(source["characters"])), "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0), "infos": counts.get("info", 0),
        "ruleset": report.ruleset}, lang)


def _checked_against(report: AuditReport, lang: Display) -> str:
    evidence = report.evidence or {}
    return message("audit.report.checked_against", {
        "dossier": str(evidence["dossier_id"]), "category": str(evidence["category"]),
        "code": str(evidence["code"])}, lang)


def render_audit(report: AuditReport, *, lang: Display = "en") -> RenderableType:
    """A headline with the counts, then one row per finding: where, what, the fix — in
    ``lang``."""
    head = Text(_headline(report, lang))
    if report.evidence:
        head.append("\n" + _checked_against(report, lang))
    table = Table(expand=True, show_header=True)
    table.add_column("", no_wrap=True)
    table.add_column(message("audit.report.where", None, lang), no_wrap=True)
    table.add_column(message("audit.report.text", None, lang))
    table.add_column(message("audit.report.finding", None, lang))
    for finding in report.findings:
        explanation = Text(finding_message(finding, lang))
        suggestion = finding_suggestion(finding, lang)
        if suggestion:
            explanation.append(f"\n→ {suggestion}", style="bold")
        kind = finding_kind(finding, lang)
        explanation.append(f"\n{finding.rule} · " + (f"{kind} · " if kind else "")
                           + _shortened(finding_basis(finding, lang), 160), style="dim")
        table.add_row(Text(_severity(finding.severity, lang), style=_STYLE[finding.severity]),
                      finding_place(finding, lang), Text(_shortened(finding.text, 80)),
                      explanation)
    parts: list[RenderableType] = [head]
    parts.append(table if report.findings else Text(message("audit.report.no_findings", None,
                                                            lang)))
    return Group(*parts)


_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.6}
.text{white-space:pre-wrap;border:1px solid #767676;padding:1rem;border-radius:4px}
mark{padding:0 .1em;border-radius:2px;color:#1a1a1a}
mark.error{background:#ffd6d6;border-bottom:3px solid #a40000}
mark.warning{background:#fff1b8;border-bottom:3px solid #7a5a00}
mark.info{background:#e6eef8;border-bottom:3px dotted #1f4e8c}
sup{font-size:.7em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #767676;padding:.3rem;
text-align:left;vertical-align:top}
.sev-error{color:#a40000;font-weight:bold}.sev-warning{color:#6b4f00;font-weight:bold}
.sev-info{color:#1f4e8c}
"""


_HTML_LANG = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-Hant", "both": "en"}


def _kind_html(finding: AuditFinding, lang: Display) -> str:
    kind = finding_kind(finding, lang)
    return f"{escape(kind)}<br>" if kind else ""


def render_audit_html(report: AuditReport, text: str, *, lang: Display = "en") -> str:
    """One self-contained page in ``lang``: the extracted text with findings marked, then
    the list."""
    findings = report.findings
    said = {index: finding_message(finding, lang) for index, finding in enumerate(findings)}
    body: list[str] = []
    for start, end, covering in marked_segments(len(text), findings):
        piece = escape(text[start:end])
        if not covering:
            body.append(str(piece))
            continue
        worst = min((findings[i].severity for i in covering), key=SEVERITY_RANK.__getitem__)
        refs = ",".join(str(i + 1) for i in covering)
        colon, semicolon = ("：", "；") if lang in ("zh", "zh-Hant") else (": ", "; ")
        label = escape(semicolon.join(f"{_severity(findings[i].severity, lang)}{colon}{said[i]}"
                                      for i in covering))
        body.append(f'<mark class="{worst}" title="{label}">{piece}</mark>'
                    f'<sup><a href="#f{covering[0] + 1}">{refs}</a></sup>')
    rows = []
    for number, finding in enumerate(findings, start=1):
        suggestion = finding_suggestion(finding, lang)
        rows.append(
            f'<tr id="f{number}"><td>{number}</td>'
            f'<td class="sev-{finding.severity}">{_severity(finding.severity, lang)}</td>'
            f"<td>{escape(finding_place(finding, lang))}</td><td>{escape(finding.text)}</td>"
            f"<td>{escape(said[number - 1])}</td><td>{escape(suggestion or '')}</td>"
            f"<td><code>{escape(finding.rule)}</code><br>{_kind_html(finding, lang)}"
            f"{escape(finding_basis(finding, lang))}</td></tr>")
    source = report.source
    evidence = f"<p>{escape(_checked_against(report, lang))}</p>" if report.evidence else ""

    def word(key: str) -> str:
        return str(escape(message(f"audit.report.{key}", None, lang)))

    columns = "".join(f'<th scope="col">{word(key)}</th>' for key in (
        "severity", "where", "text", "finding", "suggestion", "rule_and_basis"))
    table = (f"<p>{word('no_findings')}</p>" if not findings else
             f"<table><caption>{word('findings')}</caption><thead><tr>"
             f'<th scope="col">#</th>{columns}</tr></thead><tbody>' + "".join(rows)
             + "</tbody></table>")
    title = escape(message("audit.report.title", {"file": str(source["file"])}, lang))
    sha256 = escape(message("audit.report.sha256", {"sha256": str(source["sha256"])}, lang))
    page = f"""<!DOCTYPE html>
<html lang="{_HTML_LANG[lang]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>solidcheck — {title}</title><style>{_CSS}</style></head>
<body><main>
<h1>{title}</h1>
<p>{escape(_headline(report, lang))} · {sha256}</p>{evidence}
<h2>{word('marked_text')}</h2>
<div class="text" lang="{text_language(text)}">{"".join(body)}</div>
<h2>{word('findings')}</h2>{table}
</main></body></html>
"""
    return str(Markup(page))
