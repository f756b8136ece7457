"""The decision at the command line: ``classify``, ``terms``, ``code decode``, ``schema`` and
``rulesets`` (list, show). Argument handling and output only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from .. import formats
from .common import NegativeAnswer, RulesetOption, fail, load_dossiers, load_rules, print_json
from .common import stdout as _stdout

if TYPE_CHECKING:
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

SchemaName = Literal["result", "dossier", "audit"]

rulesets_app = typer.Typer(help="List the installed rule sets, or show one.")
code_app = typer.Typer(help="Work with solidcheck's provisional classification codes.",
                       no_args_is_help=True)


def classify_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    ruleset: RulesetOption = None,
    output_format: Annotated[ClassifyFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
) -> None:
    """Classify cells from their dossiers. One file prints one JSON object; several, one per line.

    Every input is checked before any result is printed: if one is invalid, nothing is
    printed on stdout and every problem of every file is listed on stderr (exit 2).
    """
    from ..classify import classify
    from ..report.text import render_result, render_summary

    rules = load_rules(ruleset)
    dossiers = load_dossiers(files)
    results = [classify(dossier, rules) for dossier in dossiers]
    if output_format == "json":
        for result in results:
            print_json(result.model_dump(mode="json"), pretty=len(results) == 1)
        return
    console = _stdout()
    for result in results:
        console.print(render_result(result))
    if len(results) > 1:
        console.print(render_summary(results))


def rulesets_list(ctx: typer.Context) -> None:
    """List the installed rule sets (the default first)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from ..rules import available_rulesets

    table = Table("id", "document", "limit", "visual check", "status")
    for ruleset in available_rulesets():
        limit = ruleset.rules.weight_loss_limit
        relation = "≤" if limit.comparison == "at_most" else "<"
        default = " (default)" if ruleset.ruleset.default else ""
        table.add_row(ruleset.id + default, f"{ruleset.ruleset.title}\n{ruleset.ruleset.document}",
                      f"{relation} {limit.limit_percent:g} %",
                      "required" if ruleset.rules.visual_check.mandatory else "recommended",
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
) -> None:
    """Find a term, insensitive to case, hyphens, spaces and full-width forms; say its status."""
    if export is not None:
        vocabulary = formats.renderer(export)()
        text = json.dumps(vocabulary, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return
    query = " ".join(words or [])
    if not query.strip():
        fail("give a term to look up, e.g. `solidcheck terms semi-solid`, or --export skos")
    from ..terms import lookup_term

    matches = lookup_term(query)
    if output_format == "json":
        print_json([match.as_dict() for match in matches])
    if not matches:
        raise NegativeAnswer(
            f"no term matches {query!r}; `solidcheck terms --export skos` lists all"
            if output_format == "text" else "")
    if output_format == "json":
        return
    from rich.table import Table

    table = Table("term", "lang", "status", "preferred term", "category")
    for match in matches:
        status = match.label.status.replace("_", "-")
        if match.label.note:
            status += f"\n({match.label.note})"
        table.add_row(match.label.text, match.label.lang, status,
                      f"{match.preferred_en}\n{match.preferred_zh}",
                      (match.concept.category or "—").replace("_", " "))
    _stdout().print(table)


def code_decode(
    code: Annotated[str, typer.Argument(help="A code, e.g. SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")],
    output_format: Annotated[DecodeFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
) -> None:
    """Give back the fields of a classification code; reject a malformed one with the reason."""
    from ..code import PROVISIONAL_NOTE, decode_code

    data = decode_code(code).model_dump()
    if output_format == "json":
        print_json({**data, "status": "provisional"})
        return
    for key, value in data.items():
        typer.echo(f"{key:17} {value if value is not None else '—'}")
    typer.echo(f"{'status':17} {PROVISIONAL_NOTE}")


def schema_command(
    name: Annotated[SchemaName, typer.Argument(help="Which schema.")] = "result",
) -> None:
    """Print a published JSON Schema: the result, the dossier or the audit report."""
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
