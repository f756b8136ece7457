"""Charging stations registered for the live OCPP endpoint (issue 17, security profile 1):
registering one makes its password (returned once; only its SHA-256 is kept, as for API
keys: 240 random bits need no slow hash), listing, removing, and checking a password at the
WebSocket handshake. Each change is an entry of the audit log."""

from __future__ import annotations

import hmac
import re
import secrets
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlalchemy import select

from ...errors import InvalidInputError, NotFoundError, Problem
from ..records import StationRecord
from ..schema import ChargingStation
from . import audit_log
from ._shared import aware, now, sha256_hex

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..schema import ChainHead

__all__ = ["CHARGE_POINT_ID", "StationsMixin", "checked_station"]

#: an identity that is one URL path segment as it stands: OCPP 2.0.1 allows 48 characters
CHARGE_POINT_ID = re.compile(r"[A-Za-z0-9._-]{1,48}")
#: OCPP's BasicAuthPassword is at most 40 characters; 30 random bytes are 40 in base64url
_PASSWORD_BYTES = 30
#: compared against when the station is unknown, so both refusals take the same work
_NO_STATION_HASH = sha256_hex(b"")


def checked_station(charge_point_id: str, *, name: str, station: str | None) -> None:
    """Every problem of a registration at once (InvalidInputError), or nothing."""
    problems = []
    if not CHARGE_POINT_ID.fullmatch(charge_point_id):
        problems.append(Problem("id", f"{charge_point_id!r} is not 1–48 letters, digits, '.', "
                                "'_' or '-'", "use the identity the station sends in its "
                                "WebSocket URL"))
    for field, value in (("--name", name), ("--station", station)):
        if value is not None and (len(value) > 200 or not value.isprintable()):
            problems.append(Problem(field, "over 200 characters or with control characters",
                                    "shorten it"))
    if problems:
        raise InvalidInputError(problems)


def _record(row: ChargingStation) -> StationRecord:
    return StationRecord(charge_point_id=row.charge_point_id, name=row.name,
                         station=row.station, created_at=aware(row.created_at),
                         created_by=row.created_by)


class StationsMixin:
    """The station operations of ``Registry`` (one transaction each)."""

    if TYPE_CHECKING:
        def _reading(self) -> AbstractContextManager[Session]: ...
        def _writing(self) -> AbstractContextManager[tuple[Session, ChainHead]]: ...

    def add_station(self, charge_point_id: str, *, actor: str, name: str = "",
                    station: str | None = None) -> tuple[StationRecord, str]:
        """Register a station; its password is returned once. An id already registered is
        refused (remove it first: a new password is a deliberate act)."""
        name = name.strip() or charge_point_id
        checked_station(charge_point_id, name=name, station=station)
        password = secrets.token_urlsafe(_PASSWORD_BYTES)
        with self._writing() as (session, head):
            if session.get(ChargingStation, charge_point_id) is not None:
                raise InvalidInputError([Problem(
                    "id", f"{charge_point_id} is already registered",
                    f"`solidcheck charging stations remove {charge_point_id}` first to give "
                    "it a new password")])
            row = ChargingStation(charge_point_id=charge_point_id, name=name,
                                  station=station, password_sha256=sha256_hex(password.encode()),
                                  created_at=now(), created_by=actor)
            session.add(row)
            session.flush()
            audit_log.append(session, head, actor=actor, action="station.add",
                             subject=charge_point_id, details={"name": name,
                                                               "station": station})
            return _record(row), password

    def remove_station(self, charge_point_id: str, *, actor: str) -> StationRecord:
        with self._writing() as (session, head):
            row = session.get(ChargingStation, charge_point_id)
            if row is None:
                raise NotFoundError(f"no charging station {charge_point_id!r}")
            record = _record(row)
            session.delete(row)
            audit_log.append(session, head, actor=actor, action="station.remove",
                             subject=charge_point_id, details={})
            return record

    def list_stations(self) -> list[StationRecord]:
        with self._reading() as session:
            rows = session.scalars(select(ChargingStation)
                                   .order_by(ChargingStation.charge_point_id))
            return [_record(row) for row in rows]

    def station_password_matches(self, charge_point_id: str, password: str) -> bool:
        """Whether ``password`` is the registered station's (False when it is unknown)."""
        with self._reading() as session:
            row = session.get(ChargingStation, charge_point_id)
        stored = row.password_sha256 if row is not None else _NO_STATION_HASH
        matches = hmac.compare_digest(stored, sha256_hex(password.encode()))
        return row is not None and matches
