"""Renderings of a text audit: the terminal, and one HTML page with findings marked in place."""

from __future__ import annotations

from markupsafe import Markup, escape
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..claims.model import AuditFinding, AuditReport
from ..i18n import Display, message
from .parts import SEVERITY_RANK, finding_place, marked_segments, text_language
from .text import say, word

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


def _finding_message(finding: AuditFinding, lang: Display) -> str:
    """The finding's sentence in ``lang`` when it carries a message id, else as written."""
    message_id = getattr(finding, "message_id", None)
    if lang == "en" or not message_id:
        return finding.message
    return message(message_id, getattr(finding, "params", None) or {}, lang)


def _category(category: object, lang: Display) -> str:
    from ..terms import category_terms
    from .text import category_name

    known = ("liquid", "hybrid_solid_liquid", "solid_state", "undetermined")
    if lang == "en" or category not in known:
        return str(category)
    return category_name(category_terms(category), lang)  # type: ignore[arg-type]


def render_audit(report: AuditReport, lang: Display = "en") -> RenderableType:
    """A headline with the counts, then one row per finding: where, what, the fix."""
    counts = report.summary.by_severity
    source = report.source
    head = Text()
    head.append(say("cli.audit.head", lang, file=str(source["file"]),
                    format=str(source["format"]), characters=int(str(source["characters"]))))
    head.append(say("cli.audit.errors", lang, count=counts.get("error", 0)), style="red")
    head.append(say("cli.audit.warnings", lang, count=counts.get("warning", 0)), style="yellow")
    head.append(say("cli.audit.infos", lang, count=counts.get("info", 0),
                    ruleset=report.ruleset))
    if report.evidence:
        head.append("\n" + say("cli.audit.checked_against", lang,
                               dossier=str(report.evidence["dossier_id"]),
                               category=_category(report.evidence["category"], lang),
                               code=str(report.evidence["code"])))
    table = Table(expand=True, show_header=True)
    table.add_column("", no_wrap=True)
    table.add_column(say("cli.audit.column.where", lang), no_wrap=True)
    table.add_column(say("cli.audit.column.text", lang))
    table.add_column(say("cli.audit.column.finding", lang))
    for finding in report.findings:
        explanation = Text(_finding_message(finding, lang))
        if finding.suggestion:
            explanation.append(f"\n→ {finding.suggestion}", style="bold")
        explanation.append(f"\n{finding.rule} · {_shortened(finding.basis, 160)}", style="dim")
        table.add_row(Text(word(f"severity.{finding.severity}", lang),
                           style=_STYLE[finding.severity]),
                      finding_place(finding), Text(_shortened(finding.text, 80)), explanation)
    parts: list[RenderableType] = [head]
    parts.append(table if report.findings else Text(say("cli.audit.no_findings", lang)))
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


def render_audit_html(report: AuditReport, text: str) -> str:
    """One self-contained page: the extracted text with findings marked, then the list."""
    findings = report.findings
    body: list[str] = []
    for start, end, covering in marked_segments(len(text), findings):
        piece = escape(text[start:end])
        if not covering:
            body.append(str(piece))
            continue
        worst = min((findings[i].severity for i in covering), key=SEVERITY_RANK.__getitem__)
        refs = ",".join(str(i + 1) for i in covering)
        label = escape("; ".join(f"{findings[i].severity}: {findings[i].message}"
                                 for i in covering))
        body.append(f'<mark class="{worst}" title="{label}">{piece}</mark>'
                    f'<sup><a href="#f{covering[0] + 1}">{refs}</a></sup>')
    rows = []
    for number, finding in enumerate(findings, start=1):
        suggestion = escape(finding.suggestion) if finding.suggestion else ""
        rows.append(
            f'<tr id="f{number}"><td>{number}</td>'
            f'<td class="sev-{finding.severity}">{finding.severity}</td>'
            f"<td>{escape(finding_place(finding))}</td><td>{escape(finding.text)}</td>"
            f"<td>{escape(finding.message)}</td><td>{suggestion}</td>"
            f"<td><code>{escape(finding.rule)}</code><br>{escape(finding.basis)}</td></tr>")
    counts = report.summary.by_severity
    source = report.source
    evidence = ""
    if report.evidence:
        evidence = (f"<p>Claims checked against {escape(str(report.evidence['dossier_id']))}: "
                    f"{escape(str(report.evidence['category']))} "
                    f"(<code>{escape(str(report.evidence['code']))}</code>).</p>")
    table = ("<p>No findings.</p>" if not findings else
             "<table><caption>Findings</caption><thead><tr><th scope=\"col\">#</th>"
             "<th scope=\"col\">severity</th><th scope=\"col\">where</th>"
             "<th scope=\"col\">text</th><th scope=\"col\">finding</th>"
             "<th scope=\"col\">suggestion</th><th scope=\"col\">rule and basis</th></tr>"
             "</thead><tbody>" + "".join(rows) + "</tbody></table>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>solidcheck audit — {escape(str(source['file']))}</title><style>{_CSS}</style></head>
<body><main>
<h1>Audit of {escape(str(source['file']))}</h1>
<p>{counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s),
{counts.get('info', 0)} info · rule set <code>{escape(report.ruleset)}</code> ·
{escape(str(source['format']))}, {source['characters']} characters, SHA-256
<code>{escape(str(source['sha256']))}</code></p>{evidence}
<h2>The text, with findings marked</h2>
<div class="text" lang="{text_language(text)}">{"".join(body)}</div>
<h2>Findings</h2>{table}
</main></body></html>
"""
    return str(Markup(page))
