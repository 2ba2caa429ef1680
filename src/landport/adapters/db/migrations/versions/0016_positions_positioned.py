"""positions keep whether the fix had a satellite position in a column of their own

A report without a GNSS fix was stored with "-nf" after its source ("jt808-nf"), in a column
of eight characters: any longer source could not be marked. positions.positioned is now
false for those rows (true by default, as every other fix), and their source is the one the
channel gave ("jt808"). A downgrade writes the mark back.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: The mark the source carried (the old `position_store.NO_FIX_MARK`).
_MARK = "-nf"
_positions = sa.table(
    "positions", sa.column("source", sa.String()), sa.column("positioned", sa.Boolean())
)


def upgrade() -> None:
    op.add_column(
        "positions",
        sa.Column("positioned", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    source = _positions.c.source
    unmarked = sa.func.substr(source, 1, sa.func.length(source) - len(_MARK))
    op.execute(
        sa.update(_positions)
        .where(source.endswith(_MARK, autoescape=True))
        .values(positioned=False, source=unmarked)
    )


def downgrade() -> None:
    c = _positions.c
    op.execute(
        sa.update(_positions).where(c.positioned.is_(False)).values(source=c.source.concat(_MARK))
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("positioned")
