"""dead letters carry a digest of their topic and payload, unique: a message redelivered
after a crash between the commit and the broker's acknowledgement (or sent twice) is kept
once, as positions are; letters kept before have none

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telemetry_rejects") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_telemetry_rejects_digest", ["digest"])


def downgrade() -> None:
    with op.batch_alter_table("telemetry_rejects") as batch:
        batch.drop_constraint("uq_telemetry_rejects_digest", type_="unique")
        batch.drop_column("digest")
