"""Table definitions: one MetaData with a naming convention, the same for SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    or_,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns timezone-aware UTC on both engines (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TS = UtcDateTime()

enterprises = Table(
    "enterprises",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("customs_code", String(10), nullable=True, unique=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("province", String(40), nullable=False),
    Column("rating", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("exports_here_since", Date, nullable=True),  # known history: not a first-timer
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("enterprise_uscc", String(18), ForeignKey("enterprises.uscc"), nullable=True),
    Column("port_id", String(40), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", TS, nullable=False),
    # Moves on at a deactivation or a password reset: older tokens are no credential.
    Column("session_generation", Integer, nullable=False, server_default=text("0")),
)

declarations = Table(
    "declarations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("number", String(18), nullable=True, unique=True),
    Column("enterprise_uscc", String(18), ForeignKey("enterprises.uscc"), nullable=False),
    # The customs broker that lodged it for the consignor (None: the consignor itself).
    Column("declaring_agent_uscc", String(18), nullable=True),
    Column("declarant", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("lane", String(8), nullable=True),
    Column("risk_score", Integer, nullable=True),
    Column("exit_port", String(40), nullable=False),
    Column("trade_mode", String(4), nullable=False),
    Column("vehicle_plate", String(16), nullable=False),
    Column("content", JSON, nullable=False),
    Column("assessment", JSON, nullable=True),
    Column("warnings", JSON, nullable=False),
    Column("decision_reason", Text, nullable=True),
    Column("passport_digest", String(64), nullable=True),
    Column("held_from", String(20), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_declarations_enterprise_created", "enterprise_uscc", "created_at"),
    Index("ix_declarations_status_lane", "status", "lane"),
    Index("ix_declarations_created", "created_at"),  # the newest first, a page at a time
    Index("ix_declarations_lane_created", "lane", "created_at"),  # an officer's lane
    Index("ix_declarations_plate_created", "vehicle_plate", "created_at"),  # "find this truck"
    Index("ix_declarations_enterprise_status", "enterprise_uscc", "status"),
    Index("ix_declarations_agent_created", "declaring_agent_uscc", "created_at"),
)


def visible_to(uscc: str) -> ColumnElement[bool]:
    """The declarations an enterprise's declarants see: its own as consignor, and those it
    lodged for a client as customs broker (each side through its own index)."""
    c = declarations.c
    return or_(c.enterprise_uscc == uscc, c.declaring_agent_uscc == uscc)


agency_authorisations = Table(
    "agency_authorisations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("consignor_uscc", String(18), ForeignKey("enterprises.uscc"), nullable=False),
    Column("agent_uscc", String(18), ForeignKey("enterprises.uscc"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("revoked_by", String(64), nullable=True),
    Column("revocation_reason", Text, nullable=True),
    Index("ix_agency_authorisations_pair", "consignor_uscc", "agent_uscc"),
    Index("ix_agency_authorisations_agent", "agent_uscc"),
    # what the handler refuses, kept by the database too (a script, a hand-made row)
    CheckConstraint("consignor_uscc <> agent_uscc", name="agent_not_consignor"),
    CheckConstraint("valid_from <= valid_to", name="valid_from_not_after_valid_to"),
)

declaration_events = Table(
    "declaration_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(32), ForeignKey("declarations.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("at", TS, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=True),
    # what reached a status since when (the screen's day, the time-release study)
    Index("ix_declaration_events_status_at", "status", "at"),
)

inspections = Table(
    "inspections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(32), ForeignKey("declarations.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("result", String(20), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS, nullable=False),
    Column("officer", String(64), nullable=False),
    Column("findings", Text, nullable=True),
    Column("image_sha256", String(64), nullable=True),
    Column("equipment_id", String(40), nullable=True),
    Column("recorded_at", TS, nullable=False),
)

risk_rulesets = Table(
    "risk_rulesets",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("comment", Text, nullable=True),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor", String(64), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),  # ISO 8601 UTC text: hashed exactly as stored
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("before_digest", String(64), nullable=True),
    Column("after_digest", String(64), nullable=True),
    Column("detail", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_entity", "entity_type", "entity_id"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("seq"),
)

# --- e-lock custody ---------------------------------------------------------------------

seals = Table(
    "seals",
    metadata,
    Column("seal_id", String(40), primary_key=True),
    Column("vendor", String(40), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("terminal_id", String(20), nullable=True, unique=True),
    Column("state", String(16), nullable=False),
    Column("battery_pct", Float, nullable=True),
    Column("registered_at", TS, nullable=False),
    Column("version", Integer, nullable=False),
)

#: A JT/T 808 terminal's registration (0x0100): only the hash of the auth code it was issued.
#: While the row exists the terminal is refused another code (0x8100 result 3); an officer's
#: reset deletes it, and the terminal's next registration gets a new code.
jt808_registrations = Table(
    "jt808_registrations",
    metadata,
    Column("seal_id", String(40), ForeignKey("seals.seal_id"), primary_key=True),
    Column("auth_code_hash", String(64), nullable=False),
    Column("registered_at", TS, nullable=False),
)

routes = Table(
    "routes",
    metadata,
    Column("route_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("from_place", String(64), nullable=False),
    Column("to_port", String(40), nullable=False),
    Column("coordinates", JSON, nullable=False),  # [[lon, lat], ...] WGS84
    Column("half_width_m", Float, nullable=False),
    Column("road_km", Float, nullable=False),
    Column("typical_hours", Float, nullable=False),
    Column("zones", JSON, nullable=False),
    Column("confidence", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("imported_at", TS, nullable=False),
    Column("imported_by", String(64), nullable=False),
)

# Every approved version of every route, so a trip is judged by the corridor it was sealed
# on even after a surveyed track replaces it.
route_versions = Table(
    "route_versions",
    metadata,
    Column("route_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("from_place", String(64), nullable=False),
    Column("to_port", String(40), nullable=False),
    Column("coordinates", JSON, nullable=False),
    Column("half_width_m", Float, nullable=False),
    Column("road_km", Float, nullable=False),
    Column("typical_hours", Float, nullable=False),
    Column("zones", JSON, nullable=False),
    Column("confidence", String(200), nullable=False),
    Column("imported_at", TS, nullable=False),
    Column("imported_by", String(64), nullable=False),
)

trips = Table(
    "trips",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("seal_id", String(40), ForeignKey("seals.seal_id"), nullable=False),
    Column("declaration_id", String(32), ForeignKey("declarations.id"), nullable=False),
    Column("vehicle_plate", String(16), nullable=False, index=True),
    Column("containers", JSON, nullable=False),
    Column("route_id", String(64), ForeignKey("routes.route_id"), nullable=False),
    Column("route_version", Integer, nullable=False),
    Column("exit_port", String(40), nullable=False),
    Column("passport_digest", String(64), nullable=False),
    Column("armed_at", TS, nullable=False),
    Column("armed_by", String(64), nullable=False),
    Column("window_start", TS, nullable=False),
    Column("window_end", TS, nullable=False),
    Column("state", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("monitor", JSON, nullable=True),  # the corridor monitor's serialised state
    Column("last_fix_time", TS, nullable=True),
    Column("last_lat", Float, nullable=True),
    Column("last_lon", Float, nullable=True),
    Column("version", Integer, nullable=False),
    Column("closed_at", TS, nullable=True),
    Column("departs_at", TS, nullable=True),  # the departure the arrival window counts from
    Index("ix_trips_seal_active", "seal_id", "active"),
    Index("ix_trips_declaration", "declaration_id"),
    Index("ix_trips_armed", "armed_at"),  # the newest first, a page at a time
    Index("ix_trips_state", "state"),  # the silence check reads the trips under way
    # The trips under way, newest first for the consoles and all of them for the nightly
    # purge: partial, and not led by a key, so it is never mistaken for a way to find one
    # trip among them (SQLite keeps no statistics to tell it apart).
    Index(
        "ix_trips_active",
        "armed_at",
        "id",
        sqlite_where=text("active IS 1"),
        postgresql_where=text("active IS true"),
    ),
    # One armed e-lock per declaration (arming takes the declaration's row first; this is
    # the backstop).
    Index(
        "uq_trips_one_active_per_declaration",
        "declaration_id",
        unique=True,
        sqlite_where=text("active IS 1"),
        postgresql_where=text("active IS true"),
    ),
)

positions = Table(
    "positions",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("seal_id", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("trip_id", String(32), nullable=True),
    Column("fix_time", TS, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed_kmh", Float, nullable=False),
    Column("course", Float, nullable=False),
    Column("lock_state", String(8), nullable=False),
    Column("tamper", Boolean, nullable=False),
    Column("battery_pct", Float, nullable=True),
    Column("source", String(8), nullable=False),
    # False: reported without a satellite fix (`SealFix.positioned`), lat/lon as sent
    Column("positioned", Boolean, nullable=False, server_default=true()),
    UniqueConstraint("seal_id", "seq", "fix_time", name="uq_positions_seal_seq_fix"),
    Index("ix_positions_trip_fix", "trip_id", "fix_time"),
    Index("ix_positions_received", "received_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trip_id", String(32), ForeignKey("trips.id"), nullable=False),
    Column("seal_id", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key", String(120), nullable=False),  # stable identity: kind + start fix time
    Column("severity", String(8), nullable=False),
    Column("state", String(16), nullable=False),  # open | closed | acknowledged | resolved
    Column("opened_at", TS, nullable=False),
    Column("closed_at", TS, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("message_en", Text, nullable=False),
    Column("message_zh", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("handled_by", String(64), nullable=True),
    Column("handled_at", TS, nullable=True),
    Column("resolution", Text, nullable=True),
    UniqueConstraint("trip_id", "key", name="uq_alerts_trip_key"),
    Index("ix_alerts_state", "state"),
    Index("ix_alerts_opened", "opened_at"),  # the newest first, a page at a time
    # the big screen's alerts handled lately: ended ones by state, the latest ended first
    Index("ix_alerts_state_closed", "state", "closed_at"),
)

telemetry_rejects = Table(
    "telemetry_rejects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", TS, nullable=False),
    Column("seal_id", String(40), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("topic", String(200), nullable=True),
    Column("payload", Text, nullable=False),
    # SHA-256 of the topic and payload as stored: a redelivered message is one dead letter
    # (NULL on letters kept before the key existed)
    Column("digest", String(64), nullable=True),
    UniqueConstraint("digest", name="uq_telemetry_rejects_digest"),
)

#: Sessions ended by logging out: the signed token stays valid until it expires, so its digest
#: is kept until then and refused however the token comes back (cookie or bearer).
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("token_digest", String(64), primary_key=True),  # SHA-256 of the session token
    Column("username", String(64), nullable=False),
    Column("ended_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False, index=True),
)

# The yard's tables live beside these, on the same MetaData.
from landport.adapters.db import appointment_tables as _appointment_tables  # noqa: E402,F401
from landport.adapters.db import yard_tables as _yard_tables  # noqa: E402,F401
