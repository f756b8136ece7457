"""The network's tables as operators publish them: France's IRVE *dynamique* statuses and
sessions (for the stations that report through IRVE), the IRVE *statique* inventory of every
port, and the maintenance tickets.

Written the way such files come in the world: the *dynamique* and session files `;`-separated
with a UTF-8 BOM and French local times (+01:00 in winter, +02:00 in summer), the session
energy with a decimal comma and some session ends in epoch milliseconds; the inventory a plain
CSV; ticket times with the operator's own offset (+08:00).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo

from .record import Network, Station

__all__ = ["DYNAMIQUE_HEADER", "SESSIONS_HEADER", "STATIQUE_HEADER", "TICKETS_HEADER",
           "dynamique_csv", "sessions_csv", "statique_csv", "tickets_csv"]

DYNAMIQUE_HEADER: Final = ("id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage",
                           "etat_prise_type_2", "etat_prise_type_combo_ccs",
                           "etat_prise_type_chademo", "etat_prise_type_ef")
SESSIONS_HEADER: Final = ("id_pdc_itinerance", "start", "end", "energy")
STATIQUE_HEADER: Final = ("id_pdc_itinerance", "id_station_itinerance", "nom_operateur",
                          "puissance_nominale", "horaires", "date_mise_en_service")
TICKETS_HEADER: Final = ("ticket_id", "port_id", "station_id", "severity", "opened",
                         "acknowledged", "resolved", "closed", "cause", "resolution",
                         "reopened")
_PARIS: Final = ZoneInfo("Europe/Paris")
_OPERATOR_ZONE: Final = timezone(timedelta(hours=8))
_BOM: Final = "\ufeff"
#: a socket's state in IRVE's etat_prise_type_* by the point's etat_pdc
_SOCKET: Final = {"en_service": "fonctionnel", "hors_service": "hors_service",
                  "inconnu": "inconnu"}
#: a rapid point's socket is CCS, a slower one's type 2
_RAPID_KW: Final = 50.0


def _paris(when: int) -> str:
    return datetime.fromtimestamp(when, _PARIS).isoformat()


def _text(rows: Sequence[Sequence[object]], header: tuple[str, ...], *, delimiter: str,
          bom: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (_BOM if bom else "") + out.getvalue()


def _irve(network: Network) -> list[Station]:
    return [station for station in network.stations if station.protocol == "irve"]


def dynamique_csv(network: Network) -> str | None:
    """Every status row of the IRVE stations, in time order; None when there are none."""
    stations = _irve(network)
    if not stations:
        return None
    rows: list[tuple[int, int, int, tuple[object, ...]]] = []
    for number, station in enumerate(stations):
        rapid = station.power_kw >= _RAPID_KW
        for when, order, kind, args in station.events:
            if kind != "irve_status":
                continue
            index, etat, occupation = args
            port = station.ports[int(str(index)) - 1]
            socket = _SOCKET[str(etat)]
            rows.append((when, number, order, (
                port.port_id, etat, occupation, _paris(when),
                "inconnu" if rapid else socket, socket if rapid else "inconnu",
                "inconnu", "inconnu")))
    rows.sort(key=lambda row: row[:3])
    return _text([row[3] for row in rows], DYNAMIQUE_HEADER, delimiter=";", bom=True)


def sessions_csv(network: Network) -> str | None:
    """The IRVE stations' sessions; every fourth ends in epoch milliseconds, as exports mix."""
    stations = _irve(network)
    if not stations:
        return None
    found = sorted((session.start_s, session.port_id, session)
                   for station in stations for port in station.ports
                   for session in port.sessions)
    rows = []
    for number, (_, _, session) in enumerate(found):
        end = str(session.end_s * 1000) if number % 4 == 3 else _paris(session.end_s)
        energy = f"{session.energy_wh // 1000},{session.energy_wh % 1000:03d}"
        rows.append((session.port_id, _paris(session.start_s), end, energy))
    return _text(rows, SESSIONS_HEADER, delimiter=";", bom=True)


def statique_csv(network: Network) -> str:
    """Every port of the network — OCPP and IRVE alike — with its station, operator, power,
    opening hours and commissioning date."""
    rows = [(port.port_id, station.station_id, station.operator, f"{station.power_kw:g}",
             station.opening_hours, station.commissioned.isoformat())
            for station in network.stations for port in station.ports]
    return _text(rows, STATIQUE_HEADER, delimiter=",", bom=False)


def tickets_csv(network: Network) -> str:
    """The tickets in the order they were opened; a step not taken yet is empty."""
    def when(value: int | None) -> str:
        if value is None:
            return ""
        return datetime.fromtimestamp(value, UTC).astimezone(_OPERATOR_ZONE).isoformat()

    rows = [(ticket.ticket_id, ticket.port_id or "", ticket.station_id, ticket.severity,
             when(ticket.opened_s), when(ticket.acknowledged_s), when(ticket.resolved_s),
             when(ticket.closed_s), ticket.cause or "", ticket.resolution or "",
             ticket.reopened) for ticket in network.tickets]
    return _text(rows, TICKETS_HEADER, delimiter=",", bom=False)
