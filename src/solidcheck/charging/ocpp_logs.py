"""The OCPP frame-log readers: a file's bytes to the frames it logged, recognised by content.

Three layouts (gzip read transparently, whatever the file is called):

* JSON Lines — one object a line: ``{"ts", "charge_point_id", "direction": "in"|"out",
  "frame": [...]}``, optionally ``"ocpp_version"``; or, from the live endpoint's log, a
  connection event ``{"ts", "charge_point_id", "event": "connected"|"disconnected"}`` (a
  station event, as the OCA tool's lines below);
* CSV — header ``timestamp,charge_point_id,direction,message``, the message a JSON frame;
* the OCA conformance test tool's text log — a header (``OCPP Version : OCPP 2.0.1``) then
  ``[time] [tag] text`` lines; ``[msg-in]``/``[msg-out]`` carry frames, the tool's own lines
  are counted, and its ``Disconnected from``/``Successfully connected to System Under Test``
  lines are the WebSocket closing and opening (station events). The tool is the central
  system, so its ``msg-in`` is a frame from the station (``in``).

Pure: no file is opened here except by :func:`read_log`; every line ends as a frame, a
station event, a counted tool line or a rejected row with its reason — never dropped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from ..errors import ChargingInputError, Problem

__all__ = ["FORMATS", "LogRead", "RawFrame", "Rejection", "ToolEvent", "parse_log", "read_log"]

Format = Literal["jsonl", "csv", "octt"]
FORMATS: Final[tuple[Format, ...]] = ("jsonl", "csv", "octt")

_GZIP_MAGIC = b"\x1f\x8b"
_CSV_HEADER = ("timestamp", "charge_point_id", "direction", "message")
_OCTT_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\dT[\d:.]+)\]\s+\[([^\]]*)\]\s?(.*)$")
_OCTT_VERSION = re.compile(r"^OCPP Version\s*:\s*OCPP\s*([\d.]+)", re.IGNORECASE)
_OCTT_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d):(\d{1,6})$")
#: the OCA tool's own lines that say the WebSocket closed or opened
_OCTT_LINK = (("Disconnected from System Under Test", "disconnected"),
              ("Successfully connected to System Under Test", "connected"))
_TEXT_KEPT = 200


@dataclass(frozen=True, slots=True)
class RawFrame:
    """A frame as logged: not yet checked beyond being a JSON value."""

    ts: datetime | None
    charge_point_id: str
    direction: Literal["in", "out"]
    frame: Any
    source: str
    line: int
    ocpp_version: str | None = None


@dataclass(frozen=True, slots=True)
class ToolEvent:
    """A station event the log's tool wrote itself (the WebSocket closing or opening)."""

    ts: datetime
    charge_point_id: str
    kind: str
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that could not be read; ``reason`` is a catalogue message id."""

    source: str
    line: int
    reason: str
    detail: str = ""
    text: str = ""


@dataclass(slots=True)
class LogRead:
    """What one input gave: its frames, tool events, rejections and counts."""

    source: str
    sha256: str
    format: Format
    ocpp_version: str | None = None
    frames: list[RawFrame] = field(default_factory=list)
    tool_events: list[ToolEvent] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    #: lines that are the log's own (the tool's notes, headers, blank lines), counted
    other_lines: int = 0


def read_log(path: Path, *, charge_point_id: str | None = None) -> LogRead:
    """Read one log file (gzip or not). A file that cannot be read or recognised raises
    :class:`ChargingInputError` with the file's problems."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _refused(str(path), f"cannot be read: {exc.strerror or exc}") from None
    return parse_log(data, source=str(path), charge_point_id=charge_point_id)


def parse_log(data: bytes, *, source: str, charge_point_id: str | None = None) -> LogRead:
    """The frames of a log's bytes, its layout recognised from its first lines."""
    sha256 = hashlib.sha256(data).hexdigest()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise _refused(source, f"a damaged gzip file ({exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refused(source, f"not UTF-8 text (byte {exc.start})",
                       "an OCPP log is JSON Lines, CSV or the OCA test tool's text log") from None
    lines = text.splitlines()
    layout = _recognise(lines)
    if layout is None:
        raise _refused(source, "not a recognised OCPP log, nor a table file",
                       "expected JSON Lines {ts, charge_point_id, direction, frame}, CSV "
                       "timestamp,charge_point_id,direction,message or the OCA test tool's "
                       "log; or an IRVE, OCPI, T/CEC 102, tickets or inventory file with the "
                       "columns or keys docs/charging-inputs.md lists")
    read = LogRead(source=source, sha256=sha256, format=layout)
    if layout == "jsonl":
        _jsonl(lines, read)
    elif layout == "csv":
        _csv(text, read)
    else:
        if charge_point_id is None:
            raise _refused(source, "the OCA test tool's log does not name the charge point",
                           "give it with --charge-point")
        _octt(lines, read, charge_point_id)
    return read


def _refused(source: str, message: str, fix: str = "") -> ChargingInputError:
    return ChargingInputError([Problem(source, message, fix)])


def _recognise(lines: list[str]) -> Format | None:
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    cells = tuple(cell.strip().lower() for cell in first.split(","))
    if cells[:4] == _CSV_HEADER:
        return "csv"
    if first.startswith("Test Case Name") or _OCTT_LINE.match(first):
        return "octt"
    return None


_NOT_JSON = object()


def _json(text: str, read: LogRead, number: int, line: str) -> Any:
    """``text`` parsed, or — rejected with its line and why — :data:`_NOT_JSON`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        read.rejected.append(_reject(read, number, "charging.rejected.not_json", exc.msg, line))
        return _NOT_JSON


def _jsonl(lines: list[str], read: LogRead) -> None:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            read.other_lines += 1
            continue
        row = _json(line, read, number, line)
        if row is _NOT_JSON:
            continue
        if not isinstance(row, dict):
            read.rejected.append(_reject(read, number, "charging.rejected.not_an_object",
                                         type(row).__name__, line))
            continue
        if "event" in row:
            _link_event(read, number, line, row)
            continue
        version = row.get("ocpp_version")
        _add(read, number, line, ts=row.get("ts"), charge_point_id=row.get("charge_point_id"),
             direction=row.get("direction"), frame=row.get("frame", _MISSING),
             version=str(version) if version is not None else None)


def _csv(text: str, read: LogRead) -> None:
    reader = csv.reader(io.StringIO(text))
    number = 0
    for cells in reader:
        number = reader.line_num
        if number == 1 or not any(cell.strip() for cell in cells):
            read.other_lines += 1
            continue
        line = ",".join(cells)
        if len(cells) != len(_CSV_HEADER):
            read.rejected.append(_reject(read, number, "charging.rejected.cells",
                                         str(len(cells)), line))
            continue
        ts, charge_point_id, direction, message = cells
        frame = _json(message, read, number, line)
        if frame is _NOT_JSON:
            continue
        _add(read, number, line, ts=ts, charge_point_id=charge_point_id,
             direction=direction, frame=frame, version=None)


def _octt(lines: list[str], read: LogRead, charge_point_id: str) -> None:
    for number, line in enumerate(lines, start=1):
        found = _OCTT_LINE.match(line.strip())
        if found is None:
            version = _OCTT_VERSION.match(line.strip())
            if version is not None:
                read.ocpp_version = version.group(1)
            read.other_lines += 1
            continue
        stamp, tag, rest = found.groups()
        ts = _octt_time(stamp)
        if ts is None:
            read.rejected.append(_reject(read, number, "charging.rejected.time", stamp, line))
            continue
        if tag in ("msg-in", "msg-out"):
            frame = _json(rest, read, number, line)
            if frame is _NOT_JSON:
                continue
            read.frames.append(RawFrame(ts, charge_point_id, "in" if tag == "msg-in" else "out",
                                        frame, read.source, number))
            continue
        kind = next((kind for words, kind in _OCTT_LINK if rest.startswith(words)), None)
        if kind is not None:
            read.tool_events.append(ToolEvent(ts, charge_point_id, kind, read.source, number))
        else:
            read.other_lines += 1


_MISSING = object()
_LINK_EVENTS = ("connected", "disconnected")


def _link_event(read: LogRead, number: int, line: str, row: dict[str, Any]) -> None:
    """The live endpoint's connection event as a station event, or its rejection."""
    ts, charge_point_id, event = row.get("ts"), row.get("charge_point_id"), row.get("event")
    when = parse_time(ts) if isinstance(ts, str) else None
    if when is None:
        read.rejected.append(_reject(read, number, "charging.rejected.time", str(ts), line))
    elif not isinstance(charge_point_id, str) or not charge_point_id.strip():
        read.rejected.append(_reject(read, number, "charging.rejected.charge_point",
                                     str(charge_point_id), line))
    elif event not in _LINK_EVENTS:
        read.rejected.append(_reject(read, number, "charging.rejected.link_event", str(event),
                                     line))
    else:
        read.tool_events.append(ToolEvent(when, charge_point_id.strip(), str(event),
                                          read.source, number))


def _add(read: LogRead, number: int, line: str, *, ts: Any, charge_point_id: Any,
         direction: Any, frame: Any, version: str | None) -> None:
    """A frame from a JSON Lines or CSV row, or its rejection naming the first bad field."""
    when = parse_time(ts) if isinstance(ts, str) else None
    if when is None:
        read.rejected.append(_reject(read, number, "charging.rejected.time", str(ts), line))
    elif not isinstance(charge_point_id, str) or not charge_point_id.strip():
        read.rejected.append(_reject(read, number, "charging.rejected.charge_point",
                                     str(charge_point_id), line))
    elif direction not in ("in", "out"):
        read.rejected.append(_reject(read, number, "charging.rejected.direction",
                                     str(direction), line))
    elif frame is _MISSING:
        read.rejected.append(_reject(read, number, "charging.rejected.no_frame", "", line))
    else:
        read.frames.append(RawFrame(when, charge_point_id.strip(), direction, frame,
                                    read.source, number, version))


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time in UTC; a time without an offset is taken as UTC (logs of central
    systems are kept in UTC, and OCPP's own timestamps are)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _octt_time(stamp: str) -> datetime | None:
    """The OCA tool's ``2024-05-17T09:20:43:730`` (milliseconds after a colon), in UTC: its
    times match the UTC timestamps of the frames it logs."""
    found = _OCTT_TIME.match(stamp)
    return parse_time(f"{found.group(1)}.{found.group(2).ljust(3, '0')}" if found else stamp)


def _reject(read: LogRead, number: int, reason: str, detail: str, line: str) -> Rejection:
    return Rejection(read.source, number, reason, detail, line[:_TEXT_KEPT])
