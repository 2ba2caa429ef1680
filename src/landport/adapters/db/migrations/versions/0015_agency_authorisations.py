"""customs brokers declare for their clients under a recorded authorisation

A consignor's written authorisation (代理报关委托书) for a customs broker (报关企业) is kept
in agency_authorisations: who authorised whom, the Beijing dates it is valid on, who
recorded it, and its revocation; CHECK constraints keep a consignor from authorising
itself and a validity from ending before it starts. A declaration keeps the broker that
lodged it as agent in declarations.declaring_agent_uscc; declarations stored before this
upgrade were lodged by their consignor's declarants and keep NULL there.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import landport.adapters.db.tables

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_authorisations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("consignor_uscc", sa.String(length=18), nullable=False),
        sa.Column("agent_uscc", sa.String(length=18), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column(
            "recorded_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "revoked_at", landport.adapters.db.tables.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consignor_uscc"],
            ["enterprises.uscc"],
            name=op.f("fk_agency_authorisations_consignor_uscc_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_uscc"],
            ["enterprises.uscc"],
            name=op.f("fk_agency_authorisations_agent_uscc_enterprises"),
        ),
        sa.CheckConstraint(
            "consignor_uscc <> agent_uscc",
            name=op.f("ck_agency_authorisations_agent_not_consignor"),
        ),
        sa.CheckConstraint(
            "valid_from <= valid_to",
            name=op.f("ck_agency_authorisations_valid_from_not_after_valid_to"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_authorisations")),
    )
    with op.batch_alter_table("agency_authorisations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agency_authorisations_pair", ["consignor_uscc", "agent_uscc"], unique=False
        )
        batch_op.create_index("ix_agency_authorisations_agent", ["agent_uscc"], unique=False)
    op.add_column(
        "declarations", sa.Column("declaring_agent_uscc", sa.String(length=18), nullable=True)
    )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_declarations_agent_created",
            ["declaring_agent_uscc", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_agent_created")
        batch_op.drop_column("declaring_agent_uscc")
    op.drop_table("agency_authorisations")
