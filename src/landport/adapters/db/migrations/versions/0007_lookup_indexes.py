"""indexes for lookups that grew with the history: trips by state, visits by declaration
and by departure

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.create_index("ix_trips_state", ["state"], unique=False)
    with op.batch_alter_table("truck_visits", schema=None) as batch_op:
        batch_op.create_index("ix_truck_visits_declaration", ["declaration_id"], unique=False)
        batch_op.create_index("ix_truck_visits_departure", ["departure_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("truck_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_truck_visits_departure")
        batch_op.drop_index("ix_truck_visits_declaration")
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.drop_index("ix_trips_state")
