"""The ingest's writes of positions and trip states, per engine.

PostgreSQL inserts a batch of positions as one statement over arrays; SQLite runs the
statements as the driver takes them, with the values converted here the way the column
types store them: SQLAlchemy's per-row parameter processing cost more than the inserts
(about 400 rows and 130 trips a batch). Reads of trip heads and of a trip's history for a
replay have the same SQLite paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Connection, Text, bindparam, cast, select, update
from sqlalchemy.dialects import postgresql

from landport.adapters.db import tables as t
from landport.adapters.telemetry.trip_cache import HEAD_COLUMNS
from landport.seals.model import LOCK_STATES, LockState, SealFix

# Built once and run with executemany: building statements per trip dominated the batch.
# The monitor state comes as JSON text (`MonitorState.as_json`), cast to the column's type.
_UPDATE_TRIP = (
    update(t.trips)
    .where(t.trips.c.id == bindparam("b_id"), t.trips.c.version == bindparam("b_version"))
    .values(
        monitor=cast(bindparam("monitor", type_=Text), JSON),
        version=bindparam("version"),
        state=bindparam("state"),
        last_fix_time=bindparam("last_fix_time"),
        last_lat=bindparam("last_lat"),
        last_lon=bindparam("last_lon"),
    )
)
_UPDATE_BATTERY = (
    update(t.seals)
    .where(t.seals.c.seal_id == bindparam("b_seal"))
    .values(battery_pct=bindparam("battery_pct"))
)


def update_batteries(conn: Connection, batteries: list[dict[str, Any]]) -> None:
    """The seals' last reported battery levels (`b_seal`, `battery_pct`)."""
    if conn.dialect.name == "sqlite":
        rows = [(b["battery_pct"], b["b_seal"]) for b in batteries]
        conn.exec_driver_sql(_SQLITE_UPDATE_BATTERY, rows)
    else:
        conn.execute(_UPDATE_BATTERY, batteries)


# The positions table's columns but its key, in table order: what `_rows` builds.
_STORED = tuple(column for column in t.positions.c if not column.primary_key)
_COLUMNS = tuple(column.name for column in _STORED)
# Their PostgreSQL array types, without lengths: an explicit cast to varchar(n) would
# truncate a long value silently, where the insert itself refuses it.
_PG_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_PG_TYPES = tuple(
    re.sub(r"\(\d+\)", "", _PG_DIALECT.type_compiler_instance.process(column.type))
    for column in _STORED
)
# PostgreSQL: one fixed statement over arrays, so the server plans it once and the driver
# sends 13 parameters instead of 13 per row (a multi-row VALUES list is re-parsed per batch).
_PG_INSERT_POSITIONS = (
    f"INSERT INTO positions ({', '.join(_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%s::{ty}[]' for ty in _PG_TYPES)}) "
    "ON CONFLICT (seal_id, seq, fix_time) DO NOTHING RETURNING seal_id, seq, fix_time"
)


# SQLite: the statements as the driver runs them, with the values converted here the way
# the column types store them (`sqlite_time`): SQLAlchemy's per-row parameter processing
# cost more than the inserts themselves (~400 rows and ~130 trips a batch).
_SQLITE_INSERT_POSITIONS = (
    f"INSERT INTO positions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (seal_id, seq, fix_time) DO NOTHING"
)
_SQLITE_UPDATE_TRIP = (
    "UPDATE trips SET monitor = ?, version = ?, state = ?, last_fix_time = ?, last_lat = ?, "
    "last_lon = ? WHERE trips.id = ? AND trips.version = ?"
)
_SQLITE_UPDATE_BATTERY = "UPDATE seals SET battery_pct = ? WHERE seals.seal_id = ?"
_SQLITE_LAST_POSITION = "SELECT max(positions.id) FROM positions"
_HEAD_NAMES = tuple(column.name for column in HEAD_COLUMNS)
_POSITIONS_AFTER = select(t.positions.c.seal_id, t.positions.c.seq, t.positions.c.fix_time).where(
    t.positions.c.id > bindparam("after")
)


def update_trips(conn: Connection, updates: list[dict[str, Any]]) -> None:
    """Write the trips back; a trip changed by someone else meanwhile aborts the batch,
    which is then retried unacknowledged (never a silent overwrite)."""
    if not updates:
        return
    if conn.dialect.name == "sqlite":
        rows = [
            (
                v["monitor"],
                v["version"],
                v["state"],
                sqlite_time(v["last_fix_time"]),
                v["last_lat"],
                v["last_lon"],
                v["b_id"],
                v["b_version"],
            )
            for v in updates
        ]
        if conn.exec_driver_sql(_SQLITE_UPDATE_TRIP, rows).rowcount != len(rows):
            raise StaleTrip(", ".join(v["b_id"] for v in updates))
        return
    if conn.dialect.supports_sane_multi_rowcount:
        if conn.execute(_UPDATE_TRIP, updates).rowcount != len(updates):
            raise StaleTrip(", ".join(v["b_id"] for v in updates))
        return
    for values in updates:
        if conn.execute(_UPDATE_TRIP, values).rowcount != 1:
            raise StaleTrip(values["b_id"])


class StaleTrip(RuntimeError):
    """The trip row moved on between reading and writing it."""


def fix_key(fix: SealFix) -> tuple[str, int, datetime]:
    return fix.seal_id, fix.seq, fix.fix_time


def insert_positions(
    conn: Connection, fixes: list[SealFix], trip_of: dict[str, str], now: datetime
) -> set[tuple[str, int, datetime]] | None:
    """Store fixes, skipping any already stored; returns the keys actually inserted, or None
    when every fix was."""
    if conn.dialect.name == "postgresql":
        rows = _rows(fixes, trip_of, now, lambda at: at)
        columns = tuple(list(column) for column in zip(*rows, strict=True))
        result = conn.exec_driver_sql(_PG_INSERT_POSITIONS, columns)
        return {(r[0], r[1], as_utc(r[2])) for r in result}
    # SQLite: a plain executemany (RETURNING turned it into one large statement per batch,
    # re-compiled each time). The batch holds the write lock from BEGIN IMMEDIATE, so the
    # rows it inserted are exactly those after the highest id before it; when none was a
    # duplicate (the usual case) they are simply all of them.
    texts = _rows(fixes, trip_of, now, sqlite_time)
    before = conn.exec_driver_sql(_SQLITE_LAST_POSITION).scalar() or 0
    if conn.exec_driver_sql(_SQLITE_INSERT_POSITIONS, texts).rowcount == len(texts):
        return None
    return {(r[0], r[1], as_utc(r[2])) for r in conn.execute(_POSITIONS_AFTER, {"after": before})}


def _rows(
    fixes: list[SealFix],
    trip_of: dict[str, str],
    received: datetime,
    stamp: Callable[[datetime], Any],
) -> list[tuple[Any, ...]]:
    """The positions' column values in `_COLUMNS` order, times written by `stamp`."""
    at = stamp(received)
    return [
        (
            f.seal_id,
            f.seq,
            trip_of.get(f.seal_id),
            stamp(f.fix_time),
            at,
            f.lat,
            f.lon,
            f.speed_kmh,
            f.course,
            f.lock_state.value,
            f.tamper,
            f.battery_pct,
            f.source,
        )
        for f in fixes
    ]


def sqlite_active_trips(conn: Connection, seal_ids: list[str]) -> dict[str, Any]:
    """`_TRIP_HEADS` of these seals' active trips, read as SQLAlchemy would read them."""
    names = _HEAD_NAMES
    query = (
        f"SELECT {', '.join(f'trips.{n}' for n in names)} FROM trips WHERE trips.active = 1 "
        f"AND trips.seal_id IN ({', '.join('?' * len(seal_ids))}) ORDER BY trips.id"
    )
    heads = {}
    for values in conn.exec_driver_sql(query, tuple(seal_ids)):
        head = dict(zip(names, values, strict=True))
        stamp = head["last_fix_time"]
        if stamp is not None:  # as `tables.UtcDateTime` reads SQLite's text
            head["last_fix_time"] = as_utc(datetime.fromisoformat(stamp))
        heads[head["seal_id"]] = head
    return heads


_SQLITE_HISTORY = (
    "SELECT positions.seal_id, positions.seq, positions.fix_time, positions.lat, positions.lon, "
    "positions.speed_kmh, positions.course, positions.lock_state, positions.tamper, "
    "positions.battery_pct, positions.source FROM positions WHERE positions.trip_id = ? "
    "ORDER BY positions.fix_time"
)


def sqlite_history(conn: Connection, trip_id: str) -> list[SealFix]:
    """`TelemetryIngestor._history` read from the driver: a replay reads a trip's every fix,
    thousands of rows, and converts them as the column types would (text time, 0/1)."""
    locks, parse_time = LOCK_STATES, datetime.fromisoformat
    return [
        SealFix(
            seal_id,
            seq,
            as_utc(parse_time(fix_time)),
            lat,
            lon,
            speed,
            course,
            locks.get(lock) or LockState(lock),
            bool(tamper),
            battery,
            source,
        )
        for (
            seal_id,
            seq,
            fix_time,
            lat,
            lon,
            speed,
            course,
            lock,
            tamper,
            battery,
            source,
        ) in conn.exec_driver_sql(_SQLITE_HISTORY, (trip_id,))
    ]


def sqlite_time(value: datetime | None) -> str | None:
    """A time as `tables.UtcDateTime` stores it in SQLite: UTC, without the zone,
    microseconds always written ("2026-05-12 03:04:05.000000"), so reads are unchanged."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
