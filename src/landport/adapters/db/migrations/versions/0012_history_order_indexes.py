"""index what grows with the port's history by the order it is read in

The big screen counts what reached a status since yesterday (declaration events by status and
time), the officers' lists show the newest declarations, trips, alerts and truck visits a
page at a time, and the yard lists a day's bookings; without these a year of history was read
or sorted whole on every request.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = (
    ("declaration_events", "ix_declaration_events_status_at", ["status", "at"]),
    ("declarations", "ix_declarations_created", ["created_at"]),
    ("declarations", "ix_declarations_lane_created", ["lane", "created_at"]),
    ("declarations", "ix_declarations_plate_created", ["vehicle_plate", "created_at"]),
    ("trips", "ix_trips_armed", ["armed_at"]),
    ("alerts", "ix_alerts_opened", ["opened_at"]),
    ("truck_visits", "ix_truck_visits_created", ["created_at"]),
    ("appointments", "ix_appointments_slot_start", ["slot_start"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
