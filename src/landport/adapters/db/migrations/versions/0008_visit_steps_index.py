"""index visit steps by status and time: the live scan queue counts recent scan-lane steps

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit_steps", schema=None) as batch_op:
        batch_op.create_index("ix_visit_steps_status_at", ["status", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_steps_status_at")
