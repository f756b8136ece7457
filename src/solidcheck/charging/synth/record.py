"""What a synthetic network is made of: the records the simulation keeps of what really
happened, from which the writers make files and :mod:`.truth` makes the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

__all__ = ["DAY_S", "LIMITED_HOURS", "OPEN_S", "OPEN_WEEKDAYS", "Event", "Network", "Port",
           "Precursor", "Protocol", "Session", "Station", "SynthSpec", "Thresholds", "Ticket",
           "TicketBook"]

DAY_S: Final = 86_400
#: the opening hours of the few stations not open all the time, and what they mean: taken as
#: UTC, as the metrics read the inventory's hours (docs/charging.md)
LIMITED_HOURS: Final = "Mo-Sa 07:00-21:00"
OPEN_WEEKDAYS: Final = frozenset(range(6))  # Monday (0) to Saturday
OPEN_S: Final = (7 * 3600, 21 * 3600)  # from, to: seconds of the day
Protocol = Literal["1.6", "2.0.1", "irve"]


@dataclass(frozen=True, slots=True)
class SynthSpec:
    """What to simulate: ``stations`` stations over ``days`` days from ``start_s``."""

    stations: int
    days: int
    seed: int
    start_s: int

    @property
    def end_s(self) -> int:
        return self.start_s + self.days * DAY_S


#: one message a station sends: (time, order of creation, kind, arguments); kinds are
#: ``boot`` (reason), ``heartbeat``, ``status`` (connector, raw status, error code),
#: ``authorize`` (token), ``tx_start`` / ``tx_charging`` / ``tx_end`` (a :class:`Session`),
#: and for IRVE ``irve_status`` (port index, etat_pdc, occupation_pdc)
Event = tuple[int, int, str, tuple[object, ...]]


@dataclass(slots=True)
class Session:
    """A transaction (OCPP) or a session row (IRVE) as it really happened."""

    port_id: str
    kind: str  # normal | borderline | non_completion | failed_start
    auth_s: int
    start_s: int
    end_s: int
    charging_s: int | None  # first Charging; None: never delivered power
    energy_wh: int
    meter_start_wh: int
    stop_reason: str | None
    transaction_id: str
    token: str

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s


@dataclass(slots=True)
class Port:
    port_id: str
    station_id: str
    index: int  # 1.6 connector, 2.0.1 EVSE (connector 1), IRVE position
    #: (time, canonical state, raw status) of every status the port reports, in order
    statuses: list[tuple[int, str, str]] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    silent_failures: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Station:
    station_id: str
    protocol: Protocol
    power_kw: float
    heartbeat_s: int
    operator: str
    opening_hours: str
    commissioned: date
    ports: list[Port] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    boots: list[tuple[int, str | None]] = field(default_factory=list)
    offline: list[tuple[int, int]] = field(default_factory=list)
    #: times no port activity may touch: incidents with their margins
    blackouts: list[tuple[int, int]] = field(default_factory=list)

    serial: int = 0
    #: which floor and step the next session on a floor takes: the station goes round them
    #: all, from a place of its own
    borderline: int = 0

    def emit(self, when: int, kind: str, *args: object) -> None:
        self.events.append((when, len(self.events), kind, args))

    def next_serial(self) -> int:
        """The station's next number: its transaction ids and tokens are unique."""
        self.serial += 1
        return self.serial


@dataclass(frozen=True, slots=True)
class Precursor:
    """A fault of at least the risk rule's outage and the degradation injected before it
    (``charging synth --precursors``): ``from_s`` None when it came without warning."""

    port_id: str
    station_id: str
    fault_s: int
    from_s: int | None
    kinds: tuple[str, ...]


@dataclass(slots=True)
class Network:
    spec: SynthSpec
    thresholds: Thresholds
    stations: list[Station]
    tickets: list[Ticket]
    #: every fault with its precursors or without; None: the network has none injected
    precursors: list[Precursor] | None = None




@dataclass(frozen=True, slots=True)
class Thresholds:
    """The rule-set numbers the simulation plays around (read by ``network.thresholds``)."""

    heartbeat_multiple: float
    merging_gap_s: float
    unavailable_states: tuple[str, ...]
    #: every session floor of every rule set: ("duration", seconds) or ("energy", kWh)
    floors: tuple[tuple[str, float], ...]
    #: stop reasons some rule set counts as a completion
    completion_reasons: frozenset[str]
    excluded_causes: tuple[str, ...]
    #: SLA severities, most severe first
    severities: tuple[str, ...]
    #: outages longer than this should have a ticket
    fault_coverage_s: float
    #: each severity's time to acknowledge and to resolve, in seconds
    acknowledge_s: dict[str, float]
    resolve_s: dict[str, float]
    #: a closed ticket is verified when no fault follows on its port within this
    verified_window_s: float


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: str
    port_id: str | None
    station_id: str
    severity: str
    opened_s: int
    acknowledged_s: int | None
    resolved_s: int | None
    closed_s: int | None
    cause: str | None
    resolution: str | None
    reopened: int


class TicketBook:
    """The tickets as they are raised; a step after the period's end has not happened yet
    (null), and ids follow the order of opening."""

    def __init__(self, end_s: int) -> None:
        self.end_s = end_s
        self._raised: list[tuple[int, str, int, dict[str, object]]] = []

    def add(self, *, port_id: str | None, station_id: str, severity: str, opened_s: int,
            acknowledged_s: int | None, resolved_s: int | None, closed_s: int | None,
            cause: str | None, resolution: str | None, reopened: int) -> None:
        def seen(when: int | None) -> int | None:
            return when if when is not None and when < self.end_s else None

        resolved = seen(resolved_s)
        closed = seen(closed_s) if resolved is not None else None
        self._raised.append((opened_s, station_id, len(self._raised), {
            "port_id": port_id, "station_id": station_id, "severity": severity,
            "opened_s": opened_s, "acknowledged_s": seen(acknowledged_s),
            "resolved_s": resolved, "closed_s": closed, "cause": cause,
            "resolution": resolution if resolved is not None else None,
            "reopened": reopened if closed is not None else 0}))

    def tickets(self) -> list[Ticket]:
        ordered = sorted(self._raised, key=lambda item: item[:3])
        return [Ticket(ticket_id=f"T{number:06d}", **fields)  # type: ignore[arg-type]
                for number, (_, _, _, fields) in enumerate(ordered, start=1)]
