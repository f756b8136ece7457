"""Live alerts and state of the OCPP endpoint (issue 17 item 2): the alerts as they now are,
every alert change in order (the SSE event ids), each station's and port's last state.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "charging_alerts",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(40), nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("port_id", sa.String(100), nullable=True),
        sa.Column("raised_at", TIME, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("code", sa.String(200), nullable=True),
        sa.Column("chargex_code", sa.String(40), nullable=True),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("resolved_at", TIME, nullable=True),
    )
    op.create_index("ix_charging_alerts_raised", "charging_alerts", ["raised_at", "id"])
    op.create_index("ix_charging_alerts_station", "charging_alerts", ["station_id", "raised_at"])
    op.create_index("ix_charging_alerts_port", "charging_alerts", ["port_id", "raised_at"])
    op.create_index("ix_charging_alerts_kind", "charging_alerts", ["kind", "severity"])
    op.create_index("ix_charging_alerts_resolved", "charging_alerts", ["resolved_at"])
    op.create_table(
        "charging_alert_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(16), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("alert", sa.JSON, nullable=False),
    )
    op.create_index("ix_charging_alert_events_alert_id", "charging_alert_events", ["alert_id"])
    op.create_table(
        "charging_station_state",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("connected", sa.Boolean, nullable=False),
        sa.Column("last_message_at", TIME, nullable=True),
        sa.Column("heartbeat_interval_s", sa.Float, nullable=True),
        sa.Column("vendor", sa.String(200), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("firmware", sa.String(200), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "charging_port_state",
        sa.Column("port_id", sa.String(100), primary_key=True),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("state", sa.String(40), nullable=True),
        sa.Column("raw_status", sa.String(100), nullable=True),
        sa.Column("error_code", sa.String(100), nullable=True),
        sa.Column("charging", sa.Boolean, nullable=False),
        sa.Column("since", TIME, nullable=False),
    )
    op.create_index("ix_charging_port_state_station_id", "charging_port_state", ["station_id"])


def downgrade() -> None:
    for table in ("charging_port_state", "charging_station_state", "charging_alert_events",
                  "charging_alerts"):
        op.drop_table(table)
