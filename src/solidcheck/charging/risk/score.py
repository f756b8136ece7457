"""Scoring: each port's risk and the features that drove it, highest risk first."""

from __future__ import annotations

import numpy as np
import polars as pl

from ...errors import ChargingInputError, Problem
from .model import (
    CONTRIBUTION_METHOD,
    KEYS,
    RiskModel,
    check_frame,
    matrix,
    named_operators,
    predict,
)
from .model import contributions as drivers_of

__all__ = ["SCORE_KINDS", "score", "score_values"]

#: what the score column is, by the kind of model that gave it
SCORE_KINDS = {"gradient_boosting": "probability", "isolation_forest": "anomaly_percentile"}


def _groups(model: RiskModel, frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of each group; one error naming operators the model cannot score."""
    frame = named_operators(frame)
    by_group: dict[str, list[str]] = {}
    unknown = []
    for operator in sorted(set(frame.get_column("operator").to_list())):
        group = model.group_of(operator)
        if group is None:
            unknown.append(operator)
        else:
            by_group.setdefault(group, []).append(operator)
    if unknown:
        raise ChargingInputError([Problem("operator", f"the model was not trained on {o!r}",
                                          "train it again with this operator's history")
                                  for o in unknown])
    return {g: frame.filter(pl.col("operator").is_in(ops)) for g, ops in by_group.items()}


def score_values(model: RiskModel, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``score`` and ``score_kind`` (no drivers: the evaluation's fast path),
    in the frame's order."""
    indexed = frame.with_row_index("_row")
    parts = []
    for name, part in _groups(model, indexed).items():
        group = model.groups[name]
        values = predict(group, matrix(part, group.columns, model.vocab))
        parts.append(part.select("_row").with_columns(
            score=pl.Series(values, dtype=pl.Float64),
            score_kind=pl.lit(SCORE_KINDS[group.kind])))
    scored = pl.concat(parts) if parts else pl.DataFrame(
        schema={"_row": pl.UInt32, "score": pl.Float64, "score_kind": pl.String})
    return indexed.join(scored, on="_row", how="left").sort("_row").drop("_row")


def score(model: RiskModel, frame: pl.DataFrame, *, drivers: int,
          top: int | None = None) -> pl.DataFrame:
    """Each row's score (``score_kind``: probability or anomaly_percentile), its group and
    the ``drivers`` features that raised it most (``method`` names how), highest first;
    with ``top``, only the ``top`` highest (the drivers cost a prediction per feature)."""
    problems = check_frame(frame, model.spec)
    if problems:
        raise ChargingInputError(problems)
    ranked = score_values(model, frame).sort(["score", "port_id"], descending=[True, False])
    if top is not None:
        ranked = ranked.head(top)
    parts = []
    for name, part in _groups(model, ranked).items():
        group = model.groups[name]
        x = matrix(part, group.columns, model.vocab)
        pushed = drivers_of(group, x, part.get_column("score").to_numpy())
        order = np.argsort(-pushed, axis=1, kind="stable")[:, :drivers]
        listed = [[{"feature": group.columns[j], "contribution": float(pushed[i, j])}
                   for j in row if pushed[i, j] > 0] for i, row in enumerate(order)]
        parts.append(part.select(*KEYS, "score", "score_kind").with_columns(
            group=pl.lit(name),
            drivers=pl.Series(listed, dtype=pl.List(pl.Struct(
                {"feature": pl.String, "contribution": pl.Float64}))),
            method=pl.lit(CONTRIBUTION_METHOD)))
    if not parts:
        raise ChargingInputError([Problem("features", "no port-day rows to score",
                                          "give inputs that cover the day")])
    return pl.concat(parts).sort(["score", "port_id"], descending=[True, False])
