"""yard layout versions and port closures in the database

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import landport.adapters.db.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "yard_layout_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("yard_id", sa.String(length=40), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column(
            "changed_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yard_layout_versions")),
    )
    op.create_table(
        "port_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("port_id", sa.String(length=40), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "added_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_port_closures")),
    )
    with op.batch_alter_table("port_closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_port_closures_port_id"), ["port_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("port_closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_port_closures_port_id"))

    op.drop_table("port_closures")
    op.drop_table("yard_layout_versions")
