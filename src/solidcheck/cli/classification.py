"""The decision at the command line: ``classify``, ``terms``, ``code decode``, ``schema`` and
``rulesets`` (list, show). Argument handling and output only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from .. import formats
from .common import (
    LangOption,
    NegativeAnswer,
    RulesetOption,
    fail,
    language,
    load_dossiers,
    load_rules,
    print_json,
    say,
)
from .common import stdout as _stdout

if TYPE_CHECKING:
    from ..i18n import Display
    from ..terms import Label

    ClassifyFormat: TypeAlias = str
    TermsFormat: TypeAlias = str
    DecodeFormat: TypeAlias = str
    RulesetFormat: TypeAlias = str
    SkosExport: TypeAlias = str
else:
    ClassifyFormat = formats.choice_type("classify --format")
    TermsFormat = formats.choice_type("terms --format")
    DecodeFormat = formats.choice_type("code decode --format")
    RulesetFormat = formats.choice_type("rulesets show --format")
    SkosExport = formats.choice_type("terms --export")

__all__ = ["register", "ruleset_toml"]

SchemaName = Literal["result", "dossier", "audit", "charging-metrics"]

rulesets_app = typer.Typer(help="List the installed rule sets, or show one.")
code_app = typer.Typer(help="Work with solidcheck's provisional classification codes.",
                       no_args_is_help=True)


def classify_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    ruleset: RulesetOption = None,
    output_format: Annotated[ClassifyFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    lang: LangOption = None,
) -> None:
    """Classify cells from their dossiers: each cell's verdict with the reasons for it.

    Text by default (several files: a summary follows); with --format json, one JSON object
    (the published result schema) for one file, one per line for several. Every input is
    checked before any result is printed: if one is invalid, nothing is printed on stdout
    and every problem of every file is listed on stderr (exit 2).
    """
    from ..classify import classify
    from ..report.text import render_result, render_summary

    display = language(lang)
    rules = load_rules(ruleset)
    dossiers = load_dossiers(files)
    results = [classify(dossier, rules) for dossier in dossiers]
    if output_format == "json":
        from ..localise import localise_result

        for result in results:  # keys stay English; messages and clauses in the language asked
            shown = localise_result(result, display, ruleset=rules) if display != "en" else result
            print_json(shown.model_dump(mode="json"), pretty=len(results) == 1)
        return
    console = _stdout()
    for result in results:
        console.print(render_result(result, display))
    if len(results) > 1:
        console.print(render_summary(results, display))


def rulesets_list(ctx: typer.Context, lang: LangOption = None) -> None:
    """List the installed rule sets (the default first)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from ..rules import available_rulesets

    display = language(lang)
    table = Table("id", *(say(f"cli.rulesets.column.{name}", display)
                          for name in ("document", "limit", "visual_check", "status")))
    for ruleset in available_rulesets():
        limit = ruleset.rules.weight_loss_limit
        relation = "≤" if limit.comparison == "at_most" else "<"
        default = say("cli.rulesets.default", display) if ruleset.ruleset.default else ""
        table.add_row(ruleset.id + default, f"{ruleset.ruleset.title}\n{ruleset.ruleset.document}",
                      f"{relation} {limit.limit_percent:g} %",
                      say("cli.rulesets.required" if ruleset.rules.visual_check.mandatory
                          else "cli.rulesets.recommended", display),
                      ruleset.ruleset.status)
    _stdout().print(table)


def rulesets_show(
    ruleset_id: Annotated[str, typer.Argument(metavar="ID", help="Rule-set id or .toml file.")],
    output_format: Annotated[RulesetFormat, typer.Option("--format", "-f")] = "toml",
) -> None:
    """Print one rule set: as its data file (toml) or as validated JSON."""
    if output_format == "json":
        print_json(load_rules(ruleset_id).model_dump(mode="json"))
        return
    sys.stdout.write(ruleset_toml(ruleset_id))


def ruleset_toml(ruleset_id: str) -> str:
    """A rule set's data file, as written (after checking that it loads)."""
    from ..rules import installed_ruleset_text

    ruleset = load_rules(ruleset_id)
    given = Path(ruleset_id)
    return (given.read_text("utf-8") if given.suffix == ".toml"
            else installed_ruleset_text(ruleset.id))


def terms_command(
    words: Annotated[list[str] | None, typer.Argument(
        metavar="QUERY", help="A term in English or Chinese (several words are joined).")] = None,
    export: Annotated[SkosExport | None, typer.Option(
        "--export", help="Write the whole vocabulary instead (skos: SKOS as JSON-LD).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File for --export (default: stdout).")] = None,
    output_format: Annotated[TermsFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    lang: LangOption = None,
) -> None:
    """Find a term, insensitive to case, hyphens, spaces and full-width forms; say its status."""
    if export is not None:
        _export_vocabulary(export, output, language(lang))
        return
    query = " ".join(words or [])
    if not query.strip():
        fail("give a term to look up, e.g. `solidcheck terms semi-solid`, or --export skos")
    from ..terms import lookup_term

    display = language(lang)
    matches = lookup_term(query)
    if output_format == "json":
        print_json([match.as_dict() for match in matches])
    if not matches:
        raise NegativeAnswer(say("cli.terms.no_match", display, query=query)
                             if output_format == "text" else "")
    if output_format == "json":
        return
    from rich.table import Column, Table

    from ..model import Terms
    from ..report.text import category_name, word
    from ..terms import category_terms

    rows: list[tuple[str, str, str, str, str]] = []
    for match in matches:
        status = word(f"term.{match.label.status}", display)
        if match.label.note:
            status += "\n" + _term_note(match.label, display)
        category = match.concept.category
        both = Terms(en=match.preferred_en, zh=match.preferred_zh)
        preferred = (category_name(both, display) if display in ("zh", "zh-Hant")
                     else f"{both.en}\n{both.zh}")
        rows.append((match.label.text, match.label.lang, status, preferred,
                     category_name(category_terms(category), display) if category else "—"))
    # A term is never broken across lines ("hybrid solid-liquid / battery" reads as another
    # term): the column is as wide as its longest term; the notes and the rest wrap instead.
    headers = [say(f"cli.terms.column.{name}", display)
               for name in ("term", "lang", "status", "preferred")]
    headers.append(say("text.column.category", display))
    console = _stdout()
    fits = console.width >= 100  # narrower, every column must wrap to fit
    table = Table(*headers[:2], Column(headers[2], overflow="fold"),  # notes: fold, never cut
                  Column(headers[3], no_wrap=fits), headers[4])
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _term_note(label: Label, display: Display) -> str:
    """A label's note, in parentheses, in the reader's language when the vocabulary has it."""
    if display == "both":
        return " / ".join(_term_note(label, lang) for lang in ("en", "zh"))
    from ..i18n import traditional

    note = label.note_for("zh" if display == "zh-Hant" else display) or ""
    if display == "zh-Hant":
        note = traditional(note)
    return say("text.parenthesis", display, text=note).strip()


def _export_vocabulary(export: str, output: Path | None, display: Display) -> None:
    """The whole vocabulary to stdout, or to ``output`` with a line saying what was written
    (stderr, like the other exports: stdout stays the data's)."""
    vocabulary = formats.renderer(export)()
    text = json.dumps(vocabulary, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write the file: {exc.strerror} — check the folder")
    concepts = sum(1 for node in vocabulary.get("@graph", [])
                   if node.get("@type") == "skos:Concept")
    typer.echo(say("cli.terms.exported", display, path=str(output), concepts=concepts),
               err=True)


def code_decode(
    code: Annotated[str, typer.Argument(help="A code, e.g. SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")],
    output_format: Annotated[DecodeFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    lang: LangOption = None,
) -> None:
    """Give back the fields of a classification code; reject a malformed one with the reason."""
    from ..code import decode_code

    display = language(lang)
    fields = decode_code(code)
    data = fields.model_dump()
    if output_format == "json":
        print_json({**data, "status": "provisional"})
        return
    from ..report.text import category_name, word
    from ..terms import category_terms

    words = {"electrolyte_type": "electrolyte.", "conducting_ion": "ion.", "application": ""}
    rows: list[tuple[str, str | None]] = []
    for key, value in data.items():
        if display == "en":  # the code's own values, as before (scripts read them)
            pass
        elif key == "category":
            value = category_name(category_terms(fields.category), display)
        elif key in words and value is not None:
            value = word(words[key] + value, display)
        rows.append((word(f"code.{key}", display), value))
    rows.append((say("cli.code.status", display), say("text.provisional_note", display)))
    from rich.cells import cell_len  # a Chinese character is two columns wide

    width = max(cell_len(label) for label, _ in rows) + 2
    for label, value in rows:
        padding = " " * (width - cell_len(label))
        typer.echo(f"{label}{padding}{value if value is not None else '—'}")


def schema_command(
    name: Annotated[SchemaName, typer.Argument(help="Which schema.")] = "result",
) -> None:
    """Print a published JSON Schema: the result, the dossier, the audit report or the
    charging metrics."""
    from ..schemas import json_schema

    print_json(json_schema(name))


def register(app: typer.Typer) -> None:
    app.command("classify")(classify_command)
    app.add_typer(rulesets_app, name="rulesets")
    rulesets_app.callback(invoke_without_command=True)(rulesets_list)
    rulesets_app.command("show")(rulesets_show)
    app.command("terms")(terms_command)
    app.add_typer(code_app, name="code")
    code_app.command("decode")(code_decode)
    app.command("schema")(schema_command)
