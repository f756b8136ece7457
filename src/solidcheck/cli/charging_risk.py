"""``solidcheck charging risk``: train a model of which ports will fail, score a day's ports,
and evaluate the model against the baselines an operator already uses (issue 18).

The inputs are read as ``charging metrics`` reads them; the features and labels come from
charging/risk/features.py and labels.py (:func:`risk_frames`, the seam the tests replace).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ChargingInputError, MissingDependencyError, Problem
from .charging_risk_options import RiskReading, reading_options
from .charging_risk_scale import risk_data
from .common import language, say

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl

    from ..charging.risk.model import FeatureSpec
    from ..charging.risk.rules import RiskModelRule
    from ..charging.rules import ChargingRuleset
    from ..i18n import Display

__all__ = ["RiskFrames", "risk_app", "risk_frames"]

risk_app = typer.Typer(help="Which ports will fail: train a model on an operator's own "
                       "history, score a day's ports, evaluate against the baselines.",
                       no_args_is_help=True)

DEFAULT_RULESET = "cn-alliance-wp-2026"
Inputs = Annotated[list[Path], typer.Argument(help="OCPP logs, IRVE files, ticket files … "
                                              "or a folder `charging synth` or `charging "
                                              "ingest` wrote (train, score, evaluate: or "
                                              "the file `charging risk features` wrote).")]
Horizon = Annotated[str, typer.Option("--horizon", metavar="24h|7d",
                                      help="Predict failures within this time.")]
Seed = Annotated[int, typer.Option("--seed", help="The seed: the same seed, the same model.")]
RulesetName = Annotated[str, typer.Option("--ruleset", "-r", help="The rule set whose "
                                          "[rules.risk_model] and thresholds are used.")]


@dataclass(frozen=True, slots=True)
class RiskFrames:
    """What the commands work on: the features, the labels (with next_failure_at), the
    feature columns, each input's sha256."""

    features: pl.DataFrame
    labels: pl.DataFrame
    spec: FeatureSpec
    inputs: dict[str, str]


def _ready() -> None:
    """Name the missing extra before any work."""
    try:
        import polars  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("The charging risk models", extra="risk",
                                     package=exc.name or "polars") from exc
    from ..charging.risk.model import sklearn

    sklearn()


def _rule(ruleset_name: str, problems: list[Problem]
          ) -> tuple[ChargingRuleset | None, RiskModelRule | None]:
    from ..charging.metrics_inputs import rulesets_named

    found = rulesets_named([ruleset_name], problems)
    if not found:
        return None, None
    if found[0].rules.risk_model is None:
        problems.append(Problem("--ruleset", f"{found[0].id!r} has no [rules.risk_model]",
                                f"use {DEFAULT_RULESET}, or add the section to your rule set"))
        return found[0], None
    return found[0], found[0].rules.risk_model


def risk_frames(inputs: Sequence[Path], ruleset: ChargingRuleset, *,
                start_day: date | None = None, end_day: date | None = None,
                engine: str = "local", scheduler: str | None = None,
                scratch: Path | None = None, lang: Display = "en",
                charge_point_id: str | None = None, ocpp_version: str | None = None,
                with_labels: bool = True) -> RiskFrames:
    """The inputs' canonical tables (as ``charging metrics`` reads them) made into features
    and labels by charging/risk/features.py and labels.py, in memory or in buckets
    (``engine``: charging_risk_scale.py); or a features file's."""
    from ..charging.risk import CATEGORICAL, FEATURES
    from ..charging.risk.model import FeatureSpec

    features, found, sha = risk_data(inputs, ruleset, start_day=start_day, end_day=end_day,
                                     engine=engine, scheduler=scheduler, scratch=scratch,
                                     lang=lang, charge_point_id=charge_point_id,
                                     ocpp_version=ocpp_version, with_labels=with_labels)
    return RiskFrames(features, found, FeatureSpec(FEATURES, CATEGORICAL), sha)


def _frames(inputs: Sequence[Path], ruleset: ChargingRuleset, reading: RiskReading,
            display: Display, *, start_day: date | None = None, end_day: date | None = None,
            with_labels: bool = True) -> RiskFrames:
    """:func:`risk_frames` read as the shared options say (looked up when called: the tests
    replace it)."""
    return risk_frames(inputs, ruleset, start_day=start_day, end_day=end_day,
                       engine=reading.engine, scheduler=reading.scheduler,
                       scratch=reading.scratch, lang=display,
                       charge_point_id=reading.charge_point, ocpp_version=reading.ocpp_version,
                       with_labels=with_labels)


def _horizon(horizon: str, problems: list[Problem]) -> None:
    from ..charging.risk.model import HORIZONS

    if horizon not in HORIZONS:
        problems.append(Problem("--horizon", f"unknown horizon {horizon!r}",
                                "use " + " or ".join(HORIZONS)))


@risk_app.command("train")
@reading_options
def train(inputs: Inputs,
          output: Annotated[Path, typer.Option("--output", "-o", help="The model's folder "
                                               "(model.joblib and card.json; made if "
                                               "missing).")],
          horizon: Horizon = "7d", seed: Seed = 0, ruleset: RulesetName = DEFAULT_RULESET,
          *, reading: RiskReading) -> None:
    """Train the models on the inputs' whole history and write them with their card."""
    from ..charging.risk.model import labelled
    from ..charging.risk.model import train as fit
    from ..charging.risk.store import model_card, save

    _ready()
    display = language(reading.lang)
    problems: list[Problem] = []
    _horizon(horizon, problems)
    reading.add_problems(problems)
    chosen, rule = _rule(ruleset, problems)
    if problems or chosen is None or rule is None:
        raise ChargingInputError(problems)
    frames = _frames(inputs, chosen, reading, display)
    frame = labelled(frames.features, frames.labels, horizon)
    model = fit(frame, frames.spec, rule, horizon=horizon, seed=seed)
    model.card = model_card(model, frame, rule, seed=seed, ruleset_id=chosen.id,
                            inputs=frames.inputs)
    save(model, output)
    card = model.card
    typer.echo(say("charging.risk.trained", display, folder=str(output), horizon=horizon,
                   seed=str(seed), rows=str(card["rows"]),
                   start=card["training_window"]["from"], end=card["training_window"]["to"],
                   positives=str(card["positives"])))
    for name, group in card["groups"].items():
        typer.echo(say("charging.risk.group", display,
                       group=say("charging.risk.pooled", display) if name.startswith("*")
                       else name, kind=say(f"charging.risk.kind.{group['kind']}", display),
                       operators=", ".join(group["operators"]), rows=str(group["rows"]),
                       positives=str(group["positives"])))
    typer.echo(say("charging.risk.own_pickle", display))


def _day(text: str | None, problems: list[Problem]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("--day", f"{text!r} is not a date", "write e.g. 2026-06-01"))
        return None


@risk_app.command("score")
@reading_options
def score(model_folder: Annotated[Path, typer.Argument(
              metavar="MODEL", help="The folder `charging risk train -o` wrote (load only "
              "your own: it is a pickle).")],
          inputs: Inputs,
          day: Annotated[str | None, typer.Option("--day", metavar="YYYY-MM-DD", help="Score "
                                                  "the ports after this UTC day (default: "
                                                  "the last day of the inputs).")] = None,
          top: Annotated[int, typer.Option("--top", help="List this many ports.")] = 20,
          output_format: Annotated[str, typer.Option("--format", metavar="text|json|csv",
                                                     help="How to print the list.")] = "text",
          output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the list "
                                                      "here (else printed); with --format "
                                                      "json, the file `charging report "
                                                      "--risk` reads.")] = None,
          *, reading: RiskReading) -> None:
    """Each port's risk after a day, highest first, with the features that drove it."""
    from ..charging.metrics_inputs import rulesets_named
    from ..charging.risk.score import score as run
    from ..charging.risk.store import load

    _ready()
    display = language(reading.lang)
    problems: list[Problem] = []
    chosen_day = _day(day, problems)
    if output_format not in ("text", "json", "csv"):
        problems.append(Problem("--format", f"unknown format {output_format!r}",
                                "use text, json or csv"))
    if top < 1:
        problems.append(Problem("--top", f"--top {top}", "give 1 or more"))
    reading.add_problems(problems)
    try:
        model = load(model_folder)
    except ChargingInputError as exc:
        problems += exc.problems
        model = None
    chosen = rulesets_named([model.card["ruleset"]], problems) if model else []
    if problems or model is None or not chosen:
        raise ChargingInputError(problems)
    frames = _frames(inputs, chosen[0], reading, display, start_day=chosen_day,
                     end_day=chosen_day, with_labels=False)  # scoring needs no labels
    features = frames.features
    last = chosen_day or features.get_column("day").max()
    rule = chosen[0].rules.risk_model
    drivers = rule.drivers_listed if rule is not None else 5
    scored = run(model, features.filter(features.get_column("day") == last),
                 drivers=drivers, top=top)
    _write(_scores_text(scored, day=str(last), output_format=output_format, display=display,
                        card=model.card), output)


def _scores_text(scored: pl.DataFrame, *, day: str, output_format: str, display: Any,
                 card: dict[str, Any]) -> str:
    from ..charging.risk.listing import risk_list
    from ..charging.risk.model import CONTRIBUTION_METHOD
    from ..charging.risk.render import score_lines

    rows = scored.with_columns(scored.get_column("day").cast(str)).to_dicts()
    if output_format == "json":  # the file `charging report --risk` reads
        listing = risk_list(rows, day=day, card=card, method=CONTRIBUTION_METHOD)
        return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["rank", "port_id", "station_id", "operator", "day", "score",
                         "score_kind", "drivers"])
        for rank, row in enumerate(rows, start=1):
            writer.writerow([rank, row["port_id"], row["station_id"], row["operator"],
                             row["day"], f"{row['score']:.6f}", row["score_kind"],
                             ";".join(f"{d['feature']}:{d['contribution']:+.6f}"
                                      for d in row["drivers"])])
        return buffer.getvalue()
    return "".join(line + "\n" for line in score_lines(rows, day=day, lang=display))


def _write(text: str, output: Path | None) -> None:
    """To the file given, else to standard output."""
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@risk_app.command("evaluate")
@reading_options
def evaluate(inputs: Inputs, horizon: Horizon = "7d",
             k: Annotated[int | None, typer.Option("--k", help="Ports a crew visits per day "
                                                   "(default: the rule set's).")] = None,
             output_format: Annotated[str, typer.Option("--format", metavar="text|json|html",
                                                        help="The report's form.")] = "text",
             output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the "
                                                         "report here (else printed).")] = None,
             seed: Seed = 0, ruleset: RulesetName = DEFAULT_RULESET,
             *, reading: RiskReading) -> None:
    """Train on the past, test on the following weeks, against the baselines; says plainly
    when the model does not beat them."""
    from ..charging.risk.evaluate import evaluate as run
    from ..charging.risk.model import labelled
    from ..charging.risk.render import evaluation_html, evaluation_lines

    _ready()
    display = language(reading.lang)
    problems: list[Problem] = []
    _horizon(horizon, problems)
    if k is not None and k < 1:
        problems.append(Problem("--k", f"--k {k}: a crew visits at least one port",
                                "give --k 1 or more"))
    if output_format not in ("text", "json", "html"):
        problems.append(Problem("--format", f"unknown format {output_format!r}",
                                "use text, json or html"))
    reading.add_problems(problems)
    chosen, rule = _rule(ruleset, problems)
    if problems or chosen is None or rule is None:
        raise ChargingInputError(problems)
    frames = _frames(inputs, chosen, reading, display)
    report = run(labelled(frames.features, frames.labels, horizon), frames.spec, rule,
                 horizon=horizon, k=k if k is not None else rule.crew_ports_per_day, seed=seed)
    if output_format == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    elif output_format == "html":
        text = evaluation_html(report, display)
    else:
        text = "\n".join(evaluation_lines(report, display)) + "\n"
    _write(text, output)


# ------------------------------------------- charging risk features (issue 18, part scale)

@risk_app.command("features")
@reading_options
def features(inputs: Inputs,
             output: Annotated[Path, typer.Option("--output", "-o", help="The Parquet file "
                                                  "of the features joined with the labels "
                                                  "(train and evaluate read it).")],
             ruleset: RulesetName = DEFAULT_RULESET, *, reading: RiskReading) -> None:
    """Compute every port's features and labels, day by day, once: a large network is
    featurised once, then trained on and evaluated from the file."""
    from ..charging.metrics_inputs import rulesets_named
    from ..charging.risk.features_file import write_features

    try:
        import polars  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("The charging risk features", extra="charging",
                                     package=exc.name or "polars") from exc
    display = language(reading.lang)
    problems: list[Problem] = []
    reading.add_problems(problems)
    if output.suffix.lower() != ".parquet":
        problems.append(Problem("--output", f"{output} is not a .parquet file",
                                "give -o FILE.parquet"))
    chosen = rulesets_named([ruleset], problems)
    if problems or not chosen:
        raise ChargingInputError(problems)
    frames = _frames(inputs, chosen[0], reading, display)
    rows = write_features(frames.features, frames.labels, output, ruleset=chosen[0].id,
                          inputs=frames.inputs)
    typer.echo(say("charging.risk.features_written", display, output=str(output),
                   rows=str(rows), ports=str(frames.features.get_column("port_id").n_unique())))
