"""trips keep the departure their arrival window counts from (planned, then the gate-out)

Until the yard plans one, a sealed truck waiting in the yard is not overdue. Trips stored
before take their truck visit's planned departure; a trip already on the road or closed
without one takes its arming (the window it was held to). A trip in the yard without a plan
stays without one: it is waiting, as the new rule has it.

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
    op.execute(
        "UPDATE trips SET departs_at = (SELECT MAX(v.departure_at) FROM truck_visits v"
        " WHERE v.declaration_id = trips.declaration_id)"
    )
    op.execute(
        "UPDATE trips SET departs_at = armed_at WHERE departs_at IS NULL AND state <> 'in_yard'"
    )


def downgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.drop_column("departs_at")
