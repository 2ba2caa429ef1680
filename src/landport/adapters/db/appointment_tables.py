"""Tables of truck appointments (same MetaData as `tables.py`).

`appointment_slots` has one row per (resource, hour) ever booked: bookings lock it, so two
declarants taking the last place at once queue on the row and the second sees it full; its
`booked` counter cannot pass the capacity (a CHECK constraint, the last word). A declaration
holds at most one live appointment: `active_declaration_id` is set while the appointment is
booked, on standby or arrived, and is unique.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from landport.adapters.db.tables import TS, metadata

appointment_slots = Table(
    "appointment_slots",
    metadata,
    Column("resource_id", String(40), primary_key=True),
    Column("slot_start", TS, primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False),
    Column("next_sequence", Integer, nullable=False),
    CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("forwarder", String(32), nullable=False),  # the declarant enterprise's USCC
    Column("declaration_id", String(32), ForeignKey("declarations.id"), nullable=False),
    Column("active_declaration_id", String(32), nullable=True, unique=True),
    Column("plate", String(16), nullable=False),
    Column("resource_id", String(40), nullable=False),
    Column("slot_start", TS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("walk_in", Boolean, nullable=False),
    Column("requested_at", TS, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("promoted_at", TS, nullable=True),
    Column("arrived_at", TS, nullable=True),
    Column("cancelled_at", TS, nullable=True),
    Column("no_show_at", TS, nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_appointments_slot", "resource_id", "slot_start"),
    Index("ix_appointments_forwarder_slot", "forwarder", "slot_start"),
    Index("ix_appointments_status_slot", "status", "slot_start"),
    Index("ix_appointments_declaration", "declaration_id"),
    Index("ix_appointments_slot_start", "slot_start"),  # a day's bookings, in slot order
)
