"""`make demo` reuses what it made when its inputs did not change (issue 20 item 6): with every
file the demo makes present and newer than its inputs, a dry run (`make -n demo-data`) runs no
solidcheck command; an input made newer makes again what depends on it, and only that. Dry
runs only: nothing is synthesised and no server is started."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
#: what the demo makes, in the order its rules make it (each newer than the one before)
MADE = ["out/lab/EX-LAB-S1.yaml", "out/audit-s8.html", "out/synthetic-1m.parquet",
        "out/synthetic-1m-results.parquet", "out/synthetic-1m-summary.svg",
        "out/.demo/charging-network", "out/.demo/charging-tables", "out/charging-metrics.json",
        "out/charging-metrics-zh.txt", "out/charging-report.html", "out/.demo/charging-open-data",
        "out/.demo/risk-tables", "out/charging-risk.html", "out/risk-model/card.json",
        "out/risk-top-zh.txt", "out/demo-registry/loaded.stamp", "out/demo-lab.key",
        "out/demo-stations.txt"]
START = 1_700_000_000  # inputs at this time, made files one second apart after it


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile, the examples and the sources, with a stand-in environment (installed
    after pyproject.toml) and every made file present, in order."""
    make = shutil.which("make")
    assert make, "make is missing"
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "src", tmp_path / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for path in tmp_path.rglob("*"):
        os.utime(path, (START, START))
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    for stand_in in (venv / "bin" / "python", venv / ".installed"):
        stand_in.touch()
        os.utime(stand_in, (START + 1, START + 1))
    for offset, name in enumerate(MADE, start=2):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (START + offset, START + offset))
    return tmp_path


def _dry_run(folder: Path) -> list[str]:
    """The solidcheck commands `make demo-data` would run."""
    done = subprocess.run(["make", "-n", "demo-data"], cwd=folder, capture_output=True,
                          text=True, timeout=120, check=True)
    return [line for line in done.stdout.splitlines() if "bin/solidcheck" in line]


def _newer(path: Path) -> None:
    os.utime(path, (START + 1000, START + 1000))


def test_a_second_demo_makes_nothing_again(checkout: Path) -> None:
    assert _dry_run(checkout) == []


def test_a_changed_example_reloads_the_registry_only(checkout: Path) -> None:
    _newer(checkout / "examples" / "liquid-lfp.yaml")
    commands = " ".join(_dry_run(checkout))
    assert "registry load" in commands
    assert "synth 1M" not in commands and "charging synth" not in commands


def test_a_changed_batch_source_classifies_the_million_again(checkout: Path) -> None:
    _newer(checkout / "src" / "solidcheck" / "batch" / "synth.py")
    commands = " ".join(_dry_run(checkout))
    assert "synth 1M" in commands and "batch out/synthetic-1m.parquet" in commands
    assert "charging" not in commands and "registry" not in commands


def test_a_changed_charging_source_remakes_the_charging_files(checkout: Path) -> None:
    _newer(checkout / "src" / "solidcheck" / "charging" / "metrics.py")
    commands = " ".join(_dry_run(checkout))
    assert "charging synth --stations 40" in commands and "risk train" in commands
    assert "synth 1M" not in commands and "registry" not in commands


def test_a_missing_made_file_is_made_again_alone(checkout: Path) -> None:
    (checkout / "out" / "audit-s8.html").unlink()
    commands = _dry_run(checkout)
    assert len(commands) == 1 and " audit " in commands[0]


def test_a_new_registry_makes_a_new_key(checkout: Path) -> None:
    (checkout / "out" / "demo-registry" / "loaded.stamp").unlink()
    done = subprocess.run(["make", "-n", "demo-data"], cwd=checkout, capture_output=True,
                          text=True, timeout=120, check=True).stdout
    # the key and passwords of a registry made anew are removed with it, then made again
    assert "rm -f out/demo-lab.key out/demo-stations.txt" in done
    assert "registry init" in done and "registry load" in done
