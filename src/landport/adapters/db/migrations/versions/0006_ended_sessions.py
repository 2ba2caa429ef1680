"""browser sessions ended by logging out

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import landport.adapters.db.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column(
            "ended_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_ended_sessions")),
    )
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ended_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_sessions_expires_at"))
    op.drop_table("ended_sessions")
