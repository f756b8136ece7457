"""The live endpoint's state and alerts in the registry (issue 17 item 2): one write of a
batch of changes (the live writer's, web/live/writer.py) and the reads of the alerts API.

Not audit-logged: these rows mirror what the stations said (the frame log is their record),
so they are written without the chain head's lock and never wait for a cell's write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, and_, func, or_, select

from ...charging.live import Alert
from ...errors import NotFoundError
from ..schema import ChargingAlert, ChargingAlertEvent, ChargingPortState, ChargingStationState
from ._shared import aware, now, unchained_write

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["AlertFilter", "AlertStatus", "LiveBatch", "LiveMixin", "NumberedChange",
           "PortWrite", "status_of"]

AlertStatus = Literal["open", "acknowledged", "resolved", "all"]
_ALERT_COLUMNS = ("kind", "severity", "station_id", "port_id", "raised_at", "evidence", "code",
                  "chargex_code", "acknowledged_at", "resolved_at")


@dataclass(frozen=True, slots=True)
class PortWrite:
    port_id: str
    station_id: str
    state: str | None
    raw_status: str | None
    error_code: str | None
    charging: bool
    since: datetime


@dataclass(slots=True)
class LiveBatch:
    """What accumulated since the last commit: every alert change in order; each station's
    and port's latest values (a station's fields merged: only those given are written)."""

    alerts: list[tuple[str, Alert]] = field(default_factory=list)
    stations: dict[str, dict[str, Any]] = field(default_factory=dict)
    ports: dict[str, PortWrite] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.alerts or self.stations or self.ports)


@dataclass(frozen=True, slots=True)
class NumberedChange:
    """An alert change as committed: ``seq`` is its SSE event id."""

    seq: int
    event: str
    alert: Alert
    #: False when another server process committed it (web/live/relay.py): not sent on
    origin_local: bool = True


def status_of(alert: Alert) -> str:
    """open, acknowledged (not yet resolved) or resolved."""
    if alert.resolved_at is not None:
        return "resolved"
    return "open" if alert.acknowledged_at is None else "acknowledged"


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """The list's and the stream's filters; ``since`` inclusive, ``until`` exclusive."""

    kind: str | None = None
    severity: str | None = None
    station: str | None = None
    port: str | None = None
    status: AlertStatus = "all"
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, alert: Alert) -> bool:
        """The same test in memory, for the stream's live changes."""
        return ((self.kind is None or alert.kind == self.kind)
                and (self.severity is None or alert.severity == self.severity)
                and (self.station is None or alert.station_id == self.station)
                and (self.port is None or alert.port_id == self.port)
                and (self.status == "all" or status_of(alert) == self.status)
                and (self.since is None or alert.raised_at >= self.since)
                and (self.until is None or alert.raised_at < self.until))

    def where(self) -> list[ColumnElement[bool]]:
        row = ChargingAlert
        out: list[ColumnElement[bool]] = []
        for column, value in ((row.kind, self.kind), (row.severity, self.severity),
                              (row.station_id, self.station), (row.port_id, self.port)):
            if value is not None:
                out.append(column == value)
        if self.status == "open":
            out += [row.resolved_at.is_(None), row.acknowledged_at.is_(None)]
        elif self.status == "acknowledged":
            out += [row.resolved_at.is_(None), row.acknowledged_at.is_not(None)]
        elif self.status == "resolved":
            out.append(row.resolved_at.is_not(None))
        if self.since is not None:
            out.append(row.raised_at >= _utc(self.since))
        if self.until is not None:
            out.append(row.raised_at < _utc(self.until))
        return out


def _utc(value: datetime | None) -> datetime | None:
    """Stored in UTC (SQLite keeps no offset, so comparisons must be in one zone)."""
    return None if value is None else value.astimezone(UTC)


def _alert(row: ChargingAlert) -> Alert:
    return Alert(id=row.id, kind=row.kind, severity=row.severity,
                 station_id=row.station_id, port_id=row.port_id,
                 raised_at=aware(row.raised_at), evidence=row.evidence, code=row.code,
                 chargex_code=row.chargex_code,
                 acknowledged_at=row.acknowledged_at and aware(row.acknowledged_at),
                 resolved_at=row.resolved_at and aware(row.resolved_at))


def _put_alert(session: Session, alert: Alert) -> None:
    values = {name: getattr(alert, name) for name in _ALERT_COLUMNS}
    for name in ("raised_at", "acknowledged_at", "resolved_at"):
        values[name] = _utc(values[name])
    row = session.get(ChargingAlert, alert.id)  # autoflushes: a second change finds the first
    if row is None:
        session.add(ChargingAlert(id=alert.id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def _put_station(session: Session, station_id: str, values: dict[str, Any],
                 at: datetime) -> None:
    row = session.get(ChargingStationState, station_id)
    values = {k: _utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
    if row is None:
        session.add(ChargingStationState(station_id=station_id, updated_at=at,
                                         **{"connected": True, **values}))
        return
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = at


def _put_port(session: Session, port: PortWrite) -> None:
    row = session.get(ChargingPortState, port.port_id)
    values = {"station_id": port.station_id, "state": port.state,
              "raw_status": port.raw_status, "error_code": port.error_code,
              "charging": port.charging, "since": _utc(port.since)}
    if row is None:
        session.add(ChargingPortState(port_id=port.port_id, **values))
        return
    for name, value in values.items():
        setattr(row, name, value)


def _columns(row: Any) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in row.__table__.c}


class LiveMixin:
    """The live tables' operations of ``Registry``."""

    if TYPE_CHECKING:
        _write: sessionmaker[Session]

        def _reading(self) -> AbstractContextManager[Session]: ...


    def write_live(self, batch: LiveBatch) -> list[NumberedChange]:
        """One transaction of a batch; the alert changes with their event numbers."""
        at = now()
        with unchained_write(self._write) as session:
            for station_id, values in batch.stations.items():
                _put_station(session, station_id, values, at)
            for port in batch.ports.values():
                _put_port(session, port)
            events = []
            for event, alert in batch.alerts:
                _put_alert(session, alert)
                row = ChargingAlertEvent(alert_id=alert.id, event=event, at=at,
                                         alert=alert.model_dump(mode="json"))
                session.add(row)
                events.append((row, event, alert))
            session.flush()
            return [NumberedChange(row.seq, event, alert) for row, event, alert in events]

    def open_live_alerts(self) -> list[Alert]:
        """The alerts not resolved (to restore into a restarted engine), oldest first."""
        with self._reading() as session:
            rows = session.scalars(select(ChargingAlert)
                                   .where(ChargingAlert.resolved_at.is_(None))
                                   .order_by(ChargingAlert.raised_at))
            return [_alert(row) for row in rows]

    def list_alerts(self, where: AlertFilter, *, limit: int,
                    after: tuple[datetime, str] | None = None
                    ) -> tuple[list[Alert], int, tuple[datetime, str] | None]:
        """Newest first: a page, the number matching, and the key of the next page."""
        row = ChargingAlert
        conditions = where.where()
        page = list(conditions)
        if after is not None:
            at = _utc(after[0])
            page.append(or_(row.raised_at < at, and_(row.raised_at == at, row.id < after[1])))
        with self._reading() as session:
            total = session.scalar(select(func.count()).select_from(row).where(*conditions))
            rows = list(session.scalars(select(row).where(*page)
                                        .order_by(row.raised_at.desc(), row.id.desc())
                                        .limit(limit + 1)))
            alerts = [_alert(r) for r in rows[:limit]]
        more = len(rows) > limit
        return alerts, total or 0, (alerts[-1].raised_at, alerts[-1].id) if more else None

    def get_alert(self, alert_id: str) -> Alert:
        with self._reading() as session:
            row = session.get(ChargingAlert, alert_id)
            if row is None:
                raise NotFoundError(f"no charging alert {alert_id!r}")
            return _alert(row)

    def alert_events_after(self, seq: int, *, limit: int) -> list[NumberedChange]:
        """The alert changes committed after event ``seq``, in order."""
        with self._reading() as session:
            rows = session.scalars(select(ChargingAlertEvent)
                                   .where(ChargingAlertEvent.seq > seq)
                                   .order_by(ChargingAlertEvent.seq).limit(limit))
            return [NumberedChange(r.seq, r.event, Alert.model_validate(r.alert))
                    for r in rows]

    def live_states(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every station's and port's stored state (column → value), by id."""
        with self._reading() as session:
            stations = [_columns(r) for r in session.scalars(
                select(ChargingStationState).order_by(ChargingStationState.station_id))]
            ports = [_columns(r) for r in session.scalars(
                select(ChargingPortState).order_by(ChargingPortState.port_id))]
        return stations, ports
