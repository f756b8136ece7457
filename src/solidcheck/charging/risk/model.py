"""The risk models: trained on an operator's own history, saved with a model card, scoring each
port with the features that drove its score.

Independent of how the features are computed: a model takes any frame with ``port_id``,
``station_id``, ``operator``, ``day`` and the columns a :class:`FeatureSpec` names (the
contract of charging/risk/features.py), joined to the labels of charging/risk/labels.py.

Per operator: an operator with at least ``min_operator_rows`` training rows and
``min_operator_positives`` failures gets its own gradient-boosted model; the others share one
pooled model that has the operator as a categorical feature. A group with fewer failures than
``min_operator_positives`` (a network without labels) gets an Isolation Forest instead, whose
score is an anomaly percentile, not a probability (the output says which).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from ...errors import ChargingInputError, MissingDependencyError, Problem

if TYPE_CHECKING:
    from .rules import RiskModelRule

__all__ = ["CONTRIBUTION_METHOD", "HORIZONS", "POOLED", "UNNAMED_OPERATOR", "FeatureSpec",
           "GroupModel", "RiskModel", "check_frame", "contributions", "labelled",
           "named_operators", "predict", "sklearn", "train"]

Kind = Literal["gradient_boosting", "isolation_forest"]

#: the label horizons and their length in days (a training row's label looks this far ahead)
HORIZONS = {"24h": 1, "7d": 7}
#: the group of the operators too small for a model of their own
POOLED = "*pooled*"
#: the categorical column the pooled model adds
OPERATOR = "operator"
#: HistGradientBoosting takes at most 255 bins: the rarest categories share "missing"
MAX_CATEGORIES = 254
CONTRIBUTION_METHOD = ("baseline difference: the score minus the score with that one feature "
                       "set to its training median (most frequent category)")
KEYS = ("port_id", "station_id", "operator", "day")
#: the operator of ports no input names (a log without an inventory): one group of its own
UNNAMED_OPERATOR = "—"
#: rows predicted in one call when computing contributions (bounds the copies' memory)
PREDICT_ROWS = 1_000_000


def sklearn() -> Any:
    """scikit-learn's estimators, or the error naming the extra to install."""
    try:
        from sklearn import ensemble
    except ImportError as exc:
        raise MissingDependencyError("The charging risk models", extra="risk",
                                     package=exc.name or "scikit-learn") from exc
    return ensemble


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The numeric and categorical feature columns (``FEATURES``, ``CATEGORICAL``)."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


@dataclass(slots=True)
class GroupModel:
    """One fitted estimator, its columns, the baseline row contributions compare to, and
    (Isolation Forest) its training scores, sorted, for percentiles."""

    kind: Kind
    estimator: Any
    columns: tuple[str, ...]
    baseline: np.ndarray
    reference: np.ndarray | None = None


@dataclass(slots=True)
class RiskModel:
    """The groups' models, each operator's group, the category codes, and the card."""

    spec: FeatureSpec
    horizon: str
    groups: dict[str, GroupModel]
    operators: dict[str, str]
    vocab: dict[str, list[str]]
    card: dict[str, Any] = field(default_factory=dict)

    def group_of(self, operator: str) -> str | None:
        return self.operators.get(operator, POOLED if POOLED in self.groups else None)


def check_frame(frame: pl.DataFrame, spec: FeatureSpec, *, label: str | None = None,
                where: str = "features") -> list[Problem]:
    """Every column missing from a feature frame (and the label, when asked)."""
    wanted = [*KEYS, *spec.columns, *([label] if label else [])]
    return [Problem(f"{where}.{c}", "no such column", "the frame of port_day_features and "
                    "labels has it") for c in wanted if c not in frame.columns]


def labelled(features: pl.DataFrame, labels: pl.DataFrame | None, horizon: str
             ) -> pl.DataFrame:
    """The features with column ``label`` (the horizon's; null where not known)."""
    if labels is None:
        return features.with_columns(label=pl.lit(None, pl.Boolean),
                                     next_failure_at=pl.lit(None, pl.Datetime("us", "UTC")))
    chosen = labels.select("port_id", "day", pl.col(f"label_{horizon}").alias("label"),
                           "next_failure_at")
    return features.join(chosen, on=["port_id", "day"], how="left")


def _vocab(frame: pl.DataFrame, columns: tuple[str, ...]) -> dict[str, list[str]]:
    """The most frequent categories of each column, most frequent first (ties by name)."""
    found = {}
    for column in columns:
        counts = Counter(v for v in frame.get_column(column).cast(pl.String).to_list()
                         if v is not None)
        found[column] = [v for v, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
                         ][:MAX_CATEGORIES]
    return found


def matrix(frame: pl.DataFrame, columns: tuple[str, ...], vocab: dict[str, list[str]]
           ) -> np.ndarray:
    """The rows as float32, categories as their codes (unknown ones missing)."""
    exprs = []
    for column in columns:
        if column in vocab:
            codes = {v: float(i) for i, v in enumerate(vocab[column])}
            exprs.append(pl.col(column).cast(pl.String)
                         .replace_strict(codes, default=None, return_dtype=pl.Float32))
        else:
            exprs.append(pl.col(column).cast(pl.Float32))
    return frame.select(exprs).to_numpy().astype(np.float32, copy=False)


def _baseline(x: np.ndarray, categorical: list[bool]) -> np.ndarray:
    """Each column's training median, or its most frequent code."""
    row = np.zeros(x.shape[1], dtype=np.float32)
    for j in range(x.shape[1]):
        values = x[:, j][~np.isnan(x[:, j])]
        if values.size == 0:
            row[j] = np.nan
        elif categorical[j]:
            row[j] = np.bincount(values.astype(np.int64)).argmax()
        else:
            row[j] = np.median(values)
    return row


def _fit(x: np.ndarray, y: np.ndarray | None, columns: tuple[str, ...],
         categorical: list[bool], rule: RiskModelRule, *, seed: int) -> GroupModel:
    ensemble = sklearn()
    baseline = _baseline(x, categorical)
    if y is not None and int(y.sum()) >= rule.min_operator_positives:
        # a feature the group never has (no meter values, no BootNotification) cannot be
        # binned; held at one value it is never split on, so a later value changes nothing
        empty = np.isnan(x).all(axis=0)
        if empty.any():
            x = np.where(empty, np.float32(0), x)
        estimator = ensemble.HistGradientBoostingClassifier(
            max_iter=rule.boosting_rounds, learning_rate=rule.learning_rate,
            max_leaf_nodes=rule.max_leaf_nodes, categorical_features=np.array(categorical),
            class_weight="balanced", early_stopping=False, random_state=seed)
        estimator.fit(x, y)
        return GroupModel("gradient_boosting", estimator, columns, baseline)
    # Isolation Forest has no missing values: those become the baseline's
    filled = np.where(np.isnan(x), baseline, x)
    forest = ensemble.IsolationForest(n_estimators=rule.isolation_trees,
                                      max_samples=min(rule.isolation_rows_per_tree, len(x)),
                                      random_state=seed)
    forest.fit(filled)
    reference = np.sort(-forest.score_samples(filled))
    return GroupModel("isolation_forest", forest, columns, baseline, reference)


def predict(group: GroupModel, x: np.ndarray) -> np.ndarray:
    """A probability of failure within the horizon, or (Isolation Forest) the share of
    training rows less anomalous than the row."""
    if group.kind == "gradient_boosting":
        return np.asarray(group.estimator.predict_proba(x)[:, 1], dtype=np.float64)
    filled = np.where(np.isnan(x), group.baseline, x)
    anomaly = -group.estimator.score_samples(filled)
    assert group.reference is not None
    rank = np.searchsorted(group.reference, anomaly, side="right")
    return np.asarray(rank / len(group.reference), dtype=np.float64)


def contributions(group: GroupModel, x: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each feature's contribution to each row's score (see CONTRIBUTION_METHOD). The moved
    copies are predicted together, a few features at a time (one call per feature costs more
    in overhead than in trees)."""
    n, m = x.shape
    out = np.empty((n, m), dtype=np.float64)
    step = max(1, PREDICT_ROWS // max(1, n))
    for first in range(0, m, step):
        chosen = np.arange(first, min(m, first + step))
        moved = np.repeat(x[None, :, :], len(chosen), axis=0)
        moved[np.arange(len(chosen)), :, chosen] = group.baseline[chosen][:, None]
        flat = predict(group, moved.reshape(len(chosen) * n, m))
        out[:, chosen] = scores[:, None] - flat.reshape(len(chosen), n).T
    return out


def named_operators(frame: pl.DataFrame) -> pl.DataFrame:
    """Ports of no known operator grouped under :data:`UNNAMED_OPERATOR` (a null would match
    no group)."""
    return frame.with_columns(pl.col("operator").fill_null(UNNAMED_OPERATOR))


def train(frame: pl.DataFrame, spec: FeatureSpec, rule: RiskModelRule, *, horizon: str,
          seed: int = 0) -> RiskModel:
    """The models of a labelled frame (see :func:`labelled`); rows whose label is not known
    (the horizon runs past the data) are left out, unless no row has one (unsupervised)."""
    problems = check_frame(frame, spec, label="label")
    if horizon not in HORIZONS:
        problems.append(Problem("--horizon", f"unknown horizon {horizon!r}",
                                "use " + " or ".join(HORIZONS)))
    if problems:
        raise ChargingInputError(problems)
    known = frame.filter(pl.col("label").is_not_null())
    rows = known if known.height else frame
    if rows.height == 0:
        raise ChargingInputError([Problem("features", "no port-day rows to train on",
                                          "give inputs that cover at least a day")])
    rows = named_operators(rows).sort("operator", "port_id", "day")
    vocab = _vocab(rows, (*spec.categorical, OPERATOR))
    stats = rows.group_by("operator").agg(
        n=pl.len(), positives=pl.col("label").cast(pl.Int64).sum()).sort("operator")
    operators: dict[str, str] = {}
    for operator, n, positives in stats.iter_rows():
        own = n >= rule.min_operator_rows and positives >= rule.min_operator_positives
        operators[operator] = operator if own else POOLED
    groups: dict[str, GroupModel] = {}
    for name in sorted(set(operators.values())):
        members = [o for o, g in operators.items() if g == name]
        part = rows.filter(pl.col("operator").is_in(members))
        columns = spec.columns + ((OPERATOR,) if name == POOLED else ())
        categorical = [c in vocab for c in columns]
        y = part.get_column("label").cast(pl.Int8).to_numpy() if known.height else None
        groups[name] = _fit(matrix(part, columns, vocab), y, columns, categorical, rule,
                            seed=seed)
    return RiskModel(spec, horizon, groups, operators,
                     {c: v for c, v in vocab.items()})
