"""Tickets that close the loop (issue 17 item 4): each ticket as it now is, and every step of
it with its actor and time.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "charging_tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("port_id", sa.String(100), nullable=True),
        sa.Column("severity", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("verified_at", TIME, nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("acknowledge_due_at", TIME, nullable=False),
        sa.Column("repair_due_at", TIME, nullable=False),
        sa.Column("healthy_since", TIME, nullable=True),
        sa.Column("alert_ids", sa.JSON(), nullable=False),
        sa.Column("open_alert_ids", sa.JSON(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("previous_ticket_id", sa.String(32), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("cause_code", sa.String(40), nullable=True),
        sa.Column("resolution", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
    )
    for column in ("station_id", "port_id", "severity", "status", "opened_at"):
        op.create_index(f"ix_charging_tickets_{column}", "charging_tickets", [column])
    op.create_table(
        "charging_ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(32), sa.ForeignKey("charging_tickets.id"),
                  nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_charging_ticket_events_ticket_id", "charging_ticket_events",
                    ["ticket_id"])


def downgrade() -> None:
    op.drop_table("charging_ticket_events")
    op.drop_table("charging_tickets")
