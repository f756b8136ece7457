"""A small synthetic network with failure precursors, a risk model trained on it, and its OCPP
frames written as the live endpoint logs them (one file per UTC day, charging/frame_log.py),
for the tests of the ports at risk on the monitoring page."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from solidcheck.charging.frame_log import FrameLog, LinkEvent, LoggedFrame
from solidcheck.cli import app

__all__ = ["Network", "build"]


@dataclass(frozen=True)
class Network:
    model: Path
    frames: Path
    stations: list[str]


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def build(folder: Path) -> Network:
    """Synthesise 6 stations over 30 days (seed 3), train the 7-day model on them, and log
    their frames into ``folder/frames`` through the endpoint's own FrameLog."""
    _run("charging", "synth", "--stations", "6", "--days", "30", "--seed", "3",
         "--precursors", "-o", str(folder / "net"))
    _run("charging", "risk", "train", str(folder / "net"), "-o", str(folder / "model"))
    rows = []
    for name in ("ocpp16.jsonl.gz", "ocpp201.jsonl.gz"):
        with gzip.open(folder / "net" / name, "rt", encoding="utf-8") as lines:
            rows += [json.loads(line) for line in lines]
    rows.sort(key=lambda row: row["ts"])
    log = FrameLog(folder / "frames")
    for row in rows:
        ts = datetime.fromisoformat(row["ts"].replace("Z", "+00:00"))
        if "event" in row:
            log.append(LinkEvent(ts, row["charge_point_id"], row["event"], row["ocpp_version"]))
        else:
            log.append(LoggedFrame(ts, row["charge_point_id"], row["direction"], row["frame"],
                                   row["ocpp_version"]))
    log.close()
    stations = sorted({row["charge_point_id"] for row in rows})
    return Network(folder / "model", folder / "frames", stations)
