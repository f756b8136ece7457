"""The registry's first schema: cells, dossier versions, results, evidence, certificates,
API keys and the hash-chained audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SHA256 = sa.String(64)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cells",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.String(200), nullable=False, unique=True),
        sa.Column("manufacturer", sa.String(500), nullable=True),
        sa.Column("model", sa.String(500), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "dossier_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cell_id", sa.Integer(), sa.ForeignKey("cells.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("cell_id", "version"),
    )
    op.create_index("ix_dossier_versions_cell_id", "dossier_versions", ["cell_id"])
    op.create_table(
        "results",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("cell_id", sa.Integer(), sa.ForeignKey("cells.id"), nullable=False),
        sa.Column("dossier_version_id", sa.Integer(), sa.ForeignKey("dossier_versions.id"),
                  nullable=False),
        sa.Column("ruleset", sa.String(100), nullable=False),
        sa.Column("solidcheck_version", sa.String(50), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("electrolyte_type", sa.String(40), nullable=True),
        sa.Column("conducting_ion", sa.String(40), nullable=True),
        sa.Column("application", sa.String(40), nullable=True),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_results_cell_id", "results", ["cell_id"])
    op.create_index("ix_results_search", "results",
                    ["category", "electrolyte_type", "conducting_ion"])
    op.create_table(
        "evidence_files",
        sa.Column("sha256", SHA256, primary_key=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "cell_evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cell_id", sa.Integer(), sa.ForeignKey("cells.id"), nullable=False),
        sa.Column("sha256", SHA256, sa.ForeignKey("evidence_files.sha256"), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("reader", sa.String(60), nullable=True),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("cell_id", "sha256", "filename"),
    )
    op.create_index("ix_cell_evidence_cell_id", "cell_evidence", ["cell_id"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("result_id", sa.String(32), sa.ForeignKey("results.id"), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("issuer_fingerprint", sa.String(100), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_certificates_result_id", "certificates", ["result_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("secret_sha256", SHA256, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", SHA256, nullable=False),
        sa.Column("entry_hash", SHA256, nullable=False),
    )
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", SHA256, nullable=False),
    )
    op.bulk_insert(sa.table("chain_head", sa.column("id", sa.Integer()),
                            sa.column("seq", sa.Integer()), sa.column("entry_hash", SHA256)),
                   [{"id": 1, "seq": 0, "entry_hash": "0" * 64}])


def downgrade() -> None:
    for table in ("chain_head", "audit_log", "api_keys", "certificates", "cell_evidence",
                  "evidence_files", "results", "dossier_versions", "cells"):
        op.drop_table(table)
