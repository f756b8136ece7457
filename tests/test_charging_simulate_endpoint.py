"""The simulator against the project's own endpoint (issue 17 item 6 with items 1–2): with the
operator's id-token list set, the simulator's sessions whose tag is on it are authorized and
charge, and a tag that is not is refused (Invalid) and reported as a refused start — not sent
as a transaction, so no silent-failure alert; an injected derating raises the derated
temperature alert. Real uvicorn, real WebSockets, the ``ocpp``
library on both sides, the ``charging simulate`` command as an operator runs it."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ocpp_station import running_server
from solidcheck.charging.frame_log import day_file
from solidcheck.charging.simulate import make_config
from solidcheck.charging.simulate.run import simulate
from solidcheck.cli import app as cli_app
from solidcheck.errors import ChargingInputError
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from solidcheck.web.live import AlertChange
from test_charging_endpoint import add_station


def test_with_an_id_token_list_good_tags_charge_and_a_bad_tag_is_a_refused_start(
        tmp_path: Path) -> None:
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    accepted = tmp_path / "accepted.txt"
    accepted.write_text("# the operator's cards\nCARD-1\nCARD-2\n", encoding="utf-8")
    presented = tmp_path / "tags.txt"
    presented.write_text("CARD-1\nCARD-2\nSTOLEN\n", encoding="utf-8")
    password = add_station(database, "SIM00001")
    (tmp_path / "password.txt").write_text(password + "\n", encoding="utf-8")
    log_dir = tmp_path / "frames"
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=log_dir,
                                  ocpp_id_tokens=accepted), registry=registry)
        changes: list[AlertChange] = []
        app.state.live.sinks.append(changes.append)
        with running_server(app) as base:
            result = CliRunner().invoke(cli_app, [
                "charging", "simulate", "--url", f"{base}/ocpp", "--stations", "1",
                "--faults", "none", "--seed", "5", "--duration", "7200", "--speed", "900",
                "--password-file", str(tmp_path / "password.txt"),
                "--id-tags", str(presented), "--report", str(tmp_path / "report.json")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    refused = report["refused_starts"]
    assert refused and {(r["id_tag"], r["status"]) for r in refused} == {("STOLEN", "Invalid")}
    assert "refused" in result.output
    calls = [json.loads(line)["frame"] for line in day_file(log_dir, datetime.now(UTC))
             .read_text(encoding="utf-8").splitlines() if '"frame"' in line]
    calls = [frame for frame in calls if frame[0] == 2]
    authorized = [frame[3]["idTag"] for frame in calls if frame[2] == "Authorize"]
    started = [frame[3]["idTag"] for frame in calls if frame[2] == "StartTransaction"]
    assert started and set(started) <= {"CARD-1", "CARD-2"}
    assert len(authorized) == len(started) + len(refused)
    assert [c.alert.kind for c in changes if c.alert.kind == "silent_failure"] == []


def test_an_injected_derating_raises_the_derated_temperature_alert(tmp_path: Path) -> None:
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    password = add_station(database, "SIM00001")
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames"),
                         registry=registry)
        changes: list[AlertChange] = []
        app.state.live.sinks.append(changes.append)
        with running_server(app) as base:
            config = make_config(stations=1, url=f"{base}/ocpp", version="1.6",
                                 faults="derating", seed=2, duration_s=3600, speed=900,
                                 password=password)
            report = asyncio.run(simulate(config)).to_json()
    assert report["errors"] == []
    [injected] = report["injections"]
    assert (injected["kind"], injected["alert"]) == ("derating", "temperature")
    raised = [c.alert for c in changes if c.event == "raised" and c.alert.kind == "temperature"]
    assert [(a.port_id, a.code) for a in raised] == [(injected["port"], "derated")]


def test_derating_is_for_1_6_stations_only() -> None:
    with pytest.raises(ChargingInputError, match="derating"):
        make_config(stations=1, url="ws://127.0.0.1:1/ocpp", version="2.0.1",
                    faults="derating", seed=0, duration_s=3600, speed=1)
    config = make_config(stations=1, url="ws://127.0.0.1:1/ocpp", version="2.0.1",
                         faults="all", seed=0, duration_s=3600, speed=1)
    assert "derating" not in config.faults
