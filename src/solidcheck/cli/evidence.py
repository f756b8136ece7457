"""Instrument evidence at the command line: ``read``, ``weight-loss``, ``ratings`` and
``dossier build``. Argument handling and output only; the work is in ``readers/``,
``conditions.py``, ``ratings.py`` and ``build.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeAlias

import typer

from .. import formats
from .common import (
    LangOption,
    ReaderOption,
    RulesetOption,
    dossier_app,
    language,
    load_rules,
    print_json,
    read,
    say,
)
from .common import stdout as _stdout

if TYPE_CHECKING:
    ReadFormat: TypeAlias = str
    WeightLossFormat: TypeAlias = str
    RatingsFormat: TypeAlias = str
else:
    ReadFormat = formats.choice_type("read --format")
    WeightLossFormat = formats.choice_type("weight-loss --format")
    RatingsFormat = formats.choice_type("ratings --format")

__all__ = ["register"]


def weight_loss_command(
    log: Annotated[Path, typer.Argument(help="Oven or thermobalance log (CSV, Excel, NETZSCH).")],
    ruleset: RulesetOption = None,
    output_format: Annotated[WeightLossFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    reader: ReaderOption = None,
    lang: LangOption = None,
) -> None:
    """Judge a weight-loss test's conditions from the instrument's own log.

    Finds the hold at the rule set's temperature and pressure, reports its length,
    excursions and (with a mass channel) m₀, m₁ and whether mass had stopped falling.
    A run that is not a valid test is reported as such (exit 0).
    """
    from ..conditions import analyse_conditions

    display = language(lang)
    rules = load_rules(ruleset)
    analysis = analyse_conditions(read(log, reader=reader, kind="oven_log"), ruleset=rules)
    if output_format == "json":
        print_json(analysis.model_dump(mode="json"))
        return
    from ..report.evidence import render_conditions

    _stdout().print(render_conditions(analysis, display))


def dossier_build(
    cell: Annotated[Path, typer.Argument(help="The cell's declarations (YAML or JSON dossier, "
                                         "weight_loss_test may be partial or absent).")],
    oven_log: Annotated[Path | None, typer.Option("--oven-log", help="Oven or thermobalance "
                                                  "log: the test conditions (and masses).")] = None,
    weighings: Annotated[Path | None, typer.Option("--weighings", help="Specimen masses before "
                                                   "and after (CSV).")] = None,
    cycler: Annotated[Path | None, typer.Option("--cycler", help="Cycler file: the ratings "
                                                "(1C energy, max power).")] = None,
    nominal_capacity_ah: Annotated[float | None, typer.Option(
        "--nominal-capacity-ah", help="Rated capacity for the cycler's C-rates (Ah).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the dossier here "
                                                "(.json for JSON, else YAML); default: stdout.")]
    = None,
    ruleset: RulesetOption = None,
) -> None:
    """Write a complete dossier: the cell's declarations plus what the evidence shows.

    Conditions come from the log, masses from the log or the weighings, ratings from the
    cycler file; each file's SHA-256 is recorded under `evidence`. Replaced declarations
    are reported on stderr.
    """
    import yaml

    from ..build import build_dossier
    from ..dossier import load_mapping

    rules = load_rules(ruleset)
    cell_data = load_mapping(cell)
    log_reading = read(oven_log, kind="oven_log") if oven_log else None
    weighed = read(weighings, kind="weighings") if weighings else None
    cycled = read(cycler, kind="cycler") if cycler else None
    built = build_dossier(cell_data, ruleset=rules, oven_log=log_reading, weighings=weighed,
                          cycler=cycled, nominal_capacity_ah=nominal_capacity_ah,
                          source=str(cell))
    data = built.dossier.model_dump(mode="json", exclude_none=True)
    if output is not None and output.suffix.lower() == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    display = language()
    for note in built.said:
        typer.echo(say("cli.note", display, note=note.text(display)), err=True)
    if built.conditions is not None:
        typer.echo(say("cli.build.conditions_met" if built.conditions.meets_conditions
                       else "cli.build.conditions_not_met", display, ruleset=rules.id), err=True)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(say("cli.wrote", display, path=str(output)), err=True)


def read_command(
    file: Annotated[Path, typer.Argument(help="An instrument file: oven or thermobalance log "
                                         "(CSV, Excel, NETZSCH), weighings CSV, cycler file.")],
    output_format: Annotated[ReadFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    reader: ReaderOption = None,
    lang: LangOption = None,
) -> None:
    """Show what solidcheck reads from an instrument file, before trusting any analysis.

    Lists the canonical channels and the file's columns they came from, every unit
    conversion, the rows left out as unreadable and the file's metadata.
    """
    display = language(lang)
    summary = read(file, reader=reader).summary()
    if output_format == "json":
        print_json(summary)
        return
    from ..report.evidence import render_reading

    _stdout().print(render_reading(summary, display))


def ratings_command(
    file: Annotated[Path, typer.Argument(help="A cycler file: Neware .nda/.ndax, Battery Data "
                                         "Format CSV, BioLogic .mpr.")],
    nominal_capacity_ah: Annotated[float | None, typer.Option(
        "--nominal-capacity-ah", help="The cell's rated capacity (Ah), which sets the C-rates; "
        "default: the largest constant-current discharge capacity in the file.")] = None,
    power_duration_s: Annotated[float | None, typer.Option(
        "--power-duration-s", help="How long the power must be held (s); default: the rule "
        "set's ratings_from_cycler.power_duration_s.")] = None,
    ruleset: RulesetOption = None,
    output_format: Annotated[RatingsFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    reader: ReaderOption = None,
    lang: LangOption = None,
) -> None:
    """Derive max power and 1C energy (the dossier's `ratings`) from a cycler log.

    The method (1C window, power duration, constant-current tolerance, counter cross-check)
    is the rule set's `ratings_from_cycler`; every result says how it was obtained.
    """
    from ..ratings import derive_ratings

    display = language(lang)
    rules = load_rules(ruleset)
    reading = read(file, reader=reader, kind=None if reader else "cycler")
    analysis = derive_ratings(reading, ruleset=rules, nominal_capacity_ah=nominal_capacity_ah,
                              power_duration_s=power_duration_s)
    if output_format == "json":
        source = {"file": str(file), "format": reading.format, "sha256": reading.sha256}
        print_json({"source": source, **analysis.model_dump(mode="json")})
        return
    from ..report.evidence import render_ratings

    _stdout().print(render_ratings(analysis, reading, display))


def register(app: typer.Typer) -> None:
    app.command("weight-loss")(weight_loss_command)
    app.add_typer(dossier_app, name="dossier")
    dossier_app.command("build")(dossier_build)
    app.command("read")(read_command)
    app.command("ratings")(ratings_command)
