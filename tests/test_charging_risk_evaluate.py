"""The evaluation (charging/risk/evaluate.py): time splits only, against the baselines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import polars as pl
import pytest

import risk_frames as rf
from solidcheck.charging.risk import evaluate as evaluation
from solidcheck.charging.risk.evaluate import evaluate, ranking_metrics, time_splits
from solidcheck.charging.risk.model import HORIZONS, FeatureSpec, labelled
from solidcheck.charging.risk.rules import RiskModelRule
from solidcheck.errors import ChargingInputError

SPEC = FeatureSpec(rf.FEATURES, rf.CATEGORICAL)


@pytest.fixture(scope="module")
def rule() -> RiskModelRule:
    return rf.quick_rule()


def run(rule: RiskModelRule, *, signal: bool, horizon: str = "7d") -> dict:
    features, labels = rf.frames(ports=100, days=130, seed=11, signal=signal)
    return evaluate(labelled(features, labels, horizon), SPEC, rule, horizon=horizon, k=10)


def test_the_planted_precursor_beats_both_baselines_on_the_time_split(rule):
    report = run(rule, signal=True)
    assert report["beats_baselines"] is True
    assert set(report["baselines"]) == {"faulted_last_7d", "most_failed_starts"}
    for baseline in report["baselines"].values():
        assert report["model"]["precision_at_k"] > baseline["precision_at_k"]
        assert report["model"]["pr_auc"] > baseline["pr_auc"]
    assert "beats the baselines" in report["verdict"]["en"]
    assert "优于基线" in report["verdict"]["zh"]


def test_on_pure_noise_the_report_says_plainly_the_model_does_not_beat_them(rule):
    report = run(rule, signal=False, horizon="24h")
    assert report["beats_baselines"] is False
    assert report["verdict"]["en"].startswith(
        "On this data the model does not beat the baselines")
    assert "并不优于基线" in report["verdict"]["zh"]


@pytest.mark.parametrize("horizon", ["24h", "7d"])
def test_no_model_is_trained_on_a_day_whose_label_sees_its_test_window(rule, horizon,
                                                                       monkeypatch):
    seen: list[tuple[date, date]] = []
    real = evaluation.train

    def recording(frame, *args, **kwargs):
        seen.append((frame.get_column("day").min(), frame.get_column("day").max()))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(evaluation, "train", recording)
    report = run(rule, signal=True, horizon=horizon)
    folds = report["detail"]["folds"]
    assert len(seen) == len(folds) == rule.max_folds
    for (_, trained_to), fold in zip(seen, folds, strict=True):
        test_from = date.fromisoformat(fold["test"]["from"])
        assert (test_from - trained_to).days > HORIZONS[horizon]
    tests = [(f["test"]["from"], f["test"]["to"]) for f in folds]
    assert all(a[1] < b[0] for a, b in pairwise(tests))


def test_time_splits_need_the_minimum_history(rule):
    days = [date(2026, 1, 1) + (date(2026, 1, 2) - date(2026, 1, 1)) * i for i in range(40)]
    assert time_splits(days, horizon="7d", rule=rule) == []
    features, labels = rf.frames(ports=10, days=40)
    with pytest.raises(ChargingInputError, match="too short"):
        evaluate(labelled(features, labels, "7d"), SPEC, rule, horizon="7d", k=3)


def test_precision_and_recall_at_k_on_a_hand_example():
    failure = datetime(2026, 1, 3, 12, tzinfo=UTC)
    frame = pl.DataFrame({
        "port_id": ["a", "b", "c", "d"] * 2,
        "day": [date(2026, 1, 1)] * 4 + [date(2026, 1, 2)] * 4,
        "score": [0.9, 0.8, 0.1, 0.7, 0.2, 0.9, 0.8, 0.1],
        "label": [True, False, False, True, True, False, False, False],
        "next_failure_at": [failure, None, None, failure, failure, None, None, None],
    })
    figures = ranking_metrics(frame, k=2, seed=0)
    # day 1 visits a, b: 1 hit of 2; day 2 visits b, c: 0 of 2
    assert figures["precision_at_k"] == pytest.approx(0.25)
    # 3 failing port-days, 1 visited
    assert figures["recall_at_k"] == pytest.approx(1 / 3)
    # a was visited on day 1; known at its end (Jan 2 00:00), failing Jan 3 12:00
    assert figures["lead_time_h"] == pytest.approx(36.0)
    assert 0 < figures["pr_auc"] < 1


def test_ties_are_broken_the_same_way_with_the_same_seed():
    frame = pl.DataFrame({"port_id": list("abcdef"), "day": [date(2026, 1, 1)] * 6,
                          "score": [0.0] * 6, "label": [True, False] * 3,
                          "next_failure_at": [None] * 6},
                         schema_overrides={"next_failure_at": pl.Datetime("us", "UTC")})
    assert ranking_metrics(frame, k=2, seed=4) == ranking_metrics(frame, k=2, seed=4)


def test_a_network_without_labels_cannot_be_evaluated_and_the_error_says_why(rule):
    features, _ = rf.frames(ports=10, days=60)
    with pytest.raises(ChargingInputError, match="no port-day has a label"):
        evaluate(labelled(features, None, "7d"), SPEC, rule, horizon="7d", k=3)
