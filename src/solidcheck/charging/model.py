"""The canonical charging model: seven Arrow tables every source is read into.

Every metric reads these tables, never a log format, so a new source is a new reader and
nothing else. Times are UTC (``timestamp[ms, UTC]``). Each row keeps ``source`` (the input
file) and ``line`` (1-based) so any figure can be traced back to the line it came from.

``frames`` — every OCPP-J frame read, valid or not:
    ts              when the frame was logged (the log's own clock)
    charge_point_id the station's identity (last segment of its WebSocket URL)
    direction       ``in`` (station → central system) or ``out`` (central system → station)
    message_type    ``call`` | ``result`` | ``error``
    message_id      the frame's unique id
    action          the CALL's action; for a result or an error, the action of the CALL
                    with the same id and charge point (null when no such CALL was logged)
    payload         the payload as JSON text (a CALLERROR: ``{"code", "description",
                    "details"}``)
    ocpp_version    ``1.6`` | ``2.0.1`` | ``2.1``: a row's own ``ocpp_version`` (JSON
                    Lines), else ``--ocpp-version``, else the log's header, else what its
                    actions show (1.6 or 2.0.1)
    valid           the payload passes the official OCPP JSON schema (null: not checkable —
                    an error frame, or a result whose CALL is not in the log)
    problem         why not valid: the schema's complaint with its JSON path (the schema
                    library's English), or the catalogue's English for an action the
                    version lacks or a result whose CALL is not in the log

``port_events`` — every status a port reported:
    ts              the status's own time (the payload's ``timestamp``, else the frame's)
    logged_ts       when the frame was logged
    station_id      the charge point
    port_id         ``{station}:{connector}`` (1.6) or ``{station}:{evse}:{connector}``
                    (2.0.1, 2.1)
    evse_id, connector_id  as sent (1.6 has no EVSE: evse_id is null)
    station_wide    True for a 1.6 status on connector 0: the whole station. Decision: such a
                    status is kept once, on port ``{station}:0``, not copied onto ports the log
                    may not name; a metric applies it to every port of the station
    state           ``available`` | ``occupied`` | ``reserved`` | ``faulted`` |
                    ``unavailable`` | ``offline`` | ``unknown`` | ``blocked`` (see
                    :data:`STATES`, :data:`OCPP_STATES`)
    raw_status      the status as sent (``Charging``, ``Occupied`` …)
    error_code      1.6 ``errorCode`` (``NoError`` … ) and ``vendorErrorCode`` joined by
                    ``/``; null in 2.x (errors come in NotifyEvent)

``transaction_events`` — the life of each charging session:
    ts, logged_ts, station_id, port_id (carried from an earlier event of the same
    transaction when an event names no EVSE), transaction_id
    event           ``started`` | ``updated`` | ``ended``
    trigger_reason  2.x ``triggerReason``; 1.6 the action (``StartTransaction`` …)
    charging_state  2.x ``chargingState``
    stopped_reason  2.x ``stoppedReason``; 1.6 StopTransaction ``reason``
    energy_wh       the energy register (Energy.Active.Import.Register, or 1.6
                    ``meterStart``/``meterStop``), in Wh
    id_token_sha256 the first 16 hex digits of the SHA-256 of the token: sessions of one
                    token can be joined without keeping the token
    offline         the station queued the event while offline (2.x ``offline``)
    seq_no          2.x ``seqNo``

``station_events`` — liveness: ``kind`` is ``boot`` (BootNotification; ``detail`` = its
reason), ``heartbeat``, ``disconnected`` and ``connected`` (the WebSocket closed or opened,
when the log says so — the OCA test tool writes both lines), with ts, station_id, detail.

``sessions`` — charging sessions as an operator reports them (France's IRVE session files):
    port_id         the point of charge (``id_pdc_itinerance``, or ``port_id``)
    start, end      UTC; the file gives ISO 8601 with an offset, or epoch milliseconds
    duration_s      ``end - start`` in seconds
    energy_wh       the energy delivered, in Wh (the file gives kWh)
    stop_reason     why it ended, as the source says it (OCPI, T/CEC 102 orders); null
                    when the source has none (IRVE)
    session_id      the source's id of the session, when it has one

``inventory`` — the points of charge an operator declares (IRVE *statique*):
    port_id         ``id_pdc_itinerance``
    station_id      ``id_station_itinerance``
    power_kw        ``puissance_nominale``, in kW
    opening_hours   ``horaires`` as written (``24/7``, OSM opening_hours …), parsed later
    commissioned    ``date_mise_en_service`` (null when not given)
    operator        ``nom_operateur`` (null when not given): ``--by operator`` groups by it

IRVE *dynamique* status rows go to ``port_events``: ``en_service`` with ``libre`` →
available, ``occupe`` → occupied, ``reserve`` → reserved, ``inconnu`` → available (in
service: docs/charging.md's rule 5); ``hors_service`` → unavailable; ``inconnu`` → unknown;
``raw_status`` keeps ``{etat_pdc}/{occupation_pdc}``. ``station_id`` is the row's
``id_station_itinerance``, else (the usual case) the port's id: the inventory joins ports
to stations.

``tickets`` — maintenance tickets (the operator's CSV/JSON): ticket_id, port_id and/or
station_id (a station ticket covers all its ports), severity (a rule set's SLA tier),
opened / acknowledged / resolved / closed (UTC; null when not yet), cause (the NEVI excluded
causes ``utility_outage``, ``vehicle_fault``, ``scheduled_maintenance``, ``vandalism``,
``natural_disaster``, or the operator's own word), resolution (``remote`` | ``on_site``),
reopened (how many times).

``rejected`` — lines that could not be read at all: source, line, reason (a catalogue message
id), detail, text (the line's first 200 characters). Nothing is dropped silently: the other
lines (a tool's own notes, headers, blank lines) are counted per input in the summary.

OCPI 2.2.1 EVSE statuses become ``port_events`` (AVAILABLE → available, CHARGING → occupied,
BLOCKED → blocked, RESERVED → reserved, INOPERATIVE → unavailable, OUTOFORDER → faulted,
UNKNOWN → unknown; PLANNED and REMOVED, no service state, → unknown with the raw status kept:
charging/ocpi.py), OCPI CDRs ``sessions``; T/CEC 102 connector codes become ``port_events``
(0 offline, 1 available, 2 and 3 occupied, 4 reserved, 255 faulted: charging/tcec.py), its
charge orders ``sessions``.
"""

from __future__ import annotations

from typing import Final, Literal

import pyarrow as pa

__all__ = [
    "FRAMES",
    "INVENTORY",
    "OCPP_STATES",
    "PORT_EVENTS",
    "REJECTED",
    "SESSIONS",
    "STATES",
    "STATION_EVENTS",
    "TABLES",
    "TICKETS",
    "TRANSACTION_EVENTS",
    "State",
    "port_id",
    "port_state",
]

#: a port's state; ``blocked`` is OCPI's BLOCKED (the bay is obstructed), which OCPP never
#: reports — rule sets decide how each state counts (charging/rules.py)
State = Literal["available", "occupied", "reserved", "faulted", "unavailable", "offline",
                "unknown", "blocked"]
STATES: Final[tuple[State, ...]] = ("available", "occupied", "reserved", "faulted",
                                    "unavailable", "offline", "unknown", "blocked")

#: OCPP 1.6 ``status`` and 2.0.1/2.1 ``connectorStatus`` to the seven states
OCPP_STATES: Final[dict[str, State]] = {
    "Available": "available",
    "Preparing": "occupied",
    "Charging": "occupied",
    "SuspendedEV": "occupied",
    "SuspendedEVSE": "occupied",
    "Finishing": "occupied",
    "Occupied": "occupied",
    "Reserved": "reserved",
    "Faulted": "faulted",
    "Unavailable": "unavailable",
}

_TS = pa.timestamp("ms", tz="UTC")
_SOURCE = [pa.field("source", pa.string(), nullable=False),
           pa.field("line", pa.int64(), nullable=False)]

FRAMES = pa.schema([
    pa.field("ts", _TS),
    pa.field("charge_point_id", pa.string(), nullable=False),
    pa.field("direction", pa.string(), nullable=False),
    pa.field("message_type", pa.string(), nullable=False),
    pa.field("message_id", pa.string(), nullable=False),
    pa.field("action", pa.string()),
    pa.field("payload", pa.string()),
    pa.field("ocpp_version", pa.string(), nullable=False),
    pa.field("valid", pa.bool_()),
    pa.field("problem", pa.string()),
    *_SOURCE,
])

PORT_EVENTS = pa.schema([
    pa.field("ts", _TS),
    pa.field("logged_ts", _TS),
    pa.field("station_id", pa.string(), nullable=False),
    pa.field("port_id", pa.string(), nullable=False),
    pa.field("evse_id", pa.int64()),
    pa.field("connector_id", pa.int64()),
    pa.field("station_wide", pa.bool_(), nullable=False),
    pa.field("state", pa.string(), nullable=False),
    pa.field("raw_status", pa.string()),
    pa.field("error_code", pa.string()),
    *_SOURCE,
])

TRANSACTION_EVENTS = pa.schema([
    pa.field("ts", _TS),
    pa.field("logged_ts", _TS),
    pa.field("station_id", pa.string(), nullable=False),
    pa.field("port_id", pa.string()),
    pa.field("transaction_id", pa.string()),
    pa.field("event", pa.string(), nullable=False),
    pa.field("trigger_reason", pa.string()),
    pa.field("charging_state", pa.string()),
    pa.field("stopped_reason", pa.string()),
    pa.field("energy_wh", pa.float64()),
    pa.field("id_token_sha256", pa.string()),
    pa.field("offline", pa.bool_()),
    pa.field("seq_no", pa.int64()),
    *_SOURCE,
])

STATION_EVENTS = pa.schema([
    pa.field("ts", _TS),
    pa.field("station_id", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("detail", pa.string()),
    *_SOURCE,
])

SESSIONS = pa.schema([
    pa.field("port_id", pa.string(), nullable=False),
    pa.field("start", _TS, nullable=False),
    pa.field("end", _TS, nullable=False),
    pa.field("duration_s", pa.float64(), nullable=False),
    pa.field("energy_wh", pa.float64()),
    pa.field("stop_reason", pa.string()),
    pa.field("session_id", pa.string()),
    *_SOURCE,
])

INVENTORY = pa.schema([
    pa.field("port_id", pa.string(), nullable=False),
    pa.field("station_id", pa.string(), nullable=False),
    pa.field("power_kw", pa.float64(), nullable=False),
    pa.field("opening_hours", pa.string()),
    pa.field("commissioned", pa.date32()),
    pa.field("operator", pa.string()),
    *_SOURCE,
])

TICKETS = pa.schema([
    pa.field("ticket_id", pa.string(), nullable=False),
    pa.field("port_id", pa.string()),
    pa.field("station_id", pa.string()),
    pa.field("severity", pa.string()),
    pa.field("opened", _TS, nullable=False),
    pa.field("acknowledged", _TS),
    pa.field("resolved", _TS),
    pa.field("closed", _TS),
    pa.field("cause", pa.string()),
    pa.field("resolution", pa.string()),
    pa.field("reopened", pa.int64(), nullable=False),
    *_SOURCE,
])

REJECTED = pa.schema([
    *_SOURCE,
    pa.field("reason", pa.string(), nullable=False),
    pa.field("detail", pa.string()),
    pa.field("text", pa.string()),
])

#: the tables in the order they are written and summarised
TABLES: Final[dict[str, pa.Schema]] = {
    "frames": FRAMES,
    "port_events": PORT_EVENTS,
    "transaction_events": TRANSACTION_EVENTS,
    "station_events": STATION_EVENTS,
    "sessions": SESSIONS,
    "inventory": INVENTORY,
    "tickets": TICKETS,
    "rejected": REJECTED,
}


def port_state(raw_status: str | None) -> State:
    """The state of an OCPP status; a status OCPP does not define is ``unknown``, kept with
    its raw text rather than guessed."""
    return OCPP_STATES.get(raw_status or "", "unknown")


def port_id(station_id: str, connector_id: object, evse_id: object = None) -> str:
    """A port's id: ``{station}:{connector}`` (1.6, no EVSE) or ``{station}:{evse}:{connector}``
    (2.0.1, 2.1) — the one spelling the tables, the live state and the alerts share."""
    if evse_id is None:
        return f"{station_id}:{connector_id}"
    return f"{station_id}:{evse_id}:{connector_id}"
