"""JT/T 808 terminals get an auth code of their own at registration, kept only as a hash

The gateway used to answer every registration (0x0100) with the seal's secret as the auth
code. Now the first registration gets a fresh random code, of which only the hash is kept
here, and a terminal already registered is refused until an officer resets it. No row is
carried over: the old codes were handed to anyone who asked, so every JT/T 808 lock
registers once more after this upgrade.

Terminal numbers are now stored as the gateway reads them from a frame header (digits,
leading zeros dropped), and the gateway finds a seal by its terminal number only: JT/T 808
seals registered with a zero-padded number, or without one under an all-digit seal id,
take that normalised number (unless another seal already has it).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

import landport.adapters.db.tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_DIGITS = re.compile(r"[0-9]{1,20}")


def upgrade() -> None:
    op.create_table(
        "jt808_registrations",
        sa.Column("seal_id", sa.String(length=40), nullable=False),
        sa.Column("auth_code_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "registered_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["seal_id"],
            ["seals.seal_id"],
            name=op.f("fk_jt808_registrations_seal_id_seals"),
        ),
        sa.PrimaryKeyConstraint("seal_id", name=op.f("pk_jt808_registrations")),
    )
    _normalise_terminal_numbers()


def _normalise_terminal_numbers() -> None:
    conn = op.get_bind()
    seals = sa.table("seals", sa.column("seal_id"), sa.column("protocol"), sa.column("terminal_id"))
    rows = conn.execute(sa.select(seals.c.seal_id, seals.c.protocol, seals.c.terminal_id)).all()
    taken = {terminal for _, _, terminal in rows if terminal is not None}
    for seal_id, protocol, terminal in rows:
        if protocol != "jt808":
            continue
        number = terminal if terminal is not None else seal_id
        if not _DIGITS.fullmatch(number):
            continue
        normalised = number.lstrip("0") or "0"
        if normalised == terminal or normalised in taken:
            continue
        conn.execute(
            sa.update(seals).where(seals.c.seal_id == seal_id).values(terminal_id=normalised)
        )
        taken.discard(terminal)
        taken.add(normalised)


def downgrade() -> None:
    op.drop_table("jt808_registrations")
