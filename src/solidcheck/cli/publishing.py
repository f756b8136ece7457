"""Results for people and other systems: ``report`` (HTML, PDF, JSON), ``export`` (JSON-LD,
battery-passport fields) and ``audit`` (claims in product text). Argument handling and
output only; the renderers (Jinja2, matplotlib, WeasyPrint) are imported when a command
runs."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from .. import formats
from ..errors import InvalidInputError
from .common import (
    LangOption,
    NegativeAnswer,
    RulesetOption,
    collect,
    fail,
    language,
    load_dossiers,
    load_each,
    load_rules,
    print_json,
    say,
)
from .common import stdout as _stdout

if TYPE_CHECKING:
    from ..report.model import ReportItem

    ReportFormat: TypeAlias = str
    ExportTarget: TypeAlias = str
    AuditFormat: TypeAlias = str
else:
    ReportFormat = formats.choice_type("report --format")
    ExportTarget = formats.choice_type("export --to")
    AuditFormat = formats.choice_type("audit --format")

__all__ = ["register"]

FailOn = Literal["error", "warning", "never"]


def export_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    to: Annotated[ExportTarget, typer.Option("--to", help="jsonld: the result as linked data "
                                             "(SKOS + EMMO); passport: the EU battery-passport "
                                             "fields the classification informs.")],
    ruleset: RulesetOption = None,
) -> None:
    """Export results for other systems (docs/exports.md): one JSON document per dossier,
    pretty-printed for one file, one a line for several."""
    from ..classify import classify

    rules = load_rules(ruleset)
    dossiers = load_dossiers(files)
    render = formats.renderer(to)
    for dossier in dossiers:
        result = classify(dossier, rules)
        print_json(render(result, dossier=dossier), pretty=len(dossiers) == 1)


def report_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    ruleset: RulesetOption = None,
    report_format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="html: one self-contained page; pdf: the same page printed "
        "(needs the 'pdf' extra); json: the list of results.")] = "html",
    lang: Annotated[str | None, typer.Option(
        "--lang", metavar="en|zh|zh-Hant|both", help="Language of the report's words "
        "(html, pdf); default: `solidcheck --lang`, else $SOLIDCHECK_LANG, else en.")] = None,
    certificate: Annotated[Path | None, typer.Option(
        "--certificate", help="The dossier's certificate (from `solidcheck certify`): checked, "
        "and its verification payload shown as a QR code.")] = None,
    qr_payload: Annotated[str | None, typer.Option(
        "--qr-payload", help="Text to show as a QR code labelled 'scan to verify' (e.g. a "
        "verification URL); default: the certificate's payload.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The file to write (`-` for stdout); required for html and "
        "pdf.")] = None,
) -> None:
    """Write a report of one or more cells: verdict, reasons, weight-loss table and plots.

    Evidence files named in a dossier are looked for beside it and used only when their
    SHA-256 matches: an oven log that matches is plotted; otherwise the report says why not.
    Every dossier is checked first: if one is invalid, nothing is written and every problem of
    every file is listed (exit 2).
    """
    report_lang = language(lang)  # the HTML report has every language the CLI has
    if report_format != "json" and output is None:
        fail(f"--format {report_format} needs -o FILE (or -o - for stdout)")
    to_stdout = output is None or str(output) == "-"
    if report_format == "pdf" and to_stdout and sys.stdout.isatty():
        fail("refusing to write a binary PDF to a terminal: give -o FILE, or redirect stdout")
    from ..report.model import load_report_item

    rules = load_rules(ruleset)
    items = load_each(files, lambda path: load_report_item(path, rules))
    if certificate is not None:
        qr_payload = qr_payload or _certificate_payload(certificate, files, items)
    for item in items:
        for check in item.evidence_checks:
            if check.status != "verified":
                params = {"dossier": str(item.dossier_file), "file": check.evidence.file,
                          "status": f"evidence.{check.status}"}
                typer.echo(say("cli.report.evidence_note_detail", language(lang), **params,
                               detail=check.detail) if check.detail
                           else say("cli.report.evidence_note", language(lang), **params),
                           err=True)
    data: bytes
    if report_format == "json":
        results = [item.result.model_dump(mode="json") for item in items]
        data = (json.dumps(results, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        html = formats.renderer("html")(items, lang=report_lang, qr_payload=qr_payload)
        data = (html.encode("utf-8") if report_format == "html"
                else formats.renderer("pdf")(html))
    if to_stdout:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    assert output is not None
    output.write_bytes(data)
    typer.echo(say("cli.wrote_report", language(lang), path=str(output), count=len(items)),
               err=True)


def _certificate_payload(path: Path, files: list[Path], items: list[ReportItem]) -> str:
    """The QR payload of a certificate that verifies and certifies the reported dossier."""
    if len(items) != 1:
        fail("--certificate goes with exactly one dossier (a certificate certifies one cell)")
    from ..certificates import parse_certificate, verification_payload, verify

    try:
        data = path.read_bytes()
        cert = parse_certificate(data, source=str(path))
        outcome = verify(data, dossier_bytes=files[0].read_bytes(), source=str(path))
    except OSError as exc:
        fail(f"cannot read {exc.filename}: {exc.strerror}")
    if not outcome.valid:
        fail(f"{path} does not verify for {files[0]}, so the report will not carry it:\n"
             + "\n".join(f"  - {reason}" for reason in outcome.reasons))
    return verification_payload(cert)


def audit_command(
    files: Annotated[list[Path], typer.Argument(help="Product text: plain text, Markdown, "
                                                "HTML (visible text) or PDF (text layer).")],
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", help="The cell's dossier, its result (JSON) or its certificate: claims "
        "are checked against its category.")] = None,
    ruleset: RulesetOption = None,
    output_format: Annotated[AuditFormat, typer.Option("--format", "-f", help="text, json, or "
                                                       "html (the text with findings marked; "
                                                       "one input, needs -o).")]
    = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of "
                                                "stdout.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 3 when a finding of this "
                                            "severity or worse is found (for pipelines).")]
    = "never",
    lang: LangOption = None,
) -> None:
    """Find misused terms, unsupported or contradicted solid-state claims and implausible
    figures in product text, English and Chinese. Offsets index the extracted text."""
    from ..claims.audit import audit, load_evidence
    from ..claims.extract import extract_text
    from ..report.audit import render_audit, render_audit_html

    display = language(lang)
    rules = load_rules(ruleset)
    if output_format == "html" and (len(files) != 1 or output is None):
        fail("--format html takes exactly one input file and -o FILE")
    result = None
    errors: list[str] = []
    try:
        result = load_evidence(evidence, ruleset=rules) if evidence is not None else None
    except InvalidInputError as exc:
        errors.append(str(exc))
    texts = collect(files, extract_text, errors)
    if errors:
        fail("\n".join(errors))
    reports = [audit(text, ruleset=rules, evidence=result) for text in texts]
    if output_format == "html":
        rendered = render_audit_html(reports[0], texts[0].text, lang=display)
    elif output_format == "json":
        dumps = [json.dumps(r.model_dump(mode="json"), ensure_ascii=False,
                            indent=2 if len(reports) == 1 else None) for r in reports]
        rendered = "\n".join(dumps) + "\n"
    else:
        from rich.console import Console

        buffer = io.StringIO()
        console = _stdout() if output is None else Console(file=buffer, width=110,
                                                           highlight=False)
        for report in reports:
            console.print(render_audit(report, lang=display))
        rendered = buffer.getvalue()
    if output is not None:
        output.write_text(rendered, encoding="utf-8")
        typer.echo(say("cli.wrote", display, path=str(output)), err=True)
    elif rendered:
        sys.stdout.write(rendered)
    worst = {"error": 0, "warning": 1, "info": 2}
    threshold = {"error": 0, "warning": 1, "never": -1}[fail_on]
    if any(worst[f.severity] <= threshold for r in reports for f in r.findings):
        raise NegativeAnswer


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
    app.command("export")(export_command)
    app.command("audit")(audit_command)
