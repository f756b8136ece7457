"""Alert rules over the live state: raised at the frame (or timer tick) that shows the
condition, resolved when it clears. Every count, window, limit and severity comes from the rule
set's ``[rules.alerts.*]`` (charging/alert_rules.py); a kind the rule set leaves out is never
raised.

Edges, so tests and operators can rely on them: a burst is ``count`` events with the last at
most ``window_s`` after the first, resolved once more than ``window_s`` passes without one;
offline is silence strictly longer than k × heartbeat; no energy is a charging port whose
register has not risen for at least ``duration_s``; derating is power strictly below
``derating_fraction`` × the session's peak while strictly above ``derating_limit_c``, on a
charging port (the peak starts again when the port stops charging).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from ...i18n import message
from ..alert_rules import BurstAlertRule
from ..rules import ChargingRuleset
from .state import LiveFrame, LiveState, Observation

__all__ = ["ALERT_KINDS", "Alert", "AlertEngine", "AlertKind", "alert_title"]

AlertKind = Literal["fault", "offline", "reboot_loop", "silent_failure", "no_energy",
                    "temperature", "callerror_burst"]
ALERT_KINDS: Final[tuple[AlertKind, ...]] = ("fault", "offline", "reboot_loop",
                                             "silent_failure", "no_energy", "temperature",
                                             "callerror_burst")
_MS: Final = timedelta(milliseconds=1)
_Key = tuple[str, str, str]  # (kind, port or station, what within it)


class Alert(BaseModel):
    """One alert; a resolved or acknowledged alert is a new copy with the same id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: AlertKind
    severity: str
    station_id: str
    port_id: str | None = None
    raised_at: datetime
    #: the frame(s) that caused it, as frame-log lines; a closed WebSocket as
    #: ``{"ts", "charge_point_id", "event": "closed"}``
    evidence: list[dict[str, Any]]
    #: the OCPP error code, NotifyEvent component/variable (or techCode), or boot reason
    code: str | None = None
    chargex_code: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


def alert_title(alert: Alert, lang: str = "en") -> str:
    """The alert's one-line title from the catalogue (``charging.alert.<kind>``)."""
    where = alert.port_id or alert.station_id
    return message(f"charging.alert.{alert.kind}", {"where": where}, lang)  # type: ignore[arg-type]


class AlertEngine:
    """Alerts of one rule set over a :class:`LiveState`. Call :meth:`feed` for every frame in
    both directions, :meth:`closed`/:meth:`opened` for the WebSocket, :meth:`tick` at least
    once a second: each returns the alerts raised or resolved by it."""

    def __init__(self, ruleset: ChargingRuleset, *, state: LiveState | None = None) -> None:
        self.rules = ruleset.alert_rules()
        self.offline_rule = ruleset.rules.offline_detection
        self.state = state or LiveState()
        self._open: dict[_Key, Alert] = {}
        self._seq = 0
        self._bursts: dict[tuple[str, str], deque[tuple[datetime, dict[str, Any]]]] = {}
        self._failed: dict[str, list[dict[str, Any]]] = {}
        #: port → (since when its register has not risen, the frame then, its station)
        self._energy_clock: dict[str, tuple[datetime, dict[str, Any], str]] = {}
        self._last_wh: dict[str, float] = {}
        #: derating: each port's last temperature (°C) and power (W), and its session's peak
        #: power with the frame that showed it
        self._celsius: dict[str, float] = {}
        self._watts: dict[str, float] = {}
        self._peak: dict[str, tuple[float, dict[str, Any]]] = {}
        #: accepted remote starts not yet a transaction: station → [(port or None, due, the
        #: frame that accepted it)]
        self._remote: dict[str, list[tuple[str | None, datetime, dict[str, Any]]]] = {}

    # ----------------------------------------------------------------------- API
    def feed(self, frame: LiveFrame, *, received_at: datetime) -> list[Alert]:
        """Apply one frame; the alerts it raised or resolved."""
        evidence = frame.record(received_at)
        out: list[Alert] = []
        for seen in self.state.apply(frame, received_at=received_at):
            out += self._judge(seen, received_at, evidence)
        return out

    def closed(self, station_id: str, *, at: datetime) -> list[Alert]:
        """The station's WebSocket closed: offline now, not at the next timer."""
        self.state.station(station_id).connected = False
        evidence = {"ts": at.isoformat(), "charge_point_id": station_id, "event": "closed"}
        if self.rules.offline is None:
            return []
        return self._raise(("offline", station_id, ""), at, [evidence], station_id, None,
                           severity=self.rules.offline.severity)

    def opened(self, station_id: str, *, at: datetime) -> list[Alert]:
        """The station connected again: an open offline alert is resolved."""
        station = self.state.station(station_id)
        station.connected, station.last_message_at = True, at
        return self._resolve(("offline", station_id, ""), at)

    def tick(self, now: datetime) -> list[Alert]:
        """Timer-driven alerts: offline by silence, no energy, the end of bursts."""
        out: list[Alert] = []
        if self.rules.offline is not None and self.offline_rule is not None:
            for station in self.state.stations.values():
                if not station.connected or station.last_message_at is None:
                    continue
                limit_s = (self.offline_rule.heartbeat_multiple * station.heartbeat_s
                           if station.heartbeat_s else self.offline_rule.fallback_s)
                if (now - station.last_message_at).total_seconds() > limit_s:
                    out += self._raise(("offline", station.station_id, ""), now,
                                       [station.last_message or {}], station.station_id, None,
                                       severity=self.rules.offline.severity)
        if self.rules.no_energy is not None:
            for port, (since, evidence, cp) in self._energy_clock.items():
                if (now - since).total_seconds() >= self.rules.no_energy.duration_s:
                    out += self._raise(("no_energy", port, ""), now, [evidence], cp, port,
                                       severity=self.rules.no_energy.severity)
        out += self._remote_starts_due(now)
        for (kind, station_id), events in self._bursts.items():
            rule = getattr(self.rules, kind)
            if events and (now - events[-1][0]).total_seconds() > rule.window_s:
                events.clear()
                out += self._resolve((kind, station_id, ""), now)
        return out

    def next_due(self) -> datetime | None:
        """The earliest time a :meth:`tick` could raise or resolve something (strict limits
        plus 1 ms, the frame log's resolution), or None: a server may sleep until then, a
        replay ticks there so a timer alert carries the time it became true."""
        due: list[datetime] = []
        if self.rules.offline is not None and self.offline_rule is not None:
            for station in self.state.stations.values():
                if station.connected and station.last_message_at is not None and \
                        ("offline", station.station_id, "") not in self._open:
                    limit_s = (self.offline_rule.heartbeat_multiple * station.heartbeat_s
                               if station.heartbeat_s else self.offline_rule.fallback_s)
                    due.append(station.last_message_at + timedelta(seconds=limit_s) + _MS)
        if self.rules.no_energy is not None:
            due += [since + timedelta(seconds=self.rules.no_energy.duration_s)
                    for port, (since, _, _) in self._energy_clock.items()
                    if ("no_energy", port, "") not in self._open]
        for (kind, _), events in self._bursts.items():
            if events:
                window_s = getattr(self.rules, kind).window_s
                due.append(events[-1][0] + timedelta(seconds=window_s) + _MS)
        due += [when for waiting in self._remote.values() for _, when, _ in waiting]
        return min(due, default=None)

    def acknowledge(self, alert_id: str, *, at: datetime) -> Alert:
        """Mark an open alert acknowledged (a ticket's first step); KeyError if not open."""
        for key, alert in self._open.items():
            if alert.id == alert_id:
                self._open[key] = alert.model_copy(update={"acknowledged_at": at})
                return self._open[key]
        raise KeyError(alert_id)

    def restore(self, alerts: Iterable[Alert]) -> None:
        """Take back the alerts open before a restart (the registry's), so that their
        condition clearing resolves them and their condition persisting raises no second one.
        A burst's events come back from its evidence, so the timer still ends it."""
        for alert in alerts:
            if alert.resolved_at is not None:
                continue
            self._open[_key_of(alert)] = alert
            if alert.kind in ("reboot_loop", "callerror_burst"):
                events = deque((_time_of(e, alert.raised_at), e) for e in alert.evidence)
                self._bursts[(alert.kind, alert.station_id)] = events or deque(
                    [(alert.raised_at, {})])

    def open_alerts(self) -> list[Alert]:
        """The alerts not yet resolved, oldest first."""
        return sorted(self._open.values(), key=lambda alert: alert.raised_at)

    # ------------------------------------------------------------------- judging
    def _judge(self, seen: Observation, at: datetime,
               evidence: dict[str, Any]) -> list[Alert]:
        kind, cp, port = seen.kind, seen.station_id, seen.port_id
        rules = self.rules
        if kind == "message":
            return self._resolve(("offline", cp, ""), at)
        if kind == "status" and port is not None:
            out = self._fault(("fault", port, "status"), bool(seen.flag), at, evidence, seen)
            return out + self._silent(cp, port, at)
        if kind == "problem":
            return self._fault(("fault", port or cp, seen.code or ""), bool(seen.flag), at,
                               evidence, seen)
        if kind == "boot" and rules.reboot_loop is not None:
            reasons = rules.reboot_loop.reasons
            if reasons is None or seen.code in reasons:
                return self._burst("reboot_loop", rules.reboot_loop, cp, at, evidence)
        if kind == "callerror" and rules.callerror_burst is not None:
            return self._burst("callerror_burst", rules.callerror_burst, cp, at, evidence)
        if kind == "temperature" and rules.temperature is not None:
            key = ("temperature", port or cp, "")
            derated = self._derating(seen, at, evidence)
            if seen.value is not None and seen.value > rules.temperature.limit_c:
                return self._raise(key, at, [evidence], cp, port,
                                   severity=rules.temperature.severity) + derated
            return self._resolve(key, at) + derated
        if kind == "power":
            return self._derating(seen, at, evidence)
        if kind in ("remote_start", "started"):
            self._remote_start(seen, at, evidence)
            return []
        if port is not None:
            return self._port(seen, port, at, evidence)
        return []

    def _port(self, seen: Observation, port: str, at: datetime,
              evidence: dict[str, Any]) -> list[Alert]:
        if seen.kind == "charging":
            self._last_wh.pop(port, None)
            if seen.flag:
                self._energy_clock[port] = (at, evidence, seen.station_id)
                return []
            self._energy_clock.pop(port, None)
            self._peak.pop(port, None)  # the session's power is over: a new peak next time
            self._watts.pop(port, None)
            return (self._resolve(("no_energy", port, ""), at)
                    + self._resolve(("temperature", port, "derated"), at))
        if seen.kind == "energy" and seen.value is not None:
            last = self._last_wh.get(port)
            self._last_wh[port] = seen.value
            if port in self._energy_clock and last is not None and seen.value > last:
                self._energy_clock[port] = (at, evidence, seen.station_id)
                return self._resolve(("no_energy", port, ""), at)
        if seen.kind == "ended":
            if seen.flag:
                self._failed.pop(port, None)
                return self._resolve(("silent_failure", port, ""), at)
            self._failed.setdefault(port, []).append(evidence)
            return self._silent(seen.station_id, port, at)
        return []

    def _derating(self, seen: Observation, at: datetime,
                  evidence: dict[str, Any]) -> list[Alert]:
        """Power below the rule's fraction of the session's peak while hotter than its
        derating limit, on a charging port: raised with the peak's and this frame; resolved
        when the power is back, the port cools or stops charging."""
        rule, port = self.rules.temperature, seen.port_id
        if rule is None or rule.derating_fraction is None or port is None \
                or seen.value is None:
            return []
        if seen.kind == "temperature":
            self._celsius[port] = seen.value
        else:
            self._watts[port] = seen.value
            if seen.value > self._peak.get(port, (0.0, {}))[0]:
                self._peak[port] = (seen.value, evidence)
        key: _Key = ("temperature", port, "derated")
        live, watts = self.state.ports.get(port), self._watts.get(port)
        peak_w, peak_evidence = self._peak.get(port, (0.0, {}))
        assert rule.derating_limit_c is not None
        if (live is not None and live.charging and watts is not None
                and watts < rule.derating_fraction * peak_w
                and self._celsius.get(port, rule.derating_limit_c) > rule.derating_limit_c):
            return self._raise(key, at, [peak_evidence, evidence], seen.station_id, port,
                               severity=rule.severity, code="derated")
        return self._resolve(key, at)

    def _remote_start(self, seen: Observation, at: datetime, evidence: dict[str, Any]) -> None:
        """An accepted remote start waits for its transaction; a start on its port (or, when
        it named none, on the station) ends the wait."""
        rule = self.rules.silent_failure
        if rule is None or rule.remote_start_timeout_s is None:
            return
        waiting = self._remote.setdefault(seen.station_id, [])
        if seen.kind == "remote_start":
            waiting.append((seen.port_id, at + timedelta(seconds=rule.remote_start_timeout_s),
                            evidence))
            return
        for n, (port, _, _) in enumerate(waiting):
            if port is None or port == seen.port_id:
                del waiting[n]
                return

    def _remote_starts_due(self, now: datetime) -> list[Alert]:
        """Remote starts past their timeout with no transaction: a failed start each (on the
        port they named; one that named none cannot be pinned to a port and is dropped)."""
        out: list[Alert] = []
        for station_id, waiting in self._remote.items():
            for port, due, evidence in [w for w in waiting if w[1] <= now]:
                waiting.remove((port, due, evidence))
                if port is not None:
                    self._failed.setdefault(port, []).append(evidence)
                    out += self._silent(station_id, port, now)
        return out

    def _fault(self, key: _Key, faulted: bool, at: datetime, evidence: dict[str, Any],
               seen: Observation) -> list[Alert]:
        rule = self.rules.fault
        if rule is None:
            return []
        if not faulted:
            return self._resolve(key, at)
        code = seen.detail or seen.code
        return self._raise(key, at, [evidence], seen.station_id, seen.port_id,
                           severity=rule.severity, code=code,
                           chargex_code=rule.chargex_codes.get(code or ""))

    def _silent(self, station_id: str, port: str, at: datetime) -> list[Alert]:
        rule = self.rules.silent_failure
        failed = self._failed.get(port, [])
        live = self.state.ports.get(port)
        if rule is None or len(failed) < rule.count or live is None or \
                live.state != "available":
            return []
        return self._raise(("silent_failure", port, ""), at, failed[-rule.count:],
                           station_id, port, severity=rule.severity)

    def _burst(self, kind: str, rule: BurstAlertRule, station_id: str, at: datetime,
               evidence: dict[str, Any]) -> list[Alert]:
        events = self._bursts.setdefault((kind, station_id), deque())
        events.append((at, evidence))
        while (at - events[0][0]).total_seconds() > rule.window_s:
            events.popleft()
        if len(events) < rule.count:
            return []
        return self._raise((kind, station_id, ""), at, [e for _, e in events][-rule.count:],
                           station_id, None, severity=rule.severity)

    # ------------------------------------------------------------- raise, resolve
    def _raise(self, key: _Key, at: datetime, evidence: list[dict[str, Any]],
               station_id: str, port: str | None, *, severity: str,
               code: str | None = None, chargex_code: str | None = None) -> list[Alert]:
        if key in self._open:
            return []
        self._seq += 1
        seed = f"{key}|{at.isoformat()}|{self._seq}".encode()
        alert = Alert(id=hashlib.sha256(seed).hexdigest()[:16], kind=key[0],
                      severity=severity, station_id=station_id, port_id=port, raised_at=at,
                      evidence=evidence, code=code, chargex_code=chargex_code)
        self._open[key] = alert
        return [alert]

    def _resolve(self, key: _Key, at: datetime) -> list[Alert]:
        alert = self._open.pop(key, None)
        return [] if alert is None else [alert.model_copy(update={"resolved_at": at})]


def _time_of(evidence: dict[str, Any], default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(evidence["ts"]))
    except (KeyError, ValueError):
        return default


def _key_of(alert: Alert) -> _Key:
    """The key :meth:`AlertEngine._raise` gave the alert. A fault's third part (a port's
    status, or which NotifyEvent problem) is what its evidence frame shows, read again the
    way it was read when it was raised."""
    where = alert.port_id or alert.station_id
    if alert.kind != "fault" or not alert.evidence:
        return (alert.kind, where, "")
    record = alert.evidence[0]
    message = record.get("frame")
    frame = LiveFrame(alert.station_id, "out" if record.get("direction") == "out" else "in",
                      message if isinstance(message, list) else [])
    for seen in LiveState().apply(frame, received_at=alert.raised_at):
        if seen.kind == "status" and seen.port_id is not None:
            return ("fault", seen.port_id, "status")
        if seen.kind == "problem":
            return ("fault", seen.port_id or seen.station_id, seen.code or "")
    return ("fault", where, "status")
