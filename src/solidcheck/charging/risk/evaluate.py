"""An evaluation that cannot flatter itself: time splits only, against the rankings an operator
already uses.

Rolling origin: the last ``test_weeks`` weeks are the last test window, the weeks before it the
one before (up to ``max_folds``). Each window's model is trained on the days before it, less
the horizon: a training row's label looks ``horizon`` days ahead, so the days whose label would
see into the test window are left out (purged). The headline figures pool every window's test
rows, each scored by the model trained before it.

Per test day the k highest-scored ports are the crew's visits: precision@k is the mean over
days of the share of visits that fail within the horizon, recall@k the share of failing
port-days visited, PR-AUC the average precision over every test row, and the lead time the
median hours from the end of the first day a failing port was visited (its features are known
once the day ends) to the failure. Ties (a baseline's many zeros) are broken at random, seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ...errors import ChargingInputError, Problem
from ...i18n import message
from .model import HORIZONS, FeatureSpec, check_frame, train
from .score import score_values

if TYPE_CHECKING:
    from .rules import RiskModelRule

__all__ = ["Split", "calibration", "evaluate", "ranking_metrics", "time_splits"]

MODEL = "model"


@dataclass(frozen=True, slots=True)
class Split:
    """Train on ``train_from``…``train_to``, test on ``test_from``…``test_to`` (days)."""

    train_from: date
    train_to: date
    test_from: date
    test_to: date


def time_splits(days: list[date], *, horizon: str, rule: RiskModelRule) -> list[Split]:
    """The rolling-origin windows, oldest first; none when the data are too short."""
    first, last = min(days), max(days)
    width = timedelta(weeks=rule.test_weeks)
    gap = timedelta(days=HORIZONS[horizon])
    found = []
    for fold in range(rule.max_folds):
        test_to = last - fold * width
        test_from = test_to - width + timedelta(days=1)
        train_to = test_from - gap - timedelta(days=1)
        if (train_to - first).days + 1 < rule.min_train_days:
            break
        found.append(Split(first, train_to, test_from, test_to))
    return found[::-1]


def ranking_metrics(frame: pl.DataFrame, *, k: int, seed: int) -> dict[str, float | None]:
    """precision@k, recall@k, PR-AUC and lead time (hours) of ``score`` against ``label``
    (columns port_id, day, score, label, next_failure_at)."""
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(seed)
    ranked = (frame.sort("day", "port_id")
              .with_columns(tie=pl.Series(rng.random(frame.height)))
              .sort(["day", "score", "tie"], descending=[False, True, True], nulls_last=True)
              .with_columns(visited=pl.int_range(pl.len()).over("day") < k))
    per_day = ranked.group_by("day").agg(
        hits=(pl.col("visited") & pl.col("label")).sum(),
        visits=pl.col("visited").sum())
    positives = int(ranked.get_column("label").sum())
    hits = int(per_day.get_column("hits").sum())
    precision = (per_day.get_column("hits") / per_day.get_column("visits")).mean()
    labels = ranked.get_column("label").to_numpy()
    scores = ranked.get_column("score").fill_null(-np.inf).to_numpy()
    caught = (ranked.filter(pl.col("visited") & pl.col("label"))
              .group_by("port_id", "next_failure_at").agg(first=pl.col("day").min())
              .with_columns(lead=(pl.col("next_failure_at") - pl.col("first").cast(
                  pl.Datetime("us", "UTC")) - pl.duration(days=1)).dt.total_minutes() / 60))
    lead = caught.get_column("lead").median() if caught.height else None
    return {
        "pr_auc": float(average_precision_score(labels, scores)) if positives else None,
        "precision_at_k": _number(precision),
        "recall_at_k": hits / positives if positives else None,
        "lead_time_h": _number(lead),
    }


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def calibration(frame: pl.DataFrame, *, bins: int) -> list[dict[str, float | int]]:
    """The reliability curve: per probability bin, the mean predicted and the observed rate."""
    binned = frame.with_columns(bin=(pl.col("score") * bins).floor().clip(0, bins - 1))
    rows = binned.group_by("bin").agg(predicted=pl.col("score").mean(),
                                      observed=pl.col("label").cast(pl.Float64).mean(),
                                      rows=pl.len()).sort("bin")
    return [{"from": b / bins, "to": (b + 1) / bins, "predicted": p, "observed": o, "rows": n}
            for b, p, o, n in rows.iter_rows()]


def _window(frame: pl.DataFrame) -> dict[str, Any]:
    days = frame.get_column("day")
    return {"from": str(days.min()), "to": str(days.max()), "rows": frame.height,
            "positives": int(frame.get_column("label").sum())}


def evaluate(frame: pl.DataFrame, spec: FeatureSpec, rule: RiskModelRule, *, horizon: str,
             k: int, seed: int = 0) -> dict[str, Any]:
    """The report of a labelled frame (model.labelled): the keys of docs/charging.md,
    "Risk prediction"."""
    problems = check_frame(frame, spec, label="label")
    if k < 1:
        problems.append(Problem("--k", f"k = {k}: a crew visits at least one port",
                                "give --k 1 or more"))
    if problems:
        raise ChargingInputError(problems)
    known = frame.filter(pl.col("label").is_not_null())
    if known.height == 0:
        raise ChargingInputError([Problem(
            "labels", "no port-day has a label: there is nothing to judge a model against",
            "give inputs with outages or tickets; `charging risk train` still trains an "
            "Isolation Forest without them")])
    splits = time_splits(known.get_column("day").unique().to_list(), horizon=horizon,
                         rule=rule)
    if not splits:
        need = rule.min_train_days + HORIZONS[horizon] + 7 * rule.test_weeks
        raise ChargingInputError([Problem(
            "inputs", f"{known.get_column('day').n_unique()} labelled days: too short for a "
            f"time split (at least {need})", "give a longer history")])
    present = [b for b in rule.baselines if b.column in spec.numeric]
    tested, folds = [], []
    for split in splits:
        past = known.filter(pl.col("day").is_between(split.train_from, split.train_to))
        test = known.filter(pl.col("day").is_between(split.test_from, split.test_to))
        model = train(past, spec, rule, horizon=horizon, seed=seed)
        scored = score_values(model, test).select(
            "port_id", "day", "label", "next_failure_at", "score", "score_kind",
            *(pl.col(b.column).alias(f"baseline:{b.name}") for b in present))
        tested.append(scored)
        folds.append({"train": _window(past), "test": _window(test),
                      MODEL: ranking_metrics(scored, k=k, seed=seed)})
    pooled = pl.concat(tested)
    model_figures = ranking_metrics(pooled, k=k, seed=seed)
    baselines = {b.name: ranking_metrics(pooled.with_columns(
        score=pl.col(f"baseline:{b.name}").cast(pl.Float64)), k=k, seed=seed)
        for b in present}
    beats = _beats(model_figures, baselines)
    kinds = sorted(set(pooled.get_column("score_kind").to_list()))
    return {
        "horizon": horizon, "k": k,
        "split": {"train": folds[-1]["train"], "test": folds[-1]["test"]},
        MODEL: model_figures, "baselines": baselines,
        "beats_baselines": beats,
        "verdict": {lang: message("charging.risk.beats" if beats else "charging.risk.not_beaten",
                                  {}, lang) for lang in ("en", "zh")},
        "detail": {
            "seed": seed, "score_kinds": kinds, "folds": folds,
            "test_pooled": _window(pooled),
            "baselines_missing": [b.name for b in rule.baselines if b not in present],
            "calibration": calibration(pooled, bins=rule.calibration_bins)
            if kinds == ["probability"] else None,
        },
    }


def _beats(model: dict[str, float | None], baselines: dict[str, dict[str, float | None]]
           ) -> bool:
    """The model beats the baselines when its PR-AUC and precision@k are both above every
    baseline's (a figure that cannot be computed is not beaten)."""
    for key in ("pr_auc", "precision_at_k"):
        mine = model[key]
        if mine is None:
            return False
        for figures in baselines.values():
            theirs = figures[key]
            if theirs is not None and theirs >= mine:
                return False
    return True
