"""The options every ``charging risk`` command shares (cli/charging_risk_options.py): each
command takes them under the same names and hands them to the reading of its inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import risk_frames as rf
from solidcheck.charging.risk.model import FeatureSpec
from solidcheck.cli import app, charging_risk

SHARED = ["--engine", "partitioned", "--charge-point", "CP-9", "--ocpp-version", "2.0.1"]


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The options each reading of the inputs was given; the frames are seeded ones."""
    features, labels = rf.frames(ports=40, days=90, seed=2)
    given = charging_risk.RiskFrames(features, labels, FeatureSpec(rf.FEATURES,
                                                                   rf.CATEGORICAL),
                                     {"net/frames.parquet": "0" * 64})
    calls: list[dict[str, Any]] = []

    def seam(inputs: Any, ruleset: Any, **options: Any) -> charging_risk.RiskFrames:
        calls.append(options)
        return given

    monkeypatch.setattr(charging_risk, "risk_frames", seam)
    return calls


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["charging", "risk", *args])


def test_every_command_reads_its_inputs_as_the_shared_options_say(
        tmp_path: Path, asked: list[dict[str, Any]]) -> None:
    scratch = str(tmp_path / "scratch")
    runs = [("train", str(tmp_path), "-o", str(tmp_path / "m")),
            ("score", str(tmp_path / "m"), str(tmp_path)),
            ("evaluate", str(tmp_path), "--format", "json"),
            ("features", str(tmp_path), "-o", str(tmp_path / "f.parquet"))]
    for args in runs:
        result = invoke(*args, *SHARED, "--scratch", scratch, "--lang", "zh")
        assert result.exit_code == 0, (args[0], result.output)
    assert len(asked) == len(runs)
    for options in asked:
        assert options["engine"] == "partitioned"
        assert options["scratch"] == Path(scratch)
        assert options["scheduler"] is None
        assert options["charge_point_id"] == "CP-9"
        assert options["ocpp_version"] == "2.0.1"
        assert options["lang"] == "zh"


@pytest.mark.parametrize("command", ["train", "score", "evaluate", "features"])
def test_a_scheduler_without_dask_is_refused_by_every_command(
        tmp_path: Path, asked: list[dict[str, Any]], command: str) -> None:
    first = [str(tmp_path / "no-model")] if command == "score" else []
    output = ["-o", str(tmp_path / "out.parquet")] if command in ("train", "features") else []
    result = invoke(command, *first, str(tmp_path), *output, "--scheduler",
                    "tcp://127.0.0.1:8786", "--engine", "nonesuch")
    assert result.exit_code == 2, result.output
    assert "--scheduler" in result.output and "--engine" in result.output
    assert "partitioned" in result.output  # the message lists the engines to choose from
    assert asked == []  # nothing read before the options are right
