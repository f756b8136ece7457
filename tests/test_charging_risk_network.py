"""Risk prediction end to end on synthetic networks whose truth is known: ``charging synth``
writes the files, ``charging risk evaluate|train|score`` read them as a user's would.

With degradation injected before most faults (``--precursors``) the model must find it and beat
the rankings an operator already uses; on the same network without it there is nothing to find,
and the report must say plainly that the model does not beat them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app

pytest.importorskip("sklearn")

#: 24 stations for 12 weeks: two rolling test windows of 4 weeks after 4 weeks of training
NETWORK = ("--stations", "24", "--days", "84", "--seed", "3")


def run(*args: str) -> str:
    result = CliRunner().invoke(app, ["charging", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def networks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each network's files, ingested once (the commands read either)."""
    found = {}
    for name, extra in (("precursors", ("--precursors",)), ("plain", ())):
        folder = tmp_path_factory.mktemp(name)
        run("synth", *NETWORK, *extra, "-o", str(folder / "files"))
        run("ingest", str(folder / "files"), "-o", str(folder / "tables"))
        found[name] = folder / "tables"
    return found


@pytest.fixture(scope="module")
def reports(networks: dict[str, Path]) -> dict[str, dict]:
    return {name: json.loads(run("risk", "evaluate", str(folder), "--horizon", "24h",
                                 "--format", "json"))
            for name, folder in networks.items()}


def test_the_model_beats_the_baselines_where_failures_announce_themselves(reports):
    report = reports["precursors"]
    assert report["beats_baselines"] is True
    best = max(b["precision_at_k"] for b in report["baselines"].values())
    assert report["model"]["precision_at_k"] > best
    assert report["model"]["pr_auc"] > max(b["pr_auc"] for b in report["baselines"].values())
    assert "beats" in report["verdict"]["en"]


def test_without_precursors_the_report_says_the_model_does_not_beat_them(reports):
    report = reports["plain"]
    assert report["beats_baselines"] is False
    assert "does not beat" in report["verdict"]["en"] and report["verdict"]["zh"]
    assert reports["precursors"]["model"]["pr_auc"] > report["model"]["pr_auc"]


def test_train_and_score_the_last_day_name_ports_and_drivers(networks, tmp_path: Path):
    folder = networks["precursors"]
    model = tmp_path / "model"
    run("risk", "train", str(folder), "--horizon", "24h", "-o", str(model))
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    assert card["horizon"] == "24h" and card["positives"] > 0
    listing = tmp_path / "scores.json"
    run("risk", "score", str(model), str(folder), "--format", "json", "--top", "5", "-o",
        str(listing))
    scored = json.loads(listing.read_text(encoding="utf-8"))
    assert scored["format"] == "solidcheck-risk-scores/1" and scored["horizon"] == "24h"
    ports = scored["ports"]
    assert len(ports) == 5
    risks = [p["score"] for p in ports]
    assert risks == sorted(risks, reverse=True)
    assert all(p["drivers"] for p in ports)
