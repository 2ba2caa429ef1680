"""one active trip per declaration, kept by the database

Arming takes the declaration's row first, so two officers arming two e-locks on one
declaration at once cannot both find it without a trip. This index is the backstop: at most
one active trip (an armed e-lock) per declaration. A database that already holds two active
trips of one declaration is named and left as it is: an officer must take one e-lock off
(the trip ends as unsealed) before the upgrade can go on.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    doubled = op.get_bind().execute(
        sa.text(
            "SELECT declaration_id FROM trips WHERE active GROUP BY declaration_id "
            "HAVING count(*) > 1 ORDER BY declaration_id"
        )
    )
    names = [str(row[0]) for row in doubled]
    if names:
        raise RuntimeError(
            "these declarations have more than one armed e-lock; take the extra e-locks off "
            f"(POST /api/v1/trips/<id>/unseal) before upgrading: {', '.join(names)}"
        )
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.create_index(
            "uq_trips_one_active_per_declaration",
            ["declaration_id"],
            unique=True,
            sqlite_where=sa.text("active IS 1"),
            postgresql_where=sa.text("active IS true"),
        )


def downgrade() -> None:
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.drop_index("uq_trips_one_active_per_declaration")
