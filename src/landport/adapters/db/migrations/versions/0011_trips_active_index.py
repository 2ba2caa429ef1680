"""index the active trips (partial): the nightly purge keeps their positions, consoles list them

Without it every purge batch read the whole trips table, which grows by a port's every trip;
newest first (`armed_at`), a console's page of active trips is a walk of this index alone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trips_active",
            ["armed_at", "id"],
            unique=False,
            sqlite_where=sa.text("active IS 1"),
            postgresql_where=sa.text("active IS true"),
        )


def downgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.drop_index("ix_trips_active")
