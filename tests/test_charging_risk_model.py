"""The risk models (charging/risk/model.py, score.py, store.py) on seeded frames with a known
truth (tests/risk_frames.py)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import risk_frames as rf
from solidcheck.charging.risk.model import POOLED, FeatureSpec, labelled, train
from solidcheck.charging.risk.rules import RiskModelRule
from solidcheck.charging.risk.score import score
from solidcheck.charging.risk.store import CARD, MODEL, load, model_card, save
from solidcheck.errors import ChargingInputError

SPEC = FeatureSpec(rf.FEATURES, rf.CATEGORICAL)


@pytest.fixture(scope="module")
def rule() -> RiskModelRule:
    return rf.quick_rule()


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    features, labels = rf.frames(ports=80, days=90, seed=3)
    return labelled(features, labels, "7d")


def last_day(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("day") == pl.col("day").max())


def test_two_trainings_with_one_seed_give_identical_scores(frame, rule):
    first = score(train(frame, SPEC, rule, horizon="7d", seed=7), last_day(frame), drivers=3)
    again = score(train(frame, SPEC, rule, horizon="7d", seed=7), last_day(frame), drivers=3)
    assert first.equals(again)


def test_operators_with_enough_history_get_their_own_model_the_rest_share_one(frame, rule):
    # op0 and op1 each have ~3,000 labelled rows: below 5,000 they share the pooled model
    pooled = train(frame, SPEC, rule, horizon="7d")
    assert set(pooled.operators.values()) == {POOLED}
    assert "operator" in pooled.groups[POOLED].columns
    own = train(frame, SPEC, rule.model_copy(update={"min_operator_rows": 1000}), horizon="7d")
    assert own.operators == {"op0": "op0", "op1": "op1"}
    assert all(g.kind == "gradient_boosting" for g in own.groups.values())


def test_without_failures_to_learn_from_the_model_is_an_isolation_forest(frame, rule):
    quiet = frame.with_columns(label=pl.col("label") & False)
    model = train(quiet, SPEC, rule, horizon="7d")
    scored = score(model, last_day(quiet), drivers=3)
    assert {g.kind for g in model.groups.values()} == {"isolation_forest"}
    assert scored.get_column("score_kind").unique().to_list() == ["anomaly_percentile"]
    assert scored.get_column("score").is_between(0, 1).all()


def test_the_planted_precursor_is_named_as_what_drove_the_riskiest_ports(frame, rule):
    model = train(frame, SPEC, rule, horizon="7d", seed=1)
    top = score(model, last_day(frame), drivers=3).head(5)
    firsts = [row[0]["feature"] for row in top.get_column("drivers").to_list()]
    assert firsts.count("cadence_drift") + firsts.count("temp_max_c") >= 4
    assert top.get_column("method").str.starts_with("baseline difference").all()
    assert top.get_column("score").is_sorted(descending=True)


def test_the_model_and_its_card_round_trip_through_the_folder(frame, rule, tmp_path: Path):
    model = train(frame, SPEC, rule, horizon="7d", seed=2)
    model.card = model_card(model, frame, rule, seed=2, ruleset_id="cn-alliance-wp-2026",
                            inputs={"a.jsonl": "ab" * 32})
    save(model, tmp_path / "m")
    card = json.loads((tmp_path / "m" / CARD).read_text(encoding="utf-8"))
    assert card["features"] == list(rf.FEATURES)
    assert card["categorical"] == list(rf.CATEGORICAL)
    assert card["horizon"] == "7d" and card["seed"] == 2
    assert card["training_window"] == {"from": "2026-01-01", "to": "2026-03-24"}
    assert card["rows"] == frame.filter(pl.col("label").is_not_null()).height
    assert card["positives"] == frame.get_column("label").sum()
    assert card["data_sha256"]["inputs"] == {"a.jsonl": "ab" * 32}
    assert len(card["data_sha256"]["features_and_labels"]) == 64
    assert {"scikit-learn", "numpy", "polars", "joblib"} <= set(card["library_versions"])
    loaded = load(tmp_path / "m")
    assert loaded.card == card
    assert score(loaded, last_day(frame), drivers=3).equals(
        score(model, last_day(frame), drivers=3))


def test_a_model_file_that_is_not_the_cards_is_refused(frame, rule, tmp_path: Path):
    model = train(frame, SPEC, rule, horizon="7d")
    model.card = model_card(model, frame, rule, seed=0, ruleset_id="x", inputs={})
    save(model, tmp_path / "m")
    with (tmp_path / "m" / MODEL).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ChargingInputError, match="sha256"):
        load(tmp_path / "m")


def test_every_missing_column_is_named_in_one_error(frame, rule):
    with pytest.raises(ChargingInputError) as caught:
        train(frame.drop("vendor", "noise_a"), SPEC, rule, horizon="3d")
    text = str(caught.value)
    assert "vendor" in text and "noise_a" in text and "3d" in text


def test_an_operator_the_model_never_saw_is_named(frame, rule):
    model = train(frame, SPEC, rule.model_copy(update={"min_operator_rows": 1000}),
                  horizon="7d")
    stranger = last_day(frame).with_columns(operator=pl.lit("op9"))
    with pytest.raises(ChargingInputError, match="op9"):
        score(model, stranger, drivers=3)


def test_the_top_ports_alone_are_the_head_of_the_whole_list(frame, rule):
    model = train(frame, SPEC, rule, horizon="7d", seed=1)
    whole = score(model, last_day(frame), drivers=3)
    assert score(model, last_day(frame), drivers=3, top=6).equals(whole.head(6))


def test_ports_no_input_names_an_operator_for_are_trained_and_scored(frame, rule):
    """A bare OCPP log has no inventory, so no operator: its ports are one group."""
    unnamed = frame.with_columns(operator=pl.lit(None, pl.String))
    model = train(unnamed, SPEC, rule, horizon="7d")
    scored = score(model, last_day(unnamed), drivers=2)
    assert scored.height == last_day(unnamed).height
    assert scored.get_column("score").is_not_null().all()
