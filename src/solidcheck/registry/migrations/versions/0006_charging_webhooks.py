"""Webhook targets of the live alerts and their delivery log (issue 17 item 3).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "charging_webhooks",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("kinds", sa.JSON, nullable=True),
        sa.Column("min_severity", sa.String(40), nullable=True),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "charging_webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(12), nullable=False),
        sa.Column("delivery_id", sa.String(32), nullable=False),
        sa.Column("alert_id", sa.String(200), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("delivered_at", TIME, nullable=True),
        sa.Column("body", sa.Text, nullable=True),
    )
    op.create_index("ix_charging_webhook_deliveries_due", "charging_webhook_deliveries",
                    ["webhook_id", "next_attempt_at"])
    op.create_index("ix_charging_webhook_deliveries_delivery", "charging_webhook_deliveries",
                    ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_charging_webhook_deliveries_delivery", "charging_webhook_deliveries")
    op.drop_index("ix_charging_webhook_deliveries_due", "charging_webhook_deliveries")
    op.drop_table("charging_webhook_deliveries")
    op.drop_table("charging_webhooks")
