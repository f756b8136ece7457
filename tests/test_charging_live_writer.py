"""The live writer (issue 17 item 2) on each database the registry supports: alert changes,
acknowledgements and state changes committed off the event loop, what accumulated as one
transaction, the barrier returning only once everything before it is committed, and each
committed change numbered for the stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from solidcheck.charging.frame_log import LoggedFrame
from solidcheck.charging.rules import charging_ruleset_by_id
from solidcheck.registry import Registry
from solidcheck.registry.store.live import AlertFilter, LiveBatch, NumberedChange
from solidcheck.web.live import LiveHub, LiveWriter
from solidcheck.web.live.writer import boot_identity

RULESET = charging_ruleset_by_id("cn-alliance-wp-2026")


def frame(message: list[object], *, direction: str = "in") -> LoggedFrame:
    return LoggedFrame(ts=datetime.now(UTC), charge_point_id="CP-W",
                       direction=direction, frame=message, ocpp_version="1.6")  # type: ignore[arg-type]


def status(n: int, connector: int, state: str, error: str = "NoError") -> LoggedFrame:
    return frame([2, f"s{n}", "StatusNotification",
                  {"connectorId": connector, "status": state, "errorCode": error}])


class Counting:
    """The registry, counting the transactions the writer makes."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.batches: list[LiveBatch] = []

    def write_live(self, batch: LiveBatch) -> list[NumberedChange]:
        self.batches.append(batch)
        return self.registry.write_live(batch)


async def _run(registry: Registry) -> list[NumberedChange]:
    hub = LiveHub.of(RULESET)
    counting = Counting(registry)
    writer = LiveWriter(counting, hub.engine.state,  # type: ignore[arg-type]
                        last_message_resolution_s=60)
    hub.sinks.append(writer.on_alert)
    hub.state_sinks.append(writer.on_state)
    numbered = writer.numbered.subscribe()
    boot = [2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
    for logged in (frame(boot), frame([3, "b", {"currentTime": "2026-06-01T08:00:00Z",
                                                "interval": 60, "status": "Accepted"}],
                                      direction="out"),
                   *(status(n, n, "Faulted", "GroundFailure") for n in range(1, 21))):
        hub.on_frame(logged)
        writer.on_frame(logged)
    writer.start()  # 20 faults and the states queued before: one transaction
    await writer.committed()
    first = len(counting.batches)
    [fault] = [a for a in hub.engine.open_alerts() if a.port_id == "CP-W:1"]
    hub.acknowledge(fault.id, at=datetime.now(UTC))
    hub.on_frame(status(99, 2, "Available"))
    await writer.committed()
    got: list[NumberedChange] = []
    async with asyncio.timeout(20):  # a hang guard: they were published before the barrier
        async for change in numbered:
            got.append(change)
            if len(got) == 22:
                break
    await writer.stop()
    assert first == 1  # what accumulated before the thread started: one transaction
    return got


def test_changes_are_committed_in_batches_and_numbered_in_order(database_url: str) -> None:
    with Registry.open(database_url, create=True) as registry:
        numbered = asyncio.run(_run(registry))
        events = [(c.event, c.alert.port_id) for c in numbered]
        assert events[:20] == [("raised", f"CP-W:{n}") for n in range(1, 21)]
        assert events[20:] == [("acknowledged", "CP-W:1"), ("resolved", "CP-W:2")]
        assert [c.seq for c in numbered] == sorted({c.seq for c in numbered})
        assert registry.alert_events_after(numbered[19].seq, limit=10) == numbered[20:]
        acknowledged, total, _ = registry.list_alerts(AlertFilter(status="acknowledged"),
                                                      limit=10)
        assert total == 1 and acknowledged[0].port_id == "CP-W:1"
        assert registry.list_alerts(AlertFilter(status="open"), limit=50)[1] == 18
        stations, ports = registry.live_states()
    assert [(s["vendor"], s["model"], s["heartbeat_interval_s"]) for s in stations] == [
        ("V", "M", 60.0)]
    assert {p["port_id"]: p["state"] for p in ports}["CP-W:2"] == "available"
    assert len(ports) == 20


def test_boot_identity_reads_both_versions() -> None:
    assert boot_identity({"chargePointVendor": "V", "chargePointModel": "M",
                          "firmwareVersion": "1"}) == {"vendor": "V", "model": "M",
                                                       "firmware": "1"}
    assert boot_identity({"reason": "PowerUp", "chargingStation": {
        "vendorName": "V2", "model": "M2"}}) == {"vendor": "V2", "model": "M2"}
    assert boot_identity("not a payload") == {}
