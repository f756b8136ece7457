"""What happens at one port: sessions, sessions on the rule sets' floors, failed starts, silent
failures, faults (with or without a ticket), status flaps, maintenance and — for ports that
report through IRVE — unknown periods, one after another between idle times.

Each activity draws its times first and is dropped if it would touch a station incident or
run past the period's last hour, so every injected episode is whole and apart from the others
(further apart than the merging gap, but the flaps, which are meant to merge).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Final

import numpy as np

from ..model import port_state
from .record import Port, Session, Station, Thresholds, TicketBook

__all__ = ["REASONS", "PortSim"]

#: OCPP's stop reasons (1.6 StopTransaction ``reason``, 2.0.1 ``ReasonEnumType``)
REASONS: Final[dict[str, tuple[str, ...]]] = {
    "1.6": ("DeAuthorized", "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other",
            "PowerLoss", "Reboot", "Remote", "SoftReset", "UnlockCommand"),
    "2.0.1": ("DeAuthorized", "EmergencyStop", "EnergyLimitReached", "EVDisconnected",
              "GroundFault", "ImmediateReset", "Local", "LocalOutOfCredit", "MasterPass",
              "Other", "OvercurrentFault", "PowerLoss", "PowerQuality", "Reboot", "Remote",
              "SOCLimitReached", "StoppedByEV", "TimeLimitReached", "Timeout"),
}
#: why a transaction that never delivered power ended
_FAILED_REASON: Final = {"1.6": "Other", "2.0.1": "Timeout"}
_ERROR_CODES_16: Final = ("GroundFailure", "HighTemperature", "PowerMeterFailure",
                          "ConnectorLockFailure", "InternalError", "OverCurrentFailure")
_OWN_CAUSES: Final = ("hardware", "software", "connector_damage", "power_module")
#: activity weights: OCPP ports, IRVE ports (which have no attempts, only session rows)
_OCPP_MIX: Final = {"normal": 0.69, "borderline": 0.08, "non_completion": 0.03,
                    "failed_start": 0.06, "silent": 0.04, "fault": 0.05, "flap": 0.03,
                    "maintenance": 0.02}
_IRVE_MIX: Final = {"normal": 0.74, "borderline": 0.08, "fault": 0.06, "flap": 0.02,
                    "maintenance": 0.02, "unknown": 0.08}
_MEAN_IDLE_S: Final = 5 * 3600
#: the least idle time between two activities (more than any merging gap)
_MIN_IDLE_S: Final = 180
_STATUS_OCCUPIED: Final = {"1.6": "Preparing", "2.0.1": "Occupied"}


class PortSim:
    """One port's activities from its first status to the period's last hour."""

    def __init__(self, station: Station, port: Port, rng: np.random.Generator, *,
                 start_s: int, last_s: int, limits: Thresholds, book: TicketBook) -> None:
        self.station, self.port, self.rng = station, port, rng
        self.start_s, self.last_s = start_s, last_s
        self.limits, self.book = limits, book
        self.protocol = station.protocol
        self.register_wh = int(rng.integers(0, 1_000_000))
        #: when the port's last ticket was closed (or will be): no outage before
        self.ticket_until = 0
        mix = _IRVE_MIX if self.protocol == "irve" else _OCPP_MIX
        self.kinds = list(mix)
        weights = np.array(list(mix.values()))
        self.cumulative = [float(value) for value in np.cumsum(weights / weights.sum())]
        self.actions: dict[str, Callable[[int], int | None]] = {
            "normal": lambda t: self._session(t, "normal"),
            "borderline": lambda t: self._session(t, "borderline"),
            "non_completion": lambda t: self._session(t, "non_completion"),
            "failed_start": lambda t: self._session(t, "failed_start"),
            "silent": self._silent, "fault": self._fault, "flap": self._flap,
            "maintenance": self._maintenance, "unknown": self._unknown}

    def run(self) -> None:
        if self.protocol == "irve":  # no boot: each port's first row at its own time
            first = self.start_s + int(self.rng.integers(0, 900))
            self._irve(first, "en_service", "libre")
        cursor = self.port.statuses[0][0]
        while True:
            when = cursor + _MIN_IDLE_S + int(self.rng.exponential(_MEAN_IDLE_S))
            if when >= self.last_s:
                return
            pick = bisect.bisect_right(self.cumulative, float(self.rng.random()))
            kind = self.kinds[min(pick, len(self.kinds) - 1)]
            ended = self.actions[kind](when)
            cursor = when if ended is None else ended

    # ------------------------------------------------------------------ helpers
    def _fits(self, begin: int, end: int, *, outage: bool = False) -> bool:
        """Inside the period's active part and apart from every station incident; an outage
        also after the port's last ticket is closed, so no ticket spans two outages."""
        if end >= self.last_s or (outage and begin <= self.ticket_until):
            return False
        return all(end + _MIN_IDLE_S <= lo or begin >= hi for lo, hi in self.station.blackouts)

    def _ocpp(self, when: int, raw: str, error: str | None = None) -> None:
        self.port.statuses.append((when, port_state(raw), raw))
        code = error if self.protocol == "1.6" and error else "NoError"
        self.station.emit(when, "status", self.port.index, raw,
                          code if self.protocol == "1.6" else None)

    def _irve(self, when: int, etat: str, occupation: str) -> None:
        if etat == "en_service":
            state = {"libre": "available", "occupe": "occupied", "reserve": "reserved",
                     "inconnu": "available"}[occupation]
        else:
            state = "unavailable" if etat == "hors_service" else "unknown"
        self.port.statuses.append((when, state, f"{etat}/{occupation}"))
        self.station.emit(when, "irve_status", self.port.index, etat, occupation)

    def _up(self, when: int) -> None:
        if self.protocol == "irve":
            occupation = "inconnu" if self.rng.random() < 0.1 else "libre"  # rule 5
            self._irve(when, "en_service", occupation)
        else:
            self._ocpp(when, "Available")

    def _down(self, when: int, *, fault: bool) -> None:
        if self.protocol == "irve":
            self._irve(when, "hors_service", "libre")
        elif fault:
            self._ocpp(when, "Faulted", str(self.rng.choice(_ERROR_CODES_16)))
        else:
            self._ocpp(when, "Unavailable")

    # --------------------------------------------------------------- sessions
    def _session(self, when: int, kind: str) -> int | None:
        rng = self.rng
        if kind == "failed_start" and self.protocol == "irve":
            return None
        duration, energy = self._size(kind)
        plug = when + int(rng.integers(3, 20))
        start = plug + int(rng.integers(2, 15)) if self.protocol != "irve" else when
        end = start + duration
        available = end + int(rng.integers(10, 120))
        if not self._fits(when, available):
            return None
        charging = None if kind == "failed_start" else start + int(rng.integers(2, 30))
        serial = self.station.next_serial()
        session = Session(
            port_id=self.port.port_id, kind=kind, auth_s=when, start_s=start, end_s=end,
            charging_s=charging, energy_wh=energy, meter_start_wh=self.register_wh,
            stop_reason=self._reason(kind),
            transaction_id=str(serial) if self.protocol == "1.6"
            else f"{self.station.station_id}-{serial:07d}",
            token=f"TAG{self.station.station_id[-5:]}{serial:07d}")
        self.register_wh += energy
        self.port.sessions.append(session)
        if self.protocol == "irve":
            self._irve(start, "en_service", "occupe")
            self._up(available)
            return available
        self.station.emit(when, "authorize", session.token)
        self._ocpp(plug, _STATUS_OCCUPIED[self.protocol])
        self.station.emit(start, "tx_start", self.port.index, session)
        if charging is not None:
            if self.protocol == "1.6":
                self._ocpp(charging, "Charging")
            else:
                self.station.emit(charging, "tx_charging", self.port.index, session)
        if self.protocol == "1.6":
            self._ocpp(end, "Finishing")
        self.station.emit(end, "tx_end", self.port.index, session)
        self._ocpp(available, "Available")
        return available

    def _size(self, kind: str) -> tuple[int, int]:
        """A session's duration (s) and energy (Wh): comfortably above every floor, or on
        one floor (one second or one Wh under, on, or over it) and above the others."""
        rng = self.rng
        power_w = self.station.power_kw * 1000
        if kind == "failed_start":
            return int(rng.integers(30, 100)), 0
        durations = [value for what, value in self.limits.floors if what == "duration"]
        energies = [value for what, value in self.limits.floors if what == "energy"]
        top_s = max(durations, default=0.0)
        top_wh = round(max(energies, default=0.0) * 1000)
        if kind != "borderline" or not self.limits.floors:
            duration = int(rng.integers(15 * 60, 120 * 60))
            return duration, int(power_w * duration / 3600 * rng.uniform(0.5, 0.9))
        turn = self.station.borderline
        self.station.borderline += 1
        what, floor = self.limits.floors[(turn // 3) % len(self.limits.floors)]
        step = turn % 3 - 1
        if what == "duration":
            duration = round(floor) + step
            most_wh = int(power_w * duration / 3600 * 0.95)  # what the port can deliver
            if most_wh > top_wh + 20:
                return duration, int(rng.integers(top_wh + 10, most_wh))
            what, floor = "energy", max(energies, default=0.0)
        return round(top_s) + int(rng.integers(300, 1800)), round(floor * 1000) + step

    def _reason(self, kind: str) -> str | None:
        if self.protocol == "irve":
            return None
        if kind == "failed_start":
            return _FAILED_REASON[self.protocol]
        completions = [r for r in REASONS[self.protocol] if r in self.limits.completion_reasons]
        if kind != "non_completion":
            return str(self.rng.choice(completions))
        others = [r for r in REASONS[self.protocol]
                  if r not in self.limits.completion_reasons and r not in _FAILED_REASON.values()]
        return str(self.rng.choice(others))

    def _silent(self, when: int) -> int | None:
        """Authorisations that lead nowhere while the port still says Available."""
        times = [when]
        for _ in range(int(self.rng.integers(0, 3))):
            times.append(times[-1] + int(self.rng.integers(60, 300)))
        if not self._fits(when, times[-1] + 60):
            return None
        for moment in times:
            serial = self.station.next_serial()
            self.station.emit(moment, "authorize",
                              f"TAG{self.station.station_id[-5:]}{serial:07d}")
            self.port.silent_failures.append(moment)
        return times[-1] + 60

    # ---------------------------------------------------------------- outages
    def _fault(self, when: int) -> int | None:
        rng = self.rng
        duration = int(rng.integers(300, 6 * 3600))
        if not self._fits(when, when + duration, outage=True):
            return None
        self._down(when, fault=True)
        self._up(when + duration)
        pick = rng.random()
        if pick < 2 / 3:
            excluded = pick < 1 / 3
            cause = str(rng.choice(self.limits.excluded_causes if excluded else _OWN_CAUSES))
            # a ticket of an excluded cause is opened as the outage starts, so the whole
            # outage is given back however a metric matches tickets to minutes
            delay = 0 if excluded else int(rng.integers(30, min(900, duration // 2)))
            opened = when + delay
            resolved = when + duration
            acknowledged = min(opened + int(rng.integers(60, 3 * 3600)), resolved)
            self._ticket(opened, acknowledged, resolved, cause,
                         severity=self.limits.severities[min(1, len(self.limits.severities) - 1)],
                         remote=rng.random() < 0.4)
        return when + duration

    def _flap(self, when: int) -> int | None:
        """A burst of faults each shorter than the merging gap, as far apart."""
        rng = self.rng
        most = max(6, int(self.limits.merging_gap_s * 0.75))
        times = [when]
        for _ in range(2 * int(rng.integers(3, 7)) - 1):
            times.append(times[-1] + int(rng.integers(5, most)))
        if not self._fits(when, times[-1], outage=True):
            return None
        for number, moment in enumerate(times):
            if number % 2 == 0:
                self._down(moment, fault=True)
            else:
                self._up(moment)
        return times[-1]

    def _maintenance(self, when: int) -> int | None:
        duration = int(self.rng.integers(3600, 4 * 3600))
        if not self._fits(when, when + duration, outage=True):
            return None
        self._down(when, fault=False)
        self._up(when + duration)
        causes = self.limits.excluded_causes
        cause = "scheduled_maintenance" if "scheduled_maintenance" in causes else causes[0]
        self._ticket(when, when, when + duration, cause, severity=self.limits.severities[-1],
                     remote=False)
        return when + duration

    def _unknown(self, when: int) -> int | None:
        """An IRVE feed that does not know the point's state (``inconnu``)."""
        duration = int(self.rng.integers(600, 6 * 3600))
        if not self._fits(when, when + duration):
            return None
        self._irve(when, "inconnu", "inconnu")
        self._irve(when + duration, "en_service", "libre")
        return when + duration

    def _ticket(self, opened: int, acknowledged: int, resolved: int, cause: str, *,
                severity: str, remote: bool) -> None:
        rng = self.rng
        closed = resolved + int(rng.integers(600, 2 * 86400))
        # closed before the station's next incident, which would otherwise fall in its span
        closed = min([closed, *(lo for lo, _ in self.station.blackouts if lo > resolved)])
        self.ticket_until = max(self.ticket_until, closed)
        self.book.add(port_id=self.port.port_id, station_id=self.station.station_id,
                      severity=severity, opened_s=opened, acknowledged_s=acknowledged,
                      resolved_s=resolved, closed_s=closed,
                      cause=cause, resolution="remote" if remote else "on_site",
                      reopened=1 if rng.random() < 0.1 else 0)
