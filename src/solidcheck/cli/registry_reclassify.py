"""``solidcheck registry reclassify``: every cell of the registry classified under every
installed rule set (or one), a page of cells per transaction, with a progress bar and a
summary. The work is ``Registry.reclassify_all``; this module reads the options and prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InvalidInputError, Problem, UnknownRulesetError
from .common import LangOption, language, print_json, say
from .registry_access import DatabaseOption, opened_registry

if TYPE_CHECKING:
    from ..i18n import Display
    from ..registry import ReclassifyReport

__all__ = ["registry_reclassify"]


def registry_reclassify(
    ruleset: Annotated[str | None, typer.Option(
        "--ruleset", "-r", metavar="ID", help="Only this installed rule set (see `solidcheck "
        "rulesets`); default: every installed one.")] = None,
    page_cells: Annotated[int, typer.Option(
        "--page-cells", min=1, max=100_000, metavar="N", help="Cells per transaction: a "
        "stop loses at most one page, and running again carries on.")] = 100,
    database: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", metavar="text|json",
                                               help="The summary as text or JSON.")] = "text",
    lang: LangOption = None,
) -> None:
    """Classify the latest version of every cell under every installed rule set (or the one
    given) and store the results that are missing; results already stored for that version
    and rule set by this solidcheck are kept, so running it again writes nothing. Each result
    is logged: `solidcheck registry verify` stays intact."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..registry import ReclassifyReport, default_actor

    display = language(lang)
    _check_options(ruleset, output_format)
    pages: list[ReclassifyReport] = []
    with opened_registry(database) as registry, Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            transient=True) as progress:
        task = progress.add_task(say("cli.reclassify.progress", display),
                                 total=registry.list_cells(limit=1).total)
        for page in registry.reclassify_all(actor=default_actor(), ruleset=ruleset,
                                            page_cells=page_cells):
            pages.append(page)
            progress.advance(task, page.cells)
    summary = ReclassifyReport.combined(pages)
    if output_format == "json":
        print_json(summary.model_dump(mode="json"))
        return
    for line in summary_lines(summary, display, url=registry.display_url):
        typer.echo(line)


def _check_options(ruleset: str | None, output_format: str) -> None:
    """Every problem of the options at once (exit 2), before the registry is opened."""
    from ..rules import ruleset_by_id

    problems = []
    if output_format not in ("text", "json"):
        problems.append(Problem("--format", f"unknown format {output_format!r}",
                                "use text or json"))
    if ruleset is not None:
        try:
            ruleset_by_id(ruleset)
        except UnknownRulesetError as exc:
            problems.append(Problem("--ruleset", f"unknown rule set {ruleset!r}",
                                    f"use one of: {', '.join(exc.available)} (or leave it out "
                                    "for all of them)"))
    if problems:
        raise InvalidInputError(problems)


def summary_lines(summary: ReclassifyReport, display: Display, *, url: str) -> list[str]:
    """The summary in words: the cells, then per rule set what was written, what was already
    there and which categories changed."""
    from ..report.text import category_name
    from ..terms import category_terms

    lines = [say("cli.reclassify.done", display, cells=summary.cells, url=url)]
    for tally in summary.rulesets:
        lines.append(say("cli.reclassify.ruleset", display, ruleset=tally.ruleset,
                         written=tally.written, unchanged=tally.unchanged))
        for change in tally.changes:
            lines.append(say(
                "cli.reclassify.change", display, cells=change.cells,
                before=category_name(category_terms(change.before), display),
                after=category_name(category_terms(change.after), display)))
    return lines
