"""The live endpoint's frame log (issue 17): every OCPP frame in both directions appended to
one JSON Lines file per UTC day, in the format ``solidcheck charging ingest`` reads
(``ocpp_logs.py``): ``{"ts", "charge_point_id", "direction", "frame", "ocpp_version"}``.

Why here and not in the web layer: the log is the project's own data format, written and read
by the charging part; the endpoint only calls :meth:`FrameLog.append` and :meth:`FrameLog.sync`.
A frame that is not JSON is kept as its text (the reader rejects it with a reason, so it is
counted, never silently lost). :class:`SeenCalls` tells a station's retransmission (a CALL
with a message id it already sent) so that it is recorded once.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

__all__ = ["TRANSACTION_ACTIONS", "FrameLog", "LinkEvent", "LoggedFrame", "SeenCalls",
           "day_file", "remember_calls"]

#: the messages whose CALLRESULT is sent only once they are on disk (OCPP 1.6 §4.8 and
#: 2.0.1 E: a station keeps these queued until answered, so the answer promises they are kept)
TRANSACTION_ACTIONS = frozenset({"StartTransaction", "StopTransaction", "MeterValues",
                                 "TransactionEvent"})


@dataclass(frozen=True, slots=True)
class LoggedFrame:
    """One frame as logged, and as handed on to whoever watches the traffic (alerts)."""

    ts: datetime
    charge_point_id: str
    direction: Literal["in", "out"]
    frame: Any
    ocpp_version: str

    def line(self) -> str:
        stamp = self.ts.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return json.dumps({"ts": stamp, "charge_point_id": self.charge_point_id,
                           "direction": self.direction, "frame": self.frame,
                           "ocpp_version": self.ocpp_version},
                          ensure_ascii=False, separators=(",", ":")) + "\n"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """A station's connection opening or closing, logged between its frames so that ingest
    sees real disconnects (part I's ``station_events``, as the OCA tool's log gives them):
    ``{"ts", "charge_point_id", "event": "connected" | "disconnected", "ocpp_version"}``.
    ``replaced`` marks a connection that took over from one still open (a reconnection)."""

    ts: datetime
    charge_point_id: str
    event: Literal["connected", "disconnected"]
    ocpp_version: str
    replaced: bool = False

    def line(self) -> str:
        stamp = self.ts.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        row: dict[str, Any] = {"ts": stamp, "charge_point_id": self.charge_point_id,
                               "event": self.event, "ocpp_version": self.ocpp_version}
        if self.replaced:
            row["replaced"] = True
        return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def day_file(folder: Path, day: datetime) -> Path:
    """The file of ``day``'s frames (UTC)."""
    return folder / f"ocpp-frames-{day.astimezone(UTC):%Y-%m-%d}.jsonl"


class FrameLog:
    """Appends frames to the day's file, flushed to the OS at once; :meth:`sync` makes all
    appended so far durable (fsync). Thread-safe: ``sync`` runs in a worker thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        self._path: Path | None = None

    def append(self, frame: LoggedFrame | LinkEvent) -> None:
        with self._lock:
            target = day_file(self.folder, frame.ts)
            if target != self._path or self._file is None:
                self._switch_to(target)
            assert self._file is not None
            self._file.write(frame.line())
            self._file.flush()

    def sync(self) -> None:
        with self._lock:
            if self._file is not None:
                os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                self._file = None
                self._path = None

    def _switch_to(self, target: Path) -> None:
        if self._file is not None:  # yesterday's file is made durable before it is left
            os.fsync(self._file.fileno())
            self._file.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = target.open("a", encoding="utf-8")
        self._path = target


class SeenCalls:
    """The message ids of the CALLs each station sent lately (the newest ``per_station``): a
    CALL seen again is a retransmission. Kept across reconnections, in memory; a server
    seeds it from today's log when it starts (:func:`remember_calls`), so a retransmission
    across a restart is recorded once too."""

    def __init__(self, *, per_station: int = 1000) -> None:
        self._per_station = per_station
        self._ids: dict[str, OrderedDict[str, None]] = {}
        self._lock = threading.Lock()

    def first_time(self, charge_point_id: str, message_id: str) -> bool:
        """Whether this is the first CALL with this id from this station (and remember it)."""
        with self._lock:
            ids = self._ids.setdefault(charge_point_id, OrderedDict())
            if message_id in ids:
                return False
            ids[message_id] = None
            if len(ids) > self._per_station:
                ids.popitem(last=False)
            return True


def remember_calls(seen: SeenCalls, path: Path) -> int:
    """Tell ``seen`` of every CALL a station sent in a frame-log file (a server's start reads
    today's): how many were read. A missing file is none; a torn last line (a killed
    server's) and lines that are not frames are skipped."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return 0
    count = 0
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            frame = record.get("frame")
            if record.get("direction") == "in" and isinstance(frame, list) and len(frame) == 4 \
                    and frame[0] == 2 and isinstance(frame[1], str):
                seen.first_time(str(record.get("charge_point_id")), frame[1])
                count += 1
    return count
