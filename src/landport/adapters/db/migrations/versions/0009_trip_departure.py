"""trips keep the departure their arrival window counts from (planned, then the gate-out)

Until the yard plans one, a sealed truck waiting in the yard is not overdue. Trips stored
before kept a window counted from the arming: that is their departure here, so they are
held to their windows as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import landport.adapters.db.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "departs_at",
                landport.adapters.db.tables.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
    op.execute("UPDATE trips SET departs_at = armed_at")


def downgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.drop_column("departs_at")
