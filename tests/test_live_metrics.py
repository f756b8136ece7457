"""The live side's Prometheus metrics, scraped from /metrics over real HTTP after real
WebSocket traffic (uvicorn on loopback, the app as ``solidcheck serve`` builds it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ocpp_station import ask, connect, running_server
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app
from test_charging_endpoint import add_station
from webhook_receiver import receiver

WAIT_LIMIT_S = 30.0  # a hang guard only


def eventually(condition: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not (value := condition()):
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
    return value


def scrape(http: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{http}/metrics", timeout=WAIT_LIMIT_S).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=tmp_path / "frames",
                                  webhook_refresh_s=0.2), registry=registry)
        with running_server(app) as base:
            yield base, database


def test_live_metrics_after_real_traffic(served: tuple[str, str]) -> None:
    base, database = served
    http = base.replace("ws://", "http://")
    with receiver(200) as target:
        with Registry.open(database) as registry:
            registry.add_webhook(target.url, actor="t", severities=("critical", "major",
                                                                     "minor"), kinds=["fault"])
        password = add_station(database, "CP-METRICS")
        ws = connect(base, "CP-METRICS", password)
        before = scrape(http)
        ask(ws, [2, "1", "BootNotification", {"chargePointVendor": "V",
                                              "chargePointModel": "M"}])
        # the server sees the target within its refresh (the gauge shows it), then the alert
        depth = ("solidcheck_webhook_queue_depth", (("webhook", registry_id(database)),))
        eventually(lambda: depth in scrape(http))
        ask(ws, [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                                "status": "Faulted"}])
        answer = ask(ws, [2, "3", "MakeCoffee", {}])
        assert answer[0] == 4
        during = scrape(http)
        eventually(lambda: target.got)
        ws.close()
        after = eventually(lambda: (s := scrape(http)) and value(
            s, "solidcheck_alerts_total", event="raised", kind="offline",
            severity="critical") and value(s, "solidcheck_live_timer_lag_seconds_count")
            and value(s, "solidcheck_webhook_deliveries_total", outcome="delivered") and s)
    assert value(before, "solidcheck_ocpp_stations_connected") == 1
    assert value(after, "solidcheck_ocpp_stations_connected") == 0
    for direction in ("received", "sent"):
        assert value(during, "solidcheck_ocpp_frames_total", direction=direction,
                     ocpp_version="1.6", action="BootNotification") == 1
    assert value(during, "solidcheck_ocpp_frames_total", direction="received",
                 ocpp_version="1.6", action="other") == 1  # MakeCoffee: bounded labels
    assert value(during, "solidcheck_ocpp_callerrors_sent_total", code=answer[2]) == 1
    assert value(after, "solidcheck_alerts_total", event="raised", kind="fault",
                 severity="major") == 1
    assert value(during, "solidcheck_alerts_open", kind="fault", severity="major") == 1
    assert value(after, "solidcheck_alerts_open", kind="offline", severity="critical") == 1
    assert value(after, "solidcheck_alert_latency_seconds_count") >= 2
    assert value(after, "solidcheck_alert_latency_seconds_bucket", le="1.0") >= 1
    assert value(after, "solidcheck_webhook_deliveries_total", outcome="queued") == 1


def registry_id(database: str) -> str:
    with Registry.open(database) as registry:
        return registry.list_webhooks()[0].id
