"""Ownership and trust: a cell belongs to the lab that created it (grants let others write),
API keys act for an organisation, the registry keeps its own list of trusted certificate
issuers, a cell has a revision number and a look-alike key for its id, and each dossier
version its own manufacturer and model (what a reader who may not see a newer, unpublished
version is shown).

Existing rows: a key's organisation is its name; a cell's owner is the organisation of the
key that stored its first version (None when that was the command line: admins only);
every cell starts at revision 1.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
_KEY_ACTOR = re.compile(r"key:([0-9a-f]{12}) ")


def upgrade() -> None:
    from solidcheck.registry.identity import id_skeleton

    op.create_table(
        "cell_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cell_id", sa.Integer(), sa.ForeignKey("cells.id"), nullable=False),
        sa.Column("lab", sa.String(200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("cell_id", "lab"),
    )
    op.create_index("ix_cell_grants_cell_id", "cell_grants", ["cell_id"])
    op.create_table(
        "trusted_issuers",
        sa.Column("fingerprint", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("public_key", sa.String(100), nullable=True),
        sa.Column("added_at", TIME, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("removed_at", TIME, nullable=True),
    )
    # Added NOT NULL with a default and filled in below: SQLite adds such a column in place
    # (a batch rebuild of ``cells`` would break the foreign keys that point at it).
    op.add_column("api_keys", sa.Column("organisation", sa.String(200), nullable=False,
                                        server_default=""))
    op.add_column("cells", sa.Column("id_skeleton", sa.String(400), nullable=False,
                                     server_default=""))
    op.add_column("cells", sa.Column("owner", sa.String(200), nullable=True))
    op.add_column("cells", sa.Column("revision", sa.Integer(), nullable=False,
                                     server_default="1"))
    op.add_column("certificates", sa.Column("issuer_name", sa.String(200), nullable=True))
    op.add_column("dossier_versions", sa.Column("manufacturer", sa.String(500), nullable=True))
    op.add_column("dossier_versions", sa.Column("model", sa.String(500), nullable=True))

    connection = op.get_bind()
    connection.execute(sa.text("UPDATE api_keys SET organisation = name"))
    organisation_of: dict[str, str] = dict(connection.execute(sa.text(
        "SELECT id, organisation FROM api_keys")).all())
    first_writer: dict[int, str] = dict(connection.execute(sa.text(
        "SELECT cell_id, created_by FROM dossier_versions WHERE version = 1")).all())
    for cell_pk, dossier_id in connection.execute(sa.text("SELECT id, dossier_id FROM cells"))\
            .all():
        match = _KEY_ACTOR.match(str(first_writer.get(cell_pk, "")))
        owner = organisation_of.get(match.group(1)) if match else None
        connection.execute(sa.text("UPDATE cells SET id_skeleton = :skeleton, owner = :owner "
                                   "WHERE id = :id"),
                           {"skeleton": id_skeleton(dossier_id), "owner": owner, "id": cell_pk})

    for version_pk, content in connection.execute(sa.text(
            "SELECT id, content FROM dossier_versions")).all():
        data = json.loads(content) if isinstance(content, str | bytes) else content
        connection.execute(sa.text("UPDATE dossier_versions SET manufacturer = :manufacturer, "
                                   "model = :model WHERE id = :id"),
                           {"manufacturer": data.get("manufacturer"),
                            "model": data.get("model"), "id": version_pk})

    if connection.dialect.name != "sqlite":  # the defaults were only for the rows there
        for table, column in (("api_keys", "organisation"), ("cells", "id_skeleton"),
                              ("cells", "revision")):
            op.alter_column(table, column, server_default=None)
    op.create_index("ix_cells_id_skeleton", "cells", ["id_skeleton"])
    op.create_index("ix_certificates_sha256", "certificates", ["sha256"])


def downgrade() -> None:
    for column in ("model", "manufacturer"):
        op.drop_column("dossier_versions", column)
    op.drop_index("ix_certificates_sha256", "certificates")
    op.drop_index("ix_cells_id_skeleton", "cells")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("issuer_name")
    with op.batch_alter_table("cells") as batch:
        for column in ("revision", "owner", "id_skeleton"):
            batch.drop_column(column)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("organisation")
    op.drop_table("trusted_issuers")
    op.drop_index("ix_cell_grants_cell_id", "cell_grants")
    op.drop_table("cell_grants")
