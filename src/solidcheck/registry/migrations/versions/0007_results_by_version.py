"""An index of results by dossier version, rule set and time (issue 20).

Why: every list of cells (``GET /v1/cells``, the search desk, export) looks up each cell's
latest result under a rule set by its dossier version; without this index each look-up read
every result, and a page of 3,000 cells took 104 s on SQLite.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_results_version_ruleset", "results",
                    ["dossier_version_id", "ruleset", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_results_version_ruleset", table_name="results")
