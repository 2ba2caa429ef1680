"""alerts are indexed by state and closing time: the big screen lists the alerts handled in
the last hours, and without it every ended alert ever stored was read to find them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_alerts_state_closed", "alerts", ["state", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_state_closed", table_name="alerts")
