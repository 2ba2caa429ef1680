"""Tables of the inspection yard and of machine clients (same MetaData as `tables.py`)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from landport.adapters.db.tables import TS, metadata

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),  # SHA-256 of the key
    Column("role", String(32), nullable=False),
    Column("resource_id", String(40), nullable=True),  # e.g. gate-in-1, nii-portal-1
    Column("active", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("revoked_by", String(64), nullable=True),
)

truck_visits = Table(
    "truck_visits",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("plate", String(16), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("declaration_id", String(32), ForeignKey("declarations.id"), nullable=True),
    Column("appointment_id", String(40), nullable=True),
    Column("lane_id", String(40), nullable=True),
    Column("slot_id", String(40), nullable=True),
    Column("departure_at", TS, nullable=True),
    Column("fees_paid", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_truck_visits_status", "status"),
    # a declaration's visit (the clearance followers) and the trucks booking border capacity
    Index("ix_truck_visits_declaration", "declaration_id"),
    Index("ix_truck_visits_departure", "departure_at"),
    Index("ix_truck_visits_created", "created_at"),  # the newest first, a page at a time
)

visit_steps = Table(
    "visit_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("visit_id", String(32), ForeignKey("truck_visits.id"), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("at", TS, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_visit_steps_status_at", "status", "at"),  # recent scan-lane steps (selectivity)
)

visit_holds = Table(
    "visit_holds",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("visit_id", String(32), ForeignKey("truck_visits.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("placed_at", TS, nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("lifted_at", TS, nullable=True),
    Column("lifted_by", String(64), nullable=True),
    Column("lift_note", Text, nullable=True),
)

# A row exists while a slot is taken: the primary key makes two assignments of one slot
# impossible, whichever operator or process tries.
parking_occupancy = Table(
    "parking_occupancy",
    metadata,
    Column("slot_id", String(40), primary_key=True),
    Column("visit_id", String(32), ForeignKey("truck_visits.id"), nullable=False, unique=True),
    Column("since", TS, nullable=False),
    Column("assigned_by", String(64), nullable=False),
)

# Append-only movement ledger per container.
container_moves = Table(
    "container_moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("container_number", String(11), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # load | unload | transship | store
    Column("location", String(40), nullable=True),
    Column("visit_id", String(32), ForeignKey("truck_visits.id"), nullable=True),
    Column("at", TS, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("note", Text, nullable=True),
)

# The yard layout the port administrator keeps in force, one row per change (who, when, why);
# the newest row is the layout in force. Append-only: an earlier layout is never rewritten.
yard_layout_versions = Table(
    "yard_layout_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("yard_id", String(40), nullable=False),
    Column("document", Text, nullable=False),  # the whole JSON document as sent
    Column("changed_at", TS, nullable=False),
    Column("changed_by", String(64), nullable=False),
    Column("reason", Text, nullable=True),
)

# Border port closures announced after the calendars were published (flood, landslide, snow),
# one row each with who added it and when. Append-only: the port calendar in force is the
# published calendar plus every row here.
port_closures = Table(
    "port_closures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("port_id", String(40), nullable=False, index=True),
    Column("first_day", Date, nullable=False),  # Beijing date
    Column("last_day", Date, nullable=False),  # inclusive
    Column("reason", Text, nullable=False),
    Column("added_at", TS, nullable=False),
    Column("added_by", String(64), nullable=False),
)
