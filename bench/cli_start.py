"""Benchmark: how fast the command line starts, in fresh processes.

Measures, each in a new interpreter and as the median of ``--runs`` runs (at least 7):

- ``floor``: ``python -c pass``, the interpreter's own start on this machine, in the same run;
- ``version``: ``solidcheck --version`` (the Typer app is built, no core module is needed);
- ``classify``: ``solidcheck classify examples/sulfide-high-energy.yaml`` (the core: the
  rule set, the dossier model, the decision and the text rendering).

The console script is run as ``python -c "from solidcheck.cli import main; main()"``, which is
what the installed script does, so the figures do not depend on where the script lives.

Goals: ``--version`` ≤ 0.25 s and ``classify`` ≤ 0.5 s. Prints one JSON object; nothing here
is asserted.

    python bench/cli_start.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "sulfide-high-energy.yaml"
GOALS_S = {"version": 0.25, "classify": 0.5}
_CLI = "from solidcheck.cli import main; main()"


def _median_seconds(argv: list[str], *, runs: int) -> float:
    """The median wall time of ``argv`` in a fresh process, which must exit 0."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1"})
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (at least 7)")
    args = parser.parse_args(argv)
    runs = max(7, args.runs)
    python = sys.executable
    # one untimed run of each, so every figure is taken with warm file caches
    for command in ([python, "-c", "pass"], [python, "-c", _CLI, "--version"],
                    [python, "-c", _CLI, "classify", str(EXAMPLE)]):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    floor_s = _median_seconds([python, "-c", "pass"], runs=runs)
    commands = {"version": ["--version"], "classify": ["classify", str(EXAMPLE)]}
    measured = {}
    for name, extra in commands.items():
        seconds = _median_seconds([python, "-c", _CLI, *extra], runs=runs)
        measured[name] = {"command": "solidcheck " + " ".join(extra).replace(str(ROOT) + "/", ""),
                          "seconds": round(seconds, 4),
                          "ratio_to_floor": round(seconds / floor_s, 2),
                          "goal_s": GOALS_S[name],
                          "goal_met": seconds <= GOALS_S[name]}
    from solidcheck import __version__

    report = {
        "benchmark": "cli_start",
        "solidcheck": __version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "runs": runs,
        "floor": {"command": "python -c pass", "seconds": round(floor_s, 4)},
        **measured,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
